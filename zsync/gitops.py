"""Write-back of the record-id file: commit it with a bot identity and push it, in a GitHub workflow.

Only the id file is committed (with `write_back`, also the files the DOI was written into, in the
same commit), whatever else the job changed or staged. The commit is built with
plumbing (a temporary index on top of the branch tip), so the working tree and the user's index are
never touched, and a push race is resolved by re-applying the one-file change on the new remote tip
(fetch, rebuild, push; what `git pull --rebase` would do for a single file, without its conflicts).
A push that cannot succeed (no permission, a protected branch, no remote) is not an error of the sync:
the caller gets a `WriteBack` saying why, and warns. Git runs with `-c safe.directory=<repo>` because
the runner mounts a workspace owned by another uid; nothing is written to the global git config.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from zsync.frozen import frozen
from zsync.units import counted

log = logging.getLogger(__name__)

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
DEFAULT_MESSAGE = "Record the Zenodo record id"
_GIT_TIMEOUT_S = 120
_STANDARD_GIT_LOCATIONS = ("/usr/bin/git", "/usr/local/bin/git", "/bin/git")

Outcome = Literal["pushed", "unchanged", "skipped", "failed"]


@frozen
class WriteBack:
    """What happened to the id file. `warning` is set when a person should act (outcome skipped/failed)."""

    outcome: Outcome
    message: str
    branch: str | None = None
    commit: str | None = None
    warning: str | None = None


class _GitFailed(Exception):
    def __init__(self, args: Sequence[str], returncode: int, output: str) -> None:
        super().__init__(f"git {' '.join(args)} exited with {returncode}: {output.strip()}")
        self.output = output


def find_git(environ: Mapping[str, str]) -> str | None:
    """git's absolute path: from PATH, else the standard places (a workflow may set PATH to anything)."""
    found = shutil.which("git", path=environ.get("PATH", ""))
    if found:
        return found
    return next((p for p in _STANDARD_GIT_LOCATIONS if os.access(p, os.X_OK)), None)


def find_repository(path: Path) -> Path | None:
    """The top of the work tree holding `path` (a folder with `.git`, a folder or a worktree file)."""
    for folder in [path.parent if not path.is_dir() else path, *path.resolve().parents]:
        if (folder / ".git").exists():
            return folder.resolve()
    return None


def origin_url(repo: Path, environ: Mapping[str, str]) -> str | None:
    """The URL of the `origin` remote of the work tree `repo` (as configured), None without one."""
    git = find_git(environ)
    if git is None:
        return None
    try:
        proc = _Git(git, repo, environ).call("config", "--get", "remote.origin.url")
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


class _Git:
    def __init__(self, git: str, repo: Path, environ: Mapping[str, str]) -> None:
        self.git = git
        self.repo = repo
        env = dict(environ)
        # Never wait for a password; fixed messages so rejections can be told apart.
        env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
        # git's own helpers are found through its exec path; PATH only needs to be a valid list.
        env["PATH"] = os.pathsep.join([os.path.dirname(git), os.defpath])
        self.env = env

    def call(
        self, *args: str, extra_env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [
            self.git,
            "-c",
            f"safe.directory={self.repo}",
            "-c",
            f"user.name={BOT_NAME}",
            "-c",
            f"user.email={BOT_EMAIL}",
            "-c",
            "commit.gpgsign=false",
            "-C",
            str(self.repo),
            *args,
        ]
        env = {**self.env, **(extra_env or {})}
        return subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False
        )

    def run(self, *args: str, extra_env: Mapping[str, str] | None = None, check: bool = True) -> str:
        proc = self.call(*args, extra_env=extra_env)
        if check and proc.returncode != 0:
            raise _GitFailed(args, proc.returncode, proc.stdout + proc.stderr)
        return proc.stdout.strip()


