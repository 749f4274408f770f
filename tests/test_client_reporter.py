"""Retries and pacing reach the run's reporter (so a retry storm is a `::warning::` in the Action).

Against the emulator with injected faults and its rate limit; the policy's sleep is a recorder.
"""

from __future__ import annotations

import io
import logging
import re
import time

import pytest
from test_api import SleepRecorder, document

from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator, Faults, RateLimit
from zsync.github import GitHubReporter


class Recorder:
    """The two methods of `zsync.report.Reporter` the client calls, recorded."""

    def __init__(self) -> None:
        self.infos: list[str] = []
        self.warnings: list[str] = []

    def info(self, message: str) -> None:
        self.infos.append(message)

    def warning(self, message: str) -> None:
        self.warnings.append(message)


def test_each_retry_wait_is_a_warning_naming_call_failure_attempt_and_wait(
    emulator: Emulator, emulator_token: str
) -> None:
    sleeper = SleepRecorder()
    reporter = Recorder()
    policy = RetryPolicy(max_attempts=5, sleep=sleeper)
    with ZenodoClient(emulator.url, emulator_token, retry=policy, reporter=reporter) as zen:
        draft = zen.create_draft(document())
        assert reporter.warnings == []
        emulator.faults = Faults(p_503=1.0)
        sleeper.hook = lambda n: setattr(emulator, "faults", Faults()) if n == 2 else None
        assert zen.get_draft(draft.id) is not None
    assert len(sleeper.waits) == 2
    path = f"/records/{draft.id}/draft"
    assert len(reporter.warnings) == 2
    for number, (warning, wait) in enumerate(zip(reporter.warnings, sleeper.waits, strict=True), start=2):
        assert warning.startswith(f"GET {path} failed (503 ")
        assert warning.endswith(f"; attempt {number} of 5 in {wait:.1f} s")
    assert reporter.infos == []


def test_a_retry_in_the_action_is_a_workflow_warning_without_the_token(emulator: Emulator) -> None:
    token = "test-token"
    stream = io.StringIO()
    policy = RetryPolicy(max_attempts=2, sleep=SleepRecorder())
    with ZenodoClient(emulator.url, token, retry=policy, reporter=GitHubReporter(stream)) as zen:
        emulator.faults = Faults(p_500=1.0)
        with pytest.raises(Exception, match="did not answer"):
            zen.get_record("1")
    lines = stream.getvalue().splitlines()
    assert lines == [lines[0]]
    assert re.fullmatch(r"::warning::GET /records/1 failed \(500 .*\); attempt 2 of 2 in \d+\.\d s", lines[0])
    assert token not in stream.getvalue()


@pytest.mark.parametrize("clock_ahead_s", [0.0, 59.6])
def test_pacing_waits_of_a_second_or_more_are_reported_as_info(
    emulator: Emulator, emulator_token: str, clock_ahead_s: float
) -> None:
    """A 60 s window spread over the last requests: seconds apart. With our clock 59.6 s ahead of the
    server's, the reset is under 1.4 s away and the first pacing waits are short: only logged."""
    sleeper = SleepRecorder()
    reporter = Recorder()
    emulator.rate_limit = RateLimit(limit=10, window_s=60.0)
    policy = RetryPolicy(sleep=sleeper, wall_clock=lambda: time.time() + clock_ahead_s)
    with ZenodoClient(emulator.url, emulator_token, retry=policy, reporter=reporter) as zen:
        for _ in range(12):
            zen.get_draft("1")
    assert sleeper.waits  # the pacing happened
    long_waits = [w for w in sleeper.waits if w >= 1.0]
    if clock_ahead_s:
        assert len(long_waits) < len(sleeper.waits)
    else:
        assert long_waits == sleeper.waits
    assert len(reporter.infos) == len(long_waits)
    for info, wait in zip(reporter.infos, long_waits, strict=True):
        assert re.fullmatch(rf"\d+ requests? left until the rate-limit reset; pacing {wait:.2f} s", info)
    assert reporter.warnings == []


def test_without_a_reporter_retries_are_logged_as_before(
    emulator: Emulator, emulator_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="zsync")
    sleeper = SleepRecorder()
    with ZenodoClient(emulator.url, emulator_token, retry=RetryPolicy(sleep=sleeper)) as zen:
        emulator.faults = Faults(p_502=1.0)
        sleeper.hook = lambda n: setattr(emulator, "faults", Faults())
        assert zen.get_draft("1") is None
    retries = [r for r in caplog.records if " failed (502 " in r.getMessage()]
    assert [(r.levelno, r.name) for r in retries] == [(logging.INFO, "zsync.transport")]
    assert retries[0].getMessage().startswith("GET /records/1/draft failed (502 ")
