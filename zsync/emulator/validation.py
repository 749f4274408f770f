"""What Zenodo's InvenioRDM schema accepts in a draft, and how it cleans what it keeps.

Two levels, as on the server: a draft save keeps the valid part of the data and lists what would fail
publication (`errors: [{field, messages}]`), except unknown vocabulary ids, which reject the whole save;
publish refuses any error. Field paths are dotted with list indices ("metadata.creators.0.person_or_org
.family_name"), like Invenio's. Messages follow Invenio's where they are known.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from zsync.emulator.access import check_access

REQUIRED = "Missing data for required field."
NOT_A_STRING = "Not a valid string."
UNKNOWN_FIELD = "Unknown field."


# Without a vocabulary directory the emulator accepts any id of a plausible shape, so a test machine
# without ../shared still works; with one (ZSYNC_EMULATOR_VOCAB) it refuses what Zenodo refuses.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PLAUSIBLE = {
    "licenses": re.compile(r"[a-z0-9][a-z0-9.+-]*"),
    "resource_types": re.compile(r"[a-z]+(-[a-z]+)*"),
    "relation_types": re.compile(r"[a-z]+"),
}
_ROR = re.compile(r"0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}")
_PLAUSIBLE.update(affiliations=_ROR, funders=_ROR, awards=re.compile(r"\S+"))
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_URL = re.compile(r"https?://[^\s/$.?#].\S*", re.IGNORECASE)
_ISNI = re.compile(r"\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX]")
_GND = re.compile(r"(gnd:)?\d{7,10}-?[\dX]?")
_PERSON_SCHEMES = ("orcid", "isni", "gnd", "ror")
_RELATED_SCHEMES = _words(
    "ark arxiv ads crossreffunderid cstr doi ean13 eissn grid handle igsn isbn isni issn istc lissn lsid "
    "pmid purl rrid upc url urn w3id wikidata other"
)
_METADATA_FIELDS = _words(
    "resource_type title publication_date creators description version publisher rights subjects "
    "related_identifiers funding copyright contributors additional_titles additional_descriptions "
    "dates languages identifiers locations references sizes formats"
)
_FREE_FIELDS = _words("additional_titles identifiers locations sizes formats")
# Vocabularies the emulator knows no list of: an id of a plausible shape passes, and the stored record
# carries a title, as the server's vocabulary lookup adds one (here: the id itself).
_PLAUSIBLE_IDS = {
    "languages": re.compile(r"[a-z]{3}"),
    "roles": re.compile(r"[a-z]+"),
    "datetypes": re.compile(r"[a-z]+"),
    "descriptiontypes": re.compile(r"[a-z]+(-[a-z]+)*"),
    "code:programmingLanguages": re.compile(r"[a-z0-9_+#.-]+"),
    "code:developmentStatus": re.compile(r"[a-z]+"),
}
# invenio-rdm-records contrib/*/custom_fields.py: the keys of the nested custom fields.
_NESTED_CUSTOM_FIELDS = {
    "journal:journal": _words("title issue volume pages issn"),
    "meeting:meeting": _words("acronym dates place session_part session title url identifiers"),
    "imprint:imprint": _words("title isbn pages place edition"),
    "thesis:thesis": _words("university department type date_submitted date_defended"),
}


@dataclass(frozen=True)
class Vocabularies:
    """Known ids per vocabulary; None means "accept any plausible id"."""

    licenses: frozenset[str] | None = None
    resource_types: frozenset[str] | None = None
    relation_types: frozenset[str] | None = None
    affiliations: frozenset[str] | None = None
    funders: frozenset[str] | None = None
    awards: frozenset[str] | None = None

    @classmethod
    def from_dir(cls, directory: Path | None) -> Vocabularies:
        """Load `licenses.json`, `resource_types.json`, `relation_types.json` and, when present,
        `affiliations.json`, `funders.json`, `awards.json` (JSON objects or lists of ids)."""
        if directory is None:
            return cls()
        loaded: dict[str, frozenset[str] | None] = {}
        for name in ("licenses", "resource_types", "relation_types", "affiliations", "funders", "awards"):
            path = directory / f"{name}.json"
            loaded[name] = frozenset(json.loads(path.read_text("utf-8"))) if path.is_file() else None
        return cls(**loaded)

    def knows(self, vocabulary: str, value: object) -> bool:
        if not isinstance(value, str):
            return False
        known: frozenset[str] | None = getattr(self, vocabulary)
        if known is None:
            return bool(_PLAUSIBLE[vocabulary].fullmatch(value))
        return value in known


@dataclass
class Checked:
    """The outcome of checking a draft body.

    `metadata` is what a save keeps (invalid fields dropped, names and HTML filled in by the server);
    `errors` is what would fail publication; `vocabulary_errors` refuse the whole save.
    """

    metadata: dict[str, Any]
    access: dict[str, Any] | None
    custom_fields: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    vocabulary_errors: list[dict[str, Any]] = field(default_factory=list)


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}
        self.vocabulary: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_field.setdefault(path, []).append(message)

    def unknown_id(self, path: str, value: object) -> None:
        self.vocabulary.setdefault(path, []).append(f"Invalid value {value}.")

    @staticmethod
    def as_list(by_field: dict[str, list[str]]) -> list[dict[str, Any]]:
        return [{"field": name, "messages": messages} for name, messages in by_field.items()]


def check_document(body: dict[str, Any], vocab: Vocabularies, now: dt.datetime | None = None) -> Checked:
    """Check a POST /records or PUT /records/{id}/draft body the way the server's schema loads it;
    `now` (default: the real time, UTC) is what an embargo's date is compared with."""
    errors = _Errors()
    metadata_in = body.get("metadata", {})
    metadata: dict[str, Any] = {}
    if not isinstance(metadata_in, dict):
        errors.add("metadata", "Invalid input type.")
        metadata_in = {}
    for name, value in metadata_in.items():
        if name not in _METADATA_FIELDS:
            errors.add(f"metadata.{name}", UNKNOWN_FIELD)
            continue
        kept = _check_metadata_field(name, value, f"metadata.{name}", errors, vocab)
        if kept is not _DROP:
            metadata[name] = kept
    for name in ("resource_type", "title", "publication_date", "creators"):
        if name not in metadata_in:
            errors.add(f"metadata.{name}", REQUIRED)

    access: dict[str, Any] | None = None
    if "access" in body:
        access = check_access(body["access"], errors, now or dt.datetime.now(dt.UTC))
    custom_fields = _check_custom_fields(body.get("custom_fields", {}), errors)
    return Checked(
        metadata=metadata,
        access=access,
        custom_fields=custom_fields,
        errors=_Errors.as_list(errors.by_field),
        vocabulary_errors=_Errors.as_list(errors.vocabulary),
    )


