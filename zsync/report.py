"""How the sync engine tells a person what it is doing, without printing itself.

The engine receives a `Reporter` from its entry point: the CLI passes a `LogReporter` (log lines), the
GitHub entrypoint a reporter that also opens `::group::` blocks. Per-file progress goes through here too,
so a CI log gets one line per file (size, throughput) and a terminal may get more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from zsync.units import format_rate, format_size

log = logging.getLogger("zsync")

__all__ = ["LogReporter", "NullReporter", "Reporter", "format_rate", "format_size"]


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
