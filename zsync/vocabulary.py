"""The controlled vocabularies a zenodo.yaml may use, and "did you mean" suggestions for them.

Licences, resource types, relation types, languages, contributor roles, date types, programming
languages, development statuses and the domain custom fields are Zenodo's own lists, shipped as package
data in `zsync/vocab/` (see SOURCES.md there: facts from Zenodo's deployment data, not the SPDX list, which
is a different list). Zenodo refuses a whole save when one of these ids is unknown, so the loader
checks them offline; ids Zenodo retired get a precise error with their replacement
(`publication-thesis` is `publication-dissertation`, titled "Thesis", since 2023). Identifier schemes
are the zenodo.yaml spec's plus `cstr`, `rrid` and `wikidata`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

# The package's own folder, not importlib.resources: importing that (with zipfile, tempfile, threading)
# is a twentieth of `zsync validate`'s start-up, and zsync is always installed as files (a wheel, or
# the image's /app/zsync).
_VOCAB = Path(__file__).resolve().parent / "vocab"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_VOCAB / name).read_text(encoding="utf-8"))
    return data


# Resource types a record may have (tag `depositable`), and those a related identifier may name (tag
# `linkable`: those plus `instrument` and `project`).
RESOURCE_TYPES: tuple[str, ...] = tuple(_load("resource_types.json"))
LINKABLE_RESOURCE_TYPES: tuple[str, ...] = tuple(_load("resource_types_linkable.json"))

# "This resource {relation_type} the related resource."
RELATION_TYPES: tuple[str, ...] = tuple(_load("relation_types.json"))


@cache
def resource_type_title(resource_type: str) -> str:
    """The title Zenodo shows for a resource type ("Thesis" for publication-dissertation)."""
    return str(_load("resource_types_linkable.json").get(resource_type, resource_type))


# Ids that were once valid (in the zenodo.yaml spec, or on Zenodo) and that Zenodo no longer has:
# never rewritten silently, refused with what to write instead.
RETIRED_RESOURCE_TYPES: Mapping[str, str] = {
    "publication-thesis": "publication-dissertation",  # titled "Thesis" since 2023
}

# Schemes of related identifiers and of award identifiers.
IDENTIFIER_SCHEMES: tuple[str, ...] = (
    "ark",
    "arxiv",
    "ads",
    "crossreffunderid",
    "cstr",
    "doi",
    "ean13",
    "eissn",
    "grid",
    "handle",
    "igsn",
    "isbn",
    "isni",
    "issn",
    "istc",
    "lissn",
    "lsid",
    "pmid",
    "purl",
    "rrid",
    "upc",
    "url",
    "urn",
    "w3id",
    "wikidata",
    "other",
)

PERSON_IDENTIFIER_SCHEMES: tuple[str, ...] = ("orcid", "isni")
ORGANIZATION_IDENTIFIER_SCHEMES: tuple[str, ...] = ("isni", "ror")
CREATOR_TYPES: tuple[str, ...] = ("personal", "organizational")
ACCESS_LEVELS: tuple[str, ...] = ("public", "restricted")


@cache
def licenses() -> Mapping[str, Mapping[str, str]]:
    """Zenodo's licences: id -> {"title", "url"} (read on first use; 444 of them)."""
    return _load("licenses.json")


@cache
def license_ids() -> tuple[str, ...]:
    """The licence ids Zenodo accepts (lower case), sorted."""
    return tuple(sorted(licenses()))


def license_replacements(license_id: str) -> tuple[str, ...]:
    """Zenodo's ids for a short form SPDX deprecated (`gpl-3.0` -> `gpl-3.0-only`, `gpl-3.0-or-later`;
    `gpl-2.0+` -> `gpl-2.0-or-later`); () when `license_id` is not one of those."""
    if license_id in licenses():
        return ()
    base = license_id.removesuffix("+")
    candidates = (f"{base}-or-later",) if license_id.endswith("+") else (f"{base}-only", f"{base}-or-later")
    return tuple(c for c in candidates if c in licenses())


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word` (case-insensitive), or None when nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a did-you-mean is needed

    matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


# --------------------------------------------------------------------------- #12: metadata extras


@cache
def languages() -> Mapping[str, str]:
    """ISO 639-3 id -> English name: Zenodo's `languages` vocabulary (7847 ids; read on first use)."""
    return _load("languages.json")


@cache
def language_from_alpha2() -> Mapping[str, str]:
    """ISO 639-1 code -> ISO 639-3 id, for "did you mean" (Zenodo takes 639-3 ids only)."""
    return _load("languages_alpha2.json")


def language_suggestion(written: str) -> str | None:
    """The ISO 639-3 id a person probably meant by `written` ('en', 'English', 'ENG'), or None."""
    word = written.strip()
    ids = languages()
    if word.lower() in ids:
        return word.lower()
    if word.lower() in language_from_alpha2():
        return language_from_alpha2()[word.lower()]
    by_name = {name.lower(): ident for ident, name in ids.items()}
    return by_name.get(word.lower())


@cache
def contributor_roles() -> tuple[str, ...]:
    """The roles a contributor may have (`contributorsroles`, 22 ids)."""
    return tuple(_load("contributor_roles.json"))


@cache
def date_types() -> tuple[str, ...]:
    """The types of `metadata.dates` (`datetypes`, 12 ids)."""
    return tuple(_load("date_types.json"))


@cache
def programming_languages() -> tuple[str, ...]:
    """The ids of `code:programmingLanguages` (706, lower case, `_` for spaces: `jupyter_notebook`)."""
    return tuple(_load("programming_languages.json"))


@cache
def programming_language_titles() -> Mapping[str, str]:
    """Lower-cased title ("c++", "jupyter notebook") -> id, for "did you mean"."""
    return {title.lower(): ident for ident, title in _load("programming_languages.json").items()}


@cache
def development_statuses() -> tuple[str, ...]:
    """The ids of `code:developmentStatus` (repostatus.org: active, wip, ...)."""
    return tuple(_load("development_statuses.json"))


def domain_custom_fields() -> Mapping[str, str]:
    """Zenodo's domain custom fields of the upload form (`dwc:family`, ...) -> the kind of their values
    (keyword, text, number, integer, iso-date, edtf-date, relationships); every one takes a list."""
    return _load("domain_custom_fields.json")


# Zenodo's description type for notes (zenodo-rdm app_data/vocabularies/description_types.yaml).
NOTES_DESCRIPTION_TYPE = "notes"

# stepup-reprep 1.x's `upload_type` (the legacy deposit API's list); each is a Zenodo resource type id.
LEGACY_UPLOAD_TYPES: tuple[str, ...] = (
    "publication",
    "poster",
    "presentation",
    "dataset",
    "image",
    "video",
    "software",
    "lesson",
    "physicalobject",
    "other",
)
