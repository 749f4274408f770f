"""A token file named in the config that gives no token (issue #10 item 15).

No token is not an error: the zenodo-yaml spec says a config whose token file is absent is validated
without uploading, which is what a pull request (no secrets) and a fresh clone need. But the user
named where the token is, so the message says which file, from which line, and why it gave nothing;
`--require-token` (`require-token: true`) turns the same text into exit 2. The Action takes its token
from its input and variables only, and says so when the config names a token file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_cli import zsync
from test_entrypoint import Workspace, workspace  # noqa: F401 (the fixture)

from zsync.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """The example dataset with `path_token: missing.txt` on line 6 of its config."""
    for name in ("zenodo.md", "data/measurements.csv", "data/notes.txt", "figures/plot.svg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((ROOT / "examples" / name).read_bytes())
    lines = (ROOT / "examples" / "zenodo.yaml").read_text().splitlines()
    assert lines[4].startswith("endpoint:")
    lines.insert(5, "path_token: missing.txt")
    (tmp_path / "zenodo.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path


def _zsync(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("GITHUB_")}
    return zsync(*args, cwd=folder, env={**clean, **env})


def test_the_validated_only_message_names_the_missing_token_file_and_its_line(dataset: Path) -> None:
    missing = dataset / "missing.txt"
    for command in ("sync", "plan"):
        proc = _zsync(dataset, command, "zenodo.yaml")
        assert proc.returncode == 0, proc.stderr
        said = f"note: no Zenodo token (zenodo.yaml:6: path_token: the token file {missing} does not exist)"
        assert said in proc.stdout
        assert "status: validated" in proc.stdout
    missing.write_text("  \n")
    assert f"the token file {missing} is empty" in _zsync(dataset, "sync").stdout
    # The variable that names a token file comes first, and is named instead.
    proc = _zsync(dataset, "sync", REPREP_PATH_ZENODO_TOKEN=str(dataset / "nowhere.txt"))
    nowhere = dataset / "nowhere.txt"
    assert f"(REPREP_PATH_ZENODO_TOKEN: the token file {nowhere} does not exist)" in proc.stdout


def test_require_token_fails_naming_the_missing_token_file(dataset: Path) -> None:
    proc = _zsync(dataset, "sync", "--require-token")
    assert proc.returncode == 2
    assert (
        f"no Zenodo token (zenodo.yaml:6: path_token: the token file {dataset / 'missing.txt'} does not "
        "exist), and one is required (require-token); nothing was sent"
    ) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_token_file_that_exists_is_used(dataset: Path, emulator: Emulator, emulator_token: str) -> None:
    text = (dataset / "zenodo.yaml").read_text().replace("https://sandbox.zenodo.org/api", emulator.url)
    (dataset / "zenodo.yaml").write_text(text)
    (dataset / "missing.txt").write_text(emulator_token + "\n")
    proc = _zsync(dataset, "plan")
    assert proc.returncode == 0, proc.stderr
    assert "status: planned" in proc.stdout and "token file" not in proc.stdout + proc.stderr


def test_the_action_says_it_does_not_read_the_configs_token_file(
    workspace: Workspace,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    config = workspace.root / "zenodo.yaml"
    lines = config.read_text().splitlines()
    lines.insert(5, "path_token: missing.txt")
    config.write_text("\n".join(lines) + "\n")
    run = workspace.run()
    assert run.code == 0, run.log
    assert run.outputs["status"] == "validated"
    said = "no Zenodo token (none was passed in, and then path_token, zenodo.yaml:6, is not read)"
    assert said in run.summary
    assert emulator.request_log == []
    run = workspace.run(require_token="true")
    assert run.code == 2, run.log
    assert "path_token, zenodo.yaml:6, is not read" in run.log
