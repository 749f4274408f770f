"""`metadata_from:`: fields of zenodo.yaml taken from a CITATION.cff, before the config is walked.

Each source becomes nodes in zenodo.yaml's own shape (`metadata.title`, `metadata.creators`,
`code_repository`, ...) that keep the line they were read from; the config's own keys win over
them, and an earlier source over a later one. The merged tree is then walked with zenodo.yaml's
table, so a value from a source is checked exactly as one written in zenodo.yaml, and its problems
name the source's file and line (`Walker.origins`). What a source has that Zenodo cannot take is a
warning (`Walker.warnings`), never dropped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from zsync import citation, metajson
from zsync.errors import Problem
from zsync.loader.nodes import Built, DocumentError, Node
from zsync.loader.walk import Walker
from zsync.models import Config
from zsync.sourcefields import (
    Derived,
    Implied,
    Reading,
    add_related,
    html_paragraphs,
    license_ids,
    related_list,
)

KEY = "metadata_from"

# CFF keys that say nothing about the work itself.
_CFF_FORMAT_KEYS = ("cff-version", "message")
_CFF_NOT_SENT = {
    "contact": "Zenodo has no contact field",
    "commit": "Zenodo has no commit field",
    "repository": "only repository-code is sent (as code_repository)",
    "repository-artifact": "only repository-code is sent (as code_repository)",
    "url": "Zenodo has no landing-page field; add it to metadata.related in zenodo.yaml",
    "license-url": "Zenodo takes licence ids only",
}
_PERSON_NOT_SENT = (
    "address",
    "alias",
    "city",
    "country",
    "email",
    "fax",
    "post-code",
    "region",
    "tel",
    "website",
)


def kind_of(name: str) -> str | None:
    """The kind of a metadata source by its file name ("cff", "codemeta", "zenodo-json"), or None
    when zsync cannot read it."""
    base = Path(name).name
    if base.lower().endswith(".cff"):
        return "cff"
    return {"codemeta.json": "codemeta", ".zenodo.json": "zenodo-json"}.get(base)


def _entries(node: Node) -> dict[str, tuple[Node, Node]]:
    return {str(citation.scalar_value(k)): (k, v) for k, v in node.pairs()} if node.kind == "mapping" else {}


def apply(root: Node, walk: Walker) -> Node:
    """`root` with the fields of its `metadata_from` sources added where it has none of its own."""
    top = _entries(root)
    if KEY not in top:
        return root
    sources = _written_sources(top[KEY][1])
    derived = [found for name, line in sources if (found := _read(walk, name, line)) is not None]
    if not derived:
        return root
    return _merged(root, top, derived, walk)


def _written_sources(node: Node) -> list[tuple[str, int]]:
    items = node.items() if node.kind == "sequence" else [node]
    found = []
    for item in items:
        value = citation.scalar_value(item) if item.kind == "scalar" else None
        if isinstance(value, str) and kind_of(value):  # anything else: the metadata_from row reports it
            found.append((value, item.line))
    return found


def _read(walk: Walker, name: str, line: int) -> Derived | None:
    path = walk.base / Path(name).expanduser()
    label = str(Path(walk.file).parent / name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        walk.add(KEY, line, f"{name} does not exist", "write it, or leave it out of metadata_from")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        walk.add(KEY, line, f"cannot read {name}: {exc}")
        return None
    kind = kind_of(name)
    try:
        root = _compose(text, kind)
    except DocumentError as exc:
        walk.problems.append(Problem(label, exc.line, "", exc.message))
        return None
    if root is None:
        walk.problems.append(Problem(label, None, "", "the file is empty"))
        return None
    if kind != "cff":
        found = (
            metajson.from_codemeta(root, label)
            if kind == "codemeta"
            else metajson.from_zenodo_json(root, label)
        )
        walk.problems.extend(found.problems)
        return None if found.problems else found
    problems = citation.validate(root, label)
    if problems:
        walk.problems.extend(problems)
        return None
    return from_cff(root, label)


def _compose(text: str, kind: str | None) -> Node | None:
    # Imported here: the config table and the schema generator never load yaml.
    from zsync.loader import fromjson, fromyaml

    return fromyaml.compose(text) if kind == "cff" else fromjson.compose(text)


# The mappings of zenodo.yaml a source fills in key by key; a source's other fields are top-level keys.
_SECTIONS = ("metadata", "custom_fields")


def _merged(root: Node, top: dict[str, tuple[Node, Node]], derived: list[Derived], walk: Walker) -> Node:
    """The config's root with each derived field its own mapping lacks (first source first)."""
    chosen: dict[str, tuple[str, Node]] = {}
    for source in derived:
        walk.warnings.extend(source.warnings)
        for path, node in source.fields.items():
            own = _own(top, path, walk)
            if own is not None:
                walk.overridden.setdefault(path, (source.label, node.line))
                _conflict(walk, path, own[1], node, source.label)
            elif path not in chosen:
                chosen[path] = (source.label, node)
    for path, (label, node) in chosen.items():
        walk.origins[path] = (label, node.line)
    pairs = [(k, v) for k, v in root.pairs() if citation.scalar_value(k) not in _SECTIONS]
    for section in _SECTIONS:
        added = [
            (Built("scalar", node.line, path.removeprefix(f"{section}.")), node)
            for path, (_, node) in chosen.items()
            if path.startswith(f"{section}.")
        ]
        if added and section not in top and section != "metadata":  # all of it is the sources'
            walk.origins.setdefault(section, walk.origins[f"{section}.{added[0][0].value()}"])
        if section in top or added or section == "metadata":
            line = top[section][0].line if section in top else top[KEY][0].line
            mine: list[tuple[Node, Node]] = list(top[section][1].pairs()) if section in top else []
            pairs.append((Built("scalar", line, section), Built("mapping", line, pairs=[*mine, *added])))
    pairs += [
        (Built("scalar", node.line, path), node) for path, (_, node) in chosen.items() if "." not in path
    ]
    return Built("mapping", root.line, pairs=pairs)


