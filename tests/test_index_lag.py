"""Issue #11 item 6: never a second draft while Zenodo's search lags behind a create.

A run that stops once Zenodo made its draft but before the id file holds the id (the answer lost,
the process killed) leaves a draft the next run can only find in `GET /user/records`, which lags.
The run notes the create in flight outside the repository (zsync.createnote); the next run, seeing
the note, waits for the search (bounded by ZSYNC_INDEX_LAG_S, 30 s) and continues that draft.

The emulator's search clock and the client's clocks are one fake clock (`LagClock`): each wait of
the client moves both, so a 25 s lag costs no time. Every draft is counted in the emulator's store
(`Emulator.drafts`), never through the lagging search.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import VOCAB_DIR
from hostile_proxy import HostileProxy, Rule
from test_crash_points import Stop, StoppingClient
from test_sync_e2e import (
    TOKEN,
    Dataset,
    api,
    draft_files,
    make_dataset,
    mutations,
    run_zsync,
    spawn_zsync,
)

import zsync
from zsync.api import RetryPolicy, ZenodoClient, lookup_waits
from zsync.createnote import CreateNotes, index_lag_s
from zsync.emulator import Emulator, Faults
from zsync.errors import RemoteError, UsageError
from zsync.planning import mutating_calls
from zsync.report import NullReporter


class LagClock:
    """One fake time for the emulator's search index (monotonic) and for the client (its sleep and
    its wall clock, which the note's times and the wait's bound are read on)."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.waits_s: list[float] = []

    def __call__(self) -> float:
        return 1000.0 + self.offset_s

    def sleep(self, seconds: float) -> None:
        self.waits_s.append(seconds)
        self.offset_s += seconds

    def wall(self) -> float:
        return time.time() + self.offset_s

    def policy(self) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, wall_clock=self.wall, jitter_s=0.0)


class Heard(NullReporter):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str) -> None:
        self.lines.append(f"warning: {message}")

    def text(self) -> str:
        return "\n".join(self.lines)


class StopAfterCreate(ZenodoClient):
    """The process dies the moment Zenodo's answer to the create arrives: a draft, no id file."""

    def create_draft(self, document: Any, **kwargs: Any) -> Any:
        created = super().create_draft(document, **kwargs)
        raise Stop(created.id)


class LaggedStoppingClient(StoppingClient):
    """test_crash_points' client that stops after its N-th mutating call, on the fake clock."""

    def __init__(self, url: str, stop_after: int, lag: LagClock) -> None:
        ZenodoClient.__init__(self, url, TOKEN, retry=lag.policy())
        self.left = stop_after


@pytest.fixture
def lag() -> LagClock:
    return LagClock()