class _Drop:
    """Marks a value the schema refused: a draft save does not keep it."""


_DROP: Any = _Drop()


def _check_metadata_field(name: str, value: Any, path: str, errors: _Errors, vocab: Vocabularies) -> Any:
    if name == "title":
        if not isinstance(value, str):
            errors.add(path, NOT_A_STRING)
            return _DROP
        if len(value.strip()) < 3:
            errors.add(path, "Shorter than minimum length 3.")
            return _DROP
        return value.strip()
    if name == "resource_type":
        return _check_vocabulary_ref(value, path, "resource_types", errors, vocab)
    if name == "publication_date":
        if not isinstance(value, str) or not is_edtf_date(value):
            errors.add(path, "Please provide a valid date or interval.")
            return _DROP
        return value
    if name in ("creators", "contributors"):
        if not isinstance(value, list):
            errors.add(path, "Not a valid list.")
            return _DROP
        if name == "creators" and not value:
            errors.add(path, REQUIRED)
        return [
            kept
            for i, item in enumerate(value)
            if (kept := _check_creator(item, f"{path}.{i}", errors, role_required=name == "contributors"))
            is not _DROP
        ]
    if name in _EXTRA_CHECKS:
        if not isinstance(value, list):
            errors.add(path, "Not a valid list.")
            return _DROP
        check_extra = _EXTRA_CHECKS[name]
        return [
            kept
            for i, item in enumerate(value)
            if (kept := check_extra(item, f"{path}.{i}", errors)) is not _DROP
        ]
    if name == "description":
        if not isinstance(value, str):
            errors.add(path, NOT_A_STRING)
            return _DROP
        return sanitize_html(value)
    if name in ("version", "publisher", "copyright"):
        if not isinstance(value, str):
            errors.add(path, NOT_A_STRING)
            return _DROP
        return value
    if name in ("rights", "subjects", "related_identifiers", "funding"):
        if not isinstance(value, list):
            errors.add(path, "Not a valid list.")
            return _DROP
        check = {
            "rights": _check_right,
            "subjects": _check_subject,
            "related_identifiers": _check_related,
            "funding": _check_funding,
        }[name]
        return [
            kept
            for i, item in enumerate(value)
            if (kept := check(item, f"{path}.{i}", errors, vocab)) is not _DROP
        ]
    assert name in _FREE_FIELDS
    return value


