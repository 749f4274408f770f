"""Config -> InvenioRDM draft document, the README as HTML, and the comparison of owned fields.

`render_document` builds the complete body of `POST /records` and `PUT /records/{id}/draft` (a PUT
replaces `metadata` and `custom_fields` wholesale, so the document is always complete).
`owned_view` projects a document, ours or the server's, onto the fields zsync owns and normalises
what the server does to what we send (vocabulary titles added, names filled in, HTML and Unicode
sanitised, identifiers normalised), so that `diff_owned` reports only real changes.
Pure: no network, no environment; `render_description` reads the one file it is given.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from zsync import doitext
from zsync.errors import ConfigError, Problem
from zsync.lazyre import Lazy, imported_lazily
from zsync.models import (
    Access,
    Affiliation,
    Award,
    Config,
    Creator,
    DateEntry,
    FieldChange,
    Funding,
    Metadata,
    Reference,
    RelatedIdentifier,
    RemoteRecord,
)
from zsync.vocabulary import NOTES_DESCRIPTION_TYPE

__all__ = [
    "OPTIONAL_FIELDS",
    "OWNED_FIELDS",
    "FieldChange",
    "claimed_fields",
    "diff_owned",
    "effective_access",
    "merge_unowned",
    "normalize_html",
    "owned_view",
    "render_access",
    "render_description",
    "render_document",
    "unowned_metadata",
]

#: The fields zsync owns, in the order changes are reported. `publication_date` is not one of them:
#: the engine decides it (today for a new draft or version, the record's own date when editing).
#: `files.default_preview` is compared only when both documents carry a `files` block.
OWNED_FIELDS: tuple[str, ...] = (
    "metadata.resource_type",
    "metadata.title",
    "metadata.version",
    "metadata.publisher",
    "metadata.copyright",
    "metadata.description",
    "metadata.creators",
    "metadata.subjects",
    "metadata.rights",
    "metadata.related_identifiers",
    "metadata.funding",
    "custom_fields.code:codeRepository",
    "access.record",
    "access.files",
    "access.embargo.until",
    "access.embargo.reason",
    "files.default_preview",
)

CODE_REPOSITORY_FIELD = "code:codeRepository"

#: Fields zsync owns only when the config gives them (the rendered document then has the key, maybe
#: empty); otherwise a person may fill them in on Zenodo and zsync keeps what they wrote.
#: `metadata.notes` is the part of `additional_descriptions` of type notes.
OPTIONAL_FIELDS: tuple[str, ...] = (
    "metadata.languages",
    "metadata.dates",
    "metadata.contributors",
    "metadata.references",
    "metadata.notes",
    "custom_fields.code:developmentStatus",
    "custom_fields.code:programmingLanguage",
    "custom_fields.dc:rightsHolder",
    "custom_fields.journal:journal",
    "custom_fields.meeting:meeting",
    "custom_fields.imprint:imprint",
    "custom_fields.thesis:thesis",
)
_NOTES_FIELD = "additional_descriptions"

# --------------------------------------------------------------------------- rendering


def render_document(
    config: Config,
    *,
    publication_date: str | None = None,
    default_preview: bool = True,
    today: str | None = None,
) -> dict[str, Any]:
    """The draft document for `config`: `{"metadata", "access", "files", "custom_fields"}`.

    Optional fields that are absent are left out rather than sent as null or empty, because the
    schema rejects empty strings for several of them (copyright, description).
    `publication_date` is the caller's decision unless the config gives `metadata.publication_date`;
    None leaves it out.
    `default_preview=False` leaves `files.default_preview` out: the server refuses a PUT whose
    default preview is not yet a file of the draft ('No file with key ...'), so a PUT that precedes
    the uploads must not name one. `today` (a UTC ISO date) decides whether an embargo is sent as
    active (see `render_access`).
    """
    metadata = _render_metadata(config, publication_date)
    keys = list(config.file_keys)
    files: dict[str, Any] = {"enabled": True, "order": keys}
    if keys and default_preview:
        files["default_preview"] = keys[0]
    custom_fields: dict[str, Any] = {}
    if config.code_repository:
        custom_fields[CODE_REPOSITORY_FIELD] = config.code_repository
    custom_fields.update((key, _as_json(value)) for key, value in config.custom_fields.items())
    return {
        "metadata": metadata,
        "access": render_access(config.access, today),
        "files": files,
        "custom_fields": custom_fields,
    }


def render_access(access: Access, today: str | None = None) -> dict[str, Any]:
    """`access` as sent. An embargo is active while its date is after `today` (a UTC ISO date; None:
    taken as after). From that date on it is sent as Zenodo's daily task leaves a lifted one
    (invenio-rdm-records `RecordAccess.lift_embargo`): inactive, the files public. InvenioRDM's
    EmbargoSchema refuses both an active embargo whose date has come and an inactive one whose date
    is ahead, so the date alone decides."""
    sent: dict[str, Any] = {"record": access.record, "files": access.files}
    embargo = access.embargo
    if embargo is None:
        return sent
    active = today is None or embargo.until > today
    sent["embargo"] = {"active": active, "until": embargo.until}
    if embargo.reason:
        sent["embargo"]["reason"] = embargo.reason
    if not active:
        sent["files"] = "public"
    return sent


def effective_access(access: Mapping[str, Any], today: str) -> Mapping[str, Any]:
    """A server's `access` as it is once Zenodo's daily task (`update_expired_embargos`, 00:02 UTC)
    has run on `today`: an embargo still marked active whose date has come reads as lifted (inactive,
    record and files public). Comparing with this, zsync neither fights the lift nor races it."""
    embargo = access.get("embargo")
    if not isinstance(embargo, Mapping) or embargo.get("active") is not True:
        return access
    until = embargo.get("until")
    if not isinstance(until, str) or until[:10] > today:
        return access
    return {**access, "record": "public", "files": "public", "embargo": {**embargo, "active": False}}


def _as_json(value: Any) -> Any:
    """The config's frozen values (tuples, read-only mappings) as the JSON they are sent as."""
    if isinstance(value, Mapping):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_as_json(item) for item in value]
    return value


