"""The run's deadline: the wall-clock time by which a whole sync must be over.

A run is bounded by `timeout-minutes` (the `--timeout-minutes` flag, the Action input, or the
ZSYNC_TIMEOUT_MINUTES variable; default `DEFAULT_TIMEOUT_MINUTES`, under GitHub's 6-hour job
limit). `zsync.transport` enforces it on every request and every retry wait, so a server that
trickles its answer cannot keep a job busy until GitHub kills it without a word.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Final

from zsync.errors import UsageError
from zsync.frozen import field, frozen

DEFAULT_TIMEOUT_MINUTES: Final = 300.0
TIMEOUT_VARIABLE: Final = "ZSYNC_TIMEOUT_MINUTES"


def parse_minutes(raw: str, source: str) -> float:
    """A positive, finite number of minutes (fractions allowed), else a UsageError naming `source`."""
    try:
        minutes = float(raw.strip())
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes) or minutes <= 0:
        raise UsageError(
            f"{source} is {raw!r}, not a positive number of minutes",
            hint=f"write a number of minutes such as 60 (the default is {DEFAULT_TIMEOUT_MINUTES:g})",
        )
    return minutes


@frozen
class RunDeadline:
    """When the run must end, on `clock` (monotonic seconds), and the setting it came from."""

    at_s: float
    minutes: float
    source: str
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def starting_now(cls, minutes: float, source: str) -> RunDeadline:
        return cls(time.monotonic() + minutes * 60.0, minutes, source)

    @classmethod
    def from_settings(cls, minutes: float | None, environ: Mapping[str, str]) -> RunDeadline:
        """From an explicit setting (a flag, an input), else ZSYNC_TIMEOUT_MINUTES, else the default."""
        if minutes is not None:
            return cls.starting_now(minutes, "timeout-minutes")
        raw = environ.get(TIMEOUT_VARIABLE, "").strip()
        if raw:
            return cls.starting_now(parse_minutes(raw, TIMEOUT_VARIABLE), TIMEOUT_VARIABLE)
        return cls.starting_now(DEFAULT_TIMEOUT_MINUTES, "the default timeout-minutes")

    def left_s(self) -> float:
        return self.at_s - self.clock()

    def describe(self) -> str:
        """'300 minutes (timeout-minutes)', '3 s (ZSYNC_TIMEOUT_MINUTES=0.05)'."""
        amount = f"{self.minutes * 60:.0f} s" if self.minutes < 1 else f"{self.minutes:g} minutes"
        setting = self.source if self.source != TIMEOUT_VARIABLE else f"{self.source}={self.minutes:g}"
        return f"{amount} ({setting})"
