"""The crash points again, with a real signal instead of a crash: after the N-th request that changes
something, the process sends itself SIGTERM (the handler the entry points install is on), for every
N of each flow of tests/test_crash_points.py.

The run must stop with `Cancelled` (exit code 143) saying where it stopped; a signal that comes while
the draft is created is held until its id is on file, so the id file names the draft at the stop
(a crash there leaves the next run to find the draft by its title). The next run completes the
record with no second draft and no stale file, and a third has nothing to do.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_crash_points import _EMULATORS, FLOWS, MUTATING, next_runs_complete, run, steps_of
from test_sync_e2e import TOKEN, make_dataset, user_drafts

from zsync import cancel
from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator


class SignallingClient(ZenodoClient):
    """Sends SIGTERM to its own process right after its N-th call that changes something."""

    def __init__(self, url: str, signal_after: int) -> None:
        super().__init__(url, TOKEN, retry=RetryPolicy(sleep=lambda _s: None))
        self.left = signal_after
        self.signalled_in: str | None = None


def _signalling(name: str) -> Callable[..., Any]:
    def method(self: SignallingClient, *args: Any, **kwargs: Any) -> Any:
        result = getattr(ZenodoClient, name)(self, *args, **kwargs)
        self.left -= 1
        if self.left == 0:
            self.signalled_in = name
            os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at once, in this thread
        return result

    return method


for _name in MUTATING:
    setattr(SignallingClient, _name, _signalling(_name))


# new-version takes about 10 s (it makes the most calls): with the soak tests, in `pytest -m slow`.
@pytest.mark.parametrize(
    "flow_name", [pytest.param(f, marks=[pytest.mark.slow] if f == "new-version" else []) for f in FLOWS]
)
def test_a_run_signalled_after_any_request_stops_there_and_the_next_completes_it(
    flow_name: str, tmp_path: Path, emulator: Emulator
) -> None:
    _EMULATORS[emulator.url] = emulator
    flow = FLOWS[flow_name]
    total = steps_of(flow, make_dataset(tmp_path / "probe", emulator.url), emulator)
    for signal_after in range(1, total + 1):
        ds = make_dataset(tmp_path / f"sig{signal_after}", emulator.url)
        flow(ds)
        drafts_before = len(user_drafts(emulator))
        id_before = ds.id_file.read_text() if ds.id_file.exists() else None
        client = SignallingClient(emulator.url, signal_after)
        with cancel.handling_signals(), pytest.raises(cancel.Cancelled) as stopped:
            run(ds, client)
        at = f"signalled after call {signal_after} ({client.signalled_in})"
        assert stopped.value.exit_code == 143, at
        point = stopped.value.stopped
        assert point is not None and not point.changed_nothing, at
        if client.signalled_in in ("create_draft", "new_version"):
            # Held until the id was written: the id file names the draft the run made.
            assert ds.id_file.read_text() != id_before, at
            assert point.record_id == ds.record_id(), at
            assert point.done[-1].startswith("write the record id"), at
        next_runs_complete(ds, emulator, flow_name, drafts_before, at)


def test_outside_a_run_the_signals_are_handled_as_before() -> None:
    before = {signum: signal.getsignal(signum) for signum in cancel.SIGNALS}
    with cancel.handling_signals():
        assert all(signal.getsignal(signum) is not before[signum] for signum in cancel.SIGNALS)
    assert {signum: signal.getsignal(signum) for signum in cancel.SIGNALS} == before
