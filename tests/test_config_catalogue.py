"""The broken-config catalogue: one file per rule in tests/configs/, each naming its exact problems.

A case file ends with comment lines that the test reads:
  `# expect: 9: metadata.creators[0].identifiers.orcid: '...' fails the ORCID checksum` is the start of
  one problem as printed (`file:` is prepended; `{dir}` stands for the folder of the case), and
  `# setup: empty|sparse|write|files ...` creates files that cannot be committed (empty, 50 GB, many).
The case must report exactly its expected problems: one per expectation, no more, so a wrong line
number, field path or message fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.stem)
def test_broken_config_reports_exactly_its_problems(case: Path, tmp_path: Path) -> None:
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

    with pytest.raises(ConfigError) as info:
        load_config(config_path)

    printed = info.value.diagnostics().splitlines()
    assert printed == [str(problem) for problem in info.value.problems]
    assert len(printed) == len(expected), "\n".join(printed)
    for prefix in expected:
        assert any(text.startswith(prefix) for text in printed), f"missing {prefix!r} in\n" + "\n".join(
            printed
        )

    # The command a user runs: exit 2, exactly those lines on stderr, no traceback.
    proc = subprocess.run(
        [sys.executable, "-m", "zsync", "validate", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == printed
    assert proc.stdout == ""
