"""The rules of zenodo.yaml that a row of the table cannot say on its own.

Value parsers that need more than a string or a vocabulary (the endpoint, `version`, `license`,
the paths and the files they name) and the `build` functions of the mappings whose fields
constrain each other: a creator is a person or an organisation, an award has an id or a title and
a number, an affiliation or a funder is a ROR id or a name. `zsync.configschema` puts them in the
table; `zsync.jsonschema` repeats the same rules for editors.

The paths are only resolved here (against the config file's folder, `~` expanded); whether the
files exist is checked after the walk by `zsync.filecheck`, and only when asked to.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import SplitResult, urlsplit

from zsync import filecheck, identifiers, metasources, versions, vocabulary
from zsync.frozen import replace
from zsync.lazyre import Lazy
from zsync.loader.walk import (
    INVALID,
    Cursor,
    Late,
    Parser,
    Record,
    Walker,
    choice,
    describe,
    identifier,
    scalar,
    sequence,
    string,
)
from zsync.models import (
    Access,
    Affiliation,
    Award,
    Creator,
    Funding,
    Reference,
    RelatedIdentifier,
    WriteBackFiles,
)

DEFAULT_RECORD_ID_FILE = ".zenodo-record-id.txt"
KNOWN_ENDPOINTS = ("https://zenodo.org/api", "https://sandbox.zenodo.org/api")
# Zenodo's limits (see the InvenioRDM contract): files per record, characters per file name.
MAX_FILES = 100
MAX_KEY_CHARS = 255
README_SUFFIXES = (".md", ".html")

# --------------------------------------------------------------------------- endpoint


_ZENODO_HOSTS = ("zenodo.org", "sandbox.zenodo.org")


def check_endpoint(value: str) -> tuple[str | None, str, str | None]:
    """(normalised endpoint, "", None) when valid, else (None, message, hint)."""
    known = " or ".join(KNOWN_ENDPOINTS)
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        _ = parts.port
    except ValueError as exc:
        return None, f"{value!r} is not a URL ({exc})", f"use {known}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or re.search(r"\s", text):
        return None, f"{value!r} is not an http(s) URL", f"use {known}"
    if parts.username is not None or parts.password is not None:
        return None, "the endpoint must not contain a user name or password", "give the token in ZENODO_TOKEN"
    if parts.query or parts.fragment:
        # The value is not echoed: a query string is where people paste access tokens.
        return None, "the endpoint must not have a query (?...) or fragment (#...)", f"use {known}"
    return _check_host(value, parts, host)


def _check_host(value: str, parts: SplitResult, host: str) -> tuple[str | None, str, str | None]:
    scheme = parts.scheme.lower()
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    path = re.sub("/+", "/", parts.path)
    if scheme == "http" and not identifiers.is_loopback_host(host):
        return (
            None,
            f"{value!r} must use https (http is only for a local test server)",
            f"did you mean 'https://{netloc}{path}'?",
        )
    bare = host.removeprefix("www.")
    if bare in _ZENODO_HOSTS:
        wanted = f"https://{bare}/api"
        if host != bare or path != "/api" or parts.port is not None:
            return None, f"{value!r} is not Zenodo's API endpoint", f"did you mean {wanted!r}?"
        return wanted, "", None
    guess = vocabulary.closest(bare, _ZENODO_HOSTS)
    if guess is not None and not identifiers.is_loopback_host(host):
        return None, f"{value!r}: unknown host {host!r}", f"did you mean 'https://{guess}/api'?"
    if not path.endswith("/api"):
        return None, f"{value!r} does not end with /api", f"did you mean '{scheme}://{netloc}{path}/api'?"
    return f"{scheme}://{netloc}{path}", "", None


def endpoint_required(walk: Walker) -> str:
    """The hint of a missing endpoint; stepup-reprep 4.x used the sandbox then, zsync asks."""
    if walk.generation == "4.x":
        return (
            "stepup-reprep 4.x used the sandbox when it was missing; zsync never guesses where to publish: "
            "write endpoint: https://sandbox.zenodo.org/api to keep that, or https://zenodo.org/api"
        )
    return "for example endpoint: https://sandbox.zenodo.org/api"


def endpoint(at: Cursor) -> str | None:
    text = string(at, example="endpoint: https://sandbox.zenodo.org/api")
    if text is None:
        return None
    result, message, hint = check_endpoint(text)
    if result is None:
        at.add(message, hint)
    return result


# --------------------------------------------------------------------------- paths and files


def resolve(walk: Walker, text: str) -> Path:
    """`text` as an absolute path: `~` expanded, relative to the config file's folder."""
    expanded = Path(os.path.expanduser(text))
    return Path(os.path.normpath(expanded if expanded.is_absolute() else walk.base / expanded))


