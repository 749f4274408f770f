"""The composite action: action.yml, the Docker action it runs (action/docker-action.yml) and the
step that writes it (action/prepare.sh). .ci/act-workflows.sh runs them under a real runner; these
tests pin down what that run relies on, and prepare.sh's choices, with a stand-in `docker` command."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
INNER: dict[str, Any] = yaml.safe_load((ROOT / "action" / "docker-action.yml").read_text(encoding="utf-8"))
PREPARE = ROOT / "action" / "prepare.sh"
DIGEST = "sha256:" + "cd" * 32
IMAGE = f"ghcr.io/zsync-org/zenodo-sync@{DIGEST}"


def step(step_id: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return next(s for s in steps if s.get("id") == step_id)


def test_action_is_a_composite_whose_last_step_runs_the_generated_docker_action() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert INNER["runs"] == {"using": "docker", "image": "Dockerfile"}
    uses = step("zsync")["uses"]
    target = re.search(r"^target=\$workspace/(\S+)", PREPARE.read_text(), re.MULTILINE)
    assert target and f"./{target[1]}" == uses


def test_every_input_reaches_the_container_unchanged_but_the_github_token() -> None:
    assert list(INNER["inputs"]) == list(ACTION["inputs"])
    with_ = step("zsync")["with"]
    assert list(with_) == list(ACTION["inputs"])
    for name, value in with_.items():
        if name != "github-token":
            assert value == f"${{{{ inputs.{name} }}}}", name
    assert all(not i.get("default") for i in INNER["inputs"].values())  # action.yml's defaults rule


def test_the_github_token_reaches_the_container_only_when_commit_record_id_is_on() -> None:
    expr = step("zsync")["with"]["github-token"]
    # zsync reads false/no/off/0 (any case) as false; GitHub's contains() ignores case too.
    falses = re.search(r"fromJSON\('(\[.*?\])'\)", expr)
    assert falses and yaml.safe_load(falses[1]) == ["false", "no", "off", "0"]
    assert expr.endswith("inputs.commit-record-id) && inputs.github-token || '' }}")


def test_outputs_are_the_containers_plus_the_image() -> None:
    outputs = ACTION["outputs"]
    assert [n for n in outputs if n != "image"] == list(INNER["outputs"])
    for name in INNER["outputs"]:
        assert outputs[name]["value"] == f"${{{{ steps.zsync.outputs.{name} }}}}"
    assert outputs["image"]["value"] == "${{ steps.prepare.outputs.image }}"


def test_a_source_commit_names_no_prebuilt_image() -> None:
    # Only a release commit (.github/release.py commit) sets it.
    assert step("prepare")["env"]["ZSYNC_IMAGE"] == ""


def test_non_linux_runners_stop_early_with_an_error() -> None:
    check = ACTION["runs"]["steps"][0]
    assert check["if"] == "runner.os != 'Linux'"
    assert "::error title=zsync needs a Linux runner::" in check["run"]
    assert "exit 1" in check["run"]


def test_prepare_runs_with_an_absolute_shell() -> None:
    # A step may set PATH to nonsense; the runner (act too) must still find the shell.
    assert step("prepare")["shell"].startswith("/bin/sh ")


# --------------------------------------------------------------------------------- prepare.sh


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A `docker` and a `sleep` that log their arguments; DOCKER_PULL / DOCKER_INSPECT pick the outcome."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "docker").write_text(
        "#!/bin/sh\n"
        'echo "$*" >>"$FAKE_LOG"\n'
        "case $1 in\n"
        '  image) [ "${DOCKER_INSPECT:-fail}" = ok ] ;;\n'
        '  pull) if [ "${DOCKER_PULL:-ok}" = ok ]; then exit 0; fi\n'
        '        printf "Error response from daemon:\\nmanifest unknown\\n" >&2; exit 1 ;;\n'
        "esac\n"
    )
    (d / "sleep").write_text('#!/bin/sh\necho "sleep $*" >>"$FAKE_LOG"\n')
    for f in d.iterdir():
        f.chmod(0o755)
    return d


def prepare(tmp_path: Path, bin_dir: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    full = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "ZSYNC_ACTION_PATH": str(ROOT),
        **env,
    }
    proc = subprocess.run(
        ["/bin/sh", "-e", str(PREPARE)], env=full, capture_output=True, text=True, check=False
    )
    return proc, workspace / ".github" / ".tmp" / "zenodo-sync"


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


CONTEXT = {"Dockerfile", ".dockerignore", "requirements.lock", "entrypoint.py", "zsync"}


def test_without_a_prebuilt_image_the_dockerfile_is_built(tmp_path: Path, bin_dir: Path) -> None:
    proc, target = prepare(tmp_path, bin_dir, ZSYNC_IMAGE="")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "action.yml").read_text() == (ROOT / "action" / "docker-action.yml").read_text()
    assert {p.name for p in target.iterdir()} >= CONTEXT
    assert (target / "zsync" / "engine.py").read_bytes() == (ROOT / "zsync" / "engine.py").read_bytes()
    assert (target / ".gitignore").read_text() == "*\n"  # git status stays clean in the user's repo
    assert (tmp_path / "output").read_text() == "image=Dockerfile\n"
    assert "not a release" in proc.stdout
    assert "::warning" not in proc.stdout
    assert calls(tmp_path) == []  # nothing to pull


def test_a_release_pulls_its_image_by_digest_and_runs_it(tmp_path: Path, bin_dir: Path) -> None:
    proc, target = prepare(tmp_path, bin_dir, ZSYNC_IMAGE=IMAGE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    generated = yaml.safe_load((target / "action.yml").read_text())
    assert generated["runs"] == {"using": "docker", "image": f"docker://{IMAGE}"}
    assert generated["inputs"] == INNER["inputs"]
    assert not CONTEXT & {p.name for p in target.iterdir()}  # no build context: nothing is built
    assert (tmp_path / "output").read_text() == f"image={IMAGE}\n"
    assert calls(tmp_path) == [f"image inspect {IMAGE}", f"pull --quiet {IMAGE}"]


def test_an_image_already_on_the_runner_is_not_pulled_again(tmp_path: Path, bin_dir: Path) -> None:
    proc, _ = prepare(tmp_path, bin_dir, ZSYNC_IMAGE=IMAGE, DOCKER_INSPECT="ok")
    assert proc.returncode == 0
    assert calls(tmp_path) == [f"image inspect {IMAGE}"]


def test_an_unpullable_image_falls_back_to_the_dockerfile_with_a_warning(
    tmp_path: Path, bin_dir: Path
) -> None:
    proc, target = prepare(tmp_path, bin_dir, ZSYNC_IMAGE=IMAGE, DOCKER_PULL="fail")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert calls(tmp_path) == [
        f"image inspect {IMAGE}",
        f"pull --quiet {IMAGE}",
        "sleep 5",
        f"pull --quiet {IMAGE}",
        "sleep 10",
        f"pull --quiet {IMAGE}",
    ]
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1  # one line: the daemon's two-line error joined
    assert IMAGE in warnings[0] and "manifest unknown" in warnings[0]
    assert yaml.safe_load((target / "action.yml").read_text())["runs"]["image"] == "Dockerfile"
    assert {p.name for p in target.iterdir()} >= CONTEXT
    assert (tmp_path / "output").read_text() == "image=Dockerfile\n"


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/zsync-org/zenodo-sync:v1",  # a tag can be moved to another image
        "ghcr.io/zsync-org/zenodo-sync@sha256:abc",
        f"ghcr.io/zsync-org/zenodo-sync@{DIGEST}0",
        "ghcr.io/zsync-org/zenodo-sync@sha256:" + "G" * 64,
    ],
)
def test_a_prebuilt_image_not_named_by_digest_is_refused(tmp_path: Path, bin_dir: Path, image: str) -> None:
    proc, target = prepare(tmp_path, bin_dir, ZSYNC_IMAGE=image)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=zsync: bad prebuilt image::")
    assert calls(tmp_path) == []
    assert not target.exists()


def test_a_second_run_replaces_what_the_first_wrote(tmp_path: Path, bin_dir: Path) -> None:
    prepare(tmp_path, bin_dir, ZSYNC_IMAGE="")
    proc, target = prepare(tmp_path, bin_dir, ZSYNC_IMAGE=IMAGE)
    assert proc.returncode == 0
    assert not (target / "Dockerfile").exists()
