"""CITATION.cff: a CFF 1.2.0 validation of zsync's own, with every problem at its line.

Read with zsync's YAML loader (`zsync.loader.fromyaml`), which keeps the line of every key and value;
cffconvert, the maintained CFF library, validates with `jsonschema` on a plain `dict` and so can
name a field but not its line. The rules here are those of the official schema
(https://citation-file-format.github.io/1.2.0/schema.json): the keys each mapping allows, the
required ones, the types, lengths, patterns and enumerations, unique list items.
tests/test_citation_schema.py checks them against that schema, document by document. Two checks are
left to the mapping instead of failing the file: a licence id is checked against Zenodo's licence
list (a warning when Zenodo lacks it), and a country code is checked for its shape only.

What the fields become on Zenodo is `zsync.metasources`' concern.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from zsync.errors import Problem
from zsync.lazyre import Lazy
from zsync.loader.nodes import Node, Unreadable

CFF_VERSION = "1.2.0"

_DATE = Lazy(r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$")
_DOI = Lazy(r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-\.\(\)\[\]\\]+$")
_EMAIL = Lazy(r"^[\S]+@[\S]+\.[\S]{2,}$")
_ORCID = Lazy(r"https://orcid\.org/[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]{1}")
_URL = Lazy(r"^(https|http|ftp|sftp)://.+")
_SWH = Lazy(r"^swh:1:(snp|rel|rev|dir|cnt):[0-9a-fA-F]{40}$")
_COUNTRY = Lazy(r"^[A-Z]{2}$")

REFERENCE_TYPES = (
    "art", "article", "audiovisual", "bill", "blog", "book", "catalogue", "conference-paper", "conference",
    "data", "database", "dictionary", "edited-work", "encyclopedia", "film-broadcast", "generic",
    "government-document", "grant", "hearing", "historical-work", "legal-case", "legal-rule",
    "magazine-article", "manual", "map", "multimedia", "music", "newspaper-article", "pamphlet", "patent",
    "personal-communication", "proceedings", "report", "serial", "slides", "software-code",
    "software-container", "software-executable", "software-virtual-machine", "software", "sound-recording",
    "standard", "statute", "thesis", "unpublished", "video", "website",
)  # fmt: skip

REFERENCE_KEYS = (
    "abbreviation", "abstract", "authors", "collection-doi", "collection-title", "collection-type", "commit",
    "conference", "contact", "copyright", "data-type", "database", "database-provider", "date-accessed",
    "date-downloaded", "date-published", "date-released", "department", "doi", "edition", "editors",
    "editors-series", "end", "entry", "filename", "format", "identifiers", "institution", "isbn", "issn",
    "issue", "issue-date", "issue-title", "journal", "keywords", "languages", "license", "license-url",
    "loc-end", "loc-start", "location", "medium", "month", "nihmsid", "notes", "number", "number-volumes",
    "pages", "patent-states", "pmcid", "publisher", "recipients", "repository", "repository-artifact",
    "repository-code", "scope", "section", "senders", "start", "status", "term", "thesis-type", "title",
    "translators", "type", "url", "version", "volume", "volume-title", "year", "year-original",
)  # fmt: skip

Check = Callable[["_At"], Iterator[tuple[int, str, str]]]


class _At:
    """A node of the CFF document with its field path."""

    __slots__ = ("node", "path")

    def __init__(self, node: Node, path: str) -> None:
        self.node = node
        self.path = path

    def key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, message: str) -> Iterator[tuple[int, str, str]]:
        yield self.node.line, self.path, message


def scalar_value(node: Node) -> object:
    """A scalar's value, a YAML date as its ISO text (the schema asks tools to cast them)."""
    try:
        value = node.value()
    except Unreadable:
        return None
    return value.isoformat() if isinstance(value, date) else value


def _string(at: _At) -> Iterator[tuple[int, str, str]]:
    value = scalar_value(at.node) if at.node.kind == "scalar" else None
    if not isinstance(value, str):
        yield from at.fail(f"must be a string ({_what(at.node)})")
    elif not value:
        yield from at.fail("must not be empty")