def local_path(example: str) -> Parser[Path]:
    """A path (not checked: the file may be made later, like the token file)."""

    def parse(at: Cursor) -> Path | None:
        text = string(at, example)
        return None if text is None else resolve(at.walk, text)

    return parse


def record_id_file(at: Cursor) -> Path:
    """`path_record_id`; a value that is not a string falls back to the default file."""
    text = string(at, example=f"path_record_id: {DEFAULT_RECORD_ID_FILE}")
    return _record_id_file(at.walk, at.path, at.line, text if text is not None else DEFAULT_RECORD_ID_FILE)


def default_record_id_file(top: Record) -> Path:
    """The record-id file when `path_record_id` is absent: checked too, when it exists."""
    return _record_id_file(top.cursor.walk, "path_record_id", None, DEFAULT_RECORD_ID_FILE)


def _record_id_file(walk: Walker, path: str, line: int | None, text: str) -> Path:
    found = resolve(walk, text)
    walk.defer(partial(filecheck.record_id_file, walk.spot(path, line), found))
    return found


def readme(at: Cursor) -> Path | None:
    text = string(at, example="path_readme: zenodo.md")
    if text is None:
        return None
    if at.walk.argument_description is not None:
        at.add("the description is also given with --description", "keep one of them")
        return None
    path = resolve(at.walk, text)
    if path.suffix.lower() not in README_SUFFIXES:
        at.add(
            f"{text!r} must be a Markdown (.md) or HTML (.html) file",
            "Zenodo shows it as the description: convert it, or rename it if it is Markdown",
        )
        return None
    spot = at.walk.spot(at.path, at.line)
    at.walk.defer(partial(filecheck.readme, spot, text, path))
    defer_inside(at.walk, ((spot, text, path),))
    return path


def write_back_file(kind: str, example: str) -> Parser[Path]:
    """A file of `write_back` (`kind`: citation, codemeta, readme_badge): it must exist, be of its
    kind and, like the data files, stay in the repository."""

    def parse(at: Cursor) -> Path | None:
        text = string(at, example=example)
        if text is None:
            return None
        path = resolve(at.walk, text)
        spot = at.walk.spot(at.path, at.line)
        at.walk.defer(partial(filecheck.write_back_file, spot, kind, text, path))
        defer_inside(at.walk, ((spot, text, path),))
        return path

    return parse


def write_back(found: Record) -> WriteBackFiles | None:
    """`write_back`: at least one file to write the DOI into."""
    values = found.values()
    if values is None:
        return None
    files = WriteBackFiles(**values)
    if not files.paths:
        found.add("names no file to write the DOI into", "for example write_back: {citation: CITATION.cff}")
        return None
    return files


def allow_outside(at: Cursor) -> bool:
    """`allow_outside: true` lets paths lead out of the repository (see `filecheck.outside`)."""
    _, value = scalar(at)
    if not isinstance(value, bool):
        if value is not INVALID:
            at.add(f"expected true or false, got {describe(value)}", "for example allow_outside: true")
        return False
    at.walk.settings["allow_outside"] = value
    return value


def defer_inside(walk: Walker, files: tuple[filecheck.DataFile, ...]) -> None:
    """Check, after the walk (when `allow_outside` is known), that `files` stay in the repository:
    the config's (its git work tree, or its folder), or for files given as arguments the current
    folder's too."""

    def check(file: str) -> list[Late]:
        if walk.settings.get("allow_outside") or not files:
            return []
        roots = {filecheck.repository_root(walk.config_base)}
        if walk.base != walk.config_base:
            roots.add(filecheck.repository_root(walk.base))
        return filecheck.outside(files, tuple(roots), file)

    walk.defer(check)


