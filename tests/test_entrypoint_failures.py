"""the Action's failure path after the draft exists.

The run fails after the draft was created and its id written (every upload breaks). The issue moved
`ZsyncError.written_record_id` into the `on_record_id` hook (`_RecordIdCommitter` -> `_Failure`);
these tests pin what a failed run must still say: the record id (output), and what happened to the
id file (log and job summary), with and without commit-record-id.
"""

from __future__ import annotations

from test_entrypoint import ID_FILE, TOKEN, Workspace
from test_entrypoint import workspace as workspace

from zsync.emulator import Emulator, Faults

FAST = {"zsync_retry_max_attempts": "2", "zsync_retry_initial_wait_s": "0.01", "zsync_retry_jitter_s": "0"}


def test_a_failed_run_after_the_draft_exists_outputs_the_id_and_says_the_write_back(
    workspace: Workspace,
    emulator: Emulator,
) -> None:
    emulator.faults = Faults(p_reset_upload=1.0)
    run = workspace.run(token=TOKEN, **FAST)
    assert run.code == 1, run.log
    assert run.outputs["status"] == "failed"
    record_id = run.outputs["record-id"]
    assert workspace.remote_file(ID_FILE).strip() == record_id
    # said after the error line, and in the summary
    error_at = run.log.index("zsync: error:")
    assert "Record-id file: committed" in run.log[error_at:], run.log
    assert "Record-id file: committed" in run.summary, run.summary


def test_a_failed_run_without_commit_still_says_the_id_file_changed(
    workspace: Workspace,
    emulator: Emulator,
) -> None:
    """
    'changed but not committed'; the failure summary says nothing of the id file it changed."""
    emulator.faults = Faults(p_reset_upload=1.0)
    run = workspace.run(token=TOKEN, commit_record_id="false", **FAST)
    assert run.code == 1, run.log
    assert run.outputs["record-id"] == (workspace.root / ID_FILE).read_text().strip()
    assert "Record-id file:" in run.summary, run.summary


def test_a_failed_run_on_an_existing_draft_outputs_its_record_id(
    workspace: Workspace,
    emulator: Emulator,
) -> None:
    """
    uploading a changed file; `record-id` is output only when THIS run changed the id file."""
    first = workspace.run(token=TOKEN, **FAST)
    assert first.code == 0, first.log
    record_id = first.outputs["record-id"]
    data = workspace.root / "data"
    changed = next(p for p in sorted(data.iterdir()) if p.is_file())
    changed.write_bytes(changed.read_bytes() + b"1,2,3\n")
    emulator.faults = Faults(p_reset_upload=1.0)
    run = workspace.run(token=TOKEN, **FAST)
    assert run.code == 1, run.log
    assert run.outputs.get("record-id") == record_id, run.outputs