def _own(top: dict[str, tuple[Node, Node]], path: str, walk: Walker) -> tuple[Node, Node] | None:
    """zenodo.yaml's own entry for `path`, which a source's value then does not replace."""
    section, _, key = path.partition(".")
    own = _entries(top[section][1]).get(key) if key and section in top else top.get(path)
    if own is None and path == "metadata.description":  # a readme is the description too
        own = top.get("path_readme") or _argument(walk)
    if own is None and path == "code_repository" and "custom_fields" in top:  # its other spelling
        own = _entries(top["custom_fields"][1]).get("code_repository")
    return own


def _argument(walk: Walker) -> tuple[Node, Node] | None:
    """The description given with --description, as an entry."""
    at = walk.argument_description
    return None if at is None else (at.node, at.node)


def _conflict(walk: Walker, path: str, own: Node, node: Node, label: str) -> None:
    """A resource type that contradicts the source's is worth a warning (the other overrides are
    what zenodo.yaml is for, and `render --explain` shows them)."""
    if path != "metadata.resource_type" or own.kind != "scalar" or isinstance(node, Implied):
        return
    mine, theirs = citation.scalar_value(own), citation.scalar_value(node)
    if mine != theirs:
        walk.warnings.append(
            Problem(
                label,
                node.line,
                "type",
                f"{theirs!r} is not used: zenodo.yaml says resource_type {mine!r}",
                "keep one of them",
            )
        )


# --------------------------------------------------------------------------- CITATION.cff


def from_cff(root: Node, label: str) -> Derived:
    """The fields a valid CITATION.cff gives, and a warning for each that Zenodo cannot take."""
    entries = _entries(root)
    reading = Reading(label)
    warn = reading.warn

    fields = {path: entries[key][1] for key, path in _CFF_AS_IS.items() if key in entries}
    if "version" in entries:
        node = entries["version"][1]
        fields["metadata.version"] = Built("scalar", node.line, node.text())
    if "type" not in entries:  # CFF's default; zenodo.yaml's resource_type overrides it without a warning
        fields["metadata.resource_type"] = Implied("scalar", root.line, "software")
    if "abstract" in entries:
        fields["metadata.description"] = html_paragraphs(entries["abstract"][1])
    mapped = {
        "metadata.creators": _cff_authors(entries["authors"][1], warn),
        "metadata.license": _cff_licenses(entries, reading),
        "metadata.related": _cff_related(entries, warn),
    }
    fields.update((path, node) for path, node in mapped.items() if node is not None)
    for key, (key_node, _) in entries.items():
        if key in _CFF_NOT_SENT:
            warn(key_node.line, key, "is not sent to Zenodo", _CFF_NOT_SENT[key])
    return reading.derived(fields)


# CFF keys whose values zenodo.yaml takes as they are written.
_CFF_AS_IS = {
    "title": "metadata.title",
    "keywords": "metadata.keywords",
    "type": "metadata.resource_type",
    "repository-code": "code_repository",
    "date-released": "metadata.publication_date",
}


def _cff_authors(node: Node, warn: _Warn) -> Node | None:
    creators = []
    for index, author in enumerate(node.items()):
        creator = _cff_author(author, f"authors[{index}]", warn)
        if creator is not None:
            creators.append(creator)
    return Built("sequence", node.line, items=creators) if creators else None


# What a CFF person or entity has that a Zenodo creator has not.
_NOT_A_CREATOR_FIELD = (*_PERSON_NOT_SENT, "date-start", "date-end", "location", "name-suffix")