def argument_readme(top: Record) -> Path | None:
    """`path_readme` when the config has none: the file given with --description, if any."""
    at = top.cursor.walk.argument_description
    return None if at is None else readme(at)


# --------------------------------------------------------------------------- metadata values


_QUOTED_VERSION = {"TOML": 'version = "{}"', "JSON": '"version": "{}"'}


def version(at: Cursor) -> str | None:
    """`version` must be a string: `version: 1.0` is a float, refused with the hint to quote it."""
    ok, value = scalar(at)
    if ok and isinstance(value, int | float | date) and not isinstance(value, bool):
        written = at.node.text()
        quoted = _QUOTED_VERSION.get(at.walk.syntax, "version: '{}'").format(written)
        at.add(
            f"{at.walk.syntax} reads {written} as {describe(value)}, not as a version string",
            f"quote it: {quoted}",
        )
        return None
    text = string(at, example="version: '1.0.0'")
    if text is not None and not versions.is_orderable(text):
        at.add(
            f"{text!r} is not a version zsync can order, so the next version could not be compared with it",
            versions.ORDERABLE_HINT,
        )
        return None
    return text


LICENSES_URL = "https://zenodo.org/api/vocabularies/licenses?q=&size=500"


def resource_type(choices: tuple[str, ...]) -> Parser[str]:
    """A resource type from `choices` (Zenodo's depositable or linkable list); a retired id is
    refused with its replacement, never rewritten silently."""

    def parse(at: Cursor) -> str | None:
        written = at.node.value() if at.node.kind == "scalar" else None
        replacement = vocabulary.RETIRED_RESOURCE_TYPES.get(written) if isinstance(written, str) else None
        if replacement is not None:
            title = vocabulary.resource_type_title(replacement)
            at.add(
                f"{written!r} is no longer a Zenodo resource type",
                f"write {replacement!r} (titled {title!r} on Zenodo)",
            )
            return None
        return choice(at, choices, "resource type")

    return parse


def licenses(at: Cursor) -> tuple[str, ...]:
    """One licence id or a list of them, lower-cased, from Zenodo's list (not the SPDX list: Zenodo has
    `other-open` and lacks `cc-by-3.0-de`); SPDX's deprecated short forms get their replacements."""
    items = [at]
    if at.node.kind == "sequence":
        items = sequence(at, example="license: cc-by-4.0") or []
    result: list[str] = []
    for item in items:
        text = string(item, example="cc-by-4.0")
        if text is None:
            continue
        license_id = text.lower()
        if license_id in result:
            item.add(f"{text!r} is listed twice")
        elif license_id in vocabulary.license_ids():
            result.append(license_id)
        elif replacements := vocabulary.license_replacements(license_id):
            item.add(
                f"{text!r} is a deprecated SPDX id that Zenodo does not accept",
                f"use {' or '.join(replacements)}",
            )
        else:
            guess = vocabulary.closest(license_id, vocabulary.license_ids())
            hint = f"did you mean {guess!r}?" if guess else f"Zenodo's licence ids: {LICENSES_URL}"
            item.add(f"{text!r} is not a licence id Zenodo knows", hint)
    return tuple(result)


def access(found: Record) -> Access | None:
    """`access.record` must be public (Zenodo refuses restricted records); `files` may be restricted,
    and must be for an embargo (Zenodo's deposit form offers one only then; lifting it makes the
    files public, so an embargo on public files would mean nothing)."""
    files = "public"
    ok = True
    for key, level in found.each():
        if level is None:
            ok = False
        elif key == "record" and level == "restricted":
            found.at(key).add(
                "Zenodo refuses restricted records",
                "keep the record public and use files: restricted to restrict the files",
            )
            ok = False
        elif key == "files":
            files = level
    embargo = found.get("embargo")
    if embargo is not None and files != "restricted":
        at = found.at("files") if found.has("files") else found.at("embargo")
        at.add(
            "an embargo restricts the files until its date, so it needs files: restricted",
            "write access: {files: restricted, embargo: ...}; Zenodo makes the files public on that date",
        )
        ok = False
    if not ok:
        return None
    return Access(record="public", files="restricted" if files == "restricted" else "public", embargo=embargo)


# --------------------------------------------------------------------------- creators


