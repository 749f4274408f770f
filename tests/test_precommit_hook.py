"""The pre-commit hook (.pre-commit-hooks.yaml) validates exactly the configs pre-commit passes it.

`zsync validate CONFIG FILE...` takes data files after the config (stepup-reprep 4.x's form), so the
hook cannot hand it a list of configs as is: it runs `zsync validate --configs`, where every argument
is a config. The last test runs the hook with pre-commit itself, as a user's repository would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_cli import zsync

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def two_datasets(where: Path) -> Path:
    """A repository with the example dataset in `good/` and a broken copy of it in `bad/`."""
    for name in ("good", "bad"):
        shutil.copytree(EXAMPLES, where / name, ignore=shutil.ignore_patterns("workflows"))
    bad = where / "bad" / "zenodo.yaml"
    bad.write_text(bad.read_text().replace("  resource_type: dataset", "  resource_type: nonsense"))
    return where


def test_configs_option_validates_every_argument_as_a_config(tmp_path: Path) -> None:
    two_datasets(tmp_path)
    proc = zsync(
        "validate", "--configs", "good/zenodo.yaml", "bad/zenodo.yaml", "gone/zenodo.yaml", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert proc.stdout.startswith("good/zenodo.yaml is valid:")
    assert "bad/zenodo.yaml:" in proc.stderr and "resource_type" in proc.stderr
    assert "gone/zenodo.yaml: the file does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr

    assert (
        zsync("validate", "--configs", "good/zenodo.yaml", "good/zenodo.yaml", cwd=tmp_path).returncode == 0
    )


def test_without_the_option_the_arguments_after_the_config_are_data_files(tmp_path: Path) -> None:
    two_datasets(tmp_path)
    proc = zsync("validate", "good/zenodo.yaml", "bad/zenodo.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "4 files" in proc.stdout  # the example's three and bad/zenodo.yaml as a data file


def test_configs_and_description_together_is_a_usage_error(tmp_path: Path) -> None:
    two_datasets(tmp_path)
    proc = zsync("validate", "--configs", "good/zenodo.yaml", "--description", "good/zenodo.md", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--description" in proc.stderr and "Traceback" not in proc.stderr


def test_the_hook_passes_its_files_to_the_configs_option() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "zsync validate --configs"
    assert hook.get("pass_filenames", True) is True


@pytest.mark.slow  # about 11 s: pre-commit builds the hook's own environment
def test_pre_commit_runs_the_hook_on_the_configs_it_is_given(tmp_path: Path) -> None:
    repo = two_datasets(tmp_path / "repo")
    git = ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.org"]
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run([*git, "init", "-q"], cwd=repo, env=env, check=True)

    def try_repo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "zsync-validate", *args],
            cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    # What the report ran (`--files examples/zenodo.yaml`), with a broken config and a description
    # beside it; `unpassed/` is broken too, but pre-commit does not pass it.
    shutil.copytree(repo / "bad", repo / "unpassed")
    subprocess.run([*git, "add", "-A"], cwd=repo, env=env, check=True)
    run = try_repo("--verbose", "--files", "good/zenodo.yaml", "bad/zenodo.yaml", "good/zenodo.md")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "good/zenodo.yaml is valid:" in run.stdout
    assert "bad/zenodo.yaml:" in run.stdout and "resource_type" in run.stdout
    assert "the file does not exist" not in run.stdout
    assert "unpassed" not in run.stdout
    assert "good/zenodo.md" not in run.stdout  # a description is not a config
