"""The share-link calls under the crash-point rule: a run stopped after any mutating request (the
draft's own, the link's create, the expired link's delete) is completed by the next run, which never
makes a second link; a third run finds nothing to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_crash_points import MUTATING, Flow, mutations_of_flow, run, stopped_and_resumed
from test_share_e2e import links
from test_sync_e2e import Dataset

from zsync.emulator import Emulator

SHARE_CALLS = {"create_share_link", "delete_share_link"}


def test_the_share_calls_are_mutating_calls() -> None:
    assert set(MUTATING) >= SHARE_CALLS


def first_sync(ds: Dataset, emulator: Emulator) -> None:
    ds.set("share", {"expires": "10d"})


def replace_expired(ds: Dataset, emulator: Emulator) -> None:
    first_sync(ds, emulator)
    run(ds)
    (link,) = links(emulator, ds.record_id())
    emulator.expire_link(str(link["id"]))


FLOWS: dict[str, Flow] = {
    "first-sync": first_sync,
    "replace-expired": replace_expired,
}


@pytest.mark.parametrize("flow_name", FLOWS)
def test_a_run_stopped_after_any_share_call_leaves_one_valid_link(
    flow_name: str, tmp_path: Path, emulator: Emulator
) -> None:
    flow = FLOWS[flow_name]
    calls = mutations_of_flow(tmp_path, emulator, flow)
    assert any("/access/links" in m for m in calls)
    for stop_after in range(1, len(calls) + 1):
        ds = stopped_and_resumed(tmp_path, emulator, flow, stop_after)
        (link,) = links(emulator, ds.record_id())  # exactly one: never a second
        assert emulator.book.token_valid(ds.record_id(), str(link["token"])), (
            f"stopped after call {stop_after}"
        )