def creator(found: Record) -> Creator | None:
    """A person unless `type: organizational`; a person's `name: 'Family, Given'` is split."""
    kind = found.get("type")
    if kind is None:
        return None
    written = {key: found.get(key) for key in ("family_name", "given_name", "name") if found.has(key)}
    if None in written.values():
        return None
    name = written.get("name")
    if kind == "organizational":
        ok, family, given = _organisation_names(found, name), None, None
    else:
        ok, family, given = _person_names(found, name, written.get("family_name"), written.get("given_name"))
    ids = found.get("identifiers")
    affiliations = found.get("affiliations")
    if not ok or ids is None or affiliations is None:
        return None
    if kind == "organizational":
        return Creator(kind="organizational", name=name, identifiers=ids, affiliations=affiliations)
    return Creator(
        kind="personal",
        family_name=family,
        given_name=given,
        name=name,
        identifiers=ids,
        affiliations=affiliations,
    )


def _organisation_names(found: Record, name: str | None) -> bool:
    ok = True
    for key in ("family_name", "given_name"):
        if found.has(key):
            found.at(key).add("an organizational creator has only a name")
            ok = False
    if name is None and ok:
        found.add("is required for an organizational creator", "name: ACME Consortium", key="name")
        ok = False
    return ok


def _person_names(
    found: Record, name: str | None, family: str | None, given: str | None
) -> tuple[bool, str | None, str | None]:
    """(ok, family name, given name) of a person, who gives family_name or name: 'Family, Given'."""
    if name is None:
        if family is None:
            found.add(
                "is required for a personal creator",
                "family_name: Doe (or name: 'Doe, Jane'; or type: organizational with a name)",
                key="family_name",
            )
            return False, family, given
        return True, family, given
    at = found.at("name")
    if family is not None or given is not None:
        at.add("write either name or family_name/given_name, not both")
        return False, family, given
    if "," not in name:
        at.add(
            f"{name!r} has no comma, so it is unclear whether it is a person or an organisation",
            "write a person as name: 'Family, Given' (or family_name/given_name), "
            "an organisation with type: organizational",
        )
        return False, family, given
    family, _, given = (part.strip() for part in name.partition(","))
    if not family:
        at.add(f"{name!r} has no family name before the comma")
        return False, family, given or None
    return True, family, given or None


def scheme_pairs(found: Record) -> tuple[tuple[str, str], ...] | None:
    """A mapping {scheme: identifier} as (scheme, identifier) pairs in document order."""
    result = []
    ok = True
    for scheme, value in found.each():
        if value is None:
            ok = False
        else:
            result.append((scheme, value))
    return tuple(result) if ok else None


def unique_affiliations(item: Parser[Affiliation]) -> Parser[tuple[Affiliation, ...]]:
    """A list of affiliations, none twice (Zenodo refuses duplicates); fails on any problem."""
    example = "for example affiliations: [{ror: 00cv9y106}, {name: Some Lab}]"

    def parse(at: Cursor) -> tuple[Affiliation, ...] | None:
        start = at.walk.mark()
        parsed = [(index, cursor, item(cursor)) for index, cursor in enumerate(sequence(at, example) or ())]
        seen: dict[Affiliation, int] = {}
        result = []
        for index, cursor, affiliation in parsed:
            if affiliation is None:
                continue
            result.append(affiliation)
            if affiliation in seen:
                cursor.add(
                    f"{affiliation.ror or affiliation.name!r} is listed twice "
                    f"(also affiliations[{seen[affiliation]}]); Zenodo refuses duplicates"
                )
            else:
                seen[affiliation] = index
        return None if at.walk.mark() > start else tuple(result)

    return parse


def organisation(found: Record) -> tuple[str | None, str | None]:
    """(ror, name) of an affiliation or funder, exactly one set; (None, None) after a problem."""
    if len(found.entries) != 1:
        found.add("give exactly one of ror and name", found.shape.example)
        return None, None
    key, value = next(found.each())
    return (value, None) if key == "ror" else (None, value)


def affiliation(found: Record) -> Affiliation | None:
    ror, name = organisation(found)
    return Affiliation(ror=ror, name=name) if ror or name else None


# --------------------------------------------------------------------------- related, funding


