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

log = logging.getLogger("zsync")


class Reporter(Protocol):
    def phase(self, title: str) -> AbstractContextManager[None]: ...

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def file_done(self, action: str, key: str, size_bytes: int, elapsed_s: float) -> None: ...

    def progress(self, key: str, sent_bytes: int, total_bytes: int) -> None: ...


def format_size(size_bytes: int | float) -> str:
    """1536 -> '1.5 KiB'; sizes in binary units, as people read them in file managers."""
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_rate(size_bytes: int, elapsed_s: float) -> str:
    if elapsed_s <= 0:
        return "-"
    return f"{format_size(size_bytes / elapsed_s)}/s"


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