def _check_vocabulary_ref(
    value: Any, path: str, vocabulary: str, errors: _Errors, vocab: Vocabularies
) -> Any:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        errors.add(path, "Invalid input type.")
        return _DROP
    if not vocab.knows(vocabulary, value["id"]):
        errors.unknown_id(f"{path}.id", value["id"])
    return {"id": value["id"]}


def _check_creator(item: Any, path: str, errors: _Errors, *, role_required: bool = False) -> Any:
    if not isinstance(item, dict):
        errors.add(path, "Invalid input type.")
        return _DROP
    creator = dict(item)
    if "role" in item:
        creator["role"] = _titled(item["role"], f"{path}.role", "roles", errors)
    elif role_required:
        # ContributorSchema: role = fields.Nested(VocabularySchema, required=True)
        errors.add(f"{path}.role", REQUIRED)
    person = item.get("person_or_org")
    if not isinstance(person, dict):
        errors.add(f"{path}.person_or_org", REQUIRED)
        return creator
    person = dict(person)
    kind = person.get("type")
    ppath = f"{path}.person_or_org"
    if kind == "personal":
        family, given = person.get("family_name"), person.get("given_name")
        if not isinstance(family, str) or not family.strip():
            errors.add(f"{ppath}.family_name", "Family name must be filled.")
        else:
            # The server computes `name` from the parts and ignores a client's own.
            person["name"] = f"{family}, {given}" if isinstance(given, str) and given else family
    elif kind == "organizational":
        if not isinstance(person.get("name"), str) or not person["name"].strip():
            errors.add(f"{ppath}.name", "Name cannot be blank.")
    else:
        errors.add(f"{ppath}.type", "Invalid value. Must be one of: personal, organizational.")
    if "identifiers" in person:
        person["identifiers"] = _check_person_identifiers(
            person["identifiers"], f"{ppath}.identifiers", errors
        )
    creator["person_or_org"] = person
    if "affiliations" in item:
        creator["affiliations"] = _check_affiliations(item["affiliations"], f"{path}.affiliations", errors)
    return creator


def _check_person_identifiers(value: Any, path: str, errors: _Errors) -> list[Any]:
    if not isinstance(value, list):
        errors.add(path, "Not a valid list.")
        return []
    kept = []
    for i, ident in enumerate(value):
        scheme = ident.get("scheme") if isinstance(ident, dict) else None
        identifier = ident.get("identifier") if isinstance(ident, dict) else None
        if scheme not in _PERSON_SCHEMES:
            errors.add(f"{path}.{i}.scheme", f"Invalid value. Must be one of: {', '.join(_PERSON_SCHEMES)}.")
        elif not isinstance(identifier, str) or not _valid_person_identifier(scheme, identifier):
            errors.add(f"{path}.{i}.identifier", f"Invalid {scheme} identifier.")
        else:
            kept.append(ident)
    return kept


