"""JSON text to the neutral node tree, every value with its line.

`json.loads` keeps no positions (an `object_pairs_hook` sees values, not where they were), so this is
a small recursive scanner over the text that decodes each scalar with `json.JSONDecoder.raw_decode`
at its position (strings, numbers, true/false/null exactly as `json` reads them) and records the line
where each key and each value starts. Duplicate keys are kept as pairs, so the walker reports them as
it does for YAML. Syntax errors are `json`'s own messages, with their line.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]

from zsync.loader.nodes import DocumentError, Kind, Node

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def compose(text: str) -> Node | None:
    """The root node of `text`, None for a text of only whitespace; raises `DocumentError`."""
    text = text.removeprefix("\ufeff")
    if not text.strip(_WHITESPACE):
        return None
    try:
        json.loads(text)  # the syntax check, with json's messages and positions
    except json.JSONDecodeError as exc:
        raise DocumentError(exc.lineno, f"JSON syntax error: {exc.msg}") from None
    except RecursionError:
        raise DocumentError(None, "JSON syntax error: the document is nested too deeply") from None
    scanner = _Scanner(text)
    try:
        node, _ = scanner.value(scanner.skip(0))
    except RecursionError:
        raise DocumentError(None, "JSON syntax error: the document is nested too deeply") from None
    return node


class _JsonNode(Node):
    __slots__ = ("_items", "_pairs", "_raw", "_value", "kind", "line")

    def __init__(self, kind: Kind, line: int, value: object = None, raw: str = "") -> None:
        self.kind = kind
        self.line = line
        self._value = value
        self._raw = raw
        self._pairs: list[tuple[Node, Node]] = []
        self._items: list[Node] = []

    def value(self) -> object:
        return self._value

    def text(self) -> str:
        # A string as its value (as the YAML adapter gives it), anything else as written: `1.0`.
        return self._value if isinstance(self._value, str) else self._raw

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        return self._pairs

    def items(self) -> Sequence[Node]:
        return self._items


class _Scanner:
    """Walks a text `json.loads` accepted; so it need not report errors, only find structure."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [index for index, char in enumerate(text) if char == "\n"]

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.breaks, position) + 1

    def skip(self, position: int) -> int:
        while position < len(self.text) and self.text[position] in _WHITESPACE:
            position += 1
        return position

    def value(self, position: int) -> tuple[Node, int]:
        char = self.text[position]
        if char == "{":
            return self.mapping(position)
        if char == "[":
            return self.sequence(position)
        value, end = _DECODER.raw_decode(self.text, position)
        return _JsonNode("scalar", self.line(position), value, self.text[position:end]), end

    def mapping(self, start: int) -> tuple[Node, int]:
        node = _JsonNode("mapping", self.line(start))
        position = self.skip(start + 1)
        while self.text[position] != "}":
            key, after = scanstring(self.text, position + 1)
            key_node = _JsonNode("scalar", self.line(position), key, self.text[position:after])
            position = self.skip(self.skip(after) + 1)  # past the colon
            value, position = self.value(position)
            node._pairs.append((key_node, value))
            position = self.skip(position)
            if self.text[position] == ",":
                position = self.skip(position + 1)
        return node, position + 1

    def sequence(self, start: int) -> tuple[Node, int]:
        node = _JsonNode("sequence", self.line(start))
        position = self.skip(start + 1)
        while self.text[position] != "]":
            item, position = self.value(position)
            node._items.append(item)
            position = self.skip(position)
            if self.text[position] == ",":
                position = self.skip(position + 1)
        return node, position + 1