@pytest.fixture
def lagged(lag: LagClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose search index runs on `lag`."""
    if VOCAB_DIR.is_dir() and "ZSYNC_EMULATOR_VOCAB" not in os.environ:
        monkeypatch.setenv("ZSYNC_EMULATOR_VOCAB", str(VOCAB_DIR))
    with Emulator(tokens=(TOKEN,), clock=lag) as emu:
        yield emu


def client(url: str, lag: LagClock, *, index_lag_s: float = 30.0) -> ZenodoClient:
    return ZenodoClient(url, TOKEN, retry=lag.policy(), index_lag_s=index_lag_s)


def sync(ds: Dataset, zenodo: ZenodoClient, heard: Heard | None = None) -> zsync.engine.SyncResult:
    return zsync.sync(ds.config_path, token=TOKEN, client=zenodo, reporter=heard or NullReporter())


def crash_after_create(ds: Dataset, lag: LagClock) -> str:
    """The first sync dies right after Zenodo's answer to the create: the new draft's id."""
    with pytest.raises(Stop) as stopped:
        sync(ds, StopAfterCreate(ds.url, TOKEN, retry=lag.policy()))
    assert not ds.id_file.exists()
    lag.waits_s.clear()
    draft_id: str = stopped.value.args[0]
    return draft_id


def content_puts(emulator: Emulator) -> list[str]:
    return sorted(r.path for r in emulator.request_log if r.method == "PUT" and r.path.endswith("/content"))


def notes_left(state_home: Path) -> list[Path]:
    return sorted((state_home / "zsync" / "creating").glob("*"))


# --------------------------------------------------------------------------- the crash point


@pytest.mark.parametrize("lag_s", [5.0, 25.0])
def test_a_run_stopped_right_after_create_is_continued_not_duplicated(
    lag_s: float, tmp_path: Path, lagged: Emulator, lag: LagClock, state_home: Path
) -> None:
    lagged.index_delay_s = lag_s
    ds = make_dataset(tmp_path / "d", lagged.url)
    first = crash_after_create(ds, lag)
    assert len(notes_left(state_home)) == 1, "the create in flight is noted"
    lagged.clear_log()
    heard = Heard()
    result = sync(ds, client(lagged.url, lag), heard)  # at once: the fake clock has not moved
    assert result.status == "created"
    assert result.record_id == first == ds.record_id()
    assert list(lagged.drafts) == [first], "a second draft was created"
    assert lag_s <= sum(lag.waits_s) <= 30.0, lag.waits_s
    assert "waiting up to 30 s for Zenodo's search to show it" in heard.text()
    assert draft_files(lagged, first) == {k: ("completed", v) for k, v in ds.local_md5s().items()}
    expected = sorted(f"/api/records/{first}/draft/files/{key}/content" for key in ds.local_md5s())
    assert content_puts(lagged) == expected, "each file is uploaded once"
    assert notes_left(state_home) == [], "the note goes once the id is written"
    lagged.clear_log()
    assert sync(ds, client(lagged.url, lag)).status == "unchanged"
    assert mutations(lagged) == []


@pytest.mark.parametrize("lag_s", [5.0, 25.0])
def test_every_crash_point_of_a_first_sync_converges_to_one_draft_under_index_lag(
    lag_s: float, tmp_path: Path, lagged: Emulator, lag: LagClock
) -> None:
    lagged.index_delay_s = lag_s
    probe = make_dataset(tmp_path / "probe", lagged.url)
    probe.set("metadata.title", "Probe")
    lagged.clear_log()
    sync(probe, client(lagged.url, lag))
    total = len(mutations(lagged))
    assert total >= 5
    assert "create_draft" in mutating_calls()
    for stop_after in range(1, total):
        ds = make_dataset(tmp_path / f"stop{stop_after}", lagged.url)
        ds.set("metadata.title", f"Dataset {stop_after}")
        before = set(lagged.drafts)
        with pytest.raises(Stop):
            sync(ds, LaggedStoppingClient(lagged.url, stop_after, lag))
        sync(ds, client(lagged.url, lag))  # at once
        lagged.clear_log()
        assert sync(ds, client(lagged.url, lag)).status == "unchanged", f"stopped after call {stop_after}"
        assert mutations(lagged) == [], f"stopped after call {stop_after}"
        assert set(lagged.drafts) - before == {ds.record_id()}, f"stopped after call {stop_after}"
        remote = draft_files(lagged, ds.record_id())
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, f"after {stop_after}"


def test_a_lost_answer_to_create_is_waited_for_within_the_run(
    tmp_path: Path, lagged: Emulator, lag: LagClock
) -> None:
    """The create took effect, its answer was lost (a reset): the client's re-read waits for the
    lagging search (it gave up after 4 s before) instead of sending the create again."""
    lagged.index_delay_s = 10.0
    with HostileProxy(lagged.url) as proxy:
        ds = make_dataset(tmp_path / "d", proxy.url)
        proxy.add(Rule("POST", r"/records", reset=True, times=1))
        result = sync(ds, client(proxy.url, lag))
    assert list(lagged.drafts) == [result.record_id] == [ds.record_id()]
    assert [r.path for r in lagged.request_log if r.method == "POST" and r.path == "/api/records"] == [
        "/api/records"
    ]
    assert 10.0 <= sum(lag.waits_s) <= 31.0


def test_a_run_killed_while_it_waits_for_a_lost_create_is_continued_at_once(
    tmp_path: Path, lagged: Emulator, lag: LagClock, state_home: Path
) -> None:
    """The issue's sequence: create applied, answer lost, the run killed (here: in its first wait
    for the search), re-run at once with a 5 s lag."""
    lagged.index_delay_s = 5.0

    def killed(seconds: float) -> None:
        raise Stop("killed while waiting")

    with HostileProxy(lagged.url) as proxy:
        ds = make_dataset(tmp_path / "d", proxy.url)
        proxy.add(Rule("POST", r"/records", reset=True, times=1))
        dying = ZenodoClient(proxy.url, TOKEN, retry=RetryPolicy(sleep=killed, wall_clock=lag.wall))
        with pytest.raises(Stop):
            sync(ds, dying)
        assert not ds.id_file.exists() and len(lagged.drafts) == 1
        result = sync(ds, client(proxy.url, lag))
    assert list(lagged.drafts) == [result.record_id] == [ds.record_id()]
    assert notes_left(state_home) == []


# --------------------------------------------------------------------------- no wait on the normal path


def test_a_first_sync_without_a_note_never_waits(tmp_path: Path, lagged: Emulator, lag: LagClock) -> None:
    lagged.index_delay_s = 30.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    heard = Heard()
    result = sync(ds, client(lagged.url, lag), heard)
    assert result.status == "created"
    assert lag.waits_s == []
    assert [r.path for r in lagged.request_log if r.path.startswith("/api/user/records")] == [
        "/api/user/records"
    ], "one look at the search, as before"
    assert "waiting" not in heard.text()


def test_a_create_zenodo_refused_leaves_no_note_so_the_next_run_does_not_wait(
    tmp_path: Path, lagged: Emulator, lag: LagClock, state_home: Path
) -> None:
    lagged.index_delay_s = 30.0
    with HostileProxy(lagged.url) as proxy:
        ds = make_dataset(tmp_path / "d", proxy.url)
        refusal = {"status": 403, "message": "Permission denied."}
        proxy.add(Rule("POST", r"/records", status=403, json=refusal, forward=False, times=1))
        with pytest.raises(RemoteError):
            sync(ds, client(proxy.url, lag))
        assert notes_left(state_home) == []
        assert sync(ds, client(proxy.url, lag)).status == "created"
    assert lag.waits_s == []


# --------------------------------------------------------------------------- the bound and its limits


def test_past_the_bound_zsync_creates_and_says_so(tmp_path: Path, lagged: Emulator, lag: LagClock) -> None:
    """A search that lags more than ZSYNC_INDEX_LAG_S: the wait ends at the bound, a draft is
    created and the run says what may be left behind (the documented limit)."""
    lagged.index_delay_s = 45.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    first = crash_after_create(ds, lag)
    heard = Heard()
    result = sync(ds, client(lagged.url, lag, index_lag_s=30.0), heard)
    assert sum(lag.waits_s) == pytest.approx(30.0, abs=1.0)  # from the create, sent a moment ago
    assert result.status == "created" and result.record_id != first
    assert set(lagged.drafts) == {first, result.record_id}
    assert (
        "warning: no draft titled 'End-to-end dataset' showed up in Zenodo's search within 30 s"
        in heard.text()
    )
    assert (
        "creating one. Should that run's draft show up later (empty, same title), discard it" in heard.text()
    )


def test_a_note_older_than_the_bound_costs_one_look_not_a_wait(
    tmp_path: Path, lagged: Emulator, lag: LagClock
) -> None:
    lagged.index_delay_s = 120.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    first = crash_after_create(ds, lag)
    lag.offset_s += 60.0  # the re-run comes a minute later
    heard = Heard()
    result = sync(ds, client(lagged.url, lag), heard)
    assert lag.waits_s == []
    assert "waiting" not in heard.text() and "creating one" in heard.text()
    assert set(lagged.drafts) == {first, result.record_id}


def test_zsync_index_lag_s_sets_the_bound(tmp_path: Path, lagged: Emulator, lag: LagClock) -> None:
    lagged.index_delay_s = 45.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    crash_after_create(ds, lag)
    result = sync(ds, client(lagged.url, lag, index_lag_s=60.0))
    assert 45.0 <= sum(lag.waits_s) <= 60.0
    assert list(lagged.drafts) == [result.record_id]


def test_a_draft_discarded_meanwhile_is_not_continued(
    tmp_path: Path, lagged: Emulator, lag: LagClock
) -> None:
    """The person discards the stopped run's draft on Zenodo while the search still lists it."""
    lagged.index_delay_s = 5.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    first = crash_after_create(ds, lag)
    lag.offset_s += 5.0  # the search now lists the draft...
    lagged.index_delay_s = 60.0  # ...and will for a minute after it is gone
    assert api(lagged, "DELETE", f"/records/{first}/draft").status_code == 204
    result = sync(ds, client(lagged.url, lag))
    assert result.status == "created" and result.record_id != first
    assert list(lagged.drafts) == [result.record_id]
    assert sum(lag.waits_s) == pytest.approx(25.0, abs=1.0), "waited out the rest of the bound"