def _valid_person_identifier(scheme: str, identifier: str) -> bool:
    if scheme == "orcid":
        return is_orcid(identifier)
    if scheme == "isni":
        return bool(_ISNI.fullmatch(identifier))
    if scheme == "ror":
        return bool(_ROR.fullmatch(identifier))
    return bool(_GND.fullmatch(identifier))


def _check_affiliations(value: Any, path: str, errors: _Errors) -> list[Any]:
    if not isinstance(value, list):
        errors.add(path, "Not a valid list.")
        return []
    kept: list[Any] = []
    for i, aff in enumerate(value):
        if not isinstance(aff, dict):
            errors.add(f"{path}.{i}", "Invalid input type.")
            continue
        has_id, has_name = "id" in aff, "name" in aff
        if has_id == has_name:
            errors.add(f"{path}.{i}", "An existing id or a free text name must be present, not both.")
            continue
        if has_id and not (isinstance(aff["id"], str) and _ROR.fullmatch(aff["id"])):
            errors.unknown_id(f"{path}.{i}.id", aff["id"])
        if aff in kept:
            errors.add(path, "Duplicated affiliations.")
            continue
        kept.append(aff)
    return kept


def _check_right(item: Any, path: str, errors: _Errors, vocab: Vocabularies) -> Any:
    if not isinstance(item, dict) or ("id" in item) == ("title" in item):
        errors.add(path, "An existing id or a free text title must be present, not both.")
        return _DROP
    if "id" in item and not vocab.knows("licenses", item["id"]):
        errors.unknown_id(f"{path}.id", item["id"])
    if "title" in item and not isinstance(item["title"], dict):
        errors.add(f"{path}.title", "Not a valid mapping type.")
        return _DROP
    return item


def _check_subject(item: Any, path: str, errors: _Errors, vocab: Vocabularies) -> Any:
    if not isinstance(item, dict) or not (isinstance(item.get("subject"), str) or "id" in item):
        errors.add(path, "An existing id or a free text subject must be present.")
        return _DROP
    return item


def _check_related(item: Any, path: str, errors: _Errors, vocab: Vocabularies) -> Any:
    if not isinstance(item, dict):
        errors.add(path, "Invalid input type.")
        return _DROP
    identifier, scheme = item.get("identifier"), item.get("scheme")
    if not isinstance(identifier, str) or not identifier:
        errors.add(f"{path}.identifier", REQUIRED)
        return _DROP
    if scheme not in _RELATED_SCHEMES:
        errors.add(f"{path}.scheme", "Invalid scheme.")
        return _DROP
    if (scheme == "doi" and not _DOI.fullmatch(identifier)) or (
        scheme == "url" and not _URL.fullmatch(identifier)
    ):
        errors.add(f"{path}.identifier", f"Invalid {scheme} identifier.")
        return _DROP
    if "relation_type" not in item:
        errors.add(f"{path}.relation_type", REQUIRED)
    else:
        _check_vocabulary_ref(item["relation_type"], f"{path}.relation_type", "relation_types", errors, vocab)
    if "resource_type" in item:
        _check_vocabulary_ref(item["resource_type"], f"{path}.resource_type", "resource_types", errors, vocab)
    return item


def _check_funding(item: Any, path: str, errors: _Errors, vocab: Vocabularies) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("funder"), dict):
        errors.add(f"{path}.funder", REQUIRED)
        return _DROP
    funder = item["funder"]
    if ("id" in funder) == ("name" in funder):
        errors.add(f"{path}.funder", "An existing id or a free text name must be present, not both.")
        return _DROP
    if "id" in funder and not (isinstance(funder["id"], str) and _ROR.fullmatch(funder["id"])):
        errors.unknown_id(f"{path}.funder.id", funder["id"])
    award = item.get("award")
    if award is not None:
        if not isinstance(award, dict):
            errors.add(f"{path}.award", "Invalid input type.")
            return _DROP
        # invenio-vocabularies contrib/awards/schema.py AwardRelationSchema.validate_data
        if not award.get("id") and not (award.get("number") or award.get("title")):
            errors.add(f"{path}.award", "An existing id or either number or title must be present.")
            return _DROP
    return item


