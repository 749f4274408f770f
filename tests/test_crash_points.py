"""A run that stops after any one request is completed by the next run: never a second draft, never
a stale file, never a half-published edit.

The stop is simulated in-process: a client that raises after its N-th request that changes
something (real HTTP to the emulator up to that point), for every N a flow makes. The next run uses
an ordinary client; a third run must find nothing to do. Which client methods change something is
read from the plan's step types (each declares the calls it makes), so a new step is covered here
the day it is added.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_sync_e2e import TOKEN, Dataset, api, draft_files, make_dataset, mutations, user_drafts

import zsync
from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator
from zsync.planning import mutating_calls

MUTATING = sorted(mutating_calls())


class Stop(BaseException):
    """The process died here (BaseException: nothing in zsync may swallow it)."""


class StoppingClient(ZenodoClient):
    def __init__(self, url: str, stop_after: int) -> None:
        super().__init__(url, TOKEN, retry=RetryPolicy(sleep=lambda _s: None))
        self.left = stop_after


def _stopping(name: str) -> Callable[..., Any]:
    def method(self: StoppingClient, *args: Any, **kwargs: Any) -> Any:
        result = getattr(ZenodoClient, name)(self, *args, **kwargs)
        self.left -= 1
        if self.left == 0:
            raise Stop(name)
        return result

    return method


for _name in MUTATING:
    setattr(StoppingClient, _name, _stopping(_name))


def run(ds: Dataset, client: ZenodoClient | None = None) -> zsync.engine.SyncResult:
    return zsync.sync(ds.config_path, token=TOKEN, client=client, retry=RetryPolicy(sleep=lambda _s: None))


def steps_of(flow: Callable[[Dataset], None], ds: Dataset, emulator: Emulator) -> int:
    """How many mutating calls the flow's sync makes when nothing stops it (measured on a copy)."""
    flow(ds)
    emulator.clear_log()
    run(ds)
    return len(mutations(emulator))


def first_sync(ds: Dataset) -> None:
    pass


def new_version(ds: Dataset) -> None:
    run(ds)
    ds_emulator(ds).publish(ds.record_id())
    ds.write_file("file01.csv", b"changed for the new version\n")
    ds.remove_file("file02.csv")
    ds.write_file("added.txt", b"added in the new version\n")
    ds.set("metadata.version", "2.0.0")
    ds.set("metadata.title", "Second version")


def edit_published(ds: Dataset) -> None:
    run(ds)
    ds_emulator(ds).publish(ds.record_id())
    ds.set("metadata.title", "Corrected title")


_EMULATORS: dict[str, Emulator] = {}


def ds_emulator(ds: Dataset) -> Emulator:
    return _EMULATORS[ds.url]


FLOWS = {"first-sync": first_sync, "new-version": new_version, "edit-published": edit_published}


def test_the_mutating_calls_come_from_the_step_types() -> None:
    # Every client method that changes something on Zenodo is declared by some step.
    assert set(MUTATING) >= {
        "create_draft", "reserve_doi", "new_version", "import_files", "init_files", "upload_content",
        "commit_file", "delete_file", "update_draft", "edit_draft", "publish",
    }  # fmt: skip
    assert all(callable(getattr(ZenodoClient, name)) for name in MUTATING)


Flow = Callable[[Dataset, Emulator], None]


def mutations_of_flow(tmp_path: Path, emulator: Emulator, flow: Flow) -> list[str]:
    """The mutating requests of the run `flow` leads up to, made once on a probe dataset."""
    probe = make_dataset(tmp_path / "probe", emulator.url)
    flow(probe, emulator)
    emulator.clear_log()
    run(probe)
    return mutations(emulator)


def stopped_and_resumed(tmp_path: Path, emulator: Emulator, flow: Flow, stop_after: int) -> Dataset:
    """A dataset whose run (after `flow`) stopped right after mutating call `stop_after`, then
    completed by the next run; a third run has nothing to do (checked here)."""
    ds = make_dataset(tmp_path / f"stop{stop_after}", emulator.url)
    flow(ds, emulator)
    with pytest.raises(Stop):
        run(ds, StoppingClient(emulator.url, stop_after))
    run(ds)
    emulator.clear_log()
    assert run(ds).status == "unchanged", f"stopped after call {stop_after}: a third run had work"
    assert mutations(emulator) == [], f"stopped after call {stop_after}"
    return ds


@pytest.mark.parametrize("flow_name", FLOWS)
def test_a_run_stopped_after_any_request_is_completed_by_the_next(
    flow_name: str, tmp_path: Path, emulator: Emulator
) -> None:
    _EMULATORS[emulator.url] = emulator
    flow = FLOWS[flow_name]
    total = steps_of(flow, make_dataset(tmp_path / "probe", emulator.url), emulator)
    assert total >= 3
    for stop_after in range(1, total):
        ds = make_dataset(tmp_path / f"stop{stop_after}", emulator.url)
        flow(ds)
        drafts_before = len(user_drafts(emulator))
        with pytest.raises(Stop):
            run(ds, StoppingClient(emulator.url, stop_after))
        next_runs_complete(ds, emulator, flow_name, drafts_before, f"stopped after call {stop_after}")


def next_runs_complete(ds: Dataset, emulator: Emulator, flow_name: str, drafts_before: int, at: str) -> None:
    """The run after a stop completes the flow's record (no second draft, no stale file, no half-published
    edit); a third has nothing to do."""
    result = run(ds)  # the next run, nothing stops it
    emulator.clear_log()
    assert run(ds).status == "unchanged", f"{at}: a third run still had work"
    assert mutations(emulator) == [], at
    record_id = ds.record_id()
    assert result.record_id == record_id
    if flow_name == "edit-published":
        published = api(emulator, "GET", f"/records/{record_id}").json()
        assert published["metadata"]["title"] == "Corrected title", at
        assert api(emulator, "GET", f"/records/{record_id}/draft").status_code == 404
        assert len(user_drafts(emulator)) == drafts_before
    else:
        remote = draft_files(emulator, record_id)
        assert remote == {k: ("completed", v) for k, v in ds.local_md5s().items()}, at
        draft = api(emulator, "GET", f"/records/{record_id}/draft").json()
        assert draft["metadata"]["title"] == ds.config()["metadata"]["title"]
        assert draft["metadata"]["version"] == ds.config()["metadata"]["version"]
        assert draft["files"].get("default_preview") == "file00.csv"
        assert len(user_drafts(emulator)) == drafts_before + 1, f"{at}: a second draft"