def test_two_empty_drafts_with_the_title_the_oldest_is_continued_and_the_other_named(
    tmp_path: Path, lagged: Emulator, lag: LagClock
) -> None:
    lagged.index_delay_s = 5.0
    ds = make_dataset(tmp_path / "d", lagged.url)
    first = crash_after_create(ds, lag)
    body = {"metadata": {"title": "End-to-end dataset"}, "files": {"enabled": True}}
    other = api(lagged, "POST", "/records", json=body).json()["id"]
    heard = Heard()
    result = sync(ds, client(lagged.url, lag), heard)
    assert result.record_id == first == ds.record_id()
    assert set(lagged.drafts) == {first, other}
    assert draft_files(lagged, other) == {}, "the other draft is left alone"
    assert f"continuing {first}, the oldest; discard {other} on Zenodo if a duplicate" in heard.text()


# --------------------------------------------------------------------------- the note itself


def test_the_note_lives_outside_the_repository(
    tmp_path: Path, lagged: Emulator, lag: LagClock, state_home: Path
) -> None:
    ds = make_dataset(tmp_path / "d", lagged.url)
    before = sorted(p.relative_to(ds.root) for p in ds.root.rglob("*"))
    crash_after_create(ds, lag)
    assert sorted(p.relative_to(ds.root) for p in ds.root.rglob("*")) == before, "nothing for git add"
    (note,) = notes_left(state_home)
    assert '"title": "End-to-end dataset"' in note.read_text()
    assert oct(note.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_where_the_note_goes(tmp_path: Path) -> None:
    id_file = tmp_path / ".zenodo-record-id.txt"
    xdg = CreateNotes.of({"XDG_STATE_HOME": "/s", "HOME": "/h"}, "https://zenodo.org/api", id_file)
    assert xdg.path is not None and xdg.path.parent == Path("/s/zsync/creating")
    home = CreateNotes.of({"XDG_STATE_HOME": "rel", "HOME": "/h"}, "https://zenodo.org/api", id_file)
    assert home.path is not None and home.path.parent == Path("/h/.local/state/zsync/creating")
    assert CreateNotes.of({}, "https://zenodo.org/api", id_file).path is None
    sandbox = CreateNotes.of({"HOME": "/h"}, "https://sandbox.zenodo.org/api", id_file)
    assert sandbox.path != home.path, "one note per endpoint and id file"


def test_the_index_lag_setting() -> None:
    assert index_lag_s({}) == 30.0
    assert index_lag_s({"ZSYNC_INDEX_LAG_S": "0"}) == 0.0
    assert index_lag_s({"ZSYNC_INDEX_LAG_S": " 12.5 "}) == 12.5
    for bad in ("soon", "-1", "inf", "nan", "5000"):
        with pytest.raises(UsageError, match="ZSYNC_INDEX_LAG_S"):
            index_lag_s({"ZSYNC_INDEX_LAG_S": bad})
    assert lookup_waits(30.0) == (1.0, 2.0, 4.0, 8.0, 8.0, 7.0)
    assert lookup_waits(0.0) == ()


def test_a_bad_index_lag_setting_is_a_usage_error(tmp_path: Path, emulator: Emulator) -> None:
    ds = make_dataset(tmp_path / "d", emulator.url)
    proc = run_zsync("sync", str(ds.config_path), extra_env={"ZSYNC_INDEX_LAG_S": "soon"})
    assert proc.returncode == 2, proc.stderr
    assert "ZSYNC_INDEX_LAG_S='soon' is not a number of seconds from 0 to 3600" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert emulator.mutating_requests() == []


# --------------------------------------------------------------------------- the emulator's part


def test_the_emulator_search_shows_a_discarded_draft_until_its_lag_passes(
    lagged: Emulator, lag: LagClock
) -> None:
    """Stale hits are what a lagging index serves; rendering one must not be an emulator bug."""
    lagged.index_delay_s = 2.0
    body = {"metadata": {"title": "Gone"}, "files": {"enabled": True}}
    rid = api(lagged, "POST", "/records", json=body).json()["id"]
    lag.offset_s += 2.0
    assert api(lagged, "DELETE", f"/records/{rid}/draft").status_code == 204
    stale = api(lagged, "GET", "/user/records")
    assert stale.status_code == 200 and [h["id"] for h in stale.json()["hits"]["hits"]] == [rid]
    lag.offset_s += 2.0
    assert api(lagged, "GET", "/user/records").json()["hits"]["hits"] == []


def test_the_emulator_can_lose_the_answer_to_a_create_it_applied(lagged: Emulator) -> None:
    lagged.faults = Faults(p_create_504_after_success=1.0)
    body = {"metadata": {"title": "Made"}, "files": {"enabled": True}}
    lost = api(lagged, "POST", "/records", json=body)
    assert lost.status_code == 504
    assert [d["metadata"]["title"] for d in lagged.drafts.values()] == ["Made"]
    assert lagged.request_log[-1].fault == "create_504_after_success"


# --------------------------------------------------------------------------- the soak, in real time


@pytest.mark.slow  # about 40 s: ten real runs, each killed while it waits for Zenodo's search
def test_soak_runs_killed_after_a_lost_create_are_continued_at_once(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The issue's sequence with real processes and real time, ten times: the create is applied and
    its answer lost, the run is SIGKILLed while it waits for the search (2 s behind), and a run
    started at once (the default 30 s bound) continues that draft. The datasets share one title,
    so an earlier dataset's draft, still empty in the lagging search, must not be taken either."""
    emulator.index_delay_s = 2.0
    for run in range(10):
        ds = make_dataset(tmp_path / f"d{run}", emulator.url, n_files=2)
        emulator.faults = Faults(p_create_504_after_success=1.0)
        emulator.clear_log()
        proc = spawn_zsync("sync", str(ds.config_path))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(r.fault for r in emulator.request_log):
            time.sleep(0.01)
        time.sleep(0.3 * (run % 3))  # killed at different moments of its wait
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, f"run {run} ended before it was killed"
        assert not ds.id_file.exists(), f"run {run} was killed after it found its draft"
        emulator.faults = Faults()
        again = run_zsync("sync", str(ds.config_path))
        assert again.returncode == 0, again.stderr
        assert "waiting up to" in again.stderr, again.stderr
        remote = draft_files(emulator, ds.record_id())
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, f"run {run}"
    assert len(emulator.drafts) == 10, "a second draft"
