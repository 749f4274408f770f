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
from typing import NamedTuple, Protocol

from zsync import citation, vocabulary
from zsync.errors import Problem
from zsync.loader.nodes import Built, DocumentError, Node
from zsync.loader.walk import Walker
from zsync.models import Config

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
    "date-released": "zsync decides the publication date (today, or the published record's date)",
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


class Derived(NamedTuple):
    """A source read: its fields by config path (each a node with its line), and what it lacks."""

    label: str
    fields: dict[str, Node]
    warnings: list[Problem]


def kind_of(name: str) -> str | None:
    """The kind of a metadata source by its file name: "cff", or None when zsync cannot read it."""
    return "cff" if name.lower().endswith(".cff") else None


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
    from zsync.loader import fromyaml  # here: the config table and the schema generator never load yaml

    try:
        root = fromyaml.compose(text)
    except DocumentError as exc:
        walk.problems.append(Problem(label, exc.line, "", exc.message))
        return None
    if root is None:
        walk.problems.append(Problem(label, None, "", "the file is empty"))
        return None
    problems = citation.validate(root, label)
    if problems:
        walk.problems.extend(problems)
        return None
    return from_cff(root, label)


def _merged(root: Node, top: dict[str, tuple[Node, Node]], derived: list[Derived], walk: Walker) -> Node:
    """The config's root with each derived field its own mapping lacks (first source first)."""
    own_metadata = _entries(top["metadata"][1]) if "metadata" in top else {}
    chosen: dict[str, tuple[str, Node]] = {}
    for source in derived:
        walk.warnings.extend(source.warnings)
        for path, node in source.fields.items():
            key = path.removeprefix("metadata.")
            own = own_metadata.get(key) if path.startswith("metadata.") else top.get(path)
            if path == "metadata.description" and own is None:  # a readme is the description too
                own = top.get("path_readme") or _argument(walk)
            if own is not None:
                walk.overridden.setdefault(path, (source.label, node.line))
                _conflict(walk, path, own[1], node, source.label)
            elif path not in chosen:
                chosen[path] = (source.label, node)
    for path, (label, node) in chosen.items():
        walk.origins[path] = (label, node.line)
    metadata_line = top["metadata"][0].line if "metadata" in top else top[KEY][0].line
    metadata_pairs = list(top["metadata"][1].pairs()) if "metadata" in top else []
    metadata_pairs += [
        (Built("scalar", node.line, path.removeprefix("metadata.")), node)
        for path, (_, node) in chosen.items()
        if path.startswith("metadata.")
    ]
    pairs = [(k, v) for k, v in root.pairs() if citation.scalar_value(k) != "metadata"]
    pairs.append(
        (Built("scalar", metadata_line, "metadata"), Built("mapping", metadata_line, pairs=metadata_pairs))
    )
    pairs += [
        (Built("scalar", node.line, path), node) for path, (_, node) in chosen.items() if "." not in path
    ]
    return Built("mapping", root.line, pairs=pairs)


def _argument(walk: Walker) -> tuple[Node, Node] | None:
    """The description given with --description, as an entry."""
    at = walk.argument_description
    return None if at is None else (at.node, at.node)


def _conflict(walk: Walker, path: str, own: Node, node: Node, label: str) -> None:
    """A resource type that contradicts the source's is worth a warning (the other overrides are
    what zenodo.yaml is for, and `render --explain` shows them)."""
    if path != "metadata.resource_type" or own.kind != "scalar" or isinstance(node, _DefaultType):
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


class _DefaultType(Built):
    """The CFF type a file without `type:` has (software)."""

    __slots__ = ()


def from_cff(root: Node, label: str) -> Derived:
    """The fields a valid CITATION.cff gives, and a warning for each that Zenodo cannot take."""
    entries = _entries(root)
    warnings: list[Problem] = []

    def warn(line: int, field: str, message: str, hint: str | None = None) -> None:
        warnings.append(Problem(label, line, field, message, hint))

    fields = {path: entries[key][1] for key, path in _CFF_AS_IS.items() if key in entries}
    if "version" in entries:
        node = entries["version"][1]
        fields["metadata.version"] = Built("scalar", node.line, node.text())
    if "type" not in entries:  # CFF's default; zenodo.yaml's resource_type overrides it without a warning
        fields["metadata.resource_type"] = _DefaultType("scalar", root.line, "software")
    if "abstract" in entries:
        fields["metadata.description"] = _html(entries["abstract"][1])
    mapped = {
        "metadata.creators": _cff_authors(entries["authors"][1], warn),
        "metadata.license": _cff_licenses(entries, warn),
        "metadata.related": _cff_related(entries, warn),
    }
    fields.update((path, node) for path, node in mapped.items() if node is not None)
    for key, (key_node, _) in entries.items():
        if key in _CFF_NOT_SENT:
            warn(key_node.line, key, "is not sent to Zenodo", _CFF_NOT_SENT[key])
    return Derived(label, fields, warnings)


# CFF keys whose values zenodo.yaml takes as they are written.
_CFF_AS_IS = {
    "title": "metadata.title",
    "keywords": "metadata.keywords",
    "type": "metadata.resource_type",
    "repository-code": "code_repository",
}


def _html(node: Node) -> Node:
    """Plain text as HTML paragraphs (a description is HTML on Zenodo)."""
    import html  # here: its entity table costs every `zsync validate` without a CITATION.cff

    text = str(citation.scalar_value(node))
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]
    return Built("scalar", node.line, "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs))


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


def _cff_licenses(entries: dict[str, tuple[Node, Node]], warn: _Warn) -> Node | None:
    if "license" not in entries:
        return None
    node = entries["license"][1]
    items = node.items() if node.kind == "sequence" else [node]
    known = []
    for item in items:
        spdx = str(citation.scalar_value(item))
        if spdx.lower() in vocabulary.license_ids():
            known.append(Built("scalar", item.line, spdx.lower()))
        else:
            warn(
                item.line,
                "license",
                f"{spdx!r} is not in Zenodo's licence list: not sent",
                "give license in zenodo.yaml",
            )
    return Built("sequence", node.line, items=known) if known else None


_ZENODO_SCHEMES = {"doi": "doi", "url": "url"}


def _cff_related(entries: dict[str, tuple[Node, Node]], warn: _Warn) -> Node | None:
    """identifiers and doi (the work itself), references and preferred-citation (works it cites,
    the paper that describes it) as related identifiers; the first of each identifier only."""
    found: dict[str, Node] = {}

    def add(scheme: str, node: Node, relation: str) -> None:
        value = str(citation.scalar_value(node))
        if value.lower() not in found:
            found[value.lower()] = Built.of(
                {"scheme": scheme, "identifier": value, "relation_type": relation}, node.line
            )

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
    return (
        Built("sequence", min(n.line for n in found.values()), items=list(found.values())) if found else None
    )


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
    width = max((len(path) for path, _ in rows), default=0)
    return [f"{path.ljust(width)}  {where}" for path, where in rows]
