"""The neutral node tree the config walker reads, whatever the format of the document.

An adapter (today `zsync.loader.fromyaml`; TOML and JSON can follow) turns text into `Node`s that
know their kind, their line and, for a scalar, its value, so that the walker never sees a parser's
own types and every format gets the same `file:line: field: message` problems.

`Node` is an interface rather than a frozen tree: YAML aliases make a document a graph (`&a [*a]`
contains itself, and a few nested aliases expand to billions of nodes), so the YAML adapter wraps
its nodes lazily and the walker only ever visits what the table asks for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Literal, TypeAlias

Kind: TypeAlias = "Literal['mapping', 'sequence', 'scalar']"


class Unreadable(Exception):
    """A scalar the format cannot turn into a value (an unknown tag, an impossible date, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DocumentError(Exception):
    """The text is not a well-formed document; `line` is 1-based, None when unknown."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class Node(ABC):
    """One value of a document: a mapping, a sequence or a scalar, starting on `line` (1-based)."""

    __slots__ = ()

    kind: Kind
    line: int

    @abstractmethod
    def value(self) -> object:
        """A scalar's value (str, int, float, bool, None, date, ...); raises `Unreadable`."""

    @abstractmethod
    def text(self) -> str:
        """A scalar as written, before typing: what a hint quotes (`version: '1.0'`)."""

    @abstractmethod
    def pairs(self) -> Sequence[tuple[Node, Node]]:
        """A mapping's (key, value) nodes in document order, duplicates included."""

    @abstractmethod
    def items(self) -> Sequence[Node]:
        """A sequence's items in document order."""


class Plain(Node):
    """A node made in memory, not read from a document: a value given as a command-line argument
    (a string, or a list of them). Its line is 0: it has none."""

    __slots__ = ("_value", "kind", "line")

    def __init__(self, value: str | Sequence[str]) -> None:
        self._value = value
        self.kind = "scalar" if isinstance(value, str) else "sequence"
        self.line = 0

    def value(self) -> object:
        return self._value

    def text(self) -> str:
        return str(self._value)

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        return []

    def items(self) -> Sequence[Node]:
        return [Plain(item) for item in self._value] if not isinstance(self._value, str) else []


class Built(Node):
    """A node assembled from other nodes or values, with the line it stands for: what a metadata
    source (`zsync.metasources`) becomes, in zenodo.yaml's shape, each value keeping the line of the
    file it was read from."""

    __slots__ = ("_items", "_pairs", "_value", "kind", "line")

    def __init__(
        self,
        kind: Kind,
        line: int,
        value: object = None,
        pairs: Sequence[tuple[Node, Node]] = (),
        items: Sequence[Node] = (),
    ) -> None:
        self.kind = kind
        self.line = line
        self._value = value
        self._pairs = list(pairs)
        self._items = list(items)

    @classmethod
    def of(cls, value: object, line: int) -> Built:
        """`value` (str, number, None, list, dict) as nodes, all on `line`."""
        if isinstance(value, dict):
            return cls.mapping({key: cls.of(item, line) for key, item in value.items()}, line)
        if isinstance(value, list | tuple):
            return cls("sequence", line, items=[cls.of(item, line) for item in value])
        return cls("scalar", line, value)

    @classmethod
    def mapping(cls, entries: dict[str, Node], line: int) -> Built:
        """A mapping of `entries`, each key on its value's line."""
        return cls(
            "mapping", line, pairs=[(cls("scalar", node.line, key), node) for key, node in entries.items()]
        )

    def value(self) -> object:
        return self._value

    def text(self) -> str:
        return str(self._value)

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        return self._pairs

    def items(self) -> Sequence[Node]:
        return self._items
