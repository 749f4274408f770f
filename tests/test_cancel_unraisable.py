"""A signal whose handler runs where Python ignores exceptions (a weakref callback, `__del__`, the
garbage collector) still stops the run, with its one line and no traceback (CI's soak run 11 met
"Exception ignored in: <function WeakSet...>" with a `Cancelled` traceback, and ran on)."""

from __future__ import annotations

import os
import signal
import sys
import time
import weakref

import pytest

from zsync import cancel


class _Thing:
    pass


def _signal_inside_a_weakref_callback(signum: int) -> None:
    def callback(_ref: object) -> None:
        os.kill(os.getpid(), signum)
        for _ in range(10_000):  # the handler runs during this loop, inside the callback
            pass

    thing = _Thing()
    ref = weakref.ref(thing, callback)
    del thing  # the callback runs now
    assert ref() is None


def _busy() -> None:
    """Long enough for the signal sent again to arrive (a few milliseconds)."""
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_handled_inside_a_weakref_callback_still_stops_the_run(
    signum: int, capsys: pytest.CaptureFixture[str]
) -> None:
    def run() -> None:
        with cancel.handling_signals():
            _signal_inside_a_weakref_callback(signum)
            _busy()

    with pytest.raises(cancel.Cancelled) as stopped:
        run()
    assert stopped.value.signum == signum
    err = capsys.readouterr().err
    assert "Exception ignored" not in err and "Traceback" not in err, err


def test_inside_a_deferred_section_it_is_raised_when_the_section_ends() -> None:
    order: list[str] = []

    def run() -> None:
        with cancel.handling_signals():
            with cancel.deferred():
                _signal_inside_a_weakref_callback(signal.SIGTERM)
                _busy()
                order.append("section ran to its end")
            order.append("after the section")

    with pytest.raises(cancel.Cancelled):
        run()
    assert order == ["section ran to its end"]


def test_other_unraisable_exceptions_still_reach_the_previous_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: seen.append(unraisable.exc_value))

    class Failing:
        def __del__(self) -> None:
            raise ValueError("from __del__")

    with cancel.handling_signals():
        Failing()
    assert [type(e) for e in seen] == [ValueError]
    assert sys.unraisablehook is not cancel._on_unraisable  # given back
