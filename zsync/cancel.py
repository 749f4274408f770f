"""Stopping a run on SIGINT or SIGTERM, at a point the next run resumes from.

The entry points install the handler (`handling_signals`). The first signal raises `Cancelled` in
the main thread at once: the request in flight is abandoned, as a dropped connection would leave it
(the next run repairs a partial upload, as after a crash); only a `deferred()` section, creating a
draft and recording its id, runs to its end first, so a stopped run never leaves a draft the next
run cannot name. A second signal raises at once, deferred or not. `Cancelled` is a BaseException:
no `except Exception` on the way swallows it, and the engine adds to it where the plan stopped.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from zsync.frozen import frozen

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@frozen
class StopPoint:
    """Where a sync stopped: the steps it did, the one it was in (abandoned), those left, the draft."""

    done: tuple[str, ...] = ()
    during: str | None = None
    left: tuple[str, ...] = ()
    record_id: str | None = None

    @property
    def changed_nothing(self) -> bool:
        return not self.done and self.during is None


class Cancelled(BaseException):
    """The run was stopped by a signal; `stopped` says where, when the engine knew (else None)."""

    def __init__(self, signum: int, *, first: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.first = first  # the run's first signal (a second one raises even in a deferred section)
        self.stopped: StopPoint | None = None

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum

    def line(self) -> str:
        """One line for stderr: what stopped, where, and what to do."""
        head = f"zsync: cancelled by {self.signal_name}"
        point = self.stopped
        if point is None:
            return f"{head}; run it again: it resumes where this run stopped"
        if point.changed_nothing:
            return f"{head} before anything was changed on Zenodo; run it again to sync"
        where = f" during '{point.during}'" if point.during else ""
        draft = f"continues draft {point.record_id}" if point.record_id else "resumes where this one stopped"
        return f"{head}{where}; the next run {draft}"


class _State:
    def __init__(self) -> None:
        self.requested: int | None = None  # the signal received, until the run stops
        self.deferring = 0  # depth of deferred() sections
        self.previous_hook = sys.unraisablehook  # the one handling_signals replaced
        self.again: threading.Timer | None = None  # a swallowed stop, sent again (_on_unraisable)


_state = _State()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _state.requested is None and _state.deferring:
        _state.requested = signum  # the section raises when it ends
        return
    first = _state.requested is None
    _state.requested = signum
    raise Cancelled(signum, first=first)


def _on_unraisable(unraisable: sys.UnraisableHookArgs, /) -> None:
    """A signal handler runs between any two bytecodes: also inside a weakref callback, a `__del__`
    or the garbage collector, where Python prints the exception ("Exception ignored in ...", with
    a traceback) and carries on as if no signal had come. The stop is not lost: it is asked for
    again, to be raised (or deferred) where the run is."""
    stop = unraisable.exc_value
    if not isinstance(stop, Cancelled):
        _state.previous_hook(unraisable)
        return
    if stop.first:
        _state.requested = None  # the signal again, as the first one
    # Sent from another thread a moment later: `signal.raise_signal` would run the handler here,
    # in the hook, where an exception is ignored again.
    again = threading.Timer(_AGAIN_S, signal.pthread_kill, (threading.main_thread().ident, stop.signum))
    again.daemon = True
    _state.again = again
    again.start()


_AGAIN_S = 0.01


@contextmanager
def handling_signals(*, restore: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM raise `Cancelled` while this runs (main thread only; elsewhere a no-op).

    As PID 1 in a container the kernel drops a signal whose handler is the default one: this handler
    is what lets `docker stop` reach zsync there. At the end the previous handlers come back; with
    `restore=False` (a process about to exit, its report written) signals are ignored from then on
    instead: at shutdown Python resets its handlers to the default, and a signal then would kill the
    process (or be a KeyboardInterrupt traceback) after a clean stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS}
    _state.requested, _state.deferring = None, 0
    _state.previous_hook, sys.unraisablehook = sys.unraisablehook, _on_unraisable
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if restore else signal.SIG_IGN)
        sys.unraisablehook = _state.previous_hook
        if _state.again is not None:
            _state.again.cancel()
            _state.again = None
        _state.requested, _state.deferring = None, 0


@contextmanager
def deferred(*, then_stop: bool = True) -> Iterator[None]:
    """A section a first signal does not cut: it ends, then `Cancelled` is raised (or, with
    `then_stop=False`, the signal is dropped: the work it would stop is already done)."""
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
    if then_stop:
        checkpoint()
    elif not _state.deferring:
        _state.requested = None


def checkpoint() -> None:
    """Raise `Cancelled` if a signal came while the code was deferring it."""
    if _state.requested is not None and not _state.deferring:
        raise Cancelled(_state.requested)


@contextmanager
def stopping_at(point: StopPoint) -> Iterator[None]:
    """A `Cancelled` that leaves this block without a stop point gets `point`."""
    try:
        yield
    except Cancelled as stop:
        if stop.stopped is None:
            stop.stopped = point
        raise