def _render_metadata(config: Config, publication_date: str | None) -> dict[str, Any]:
    md = config.metadata
    metadata: dict[str, Any] = {"resource_type": {"id": md.resource_type}, "title": md.title}
    if publication_date is not None:
        metadata["publication_date"] = md.publication_date or publication_date
    metadata["creators"] = [_render_creator(c) for c in md.creators]
    if config.path_readme is not None:
        description = render_description(config.path_readme)
        if description.strip():
            metadata["description"] = description
    elif md.description:
        metadata["description"] = md.description
    optional: dict[str, Any] = {
        "version": md.version or None,
        "publisher": md.publisher or None,
        "copyright": md.copyright or None,
        "rights": [{"id": lic.lower()} for lic in md.licenses],
        "subjects": [{"subject": kw} for kw in md.keywords],
        "related_identifiers": [_render_related(r) for r in md.related],
        "funding": [_render_funding(f) for f in md.funding],
    }
    metadata.update((name, value) for name, value in optional.items() if value)
    metadata.update(_render_extras(md))
    return metadata


def _render_extras(md: Metadata) -> dict[str, Any]:
    """The fields zsync owns only when the config gives them: present (even empty) exactly then, so
    that the document itself says which of them zsync owns (see `diff_owned`, `merge_unowned`)."""
    extras: dict[str, Any] = {}
    if md.languages is not None:
        extras["languages"] = [{"id": language} for language in md.languages]
    if md.dates is not None:
        extras["dates"] = [_render_date(entry) for entry in md.dates]
    if md.contributors is not None:
        extras["contributors"] = [_render_creator(c) for c in md.contributors]
    if md.references is not None:
        extras["references"] = [_render_reference(r) for r in md.references]
    if md.notes is not None:
        extras["additional_descriptions"] = [
            {"description": note, "type": {"id": NOTES_DESCRIPTION_TYPE}} for note in md.notes
        ]
    return extras


def _render_date(entry: DateEntry) -> dict[str, Any]:
    rendered: dict[str, Any] = {"date": entry.date, "type": {"id": entry.type}}
    if entry.description:
        rendered["description"] = entry.description
    return rendered


def _render_reference(reference: Reference) -> dict[str, str]:
    rendered = {"reference": reference.reference}
    if reference.identifier and reference.scheme:
        rendered.update(scheme=reference.scheme, identifier=reference.identifier)
    return rendered


