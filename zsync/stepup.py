"""stepup-reprep's config generations: which one a file was written for, and the 1.x format's rules.

stepup-reprep's `sync-zenodo` had three config formats (see the README, "Coming from stepup-reprep"):
- 1.x (stepup-reprep 1.3.0 to 3.0.5, Zenodo's legacy deposit API): `path_versions` (a JSON file
  {version: record id}), `metadata.upload_type`, creators `{name, affiliation, orcid}`;
- 3.x (3.1.x, the InvenioRDM API): zsync's own format, which it began as (path_token, paths, ...);
- 4.x (4.0.x): no files, token or readme in the file (they are arguments and an environment
  variable), `custom_fields`, award identifiers `{identifier, scheme}`.
A file is told apart by its keys only (`detect`), before the walk: a 1.x file is read with its own
table (`zsync.configschema.TOP_1X`, built here into the same `Config`); a 3.x or 4.x file with zsync's,
which accepts both (the generation only changes hints and notices). What each 1.x field becomes is
what Zenodo's legacy deserializer made of what stepup-reprep 1.x sent (zenodo/zenodo-rdm
site/zenodo_rdm/legacy/deserializers/metadata.py), or better where 1.x lost something: its
keywords and (before 3.0.4) ORCIDs were dropped, and a name without a comma became a family name.
"""

from __future__ import annotations

from typing import Any

from zsync.loader.nodes import Node, Unreadable
from zsync.loader.walk import Record
from zsync.models import Affiliation, Creator, Metadata

GENERATION_1X = "1.x"
GENERATION_3X = "3.x"
GENERATION_4X = "4.x"

# Zenodo's legacy deserializer gave every record a publisher: `imprint_publisher`, load_default
# "Zenodo"; stepup-reprep 1.x never sent one, so all its records say Zenodo.
LEGACY_PUBLISHER = "Zenodo"

_ONLY_IN_3X_AND_ZSYNC = frozenset({"paths", "path_token", "path_readme", "code_repository"})
_METADATA_3X = frozenset(
    {
        *("title", "version", "license", "resource_type", "copyright", "publisher", "keywords"),
        *("creators", "description", "related", "funding"),
    }
)


def _keys(node: Node | None) -> dict[str, Node]:
    if node is None or node.kind != "mapping":
        return {}
    found: dict[str, Node] = {}
    for key, value in node.pairs():
        name = key.value() if key.kind == "scalar" else None
        if isinstance(name, str):
            found.setdefault(name, value)
    return found


def detect(root: Node) -> str | None:
    """The stepup-reprep generation a config was written for, by its keys; None for zsync's own.

    1.x: `path_versions`, or `metadata.upload_type` without `resource_type` and `path_record_id`.
    4.x: `path_record_id` with none of paths, path_token, path_readme and code_repository (4.x
    refused them). 3.x: `path_record_id` and `path_token` (both required by 3.x) and no key 3.x did
    not know. Anything else is zsync's own format (which reads 3.x and 4.x files as they are).
    """
    try:
        top = _keys(root)
        metadata = _keys(top.get("metadata"))
    except Unreadable:  # an unreadable key: the walk reports it; detection just gives up
        return None
    if "path_versions" in top or (
        "upload_type" in metadata and "resource_type" not in metadata and "path_record_id" not in top
    ):
        return GENERATION_1X
    if "path_record_id" not in top:
        return None
    if not _ONLY_IN_3X_AND_ZSYNC & top.keys():
        return GENERATION_4X
    if "path_token" in top and "custom_fields" not in top and set(metadata) <= _METADATA_3X:
        return GENERATION_3X
    return None


LOOKS_1X = (
    "this looks like a stepup-reprep 1.x file (it has path_versions or upload_type): 1.x has no such key "
    "and ignored it, so Zenodo never got it; remove it, or convert the file with `zsync migrate` "
    "to use zsync's fields"
)


def foreign_1x(**names: str) -> dict[str, str]:
    """Hints for zsync keys written in a 1.x file: what 1.x calls them, and `zsync migrate`."""
    return {
        key: f"this looks like a stepup-reprep 1.x file, which has {instead}; or convert the file with "
        "`zsync migrate` to use zsync's fields"
        for key, instead in names.items()
    }


# --------------------------------------------------------------------------- 1.x builds


def creator_1x(found: Record) -> Creator | None:
    """`{name: 'Family, Given', affiliation, orcid}` as a person (1.x creators were all persons)."""
    name = found.get("name")
    affiliation = found.get("affiliation")
    orcid = found.get("orcid")
    if (
        name is None
        or (found.has("affiliation") and affiliation is None)
        or (found.has("orcid") and orcid is None)
    ):
        return None
    if "," not in name:
        found.at("name").add(
            f"{name!r} has no comma: stepup-reprep 1.x sent it as it is and Zenodo stored all of it as the "
            "family name",
            f"write name: {_suggest_name(name)!r} (family name, a comma, given names)",
        )
        return None
    family, _, given = (part.strip() for part in name.partition(","))
    if not family:
        found.at("name").add(f"{name!r} has no family name before the comma")
        return None
    return Creator(
        kind="personal",
        family_name=family,
        given_name=given or None,
        name=name,
        identifiers=(("orcid", orcid),) if orcid else (),
        affiliations=(Affiliation(name=affiliation),) if affiliation else (),
    )


def _suggest_name(name: str) -> str:
    words = name.split()
    return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else f"{name}, Given"


def metadata_1x(found: Record) -> Metadata | None:
    """1.x metadata as Zenodo stored it: upload_type is the resource type, one licence, publisher
    Zenodo; its keywords, which 1.x dropped, are sent as subjects."""
    values = found.values()
    if values is None:
        return None
    return Metadata(
        title=values["title"],
        version=values["version"],
        creators=values["creators"],
        resource_type=values["upload_type"],
        licenses=values["license"],
        keywords=values["keywords"],
        publisher=LEGACY_PUBLISHER,
        description=values["description"],
    )


def top_1x(found: Record) -> dict[str, Any] | None:
    """The fields of `Config` for a 1.x file: the record ids stay in the path_versions JSON file."""
    values = found.values()
    if values is None:
        return None
    metadata = values["metadata"]
    if metadata.description is not None and values["path_readme"] is not None:
        # 1.x let the readme win silently; zsync says so instead of dropping one.
        line = found.cursor.walk.lines.get("metadata.description")
        where = (
            f"by path_readme on line {found.at('path_readme').line}"
            if found.has("path_readme")
            else "with --description"
        )
        found.cursor.walk.add(
            "metadata.description",
            line,
            f"also given {where} (stepup-reprep 1.x used the readme)",
            "keep one of them",
        )
        return None
    path_versions = values.pop("path_versions")
    return {**values, "path_record_id": path_versions}