def related(found: Record) -> RelatedIdentifier | None:
    scheme = found.get("scheme")
    relation = found.get("relation_type")
    resource_type = found.get("resource_type")
    if found.has("resource_type") and resource_type is None:
        return None
    value = found.get("identifier")
    if scheme is None or relation is None or value is None:
        return None
    return RelatedIdentifier(scheme, value, relation, resource_type)


def scheme_identifier(example: str, scheme_key: str = "scheme") -> Parser[str]:
    """An identifier checked against the scheme given beside it (unchecked when that one failed)."""

    def parse(at: Cursor) -> str | None:
        text = string(at, example)
        scheme = at.sibling(scheme_key)
        if scheme is None:
            return None
        return identifier(at, partial(identifiers.normalize_identifier, scheme), text)

    return parse


def funding(found: Record) -> Funding | None:
    funder = found.get("funder")
    award_ = found.get("award")
    if funder is None or (found.has("award") and award_ is None):
        return None
    ror, name = funder
    return Funding(funder_ror=ror, funder_name=name, award=award_)


def funder(found: Record) -> tuple[str | None, str | None] | None:
    ror, name = organisation(found)
    return (ror, name) if ror or name else None


def award(found: Record) -> Award | None:
    """Either `id` alone, or a `number` or a `title` or both (with optional identifiers): what
    InvenioRDM's AwardRelationSchema accepts ("An existing id or either number or title must be
    present", invenio-vocabularies contrib/awards/schema.py)."""
    texts: dict[str, Any] = {key: found.get(key) for key in ("id", "title", "number") if found.has(key)}
    if None in texts.values():
        return None
    if "id" in texts:
        extra = [key for key in ("title", "number", "identifiers") if found.has(key)]
        if extra:
            found.at(extra[0]).add(
                "an award with an id takes nothing else",
                "Zenodo fills the rest from its award vocabulary; remove either id or the other keys",
            )
            return None
        return Award(id=texts["id"])
    if not texts:
        found.add("give an id, a number or a title", found.shape.example)
        return None
    award_ids = found.get("identifiers")
    if award_ids is None:
        return None
    return Award(title=texts.get("title"), number=texts.get("number"), identifiers=award_ids)


def single_scheme(found: Record) -> tuple[str, str] | None:
    """An award identifier: a mapping with exactly one key, its scheme."""
    if len(found.entries) != 1:
        if found.entries:
            found.add("each identifier is a mapping with exactly one key, its scheme", found.shape.example)
        elif not found.cursor.node.pairs():
            found.add("is empty", found.shape.example)
        return None
    scheme, value = next(found.each())
    return None if value is None else (scheme, value)


# --------------------------------------------------------------------------- #12: metadata extras


def one_or_many(item: Parser[Any], example: str) -> Parser[tuple[Any, ...]]:
    """One value or a list of them (stepup-reprep 4.x accepts both), as a tuple; fails on a problem."""

    def parse(at: Cursor) -> tuple[Any, ...] | None:
        start = at.walk.mark()
        cursors = [at] if at.node.kind != "sequence" else sequence(at, example) or []
        values = [item(cursor) for cursor in cursors]
        if at.walk.mark() > start:
            return None
        return tuple(value for value in values if value is not None)

    return parse


def vocabulary_id(
    ids: Callable[[], tuple[str, ...]], what: str, suggest: Callable[[str], str | None] | None = None
) -> Parser[str]:
    """An id of one of Zenodo's vocabularies (loaded on first use); "did you mean" otherwise."""

    def parse(at: Cursor) -> str | None:
        text = string(at, example=f"'{ids()[0]}'")
        if text is None:
            return None
        if text in ids():
            return text
        guess = (suggest(text) if suggest else None) or vocabulary.closest(text, ids())
        hint = f"did you mean {guess!r}?" if guess else None
        at.add(f"{text!r} is not a known {what}", hint)
        return None

    return parse


def language(at: Cursor) -> str | None:
    """An ISO 639-3 id from Zenodo's `languages` vocabulary; 'en', 'English', 'ENG' get 'eng' suggested."""
    text = string(at, example="'eng'")
    if text is None:
        return None
    if text in vocabulary.languages():
        return text
    guess = vocabulary.language_suggestion(text)
    hint = (
        f"write {guess!r} ({vocabulary.languages()[guess]})" if guess else "an ISO 639-3 code such as 'eng'"
    )
    at.add(f"{text!r} is not an ISO 639-3 language id Zenodo knows", hint)
    return None


