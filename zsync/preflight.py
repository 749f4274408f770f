"""The live preflight: every vocabulary id a zenodo.yaml names, checked against the target instance.

Zenodo's sandbox and zenodo.org serve different vocabularies (licences, resource types, ROR
affiliations, funders, awards), and an unknown id makes the whole save fail. So before anything is
sent, each distinct id is looked up once (`lookup(kind, id)`, one GET, see zsync.api.VOCABULARY_PATHS),
and an unknown one is a ConfigError naming the file, line and field of each place it is written.
Pure but for `lookup`: the engine passes `ZenodoClient.vocabulary_has`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from zsync.errors import ConfigError, Problem
from zsync.frozen import frozen
from zsync.models import Config, Creator

# What each kind is called in a message, and where a person finds the valid ids.
_WHAT = {
    "licenses": ("licence", "the licence ids of this instance: {endpoint}/vocabularies/licenses?q=&size=500"),
    "resourcetypes": ("resource type", "the ids of this instance: {endpoint}/vocabularies/resourcetypes"),
    "affiliations": ("ROR affiliation", "check the id at https://ror.org, or give the affiliation as name:"),
    "funders": ("funder", "check the ROR id at https://ror.org, or give the funder as name:"),
    "awards": ("award", "search {endpoint}/awards?q=NUMBER, or give the award as number: and title:"),
}


@frozen
class VocabularyRef:
    """One id the config names: its vocabulary (a key of zsync.api.VOCABULARY_PATHS) and field path."""

    kind: str
    ident: str
    field: str


def vocabulary_refs(config: Config) -> tuple[VocabularyRef, ...]:
    """Every vocabulary id in `config`, in config order (repeats included: each is reported)."""
    return tuple(_refs(config))


def _refs(config: Config) -> Iterator[VocabularyRef]:
    md = config.metadata
    lic = "metadata.licenses" if "metadata.licenses" in config.lines else "metadata.license"
    for index, license_id in enumerate(md.licenses):
        yield VocabularyRef("licenses", license_id.lower(), f"{lic}[{index}]")
    yield VocabularyRef("resourcetypes", md.resource_type, "metadata.resource_type")
    yield from _people_refs("metadata.creators", md.creators)
    yield from _people_refs("metadata.contributors", md.contributors or ())
    for index, related in enumerate(md.related):
        if related.resource_type:
            where = f"metadata.related[{index}].resource_type"
            yield VocabularyRef("resourcetypes", related.resource_type, where)
    for index, funding in enumerate(md.funding):
        where = f"metadata.funding[{index}]"
        if funding.funder_ror:
            yield VocabularyRef("funders", funding.funder_ror, f"{where}.funder.ror")
        if funding.award is not None and funding.award.id:
            yield VocabularyRef("awards", funding.award.id, f"{where}.award.id")


def _people_refs(key: str, people: tuple[Creator, ...]) -> Iterator[VocabularyRef]:
    for index, person in enumerate(people):
        for at, affiliation in enumerate(person.affiliations):
            if affiliation.ror:
                yield VocabularyRef("affiliations", affiliation.ror, f"{key}[{index}].affiliations[{at}].ror")


def check_vocabularies(config: Config, lookup: Callable[[str, str], bool]) -> int:
    """Look each distinct id up once; raise ConfigError naming every place of every unknown one.
    Returns how many lookups were made."""
    refs = vocabulary_refs(config)
    known = {key: lookup(*key) for key in dict.fromkeys((ref.kind, ref.ident) for ref in refs)}
    problems = [_problem(config, ref) for ref in refs if not known[(ref.kind, ref.ident)]]
    if problems:
        raise ConfigError(problems)
    return len(known)


def _problem(config: Config, ref: VocabularyRef) -> Problem:
    what, hint = _WHAT[ref.kind]
    endpoint = config.endpoint.rstrip("/")
    return Problem(
        str(config.source),
        config.line_of(ref.field),
        ref.field,
        f"{config.endpoint} has no {what} {ref.ident!r} (its vocabulary was asked; nothing was sent)",
        hint.format(endpoint=endpoint),
    )
