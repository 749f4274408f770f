"""TOML text to the neutral node tree, every value with its line.

`tomllib` reads the values (so a TOML file means exactly what the standard parser says) but keeps no
positions. A small scanner, run only on text `tomllib` accepted, finds where each key, table header
(`[metadata]`, `[[metadata.creators]]`, dotted keys, inline tables) and array item starts; the nodes
pair each value with that line, falling back to the line of the nearest enclosing key.
"""

from __future__ import annotations

import bisect
import contextlib
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from zsync.lazyre import Lazy
from zsync.loader.nodes import DocumentError, Kind, Node

Path = tuple[str | int, ...]

_AT_LINE = Lazy(r"\(at line (\d+), column \d+\)|\(at end of document\)")
_BARE_KEY = Lazy(r"[A-Za-z0-9_-]+")
_SCALAR_END = Lazy(r"[,\]}\n#]")


def compose(text: str) -> Node | None:
    """The root node of `text`, None for a document without content; raises `DocumentError`."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = _AT_LINE.sub("", str(exc)).strip()
        raise DocumentError(_error_line(text, str(exc)), f"TOML syntax error: {detail}") from None
    except RecursionError:
        raise DocumentError(None, "TOML syntax error: the document is nested too deeply") from None
    if not data:
        return None
    scanner = _Scanner(text)
    # A construct the scanner does not follow: the lines found so far still serve.
    with contextlib.suppress(IndexError, ValueError, tomllib.TOMLDecodeError):
        scanner.document()
    return _TomlNode(data, (), 1, scanner)


def _error_line(text: str, message: str) -> int | None:
    match = _AT_LINE.search(message)
    if match is None:
        return None
    return int(match.group(1)) if match.group(1) else text.count("\n") + 1


class _TomlNode(Node):
    __slots__ = ("_path", "_scanner", "_value", "kind", "line")

    def __init__(self, value: Any, path: Path, line: int, scanner: _Scanner) -> None:
        self._value = value
        self._path = path
        self._scanner = scanner
        self.line = line
        kind: Kind = "scalar"
        if isinstance(value, dict):
            kind = "mapping"
        elif isinstance(value, list):
            kind = "sequence"
        self.kind = kind

    def _child(self, value: Any, step: str | int) -> _TomlNode:
        path = (*self._path, step)
        return _TomlNode(value, path, self._scanner.lines.get(path, self.line), self._scanner)

    def value(self) -> object:
        return self._value

    def text(self) -> str:
        if isinstance(self._value, str):
            return self._value
        raw = self._scanner.raws.get(self._path)
        if raw is not None:
            return raw
        if isinstance(self._value, bool):
            return "true" if self._value else "false"
        if isinstance(self._value, datetime | date | time):
            return self._value.isoformat()
        return str(self._value)

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        result: list[tuple[Node, Node]] = []
        for key, value in self._value.items():
            child = self._child(value, key)
            result.append((_TomlNode(key, child._path, child.line, self._scanner), child))
        return result

    def items(self) -> Sequence[Node]:
        return [self._child(item, index) for index, item in enumerate(self._value)]


class _Scanner:
    """The line of each key path (`("metadata", "creators", 0, "family_name")`) of a valid document."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [index for index, char in enumerate(text) if char == "\n"]
        self.lines: dict[Path, int] = {}
        self.raws: dict[Path, str] = {}
        self.tables: dict[Path, int] = {}  # arrays of tables: how many items each has so far

    def line(self, position: int) -> int:
        return bisect.bisect_left(self.breaks, position) + 1

    def mark(self, path: Path, position: int) -> None:
        self.lines.setdefault(path, self.line(position))

    def skip(self, position: int, *, newlines: bool) -> int:
        """Past spaces (and newlines and comments, when `newlines`)."""
        text = self.text
        while position < len(text):
            char = text[position]
            if char in " \t\r" or (newlines and char == "\n"):
                position += 1
            elif newlines and char == "#":
                end = text.find("\n", position)
                position = len(text) if end < 0 else end
            else:
                break
        return position

    def document(self) -> None:
        current: Path = ()
        position = self.skip(0, newlines=True)
        while position < len(self.text):
            if self.text.startswith("[[", position):
                keys, position = self.keys(position + 2)
                current = self.table_item(keys, position)
                position = self.text.index("]]", position) + 2
            elif self.text[position] == "[":
                keys, position = self.keys(position + 1)
                current = self.resolve(keys, position)
                position = self.text.index("]", position) + 1
            else:
                position = self.key_value(current, position)
            position = self.skip(position, newlines=True)

    def resolve(self, keys: list[str], position: int) -> Path:
        """The path of a `[a.b]` header: a prefix that is an array of tables means its last item."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            self.mark(path, position)
            if path in self.tables:
                path = (*path, self.tables[path] - 1)
        return path

    def table_item(self, keys: list[str], position: int) -> Path:
        """The path of the next item of the `[[a.b]]` array of tables."""
        array = (*self.resolve(keys[:-1], position), keys[-1])
        self.mark(array, position)
        index = self.tables.get(array, 0)
        self.tables[array] = index + 1
        item = (*array, index)
        self.mark(item, position)
        return item

    def keys(self, position: int) -> tuple[list[str], int]:
        """A dotted key starting at `position`, decoded as tomllib decodes it."""
        keys: list[str] = []
        while True:
            position = self.skip(position, newlines=False)
            char = self.text[position]
            if char in "\"'":
                end = self.text.index(char, position + 1)
                while char == '"' and self._escaped(end):
                    end = self.text.index(char, end + 1)
                raw = self.text[position : end + 1]
                keys.append(next(iter(tomllib.loads(f"{raw} = 0"))))
                position = end + 1
            else:
                match = _BARE_KEY.match(self.text, position)
                if match is None:
                    raise ValueError(position)
                keys.append(match.group())
                position = match.end()
            position = self.skip(position, newlines=False)
            if self.text[position] != ".":
                return keys, position
            position += 1

    def _escaped(self, index: int) -> bool:
        backslashes = 0
        while self.text[index - 1 - backslashes] == "\\":
            backslashes += 1
        return backslashes % 2 == 1

    def key_value(self, table: Path, position: int) -> int:
        start = position
        keys, position = self.keys(position)
        path = table
        for key in keys:
            path = (*path, key)
            self.mark(path, start)
        position = self.skip(position, newlines=False) + 1  # past "="
        return self.value(path, self.skip(position, newlines=False))

    def value(self, path: Path, position: int) -> int:
        """Past the value at `position`; the text of a scalar other than a string is kept."""
        char = self.text[position]
        if char == "[":
            return self.array(path, position + 1)
        if char == "{":
            return self.inline_table(path, position + 1)
        if char in "\"'":
            return self.string_end(position)
        match = _SCALAR_END.search(self.text, position)
        end = len(self.text) if match is None else match.start()
        self.raws[path] = self.text[position:end].strip()
        return end

    def string_end(self, position: int) -> int:
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, position):
                end = position + 3
                while True:
                    end = text.index(quote, end)
                    if quote == "'''" or not self._escaped(end):
                        break
                    end += 1
                end += 3
                for _ in range(2):  # up to two more quotes end the content: """a""""" is 'a""'
                    if end < len(text) and text[end] == quote[0]:
                        end += 1
                return end
        char = text[position]
        end = text.index(char, position + 1)
        while char == '"' and self._escaped(end):
            end = text.index(char, end + 1)
        return end + 1

    def array(self, path: Path, position: int) -> int:
        index = 0
        position = self.skip(position, newlines=True)
        while self.text[position] != "]":
            item = (*path, index)
            self.mark(item, position)
            position = self.skip(self.value(item, position), newlines=True)
            if self.text[position] == ",":
                position = self.skip(position + 1, newlines=True)
            index += 1
        return position + 1

    def inline_table(self, path: Path, position: int) -> int:
        position = self.skip(position, newlines=True)
        while self.text[position] != "}":
            position = self.skip(self.key_value(path, position), newlines=True)
            if self.text[position] == ",":
                position = self.skip(position + 1, newlines=True)
        return position + 1
