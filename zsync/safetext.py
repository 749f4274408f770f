"""The one escaping point for text written to a terminal or the GitHub Actions log.

Server messages, file names, inputs and config values reach the output; raw, they could be workflow
commands (a line `::stop-commands::x` switches off every later annotation, `::add-mask::`,
`##[set-output ...]`) or terminal control (`\\x1b[1A` moves the cursor and overwrites a line). The
entry points wrap stdout and stderr once (`wrap`) and everything printed goes through `SafeStream`:

- control characters (but newline and tab), DEL, C1 controls, bidirectional overrides, line and
  paragraph separators, zero-width spaces, byte-order marks and lone surrogates are written as
  visible escapes (`\\x1b`, `\\u202e`);
- a line that begins (after white space) with `::` or `##[` gets a backslash in front, so the
  runner never takes it for a command.

Only zsync's own workflow commands (masks, annotations, groups) pass unescaped, each through an
explicit `command(stream, line)`; a terminal's own control sequences (the progress line) through
`control(stream, text)`. `quote(value)` is a server value for a message: one line, escaped, short.
"""

from __future__ import annotations

import io
import re
from typing import TextIO, cast

from zsync.lazyre import Lazy

__all__ = ["SafeStream", "command", "control", "escape", "escape_controls", "quote", "wrap"]

# Workflow commands: `::name ...::data`, and the older `##[name ...]data` the runner still reads.
_COMMAND_MARKERS = ("::", "##[")
_UNSAFE = Lazy(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff]"
)
_UNSAFE_OR_LINE_BREAK = Lazy(f"[\n\t]|{_UNSAFE.pattern}")
QUOTE_MAX_CHARS = 120


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\\n"
    if code == 0x09:
        return "\\t"
    # \x1b reads best for C0; \u007f and up stay valid JSON escapes (`zsync render` prints JSON).
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_line_breaks: bool = True) -> str:
    """`text` with every control character written as a visible escape; newline and tab are kept
    unless `keep_line_breaks` is False."""
    if text.isprintable():
        # Every character escaped is a control, format, surrogate or line/paragraph separator, none
        # of which is printable: most text needs no pattern (and a run that prints none, no compile).
        return text
    return (_UNSAFE if keep_line_breaks else _UNSAFE_OR_LINE_BREAK).sub(_escaped, text)


def _escape_line(line: str) -> str:
    """One line (no newline): controls escaped, a command marker at its start neutralised."""
    line = escape_controls(line)
    return "\\" + line if line.lstrip().startswith(_COMMAND_MARKERS) else line


def escape(text: str) -> str:
    """`text` as `SafeStream` writes it (for text that does not go to a stream, e.g. a test)."""
    return "\n".join(_escape_line(line) for line in text.split("\n"))


def quote(value: object, max_chars: int = QUOTE_MAX_CHARS) -> str:
    """A value from outside (a server's answer) for a message: quoted, on one line, escaped, cut short."""
    text = escape_controls(str(value), keep_line_breaks=False)
    if len(text) > max_chars:
        text = text[:max_chars] + "..."
    return "'" + text.replace("'", "\\'") + "'"


class SafeStream(io.TextIOBase):
    """A text stream that escapes what is written to it (see the module docstring) into `raw`.

    A line is held back only while it could still become a command marker (white space, `:`,
    `#`, `##`), until the rest of it decides; `close()` writes what is held and leaves `raw` open.
    """

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw
        self._at_line_start = True
        self._pending = ""  # the start of a line that may still turn into a command marker

    def write(self, text: str) -> int:
        for part in re.split("(\n)", text):
            if part == "\n":
                self._emit_pending()
                self.raw.write("\n")
                self._at_line_start = True
            elif part:
                self._take(part)
        return len(text)

    def _take(self, part: str) -> None:
        if not self._at_line_start:
            self.raw.write(escape_controls(part))
            return
        self._pending += part
        head = self._pending.lstrip()
        if head and not any(marker.startswith(head) for marker in _COMMAND_MARKERS):
            self._emit_pending()

    def _emit_pending(self) -> None:
        if self._pending:
            self.raw.write(_escape_line(self._pending))
            self._pending = ""
            self._at_line_start = False

    def command(self, line: str) -> None:
        """One of zsync's own workflow commands, on a line of its own (its controls still escaped;
        its data is percent-escaped by `zsync.github`)."""
        self._emit_pending()
        if not self._at_line_start:
            self.raw.write("\n")
        self.raw.write(escape_controls(line, keep_line_breaks=False) + "\n")
        self._at_line_start = True

    def control(self, text: str) -> None:
        """zsync's own terminal control (a progress line's `\\r` and `\\x1b[K`), written as is; a
        carriage return at its start begins the line again."""
        if text.startswith("\r"):
            self._emit_pending()
            self._at_line_start = True
        self.raw.write(text)

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        """Write what is held back; the wrapped stream stays open (it is usually sys.stdout)."""
        self._emit_pending()
        self.raw.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"


def wrap(stream: TextIO) -> TextIO:
    """`stream` behind a `SafeStream` (a stream already wrapped is returned as is)."""
    if isinstance(stream, SafeStream):
        return cast(TextIO, stream)
    return cast(TextIO, SafeStream(stream))


def command(stream: TextIO, line: str) -> None:
    """Write one of zsync's own workflow commands (`::error ...`), unescaped, on its own line."""
    if isinstance(stream, SafeStream):
        stream.command(line)
    else:
        stream.write(escape_controls(line, keep_line_breaks=False) + "\n")
    stream.flush()


def control(stream: TextIO, text: str) -> None:
    """Write zsync's own terminal control sequences (only ever to a terminal)."""
    if isinstance(stream, SafeStream):
        stream.control(text)
    else:
        stream.write(text)