def programming_language(at: Cursor) -> str | None:
    return vocabulary_id(
        vocabulary.programming_languages,
        "programming language on Zenodo",
        lambda text: vocabulary.programming_language_titles().get(text.lower()),
    )(at)


_EDTF_DAY = Lazy(r"\d{4}(-\d{2}(-\d{2})?)?")


def _real_day(text: str) -> bool:
    pieces = [int(piece) for piece in text.split("-")]
    try:
        date(pieces[0], *[*pieces[1:], 1, 1][:2])
    except ValueError:
        return False
    return True


def edtf(example: str, *, interval: bool = True) -> Parser[str]:
    """An EDTF level-0 date (YYYY, YYYY-MM, YYYY-MM-DD; a YAML date is taken as written) or, with
    `interval`, two of them as `start/end`: what Zenodo's date fields accept."""

    def parse(at: Cursor) -> str | None:
        ok, value = scalar(at)
        if value is INVALID:
            return None
        if ok and isinstance(value, date):
            return value.isoformat()[:10]
        text = string(at, example)
        if text is None:
            return None
        parts = text.split("/") if interval else [text]
        days = len(parts) <= 2 and all(_EDTF_DAY.fullmatch(part) and _real_day(part) for part in parts)
        if days and (len(parts) == 1 or parts[0] <= parts[1]):
            return text
        shape = "YYYY-MM-DD, YYYY-MM or YYYY" + (", or start/end" if interval else "")
        at.add(f"{text!r} is not a date Zenodo accepts ({shape})", f"for example {example}")
        return None

    return parse


def contributor(found: Record) -> Creator | None:
    """A creator (person or organisation) with a role from Zenodo's list."""
    role = found.get("role")
    person = creator(found)
    if person is None or role is None:
        return None
    return replace(person, role=role)


def reference(item: Parser[Reference]) -> Parser[Reference]:
    """A reference: the citation as text, or a mapping {reference, scheme, identifier}."""

    def parse(at: Cursor) -> Reference | None:
        if at.node.kind == "mapping":
            return item(at)
        text = string(at, example="'Doe, J. (2024). A paper. Journal, 1, 2-3.'")
        return None if text is None else Reference(text)

    return parse


def reference_entry(found: Record) -> Reference | None:
    text = found.get("reference")
    if not found.has("identifier"):
        if found.has("scheme"):
            found.add("is required with a scheme", "or remove the scheme", key="identifier")
            return None
        return None if text is None else Reference(text)
    pair = identifier_with_scheme(found)
    return None if text is None or pair is None else Reference(text, *pair)


def award_identifier(found: Record) -> tuple[str, str] | None:
    """`{scheme: identifier}` (zsync, stepup-reprep 3.x) or `{identifier, scheme}` (4.x; the scheme
    may be left out, and is then the one Zenodo would detect)."""
    if not found.has("identifier"):
        return single_scheme(found)
    others = [key for key in found.entries if key not in ("identifier", "scheme")]
    if others:
        found.at(others[0]).add("write either {identifier, scheme} or {scheme: identifier}, not both")
        return None
    return identifier_with_scheme(found)


def identifier_with_scheme(found: Record) -> tuple[str, str] | None:
    """(scheme, identifier) of `{identifier, scheme?}`: the identifier checked against its scheme."""
    at = found.at("identifier")
    text = string(at, example="'https://example.org/award/1234'")
    if text is None:
        return None
    scheme = found.get("scheme") if found.has("scheme") else identifiers.detect_scheme(text)
    if scheme is None:
        if not found.has("scheme"):
            at.add(f"cannot tell the scheme of {text!r}", "give it: scheme: doi, url, ...")
        return None
    value = identifier(at, partial(identifiers.normalize_identifier, scheme), text)
    return None if value is None else (scheme, value)


def description(at: Cursor) -> str | None:
    """The description inline, as HTML (at least 3 characters, as Zenodo wants)."""
    return string(at, example="description: '<p>What the dataset holds.</p>'", min_chars=3, multiline=True)


