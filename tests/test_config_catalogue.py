"""The broken-config catalogue: one file per rule in tests/configs/, each naming its exact problems.

A case file ends with comment lines that the test reads:
  `# expect: 9: metadata.creators[0].identifiers.orcid: '...' fails the ORCID checksum` is the start of
  one problem as printed (`file:` is prepended; `{dir}` stands for the folder of the case), and
  `# setup: empty|sparse|write|files ...` creates files that cannot be committed (empty, 50 GB, many).
The case must report exactly its expected problems: one per expectation, no more, so a wrong line
number, field path or message fails. Each case also goes through the command in process
(`zsync.cli.main`); one goes through `python -m zsync` as a user runs it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from zsync import cli
from zsync.config import load_config
from zsync.errors import ConfigError

CONFIGS = Path(__file__).parent / "configs"
CASES = sorted(CONFIGS.glob("*.yaml"))


def _apply_setup(folder: Path, directive: str) -> None:
    verb, _, rest = directive.partition(" ")
    if verb == "empty":
        (folder / rest).write_bytes(b"")
    elif verb == "sparse":
        name, size = rest.split()
        with open(folder / name, "wb") as stream:
            stream.truncate(int(size))
    elif verb == "write":
        name, _, text = rest.partition(" ")
        (folder / name).write_text(text + "\n")
    elif verb == "files":
        name, count = rest.split()
        (folder / name).mkdir()
        for index in range(int(count)):
            (folder / name / f"f{index:03d}.txt").write_text(f"file {index}\n")
    else:
        raise AssertionError(f"unknown setup directive {directive!r}")


def test_catalogue_has_a_case_per_rule() -> None:
    assert len(CASES) >= 35
    for case in CASES:
        assert "# expect: " in case.read_text(), f"{case.name} names no expected problem"


def _prepare(case: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """The case copied beside the catalogue's data files, its setup done; returns it and its expectations."""
    folder = tmp_path / "configs"
    shutil.copytree(CONFIGS, folder, ignore=shutil.ignore_patterns("valid"))
    config_path = folder / case.name
    expected: list[str] = []
    for line in config_path.read_text().splitlines():
        if line.startswith("# setup: "):
            _apply_setup(folder, line.removeprefix("# setup: "))
        elif line.startswith("# expect: "):
            tail = line.removeprefix("# expect: ").replace("{dir}", str(folder))
            expected.append(f"{config_path}:{tail}")
    return config_path, expected


def _problems(config_path: Path, expected: list[str]) -> list[str]:
    """The lines `load_config` reports, checked to be exactly the expected problems."""
    with pytest.raises(ConfigError) as info:
        load_config(config_path)

    printed = info.value.diagnostics().splitlines()
    assert printed == [str(problem) for problem in info.value.problems]
    assert len(printed) == len(expected), "\n".join(printed)
    for prefix in expected:
        assert any(text.startswith(prefix) for text in printed), f"missing {prefix!r} in\n" + "\n".join(
            printed
        )
    return printed


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_broken_config_reports_exactly_its_problems(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    config_path, expected = _prepare(case, tmp_path)
    printed = _problems(config_path, expected)

    # The command a user runs, in process: exit 2, exactly those lines on stderr, no traceback.
    # A warning or a log record would reach a user's stderr too; here pytest would swallow it.
    capsys.readouterr()
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli.main(["validate", str(config_path)])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert err.splitlines() == printed
    assert out == ""
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_validate_of_a_broken_config_as_a_user_runs_it(tmp_path: Path) -> None:
    """One case through `python -m zsync`: the real process's exit code and stderr."""
    config_path, expected = _prepare(CONFIGS / "orcid_checksum.yaml", tmp_path)
    printed = _problems(config_path, expected)
    proc = subprocess.run(
        [sys.executable, "-m", "zsync", "validate", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == printed
    assert proc.stdout == ""
