"""What every `metadata_from` reader shares: the result of reading a source, and the small mappings
that recur across formats (licences, identifiers, plain text as HTML).

A reader (`zsync.metasources.from_cff`, `zsync.metajson.from_codemeta`, `.from_zenodo_json`) turns a
source's node tree into nodes in zenodo.yaml's shape, each on the line it was read from; what it
cannot map is a warning, a value whose shape it cannot read a problem (a config error).
"""

from __future__ import annotations

from typing import NamedTuple

from zsync import vocabulary
from zsync.errors import Problem
from zsync.lazyre import Lazy
from zsync.loader.nodes import Built, Node, Unreadable

_DOI = Lazy(r"^10\.\d{4,9}/\S+$")
_DOI_URL = Lazy(r"^https?://(dx\.)?doi\.org/(10\.\d{4,9}/\S+)$")
_SPDX_URL = Lazy(r"^https?://spdx\.org/licenses/([^/#?]+?)(\.html|\.json)?$")


class Derived(NamedTuple):
    """A source read: its fields by config path (each a node with its line), what it holds that Zenodo
    cannot take (warnings), and what cannot be read at all (problems: the config does not load)."""

    label: str
    fields: dict[str, Node]
    warnings: list[Problem]
    problems: list[Problem]


class Implied(Built):
    """A value the format implies rather than writes (a CFF without `type:` is software): zenodo.yaml
    overrides it without a warning."""

    __slots__ = ()


class Reading:
    """The warnings and problems of one source as it is read."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []

    def warn(self, line: int, field: str, message: str, hint: str | None = None) -> None:
        self.warnings.append(Problem(self.label, line, field, message, hint))

    def fail(self, line: int, field: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.label, line, field, message, hint))

    def derived(self, fields: dict[str, Node]) -> Derived:
        return Derived(self.label, fields, self.warnings, self.problems)


def scalar(node: Node) -> object:
    """A scalar's value (None for a mapping, a list or what the format cannot read)."""
    if node.kind != "scalar":
        return None
    try:
        return node.value()
    except Unreadable:
        return None


def entries(node: Node) -> dict[str, tuple[Node, Node]]:
    """A mapping's (key node, value node) by key; {} for anything else."""
    return {str(scalar(k)): (k, v) for k, v in node.pairs()} if node.kind == "mapping" else {}


def one_or_many(node: Node) -> list[Node]:
    """A list's items, or the one value (JSON-LD and CFF allow both)."""
    return list(node.items()) if node.kind == "sequence" else [node]


def html_paragraphs(node: Node) -> Node:
    """Plain text as HTML paragraphs (a description is HTML on Zenodo)."""
    import html  # here: its entity table costs every `zsync validate` without a metadata source

    text = str(scalar(node))
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]
    return Built("scalar", node.line, "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs))


def license_ids(items: list[tuple[Node, str]], field: str, reading: Reading) -> Node | None:
    """Licences (each a node and the SPDX id or spdx.org URL written) as Zenodo ids, lower-cased;
    one not in Zenodo's licence list is a warning."""
    known = []
    for node, written in items:
        match = _SPDX_URL.search(written)
        spdx = match.group(1) if match else written
        if spdx.lower() in vocabulary.license_ids():
            known.append(Built("scalar", node.line, spdx.lower()))
        else:
            instead = vocabulary.license_replacements(spdx.lower())
            hint = (
                f"give license: {' or '.join(instead)} in zenodo.yaml"
                if instead
                else "give license in zenodo.yaml"
            )
            reading.warn(node.line, field, f"{written!r} is not in Zenodo's licence list: not sent", hint)
    return Built("sequence", known[0].line, items=known) if known else None


def identifier_scheme(value: str) -> tuple[str, str] | None:
    """A DOI (bare or as a doi.org URL) as ("doi", "10..."), another http(s) URL as ("url", ...),
    None for anything else."""
    match = _DOI_URL.search(value)
    if match:
        return "doi", match.group(2)
    if _DOI.search(value):
        return "doi", value
    if value.startswith(("https://", "http://")):
        return "url", value
    return None


def related_list(found: dict[str, Node]) -> Node | None:
    """The related identifiers collected (by identifier, the first of each kept), as one list."""
    nodes = list(found.values())
    return Built("sequence", min(n.line for n in nodes), items=nodes) if nodes else None


def add_related(found: dict[str, Node], scheme: str, value: str, relation: str, line: int) -> None:
    if value.lower() not in found:
        found[value.lower()] = Built.of(
            {"scheme": scheme, "identifier": value, "relation_type": relation}, line
        )