def _split_name(name: str) -> tuple[str, str | None]:
    """'Family, Given' -> ('Family', 'Given'); a name without a comma is all family name."""
    family, sep, given = name.partition(",")
    return family.strip(), (given.strip() or None) if sep else None


def _render_creator(creator: Creator) -> dict[str, Any]:
    person: dict[str, Any]
    if creator.kind == "personal":
        family, given = creator.family_name, creator.given_name
        if not family and creator.name:
            family, given = _split_name(creator.name)
        person = {"type": "personal", "family_name": family}
        if given:
            person["given_name"] = given
    else:
        person = {"type": "organizational", "name": creator.name}
    if creator.identifiers:
        person["identifiers"] = [{"scheme": s, "identifier": i} for s, i in creator.identifiers]
    rendered: dict[str, Any] = {"person_or_org": person}
    if creator.role:
        rendered["role"] = {"id": creator.role}
    if creator.affiliations:
        rendered["affiliations"] = [_render_affiliation(a) for a in creator.affiliations]
    return rendered


def _render_affiliation(affiliation: Affiliation) -> dict[str, str]:
    # The schema wants an id xor a name: with both, the server keeps the vocabulary's name anyway.
    if affiliation.ror:
        return {"id": affiliation.ror}
    return {"name": affiliation.name or ""}


def _render_related(related: RelatedIdentifier) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "identifier": related.identifier,
        "scheme": related.scheme,
        "relation_type": {"id": related.relation_type},
    }
    if related.resource_type:
        rendered["resource_type"] = {"id": related.resource_type}
    return rendered


def _render_award(award: Award) -> dict[str, Any]:
    if award.id:
        return {"id": award.id}
    rendered: dict[str, Any] = {}
    if award.title:
        rendered["title"] = {"en": award.title}
    if award.number:
        rendered["number"] = award.number
    if award.identifiers:
        rendered["identifiers"] = [{"scheme": s, "identifier": i} for s, i in award.identifiers]
    return rendered


def _render_funding(funding: Funding) -> dict[str, Any]:
    funder = {"id": funding.funder_ror} if funding.funder_ror else {"name": funding.funder_name}
    rendered: dict[str, Any] = {"funder": funder}
    if funding.award is not None:
        award = _render_award(funding.award)
        if award:
            rendered["award"] = award
    return rendered


_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})


def render_description(path: Path) -> str:
    """The description for `path_readme`: Markdown (.md) as HTML, HTML (.html) as it is.

    Markdown is CommonMark plus tables (markdown-it-py's "commonmark" preset), so what renders on
    GitHub renders the same on Zenodo, apart from what Zenodo's sanitiser strips (images, h6, ...).
    """
    suffix = path.suffix.lower()
    if suffix not in _MARKDOWN_SUFFIXES | _HTML_SUFFIXES:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    None,
                    "path_readme",
                    f"cannot turn a '{path.suffix}' file into a description",
                    "use a Markdown (.md) or HTML (.html) file",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [Problem(str(path), None, "path_readme", f"cannot read the readme: {exc}", None)]
        ) from exc
    text = doitext.without_badge(text)
    if suffix in _HTML_SUFFIXES:
        return text
    return str(_markdown().render(text))


def _markdown() -> Any:
    """CommonMark with tables. Imported here (a run that renders no description never imports it),
    with its patterns compiled as they are used: it compiles 69 at import, a description uses a
    few (14 for README.md, 16 M instructions saved), the rest never."""
    return imported_lazily("markdown_it").MarkdownIt("commonmark").enable("table")


# --------------------------------------------------------------------------- text normalisation

# What the server's sanitize_unicode (ftfy.fix_text) changes, in the cases that occur in metadata:
# curly quotes, Latin ligatures, full-width forms, line breaks, NFC, zero-width spaces, controls.
_SINGLE_QUOTES = Lazy("[\u02bc\u2018-\u201b]")
_DOUBLE_QUOTES = Lazy("[\u201c-\u201f]")
_NFKC_CHARS = Lazy("[\u0132\u0133\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06\u3000\uff01-\uffee]")
_CONTROL_CHARS = Lazy("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\ufffe\uffff]")
_LINE_BREAKS = Lazy("\r\n|[\r\u2028\u2029\x85]")
_WHITESPACE = Lazy(r"\s+")