def _titled(value: Any, path: str, vocabulary: str, errors: _Errors) -> Any:
    """A reference to a vocabulary the emulator has no list of: {"id"} in, {"id", "title"} stored."""
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        errors.add(path, "Invalid input type.")
        return value
    if not _PLAUSIBLE_IDS[vocabulary].fullmatch(value["id"]):
        errors.unknown_id(f"{path}.id", value["id"])
    return {"id": value["id"], "title": {"en": value["id"]}}


def _check_language(item: Any, path: str, errors: _Errors) -> Any:
    return _titled(item, path, "languages", errors)


def _check_date(item: Any, path: str, errors: _Errors) -> Any:
    # invenio-rdm-records DateSchema: date (EDTF date or interval) and type required, description.
    if not isinstance(item, dict):
        errors.add(path, "Invalid input type.")
        return _DROP
    kept = dict(item)
    if not isinstance(item.get("date"), str) or not is_edtf_date(item["date"]):
        errors.add(f"{path}.date", "Please provide a valid date or interval.")
    _typed(item, kept, path, "datetypes", errors)
    return kept


def _check_description(item: Any, path: str, errors: _Errors) -> Any:
    # DescriptionSchema: description (SanitizedHTML, at least 3 characters) and type required, lang.
    if not isinstance(item, dict):
        errors.add(path, "Invalid input type.")
        return _DROP
    kept = dict(item)
    text = item.get("description")
    if not isinstance(text, str) or len(text.strip()) < 3:
        errors.add(f"{path}.description", "Shorter than minimum length 3.")
    else:
        kept["description"] = sanitize_html(text)
    _typed(item, kept, path, "descriptiontypes", errors)
    return kept


def _typed(item: dict[str, Any], kept: dict[str, Any], path: str, vocabulary: str, errors: _Errors) -> None:
    """The required `type` of a date or description, a vocabulary reference (the server adds its title)."""
    if "type" not in item:
        errors.add(f"{path}.type", REQUIRED)
    else:
        kept["type"] = _titled(item["type"], f"{path}.type", vocabulary, errors)


def _check_reference(item: Any, path: str, errors: _Errors) -> Any:
    # ReferenceSchema: reference required; identifier and scheme optional.
    if not isinstance(item, dict) or not isinstance(item.get("reference"), str) or not item["reference"]:
        errors.add(f"{path}.reference", REQUIRED)
        return _DROP
    if "scheme" in item and item["scheme"] not in _RELATED_SCHEMES:
        errors.add(f"{path}.scheme", "Invalid scheme.")
    return item


_EXTRA_CHECKS = {
    "languages": _check_language,
    "dates": _check_date,
    "additional_descriptions": _check_description,
    "references": _check_reference,
}


def _check_custom_fields(value: Any, errors: _Errors) -> dict[str, Any]:
    if not isinstance(value, dict):
        errors.add("custom_fields", "Invalid input type.")
        return {}
    kept = {}
    for name, item in value.items():
        path = f"custom_fields.{name}"
        if not _known_custom_field(name):
            errors.add(path, UNKNOWN_FIELD)
        elif name == "code:codeRepository" and not (isinstance(item, str) and _URL.fullmatch(item)):
            errors.add(path, "Not a valid URL.")
        elif name == "code:developmentStatus":
            kept[name] = _titled(item, path, "code:developmentStatus", errors)
        elif name == "code:programmingLanguage":
            if isinstance(item, list):
                kept[name] = [
                    _titled(x, f"{path}.{i}", "code:programmingLanguages", errors) for i, x in enumerate(item)
                ]
            else:
                errors.add(path, "Not a valid list.")
        elif name in _NESTED_CUSTOM_FIELDS:
            if _check_nested(item, path, _NESTED_CUSTOM_FIELDS[name], errors):
                kept[name] = item
        else:
            kept[name] = item
    return kept


