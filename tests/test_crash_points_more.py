"""crash points for flows tests/test_crash_points.py leaves out.

Same method as there (a client that stops after its N-th mutating call, for every N; the next run
repairs; a third run has nothing to do), for: changes to an open draft (replace, delete, add, title),
a new version reached by following an id file that names an older version, an adopted orphan
draft, a new version with --publish, and the `_Resumed` path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_crash_points import Stop, StoppingClient
from test_sync_e2e import TOKEN, Dataset, draft_files, make_dataset, mutations, user_drafts

import zsync
from zsync.api import RetryPolicy
from zsync.emulator import Emulator


def run(ds: Dataset, client: StoppingClient | None = None, **kw: object) -> zsync.engine.SyncResult:
    return zsync.sync(
        ds.config_path, token=TOKEN, client=client, retry=RetryPolicy(sleep=lambda _s: None), **kw
    )  # type: ignore[arg-type]


def draft_changes(ds: Dataset, emu: Emulator) -> None:
    run(ds)
    ds.write_file("file01.csv", b"changed\n")
    ds.remove_file("file02.csv")
    ds.write_file("added.txt", b"added\n")
    ds.set("metadata.title", "Changed title")


def followed_new_version(ds: Dataset, emu: Emulator) -> None:
    run(ds)
    v1 = ds.record_id()
    emu.publish(v1)
    ds.set("metadata.version", "2.0.0")
    run(ds)
    emu.publish(ds.record_id())
    ds.id_file.write_text(v1 + "\n")
    ds.set("metadata.version", "3.0.0")
    ds.write_file("file00.csv", b"changed for v3\n")


def orphan(ds: Dataset, emu: Emulator) -> None:
    with pytest.raises(Stop):
        run(ds, StoppingClient(emu.url, 1))


def resumed(ds: Dataset, emu: Emulator) -> None:
    run(ds)
    v1 = ds.record_id()
    emu.publish(v1)
    ds.write_file("file01.csv", b"changed for the new version\n")
    ds.set("metadata.version", "2.0.0")
    with pytest.raises(Stop):
        run(ds, StoppingClient(emu.url, 3))
    ds.id_file.write_text(v1 + "\n")


FLOWS: dict[str, tuple[Callable[[Dataset, Emulator], None], bool]] = {
    "draft-changes": (draft_changes, False),
    "followed-new-version": (followed_new_version, False),
    "orphan": (orphan, False),
    "resumed": (resumed, False),
    "first-sync-publish": (lambda ds, emu: None, True),
}


@pytest.mark.parametrize("flow_name", FLOWS)
def test_a_run_stopped_anywhere_is_repaired(flow_name: str, tmp_path: Path, emulator: Emulator) -> None:
    flow, publish = FLOWS[flow_name]
    probe = make_dataset(tmp_path / "probe", emulator.url)
    flow(probe, emulator)
    emulator.clear_log()
    run(probe, publish=publish)
    total = len(mutations(emulator))
    assert total >= 2
    for stop_after in range(1, total):
        ds = make_dataset(tmp_path / f"stop{stop_after}", emulator.url)
        ds.set("metadata.title", f"Dataset {stop_after}")  # orphans are found by title: keep them apart
        flow(ds, emulator)
        drafts_before = len(user_drafts(emulator))
        with pytest.raises(Stop):
            run(ds, StoppingClient(emulator.url, stop_after), publish=publish)
        run(ds, publish=publish)
        emulator.clear_log()
        third = run(ds, publish=publish)
        assert third.status == "unchanged", f"stopped after call {stop_after}"
        assert mutations(emulator) == [], f"stopped after call {stop_after}"
        if publish:
            assert third.state == "published", f"stopped after call {stop_after}"
            continue
        remote = draft_files(emulator, ds.record_id())
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, f"after {stop_after}"
        new_drafts = 0 if flow_name == "draft-changes" else 1
        if flow_name in ("orphan", "resumed"):
            new_drafts = 0  # the flow itself left the draft
        assert len(user_drafts(emulator)) == drafts_before + new_drafts, f"stopped after call {stop_after}"