# --------------------------------------------------------------------------- #12: custom fields

# The keys of `custom_fields` (stepup-reprep 4.x's names) -> Zenodo's custom fields; the domain
# fields (`dwc:family`, ...) are written with Zenodo's own names.
CUSTOM_FIELD_KEYS = {
    "code_repository": "code:codeRepository",
    "development_status": "code:developmentStatus",
    "programming_languages": "code:programmingLanguage",
    "rights_holder": "dc:rightsHolder",
    "journal": "journal:journal",
    "meeting": "meeting:meeting",
    "imprint": "imprint:imprint",
    "thesis": "thesis:thesis",
}


def present(found: Record) -> dict[str, Any] | None:
    """A nested custom field (journal, meeting, ...) as sent: the keys given, in the table's order."""
    values = found.values()
    if values is None:
        return None
    return {key: value for key, value in values.items() if value not in (None, ())}


def custom_fields(found: Record) -> dict[str, Any] | None:
    """The custom fields as sent, keyed by Zenodo's names; None after a problem."""
    values = found.values()
    if values is None:
        return None
    return {CUSTOM_FIELD_KEYS.get(key, key): value for key, value in values.items() if found.has(key)}


def vocabulary_ref(parse: Parser[str]) -> Parser[dict[str, str]]:
    """A vocabulary id as Zenodo takes it: {"id": ...}."""

    def wrapped(at: Cursor) -> dict[str, str] | None:
        value = parse(at)
        return None if value is None else {"id": value}

    return wrapped


def number(at: Cursor) -> float | int | None:
    ok, value = scalar(at)
    if value is INVALID:
        return None
    if not ok or isinstance(value, bool) or not isinstance(value, int | float):
        at.add(f"expected a number, got {describe(value)}", "for example 51.05")
        return None
    return value


def integer(at: Cursor) -> int | None:
    ok, value = scalar(at)
    if value is INVALID:
        return None
    if not ok or isinstance(value, bool) or not isinstance(value, int):
        at.add(f"expected a whole number, got {describe(value)}", "for example 250")
        return None
    return value


def iso_day(at: Cursor) -> str | None:
    """A full date YYYY-MM-DD (Zenodo's ISODateString fields)."""
    text = edtf("'2024-06-15'", interval=False)(at)
    if text is not None and len(text) != 10:
        at.add(f"{text!r} is not a full date", "write YYYY-MM-DD, for example '2024-06-15'")
        return None
    return text


# A share link's lifetime: InvenioRDM caps the links it makes for access requests at 365 days
# (invenio-rdm-records services/schemas/parent/access.py, AccessSettingsSchema.secret_link_expiration).
MAX_SHARE_DAYS = 365
_LIFETIME = Lazy(r"([0-9]{1,3})d")


def share_permission(at: Cursor) -> str | None:
    """`preview` (the draft and its files) or `view` (the published record's restricted files)."""
    text = string(at, example="preview")
    if text is None or text in ("preview", "view"):
        return text
    if text == "edit":
        at.add(
            "'edit' links are not made by zsync: a co-author editing the draft would fight the next sync",
            "write permission: preview, which lets co-authors see the draft and its files",
        )
    else:
        at.add(
            f"{text!r} is not a share permission", "write preview (the draft) or view (the published record)"
        )
    return None


def share_lifetime(at: Cursor) -> int | None:
    """A number of days, `30d`, from 1 to MAX_SHARE_DAYS."""
    text = string(at, example="30d")
    if text is None:
        return None
    found = _LIFETIME.fullmatch(text.strip())
    days = int(found.group(1)) if found else 0
    if not 1 <= days <= MAX_SHARE_DAYS:
        at.add(
            f"{text!r} is not a lifetime of 1 to {MAX_SHARE_DAYS} days",
            "write a number of days, for example expires: 30d",
        )
        return None
    return days


