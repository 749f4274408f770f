"""The table of zenodo.yaml: for each mapping, the keys it allows, which are required, how each is read.

A `Row` names a key, the parser of its value (with the example its messages show), the hint when a
required key is missing and the value when an optional one is absent; a `Shape` is a mapping: its
rows in the order "allowed here" lists them, an example, and the `build` that makes a model value
(`zsync.configrules` holds the builds whose fields constrain each other). A new field is a new
row (and a field of the model), plus a value parser when none of `zsync.loader.walk`'s fits.

Leaves first: a shape must exist before a row can use it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from zsync import configpaths, identifiers, stepup, vocabulary
from zsync import configrules as rules
from zsync.loader.walk import (
    Parser,
    Row,
    Shape,
    checked,
    depends,
    list_of,
    model,
    one_of,
    shaped,
    strict,
    text,
)
from zsync.models import (
    Access,
    Affiliation,
    Award,
    Creator,
    DateEntry,
    Embargo,
    Funding,
    Metadata,
    Reference,
    RelatedIdentifier,
    Share,
)

MIN_TITLE_CHARS = 3

_CREATOR_ID_CHECKS = {
    "orcid": identifiers.normalize_orcid,
    "isni": identifiers.normalize_isni,
    "ror": identifiers.normalize_ror,
}


def _creator_identifiers(schemes: tuple[str, ...]) -> Shape[tuple[tuple[str, str], ...]]:
    return Shape(
        tuple(
            Row(scheme, checked(_CREATOR_ID_CHECKS[scheme], "'0000-0002-1825-0097'")) for scheme in schemes
        ),
        example="for example identifiers: {orcid: '0000-0002-1825-0097'}",
        build=rules.scheme_pairs,
    )


PERSON_IDENTIFIERS = _creator_identifiers(vocabulary.PERSON_IDENTIFIER_SCHEMES)
ORGANIZATION_IDENTIFIERS = _creator_identifiers(vocabulary.ORGANIZATION_IDENTIFIER_SCHEMES)

_ORGANISATION = (
    Row("ror", checked(identifiers.normalize_ror, "00cv9y106")),
    Row("name", text("'Some Lab'")),
)
AFFILIATION: Shape[Affiliation] = Shape(
    _ORGANISATION,
    example="for example {ror: 00cv9y106} or {name: Some Lab}",
    build=rules.affiliation,
)
FUNDER: Shape[tuple[str | None, str | None]] = Shape(
    _ORGANISATION,
    example="for example funder: {ror: 00k4n6c32} or funder: {name: Some Foundation}",
    build=rules.funder,
)

CREATOR: Shape[Creator] = Shape(
    (
        Row("type", one_of(vocabulary.CREATOR_TYPES, "creator type"), default="personal"),
        Row("family_name", text("family_name: Doe")),
        Row("given_name", text("given_name: Jane")),
        Row("name", text("name: 'Doe, Jane'")),
        Row(
            "identifiers",
            depends(
                "type",
                {"organizational": shaped(ORGANIZATION_IDENTIFIERS)},
                otherwise=shaped(PERSON_IDENTIFIERS),
            ),
            default=(),
        ),
        Row("affiliations", rules.unique_affiliations(shaped(AFFILIATION)), default=()),
    ),
    example="for example {family_name: Doe, given_name: Jane}",
    build=rules.creator,
    hints={
        "affiliation": "that is stepup-reprep 1.x's key; write affiliations: [{name: Some Lab}]",
        "orcid": "that is stepup-reprep 1.x's key; write identifiers: {orcid: '0000-0002-1825-0097'}",
    },
)

RELATED: Shape[RelatedIdentifier] = Shape(
    (
        Row("scheme", one_of(vocabulary.IDENTIFIER_SCHEMES, "scheme"), required="for example scheme: doi"),
        Row(
            "identifier",
            rules.scheme_identifier("10.1234/zenodo.1234567"),
            required="for example identifier: 10.1234/zenodo.1234567",
        ),
        Row(
            "relation_type",
            one_of(vocabulary.RELATION_TYPES, "relation type"),
            required="for example relation_type: cites",
        ),
        Row("resource_type", rules.resource_type(vocabulary.LINKABLE_RESOURCE_TYPES)),
    ),
    example="for example {scheme: doi, identifier: 10.1234/zenodo.1234567, relation_type: cites}",
    build=rules.related,
)

AWARD_IDENTIFIER: Shape[tuple[str, str]] = Shape(
    (
        *(
            Row(
                scheme,
                checked(
                    partial(identifiers.normalize_identifier, scheme), "'https://example.org/award/1234'"
                ),
            )
            for scheme in vocabulary.IDENTIFIER_SCHEMES
        ),
        # stepup-reprep 4.x's form: {identifier, scheme}, the scheme optional.
        Row("identifier", text("'https://example.org/award/1234'")),
        Row("scheme", one_of(vocabulary.IDENTIFIER_SCHEMES, "scheme")),
    ),
    example="for example {url: 'https://example.org/award/1234'}",
    build=rules.award_identifier,
)

AWARD: Shape[Award] = Shape(
    (
        Row("id", text("'101001234'")),
        Row("title", text("'101001234'")),
        Row("number", text("'101001234'")),
        Row(
            "identifiers",
            strict(
                list_of(
                    shaped(AWARD_IDENTIFIER),
                    "for example identifiers: [{url: 'https://example.org/award/1234'}]",
                )
            ),
            default=(),
        ),
    ),
    example="for example award: {number: '101001234', title: 'Full title'} (either may be left out) "
    "or award: {id: '00k4n6c32::101001234'}",
    build=rules.award,
)

FUNDING: Shape[Funding] = Shape(
    (
        Row("funder", shaped(FUNDER), required="for example funder: {ror: 00k4n6c32}"),
        Row("award", shaped(AWARD)),
    ),
    example="for example {funder: {ror: 00k4n6c32}, award: {id: '00k4n6c32::101001234'}}",
    build=rules.funding,
)

DATE: Shape[DateEntry] = Shape(
    (
        Row("date", rules.edtf("'2024-06-15' or '2020/2021'"), required="for example date: '2024-06-15'"),
        Row(
            "type",
            rules.vocabulary_id(vocabulary.date_types, "date type"),
            required="for example type: collected",
        ),
        Row("description", text("description: 'Field campaign'")),
    ),
    example="for example {date: '2024-06-15', type: collected}",
    build=model(DateEntry),
)

CONTRIBUTOR: Shape[Creator] = Shape(
    (
        *CREATOR.rows,
        Row(
            "role",
            rules.vocabulary_id(vocabulary.contributor_roles, "contributor role"),
            required="for example role: datacurator",
        ),
    ),
    example="for example {family_name: Doe, given_name: Jane, role: datacurator}",
    build=rules.contributor,
)

REFERENCE: Shape[Reference] = Shape(
    (
        Row("reference", text("reference: 'Doe, J. (2024). A paper.'"), required="the citation as text"),
        Row("scheme", one_of(vocabulary.IDENTIFIER_SCHEMES, "scheme")),
        Row("identifier", text("identifier: 10.1234/abc")),
    ),
    example="for example 'Doe, J. (2024). A paper.' "
    "or {reference: '...', scheme: doi, identifier: 10.1234/abc}",
    build=rules.reference_entry,
)

METADATA: Shape[Metadata] = Shape(
    (
        Row("title", text("title: 'A title'", MIN_TITLE_CHARS), required="for example title: 'A title'"),
        Row("version", rules.version, required="for example version: '1.0.0'"),
        Row("keywords", list_of(text("'climate'"), "for example keywords: [climate, ocean]"), default=()),
        Row("license", rules.licenses, default=()),
        Row(
            "resource_type",
            rules.resource_type(vocabulary.RESOURCE_TYPES),
            required="for example resource_type: dataset",
        ),
        Row("publisher", text("publisher: Zenodo")),
        Row("publication_date", rules.edtf("'2024-06-15'", interval=False)),
        Row("copyright", text("copyright: '(c) 2026 Jane Doe'")),
        Row(
            "creators",
            list_of(
                shaped(CREATOR),
                "for example creators: [{name: 'Doe, Jane'}]",
                empty="lists no creators; Zenodo needs at least one",
            ),
            required="for example creators: [{name: 'Doe, Jane'}]",
            default=(),
        ),
        Row(
            "related",
            list_of(
                shaped(RELATED),
                "for example related: [{scheme: doi, identifier: 10.1234/abc, relation_type: cites}]",
            ),
            default=(),
        ),
        Row(
            "funding",
            list_of(shaped(FUNDING), "for example funding: [{funder: {ror: 00k4n6c32}}]"),
            default=(),
        ),
        Row("description", rules.description),
        Row("languages", rules.one_or_many(rules.language, "for example languages: [eng]")),
        Row(
            "dates",
            strict(list_of(shaped(DATE), "for example dates: [{date: '2024-06-15', type: collected}]")),
        ),
        Row(
            "contributors",
            strict(
                list_of(shaped(CONTRIBUTOR), "for example contributors: [{name: 'Doe, Jane', role: editor}]")
            ),
        ),
        Row(
            "references",
            strict(
                list_of(
                    rules.reference(shaped(REFERENCE)), "for example references: ['Doe, J. (2024). A paper.']"
                )
            ),
        ),
        Row(
            "notes",
            rules.one_or_many(
                text("notes: 'Measured with a new sensor.'", 3, multiline=True),
                "for example notes: 'A note.'",
            ),
        ),
    ),
    example="see the template in the README",
    build=model(Metadata, license="licenses"),
    first=("title", "version", "resource_type"),
    hints={"upload_type": "that is stepup-reprep 1.x's name for resource_type; keep resource_type only"},
)

EMBARGO: Shape[Embargo] = Shape(
    (
        Row("until", rules.iso_day, required="for example until: 2027-06-30"),
        Row("reason", text("reason: 'Under review at a journal'")),
    ),
    example="for example embargo: {until: 2027-06-30, reason: 'Under review at a journal'}",
    build=model(Embargo),
)

ACCESS: Shape[Access] = Shape(
    (
        Row("record", one_of(vocabulary.ACCESS_LEVELS, "access level")),
        Row("files", one_of(vocabulary.ACCESS_LEVELS, "access level")),
        Row("embargo", shaped(EMBARGO)),
    ),
    example="for example access: {files: restricted}",
    build=rules.access,
)

# --------------------------------------------------------------------------- custom fields


def _identifier_shape(example: str) -> Shape[tuple[str, str]]:
    return Shape(AWARD_IDENTIFIER.rows, example=example, build=rules.award_identifier)


MEETING_IDENTIFIER = _identifier_shape("for example {scheme: doi, identifier: 10.5281/zenodo.1234567}")


def _texts(*keys: str) -> tuple[Row, ...]:
    return tuple(Row(key, text(f"{key}: '...'")) for key in keys)


def _nested(rows: tuple[Row, ...], example: str) -> Parser[dict[str, Any]]:
    return shaped(Shape(rows, example=example, build=rules.present))


_STRINGS = rules.one_or_many(text("'Ghent University'"), "for example ['Ghent University']")

_TEXTS = rules.one_or_many(text("'a value'"), "for example ['a value']")

_DOMAIN_VALUES: dict[str, Parser[Any]] = {
    "keyword": _TEXTS,
    "text": _TEXTS,
    "number": rules.one_or_many(rules.number, "for example [51.05]"),
    "integer": rules.one_or_many(rules.integer, "for example [250]"),
    "iso-date": rules.one_or_many(rules.iso_day, "for example ['2024-06-15']"),
    "edtf-date": rules.one_or_many(rules.edtf("'2024-06-15'"), "for example ['2024-06-15']"),
    "relationships": strict(
        list_of(
            _nested(
                (Row("subject", _TEXTS, default=()), Row("object", _TEXTS, default=())),
                "for example {subject: [Apis mellifera], object: [Varroa destructor]}",
            ),
            "for example [{subject: [Apis mellifera], object: [Varroa destructor]}]",
        )
    ),
}

_STRUCTURED_CUSTOM_FIELDS = (
    Row("code_repository", checked(identifiers.check_http_url, "https://github.com/example/repo")),
    Row(
        "development_status",
        rules.vocabulary_ref(rules.vocabulary_id(vocabulary.development_statuses, "development status")),
    ),
    Row(
        "programming_languages",
        strict(
            lambda at: tuple(
                {"id": value}
                for value in rules.one_or_many(rules.programming_language, "for example [python]")(at) or ()
            )
        ),
    ),
    Row("rights_holder", _STRINGS),
    Row(
        "journal",
        _nested(
            (
                *_texts("title", "issue", "volume", "pages"),
                Row("issn", checked(partial(identifiers.normalize_identifier, "issn"), "'2077-9550'")),
            ),
            "for example journal: {title: Some Journal, volume: '12', issue: '3', pages: 1-10}",
        ),
    ),
    Row(
        "meeting",
        _nested(
            (
                *_texts("title", "acronym", "dates", "place", "session", "session_part"),
                Row("url", checked(identifiers.check_http_url, "https://example.org/conference")),
                Row("identifiers", rules.identifier_dicts(shaped(MEETING_IDENTIFIER))),
            ),
            "for example meeting: {title: A Conference, acronym: AC24, place: 'Ghent, Belgium'}",
        ),
    ),
    Row(
        "imprint",
        _nested(
            (
                Row("title", text("title: '...'")),
                Row(
                    "isbn", checked(partial(identifiers.normalize_identifier, "isbn"), "'978-3-16-148410-0'")
                ),
                *_texts("pages", "place", "edition"),
            ),
            "for example imprint: {title: Proceedings of ..., isbn: '978-3-16-148410-0', place: Ghent}",
        ),
    ),
    Row(
        "thesis",
        _nested(
            (
                *_texts("university", "department", "type"),
                Row("date_submitted", rules.edtf("'2024-06-15'", interval=False)),
                Row("date_defended", rules.edtf("'2024-06-15'", interval=False)),
            ),
            "for example thesis: {university: Ghent University, type: PhD, date_defended: '2024-06-15'}",
        ),
    ),
)

# Zenodo's own names of the structured fields, and the removed `thesis:university`.
_ZENODO_NAMES = {
    **{zenodo: f"zsync names it {key}" for key, zenodo in rules.CUSTOM_FIELD_KEYS.items()},
    "thesis:university": "it is thesis: {university: ...} on Zenodo since 2024",
    "code:programmingLanguages": "zsync names it programming_languages",
}

CUSTOM_FIELDS: Shape[dict[str, Any]] = Shape(
    (
        *_STRUCTURED_CUSTOM_FIELDS,
        *(
            Row(name, _DOMAIN_VALUES[kind])
            for name, kind in vocabulary.domain_custom_fields().items()
            if name != "dc:rightsHolder"  # that is rights_holder
        ),
    ),
    example="for example custom_fields: {code_repository: 'https://github.com/example/repo', "
    "programming_languages: [python]}",
    build=rules.custom_fields,
    hints=_ZENODO_NAMES,
    fallback="allowed here: code_repository, development_status, programming_languages, rights_holder, "
    "journal, meeting, imprint, thesis, and the fields of Zenodo's Biodiversity and Audiovisual sections "
    "by their Zenodo names (dwc:family, ac:captureDevice, ...; see the README)",
)

SHARE: Shape[Share] = Shape(
    (
        Row("permission", rules.share_permission, default="preview"),
        Row("expires", rules.share_lifetime, default=30),
    ),
    example="for example share: {permission: preview, expires: 30d}",
    build=model(Share, expires="expires_days"),
)

# `review: submit` hands a complete draft to the first community's curators; `report` (the default)
# only says what would be submitted.
REVIEW_MODES = ("report", "submit")

TOP: Shape[dict[str, Any]] = Shape(
    (
        Row("path_record_id", rules.record_id_file, fill=rules.default_record_id_file),
        Row("endpoint", rules.endpoint, required=rules.endpoint_required),
        Row("path_token", rules.local_path("path_token: ~/.config/zenodo-token.txt")),
        Row("metadata_from", rules.metadata_from, default=()),
        Row("metadata", shaped(METADATA), required="see the template in the README"),
        Row("code_repository", checked(identifiers.check_http_url, "https://github.com/example/repo")),
        Row("path_readme", rules.readme, fill=rules.argument_readme),
        Row("paths", configpaths.paths, required=configpaths.paths_required, fill=configpaths.argument_paths),
        Row("allow_outside", rules.allow_outside, default=False),
        Row("access", shaped(ACCESS), default=Access()),
        Row("custom_fields", shaped(CUSTOM_FIELDS), default={}),
        Row("communities", rules.community_slugs, default=()),
        Row("review", one_of(REVIEW_MODES, "review mode"), default="report"),
        Row("communities_remove", rules.boolean("communities_remove: true"), default=False),
        Row("share", shaped(SHARE)),
    ),
    example="see the template in the README",
    build=rules.top,  # the fields of `Config`; zsync.config adds where they came from
    first=("endpoint", "metadata"),
    hints={"record_id": "write the record id into the file path_record_id names (one number)"},
)


# --------------------------------------------------------------------------- stepup-reprep 1.x

# stepup-reprep 1.3.0 to 3.0.5 (Zenodo's legacy deposit API); see zsync.stepup. Read into the same
# Config: upload_type is the resource type, creators are persons with one affiliation by name.

CREATOR_1X: Shape[Creator] = Shape(
    (
        Row("name", text("name: 'Doe, Jane'"), required="for example name: 'Doe, Jane'"),
        Row("affiliation", text("affiliation: Some Lab")),
        Row("orcid", checked(identifiers.normalize_orcid, "'0000-0002-1825-0097'")),
    ),
    example="for example {name: 'Doe, Jane', affiliation: Some Lab}",
    build=stepup.creator_1x,
    hints=stepup.foreign_1x(
        family_name="name: 'Family, Given'",
        given_name="name: 'Family, Given'",
        identifiers="orcid: '0000-0002-1825-0097'",
        affiliations="one affiliation: Some Lab",
        type="only persons",
    ),
    fallback=stepup.LOOKS_1X,
)

METADATA_1X: Shape[Metadata] = Shape(
    (
        METADATA.by_key["title"],
        METADATA.by_key["version"],
        Row("license", rules.licenses, required="for example license: cc-by-4.0"),
        Row(
            "upload_type",
            one_of(vocabulary.LEGACY_UPLOAD_TYPES, "upload type"),
            required="for example upload_type: dataset",
        ),
        Row(
            "creators",
            list_of(
                shaped(CREATOR_1X),
                "for example creators: [{name: 'Doe, Jane', affiliation: Some Lab}]",
                empty="lists no creators; Zenodo needs at least one",
            ),
            required="for example creators: [{name: 'Doe, Jane', affiliation: Some Lab}]",
            default=(),
        ),
        Row("description", rules.description),
        Row("keywords", METADATA.by_key["keywords"].parse, default=()),  # 1.x dropped them; zsync sends them
    ),
    example="see stepup-reprep 1.x's template, or convert the file with `zsync migrate`",
    build=stepup.metadata_1x,
    first=("title", "version", "upload_type"),
    hints=stepup.foreign_1x(resource_type="upload_type"),
    fallback=stepup.LOOKS_1X,
)

TOP_1X: Shape[dict[str, Any]] = Shape(
    (
        Row(
            "path_versions",
            rules.record_ids_file,
            required="for example path_versions: .zenodo-versions.json",
        ),
        TOP.by_key["endpoint"],
        TOP.by_key["path_token"],
        Row("metadata", shaped(METADATA_1X), required="see stepup-reprep 1.x's template"),
        TOP.by_key["path_readme"],
        TOP.by_key["paths"],
    ),
    example="see stepup-reprep 1.x's template, or convert the file with `zsync migrate`",
    build=stepup.top_1x,
    first=("endpoint", "metadata"),
    hints=stepup.foreign_1x(
        path_record_id="path_versions (give one of them)",
        code_repository="no code repository",
        access="no access settings",
        custom_fields="no custom fields",
    ),
    fallback=stepup.LOOKS_1X,
)