def commit_record_id(
    id_file: Path,
    *also: Path,
    environ: Mapping[str, str],
    message: str = DEFAULT_MESSAGE,
    remote: str = "origin",
    attempts: int = 3,
    push_token: str | None = None,
) -> WriteBack:
    """Commit `id_file` (only it, and the files `also` names) on the current branch and push it;
    never raises for git failures.

    The branch: the checked-out one; with a detached HEAD (release and tag events) the branch named
    by GITHUB_REF when it is a branch, else the repository's default branch from the event payload
    (GITHUB_EVENT_PATH, `repository.default_branch`); pull-request merge refs are never pushed to.
    """
    git_path = find_git(environ)
    if git_path is None:
        return _skipped("git is not installed")
    repo = find_repository(id_file)
    if repo is None:
        return _skipped(f"{id_file} is not inside a git repository")
    git = _Git(git_path, repo, environ)
    rels = tuple(Path(os.path.relpath(path.resolve(), repo)).as_posix() for path in (id_file, *also))
    try:
        branch, attached = _target_branch(git, environ)
        if branch is None:
            return _skipped(
                "HEAD is detached and no branch to push to could be found "
                "(neither GITHUB_REF nor the event's repository.default_branch names one)"
            )
        if not git.run("remote").split().count(remote):
            return _skipped(f"the repository has no remote '{remote}' to push to")
        if push_token:
            url = git.run("remote", "get-url", remote)
            server = environ.get("GITHUB_SERVER_URL", "https://github.com")
            git.env.update(auth_environment(url, push_token, server_url=server))
        push = _Push(rels, (id_file, *also), branch, attached, message, remote, attempts)
        return _commit_and_push(git, push)
    except _GitFailed as exc:
        return _failed(f"git failed: {exc}")
    except subprocess.TimeoutExpired:
        return _failed(f"git did not finish within {_GIT_TIMEOUT_S} s")


def auth_environment(
    remote_url: str, token: str, *, server_url: str = "https://github.com"
) -> dict[str, str]:
    """Git config, passed through the environment (never argv, never a file), sending `token` as
    actions/checkout does: a Basic `x-access-token` header for the remote's https origin, only when
    that is the GitHub server the token belongs to. The first entry empties any header an earlier
    checkout persisted, so GitHub never sees two."""
    parts = urlsplit(remote_url)
    if parts.scheme != "https" or not parts.hostname or parts.hostname != urlsplit(server_url).hostname:
        return {}
    origin = f"https://{parts.hostname}{f':{parts.port}' if parts.port else ''}/"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    key = f"http.{origin}.extraheader"
    return {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": key,
        "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {basic}",
    }


def _skipped(reason: str) -> WriteBack:
    return WriteBack("skipped", f"the record id was not committed: {reason}", warning=_advice(reason))


def _failed(reason: str, branch: str | None = None) -> WriteBack:
    return WriteBack(
        "failed", f"the record id was not pushed: {reason}", branch=branch, warning=_advice(reason)
    )


def _advice(reason: str) -> str:
    return (
        f"The record id was not committed to the repository ({reason}). The sync itself succeeded. "
        "Commit the record-id file yourself, or give the job `permissions: contents: write` and a branch "
        "it may push to; otherwise the next run cannot find this record and would create another one."
    )


def _target_branch(git: _Git, environ: Mapping[str, str]) -> tuple[str | None, bool]:
    current = git.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
    if current:
        return current, True
    ref = environ.get("GITHUB_REF", "")
    if ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/"), False
    if ref.startswith("refs/pull/"):
        return None, False
    return _default_branch(environ), False


def _default_branch(environ: Mapping[str, str]) -> str | None:
    event_path = environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    repository = event.get("repository") if isinstance(event, dict) else None
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    return branch if isinstance(branch, str) and branch else None


@frozen
class _Push:
    """What to commit (`rels`, the id file and the files written back, at `files`) and where to push it."""

    rels: tuple[str, ...]
    files: tuple[Path, ...]
    branch: str
    attached: bool  # HEAD is that branch (not detached): advance it after the push
    message: str
    remote: str
    attempts: int


