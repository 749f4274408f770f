"""The share-link calls under the crash-point rule: a run stopped after any mutating request (the
draft's own, the link's create, the expired link's delete) is completed by the next run, which never
makes a second link; a third run finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_crash_points import MUTATING, Stop, StoppingClient, run
from test_share_e2e import links
from test_sync_e2e import Dataset, make_dataset, mutations

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


FLOWS: dict[str, Callable[[Dataset, Emulator], None]] = {
    "first-sync": first_sync,
    "replace-expired": replace_expired,
}


@pytest.mark.parametrize("flow_name", FLOWS)
def test_a_run_stopped_after_any_share_call_leaves_one_valid_link(
    flow_name: str, tmp_path: Path, emulator: Emulator
) -> None:
    flow = FLOWS[flow_name]
    probe = make_dataset(tmp_path / "probe", emulator.url)
    flow(probe, emulator)
    emulator.clear_log()
    run(probe)
    total = len(mutations(emulator))
    assert any("/access/links" in m for m in mutations(emulator))
    for stop_after in range(1, total + 1):
        ds = make_dataset(tmp_path / f"stop{stop_after}", emulator.url)
        flow(ds, emulator)
        with pytest.raises(Stop):
            run(ds, StoppingClient(emulator.url, stop_after))
        run(ds)
        emulator.clear_log()
        assert run(ds).status == "unchanged", f"stopped after call {stop_after}: a third run had work"
        assert mutations(emulator) == [], f"stopped after call {stop_after}"
        (link,) = links(emulator, ds.record_id())  # exactly one: never a second
        assert emulator.book.token_valid(ds.record_id(), str(link["token"])), (
            f"stopped after call {stop_after}"
        )
