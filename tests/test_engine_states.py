"""Per-state results the engine must keep: what the engine before the step-list redesign did, pinned.

Found by a fresh-eyes review that ran the old and the new engine side by side on the same states: an
open edit draft with nothing to change reports the published record, and an id file naming an older
version is followed (warned and corrected) even when the sync is then refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sync_e2e import TOKEN, Dataset, api, make_dataset

import zsync
from zsync import github
from zsync.api import RetryPolicy
from zsync.emulator import Emulator
from zsync.errors import SyncError
from zsync.report import NullReporter


def run(ds: Dataset, **kw: object) -> zsync.engine.SyncResult:
    return zsync.sync(ds.config_path, token=TOKEN, retry=RetryPolicy(sleep=lambda _s: None), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("foreign", [False, True])
def test_nothing_to_do_beside_an_open_edit_draft_reports_the_published_record(
    foreign: bool, tmp_path: Path, emulator: Emulator
) -> None:
    """A person pressed Edit on the web (and maybe saved a field zsync does not own); the local
    dataset is unchanged. Old: status unchanged, state "published", the record's URL. New: the plan
    is "none" but Progress.start(state) takes `state.current` (the EDIT DRAFT) as the final record:
    state "draft", html-url /uploads/<id>, and the summary calls the registered DOI "reserved"."""
    ds = make_dataset(tmp_path / "ds", emulator.url)
    run(ds)
    rid = ds.record_id()
    emulator.publish(rid)
    edit = api(emulator, "POST", f"/records/{rid}/draft")
    assert edit.status_code == 201
    if foreign:
        doc = edit.json()
        doc["metadata"]["languages"] = [{"id": "eng"}]
        body = {k: doc[k] for k in ("metadata", "custom_fields", "access")}
        assert api(emulator, "PUT", f"/records/{rid}/draft", json=body).status_code == 200
    result = run(ds)
    assert result.status == "unchanged"
    assert (result.state, result.published) == ("published", True)
    assert result.html_url is not None and "/records/" in result.html_url
    assert "reserved: it resolves once" not in github.render_summary(result)


class _Warnings(NullReporter):
    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


def test_following_an_older_id_is_said_even_when_the_plan_then_refuses(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The id file names v1, v2 is the latest, the local files differ at v2's version. Old: warned
    "record <v1> is not the latest version; following it to <v2>" (and wrote v2 to the id file),
    then refused. New: the warning lives in Plan.warnings, and compute_plan raises before a Plan
    exists, so the user reads an error about record <v2> while the id file says <v1>, unexplained."""
    ds = make_dataset(tmp_path / "ds", emulator.url)
    run(ds)
    v1 = ds.record_id()
    emulator.publish(v1)
    ds.set("metadata.version", "2.0.0")
    run(ds)
    emulator.publish(ds.record_id())
    ds.id_file.write_text(v1 + "\n")
    ds.write_file("file00.csv", b"differs from the published v2\n")
    reporter = _Warnings()
    with pytest.raises(SyncError):
        run(ds, reporter=reporter)
    assert any("is not the latest version; following it" in w for w in reporter.warnings), reporter.warnings
