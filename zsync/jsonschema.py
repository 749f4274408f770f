"""Generate the JSON Schema (draft-07) of zenodo.yaml, for editors (yaml-language-server) and linters.

The enums come from `zsync.vocabulary` and the limits from the loader's table (`zsync.configschema`,
`zsync.configrules`), so the schema follows the loader without needing `yaml`;
`tests/test_jsonschema.py` fails when the shipped `zenodo-yaml.schema.json` is stale.
Regenerate it with `python -m zsync.jsonschema > zsync/zenodo-yaml.schema.json`.

The schema is a first line of defence only: checksums (ORCID, ISNI, ROR, ISBN, ...), file checks
and the "did you mean" hints exist only in `zsync validate`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from zsync import configrules, configschema, vocabulary

SCHEMA_URL = "https://raw.githubusercontent.com/zsync-org/zenodo-sync/v1/zsync/zenodo-yaml.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_URL}"

_ORCID = r"^(https?://orcid\.org/)?[0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{3}[0-9Xx]$"
_ISNI = r"^(https?://isni\.org/isni/)?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{3}[0-9Xx]$"
_ROR = r"^(https?://ror\.org/)?0[0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{6}[0-9]{2}$"
_HTTP_URL = r"^https?://[^\s/?#]+"

Schema = dict[str, Any]


def _string(description: str, **extra: Any) -> Schema:
    return {"type": "string", "minLength": 1, "description": description, **extra}


def _object(description: str, properties: Schema, **extra: Any) -> Schema:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def _path_item() -> Schema:
    globs = {"type": "array", "items": {"type": "string", "minLength": 1}}
    return {
        "anyOf": [
            _string("A file by path, or a glob (results/*.csv, figures/**/*.pdf) expanded in sorted order."),
            _object(
                "A path or glob that may match nothing.",
                {"path": _string("A path or a glob."), "optional": {"type": "boolean"}},
                required=["path"],
            ),
            _object(
                "A folder published as one reproducible archive (.zip or .tar.gz).",
                {
                    "archive": _string("The archive's file name.", pattern=r"^[^/]+\.(zip|tar\.gz|tgz)$"),
                    "from": _string("The folder to archive; its folder paths are kept in the archive."),
                    "include": {**globs, "description": "Globs of the files to include (default: all)."},
                    "exclude": {**globs, "description": "Globs of the files to leave out."},
                },
                required=["archive", "from"],
            ),
        ]
    }


def _organisation(description: str) -> Schema:
    return _object(
        description,
        {
            "ror": _string(
                "The ROR id (9 characters, e.g. 00cv9y106; a https://ror.org/ prefix is removed). "
                "Find it on https://ror.org/.",
                pattern=_ROR,
            ),
            "name": _string("The name, when the organisation has no ROR id."),
        },
        minProperties=1,
        maxProperties=1,
    )


def _creator() -> Schema:
    person_or_org = {
        "if": {"properties": {"type": {"const": "organizational"}}, "required": ["type"]},
        "then": {
            "required": ["name"],
            "not": {"anyOf": [{"required": ["family_name"]}, {"required": ["given_name"]}]},
        },
        "else": {
            "oneOf": [
                {"required": ["family_name"], "not": {"required": ["name"]}},
                {
                    "required": ["name"],
                    "not": {"anyOf": [{"required": ["family_name"]}, {"required": ["given_name"]}]},
                },
            ]
        },
    }
    return _object(
        "A creator. A person gives family_name (and given_name), or name: 'Family, Given' "
        "(split at the first comma). An organisation gives type: organizational and name. "
        "A name without a comma and without type is refused: it is unclear what it is.",
        {
            "type": {
                "type": "string",
                "enum": list(vocabulary.CREATOR_TYPES),
                "default": "personal",
                "description": "personal (the default) or organizational.",
            },
            "family_name": _string("The family name(s) of a person."),
            "given_name": _string("The given name(s) of a person."),
            "name": _string(
                "A person as 'Family, Given' (split at the first comma), or the name of an organisation "
                "(with type: organizational).",
                examples=["Doe, Jane"],
            ),
            "identifiers": _object(
                "Identifiers of the creator: orcid and isni for a person; isni and ror for an organisation.",
                {
                    "orcid": _string(
                        "ORCID iD 0000-0000-0000-000X "
                        "(checksum verified; a https://orcid.org/ prefix is removed).",
                        pattern=_ORCID,
                    ),
                    "isni": _string(
                        "ISNI, 16 characters, spaces allowed (checksum verified).", pattern=_ISNI
                    ),
                    "ror": _string("ROR id of an organisational creator.", pattern=_ROR),
                },
            ),
            "affiliations": {
                "type": "array",
                "description": "Affiliations, each with exactly one of ror and name; no duplicates.",
                "items": _organisation("An affiliation: exactly one of ror and name."),
            },
        },
        **person_or_org,
    )


def _related() -> Schema:
    return _object(
        "A related resource: 'this dataset {relation_type} the related resource'.",
        {
            "scheme": {
                "type": "string",
                "enum": list(vocabulary.IDENTIFIER_SCHEMES),
                "description": "The identifier scheme.",
            },
            "identifier": _string(
                "The identifier, valid for its scheme (doi: 10.NNNN/..., a https://doi.org/ prefix "
                "is removed; url: http(s) with a host; isbn/issn with their check digits; ...).",
                examples=["10.5281/zenodo.1234567"],
            ),
            "relation_type": {
                "type": "string",
                "enum": list(vocabulary.RELATION_TYPES),
                "description": "How this dataset relates to the resource.",
            },
            "resource_type": {
                "type": "string",
                "enum": list(vocabulary.LINKABLE_RESOURCE_TYPES),
                "description": "The type of the related resource (optional).",
            },
        },
        required=["scheme", "identifier", "relation_type"],
    )


def _identifier(example: str) -> Schema:
    """An identifier as {scheme: identifier}, or as stepup-reprep 4.x writes it, {identifier, scheme}."""
    return {
        "description": f"One identifier: {{scheme: identifier}}, e.g. {example}, or {{identifier, scheme}} "
        "(stepup-reprep 4.x's form; without scheme, a DOI is doi and another URL is url).",
        "anyOf": [
            {
                "type": "object",
                "propertyNames": {"enum": list(vocabulary.IDENTIFIER_SCHEMES)},
                "additionalProperties": {"type": "string", "minLength": 1},
                "minProperties": 1,
                "maxProperties": 1,
            },
            {
                "type": "object",
                "properties": {
                    "identifier": {"type": "string", "minLength": 1},
                    "scheme": {"type": "string", "enum": list(vocabulary.IDENTIFIER_SCHEMES)},
                },
                "required": ["identifier"],
                "additionalProperties": False,
            },
        ],
    }


def _funding() -> Schema:
    award_identifier = _identifier("{url: 'https://example.org/award/1'}")
    award = _object(
        "The award: either id alone (Zenodo's award id, e.g. '00k4n6c32::101001234'), or a number, a "
        "title or both, with optional identifiers.",
        {
            "id": _string("Zenodo's award id: funder ROR id, '::', award number."),
            "title": _string("The full title of the award."),
            "number": _string("The award number (quote it if it is all digits)."),
            "identifiers": {
                "type": "array",
                "items": award_identifier,
                "description": "Identifiers of the award.",
            },
        },
        oneOf=[
            {"required": ["id"], "maxProperties": 1},
            {"anyOf": [{"required": ["title"]}, {"required": ["number"]}], "not": {"required": ["id"]}},
        ],
    )
    return _object(
        "A funding entry: the funder and, optionally, the award.",
        {"funder": _organisation("The funder: exactly one of ror and name."), "award": award},
        required=["funder"],
    )


def _metadata() -> Schema:
    license_id = {"type": "string", "enum": list(vocabulary.license_ids())}
    return _object(
        "Metadata of the Zenodo record.",
        {
            "title": _string(
                "The title, at least 3 characters (not counting leading and trailing spaces).",
                minLength=configschema.MIN_TITLE_CHARS,
                pattern=r"^\s*\S[\s\S]+\S\s*$",
            ),
            "version": _string(
                "The version, as a string: quote it (version: '1.0'), YAML reads 1.0 as a number.",
                examples=["1.0.0"],
            ),
            "keywords": {"type": "array", "items": _string("A keyword."), "description": "Keywords."},
            "license": {
                "description": "One licence id or a list of them, from Zenodo's licence list (mostly SPDX "
                "ids in lower case, plus other-open, other-pd, ...; zsync lower-cases ids written in "
                "upper case).",
                "anyOf": [license_id, {"type": "array", "items": license_id, "uniqueItems": True}],
            },
            "resource_type": {
                "type": "string",
                "enum": list(vocabulary.RESOURCE_TYPES),
                "description": "The type of the record.",
            },
            "publisher": _string("The publisher, e.g. Zenodo."),
            "publication_date": _string(
                "The publication date, YYYY-MM-DD, YYYY-MM or YYYY. Left out, zsync decides it: the day "
                "of the first sync (or of --publish); a published record keeps its own.",
                pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
            ),
            "copyright": _string("A copyright statement."),
            "creators": {
                "type": "array",
                "minItems": 1,
                "items": _creator(),
                "description": "The creators, at least one.",
            },
            "related": {"type": "array", "items": _related(), "description": "Related resources."},
            "funding": {"type": "array", "items": _funding(), "description": "Funding of the work."},
            **_metadata_extras(),
        },
    )


# Required in zenodo.yaml's own metadata unless `metadata_from` names a source that may give them.
_REQUIRED_METADATA = ["title", "version", "resource_type", "creators"]


def _access() -> Schema:
    return _object(
        "Who may see the record and its files.",
        {
            "record": {
                "type": "string",
                "enum": ["public"],
                "default": "public",
                "description": "Must be public: Zenodo refuses restricted records.",
            },
            "files": {
                "type": "string",
                "enum": list(vocabulary.ACCESS_LEVELS),
                "default": "public",
                "description": "public or restricted.",
            },
            "embargo": _object(
                "The files stay restricted until this date (UTC), then Zenodo makes them public. "
                "Needs files: restricted.",
                {
                    "until": {
                        "type": "string",
                        "pattern": r"^\d{4}-\d{2}-\d{2}$",
                        "description": "YYYY-MM-DD; in the future for a record that does not have it yet.",
                    },
                    "reason": _string("Why the files are embargoed (shown on the record)."),
                },
                required=["until"],
            ),
        },
    )


_OWNED_ONCE_GIVEN = (
    " Left out, zsync keeps what the record has (a person may fill it in on Zenodo); given, even as [], "
    "zsync owns it."
)


def _one_or_many(item: Schema, description: str) -> Schema:
    return {"description": description, "anyOf": [item, {"type": "array", "items": item}]}


def _contributor() -> Schema:
    contributor = _creator()
    contributor["properties"] = {
        **contributor["properties"],
        "role": {
            "type": "string",
            "enum": list(vocabulary.contributor_roles()),
            "description": "The contributor's role, from Zenodo's list.",
        },
    }
    contributor["required"] = ["role"]
    contributor["description"] = "A contributor: a creator (person or organisation) with a role."
    return contributor


def _metadata_extras() -> dict[str, Schema]:
    contributor = _contributor()
    date = _object(
        "A date and what it is.",
        {
            "date": {
                "type": "string",
                "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?$",
                "description": "YYYY-MM-DD, YYYY-MM or YYYY, or an interval start/end (EDTF level 0).",
            },
            "type": {
                "type": "string",
                "enum": list(vocabulary.date_types()),
                "description": "The type of the date.",
            },
            "description": _string("What the date is about, e.g. Field campaign."),
        },
        required=["date", "type"],
    )
    reference = {
        "description": "A reference: the citation as text, or {reference, scheme, identifier}.",
        "anyOf": [
            _string("The citation as text."),
            _object(
                "A citation with the identifier of the cited work.",
                {
                    "reference": _string("The citation as text."),
                    "scheme": {"type": "string", "enum": list(vocabulary.IDENTIFIER_SCHEMES)},
                    "identifier": _string("The identifier, valid for its scheme."),
                },
                required=["reference"],
            ),
        ],
    }
    return {
        "description": _string(
            "The description as HTML, at least 3 characters (instead of path_readme or --description)."
        ),
        "languages": _one_or_many(
            {"type": "string", "pattern": "^[a-z]{3}$"},
            "Languages as ISO 639-3 ids (eng, nld, fra, ...), one or a list." + _OWNED_ONCE_GIVEN,
        ),
        "dates": {"type": "array", "items": date, "description": "Dates." + _OWNED_ONCE_GIVEN},
        "contributors": {
            "type": "array",
            "items": contributor,
            "description": "Contributors, each with a role." + _OWNED_ONCE_GIVEN,
        },
        "references": {
            "type": "array",
            "items": reference,
            "description": "References (citations)." + _OWNED_ONCE_GIVEN,
        },
        "notes": _one_or_many(
            _string("A note (HTML)."),
            "Notes: Zenodo's additional descriptions of type notes, one or a list; other additional "
            "descriptions a person adds on Zenodo stay." + _OWNED_ONCE_GIVEN,
        ),
    }


_NESTED_CUSTOM_FIELDS = {
    "journal": (
        "The journal the work appeared in (Zenodo's journal:journal).",
        ("title", "issue", "volume", "pages", "issn"),
    ),
    "meeting": (
        "The conference (meeting:meeting).",
        ("title", "acronym", "dates", "place", "session", "session_part", "url"),
    ),
    "imprint": (
        "The book, report or proceedings it is part of (imprint:imprint).",
        ("title", "isbn", "pages", "place", "edition"),
    ),
    "thesis": (
        "The thesis (thesis:thesis); the university is here since 2024.",
        ("university", "department", "type", "date_submitted", "date_defended"),
    ),
}


def _nested_custom_fields() -> Schema:
    properties: Schema = {}
    for key, (description, fields) in _NESTED_CUSTOM_FIELDS.items():
        part: Schema = {field: _string(field.replace("_", " ").capitalize() + ".") for field in fields}
        if key == "meeting":
            part["identifiers"] = {
                "type": "array",
                "items": _identifier("{doi: 10.5281/zenodo.1234567}"),
                "description": "Identifiers of the meeting.",
            }
        properties[key] = _object(description, part)
    return properties


def _custom_fields() -> Schema:
    properties: Schema = {
        "code_repository": _string(
            "The URL of the source code (Zenodo's code:codeRepository).", pattern=_HTTP_URL
        ),
        "development_status": {
            "type": "string",
            "enum": list(vocabulary.development_statuses()),
            "description": "The development status (code:developmentStatus, repostatus.org).",
        },
        "programming_languages": _one_or_many(
            {"type": "string", "enum": list(vocabulary.programming_languages())},
            "Programming languages (code:programmingLanguage), Zenodo's ids: python, jupyter_notebook, ...",
        ),
        "rights_holder": _one_or_many(_string("A rights holder."), "Rights holders (dc:rightsHolder)."),
        **_nested_custom_fields(),
        **_domain_custom_fields(),
    }
    return _object(
        "Zenodo's custom fields: the structured ones by stepup-reprep 4.x's names, the fields of Zenodo's "
        "Biodiversity and Audiovisual sections by their Zenodo names." + _OWNED_ONCE_GIVEN,
        properties,
    )


def _domain_custom_fields() -> Schema:
    texts = _one_or_many(_string("A value."), "One value or a list.")
    properties: Schema = {}
    kinds = {
        "number": {"type": "number"},
        "integer": {"type": "integer"},
        "iso-date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    }
    for name, kind in vocabulary.domain_custom_fields().items():
        if name == "dc:rightsHolder":
            continue
        description = f"Zenodo's {name} ({kind}), one value or a list."
        if kind == "relationships":
            properties[name] = {
                "type": "array",
                "description": f"Zenodo's {name}: [{{subject: [...], object: [...]}}].",
                "items": {
                    "type": "object",
                    "properties": {"subject": texts, "object": texts},
                    "additionalProperties": False,
                },
            }
        else:
            properties[name] = _one_or_many(kinds.get(kind, {"type": "string", "minLength": 1}), description)
    return properties


def _communities() -> dict[str, Schema]:
    slug = _string(
        "A community's identifier, as in its address (https://zenodo.org/communities/IDENTIFIER); "
        "zsync plan checks that it exists.",
        pattern=r"^[-\w]{1,100}$",
    )
    return {
        "communities": {
            "description": "The communities of the record. A never-published draft is submitted for review "
            "by the first (with review: submit); a published record gets one inclusion request for each "
            "community it is not in.",
            "oneOf": [slug, {"type": "array", "items": slug, "uniqueItems": True}],
        },
        "review": {
            "type": "string",
            "enum": list(configschema.REVIEW_MODES),
            "default": "report",
            "description": "submit: submit a complete draft for review by the first community (its "
            "curators then publish it); report: only say what would be submitted.",
        },
        "communities_remove": {
            "type": "boolean",
            "default": False,
            "description": "Remove the record from communities it is in that `communities` does not list.",
        },
        "share": _share(),  # the other step of the publishing workflow: co-authors see the draft
    }


def _share() -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "A secret link of the draft for co-authors, who open it without an account (the "
        "share-url output). zsync reuses its link while it is valid for at least half of `expires`.",
        "properties": {
            "permission": {
                "type": "string",
                "enum": ["preview", "view"],
                "default": "preview",
                "description": "preview: the draft and its files (before publication); view: the "
                "published record and its restricted files.",
            },
            "expires": {
                "type": "string",
                "pattern": r"^(0{0,2}[1-9]|0?[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-5])d$",
                "default": "30d",
                "description": "How long a new link is valid, in days: 1d to 365d.",
            },
        },
    }


def _metadata_from() -> Schema:
    """`metadata_from`: one source (CITATION.cff, codemeta.json, .zenodo.json) or a list of them."""
    source = r"(\.cff|(^|/)codemeta\.json|(^|/)\.zenodo\.json)$"
    return {
        "oneOf": [
            _string("A CITATION.cff, codemeta.json or .zenodo.json to take metadata from.", pattern=source),
            {
                "type": "array",
                "items": _string("A CITATION.cff, codemeta.json or .zenodo.json.", pattern=source),
            },
        ],
        "description": "Files whose metadata fill in the fields zenodo.yaml does not give "
        "(a field is taken from the first file that has it); zenodo.yaml's own fields override them. "
        "`zsync render --explain` shows where each field came from.",
    }


def build_schema() -> Schema:
    """The JSON Schema of zenodo.yaml as a dict."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_URL,
        "title": "zenodo.yaml",
        **_object(
            "The configuration of zsync: a Zenodo record (metadata and files) kept in a git "
            "repository. Relative paths resolve against the folder of this file; ~ expands.",
            {
                "path_record_id": _string(
                    "The file that holds the id of the record (one number); zsync writes it. "
                    "Commit it to the repository.",
                    default=configrules.DEFAULT_RECORD_ID_FILE,
                ),
                "endpoint": _string(
                    "Zenodo's API: https://zenodo.org/api or https://sandbox.zenodo.org/api (separate "
                    "accounts). http is accepted only for a local test server (127.0.0.1, localhost, ::1).",
                    examples=list(configrules.KNOWN_ENDPOINTS),
                    pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?/api/?$",
                ),
                "path_token": _string(
                    "A file holding the Zenodo token, used when ZENODO_TOKEN is not set (also from .env). "
                    "Never commit the token."
                ),
                "metadata_from": _metadata_from(),
                "metadata": _metadata(),
                "code_repository": _string("The URL of the source code repository.", pattern=_HTTP_URL),
                "path_readme": _string(
                    "A Markdown (.md) or HTML (.html) file, shown as the description of the record "
                    "(or give it as --description FILE).",
                    pattern=r"\.([mM][dD]|[hH][tT][mM][lL])$",
                ),
                "paths": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": configrules.MAX_FILES,
                    "items": _path_item(),
                    "description": f"The files to publish: at least 1, at most {configrules.MAX_FILES}, "
                    "not empty, at most 50 GB each and in total. Zenodo has no folders: a file is "
                    "published under its base name, so base names must differ; publish a folder as an "
                    "archive ({archive: data.zip, from: raw/}). "
                    "Required unless the files are given as arguments (zsync sync CONFIG FILE...), as "
                    "stepup-reprep 4.x took them.",
                },
                "allow_outside": {
                    "type": "boolean",
                    "default": False,
                    "description": "Let paths and path_readme lead out of the repository (the git work "
                    "tree of this file, or its folder outside git), directly or through a symlink. "
                    "Off by default: a path outside is an error.",
                },
                "access": _access(),
                "custom_fields": _custom_fields(),
                **_communities(),
            },
            required=["endpoint"],
        ),
        **_metadata_required(),
    }


def _metadata_required() -> Schema:
    """Without metadata_from, metadata and its required fields are zenodo.yaml's to give; with it, a
    source may give any of them (zsync validate reports what none gives)."""
    return {
        "if": {"not": {"required": ["metadata_from"]}},
        "then": {"required": ["metadata"], "properties": {"metadata": {"required": _REQUIRED_METADATA}}},
    }


def render_schema() -> str:
    """The schema as the text of zenodo-yaml.schema.json."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_schema())
