"""the engine's `_Resumed` path, in process against the emulator.

Reached when the id file names the published record, the local version is higher, and Zenodo's
`POST /versions` answers with a next-version draft that is already open and has files: a run whose
id-file commit never reached the repository (the push failed; the next job checks out the old id),
or a person who pressed "New version" on the web and imported the files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_crash_points import Stop, StoppingClient
from test_sync_e2e import TOKEN, Dataset, make_dataset, mutations

import zsync
from zsync.api import RetryPolicy
from zsync.emulator import Emulator
from zsync.planning import plan_as_dict


def _resumable(tmp_path: Path, emulator: Emulator) -> tuple[Dataset, str]:
    ds = make_dataset(tmp_path / "ds", emulator.url)
    zsync.sync(ds.config_path, token=TOKEN)
    v1 = ds.record_id()
    emulator.publish(v1)
    ds.write_file("file01.csv", b"changed for the new version\n")
    ds.set("metadata.version", "2.0.0")
    with pytest.raises(Stop):  # new_version, reserve_doi, import_files: then the job died
        zsync.sync(ds.config_path, token=TOKEN, client=StoppingClient(emulator.url, 3))
    ds.id_file.write_text(v1 + "\n")  # ...and its id-file commit never reached the repository
    emulator.clear_log()
    return ds, v1


def test_resumed_writes_the_draft_id_before_any_other_change(tmp_path: Path, emulator: Emulator) -> None:
    ds, v1 = _resumable(tmp_path, emulator)
    seen: list[tuple[str, list[str]]] = []

    def hook(path: Path, record_id: str) -> None:
        seen.append((record_id, mutations(emulator)))

    result = zsync.sync(
        ds.config_path, token=TOKEN, on_record_id=hook, retry=RetryPolicy(sleep=lambda _s: None)
    )
    draft_id = ds.record_id()
    assert draft_id != v1
    assert seen == [(draft_id, ["POST /records/{id}/versions"])]
    assert result.status == "new-version"
    assert result.record_id_changed
    assert result.record_id == draft_id


def test_resumed_result_plan_says_new_version(tmp_path: Path, emulator: Emulator) -> None:
    """
    its status patched to "new-version"; `sync --json` and the 336be30 engine said "new-version"."""
    ds, _ = _resumable(tmp_path, emulator)
    result = zsync.sync(ds.config_path, token=TOKEN, retry=RetryPolicy(sleep=lambda _s: None))
    assert result.plan is not None
    view = plan_as_dict(result.plan)
    assert (view["status"], view["record_action"]) == ("new-version", "new-version")