def _pattern(regex: Lazy, what: str) -> Check:
    def check(at: _At) -> Iterator[tuple[int, str, str]]:
        value = scalar_value(at.node) if at.node.kind == "scalar" else None
        if not isinstance(value, str):
            yield from at.fail(f"must be {what} as a string ({_what(at.node)})")
        elif not regex.search(value):
            yield from at.fail(f"{value!r} is not {what}")

    return check


def _enum(choices: tuple[str, ...], what: str) -> Check:
    def check(at: _At) -> Iterator[tuple[int, str, str]]:
        value = scalar_value(at.node) if at.node.kind == "scalar" else None
        if value not in choices:
            yield from at.fail(f"{value!r} is not {what} (one of: {', '.join(choices)})")

    return check


def _string_or_number(at: _At) -> Iterator[tuple[int, str, str]]:
    value = scalar_value(at.node) if at.node.kind == "scalar" else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    yield from _string(at)


def _what(node: Node) -> str:
    if node.kind != "scalar":
        return f"got a {'mapping' if node.kind == 'mapping' else 'list'}"
    value = scalar_value(node)
    return "got nothing" if value is None else f"got {type(value).__name__} {node.text()!r}"


_DATE_CHECK = _pattern(_DATE, "a date YYYY-MM-DD")
_URL_CHECK = _pattern(_URL, "a URL (https://...)")
_ORCID_CHECK = _pattern(_ORCID, "an ORCID URL (https://orcid.org/0000-0000-0000-0000)")
_DOI_CHECK = _pattern(_DOI, "a DOI (10.5281/zenodo.1234)")

_CONTACT_FIELDS: dict[str, Check] = {
    "address": _string,
    "alias": _string,
    "city": _string,
    "country": _pattern(_COUNTRY, "an ISO 3166-1 country code (two capital letters)"),
    "email": _pattern(_EMAIL, "an email address"),
    "fax": _string,
    "orcid": _ORCID_CHECK,
    "post-code": _string_or_number,
    "region": _string,
    "tel": _string,
    "website": _URL_CHECK,
}
PERSON_FIELDS: dict[str, Check] = {
    **_CONTACT_FIELDS,
    "affiliation": _string,
    "family-names": _string,
    "given-names": _string,
    "name-particle": _string,
    "name-suffix": _string,
}
ENTITY_FIELDS: dict[str, Check] = {
    **_CONTACT_FIELDS,
    "date-end": _DATE_CHECK,
    "date-start": _DATE_CHECK,
    "location": _string,
    "name": _string,
}


def _fields(at: _At, fields: dict[str, Check], required: tuple[str, ...] = ()) -> list[tuple[int, str, str]]:
    """A mapping whose keys are `fields` (each checked), `required` present, no key twice."""
    if at.node.kind != "mapping":
        return list(at.fail(f"must be a mapping ({_what(at.node)})"))
    found: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for key_node, value in at.node.pairs():
        key = scalar_value(key_node)
        name = str(key)
        if name in seen:
            found.append((key_node.line, at.key(name), "is given twice"))
        seen.add(name)
        if not isinstance(key, str) or key not in fields:
            found.append((key_node.line, at.key(name), f"unknown key {name!r} in CFF {CFF_VERSION}"))
            continue
        found.extend(fields[key](_At(value, at.key(key))))
    found.extend((at.node.line, at.key(key), "is required") for key in required if key not in seen)
    return found


def _author(at: _At) -> Iterator[tuple[int, str, str]]:
    """A person or an entity (an entity has a `name`, a person never does)."""
    if at.node.kind == "mapping" and any(scalar_value(k) == "name" for k, _ in at.node.pairs()):
        yield from _fields(at, ENTITY_FIELDS, ("name",))
    else:
        yield from _fields(at, PERSON_FIELDS)


