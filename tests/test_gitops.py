"""Write-back of the record id (zsync.gitops) against real git repositories and a bare remote in tmp_path."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from zsync.gitops import BOT_EMAIL, BOT_NAME, auth_environment, commit_record_id

ID_FILE = ".zenodo-record-id.txt"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.org",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.org",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def runner_environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What the runner gives a container: no global git config of the user's, a HOME of its own."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", **extra}


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    (seed / "zenodo.yaml").write_text("paths: []\n")
    (seed / ID_FILE).write_text("100\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "initial")
    git(seed, "tag", "v1.0.0")
    git(seed, "push", "-q", "origin", "main", "--tags")
    return bare


def clone(remote: Path, where: Path, *, depth: int | None = 1) -> Path:
    args = [
        "clone",
        "-q",
        *([f"--depth={depth}", f"file://{remote}"] if depth else [str(remote)]),
        str(where),
    ]
    git(remote.parent, *args)
    return where


def push_other_change(remote: Path, tmp_path: Path, name: str, content: str) -> str:
    other = clone(remote, tmp_path / f"other-{name.replace('/', '_')}", depth=None)
    (other / name).write_text(content)
    git(other, "add", name)
    git(other, "commit", "-q", "-m", f"change {name}")
    git(other, "push", "-q", "origin", "main")
    return git(other, "rev-parse", "HEAD")


def remote_file(remote: Path, rev: str, name: str) -> str:
    return git(remote, "show", f"{rev}:{name}")


def test_commits_only_the_id_file_as_the_bot_and_pushes_it(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / ID_FILE).write_text("200\n")
    (work / "staged.txt").write_text("staged by an earlier step\n")
    git(work, "add", "staged.txt")
    (work / "zenodo.yaml").write_text("paths: [changed]\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path), message="Record id 200")

    assert result.outcome == "pushed", result
    assert result.branch == "main"
    assert result.warning is None
    assert remote_file(remote, "main", ID_FILE) == "200"
    assert remote_file(remote, "main", "zenodo.yaml") == "paths: []"
    changed = git(remote, "show", "--name-only", "--format=", "main").split()
    assert changed == [ID_FILE]
    assert (
        git(remote, "log", "-1", "--format=%an <%ae>|%s", "main") == f"{BOT_NAME} <{BOT_EMAIL}>|Record id 200"
    )
    assert git(remote, "rev-parse", "main") == result.commit
    # The local branch followed; what the job staged or changed is left as it was.
    assert git(work, "rev-parse", "HEAD") == result.commit
    assert git(work, "status", "--porcelain").splitlines() == ["A  staged.txt", " M zenodo.yaml"]


def test_commits_the_job_made_and_did_not_push_stay_local(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / "build.bin").write_text("a build artefact an earlier step committed\n")
    git(work, "add", "build.bin")
    git(work, "commit", "-q", "-m", "local only")
    (work / ID_FILE).write_text("200\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "pushed", result
    assert remote_file(remote, "main", ID_FILE) == "200"
    assert git(remote, "show", "--name-only", "--format=", "main").split() == [ID_FILE]
    assert "build.bin" not in git(remote, "ls-tree", "--name-only", "main").split()


def test_push_race_is_resolved_by_reapplying_on_the_new_tip(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / ID_FILE).write_text("200\n")
    other_commit = push_other_change(remote, tmp_path, "README.md", "pushed meanwhile\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "pushed", result
    assert git(remote, "rev-parse", "main^") == other_commit
    assert remote_file(remote, "main", ID_FILE) == "200"
    assert remote_file(remote, "main", "README.md") == "pushed meanwhile"


def test_rejected_push_is_a_warning_not_an_error(remote: Path, tmp_path: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    work = clone(remote, tmp_path / "work")
    before = git(remote, "rev-parse", "main")
    (work / ID_FILE).write_text("200\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "failed"
    assert "Protected branch" in result.message
    assert result.warning is not None
    assert "sync itself succeeded" in result.warning
    assert git(remote, "rev-parse", "main") == before


def test_detached_head_of_a_release_pushes_to_the_default_branch(remote: Path, tmp_path: Path) -> None:
    push_other_change(remote, tmp_path, "README.md", "main moved past the tag\n")
    work = clone(remote, tmp_path / "work", depth=None)
    git(work, "checkout", "-q", "--detach", "v1.0.0")
    (work / ID_FILE).write_text("300\n")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "published", "repository": {"default_branch": "main"}}))
    environ = runner_environ(tmp_path, GITHUB_REF="refs/tags/v1.0.0", GITHUB_EVENT_PATH=str(event))

    result = commit_record_id(work / ID_FILE, environ=environ)

    assert result.outcome == "pushed", result
    assert result.branch == "main"
    assert remote_file(remote, "main", ID_FILE) == "300"
    assert remote_file(remote, "main", "README.md") == "main moved past the tag"
    assert git(remote, "tag", "--points-at", "v1.0.0") == "v1.0.0"


def test_detached_head_without_a_branch_to_push_to_is_skipped(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work", depth=None)
    git(work, "checkout", "-q", "--detach", "v1.0.0")
    (work / ID_FILE).write_text("300\n")
    environ = runner_environ(tmp_path, GITHUB_REF="refs/pull/7/merge")

    result = commit_record_id(work / ID_FILE, environ=environ)

    assert result.outcome == "skipped"
    assert "detached" in result.message
    assert remote_file(remote, "main", ID_FILE) == "100"


def test_id_changed_on_the_remote_by_someone_else_is_not_overwritten(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / ID_FILE).write_text("200\n")
    push_other_change(remote, tmp_path, ID_FILE, "999\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "failed"
    assert "changed on main by someone else" in result.message
    assert remote_file(remote, "main", ID_FILE) == "999"


def test_unchanged_id_makes_no_commit(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    before = git(remote, "rev-parse", "main")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "unchanged"
    assert git(remote, "rev-parse", "main") == before


def test_works_with_a_hostile_path(remote: Path, tmp_path: Path) -> None:
    if shutil.which("git") not in ("/usr/bin/git", "/usr/local/bin/git", "/bin/git"):
        pytest.skip("git is not in a standard location here")
    work = clone(remote, tmp_path / "work")
    (work / ID_FILE).write_text("200\n")
    environ = {**runner_environ(tmp_path), "PATH": "utter-nonsense"}

    result = commit_record_id(work / ID_FILE, environ=environ)

    assert result.outcome == "pushed", result


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_workspace_owned_by_another_uid_passes_the_safe_directory_check(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    (work / ID_FILE).write_text("200\n")
    for path in [work, *work.rglob("*")]:
        os.lchown(path, 1001, 1001)
    environ = runner_environ(tmp_path)
    plain = subprocess.run(
        ["git", "-C", str(work), "status"], env=environ, capture_output=True, text=True, check=False
    )
    assert "dubious ownership" in plain.stderr  # the situation the runner creates

    result = commit_record_id(work / ID_FILE, environ=environ)

    assert result.outcome == "pushed", result
    assert remote_file(remote, "main", ID_FILE) == "200"
    assert not (tmp_path / "home" / ".gitconfig").exists()


def test_outside_a_repository_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ID_FILE).write_text("1\n")
    result = commit_record_id(tmp_path / ID_FILE, environ=runner_environ(tmp_path))
    assert result.outcome == "skipped"
    assert "not inside a git repository" in result.message


def test_auth_environment_sends_the_token_as_checkout_does_and_resets_persisted_headers() -> None:
    env = auth_environment("https://github.com/o/r.git", "ghs_secret")
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_0"] == env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"] == ""
    scheme, encoded = env["GIT_CONFIG_VALUE_1"].removeprefix("AUTHORIZATION: ").split(" ")
    assert scheme == "basic"
    assert base64.b64decode(encoded) == b"x-access-token:ghs_secret"
    assert auth_environment("file:///tmp/remote.git", "t") == {}
    assert auth_environment("https://gitlab.example.org/o/r.git", "t") == {}, (
        "GitHub's token stays with GitHub"
    )
    assert auth_environment("https://ghe.example.org/o/r", "t", server_url="https://ghe.example.org") != {}
    assert auth_environment("git@github.com:o/r.git", "t") == {}


def test_auth_header_reaches_git_through_the_environment(remote: Path, tmp_path: Path) -> None:
    work = clone(remote, tmp_path / "work")
    git(work, "remote", "set-url", "--push", "origin", str(remote))
    git(work, "remote", "set-url", "origin", "https://git.example.invalid/o/r.git")
    environ = runner_environ(tmp_path)
    auth = auth_environment(
        "https://git.example.invalid/o/r.git", "ghs_secret", server_url="https://git.example.invalid"
    )
    env = {**environ, **auth}
    seen = subprocess.run(
        ["git", "-C", str(work), "config", "--get-all", "http.https://git.example.invalid/.extraheader"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert seen.strip().startswith("AUTHORIZATION: basic ")


def history_of_six(remote: Path, tmp_path: Path) -> None:
    """Five more commits on the remote's main: six in all, as in the report of a full clone turned shallow."""
    for number in range(2, 7):
        push_other_change(remote, tmp_path, f"change-{number}.txt", f"{number}\n")