def _cff_author(author: Node, field: str, warn: _Warn) -> Node | None:
    entries = _entries(author)
    for key in _NOT_A_CREATOR_FIELD:
        if key in entries:
            warn(
                entries[key][0].line, f"{field}.{key}", "is not sent to Zenodo (a creator has no such field)"
            )
    if "name" in entries:  # an entity
        out: dict[str, Node] = {
            "type": Built("scalar", author.line, "organizational"),
            "name": entries["name"][1],
        }
    elif "family-names" not in entries:
        warn(author.line, field, "has no family-names, which Zenodo needs of a person: not sent as a creator")
        return None
    else:
        out = _cff_person(entries)
    if "orcid" in entries:
        out["identifiers"] = Built.mapping({"orcid": entries["orcid"][1]}, entries["orcid"][0].line)
    return Built.mapping(out, author.line)


def _cff_person(entries: dict[str, tuple[Node, Node]]) -> dict[str, Node]:
    family = entries["family-names"][1]
    particle = entries.get("name-particle")
    family_text = f"{citation.scalar_value(particle[1])} {family.text()}" if particle else family.text()
    out: dict[str, Node] = {"family_name": Built("scalar", family.line, family_text)}
    if "given-names" in entries:
        out["given_name"] = entries["given-names"][1]
    if "affiliation" in entries:
        affiliation = entries["affiliation"][1]
        out["affiliations"] = Built(
            "sequence", affiliation.line, items=[Built.mapping({"name": affiliation}, affiliation.line)]
        )
    return out


def _cff_licenses(entries: dict[str, tuple[Node, Node]], reading: Reading) -> Node | None:
    if "license" not in entries:
        return None
    node = entries["license"][1]
    items = node.items() if node.kind == "sequence" else [node]
    return license_ids([(item, str(citation.scalar_value(item))) for item in items], "license", reading)


_ZENODO_SCHEMES = {"doi": "doi", "url": "url"}


def _cff_related(entries: dict[str, tuple[Node, Node]], warn: _Warn) -> Node | None:
    """identifiers and doi (the work itself), references and preferred-citation (works it cites,
    the paper that describes it) as related identifiers; the first of each identifier only."""
    found: dict[str, Node] = {}

    def add(scheme: str, node: Node, relation: str) -> None:
        add_related(found, scheme, str(citation.scalar_value(node)), relation, node.line)

    if "doi" in entries:
        add("doi", entries["doi"][1], "isidenticalto")
    for index, item in enumerate(entries["identifiers"][1].items() if "identifiers" in entries else ()):
        own = _entries(item)
        scheme = _ZENODO_SCHEMES.get(str(citation.scalar_value(own["type"][1])))
        if scheme is None:
            warn(item.line, f"identifiers[{index}]", "is not sent: Zenodo takes DOI and URL identifiers here")
        else:
            add(scheme, own["value"][1], "isidenticalto")
    references = list(entries["references"][1].items()) if "references" in entries else []
    cited = [(f"references[{i}]", item, "references") for i, item in enumerate(references)]
    if "preferred-citation" in entries:
        cited.append(("preferred-citation", entries["preferred-citation"][1], "isdescribedby"))
    for field, item, relation in cited:
        own = _entries(item)
        target = next((own[key] for key in ("doi", "url") if key in own), None)
        if target is None:
            warn(item.line, field, "has neither doi nor url: not sent as a related identifier")
        else:
            add("doi" if "doi" in own else "url", target[1], relation)
    return related_list(found)


class _Warn(Protocol):
    def __call__(self, line: int, field: str, message: str, hint: str | None = None) -> None: ...


def explain(config: Config, paths: list[str]) -> list[str]:
    """One line per field of the config: where its value comes from (`metadata.title:
    CITATION.cff:31`), and the source value zenodo.yaml overrides, if any."""
    own = config.source.name
    rows: list[tuple[str, str]] = []
    for path in paths:
        if path in config.origins:
            file, line = config.origins[path]
            where = f"{file}:{line}"
        elif path in config.lines:
            where = f"{own}:{config.lines[path]}"
            if path in config.overridden:
                file, line = config.overridden[path]
                where += f" (overrides {file}:{line})"
        else:
            continue
        rows.append((path, where))
    rows += [(path, f"{file}:{line}") for path, (file, line) in config.origins.items() if path not in paths]
    width = max((len(path) for path, _ in rows), default=0)
    return [f"{path.ljust(width)}  {where}" for path, where in rows]


def given_by(base: Path, names: list[str]) -> set[str]:
    """The config paths (`metadata.title`, `code_repository`, ...) the sources `names` (relative to
    `base`) give; a source that cannot be read gives none (`zsync validate` reports it)."""
    walk = Walker(str(base / "zenodo.yaml"), base)
    found: set[str] = set()
    for name in names:
        derived = _read(walk, name, 0)
        if derived is not None:
            found |= derived.fields.keys()
    return found
