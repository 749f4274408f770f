"""An embargoed record end to end: the real `zsync` command against the emulator (first sync, a
second that changes nothing, a changed date on the published record), then, with the emulator's
clock and zsync's `today` moved past the date, the lift by Zenodo's daily task, which zsync follows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_sync_e2e import (
    TOKEN,
    Dataset,
    api,
    assert_no_op_reads,
    make_dataset,
    mutations,
    outputs_of,
    sync,
)

import zsync
from zsync.emulator import Emulator
from zsync.report import NullReporter
from zsync.transport import RetryPolicy

TODAY = dt.datetime.now(dt.UTC).date()
UNTIL = (TODAY + dt.timedelta(days=210)).isoformat()
EDIT = ["POST /records/{id}/draft", "PUT /records/{id}/draft", "POST /records/{id}/draft/actions/publish"]


@pytest.fixture
def ds(tmp_path: Path, emulator: Emulator) -> Dataset:
    ds = make_dataset(tmp_path / "dataset", emulator.url, n_files=2)
    ds.set(
        "access", {"files": "restricted", "embargo": {"until": UNTIL, "reason": "Under review at a journal"}}
    )
    return ds


def access_of(emulator: Emulator, record_id: str, *, draft: bool = False) -> dict[str, Any]:
    path = f"/records/{record_id}/draft" if draft else f"/records/{record_id}"
    access: dict[str, Any] = api(emulator, "GET", path).json()["access"]
    return access


def test_an_embargoed_record_syncs_once_then_follows_a_changed_date(ds: Dataset, emulator: Emulator) -> None:
    first = sync(ds, "--json")
    assert outputs_of(first)["status"] == "created"
    assert f"access: the files are embargoed until {UNTIL} (in 210 days), then public" in first.stderr
    assert access_of(emulator, ds.record_id(), draft=True) == {
        "record": "public",
        "files": "restricted",
        "embargo": {"active": True, "until": UNTIL, "reason": "Under review at a journal"},
        "status": "embargoed",
    }
    emulator.clear_log()
    again = outputs_of(sync(ds, "--json"))
    assert again["status"] == "unchanged" and mutations(emulator) == []
    assert_no_op_reads(emulator)

    record_id = ds.record_id()
    emulator.publish(record_id)
    later = (TODAY + dt.timedelta(days=300)).isoformat()
    ds.set(
        "access", {"files": "restricted", "embargo": {"until": later, "reason": "Under review at a journal"}}
    )
    emulator.clear_log()
    proc = sync(ds, "--json")
    assert outputs_of(proc)["status"] == "updated" and mutations(emulator) == EDIT
    assert f"access.embargo.until: '{UNTIL}' -> '{later}'" in proc.stderr
    assert access_of(emulator, record_id)["embargo"] == {
        "active": True,
        "until": later,
        "reason": "Under review at a journal",
    }
    emulator.clear_log()
    sync(ds)
    assert mutations(emulator) == []


def test_an_embargo_already_over_is_refused_on_its_line(ds: Dataset, emulator: Emulator) -> None:
    ds.set(
        "access", {"files": "restricted", "embargo": {"until": (TODAY - dt.timedelta(days=1)).isoformat()}}
    )
    proc = sync(ds, expect=2)
    line = next(n for n, text in enumerate(ds.config_path.read_text().splitlines(), 1) if "until:" in text)
    assert f"zenodo.yaml:{line}: access.embargo.until: " in proc.stderr
    assert "Zenodo refuses an embargo that has ended" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert mutations(emulator) == []


# --------------------------------------------------------------------------- after the date


def sync_on(ds: Dataset, day: dt.date) -> zsync.SyncResult:
    """zsync in-process with its calendar at `day` (the subprocess has only the real one)."""
    return zsync.sync(
        ds.config_path,
        token=TOKEN,
        retry=RetryPolicy(sleep=lambda _s: None),
        reporter=NullReporter(),
        today=lambda: day,
    )


def test_after_the_date_zsync_lets_zenodo_lift_the_embargo(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    record_id = ds.record_id()
    emulator.publish(record_id)
    day = dt.date.fromisoformat(UNTIL)

    # 00:01 UTC on the date: Zenodo's task (00:02) has not run; the record still says embargoed.
    emulator.set_clock(f"{UNTIL}T00:01:00+00:00")
    emulator.clear_log()
    waiting = sync_on(ds, day)
    assert waiting.status == "unchanged" and mutations(emulator) == []
    assert waiting.plan is not None
    assert waiting.plan.notes == (
        f"access: the embargo ended on {UNTIL}; Zenodo's daily task makes the files public",
    )
    assert access_of(emulator, record_id)["status"] == "embargoed"

    emulator.set_clock(f"{UNTIL}T00:03:00+00:00")
    assert emulator.lift_embargoes() == [record_id]
    lifted = sync_on(ds, day)
    assert lifted.status == "unchanged" and mutations(emulator) == []
    assert lifted.plan is not None
    assert lifted.plan.notes == (f"access: the embargo ended on {UNTIL}; the files are public",)

    # A later metadata change sends the lifted embargo back as it is, which Zenodo accepts.
    ds.set("metadata.title", "Published after the embargo")
    changed = sync_on(ds, day + dt.timedelta(days=3))
    assert changed.status == "updated" and mutations(emulator) == EDIT
    assert access_of(emulator, record_id) == {
        "record": "public",
        "files": "public",
        "embargo": {"active": False, "until": UNTIL, "reason": "Under review at a journal"},
        "status": "open",
    }
    emulator.clear_log()
    assert sync_on(ds, day + dt.timedelta(days=3)).status == "unchanged" and mutations(emulator) == []


def test_a_draft_left_past_its_date_is_lifted_so_it_can_be_published(ds: Dataset, emulator: Emulator) -> None:
    sync(ds)
    emulator.set_clock(f"{UNTIL}T09:00:00+00:00")
    emulator.clear_log()
    result = zsync.sync(
        ds.config_path,
        token=TOKEN,
        retry=RetryPolicy(sleep=lambda _s: None),
        today=lambda: dt.date.fromisoformat(UNTIL),
        publish=True,
    )
    assert result.state == "published"
    assert mutations(emulator) == ["PUT /records/{id}/draft", "POST /records/{id}/draft/actions/publish"]
    assert access_of(emulator, ds.record_id())["files"] == "public"