def _clean_unicode(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL_CHARS.sub("", text)
    text = _SINGLE_QUOTES.sub("'", text)
    text = _DOUBLE_QUOTES.sub('"', text)
    text = _NFKC_CHARS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFC", text).strip()


def _plain(value: Any) -> str | None:
    """A plain-text field as the server stores it; None for absent or empty."""
    if not isinstance(value, str):
        return None
    text = _clean_unicode(value)
    if "<" not in text:
        # ftfy unescapes HTML entities in text that contains no tags.
        text = html.unescape(text)
    return text or None


# --------------------------------------------------------------------------- HTML normalisation

# Tags and attributes both sanitiser configurations in InvenioRDM keep (invenio-config's and
# marshmallow-utils' defaults; Zenodo runs one of them). Everything else is unwrapped (the text
# stays) on both sides of a comparison, so a tag only one of them keeps never shows as a change.
_KEPT_TAGS = frozenset(
    {
        *("a", "abbr", "acronym", "b", "blockquote", "br", "code", "div", "em", "i", "li", "ol", "p"),
        *("h1", "h2", "h3", "h4", "h5", "pre", "span", "strike", "strong", "sub", "sup", "u", "ul"),
        # Not tbody: when thead is stripped, the parser re-inserts implied <tbody> elements.
        *("table", "td", "th", "tr"),
    }
)
_KEPT_ATTRS: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "name", "rel"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
}
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "col", "wbr", "meta", "link", "source", "area"})
_DROP_CONTENT_TAGS = frozenset({"script", "style"})
# Whitespace next to these is layout, not content ("<p> Hi </p>" renders as "<p>Hi</p>").
_BLOCK_TAGS = frozenset(
    {
        *("blockquote", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)


class _Canonicaliser(HTMLParser):
    """Re-serialises HTML as (kind, text, tag) tokens: kind is "tag" or "text"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[str, str, str]] = []
        self.pre_depth = 0
        self.drop_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT_TAGS:
            self.drop_depth += 1
            return
        if tag == "pre":
            self.pre_depth += 1
        allowed = _KEPT_ATTRS.get(tag, frozenset())
        kept = sorted((k, v or "") for k, v in attrs if k in allowed)
        text = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in kept)
        self.tokens.append(("tag", f"<{tag}{text}>" if tag in _KEPT_TAGS else "", tag))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT_TAGS:
            self.drop_depth = max(0, self.drop_depth - 1)
            return
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag not in _VOID_TAGS:
            self.tokens.append(("tag", f"</{tag}>" if tag in _KEPT_TAGS else "", tag))

    def handle_data(self, data: str) -> None:
        if self.drop_depth:
            return
        kind = "pre" if self.pre_depth else "text"
        if kind == "text":
            data = _WHITESPACE.sub(" ", data)
        if self.tokens and self.tokens[-1][0] == kind:  # the parser may split a text run
            data = self.tokens.pop()[1] + data
        self.tokens.append((kind, data, ""))

    def result(self) -> str:
        # An unwrapped inline tag leaves nothing, so the text on either side joins up again.
        tokens: list[tuple[str, str, str]] = []
        for token in self.tokens:
            if token[0] == "tag" and not token[1] and token[2] not in _BLOCK_TAGS:
                continue
            if tokens and token[0] != "tag" and tokens[-1][0] == token[0]:
                joined = tokens.pop()[1] + token[1]
                token = (token[0], _WHITESPACE.sub(" ", joined) if token[0] == "text" else joined, "")
            tokens.append(token)
        out: list[str] = []
        for n, (kind, text, _tag) in enumerate(tokens):
            if kind == "tag":
                out.append(text)
                continue
            if kind == "text":
                before = tokens[n - 1][2] if n > 0 else "p"
                after = tokens[n + 1][2] if n + 1 < len(tokens) else "p"
                if before in _BLOCK_TAGS:
                    text = text.lstrip()
                if after in _BLOCK_TAGS:
                    text = text.rstrip()
            out.append(html.escape(text, quote=False))
        return "".join(out).strip()


def normalize_html(value: str) -> str:
    """A canonical form of an HTML fragment, for comparison only (never sent).

    Absorbs what Zenodo's sanitiser (bleach) does to the description we send: Unicode fixes,
    attribute order and quoting, `<br />` vs `<br>`, entity spelling, tags and attributes it strips
    (unwrapped here, on both sides: their text stays), whitespace. Outside `<pre>`, runs of
    whitespace become one space and whitespace next to a block tag goes; inside `<pre>` whitespace
    is kept, so a change in a code block still counts.
    """
    parser = _Canonicaliser()
    parser.feed(_clean_unicode(value))
    parser.close()
    return parser.result()


# --------------------------------------------------------------------------- identifiers

_DOI = Lazy(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d+(?:\.\d+)*/.+)$", re.IGNORECASE)
_ORCID_URL = Lazy(r"^(?:https?://)?(?:www\.)?orcid\.org/", re.IGNORECASE)
_ROR_URL = Lazy(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)
_HANDLE = Lazy(r"^(?:hdl:|https?://hdl\.handle\.net/)?(.+)$", re.IGNORECASE)


def _normalise_identifier(scheme: str, identifier: str) -> str:
    """The identifier as idutils.normalize_pid leaves it on the server, for the common schemes."""
    value = identifier.strip()
    if scheme == "doi":
        match = _DOI.match(value)
        return match.group(1) if match else value
    if scheme == "orcid":
        digits = _ORCID_URL.sub("", value).replace("-", "").replace(" ", "")
        return "-".join(digits[i : i + 4] for i in range(0, 16, 4)) if len(digits) == 16 else value
    if scheme == "ror":
        return _ROR_URL.sub("", value)
    if scheme == "handle":
        match = _HANDLE.match(value)
        return match.group(1) if match else value
    if scheme == "arxiv":
        return value if value.startswith("arXiv:") else "arXiv:" + re.sub("^arxiv:", "", value, flags=re.I)
    if scheme == "urn":
        return value if value.lower().startswith("urn:") else f"urn:{value}"
    if scheme == "issn":
        compact = value.replace(" ", "").replace("-", "").upper()
        return f"{compact[:4]}-{compact[4:]}"
    if scheme == "isni":
        # The server keeps an ISNI as sent; stepup-reprep sent it with spaces, zsync without.
        return re.sub(r"[\s-]", "", value).upper()
    return value


def _identifiers(value: Any) -> list[dict[str, str]]:
    """An identifier set, sorted: the server keeps it as a set, order carries no meaning."""
    result = set()
    for item in _list(value):
        scheme = (_plain(item.get("scheme")) or "").lower()
        identifier = _plain(item.get("identifier"))
        if identifier:
            result.add((scheme, _normalise_identifier(scheme, identifier)))
    return [{"scheme": s, "identifier": i} for s, i in sorted(result)]


# --------------------------------------------------------------------------- owned view


def _list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _vocab_id(value: Any) -> str | None:
    """A vocabulary reference: we send {"id"}, the server answers {"id", "title", ...}."""
    if isinstance(value, Mapping):
        return _plain(value.get("id"))
    return _plain(value)


def _i18n(value: Any) -> str | None:
    """An i18n string ({"en": ...}) or a bare string, as its English (or only) text."""
    if isinstance(value, Mapping):
        text = value.get("en")
        if text is None and len(value) == 1:
            text = next(iter(value.values()))
        return _plain(text)
    return _plain(value)


def _ref(value: Any) -> dict[str, str] | None:
    """An affiliation or funder: {"id"} when it has one (the server adds "name"), else {"name"}."""
    if not isinstance(value, Mapping):
        return None
    ident = _plain(value.get("id"))
    if ident:
        return {"id": ident.lower()}
    name = _plain(value.get("name"))
    return {"name": name} if name else None


def _creator_view(creator: Mapping[str, Any]) -> dict[str, Any]:
    person = creator.get("person_or_org")
    person = person if isinstance(person, Mapping) else {}
    kind = _plain(person.get("type")) or "personal"
    view: dict[str, Any] = {"type": kind}
    if kind == "personal":
        # The server fills `name` as "Family, Given"; family and given names are what we own.
        family, given = _plain(person.get("family_name")), _plain(person.get("given_name"))
        if not family and not given and _plain(person.get("name")):
            family, given = _split_name(_plain(person.get("name")) or "")
        view["family_name"] = family
        view["given_name"] = given
    else:
        view["name"] = _plain(person.get("name"))
    view["identifiers"] = _identifiers(person.get("identifiers"))
    affiliations = [_ref(a) for a in _list(creator.get("affiliations"))]
    view["affiliations"] = [a for a in affiliations if a]
    return view


def _rights_view(right: Mapping[str, Any]) -> dict[str, str | None]:
    ident = _plain(right.get("id"))
    if ident:
        return {"id": ident.lower()}
    return {"title": _i18n(right.get("title"))}


def _related_view(related: Mapping[str, Any]) -> dict[str, str | None]:
    scheme = (_plain(related.get("scheme")) or "").lower()
    identifier = _plain(related.get("identifier")) or ""
    return {
        "identifier": _normalise_identifier(scheme, identifier),
        "scheme": scheme,
        "relation_type": _vocab_id(related.get("relation_type")),
        "resource_type": _vocab_id(related.get("resource_type")),
    }


def _funding_view(funding: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {"funder": _ref(funding.get("funder"))}
    award = funding.get("award")
    if isinstance(award, Mapping) and award:
        ident = _plain(award.get("id"))
        if ident:
            # The server expands an award id with its title, number, acronym, ...: the id is ours.
            view["award"] = {"id": ident}
        else:
            view["award"] = {
                "title": _i18n(award.get("title")),
                "number": _plain(award.get("number")),
                "identifiers": _identifiers(award.get("identifiers")),
            }
    else:
        view["award"] = None
    return view


def _contributor_view(contributor: Mapping[str, Any]) -> dict[str, Any]:
    return {**_creator_view(contributor), "role": _vocab_id(contributor.get("role"))}


def _date_view(entry: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        "date": _plain(entry.get("date")),
        "type": _vocab_id(entry.get("type")),
        "description": _plain(entry.get("description")),
    }


def _reference_view(reference: Mapping[str, Any]) -> dict[str, str | None]:
    scheme = (_plain(reference.get("scheme")) or "").lower() or None
    identifier = _plain(reference.get("identifier"))
    return {
        "reference": _plain(reference.get("reference")),
        "scheme": scheme,
        "identifier": _normalise_identifier(scheme, identifier) if scheme and identifier else identifier,
    }


def _notes_view(descriptions: Any) -> list[str]:
    return [
        text
        for entry in _list(descriptions)
        if _vocab_id(entry.get("type")) == NOTES_DESCRIPTION_TYPE
        and (text := _html_or_none(entry.get("description")))
    ]


def _custom_value(value: Any, key: str = "") -> Any:
    """A custom field as the server stores it, for comparison: vocabulary references as their ids,
    strings cleaned, identifier sets sorted, empty parts (and an empty whole) as None."""
    if key == "identifiers":
        return _identifiers(value) or None
    if isinstance(value, Mapping):
        if "id" in value and isinstance(value.get("id"), str):
            return _plain(value["id"])
        parts = {k: _custom_value(v, k) for k, v in sorted(value.items())}
        return {k: v for k, v in parts.items() if v is not None} or None
    if isinstance(value, list | tuple):
        items = [_custom_value(item) for item in value]
        return [item for item in items if item is not None] or None
    if isinstance(value, str):
        return _plain(value)
    return value


def _optional_view(
    metadata: Mapping[str, Any], custom_fields: Mapping[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """The optional fields `names` (see OPTIONAL_FIELDS), normalised; absent reads as [] or None."""
    views: dict[str, Callable[[], Any]] = {
        "metadata.languages": lambda: [
            language for language in map(_vocab_id, _list(metadata.get("languages"))) if language
        ],
        "metadata.dates": lambda: [_date_view(d) for d in _list(metadata.get("dates"))],
        "metadata.contributors": lambda: [_contributor_view(c) for c in _list(metadata.get("contributors"))],
        "metadata.references": lambda: [_reference_view(r) for r in _list(metadata.get("references"))],
        "metadata.notes": lambda: _notes_view(metadata.get(_NOTES_FIELD)),
    }
    view = {}
    for name in names:
        if name in views:
            view[name] = views[name]()
        elif name.startswith("custom_fields."):
            view[name] = _custom_value(custom_fields.get(name.removeprefix("custom_fields.")))
    return view


def _custom_field_names() -> tuple[str, ...]:
    from zsync.vocabulary import domain_custom_fields  # the 80 domain fields, read on first use

    structured = [
        name.removeprefix("custom_fields.") for name in OPTIONAL_FIELDS if name.startswith("custom_")
    ]
    return (*structured, *(name for name in domain_custom_fields() if name not in structured))


def optional_field_names() -> tuple[str, ...]:
    """Every field zsync owns when the config gives it: OPTIONAL_FIELDS and the domain custom fields."""
    return (*OPTIONAL_FIELDS[:5], *(f"custom_fields.{name}" for name in _custom_field_names()))


def claimed_fields(document: Mapping[str, Any]) -> frozenset[str]:
    """The optional fields a desired document owns: those its config gives (see OPTIONAL_FIELDS)."""
    metadata = document.get("metadata")
    custom = document.get("custom_fields")
    names = set()
    if isinstance(metadata, Mapping):
        names |= {f"metadata.{key}" for key in metadata}
        if _NOTES_FIELD in metadata:
            names.add("metadata.notes")
    elif "metadata" not in document:  # an owned view: it owns what it holds
        names |= set(document)
    if isinstance(custom, Mapping):
        names |= {f"custom_fields.{key}" for key in custom}
    return frozenset(names)


def _subject_view(subject: Mapping[str, Any]) -> str | None:
    return _plain(subject.get("subject")) or _plain(subject.get("id"))


def _html_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return normalize_html(value) or None


def owned_view(
    metadata: Mapping[str, Any],
    custom_fields: Mapping[str, Any] | None = None,
    access: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    optional: Iterable[str] = (),
) -> dict[str, Any]:
    """The normalised fields zsync owns, keyed by dotted path (see OWNED_FIELDS), plus the
    `optional` fields named (see OPTIONAL_FIELDS and `claimed_fields`).

    Works on what we send and on what the server returns, so that the two compare equal when nothing
    really changed. Absent, null and empty all read as None (scalars) or [] (lists). Lists keep their
    order (creators, keywords, licences, related identifiers, funding); identifier sets are sorted.
    `access` and `files` fields appear only when those blocks are given.
    """
    view: dict[str, Any] = {
        "metadata.resource_type": _vocab_id(metadata.get("resource_type")),
        "metadata.title": _plain(metadata.get("title")),
        "metadata.version": _plain(metadata.get("version")),
        "metadata.publisher": _plain(metadata.get("publisher")),
        # copyright is sanitised as HTML by the server ("A & B" comes back as "A &amp; B").
        "metadata.copyright": _html_or_none(metadata.get("copyright")),
        "metadata.description": _html_or_none(metadata.get("description")),
        "metadata.creators": [_creator_view(c) for c in _list(metadata.get("creators"))],
        "metadata.subjects": [s for s in map(_subject_view, _list(metadata.get("subjects"))) if s],
        "metadata.rights": [_rights_view(r) for r in _list(metadata.get("rights"))],
        "metadata.related_identifiers": [
            _related_view(r) for r in _list(metadata.get("related_identifiers"))
        ],
        "metadata.funding": [_funding_view(f) for f in _list(metadata.get("funding"))],
        "custom_fields.code:codeRepository": _plain((custom_fields or {}).get(CODE_REPOSITORY_FIELD)),
        **_optional_view(metadata, custom_fields or {}, optional),
    }
    if access is not None:
        view["access.record"] = _plain(access.get("record"))
        view["access.files"] = _plain(access.get("files"))
        view["access.embargo.until"], view["access.embargo.reason"] = _embargo_view(access.get("embargo"))
    if files is not None:
        view["files.default_preview"] = _plain(files.get("default_preview"))
    return view


def _embargo_view(embargo: Any) -> tuple[str | None, str | None]:
    """(until, reason) of an active embargo; a lifted one (inactive) is no embargo any more."""
    if not isinstance(embargo, Mapping) or embargo.get("active") is not True:
        return None, None
    until = _plain(embargo.get("until"))
    return (until[:10] if until else None), _plain(embargo.get("reason"))


def _as_view(value: Mapping[str, Any], *, with_files: bool, optional: Iterable[str] = ()) -> dict[str, Any]:
    """An owned view of a document ({"metadata", ...}); a mapping that already is a view as it is."""
    if "metadata" not in value and any(key in value for key in OWNED_FIELDS):
        return dict(value)
    metadata = value.get("metadata")
    custom_fields = value.get("custom_fields")
    access = value.get("access")
    files = value.get("files")
    return owned_view(
        metadata if isinstance(metadata, Mapping) else {},
        custom_fields if isinstance(custom_fields, Mapping) else None,
        access if isinstance(access, Mapping) else None,
        files if with_files and isinstance(files, Mapping) else None,
        optional,
    )


def diff_owned(desired: Mapping[str, Any], remote: Mapping[str, Any]) -> list[FieldChange]:
    """The owned fields whose remote value (`old`) differs from the desired one (`new`).

    Each argument is a whole document (what `render_document` returns, or the server's record or
    draft JSON) or an `owned_view`. A field present in only one of the views (access, files) is not
    compared. `files.default_preview` is compared only when the desired document names one.
    """
    desired_files = desired.get("files")
    with_files = isinstance(desired_files, Mapping) and "default_preview" in desired_files
    claimed = claimed_fields(desired) & frozenset(optional_field_names())
    want = _as_view(desired, with_files=with_files, optional=claimed)
    have = _as_view(remote, with_files=with_files, optional=claimed)
    changes = []
    for name in _ordered(want.keys() & have.keys()):
        if want[name] != have[name]:
            changes.append(FieldChange(field=name, old=have[name], new=want[name]))
    return changes


def _ordered(names: Iterable[str]) -> list[str]:
    rank = {name: i for i, name in enumerate((*OWNED_FIELDS, *OPTIONAL_FIELDS))}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


# --------------------------------------------------------------------------- merging with the server's


# The metadata and custom-field keys zsync manages; publication_date is not compared, but zsync decides it.
OWNED_METADATA = frozenset(
    [name.removeprefix("metadata.") for name in OWNED_FIELDS if name.startswith("metadata.")]
    + ["publication_date"]
)
OWNED_CUSTOM_FIELDS = frozenset(
    name.removeprefix("custom_fields.") for name in OWNED_FIELDS if name.startswith("custom_fields.")
)


def unowned_metadata(remote: RemoteRecord | None, desired: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The metadata fields zsync does not manage (what a person may have edited on the web): the
    always-owned ones are left out, and so are those `desired` (a rendered document) owns; of
    `additional_descriptions`, only the notes are zsync's when the config gives notes."""
    if remote is None:
        return {}
    claimed = desired.get("metadata", {}) if desired is not None else {}
    kept = {k: v for k, v in remote.metadata.items() if k not in OWNED_METADATA and k not in claimed}
    if _NOTES_FIELD in claimed:
        others = [
            entry
            for entry in _list(remote.metadata.get(_NOTES_FIELD))
            if _vocab_id(entry.get("type")) != NOTES_DESCRIPTION_TYPE
        ]
        if others:
            kept[_NOTES_FIELD] = others
    return kept


def merge_unowned(desired: Mapping[str, Any], remote: RemoteRecord) -> dict[str, Any]:
    """`desired`, plus the metadata and custom fields a person added on the web that zsync does not
    manage: a PUT replaces `metadata` and `custom_fields` wholesale, so they must be sent back."""
    document = dict(desired)
    kept = unowned_metadata(remote, desired)
    metadata = dict(desired["metadata"])
    if _NOTES_FIELD in metadata and _NOTES_FIELD in kept:
        # The person's other descriptions (methods, ...) first, as Zenodo's form lists them, then the notes.
        metadata[_NOTES_FIELD] = [*kept.pop(_NOTES_FIELD), *metadata[_NOTES_FIELD]]
    document["metadata"] = kept | metadata
    kept_custom = {k: v for k, v in remote.custom_fields.items() if k not in OWNED_CUSTOM_FIELDS}
    document["custom_fields"] = kept_custom | dict(desired.get("custom_fields", {}))
    return document
