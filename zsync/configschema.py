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

from zsync import configrules as rules
from zsync import identifiers, vocabulary
from zsync.loader.walk import (
    Record,
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
from zsync.models import Access, Affiliation, Award, Creator, Funding, Metadata, RelatedIdentifier

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
    tuple(
        Row(
            scheme,
            checked(partial(identifiers.normalize_identifier, scheme), "'https://example.org/award/1234'"),
        )
        for scheme in vocabulary.IDENTIFIER_SCHEMES
    ),
    example="for example {url: 'https://example.org/award/1234'}",
    build=rules.single_scheme,
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
    example="for example award: {title: 'Full title', number: '101001234'} "
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
    ),
    example="see the template in the README",
    build=model(Metadata, license="licenses"),
    first=("title", "version", "resource_type"),
)

ACCESS: Shape[Access] = Shape(
    (
        Row("record", one_of(vocabulary.ACCESS_LEVELS, "access level")),
        Row("files", one_of(vocabulary.ACCESS_LEVELS, "access level")),
    ),
    example="for example access: {files: restricted}",
    build=rules.access,
)

TOP: Shape[dict[str, Any]] = Shape(
    (
        Row("path_record_id", rules.record_id_file, fill=rules.default_record_id_file),
        Row("endpoint", rules.endpoint, required="for example endpoint: https://sandbox.zenodo.org/api"),
        Row("path_token", rules.local_path("path_token: ~/.config/zenodo-token.txt")),
        Row("metadata", shaped(METADATA), required="see the template in the README"),
        Row("code_repository", checked(identifiers.check_http_url, "https://github.com/example/repo")),
        Row("path_readme", rules.readme),
        Row("paths", rules.paths, required="for example paths: [data/measurements.csv]"),
        Row("access", shaped(ACCESS), default=Access()),
    ),
    example="see the template in the README",
    build=Record.values,  # the fields of `Config`; zsync.config adds where they came from
    first=("endpoint", "metadata"),
)
