"""The note of a create in flight, kept outside the repository until the record id is written.

A run stopped between Zenodo making a draft (`POST /records`) and zsync writing the id file leaves a
draft that the next run can find only through the user's records search (`GET /user/records`),
which lags behind the database. The note tells the next run on this machine that a create was sent,
when (our clock) and with which title, so that it waits, bounded by `ZSYNC_INDEX_LAG_S`, for the
search to show that draft instead of creating a second one. The engine removes it once the id file
holds the id, and when Zenodo refused the create outright.

Where: `$XDG_STATE_HOME/zsync/creating/` (default `~/.local/state/zsync/creating/`), one small JSON
file per endpoint and id file. Never in the repository: nothing there for `git add -A` to pick up or
for the Action to commit, no `.gitignore` to ask of the user, and the id file stays the id alone
(other tools read it). A re-run from the same checkout on the same machine (a laptop, a second step
of one job) finds it; a new CI job on a fresh runner does not, and looks once, as without a note.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from zsync import atomicwrite
from zsync.errors import UsageError
from zsync.frozen import asdict, frozen

INDEX_LAG_VARIABLE: Final = "ZSYNC_INDEX_LAG_S"
DEFAULT_INDEX_LAG_S: Final = 30.0


def index_lag_s(environ: Mapping[str, str]) -> float:
    """How long Zenodo's search may lag behind a create: ZSYNC_INDEX_LAG_S (seconds, 0 turns the
    wait off), else the default; a UsageError for anything but a non-negative number."""
    raw = environ.get(INDEX_LAG_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_INDEX_LAG_S
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0 or seconds > 3600:
        raise UsageError(
            f"{INDEX_LAG_VARIABLE}={raw!r} is not a number of seconds from 0 to 3600",
            hint=f"write the longest lag of Zenodo's search to wait for, such as {DEFAULT_INDEX_LAG_S:g}",
        )
    return seconds


@frozen
class CreateNote:
    """A create was sent: the draft's title, and (epoch seconds, our clock) when the first and the
    latest attempt of the `POST /records` were sent."""

    title: str
    first_sent_epoch_s: float
    last_sent_epoch_s: float


@frozen
class CreateNotes:
    """The note of one dataset (an endpoint and an id file); `path` is None when there is nowhere to
    keep it (neither XDG_STATE_HOME nor HOME is set)."""

    path: Path | None

    @classmethod
    def of(cls, environ: Mapping[str, str], endpoint: str, id_file: Path) -> CreateNotes:
        state = environ.get("XDG_STATE_HOME", "").strip()
        home = environ.get("HOME", "").strip()
        if state and Path(state).is_absolute():  # the XDG spec: a relative path is ignored
            base = Path(state)
        elif home:
            base = Path(home) / ".local" / "state"
        else:
            return cls(None)
        key = hashlib.sha256(f"{endpoint}\n{id_file.resolve()}".encode()).hexdigest()[:32]
        return cls(base / "zsync" / "creating" / f"{key}.json")

    def read(self) -> CreateNote | None:
        """The note, or None: none, or one this version cannot read (then it is as good as none)."""
        if self.path is None:
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return CreateNote(
                str(data["title"]), float(data["first_sent_epoch_s"]), float(data["last_sent_epoch_s"])
            )
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def write(self, note: CreateNote) -> None:
        """Keep `note` (a `POST /records` is about to be sent). Raises OSError."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomicwrite.write_text(self.path, json.dumps(asdict(note)) + "\n")

    def clear(self) -> None:
        """The id is written (or nothing was created): no run needs to wait for the draft."""
        if self.path is not None:
            # A note that cannot be removed costs a later first sync one bounded wait, no more.
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
