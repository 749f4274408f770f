"""`docker stop` of the Action's image mid-upload: zsync is the container's PID 1 and still stops on SIGTERM.

The kernel delivers to PID 1 only the signals it has a handler for; without zsync's own, `docker
stop` waits its grace period and SIGKILLs (exit 137, no outputs). Here the project's Dockerfile is
built on the real Docker engine of ../shared/tools/gha-local (its digest pin dropped: no registry),
run the way GitHub's runner runs a Docker action (INPUT_*, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY in
a mounted file_commands folder, the workspace at /github/workspace, host network to reach the
emulator), stopped while the emulator is reading big.bin slowly, and run again on a fresh clone.

Marker `container`: `.ci/run` runs `pytest -m container` after starting the engine, with
ZSYNC_CONTAINER_TESTS=required, so a missing engine fails there; elsewhere these tests skip, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_entrypoint import ID_FILE, TOKEN, Workspace, add_big_file, git, parse_outputs, workspace
from test_signals import BIG, SLOW_UPLOAD, next_job_converges, uploading
from test_sync_e2e import draft_files

from zsync.emulator import Emulator, Faults

__all__ = ["workspace"]  # the fixture, for the test below

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[1]
GHA_LOCAL = Path(os.environ.get("GHA_LOCAL") or ROOT.parent / "shared" / "tools" / "gha-local")
IMAGE_FILES = ("Dockerfile", "requirements.lock", "entrypoint.py", "zsync")


def _no_engine(reason: str) -> None:
    if os.environ.get("ZSYNC_CONTAINER_TESTS") == "required":
        pytest.fail(f"a container test cannot run: {reason}")
    pytest.skip(f"no container engine: {reason}")


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GHA_LOCAL), "docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's image, built from its Dockerfile by gha-local's engine under a tag of its own."""
    if not GHA_LOCAL.is_file():
        _no_engine(f"{GHA_LOCAL} is missing (the ../shared tools)")
    if os.geteuid() != 0:
        _no_engine("gha-local needs root")
    info = docker("info", "--format", "{{.ServerVersion}}")
    if info.returncode != 0:
        _no_engine(f"`gha-local docker info` failed: {(info.stderr or info.stdout).strip()[-300:]}")
    context = tmp_path_factory.mktemp("image")
    for name in IMAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / name)
    dockerfile = context / "Dockerfile"  # as `gha-local build` does: no registry to resolve a digest
    dockerfile.write_text(re.sub(r"(?m)^(FROM\s+\S+?)@sha256:[0-9a-f]+", r"\1", dockerfile.read_text()))
    tag = f"localhost/zsync-signals-test:{uuid.uuid4().hex[:12]}"
    built = docker("build", "-q", "--network", "host", "-t", tag, str(context), timeout=900)
    if built.returncode != 0:
        if "python:3" in built.stderr and "not found" in built.stderr:
            _no_engine("the python stand-in image is missing: run ../shared/tools/gha-local setup")
        pytest.fail(f"docker build failed:\n{built.stderr[-2000:]}")
    yield tag
    docker("rmi", "-f", tag)


def action_container(ws: Workspace, image: str, name: str, files: Path, *flags: str) -> list[str]:
    """`docker run` as GitHub's runner runs a Docker action (the inputs and runner files it sets)."""
    files.mkdir(parents=True, exist_ok=True)
    for runner_file in ("output", "summary"):
        (files / runner_file).write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
        "GITHUB_REPOSITORY": "example/dataset",
        "GITHUB_SERVER_URL": "https://github.com",
        "HOME": "/github/home",
        "INPUT_TOKEN": TOKEN,
    }
    return [
        "run", *flags, "--name", name, "--network", "host",
        "--workdir", "/github/workspace",
        "-v", f"{ws.root}:/github/workspace", "-v", f"{files}:/github/file_commands",
        "-v", f"{ws.remote}:{ws.remote}",  # origin, at the path the clone names
        *(arg for key, value in env.items() for arg in ("-e", f"{key}={value}")),
        image,
    ]  # fmt: skip


def test_docker_stop_mid_upload_exits_143_with_cancelled_outputs_and_the_next_run_converges(
    image: str, workspace: Workspace, emulator: Emulator, tmp_path: Path
) -> None:
    add_big_file(workspace, BIG)
    emulator.faults = SLOW_UPLOAD
    name = f"zsync-signals-{uuid.uuid4().hex[:12]}"
    files = tmp_path / "file_commands"
    started = docker(*action_container(workspace, image, name, files, "-d"))
    assert started.returncode == 0, started.stderr
    try:
        is_uploading, deadline = uploading(emulator), time.monotonic() + 120
        while not is_uploading():
            assert time.monotonic() < deadline, docker("logs", name).stdout
            time.sleep(0.01)
        sent_at = time.monotonic()
        stopped = docker("stop", "--time", "8", name)  # SIGTERM to PID 1, SIGKILL after 8 s
        took_s = time.monotonic() - sent_at
        assert stopped.returncode == 0, stopped.stderr
        code = docker("wait", name).stdout.strip()
        logs = docker("logs", name)
    finally:
        docker("rm", "-f", name)

    assert code == "143", f"exit {code} after {took_s:.1f} s (137: SIGTERM ignored, then killed)"
    assert took_s < 5, f"docker stop took {took_s:.1f} s"
    log = logs.stdout + logs.stderr
    assert "Traceback" not in log
    record_id = workspace.remote_file(ID_FILE).strip()
    said = "zsync: cancelled by SIGTERM during 'upload big.bin 3.0 MiB (new)'; the next run continues draft"
    assert f"{said} {record_id}" in log
    outputs = parse_outputs((files / "output").read_text())
    assert outputs == {"status": "cancelled", "record-id": record_id}
    summary = (files / "summary").read_text()
    assert summary.startswith("## Zenodo sync cancelled")
    assert TOKEN not in summary + log.replace(f"::add-mask::{TOKEN}", "")
    assert draft_files(emulator, record_id)["big.bin"][0] == "pending"

    # The next job, in the container too, on a fresh clone: it continues the same draft.
    emulator.faults = Faults()
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(workspace.remote), str(fresh))
    again_files = tmp_path / "file_commands_again"
    fresh_ws = Workspace(fresh, workspace.remote, tmp_path)
    again = docker(*action_container(fresh_ws, image, f"{name}-again", again_files, "--rm"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert parse_outputs((again_files / "output").read_text())["record-id"] == record_id
    # ...and a job after that (in process) finds every file in place and nothing to do.
    (tmp_path / "third").mkdir()
    assert next_job_converges(workspace, emulator, tmp_path / "third") == record_id
