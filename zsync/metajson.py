"""`metadata_from:` sources in JSON: a codemeta.json (CodeMeta 2.0 and 3.0, JSON-LD as written, not
expanded) and a .zenodo.json (the deposit metadata of Zenodo's GitHub integration and legacy API).

Each becomes nodes in zenodo.yaml's shape on the lines they were read from (`zsync.loader.fromjson`
keeps them), which the config's walker then checks like any value of zenodo.yaml. A value whose
shape the mapping cannot read (an author that is a number) is a problem on its line; a key Zenodo
has no field for is a warning, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable

from zsync import vocabulary
from zsync.lazyre import Lazy
from zsync.loader.nodes import Built, Node
from zsync.sourcefields import (
    Derived,
    Implied,
    Reading,
    add_related,
    entries,
    html_paragraphs,
    identifier_scheme,
    license_ids,
    one_or_many,
    related_list,
    scalar,
)

_ORCID = Lazy(r"^(https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_ROR = Lazy(r"^https?://ror\.org/(0[a-z0-9]{8})$")

Entries = dict[str, tuple[Node, Node]]


def _text(node: Node, field: str, reading: Reading) -> str | None:
    """A string value; anything else is a problem at its line."""
    value = scalar(node)
    if isinstance(value, str) and value.strip():
        return value
    reading.fail(node.line, field, "must be a non-empty string", None)
    return None


def _texts(node: Node, field: str, reading: Reading) -> list[tuple[Node, str]]:
    """A string or a list of strings, each with its node."""
    found = []
    for index, item in enumerate(one_or_many(node)):
        text = _text(item, f"{field}[{index}]" if node.kind == "sequence" else field, reading)
        if text is not None:
            found.append((item, text))
    return found


def _strings(pairs: list[tuple[Node, str]], line: int) -> Node:
    return Built("sequence", line, items=[Built("scalar", node.line, text) for node, text in pairs])


def _warn_rest(found: Entries, known: set[str], reading: Reading, where: str = "", why: str = "") -> None:
    """A warning for each key no mapping took."""
    for key, (key_node, _) in found.items():
        if key not in known:
            reading.warn(key_node.line, f"{where}{key}", f"is not sent to Zenodo{why}")


# --------------------------------------------------------------------------- codemeta.json

# Keys that say what the document is, not what the work is.
_CODEMETA_FORMAT = {"@context", "@type"}


def from_codemeta(root: Node, label: str) -> Derived:
    """The fields a codemeta.json gives (see README's table), a warning for each it has that Zenodo
    cannot take."""
    reading = Reading(label)
    found = entries(root)
    if root.kind != "mapping":
        reading.fail(root.line, "", "must be a JSON object (a codemeta.json describes one work)")
        return reading.derived({})
    fields: dict[str, Node] = {}
    for key, (path, convert) in _CODEMETA.items():
        if key in found and path not in fields:
            node = convert(found[key][1], key, reading)
            if node is not None:
                fields[path] = node
    related = _codemeta_related(found, reading)
    if related is not None:
        fields["metadata.related"] = related
    funding = _codemeta_funding(found, reading)
    if funding is not None:
        fields["metadata.funding"] = funding
    kind = scalar(found["@type"][1]) if "@type" in found else "SoftwareSourceCode"
    if kind in _CODEMETA_TYPES:
        fields["metadata.resource_type"] = Implied(
            "scalar", found.get("@type", (root, root))[1].line, _CODEMETA_TYPES[kind]
        )
    dates = _codemeta_dates(found, reading)
    if dates is not None:
        fields["metadata.dates"] = dates
    known = {*_CODEMETA, *_CODEMETA_RELATED, *_CODEMETA_DATES, "funder", "funding", *_CODEMETA_FORMAT}
    _warn_rest(found, known, reading)
    return reading.derived(fields)


# What a codemeta.json's @type says of the resource type (zenodo.yaml's resource_type overrides it).
_CODEMETA_TYPES = {"SoftwareSourceCode": "software", "SoftwareApplication": "software", "Dataset": "dataset"}

Convert = Callable[[Node, str, Reading], Node | None]


def _as_is(node: Node, field: str, reading: Reading) -> Node | None:
    return node if _text(node, field, reading) is not None else None


def _version(node: Node, field: str, reading: Reading) -> Node | None:
    value = scalar(node)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Built("scalar", node.line, node.text())
    return _as_is(node, field, reading)


def _description(node: Node, field: str, reading: Reading) -> Node | None:
    return html_paragraphs(node) if _text(node, field, reading) is not None else None


def _keywords(node: Node, field: str, reading: Reading) -> Node | None:
    """A list of keywords, or one string of them separated by commas (as many generators write)."""
    pairs = _texts(node, field, reading)
    if node.kind == "scalar" and pairs:
        pairs = [(node, part.strip()) for part in pairs[0][1].split(",") if part.strip()]
    return _strings(pairs, node.line) if pairs else None


def _codemeta_licenses(node: Node, field: str, reading: Reading) -> Node | None:
    """SPDX ids or spdx.org URLs, as strings or CreativeWork objects with an @id, url or identifier."""
    written = []
    for item in one_or_many(node):
        own = entries(item)
        target = next((own[key][1] for key in ("@id", "url", "identifier") if key in own), item)
        text = _text(target, field, reading)
        if text is not None:
            written.append((target, text))
    return license_ids(written, field, reading)


def _programming_languages(node: Node, field: str, reading: Reading) -> Node | None:
    """Names ("Python", {"name": "R"}) as Zenodo's ids (`python`, `r`); an unknown one a warning."""
    ids = []
    for item in one_or_many(node):
        own = entries(item)
        target = own["name"][1] if "name" in own else item
        text = _text(target, field, reading)
        if text is None:
            continue
        known = vocabulary.programming_language_titles().get(text.strip().lower())
        if known is None:
            reading.warn(
                target.line, field, f"{text!r} is not one of Zenodo's programming languages: not sent"
            )
        else:
            ids.append(Built("scalar", target.line, known))
    return Built("sequence", node.line, items=ids) if ids else None


def _development_status(node: Node, field: str, reading: Reading) -> Node | None:
    """A repostatus.org status (`active`, or its URL `https://www.repostatus.org/#active`)."""
    text = _text(node, field, reading)
    return None if text is None else Built("scalar", node.line, text.rsplit("#", 1)[-1].strip().lower())


def _codemeta_people(node: Node, field: str, reading: Reading) -> Node | None:
    people = []
    for index, item in enumerate(one_or_many(node)):
        person = _codemeta_agent(item, f"{field}[{index}]", reading)
        if person is not None:
            people.append(person)
    return Built("sequence", node.line, items=people) if people else None


def _codemeta_contributors(node: Node, field: str, reading: Reading) -> Node | None:
    """Contributors, each with Zenodo's role `other` (CodeMeta gives none Zenodo knows)."""
    people = _codemeta_people(node, field, reading)
    if people is None:
        return None
    items = [
        Built(
            "mapping",
            p.line,
            pairs=[*p.pairs(), (Built("scalar", p.line, "role"), Built("scalar", p.line, "other"))],
        )
        for p in people.items()
    ]
    return Built("sequence", people.line, items=items)


_AGENT_KEYS = {"@type", "@id", "identifier", "givenName", "familyName", "name", "affiliation"}


def _codemeta_agent(node: Node, field: str, reading: Reading) -> Node | None:
    """A Person (givenName, familyName, ORCID as @id or identifier, affiliations) or an Organization
    (name, ROR as @id) as a creator."""
    own = entries(node)
    if node.kind != "mapping":
        reading.fail(node.line, field, "must be a Person or Organization object")
        return None
    _warn_rest(own, _AGENT_KEYS, reading, f"{field}.", " (a creator has no such field)")
    ids = [scalar(own[key][1]) for key in ("@id", "identifier") if key in own]
    kind = scalar(own["@type"][1]) if "@type" in own else "Person"
    if kind == "Organization":
        if "name" not in own or _text(own["name"][1], f"{field}.name", reading) is None:
            reading.fail(node.line, field, "an Organization needs a name")
            return None
        out: dict[str, Node] = {"type": Built("scalar", node.line, "organizational"), "name": own["name"][1]}
        ror = _ror_of(own)
        if ror is not None:
            out["identifiers"] = Built.of({"ror": ror}, node.line)
        return Built.mapping(out, node.line)
    if "familyName" not in own:
        reading.warn(node.line, field, "has no familyName, which Zenodo needs of a person: not sent")
        return None
    out = {"family_name": own["familyName"][1]}
    if "givenName" in own:
        out["given_name"] = own["givenName"][1]
    orcids = [m.group(2) for i in ids if isinstance(i, str) and (m := _ORCID.search(i))]
    if orcids:
        out["identifiers"] = Built.of({"orcid": orcids[0]}, node.line)
    if "affiliation" in own:
        out["affiliations"] = _affiliations(own["affiliation"][1], f"{field}.affiliation", reading)
    return Built.mapping(out, node.line)


def _affiliations(node: Node, field: str, reading: Reading) -> Node:
    """Names or Organizations, each as `{ror}` or `{name}`."""
    found = [_ror_or_name(item, field, reading) for item in one_or_many(node)]
    return Built("sequence", node.line, items=[item for item in found if item is not None])


def _ror_of(own: Entries) -> str | None:
    """The ROR id of an Organization whose @id (or identifier) is a ROR URL."""
    ids = [scalar(own[key][1]) for key in ("@id", "identifier") if key in own]
    return next((m.group(1) for i in ids if isinstance(i, str) and (m := _ROR.search(i))), None)


def _ror_or_name(node: Node, field: str, reading: Reading) -> Node | None:
    """An organisation (a name, or an Organization) as zenodo.yaml's `{ror}` when it has one, else
    `{name}`: an affiliation, a funder."""
    own = entries(node)
    ror = _ror_of(own)
    if ror is not None:
        return Built.of({"ror": ror}, node.line)
    target = own["name"][1] if "name" in own else node
    return Built.mapping({"name": target}, node.line) if _text(target, field, reading) is not None else None


_CODEMETA: dict[str, tuple[str, Convert]] = {
    "name": ("metadata.title", _as_is),
    "version": ("metadata.version", _version),
    "softwareVersion": ("metadata.version", _version),
    "author": ("metadata.creators", _codemeta_people),
    "contributor": ("metadata.contributors", _codemeta_contributors),
    "description": ("metadata.description", _description),
    "keywords": ("metadata.keywords", _keywords),
    "license": ("metadata.license", _codemeta_licenses),
    "codeRepository": ("code_repository", _as_is),
    "datePublished": ("metadata.publication_date", _as_is),
    "programmingLanguage": ("custom_fields.programming_languages", _programming_languages),
    "developmentStatus": ("custom_fields.development_status", _development_status),
}

# The work itself (isidenticalto), the paper describing it, the works it cites.
_CODEMETA_RELATED = {
    "identifier": "isidenticalto",
    "@id": "isidenticalto",
    "sameAs": "isidenticalto",
    "referencePublication": "isdescribedby",
    "citation": "references",
}


def _codemeta_related(found: Entries, reading: Reading) -> Node | None:
    """Identifiers that are DOIs or URLs; one that is neither (a package name) is a warning."""
    related: dict[str, Node] = {}
    for key, relation in _CODEMETA_RELATED.items():
        if key not in found:
            continue
        for item in one_or_many(found[key][1]):
            own = entries(item)
            targets = [own[k][1] for k in ("@id", "identifier", "url", "value") if k in own] or [item]
            values = [(t, v) for t in targets if isinstance(v := scalar(t), str) and identifier_scheme(v)]
            if not values:
                reading.warn(item.line, key, "is neither a DOI nor a URL: not sent as a related identifier")
                continue
            target, value = values[0]
            scheme, identifier = identifier_scheme(value) or ("url", value)
            add_related(related, scheme, identifier, relation, target.line)
    return related_list(related)


_CODEMETA_DATES = {"dateCreated": "created", "dateModified": "updated"}


def _codemeta_dates(found: Entries, reading: Reading) -> Node | None:
    dates = [
        Built.mapping(
            {"date": found[key][1], "type": Built("scalar", found[key][1].line, kind)}, found[key][1].line
        )
        for key, kind in _CODEMETA_DATES.items()
        if key in found and _text(found[key][1], key, reading) is not None
    ]
    return Built("sequence", dates[0].line, items=dates) if dates else None


def _codemeta_funding(found: Entries, reading: Reading) -> Node | None:
    """CodeMeta 3 Grants (`funding`: name, identifier, funder) and CodeMeta 2 funders (`funder`) as
    Zenodo's funding; CodeMeta 2's free-text `funding` is a warning."""
    items = []
    for index, grant in enumerate(one_or_many(found["funding"][1]) if "funding" in found else ()):
        own = entries(grant)
        if grant.kind != "mapping" or "funder" not in own:
            reading.warn(
                grant.line, f"funding[{index}]", "has no funder object: not sent", "give metadata.funding"
            )
            continue
        award = {
            zenodo: own[key][1]
            for key, zenodo in (("fundingIdentifier", "number"), ("identifier", "number"), ("name", "title"))
            if key in own
        }
        funder = _ror_or_name(own["funder"][1], f"funding[{index}].funder", reading)
        if funder is not None:
            entry = {"funder": funder, **({"award": Built.mapping(award, grant.line)} if award else {})}
            items.append(Built.mapping(entry, grant.line))
    for item in one_or_many(found["funder"][1]) if "funder" in found else ():
        funder = _ror_or_name(item, "funder", reading)
        if funder is not None:
            items.append(Built.mapping({"funder": funder}, item.line))
    return Built("sequence", items[0].line, items=items) if items else None


# --------------------------------------------------------------------------- .zenodo.json

# Keys of the legacy deposit metadata zsync has no field for, and why (or what to write instead).
_ZENODO_JSON_NOT_SENT = {
    "access_right": "give access in zenodo.yaml (public unless access.files says restricted)",
    "access_conditions": "give access in zenodo.yaml",
    "embargo_date": "give access in zenodo.yaml",
    "communities": "list them under communities in zenodo.yaml (zsync then asks for inclusion)",
    "grants": "give metadata.funding in zenodo.yaml (Zenodo's funders are ROR ids)",
    "subjects": "give metadata.keywords in zenodo.yaml",
    "doi": "Zenodo gives the record its DOI; an earlier DOI goes in metadata.related",
    "prereserve_doi": "zsync reserves a DOI for every draft (see --no-reserve-doi)",
    "locations": "zsync has no locations field",
    "method": "zsync has no methods field; put it in the description",
}

_AS_IS = {
    "title": "metadata.title",
    "keywords": "metadata.keywords",
    "notes": "metadata.notes",
    "references": "metadata.references",
    "publication_date": "metadata.publication_date",
    "imprint_publisher": "metadata.publisher",
}


def from_zenodo_json(root: Node, label: str) -> Derived:
    """The fields a .zenodo.json gives (see README's table), a warning for each it has that zsync
    cannot send."""
    reading = Reading(label)
    if root.kind != "mapping":
        reading.fail(root.line, "", "must be a JSON object (Zenodo's deposit metadata)")
        return reading.derived({})
    found = entries(root)
    fields = {path: found[key][1] for key, path in _AS_IS.items() if key in found}
    mapped = {
        "metadata.version": _version(found["version"][1], "version", reading) if "version" in found else None,
        "metadata.description": found["description"][1] if "description" in found else None,  # HTML already
        "metadata.creators": _zenodo_people(found, "creators", reading),
        "metadata.contributors": _zenodo_people(found, "contributors", reading),
        "metadata.license": _zenodo_license(found, reading),
        "metadata.resource_type": _upload_type(found, reading),
        "metadata.related": _zenodo_related(found, reading),
        "metadata.languages": found["language"][1] if "language" in found else None,
        "metadata.dates": _zenodo_dates(found, reading),
    }
    fields.update((path, node) for path, node in mapped.items() if node is not None)
    for key, (key_node, _) in found.items():
        opened = key == "access_right" and scalar(found[key][1]) == "open"  # what zsync sends
        if key in _ZENODO_JSON_NOT_SENT and not opened:
            reading.warn(key_node.line, key, "is not sent to Zenodo", _ZENODO_JSON_NOT_SENT[key])
    known = {*_AS_IS, *_ZENODO_JSON_NOT_SENT, *_ZENODO_MAPPED}
    _warn_rest(found, known, reading, why=" (zsync has no such field; see the README's .zenodo.json table)")
    return reading.derived(fields)


_ZENODO_MAPPED = {
    "version", "description", "creators", "contributors", "license", "upload_type", "publication_type",
    "image_type", "related_identifiers", "language", "dates",
}  # fmt: skip


def _zenodo_people(found: Entries, key: str, reading: Reading) -> Node | None:
    """Creators (or contributors, with their `type` as the role): `name` "Family, Given", `orcid`,
    `affiliation` by name."""
    if key not in found:
        return None
    node = found[key][1]
    people = []
    for index, item in enumerate(node.items() if node.kind == "sequence" else ()):
        person = _zenodo_person(item, f"{key}[{index}]", reading, role=key == "contributors")
        if person is not None:
            people.append(person)
    if node.kind != "sequence":
        reading.fail(node.line, key, "must be a list")
    return Built("sequence", node.line, items=people) if people else None


def _zenodo_person(node: Node, field: str, reading: Reading, *, role: bool) -> Node | None:
    own = entries(node)
    if node.kind != "mapping" or "name" not in own:
        reading.fail(node.line, field, "must be an object with a name ('Family, Given')")
        return None
    name_node = own["name"][1]
    name = _text(name_node, f"{field}.name", reading)
    if name is None:
        return None
    out: dict[str, Node] = {"name": name_node}
    if "," not in name:
        reading.warn(
            name_node.line,
            f"{field}.name",
            f"{name!r} has no comma: sent as a person whose family name it is",
        )
        out = {"family_name": name_node}
    orcid = scalar(own["orcid"][1]) if "orcid" in own else None
    if orcid:  # "orcid": "" is what many files write for none
        out["identifiers"] = Built.mapping({"orcid": own["orcid"][1]}, own["orcid"][1].line)
    if "affiliation" in own and scalar(own["affiliation"][1]):
        affiliation = own["affiliation"][1]
        out["affiliations"] = Built(
            "sequence", affiliation.line, items=[Built.mapping({"name": affiliation}, affiliation.line)]
        )
    if role and "type" in own:
        kind = own["type"][1]
        out["role"] = Built("scalar", kind.line, str(scalar(kind)).lower())
    _warn_rest(
        own,
        {"name", "orcid", "affiliation", *(("type",) if role else ())},
        reading,
        f"{field}.",
        " (a creator has no such field)",
    )
    return Built.mapping(out, node.line)


def _zenodo_license(found: Entries, reading: Reading) -> Node | None:
    """An id (`"MIT"`, `"cc-by-4.0"`), or an object with `id` (or GitHub's `spdx_id`)."""
    if "license" not in found:
        return None
    node = found["license"][1]
    own = entries(node)
    target = next((own[key][1] for key in ("id", "spdx_id") if key in own), node)
    text = _text(target, "license", reading)
    return None if text is None else license_ids([(target, text)], "license", reading)


def _upload_type(found: Entries, reading: Reading) -> Node | None:
    """`upload_type` with its `publication_type` or `image_type` as Zenodo's resource type
    (`publication` + `article` is `publication-article`)."""
    if "upload_type" not in found:
        return None
    node = found["upload_type"][1]
    kind = _text(node, "upload_type", reading)
    if kind is None:
        return None
    sub = {"publication": "publication_type", "image": "image_type"}.get(kind)
    if sub is not None and sub in found:
        detail = _text(found[sub][1], sub, reading)
        if detail is not None:
            return Built("scalar", found[sub][1].line, f"{kind}-{detail}")
    return Built("scalar", node.line, kind)


def _zenodo_related(found: Entries, reading: Reading) -> Node | None:
    """`related_identifiers`: identifier, relation (camelCase there, lower case here), resource_type
    and scheme (detected, as Zenodo did, when not given: a DOI or a URL)."""
    if "related_identifiers" not in found:
        return None
    node = found["related_identifiers"][1]
    items = []
    for index, item in enumerate(node.items() if node.kind == "sequence" else [node]):
        own = entries(item)
        field = f"related_identifiers[{index}]"
        if "identifier" not in own or "relation" not in own:
            reading.fail(item.line, field, "needs an identifier and a relation")
            continue
        identifier = _text(own["identifier"][1], f"{field}.identifier", reading)
        relation = _text(own["relation"][1], f"{field}.relation", reading)
        if identifier is None or relation is None:
            continue
        written = scalar(own["scheme"][1]) if "scheme" in own else None
        scheme, value = (
            (str(written).lower(), identifier) if written else identifier_scheme(identifier) or ("", "")
        )
        if not scheme:
            reading.warn(
                item.line,
                field,
                f"{identifier!r} is neither a DOI nor a URL: not sent",
                "give metadata.related with its scheme",
            )
            continue
        entry = {"scheme": scheme, "identifier": value, "relation_type": relation.lower()}
        if "resource_type" in own:
            entry["resource_type"] = str(scalar(own["resource_type"][1]))
        items.append(Built.of(entry, item.line))
        _warn_rest(own, {"identifier", "relation", "scheme", "resource_type"}, reading, f"{field}.")
    return Built("sequence", node.line, items=items) if items else None


def _zenodo_dates(found: Entries, reading: Reading) -> Node | None:
    """`dates`: {start, end, type, description}, an interval when both ends are given."""
    if "dates" not in found:
        return None
    node = found["dates"][1]
    items = []
    for index, item in enumerate(node.items() if node.kind == "sequence" else [node]):
        own = entries(item)
        ends = [str(scalar(own[key][1])) for key in ("start", "end") if key in own]
        if not ends or "type" not in own:
            reading.fail(item.line, f"dates[{index}]", "needs a type and a start or an end")
            continue
        entry: dict[str, Node] = {
            "date": Built("scalar", item.line, "/".join(ends) if len(ends) == 2 else ends[0]),
            "type": Built("scalar", own["type"][1].line, str(scalar(own["type"][1])).lower()),
        }
        if "description" in own:
            entry["description"] = own["description"][1]
        items.append(Built.mapping(entry, item.line))
    return Built("sequence", node.line, items=items) if items else None