# Zenodo's custom fields (zenodo-rdm site/zenodo_rdm/custom_fields/__init__.py): the structured ones
# by name, the domain and legacy ones by namespace. `thesis:university` is gone (inside thesis:thesis).
_STRUCTURED_CUSTOM_FIELDS = _words(
    "code:codeRepository code:programmingLanguage code:developmentStatus journal:journal meeting:meeting "
    "imprint:imprint thesis:thesis"
)
_DOMAIN_NAMESPACES = _words("dwc gbif-dwc gbif mixs ac openbiodiv obo dc legacy")


def _known_custom_field(name: str) -> bool:
    namespace, colon, rest = name.partition(":")
    return name in _STRUCTURED_CUSTOM_FIELDS or bool(colon and rest and namespace in _DOMAIN_NAMESPACES)


def _check_nested(item: Any, path: str, allowed: frozenset[str], errors: _Errors) -> bool:
    if not isinstance(item, dict):
        errors.add(path, "Invalid input type.")
        return False
    unknown = [key for key in item if key not in allowed]
    for key in unknown:
        errors.add(f"{path}.{key}", UNKNOWN_FIELD)
    return not unknown


def publish_errors(
    metadata: dict[str, Any], access: dict[str, Any] | None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Errors a stored draft would meet at publication (its invalid parts were dropped at save; an
    embargo whose date has come since it was saved fails now)."""
    checked = check_document({"metadata": metadata, "access": access or {}}, Vocabularies(), now)
    errors = checked.errors
    if access is None:
        errors.append({"field": "access", "messages": [REQUIRED]})
    elif access.get("record") == "restricted":
        # Zenodo refuses restricted records; only the files may be restricted.
        errors.append({"field": "access.record", "messages": ["Restricted records are not allowed."]})
    return errors


def is_edtf_date(value: str) -> bool:
    """A level-0 EDTF date (YYYY, YYYY-MM, YYYY-MM-DD) or an interval of two of them."""
    parts = value.split("/")
    if len(parts) > 2 or not all(parts):
        return False
    for part in parts:
        pieces = part.split("-")
        if not all(p.isdigit() for p in pieces) or len(pieces[0]) != 4 or len(pieces) > 3:
            return False
        if any(len(p) != 2 for p in pieces[1:]):
            return False
        try:
            dt.date(
                int(pieces[0]),
                int(pieces[1]) if len(pieces) > 1 else 1,
                int(pieces[2]) if len(pieces) > 2 else 1,
            )
        except ValueError:
            return False
    return True


def is_orcid(value: str) -> bool:
    """An ORCID iD 0000-0000-0000-000X with a valid ISO 7064 11,2 check digit."""
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value):
        return False
    digits = value.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


_ALLOWED_TAGS = _words(
    "a abbr acronym b blockquote br code div em h1 h2 h3 h4 h5 h6 hr i img li ol p pre s span strike "
    "strong sub sup table tbody td th thead tr u ul"
)
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "acronym": {"title"},
    "img": {"src", "alt", "title"},
}
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed"})


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in _ALLOWED_TAGS:
            return
        allowed = _ALLOWED_ATTRS.get(tag, set())
        kept = [
            (name, val)
            for name, val in attrs
            if name in allowed and not (val or "").strip().lower().startswith("javascript:")
        ]
        text = self.get_starttag_text() or f"<{tag}>"
        if len(kept) == len(attrs):
            self.out.append(text)  # keep the author's spelling when nothing is removed
        else:
            rendered = "".join(f' {n}="{escape(v or "")}"' for n, v in kept)
            self.out.append(f"<{tag}{rendered}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
        elif not self.skipping and tag in _ALLOWED_TAGS:
            self.out.append(f"</{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and tag in _ALLOWED_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self.skipping:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self.skipping:
            self.out.append(f"&#{name};")


def sanitize_html(value: str) -> str:
    """Strip what Zenodo's sanitiser strips: scripts and styles with their content, other tags and
    event-handler attributes but not their text."""
    parser = _Sanitiser()
    parser.feed(value)
    parser.close()
    return "".join(parser.out)
