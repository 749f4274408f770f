"""End to end: entrypoint.py with the runner's environment, against the emulator.

Each test prepares a workspace (the example dataset in a git repository whose origin is a bare
repository in tmp_path), runs the entrypoint with the runner's environment (INPUT_*, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, PATH=utter-nonsense) and checks what a person would: the exit code, the log's
workflow commands, the outputs and summary files, the emulator's state and the pushed commit.
The entrypoint runs in process (its environment is a parameter and it never changes directory: the
tests run it from an empty folder to prove that), except where a test needs a real process to kill,
and one smoke test that starts it exactly as the container does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from zsync.emulator import Emulator, Faults

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "entrypoint.py"
EXAMPLES = ROOT / "examples"
TOKEN = "test-token"
ID_FILE = ".zenodo-record-id.txt"


def _load_entrypoint() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zsync_entrypoint", ENTRYPOINT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ENTRYPOINT_MODULE = _load_entrypoint()


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=Dev", "-c", "user.email=dev@example.org"]
    return subprocess.run(
        ["git", *ident, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@dataclass
class Run:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Workspace:
    root: Path
    remote: Path
    tmp: Path

    def environment(self, **inputs: str) -> tuple[dict[str, str], Path]:
        """The runner's environment: INPUT_<NAME> with the hyphen kept, a hostile PATH."""
        files = self.tmp / "file_commands"
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir()
        (files / "output").touch()
        (files / "summary").touch()
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        env = {
            "PATH": "utter-nonsense",
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.root),
            "GITHUB_OUTPUT": str(files / "output"),
            "GITHUB_STEP_SUMMARY": str(files / "summary"),
            "GITHUB_REPOSITORY": "example/dataset",
            "GITHUB_SERVER_URL": "https://github.com",
        }
        for name, value in inputs.items():
            key = name.upper()
            env[
                key
                if key.startswith(("INPUT_", "ZENODO_", "GITHUB_", "ZSYNC_", "REPREP_"))
                else f"INPUT_{key.replace('_', '-')}"
            ] = value
        return env, files

    def start(self, **inputs: str) -> subprocess.Popen[str]:
        env, _ = self.environment(**inputs)
        return subprocess.Popen(
            [sys.executable, str(ENTRYPOINT)], cwd=self.root, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def run(self, *args: str, in_process: bool = True, **inputs: str) -> Run:
        """Run the entrypoint like the runner and collect what it left."""
        env, files = self.environment(**inputs)
        if in_process:
            code, log = self._run_in_process(list(args), env)
        else:
            proc = subprocess.run(
                [sys.executable, str(ENTRYPOINT), *args],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            code, log = proc.returncode, proc.stdout + proc.stderr
        return Run(
            code,
            log,
            parse_outputs((files / "output").read_text()),
            (files / "summary").read_text(),
        )

    def _run_in_process(self, args: list[str], env: dict[str, str]) -> tuple[int, str]:
        # As the action, from an empty folder: nothing may depend on the current directory. As the CLI
        # (arguments given), from the workspace, where a person types the command.
        cwd = self.root if args else self.tmp / "elsewhere"
        cwd.mkdir(exist_ok=True)
        out = io.StringIO()
        with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = ENTRYPOINT_MODULE.main(args, env, stdout=out)
        return int(code), out.getvalue()

    def remote_file(self, name: str) -> str:
        return git(self.remote, "show", f"main:{name}")


def add_big_file(ws: Workspace, size_bytes: int) -> None:
    """data/big.bin, random, in the config's paths: committed and pushed."""
    (ws.root / "data" / "big.bin").write_bytes(os.urandom(size_bytes))
    config = ws.root / "zenodo.yaml"
    config.write_text(
        config.read_text().replace("  - data/notes.txt\n", "  - data/notes.txt\n  - data/big.bin\n")
    )
    git(ws.root, "add", ".")
    git(ws.root, "commit", "-q", "-m", "a big file")
    git(ws.root, "push", "-q", "origin", "main")


def parse_outputs(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


@pytest.fixture
def workspace(tmp_path: Path, emulator: Emulator) -> Workspace:
    root = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("workflows", ID_FILE))
    config = root / "zenodo.yaml"
    lines = [
        f"endpoint: {emulator.url}" if line.startswith("endpoint:") else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "dataset")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    return Workspace(root, remote, tmp_path)


def test_sync_creates_the_draft_writes_outputs_and_summary_and_pushes_the_id(
    workspace: Workspace, emulator: Emulator
) -> None:
    run = workspace.run(token=TOKEN, in_process=False)  # started as the container starts it

    assert run.code == 0, run.log
    assert run.log.splitlines()[0] == f"::add-mask::{TOKEN}"
    assert run.log.count(TOKEN) == 1, "the token appears only in its mask line"
    assert "::group::Apply" in run.log
    assert "::endgroup::" in run.log
    record_id = run.outputs["record-id"]
    assert run.outputs["status"] == "created"
    assert run.outputs["state"] == "draft"
    assert run.outputs["files-uploaded"] == "3"
    assert run.outputs["doi"].endswith(record_id)
    assert set(emulator.drafts) == {record_id}
    assert {e.method for e in emulator.mutating_requests()} >= {"POST", "PUT"}
    assert f"| Record | [{record_id}](" in run.summary
    assert "| `measurements.csv` | uploaded | 248 B |" in run.summary
    assert "press **Publish**" in run.summary
    # the id file was committed by the bot and pushed; the outputs name that commit
    assert workspace.remote_file(ID_FILE) == record_id
    assert git(workspace.remote, "log", "-1", "--format=%an", "main") == "github-actions[bot]"
    assert run.outputs["record-id-commit"] == git(workspace.remote, "rev-parse", "main")

    again = workspace.run(token=TOKEN)
    assert again.code == 0, again.log
    assert again.outputs["record-id"] == record_id
    assert again.outputs["files-unchanged"] == "3"
    assert again.outputs["files-uploaded"] == "0"
    assert "record-id-commit" not in again.outputs


def test_without_token_validates_only_and_warns(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run()

    assert run.code == 0, run.log
    assert "::warning title=Validated only::No Zenodo token" in run.log
    assert "nothing was uploaded" in run.log
    assert run.outputs["status"] == "validated"
    assert "`ZENODO_TOKEN`" in run.summary
    assert emulator.request_log == []
    assert not (workspace.root / ID_FILE).exists()


def test_token_from_the_zenodo_token_variable(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run(ZENODO_TOKEN=TOKEN)
    assert run.code == 0, run.log
    assert run.log.splitlines()[0] == f"::add-mask::{TOKEN}"
    assert run.outputs["status"] == "created"


def test_config_errors_are_annotated_on_their_lines(workspace: Workspace, emulator: Emulator) -> None:
    config = workspace.root / "zenodo.yaml"
    lines = config.read_text().splitlines()
    version_line = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("version:"))
    lines[version_line - 1] = "  version: 1.0"
    orcid_line = next(i for i, line in enumerate(lines, 1) if "orcid:" in line)
    lines[orcid_line - 1] = "        orcid: '0000-0002-1825-0098'"
    config.write_text("\n".join(lines) + "\n")

    run = workspace.run(token=TOKEN)

    assert run.code == 2, run.log
    errors = [line for line in run.log.splitlines() if line.startswith("::error ")]
    assert len(errors) == 2, run.log
    assert any(e.startswith(f"::error file=zenodo.yaml,line={version_line},") for e in errors), errors
    assert any(e.startswith(f"::error file=zenodo.yaml,line={orcid_line},") for e in errors), errors
    assert run.outputs == {"status": "failed"}
    assert "## Zenodo sync failed" in run.summary
    assert emulator.request_log == []


def test_refused_token_fails_with_an_annotation_and_never_shows_the_token(
    workspace: Workspace, emulator: Emulator
) -> None:
    run = workspace.run(token="wrong-token-1234")

    assert run.code == 1, run.log
    assert run.log.count("wrong-token-1234") == 1
    assert "::error file=zenodo.yaml,title=Zenodo sync failed (auth)::" in run.log
    assert "wrong-token-1234" not in run.summary
    assert run.outputs["status"] == "failed"


def test_dry_run_with_underscore_spelling_changes_nothing(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run(token=TOKEN, INPUT_DRY_RUN="true")

    assert run.code == 0, run.log
    assert run.outputs["status"] == "planned"
    assert emulator.mutating_requests() == []
    assert "| `plot.svg` | to upload | 478 B |" in run.summary
    assert git(workspace.remote, "rev-list", "--count", "main") == "1"


def test_version_input_drops_the_leading_v(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run(token=TOKEN, version="v2.1.0")

    assert run.code == 0, run.log
    [draft] = emulator.drafts.values()
    assert draft["metadata"]["version"] == "2.1.0"


def test_commit_record_id_false_leaves_the_repository_alone(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run(token=TOKEN, commit_record_id="false")

    assert run.code == 0, run.log
    assert (workspace.root / ID_FILE).read_text().strip() == run.outputs["record-id"]
    assert git(workspace.remote, "rev-list", "--count", "main") == "1"
    assert "commit-record-id is false" in run.summary


def test_refused_push_warns_but_the_sync_succeeds(workspace: Workspace, emulator: Emulator) -> None:
    hook = workspace.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)

    run = workspace.run(token=TOKEN)

    assert run.code == 0, run.log
    assert "::warning title=Record id not committed::" in run.log
    assert run.outputs["status"] == "created"
    assert run.outputs["record-id"]
    assert run.outputs["record-id-commit"] == ""
    assert "protected branch" in run.summary


def test_working_directory_input(workspace: Workspace, emulator: Emulator) -> None:
    nested = workspace.root / "dataset"
    nested.mkdir()
    for name in ("zenodo.yaml", "zenodo.md", "data", "figures"):
        shutil.move(workspace.root / name, nested / name)

    run = workspace.run(token=TOKEN, working_directory="dataset")

    assert run.code == 0, run.log
    assert (nested / ID_FILE).read_text().strip() == run.outputs["record-id"]
    assert workspace.remote_file(f"dataset/{ID_FILE}") == run.outputs["record-id"]


def test_bad_boolean_input_is_a_usage_error(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run(token=TOKEN, publish="maybe")
    assert run.code == 2
    assert "::error file=zenodo.yaml,title=Zenodo sync failed (usage)::input 'publish'" in run.log


def test_with_arguments_it_is_the_cli(workspace: Workspace, emulator: Emulator) -> None:
    run = workspace.run("validate", "zenodo.yaml", GITHUB_ACTIONS="false")
    assert run.code == 0, run.log
    assert "::" not in run.log
    assert emulator.request_log == []

    run = workspace.run("sync", "zenodo.yaml", ZENODO_TOKEN=TOKEN)
    assert run.code == 0, run.log
    assert len(emulator.drafts) == 1
    assert "::add-mask::" not in run.log


def test_a_sync_that_fails_after_creating_the_draft_still_commits_its_id(
    workspace: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    emulator.faults = Faults(p_reset_upload=1.0)  # every upload breaks: the draft exists, its files do not
    fast = {
        "zsync_retry_max_attempts": "2",
        "zsync_retry_initial_wait_s": "0.01",
        "zsync_retry_jitter_s": "0",
    }
    run = workspace.run(token=TOKEN, **fast)
    assert run.code == 1, run.log
    assert run.outputs["status"] == "failed"
    record_id = run.outputs["record-id"]
    assert "::error" in run.log
    assert run.summary.strip()
    assert workspace.remote_file(ID_FILE).strip() == record_id, "the id must reach the repository"

    # The next run, on a fresh checkout as in a new job, continues that draft instead of opening another.
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(workspace.remote), str(fresh))
    emulator.faults = Faults()
    again = Workspace(fresh, workspace.remote, tmp_path).run(token=TOKEN)
    assert again.code == 0, again.log
    assert again.outputs["record-id"] == record_id
    assert set(emulator.drafts) == {record_id}


def test_a_token_with_a_line_break_is_refused_with_failed_outputs_and_never_echoed(
    workspace: Workspace, emulator: Emulator
) -> None:
    # A token with a line break cannot be sent; zsync refuses it as bad input (exit 2), never echoing it.
    run = workspace.run(token="first-half\nsecond-half")
    assert run.code == 2, run.log
    assert run.outputs["status"] == "failed"
    assert "first-half" not in run.log.split("\n", 2)[-1]
    assert "line breaks" in run.log
    assert run.summary.strip()


def test_a_job_killed_mid_upload_has_already_pushed_the_record_id(
    workspace: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    """A cancelled or timed-out job dies without cleanup: the id must be in the repository by then."""
    add_big_file(workspace, 4 * 1024 * 1024)
    emulator.faults = Faults(latency_s=0.05, seed=5)
    proc = workspace.start(token=TOKEN)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(r.method == "PUT" and r.path.endswith("/content") for r in emulator.request_log):
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the job ended before it could be killed"
    record_id = workspace.remote_file(ID_FILE).strip()
    assert record_id in emulator.drafts

    emulator.faults = Faults()
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(workspace.remote), str(fresh))
    again = Workspace(fresh, workspace.remote, tmp_path).run(token=TOKEN)
    assert again.code == 0, again.log
    assert again.outputs["record-id"] == record_id
    assert set(emulator.drafts) == {record_id}, "no second draft"
