"""The community calls under the crash-point rule: a run stopped after any mutating request (the
review set, its submission, an inclusion request) is completed by the next run, which never submits
twice; a third run finds nothing to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_crash_points import MUTATING, Flow, mutations_of_flow, run, stopped_and_resumed
from test_sync_e2e import Dataset

from zsync.emulator import Emulator

COMMUNITY_CALLS = {"set_review", "submit_review", "include_in_community", "remove_from_community"}


def test_the_community_calls_are_mutating_calls() -> None:
    assert set(MUTATING) >= COMMUNITY_CALLS


def _communities(emulator: Emulator) -> None:
    for slug, per_version in (("ecology", False), ("oceans", False), ("strict", True)):
        try:
            emulator.book.community(slug)
        except Exception:  # the emulator's ApiError: not made yet
            emulator.add_community(slug, new_version_review=per_version)


def review_submit(ds: Dataset, emulator: Emulator) -> None:
    ds.set("communities", ["ecology"])
    ds.set("review", "submit")


def inclusion(ds: Dataset, emulator: Emulator) -> None:
    run(ds)
    emulator.publish(ds.record_id())
    ds.set("communities", ["ecology", "oceans"])


def version_review(ds: Dataset, emulator: Emulator) -> None:
    ds.set("communities", ["strict"])
    ds.set("review", "submit")
    run(ds)
    (request,) = _requests_of(emulator, ds.record_id())
    emulator.curate(request["id"], "accept")
    ds.set("metadata.version", "2.0.0")
    ds.write_file("file01.csv", b"changed for the new version\n")


FLOWS: dict[str, tuple[Flow, int]] = {
    "review-submit": (review_submit, 1),
    "inclusion": (inclusion, 2),
    "version-review": (version_review, 1),
}


def _requests_of(emulator: Emulator, record_id: str) -> list[dict[str, object]]:
    return [r for r in emulator.requests if r["topic"] == {"record": record_id}]


@pytest.mark.parametrize("flow_name", FLOWS)
def test_a_run_stopped_after_any_community_call_is_completed_once(
    flow_name: str, tmp_path: Path, emulator: Emulator
) -> None:
    _communities(emulator)
    flow, expected_requests = FLOWS[flow_name]
    calls = mutations_of_flow(tmp_path, emulator, flow)
    assert len(calls) >= 2
    for stop_after in range(1, len(calls) + 1):
        ds = stopped_and_resumed(tmp_path, emulator, flow, stop_after)
        made = _requests_of(emulator, ds.record_id())
        assert len(made) == expected_requests, f"stopped after call {stop_after}: {made}"
        assert {r["status"] for r in made} == {"submitted"}, f"stopped after call {stop_after}"
