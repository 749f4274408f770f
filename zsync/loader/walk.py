"""Walk a neutral node tree with a table of fields, collecting every problem with its line and path.

The table is made of `Shape`s (a mapping: its `Row`s, an example of it, and how to build a value
from its fields) whose rows name a parser for their value. A parser takes a `Cursor` (a node with
the field path and line that messages about it carry) and returns the value, or None after it has
reported why not; the walk goes on, so one run reports every problem at once.

Field paths look like `metadata.creators[0].identifiers.orcid` (list indices count from 0, like
the field names in Zenodo's own error messages); `Walker.lines` maps each path walked to its line.
Checks that must not run during the walk (the file-system pass, `zsync.filecheck`) are recorded
with `Walker.defer`; `Walker.merged` later puts their problems where the walk was when they were
deferred, so the order of the messages does not depend on when those checks ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeAlias, TypeVar

from zsync import identifiers, vocabulary
from zsync.errors import Problem
from zsync.lazyre import Lazy
from zsync.loader.nodes import Node, Unreadable
from zsync.safetext import escape_controls, quote

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)

Parser: TypeAlias = "Callable[[Cursor], _T | None]"
"""Reads the value at a cursor; None means it failed and has reported why."""


def problem(file: str, line: int | None, path: str, message: str, hint: str | None = None) -> Problem:
    """A `Problem` on one line, whatever the document or an exception put into the text."""
    hint = " ".join(hint.split()) if hint else None
    return Problem(file, line, " ".join(path.split()), " ".join(message.split()), hint)


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class Spot:
    """Where a late problem goes: its field and line, and its position among the walk's problems.
    `file` names where the field was written when that is not the walk's file (the command line)."""

    __slots__ = ("file", "line", "path", "position")

    def __init__(self, path: str, line: int | None, position: int, file: str | None = None) -> None:
        self.path = path
        self.line = line
        self.position = position
        self.file = file

    def problem(self, file: str, message: str, hint: str | None = None) -> Late:
        return self.position, problem(self.file or file, self.line, self.path, message, hint)


Late: TypeAlias = "tuple[int, Problem]"
"""A problem found after the walk, with the position in `Walker.problems` it belongs at."""

Deferred: TypeAlias = "Callable[[str], Iterable[Late]]"
"""A check recorded during the walk and run after it with the file name (see `zsync.filecheck`)."""