def top(found: Record) -> dict[str, Any] | None:
    """The fields of `Config`, once the rules between top-level keys hold: the code repository and
    the description are each given once."""
    values = found.values()
    if values is None:
        return None
    walk = found.cursor.walk
    custom = dict(values["custom_fields"])
    repository = custom.pop("code:codeRepository", None)
    ok = True
    if repository is not None:
        if found.has("code_repository"):
            line = walk.lines.get("custom_fields.code_repository")
            walk.add(
                "custom_fields.code_repository",
                line,
                f"also given as code_repository on line {found.at('code_repository').line}",
                "keep one of them (stepup-reprep 4.x moved it into custom_fields)",
            )
            ok = False
        values["code_repository"] = repository
    values["custom_fields"] = MappingProxyType(custom)
    metadata = values["metadata"]
    if metadata.description is not None and values["path_readme"] is not None:
        where = (
            f"by path_readme on line {found.at('path_readme').line}"
            if found.has("path_readme")
            else "with --description"
        )
        walk.add(
            "metadata.description",
            walk.lines.get("metadata.description"),
            f"also given {where}",
            "keep one of them",
        )
        ok = False
    return values if ok else None


def metadata_from(at: Cursor) -> tuple[Path, ...]:
    """The files fields are taken from (`zsync.metasources` reads them before the walk)."""
    items = (
        [at] if at.node.kind == "scalar" else (sequence(at, example="metadata_from: [CITATION.cff]") or [])
    )
    found = []
    for item in items:
        text = string(item, example="CITATION.cff")
        if text is None:
            continue
        if metasources.kind_of(text) is None:
            item.add(
                f"zsync cannot read metadata from {text!r}",
                "give a CITATION.cff, a codemeta.json or a .zenodo.json",
            )
            continue
        found.append(resolve(at.walk, text))
    return tuple(found)


def identifier_dicts(item: Parser[tuple[str, str]]) -> Parser[tuple[dict[str, str], ...]]:
    """A list of identifiers as sent: [{"scheme", "identifier"}]; fails on any problem."""
    example = "for example [{scheme: doi, identifier: 10.1234/abc}]"

    def parse(at: Cursor) -> tuple[dict[str, str], ...] | None:
        start = at.walk.mark()
        pairs = [item(cursor) for cursor in sequence(at, example) or ()]
        if at.walk.mark() > start:
            return None
        return tuple({"scheme": pair[0], "identifier": pair[1]} for pair in pairs if pair is not None)

    return parse


def record_ids_file(at: Cursor) -> Path | None:
    """stepup-reprep 1.x's `path_versions`: a JSON file {version: record id}, checked when it exists."""
    text = string(at, example="path_versions: .zenodo-versions.json")
    if text is None:
        return None
    found = resolve(at.walk, text)
    at.walk.defer(partial(filecheck.record_ids_by_version, at.walk.spot(at.path, at.line), found))
    return found


# --------------------------------------------------------------------------- communities

_SLUG = Lazy(r"^[-\w]{1,100}$", re.ASCII)  # invenio-communities communities/schema.py


def community_slug(at: Cursor) -> str | None:
    """A community's identifier as in its URL (zenodo.org/communities/<slug>), checked as InvenioRDM
    checks slugs; whether it exists is asked of the instance by `zsync plan` and `zsync sync`."""
    text = string(at, example="ecology")
    if text is None:
        return None
    if text.startswith(("http://", "https://")) and "/communities/" in text:
        slug = text.rstrip("/").rsplit("/communities/", 1)[1]
        at.add(f"{text!r} is a URL", f"write the community's identifier only: {slug!r}")
        return None
    if not _SLUG.match(text):
        at.add(f"{text!r} is not a community identifier", "only letters, numbers, dashes and underscores")
        return None
    return text


def community_slugs(at: Cursor) -> tuple[str, ...] | None:
    """The communities: one identifier or a list, each once."""
    if at.node.kind != "sequence":
        one = community_slug(at)
        return None if one is None else (one,)
    slugs: list[str] = []
    for item in sequence(at, "communities: [ecology]") or ():
        slug = community_slug(item)
        if slug is not None and slug in slugs:
            item.add(f"{slug!r} is listed twice")
        elif slug is not None:
            slugs.append(slug)
    return tuple(slugs)


def boolean(example: str) -> Parser[bool]:
    """true or false."""

    def parse(at: Cursor) -> bool | None:
        ok, value = scalar(at)
        if value is INVALID:
            return None
        if not ok or not isinstance(value, bool):
            at.add(f"expected true or false, got {describe(value)}", f"for example {example}")
            return None
        return value

    return parse
