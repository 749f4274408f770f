"""How the sync engine tells a person what it is doing, without printing itself.

The engine receives a `Reporter` from its entry point: the CLI passes a `LogReporter` (log lines), the
GitHub entrypoint a reporter that also opens `::group::` blocks. Per-file progress goes through here too,
so a CI log gets one line per file (size, throughput) and a terminal may get more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, TextIO

from zsync.safetext import control
from zsync.units import format_rate, format_size

log = logging.getLogger("zsync")

__all__ = [
    "LogReporter",
    "NullReporter",
    "Reporter",
    "TerminalReporter",
    "configure_logging",
    "format_rate",
    "format_size",
]


def configure_logging(stream: TextIO, *, verbose: bool = False, quiet: bool = False) -> None:
    """Send zsync's log records to `stream`, one plain line each (the CLI and the action share this).

    `verbose` adds every HTTP request (never the token); `quiet` keeps only warnings and errors.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)


class Reporter(Protocol):
    def phase(self, title: str) -> AbstractContextManager[None]: ...

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def file_done(self, action: str, key: str, size_bytes: int, elapsed_s: float) -> None: ...

    def progress(self, key: str, sent_bytes: int, total_bytes: int) -> None: ...


class LogReporter:
    """Reports through the `zsync` logger; the entry point decides where log records go."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger

    @contextmanager
    def phase(self, title: str) -> Iterator[None]:
        self.logger.info("== %s", title)
        yield

    def info(self, message: str) -> None:
        self.logger.info("%s", message)

    def warning(self, message: str) -> None:
        self.logger.warning("%s", message)

    def file_done(self, action: str, key: str, size_bytes: int, elapsed_s: float) -> None:
        self.logger.info(
            "%s %s (%s in %.1f s, %s)",
            action,
            key,
            format_size(size_bytes),
            elapsed_s,
            format_rate(size_bytes, elapsed_s),
        )

    def progress(self, key: str, sent_bytes: int, total_bytes: int) -> None:
        # CI logs are not terminals: per-chunk progress would flood them; file_done reports the result.
        return


class NullReporter(LogReporter):
    """Says nothing (library use, tests)."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("zsync.null"))
        self.logger.disabled = True


class TerminalReporter(LogReporter):
    """On a real terminal, a live progress line during each upload; the per-file log line stays.

    Used only when stderr is a TTY: CI logs are not terminals, and carriage returns would flood them.
    """

    def __init__(self, stream: TextIO, logger: logging.Logger = log) -> None:
        super().__init__(logger)
        self.stream = stream
        self._started_s: dict[str, tuple[float, int]] = {}

    def progress(self, key: str, sent_bytes: int, total_bytes: int) -> None:
        # The rate counts from the first report, whose block was already sent when it was made.
        started_s, first_bytes = self._started_s.setdefault(key, (time.monotonic(), sent_bytes))
        percent = 100.0 * sent_bytes / total_bytes if total_bytes else 100.0
        rate = format_rate(sent_bytes - first_bytes, time.monotonic() - started_s)
        control(self.stream, "\r")
        self.stream.write(f"  {key} {percent:5.1f}% of {format_size(total_bytes)} ({rate})")
        control(self.stream, "\x1b[K")  # clear to the end of the line
        self.stream.flush()

    def file_done(self, action: str, key: str, size_bytes: int, elapsed_s: float) -> None:
        if self._started_s.pop(key, None) is not None:
            control(self.stream, "\r\x1b[K")
            self.stream.flush()
        super().file_done(action, key, size_bytes, elapsed_s)
