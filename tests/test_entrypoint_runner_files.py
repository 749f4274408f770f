"""The runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) missing or unwritable: a warning, never a crash.

A runner whose workspace paths differ from the container's (a self-hosted runner, act, a wrapper)
can hand the step a GITHUB_OUTPUT in a folder that does not exist. The sync's result must not depend
on it: the run ends as it would have, with one warning per file that could not be written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_entrypoint import TOKEN, Workspace
from test_entrypoint import workspace as workspace

from zsync import github
from zsync.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


def unwritable(workspace: Workspace) -> dict[str, str]:
    """GITHUB_OUTPUT in a folder that does not exist; GITHUB_STEP_SUMMARY a folder, not a file."""
    folder = workspace.tmp / "a-folder"
    folder.mkdir(exist_ok=True)
    return {
        "GITHUB_OUTPUT": str(workspace.tmp / "no-such-folder" / "output"),
        "GITHUB_STEP_SUMMARY": str(folder),
    }


def test_a_sync_with_unwritable_runner_files_succeeds_with_warnings(
    workspace: Workspace, emulator: Emulator
) -> None:
    run = workspace.run(token=TOKEN, **unwritable(workspace))

    assert run.code == 0, run.log
    assert len(emulator.drafts) == 1
    assert "::warning title=Runner file not written::the step's outputs could not be written" in run.log
    assert "GITHUB_OUTPUT is" in run.log and "No such file or directory" in run.log
    assert "::warning title=Runner file not written::the job summary could not be written" in run.log
    assert "record-id: " in run.log  # the outputs still reach the log
    assert "crashed" not in run.log and "internal error" not in run.log


def test_a_usage_error_with_a_missing_output_file_is_the_usage_error(
    workspace: Workspace, emulator: Emulator
) -> None:
    """The report that found it: a usage error, then `zsync crashed: internal error (FileNotFoundError)`.
    Started as the container starts it, so the crash handler of `__main__` is the one that would speak."""
    run = workspace.run(in_process=False, token=TOKEN, publish="maybe", **unwritable(workspace))

    assert run.code == 2, run.log
    assert "title=Zenodo sync failed (usage)::input 'publish'" in run.log
    assert "::warning title=Runner file not written::the step's outputs could not be written" in run.log
    assert "crashed" not in run.log and "internal error" not in run.log


def test_write_outputs_and_summary_say_why_a_file_was_not_written(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    warning = github.write_outputs(a_file / "output", {"status": "created"})  # its folder is a file
    assert warning is not None
    assert warning.startswith("the step's outputs could not be written: GITHUB_OUTPUT is ")
    assert "Not a directory" in warning
    summary = github.write_summary(tmp_path, "# hello")
    assert summary is not None and "GITHUB_STEP_SUMMARY" in summary and "Is a directory" in summary
    assert github.write_outputs(tmp_path / "fine", {"status": "created"}) is None
    assert github.write_summary(tmp_path / "fine.md", "# hello") is None


def test_the_cli_warns_when_github_output_cannot_be_written(tmp_path: Path) -> None:
    env = {**os.environ, "GITHUB_OUTPUT": str(tmp_path / "missing" / "output")}
    env.pop("ZENODO_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "zsync", "sync", str(ROOT / "examples" / "zenodo.yaml")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "zsync: warning: the step's outputs could not be written: GITHUB_OUTPUT is" in proc.stderr
    assert "Traceback" not in proc.stderr
