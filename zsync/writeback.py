"""`write_back:`: the record's DOI (and, opted in, its version) written into the repository's files.

Planning (pure): `with_write_back(plan, config, texts, state)` adds one `WriteBack` step right after
the DOI is known: after `ReserveDoi`, or the step that made the draft, or first when the record has
its DOI already; always before any upload. It is left out when the files already say what they
should (a re-run writes nothing). The `WriteRecordId` steps before it leave their commit to it, so
the Action commits the id file and the written files together, before any upload.

Executing (`write_files`): the edits (`zsync.doitext`) are computed again from the files as they are
then and the DOI Zenodo answered with, and written atomically. A written file that is also published
(in `paths`, or in a folder archived) changed after it was hashed: the engine reads the local files
again and plans the rest against them, so the upload carries the DOI and the protection against
files changing during upload never sees a stale size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from zsync import atomicwrite, doitext, identifiers
from zsync.errors import ConfigError, Problem
from zsync.frozen import frozen, replace
from zsync.models import Config, WriteBackFiles
from zsync.planning import (
    CreateDraft,
    EditPublished,
    NewVersion,
    Plan,
    RemoteState,
    ReserveDoi,
    Step,
    WriteRecordId,
)

# A DOI no record has, to check before anything is sent that each file can take one.
_TRIAL_DOI = "10.5281/zenodo.0"


@frozen
class WriteBack(Step):
    """Write the DOI (version DOI into CITATION.cff and codemeta.json, the concept DOI badge into a
    README) and, with `write_back.version`, the version, into `files`; local only."""

    files: tuple[Path, ...]
    version: str  # the version the run syncs (written only with `write_back.version`)
    held: tuple[Path, ...] = ()  # published files of a published record: locked, not written now

    def describe(self) -> str:
        return f"write the DOI into {', '.join(path.name for path in self.files)}"


@frozen
class Edit:
    """A file's new text and what changed in it (`doi`, `version`, `identifier`, `badge`)."""

    path: Path
    text: str
    fields: tuple[str, ...]


def read_texts(spec: WriteBackFiles | None) -> dict[Path, str]:
    """The current text of each file `write_back` names (bytes decoded as they are: line ends kept)."""
    if spec is None:
        return {}
    return {path: path.read_bytes().decode("utf-8") for path in spec.paths if path.is_file()}


def site_of(endpoint: str) -> str:
    """The instance's web address: the API endpoint without its `/api`."""
    return endpoint.removesuffix("/").removesuffix("/api")


def edits_for(
    config: Config,
    texts: Mapping[Path, str],
    *,
    doi: str | None,
    concept_doi: str | None,
    version: str,
    held: tuple[Path, ...] = (),
) -> tuple[Edit, ...]:
    """The files whose text changes once they carry `doi` (the version's), `concept_doi` (the
    badge) and, opted in, `version`; raises ConfigError (on the write_back line) for a file zsync
    cannot edit safely."""
    spec = config.write_back
    if spec is None:
        return ()
    edits = []
    for key, path, values in _targets(spec, texts, doi, concept_doi, version, config.endpoint):
        if not values or path not in texts or path in held:
            continue
        old = texts[path]
        try:
            new = _edited(key, old, values)
        except doitext.EditRefused as exc:
            field_path = f"write_back.{key}"
            raise ConfigError(
                [Problem(str(config.source), config.line_of(field_path), field_path, f"{path.name} {exc}")]
            ) from None
        if new != old:
            edits.append(Edit(path, new, tuple(values)))
    return tuple(edits)