class Walker:
    """The state of one walk: the problems found, the line of each field, the deferred checks."""

    def __init__(self, file: str, base: Path, syntax: str = "YAML") -> None:
        self.file = file
        self.base = base  # relative paths in the document resolve against it
        self.syntax = syntax  # the document's format (YAML, TOML, JSON), for messages about its syntax
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}
        self.deferred: list[Deferred] = []
        # What rows may need beyond the document: the stepup-reprep generation it was written for
        # (for hints), and values given as command-line arguments (see `ArgumentWalker`).
        self.generation: str | None = None
        self.argument_files: Cursor | None = None
        self.argument_description: Cursor | None = None
        # Settings rows leave for the deferred checks (`allow_outside`), shared with an ArgumentWalker;
        # `config_base` is the config's folder, whatever `base` the arguments resolve against.
        self.settings: dict[str, object] = {}
        self.config_base = base
        # Fields taken from `metadata_from` sources (`zsync.metasources`): path -> (file, line), the
        # ones zenodo.yaml overrides, and what the sources hold that Zenodo cannot take.
        self.origins: dict[str, tuple[str, int]] = {}
        self.overridden: dict[str, tuple[str, int]] = {}
        self.warnings: list[Problem] = []

    def add(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.problems.append(problem(self.origin_of(path) or self.file, line, path, message, hint))

    def origin_of(self, path: str) -> str | None:
        """The file a field was taken from (a `metadata_from` source), None for the walk's own."""
        for field, (file, _) in self.origins.items():
            if path == field or path.startswith((f"{field}.", f"{field}[")):
                return file
        return None

    def mark(self) -> int:
        """The position the next problem takes; `merged` puts a deferred check's problems there."""
        return len(self.problems)

    def spot(self, path: str, line: int | None) -> Spot:
        """Where a deferred check's problems about `path` go: here, in the walk's order."""
        return Spot(path, line, self.mark())

    def defer(self, check: Deferred) -> None:
        self.deferred.append(check)

    def merged(self, late: Iterable[Late]) -> list[Problem]:
        """The problems in walk order, each late one at the position it was deferred at."""
        keyed = [((index, 1), found) for index, found in enumerate(self.problems)]
        keyed += [((position, 0), found) for position, found in late]
        return [found for _, found in sorted(keyed, key=lambda item: item[0])]

    def root(self, node: Node) -> Cursor:
        return Cursor(self, node, "", 1)


class ArgumentWalker(Walker):
    """The part of a config given as command-line arguments (data files, a description): problems
    about it name the command line, without a line, in the same list and order as the config's."""

    def __init__(self, parent: Walker, base: Path, label: str = "command line") -> None:
        super().__init__(label, base, parent.syntax)
        self.problems = parent.problems
        self.deferred = parent.deferred
        self.settings = parent.settings
        self.config_base = parent.config_base

    def add(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        super().add(path, None, message, hint)

    def spot(self, path: str, line: int | None) -> Spot:
        return Spot(path, None, self.mark(), self.file)


class Cursor:
    """A node with the field path and line of the messages about it; `record` when it is an entry."""

    __slots__ = ("line", "node", "path", "record", "walk")

    def __init__(self, walk: Walker, node: Node, path: str, line: int, record: Record | None = None) -> None:
        self.walk = walk
        self.node = node
        self.path = path
        self.line = line
        self.record = record

    def add(self, message: str, hint: str | None = None) -> None:
        self.walk.add(self.path, self.line, message, hint)

    def sibling(self, key: str) -> Any:
        """The value of `key` in the same mapping (parsed now if it was not yet)."""
        if self.record is None:
            raise LookupError(f"{self.path} is not an entry of a mapping")
        return self.record.get(key)


class _Invalid:
    """Marks a scalar that could not be read (already reported)."""


INVALID: Any = _Invalid()


def describe(value: object) -> str:
    """What a value is, for "expected ..., got ..." messages."""
    if isinstance(value, Node):
        return "a mapping" if value.kind == "mapping" else "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {value!r}".replace("True", "true").replace("False", "false")
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------- primitives

# Zenodo documents no limit for its metadata strings or lists; these are far above any real record
# (the longest author lists have a few thousand names) and keep a hostile config from costing minutes.
MAX_STRING_CHARS = 10_000
MAX_LIST_ITEMS = 10_000
_LIMIT_HINT = "large text belongs in the readme (path_readme), not in zenodo.yaml"


def scalar(at: Cursor) -> tuple[bool, object]:
    """(True, value) for a scalar (`INVALID` when unreadable, reported); (False, node) otherwise."""
    if at.node.kind != "scalar":
        return False, at.node
    try:
        return True, at.node.value()
    except Unreadable as exc:
        at.walk.add(at.path, at.node.line, f"cannot read this value ({exc.reason})")
        return True, INVALID


def sequence(at: Cursor, example: str) -> list[Cursor] | None:
    """The items of a list, or None after reporting that it is not one."""
    if at.node.kind != "sequence":
        _, value = scalar(at)
        if value is not INVALID:
            at.add(f"expected a list, got {describe(value)}", example)
        return None
    nodes = at.node.items()
    if len(nodes) > MAX_LIST_ITEMS:
        at.add(f"has {len(nodes):,} items; zsync reads lists of at most {MAX_LIST_ITEMS:,}")
        return None
    items = []
    for index, node in enumerate(nodes):
        path = f"{at.path}[{index}]"
        at.walk.lines[path] = node.line
        items.append(Cursor(at.walk, node, path, node.line))
    return items


# Refused in every string: control characters, which Zenodo's sanitizer strips or turns into line
# breaks (so the record would never match the config again) and which could drive a terminal or the
# Actions log; zero-width spaces and byte-order marks, which it strips too. A line break or a tab
# only where text may have several lines (`multiline`: descriptions, notes).
_CONTROL = Lazy("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_CONTROL_OR_BREAK = Lazy(f"[\n\t]|{_CONTROL.pattern}")


def string(at: Cursor, example: str, min_chars: int = 1, *, multiline: bool = False) -> str | None:
    """A non-empty string, stripped, without control characters (line breaks and tabs only when
    `multiline`)."""
    ok, value = scalar(at)
    if value is INVALID:
        return None
    if not isinstance(value, str):
        hint = f"for example {example}"
        if ok and value is not None and not isinstance(value, bool | str):
            hint = f"quote it to make it a string, for example {example}"
        at.add(f"expected a string, got {describe(value)}", hint)
        return None
    text = value.strip()
    if len(text) > MAX_STRING_CHARS:
        at.add(f"is {len(text):,} characters long; zsync takes at most {MAX_STRING_CHARS:,}", _LIMIT_HINT)
        return None
    problem = control_problem(text, multiline=multiline)
    if problem is not None:
        at.add(*problem)
        return None
    if len(text) < min_chars:
        if min_chars == 1:
            at.add("is empty", f"for example {example}")
        else:
            at.add(f"{value!r} is too short (at least {min_chars} characters)")
        return None
    return text


def control_problem(text: str, *, multiline: bool = False) -> tuple[str, str] | None:
    """(message, hint) when `text` holds a control character (see `string`), else None."""
    if text.isprintable():  # what the patterns find is unprintable: most values need no pattern
        return None
    bad = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(text)
    if bad is None:
        return None
    index = bad.start()
    char = text[index]
    if char in "\n\t":
        what = "a line break" if char == "\n" else "a tab"
        return f"{quote(text)} contains {what} (character {index + 1})", "write this value on one line"
    return (
        f"{quote(text)} contains a control character ({escape_controls(char)}, character {index + 1})",
        "remove it: Zenodo strips control characters, and the record would never match the config again",
    )


def choice(at: Cursor, choices: tuple[str, ...], what: str) -> str | None:
    """One of `choices`, exactly as written there; "did you mean" otherwise."""
    text = string(at, example=choices[0])
    if text is None:
        return None
    if text in choices:
        return text
    guess = vocabulary.closest(text, choices)
    hint = f"did you mean {guess!r}?" if guess else f"one of: {', '.join(choices)}"
    at.add(f"{text!r} is not a known {what}", hint)
    return None


def identifier(at: Cursor, check: Callable[[str], str], text: str | None) -> str | None:
    """`text` normalised by `check` (a `zsync.identifiers` function); None when `text` is."""
    if text is None:
        return None
    try:
        return check(text)
    except identifiers.InvalidIdentifier as exc:
        at.add(exc.message, exc.hint)
        return None


# --------------------------------------------------------------------------- the table


class Row:
    """One key of a mapping: how to read its value, whether it is required, what it is when absent.

    `required` is None for an optional key, else the hint of its "is required" problem (or a
    function of the walk giving that hint, None when the key is not required in this walk); `fill`
    computes the value of an absent key when a constant `default` will not do.
    """

    __slots__ = ("default", "fill", "key", "parse", "required")

    def __init__(
        self,
        key: str,
        parse: Parser[Any],
        required: str | Callable[[Walker], str | None] | None = None,
        default: Any = None,
        fill: Callable[[Record], Any] | None = None,
    ) -> None:
        self.key = key
        self.parse = parse
        self.required = required
        self.default = default
        self.fill = fill


class Shape(Generic[_T_co]):
    """A mapping: its rows (in the order "allowed here" lists them), an example, and its `build`.

    `build` turns the record into a value (None after a problem); it reads the fields with
    `Record.get` in the order it needs them. `first` names the fields `Record.values` parses
    before the others, which keeps the order of same-line messages as it always was.
    """

    __slots__ = ("build", "by_key", "example", "fallback", "hints", "keys", "order", "rows")

    def __init__(
        self,
        rows: tuple[Row, ...],
        example: str,
        build: Callable[[Record], _T_co | None],
        first: tuple[str, ...] = (),
        hints: Mapping[str, str] | None = None,
        fallback: str | None = None,
    ) -> None:
        """`hints`: what to write instead of a known foreign key (another generation's name);
        `fallback`: the hint of an unknown key nothing resembles (instead of listing the keys)."""
        self.rows = rows
        self.example = example
        self.build = build
        self.hints: Mapping[str, str] = hints or {}
        self.fallback = fallback
        self.keys = tuple(row.key for row in rows)
        self.by_key = {row.key: row for row in rows}
        self.order = tuple(self.by_key[key] for key in first) + tuple(
            row for row in rows if row.key not in first
        )


class Record:
    """The accepted entries of one mapping, each parsed with its row's parser when first asked for."""

    def __init__(self, at: Cursor, shape: Shape[Any], start: int) -> None:
        self.cursor = at
        self.shape = shape
        self.entries: dict[str, Cursor] = {}  # in document order
        self._start = start
        self._values: dict[str, Any] = {}

    def has(self, key: str) -> bool:
        return key in self.entries

    def at(self, key: str) -> Cursor:
        return self.entries[key]

    def get(self, key: str) -> Any:
        """The parsed value of `key` (None after a problem), or its row's default when absent."""
        if key not in self._values:
            row = self.shape.by_key[key]
            if key in self.entries:
                self._values[key] = row.parse(self.entries[key])
            elif row.fill is not None:
                self._values[key] = row.fill(self)
            else:
                self._values[key] = row.default
        return self._values[key]

    def each(self) -> Iterator[tuple[str, Any]]:
        """(key, value) of the entries in document order, each parsed as it is reached."""
        for key in self.entries:
            yield key, self.get(key)

    def values(self) -> dict[str, Any] | None:
        """Every field by key, or None when anything in the mapping was reported."""
        result = {row.key: self.get(row.key) for row in self.shape.order}
        return None if self.failed() else result

    def failed(self) -> bool:
        return self.cursor.walk.mark() > self._start

    def add(self, message: str, hint: str | None = None, *, key: str = "") -> None:
        """Report at the mapping's line, about the mapping or about its (missing) `key`."""
        path = join(self.cursor.path, key) if key else self.cursor.path
        self.cursor.walk.add(path, self.cursor.line, message, hint)


def record(at: Cursor, shape: Shape[Any]) -> Record | None:
    """The entries of a mapping; unknown, duplicate and missing keys are reported."""
    start = at.walk.mark()
    if at.node.kind != "mapping":
        _, value = scalar(at)
        if value is not INVALID:
            at.add(f"expected a mapping (key: value lines), got {describe(value)}", shape.example)
        return None
    result = Record(at, shape, start)
    for key_node, value_node in at.node.pairs():
        key = _accepted_key(at, key_node, result)
        if key is not None:
            path = join(at.path, key)
            result.entries[key] = Cursor(at.walk, value_node, path, key_node.line, result)
            at.walk.lines[path] = key_node.line
    for row in shape.rows:
        if row.required is not None and row.key not in result.entries:
            hint = row.required(at.walk) if callable(row.required) else row.required
            if hint is not None:
                result.add("is required", hint, key=row.key)
    return result


def _accepted_key(at: Cursor, key_node: Node, into: Record) -> str | None:
    line = key_node.line
    ok, key = scalar(Cursor(at.walk, key_node, at.path, line))
    if not ok or not isinstance(key, str):
        if key is not INVALID:
            at.walk.add(at.path, line, f"keys must be plain words, got {describe(key)}")
        return None
    path = join(at.path, key)
    keys = into.shape.keys
    if key not in keys:
        hint = into.shape.hints.get(key)
        if hint is None:
            guess = vocabulary.closest(key, keys)
            hint = (
                f"did you mean {guess!r}?"
                if guess
                else into.shape.fallback or f"allowed here: {', '.join(keys)}"
            )
        at.walk.add(path, line, f"unknown key {key!r}", hint)
        return None
    if key in into.entries:
        at.walk.add(path, line, f"{key!r} is given twice (first on line {into.entries[key].line})")
        return None
    return key


# --------------------------------------------------------------------------- parsers for rows


def text(example: str, min_chars: int = 1, *, multiline: bool = False) -> Parser[str]:
    """A string; `example` is what to write instead (`title: 'A title'`). `multiline`: line breaks
    and tabs are allowed."""
    return lambda at: string(at, example, min_chars, multiline=multiline)


def one_of(choices: tuple[str, ...], what: str) -> Parser[str]:
    """One of a vocabulary; `what` names it in messages ("resource type")."""
    return lambda at: choice(at, choices, what)


def checked(check: Callable[[str], str], example: str) -> Parser[str]:
    """A string normalised by an identifier check (`zsync.identifiers.normalize_orcid`, ...)."""
    return lambda at: identifier(at, check, string(at, example))


def shaped(shape: Shape[_T]) -> Parser[_T]:
    """A mapping of `shape`, built by its `build`."""

    def parse(at: Cursor) -> _T | None:
        found = record(at, shape)
        return None if found is None else shape.build(found)

    return parse


def list_of(item: Parser[_T], example: str, *, empty: str | None = None) -> Parser[tuple[_T, ...]]:
    """A list; the items that parsed (the others are reported). `empty`: the problem of `[]`."""

    def parse(at: Cursor) -> tuple[_T, ...]:
        result = []
        for item_at in sequence(at, example) or ():
            value = item(item_at)
            if value is not None:
                result.append(value)
        if empty is not None and at.node.kind == "sequence" and not at.node.items():
            at.add(empty)
        return tuple(result)

    return parse


def strict(parser: Parser[_T]) -> Parser[_T]:
    """`parser`, failing when anything inside the value was reported."""

    def parse(at: Cursor) -> _T | None:
        start = at.walk.mark()
        value = parser(at)
        return None if at.walk.mark() > start else value

    return parse


def depends(key: str, parsers: Mapping[str, Parser[_T]], otherwise: Parser[_T]) -> Parser[_T]:
    """The parser chosen by the value of the sibling `key` (identifiers by creator type)."""
    return lambda at: parsers.get(at.sibling(key), otherwise)(at)


def model(cls: Callable[..., _T], **renamed: str) -> Callable[[Record], _T | None]:
    """A `build` passing every field to `cls` by name (`renamed`: key=attribute where they differ).

    With it, a new field is one more row (and the attribute in the model).
    """

    def build(found: Record) -> _T | None:
        values = found.values()
        if values is None:
            return None
        return cls(**{renamed.get(key, key): value for key, value in values.items()})

    return build