def is_shallow(work: Path) -> bool:
    return git(work, "rev-parse", "--is-shallow-repository") == "true"


def test_a_full_clone_stays_full(remote: Path, tmp_path: Path) -> None:
    history_of_six(remote, tmp_path)
    work = clone(remote, tmp_path / "work", depth=None)  # actions/checkout with fetch-depth: 0
    (work / ID_FILE).write_text("200\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "pushed", result
    assert not is_shallow(work)
    assert len(git(work, "log", "--format=%H").splitlines()) == 7  # six and the id commit
    assert git(work, "describe", "--tags", "--abbrev=0", "HEAD") == "v1.0.0"


def test_a_full_clone_stays_full_through_a_push_race(remote: Path, tmp_path: Path) -> None:
    history_of_six(remote, tmp_path)
    work = clone(remote, tmp_path / "work", depth=None)
    (work / ID_FILE).write_text("200\n")
    push_other_change(remote, tmp_path, "README.md", "pushed meanwhile\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "pushed", result
    assert not is_shallow(work)
    assert len(git(work, "log", "--format=%H", f"{result.commit}").splitlines()) == 8


def test_a_shallow_clone_keeps_the_depth_it_had(remote: Path, tmp_path: Path) -> None:
    history_of_six(remote, tmp_path)
    work = clone(remote, tmp_path / "work", depth=3)  # fetch-depth: 3
    (work / ID_FILE).write_text("200\n")

    result = commit_record_id(work / ID_FILE, environ=runner_environ(tmp_path))

    assert result.outcome == "pushed", result
    assert is_shallow(work)
    assert len(git(work, "log", "--format=%H").splitlines()) == 4  # its three and the id commit