def _targets(
    spec: WriteBackFiles,
    texts: Mapping[Path, str],
    doi: str | None,
    concept_doi: str | None,
    version: str,
    endpoint: str,
) -> list[tuple[str, Path, dict[str, str]]]:
    found: list[tuple[str, Path, dict[str, str]]] = []
    with_version = {"version": version} if spec.version else {}
    if spec.citation is not None:
        found.append(("citation", spec.citation, {**({"doi": doi} if doi else {}), **with_version}))
    if spec.codemeta is not None:
        own = {"identifier": doitext.doi_url(doi)} if doi and _takes_doi(texts.get(spec.codemeta)) else {}
        found.append(("codemeta", spec.codemeta, {**own, **with_version}))
    if spec.readme_badge is not None and concept_doi:
        badge = doitext.badge_markdown(site_of(endpoint), concept_doi)
        found.append(("readme_badge", spec.readme_badge, {"badge": badge}))
    return found


def _takes_doi(text: str | None) -> bool:
    """codemeta's `identifier` is zsync's to write when absent or a DOI (another identifier, a
    package name or a URL, is the person's: left as it is)."""
    try:
        current = json.loads(text or "{}").get("identifier")
    except (ValueError, AttributeError):
        return True  # the edit reports what is wrong with the file
    if current is None:
        return True
    try:
        return isinstance(current, str) and bool(identifiers.normalize_doi(current))
    except identifiers.InvalidIdentifier:
        return False


def _edited(key: str, text: str, values: dict[str, str]) -> str:
    if key == "citation":
        return doitext.edit_citation(text, values)
    if key == "codemeta":
        return doitext.edit_codemeta(text, values)
    return doitext.edit_readme_badge(text, values["badge"])


def write_files(edits: tuple[Edit, ...]) -> tuple[Path, ...]:
    for edit in edits:
        atomicwrite.write_text(edit.path, edit.text)
    return tuple(edit.path for edit in edits)


def published(config: Config, paths: tuple[Path, ...]) -> bool:
    """Whether any of `paths` is uploaded: a file of `paths`, or inside a folder archived."""
    data = {path.resolve() for path in config.paths}
    for path in (p.resolve() for p in paths):
        if path in data or any(path.is_relative_to(a.source.resolve()) for a in config.archives):
            return True
    return False


# --------------------------------------------------------------------------- planning

# Steps after which the draft's DOI is what the run ends with (made, reserved, or the id written).
_DOI_STEPS = (CreateDraft, NewVersion, ReserveDoi, WriteRecordId, EditPublished)


def with_write_back(plan: Plan, config: Config, texts: Mapping[Path, str], state: RemoteState) -> Plan:
    """`plan` with its `WriteBack` step, when `write_back` is set and a file would change."""
    spec = config.write_back
    if spec is None:
        return plan
    version = plan.local_version
    # Each file must take a DOI: checked now (a ConfigError), not half-way through the run.
    edits_for(config, texts, doi=_TRIAL_DOI, concept_doi=_TRIAL_DOI, version=version)
    later = any(isinstance(step, CreateDraft | NewVersion | ReserveDoi) for step in plan.steps)
    current = state.current
    # A published record's files are locked: a published file zsync would write waits for the next
    # version (which gets its own DOI), else the run would refuse the files that differ.
    locked = plan.record_action in ("none", "edit-published")
    held = tuple(path for path in spec.paths if locked and published(config, (path,)))
    if not later:
        doi, concept = (current.doi, current.concept_doi) if current else (None, None)
        waiting = edits_for(config, texts, doi=doi, concept_doi=concept, version=version)
        plan = replace(
            plan, warnings=(*plan.warnings, *(_waits(e.path, plan) for e in waiting if e.path in held))
        )
        if not edits_for(config, texts, doi=doi, concept_doi=concept, version=version, held=held):
            return plan
    at = max((i + 1 for i, step in enumerate(plan.steps) if isinstance(step, _DOI_STEPS)), default=0)
    before = tuple(
        replace(step, commit_later=True) if isinstance(step, WriteRecordId) else step
        for step in plan.steps[:at]
    )
    return replace(plan, steps=(*before, WriteBack(spec.paths, version, held), *plan.steps[at:]))


def _waits(path: Path, plan: Plan) -> str:
    return (
        f"{path.name} is published in record {plan.record_id} without its DOI; published files are "
        "locked, so zsync writes it there with the next version (raise metadata.version)"
    )