def _list_of(item: Check) -> Check:
    """A non-empty list of unique items, each checked."""

    def check(at: _At) -> Iterator[tuple[int, str, str]]:
        if at.node.kind != "sequence":
            yield from at.fail(f"must be a list ({_what(at.node)})")
            return
        items = at.node.items()
        if not items:
            yield from at.fail("must not be an empty list")
        seen: dict[str, int] = {}
        for index, node in enumerate(items):
            yield from item(_At(node, f"{at.path}[{index}]"))
            shape = _plain(node)
            if shape in seen:
                yield node.line, f"{at.path}[{index}]", f"repeats item {seen[shape]} (items must be unique)"
            seen.setdefault(shape, index)

    return check


def _plain(node: Node) -> str:
    """A node's content as text, for the uniqueness of list items."""
    if node.kind == "mapping":
        return "{" + ",".join(sorted(f"{_plain(k)}:{_plain(v)}" for k, v in node.pairs())) + "}"
    if node.kind == "sequence":
        return "[" + ",".join(_plain(item) for item in node.items()) + "]"
    return repr(scalar_value(node))


def _identifier(at: _At) -> Iterator[tuple[int, str, str]]:
    kind = None
    if at.node.kind == "mapping":
        kind = next((scalar_value(v) for k, v in at.node.pairs() if scalar_value(k) == "type"), None)
    value_check = _IDENTIFIER_VALUES.get(kind if isinstance(kind, str) else "", _string)
    fields: dict[str, Check] = {
        "type": _enum(tuple(_IDENTIFIER_VALUES), "an identifier type"),
        "value": value_check,
        "description": _string,
    }
    yield from _fields(at, fields, ("type", "value"))


_IDENTIFIER_VALUES: dict[str, Check] = {
    "doi": _DOI_CHECK,
    "url": _URL_CHECK,
    "swh": _pattern(_SWH, "a Software Heritage id (swh:1:rel:...)"),
    "other": _string,
}


def _license(at: _At) -> Iterator[tuple[int, str, str]]:
    if at.node.kind == "sequence":
        yield from _list_of(_string)(at)
    else:
        yield from _string(at)


_AUTHORS = _list_of(_author)


def _reference(at: _At) -> Iterator[tuple[int, str, str]]:
    """A reference: its keys, `authors`, `title` and `type` required and checked; the other
    fields of a reference are not read by zsync and are checked for their key only."""
    checks: dict[str, Check] = dict.fromkeys(REFERENCE_KEYS, _anything)
    checks |= {
        "authors": _AUTHORS,
        "title": _string,
        "type": _enum(REFERENCE_TYPES, "a reference type"),
        "doi": _DOI_CHECK,
        "url": _URL_CHECK,
        "identifiers": _list_of(_identifier),
    }
    yield from _fields(at, checks, ("authors", "title", "type"))


def _anything(at: _At) -> Iterator[tuple[int, str, str]]:
    return iter(())


TOP_FIELDS: dict[str, Check] = {
    "abstract": _string,
    "authors": _AUTHORS,
    "cff-version": _pattern(Lazy(r"^1\.2\.0$"), "1.2.0"),
    "commit": _string,
    "contact": _AUTHORS,
    "date-released": _DATE_CHECK,
    "doi": _DOI_CHECK,
    "identifiers": _list_of(_identifier),
    "keywords": _list_of(_string),
    "license": _license,
    "license-url": _URL_CHECK,
    "message": _string,
    "preferred-citation": _reference,
    "references": _list_of(_reference),
    "repository": _URL_CHECK,
    "repository-artifact": _URL_CHECK,
    "repository-code": _URL_CHECK,
    "title": _string,
    "type": _enum(("dataset", "software"), "a CFF type"),
    "url": _URL_CHECK,
    "version": _string_or_number,
}
REQUIRED = ("authors", "cff-version", "message", "title")


def validate(root: Node, file: str) -> list[Problem]:
    """Every way `root` (a composed CITATION.cff) fails CFF 1.2.0, by line."""
    found = _fields(_At(root, ""), TOP_FIELDS, REQUIRED)
    hint = f"see https://citation-file-format.github.io/{CFF_VERSION}/schema.json"
    return [
        Problem(file, line, path, message, hint if index == 0 else None)
        for index, (line, path, message) in enumerate(sorted(found, key=lambda p: p[0]))
    ]
