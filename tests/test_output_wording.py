"""What the output says, as a person reads it: counts in the right number, a first sync's plan as the
fields it will set, no `== Apply` header over nothing. Through the real command against the emulator."""

from __future__ import annotations

from pathlib import Path

from test_sync_e2e import make_dataset, run_zsync, sync

from zsync import github
from zsync.emulator import Emulator
from zsync.errors import ConfigError, Problem


def test_a_plan_before_the_first_sync_says_what_it_will_set(emulator: Emulator, tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "ds", emulator.url, n_files=1)
    proc = run_zsync("plan", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr
    assert "would upload 1 file (" in proc.stdout, proc.stdout  # not "1 files"
    assert proc.stdout.rstrip().endswith(" metadata fields") and ", set " in proc.stdout
    assert "change 0 metadata fields" not in proc.stdout
    log = proc.stderr
    assert "  set      metadata.title: 'End-to-end dataset'" in log, log
    assert "fields set)" in log
    assert "None ->" not in log and "[] ->" not in log


def test_nothing_to_apply_prints_no_apply_header(emulator: Emulator, tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "ds", emulator.url, n_files=1)
    first = sync(ds)
    assert "== Apply" in first.stderr
    again = sync(ds)
    assert "nothing to change" in again.stderr
    assert "== Apply" not in again.stderr, again.stderr
    assert "files: 0 uploaded (0 B), 0 deleted, 1 unchanged" in again.stdout


def test_a_changed_field_is_a_change_and_a_cleared_one_a_removal(emulator: Emulator, tmp_path: Path) -> None:
    ds = make_dataset(tmp_path / "ds", emulator.url, n_files=1)
    sync(ds)
    ds.set("metadata.title", "A better title")
    data = ds.config()
    del data["metadata"]["keywords"]
    ds.write_config(data)
    proc = run_zsync("plan", str(ds.config_path))
    assert proc.returncode == 0, proc.stderr
    assert "  change   metadata.title: 'End-to-end dataset' -> 'A better title'" in proc.stderr, proc.stderr
    assert "  remove   metadata.subjects (was ['testing'])" in proc.stderr
    assert "change 2 metadata fields" in proc.stdout


def test_change_verb_is_set_only_when_every_field_is_new() -> None:
    from zsync.models import FieldChange, change_verb

    assert (
        change_verb([FieldChange("metadata.title", None, "T"), FieldChange("access.files", "", "public")])
        == "set"
    )
    assert change_verb(
        [FieldChange("metadata.title", None, "T"), FieldChange("metadata.version", "1", "2")]
    ) == ("change")
    assert change_verb([]) == "change"


def test_one_problem_is_one_problem() -> None:
    error = ConfigError([Problem("zenodo.yaml", 3, "metadata.title", "is required")])
    assert "has 1 problem;" in github.render_error_summary(error)
