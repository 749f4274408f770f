"""The `zsync` command as a user runs it: exit codes, output, and what it imports."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from zsync import cli

EXAMPLE = Path(__file__).parents[1] / "examples" / "zenodo.yaml"


def zsync(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zsync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_version() -> None:
    from zsync import __version__

    proc = zsync("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"zsync {__version__}")


def test_no_command_is_a_usage_error() -> None:
    assert zsync().returncode == 2
    assert zsync("frobnicate").returncode == 2


def test_validate_summarises_the_example() -> None:
    proc = zsync("validate", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert "is valid:" in proc.stdout
    assert "3 files" in proc.stdout


def _imported_by_validate(modules: tuple[str, ...]) -> str:
    """`zsync validate` of the example run in a fresh interpreter: its exit code and which of
    `modules` it left imported, as `0 ['name', ...]`."""
    code = (
        "import sys; from zsync.cli import main; "
        f"rc = main(['validate', {str(EXAMPLE)!r}]); "
        f"heavy = sorted(m for m in {modules!r} if m in sys.modules); "
        "print(rc, heavy)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    lines = proc.stdout.strip().splitlines()
    return lines[-1] if lines else proc.stderr


def test_validate_and_version_do_not_import_requests_or_markdown() -> None:
    assert _imported_by_validate(("requests", "markdown_it", "tenacity", "urllib3")) == "0 []"


def test_validate_does_not_import_dataclasses_or_inspect() -> None:
    """zsync.frozen makes the value types without `dataclasses`, whose import brings `inspect`, `ast`,
    `dis` and `tokenize`: about 35 M of the 295 M instructions a validate took with it."""
    assert _imported_by_validate(("dataclasses", "inspect", "ast", "dis", "tokenize")) == "0 []"


def test_missing_config_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = zsync("validate", str(tmp_path / "zenodo.yaml"))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "zenodo.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_render_prints_the_document_that_would_be_sent() -> None:
    proc = zsync("render", str(EXAMPLE), "--publication-date", "2026-01-02")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["metadata"]["publication_date"] == "2026-01-02"
    assert document["metadata"]["title"] == "Water temperature in a garden pond, spring 2026"
    assert document["access"] == {"record": "public", "files": "public"}


def test_schema_command_prints_the_shipped_schema() -> None:
    proc = zsync("schema")
    shipped = (Path(__file__).parents[1] / "zsync" / "zenodo-yaml.schema.json").read_text()
    assert proc.stdout == shipped
    assert json.loads(proc.stdout)["properties"]["metadata"]


def test_demo_syncs_the_example_twice_and_uploads_nothing_the_second_time() -> None:
    proc = zsync("demo", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    runs = proc.stdout.split("--- ")
    assert "status: created" in runs[2] and "3 uploaded" in runs[2]
    assert "status: unchanged" in runs[3]
    assert "of which changed something: 0" in runs[3]
    assert "uploaded measurements.csv" in proc.stderr
    assert not (EXAMPLE.parent / ".zenodo-record-id.txt").exists()  # the user's folder is untouched


def test_the_vocabulary_check_names_the_endpoint_it_asked_not_the_configs() -> None:
    proc = zsync("demo", str(EXAMPLE))  # the example names the sandbox; the demo asks its emulator
    assert proc.returncode == 0, proc.stderr
    asked = [line for line in proc.stderr.splitlines() if "vocabulary ids known at" in line]
    assert asked and all("http://127.0.0.1:" in line for line in asked), asked


def test_emulator_command_serves_until_stopped() -> None:
    import requests

    proc = subprocess.Popen(
        [sys.executable, "-m", "zsync", "emulator", "--port", "0", "--token", "cli-token"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split("serving ")[1].strip()
        headers = {"Authorization": "Bearer cli-token", "Accept": "application/vnd.inveniordm.v1+json"}
        answer = requests.post(
            url + "/records", json={"metadata": {"title": "x"}}, headers=headers, timeout=10
        )
        assert answer.status_code == 201
        assert requests.post(url + "/records", json={}, timeout=10).status_code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_refuses_a_dataset_whose_id_file_lies_outside_its_folder(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "data.csv").write_text("a\n1\n")
    (dataset / "zenodo.yaml").write_text(
        "endpoint: https://sandbox.zenodo.org/api\npath_record_id: ../elsewhere-id.txt\n"
        "metadata:\n  title: Outside\n  version: '1'\n  resource_type: dataset\n"
        "  creators: [{family_name: Doe}]\npaths: [data.csv]\n"
    )
    proc = zsync("demo", str(dataset / "zenodo.yaml"))
    assert proc.returncode == 2
    assert "outside" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "elsewhere-id.txt").exists()


def test_no_token_output_never_says_none(tmp_path: Path) -> None:
    """Issue #10 item 6: with an id file and no token, the summary printed `(None), concept None`."""
    import os
    import shutil

    dataset = tmp_path / "ds"
    shutil.copytree(EXAMPLE.parent, dataset, ignore=shutil.ignore_patterns(".zenodo-record-id.txt"))
    (dataset / ".zenodo-record-id.txt").write_text("100004\n")
    env = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("GITHUB_")}
    proc = subprocess.run(
        [sys.executable, "-m", "zsync", "sync", "zenodo.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=dataset,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "record: 100004" in proc.stdout
    assert "None" not in proc.stdout + proc.stderr


def test_a_closed_stdout_stops_quietly_without_a_traceback() -> None:
    """`zsync render | head`: when the reader goes away, zsync stops writing, prints no traceback
    (Python's flush at exit included) and exits 1."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before zsync writes its first byte
    try:
        for command in (["render"], ["render", "--explain"], ["plan"]):
            done = subprocess.run(
                [sys.executable, "-m", "zsync", *command],
                cwd=EXAMPLE.parent,
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
            assert "Traceback" not in done.stderr, (command, done.stderr)
            assert "Exception ignored" not in done.stderr, (command, done.stderr)
            assert "internal error" not in done.stderr, (command, done.stderr)
            assert done.returncode == 1, (command, done.returncode, done.stderr)
    finally:
        os.close(write_end)


def test_demo_without_a_config_syncs_the_shipped_dataset_from_any_folder(tmp_path: Path) -> None:
    """Issue #10 item 13: outside a checkout `zsync demo` failed with "examples/zenodo.yaml: the file
    does not exist"; the dataset is now package data (tests/test_packaging.py runs it from a wheel)."""
    proc = zsync("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "syncing a copy of the example dataset" in proc.stdout
    assert "status: created" in proc.stdout and "files: 3 uploaded" in proc.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", sorted(cli._COMMANDS))
def test_a_command_parsed_alone_is_parsed_helped_and_refused_as_by_the_full_parser(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each run builds its command's parser alone (argparse is slow to build): nothing a user sees
    may differ from the parser of every command."""

    def seen(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
        try:
            outcome: object = vars(parser.parse_known_args(argv)[0])
        except SystemExit as stop:
            outcome = stop.code
        out, err = capsys.readouterr()
        return outcome, out, err

    def commands(parser: argparse.ArgumentParser) -> list[str]:
        return [
            name for a in parser._actions if isinstance(a, argparse._SubParsersAction) for name in a.choices
        ]

    full, alone = cli.build_parser(), cli.build_parser(command)
    assert (commands(alone), command in commands(full)) == ([command], True)
    for argv in (
        [command, "--help"],
        [command, "--bogus", "x"],
        [command, "zenodo.yaml", "-q"],
        [command, "a.yaml", "b.csv", "--description", "d.md", "-v"],
    ):
        assert seen(alone, argv) == seen(full, argv), argv


def test_only_the_command_run_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = argparse._SubParsersAction.add_parser

    def add_parser(self: argparse._SubParsersAction[Any], name: str, **kwargs: Any) -> Any:
        built.append(name)
        return real(self, name, **kwargs)

    monkeypatch.setattr(argparse._SubParsersAction, "add_parser", add_parser)
    assert cli.parse_arguments(["validate", "zenodo.yaml"]).command == "validate"
    assert built == ["validate"]
    built.clear()
    with pytest.raises(SystemExit):
        cli.parse_arguments(["valdate", "zenodo.yaml"])  # a typo: the full list to choose from
    assert "validate" in built and "sync" in built


@pytest.mark.parametrize("columns", [None, "", "0", "-5", "abc", "70", "200"])
def test_help_is_as_wide_as_argparse_would_make_it(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The help formatter finds the width without shutil (which validate would import for it alone)."""
    import shutil

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli.terminal_columns() == shutil.get_terminal_size().columns


def test_validate_imports_neither_shutil_nor_the_engine() -> None:
    assert _imported_by_validate(("shutil", "tempfile", "zsync.engine")) == "0 []"