def _commit_and_push(git: _Git, push: _Push) -> WriteBack:
    branch, remote, attempts = push.branch, push.remote, push.attempts
    rel = ", ".join(push.rels)
    blobs = {
        r: git.run("hash-object", "-w", "--", str(path))
        for r, path in zip(push.rels, push.files, strict=True)
    }
    head = git.run("rev-parse", "--verify", "HEAD^{commit}")
    started_from = {r: _blob_at(git, head, r) for r in push.rels}
    # Always on the remote tip: building on the local HEAD would also push whatever commits earlier
    # steps of the job made and did not push. A detached HEAD (a release's tag) is behind it anyway.
    base, why = _fetch_tip(git, remote, branch)
    for attempt in range(1, attempts + 1):
        if base is None:
            return _failed(why, branch)
        current = {r: _blob_at(git, base, r) for r in push.rels}
        changed = {r: blob for r, blob in blobs.items() if current[r] != blob}
        if not changed:
            return WriteBack("unchanged", f"{rel} is already up to date on {branch}", branch=branch)
        moved = [r for r in changed if current[r] not in (None, started_from[r])]
        if moved:
            return _failed(
                f"{', '.join(moved)} was changed on {branch} by someone else meanwhile; left as it is there",
                branch,
            )
        rel = ", ".join(changed)
        commit = _build_commit(git, base, changed, push.message)
        pushed, output = _push(git, remote, commit, branch)
        if pushed:
            if push.attached and base == head:
                _advance_local_branch(git, commit, head, tuple(changed))
            log.info("pushed %s to %s (%s)", rel, branch, commit[:12])
            return WriteBack(
                "pushed", f"committed {rel} and pushed it to {branch}", branch=branch, commit=commit
            )
        if not _is_race(output) or attempt == attempts:
            reason = _last_lines(output)
            if _is_race(output):
                reason = f"{branch} kept moving during {counted(attempts, 'attempt')}: {reason}"
            return _failed(f"pushing to {branch} was refused: {reason}", branch)
        log.info(
            "%s moved while pushing (attempt %d of %d); re-applying on its new tip", branch, attempt, attempts
        )
        base, why = _fetch_tip(git, remote, branch)
    raise AssertionError("unreachable")


def _blob_at(git: _Git, rev: str, rel: str) -> str | None:
    out = git.run("rev-parse", "-q", "--verify", f"{rev}:{rel}", check=False)
    return out or None


def _fetch_tip(git: _Git, remote: str, branch: str) -> tuple[str | None, str]:
    """Fetch `branch`: (its tip, "") or (None, why not).

    A plain fetch, never `--depth`: in a full clone (`fetch-depth: 0`) `--depth=1` would make the
    repository shallow, and in a shallow one it would shorten the history to one commit, breaking
    later `git describe` or setuptools-scm steps. A shallow clone's fetch stops at its own shallow
    boundary, so it receives only the commits the remote has beyond it: the clone keeps its depth."""
    tracking = f"refs/zsync/{remote}/{branch}"
    proc = git.call("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{tracking}")
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if "couldn't find remote ref" in output:
            return None, f"the branch {branch} does not exist on '{remote}'"
        return None, f"fetching {branch} from '{remote}' failed: {_last_lines(output)}"
    tip = git.run("rev-parse", "-q", "--verify", f"{tracking}^{{commit}}", check=False)
    return (tip, "") if tip else (None, f"the branch {branch} does not exist on '{remote}'")


def _build_commit(git: _Git, base: str, blobs: Mapping[str, str], message: str) -> str:
    """A commit on `base` whose only changes are `rel` := `blob` for each of `blobs`, made in a
    throwaway index."""
    with tempfile.TemporaryDirectory(prefix="zsync-index-") as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("read-tree", base, extra_env=index)
        for rel, blob in blobs.items():
            git.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{rel}", extra_env=index)
        tree = git.run("write-tree", extra_env=index)
    return git.run("commit-tree", tree, "-p", base, "-m", message)


def _push(git: _Git, remote: str, commit: str, branch: str) -> tuple[bool, str]:
    proc = git.call("push", "--porcelain", remote, f"{commit}:refs/heads/{branch}")
    return proc.returncode == 0, proc.stdout + proc.stderr


def _is_race(output: str) -> bool:
    return "[rejected]" in output and ("fetch first" in output or "non-fast-forward" in output)


def _last_lines(output: str, count: int = 3) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("To ")]
    return " / ".join(lines[-count:]) or "no message from git"


def _advance_local_branch(git: _Git, commit: str, old_head: str, rels: tuple[str, ...]) -> None:
    """Move the checked-out branch to the pushed commit, whose only changes are the files it
    committed, so later steps of the job see them committed. The working tree already holds that
    content; only their index entries are refreshed. Other staged changes stay staged."""
    git.run("update-ref", "-m", "zsync: record id", "HEAD", commit, old_head)
    git.run("reset", "-q", "--", *rels)
