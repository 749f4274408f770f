"""Helpers of .ci/act-workflows.sh, where bash gets awkward: a git server and the runs' assertions.

    git-server   HTTPS git (git http-backend as CGI) on 127.0.0.1 that demands the token the
                 Action's github-token input carries, as GitHub does, logs every request, and can
                 land a collaborator's commit on a branch the moment a push starts (the push race).
    check-*      the assertions of one scenario, over act's JSON log (`act --json`), the emulator's
                 admin routes (/api/_emulator/...) and the origin's history. Each prints ok/FAILED
                 per assertion and exits 1 if any failed.

Standard library only: it runs with any python3 before the project's venv exists.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------- git server


class GitHandler(BaseHTTPRequestHandler):
    """One request: check the Basic token, then hand it to `git http-backend` (CGI)."""

    server: GitServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # the JSON log says it all
        pass

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        expected = base64.b64encode(f"x-access-token:{self.server.token}".encode()).decode()
        header = self.headers.get("Authorization", "")
        authorized = header.lower().startswith("basic ") and header[6:].strip() == expected
        body = self._body()
        service = next(
            (s for s in ("git-receive-pack", "git-upload-pack") if s in path or f"service={s}" in query), ""
        )
        race = ""
        if authorized and service == "git-receive-pack" and path.endswith("/info/refs"):
            race = self.server.land_race_commit()
        self.server.record(
            {
                "method": self.command,
                "path": path,
                "query": query,
                "service": service,
                "authorized": authorized,
                "auth_header": bool(header),
                "race": race,
            }
        )
        if not authorized:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="zsync test origin"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        proc = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60, check=False
        )
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _ and b"\n\n" in proc.stdout:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class GitServer(ThreadingHTTPServer):
    def __init__(self, root: Path, token: str, log: Path, race: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), GitHandler)
        self.root = root
        self.token = token
        self.log = log
        self.lock = threading.Lock()
        # REPO:BRANCH:REF -- on the first push to REPO, BRANCH moves to REF (prepared by the caller).
        self.races = [r.split(":", 2) for r in race]

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock, self.log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def land_race_commit(self) -> str:
        with self.lock:
            if not self.races:
                return ""
            repo, branch, ref = self.races.pop(0)
        git_dir = self.root / repo
        target = subprocess.run(
            ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        subprocess.run(
            ["git", "--git-dir", str(git_dir), "update-ref", f"refs/heads/{branch}", target], check=True
        )
        return f"{branch} moved to {target}"


def serve_git(args: argparse.Namespace) -> int:
    server = GitServer(Path(args.root), args.token, Path(args.log), args.race)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"serving https://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


# --------------------------------------------------------------------------------------- act's log


@dataclass
class ActLog:
    """act's JSON log (`act --json`): one object per line; workflow commands carry `command`."""

    entries: list[dict[str, Any]]

    @classmethod
    def read(cls, path: str) -> ActLog:
        entries = []
        for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        return cls(entries)

    def commands(
        self, command: str, step: str | None = None, inner: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Workflow commands of a step (its `id`), optionally of one step inside a composite."""
        for e in self.entries:
            ids = e.get("stepID") or []
            if e.get("command") != command:
                continue
            if step is not None and (not ids or ids[0] != step):
                continue
            if inner is not None and (len(ids) < 2 or ids[1] != inner):
                continue
            yield e

    def outputs(self, step: str) -> dict[str, str]:
        """The outputs the composite step `step` ended with (its nested Docker action's, mapped)."""
        out: dict[str, str] = {}
        for e in self.commands("set-output", step):
            out[e["name"]] = e.get("arg", "")
        return out

    def summary(self, step: str) -> str:
        return "\n".join(e.get("content", "") for e in self.commands("summary", step))

    def messages(self, step: str | None = None) -> list[str]:
        return [
            str(e.get("msg", ""))
            for e in self.entries
            if step is None or (e.get("stepID") or [None])[0] == step
        ]

    def job_result(self) -> str | None:
        results = [e["jobResult"] for e in self.entries if "jobResult" in e]
        return results[-1] if results else None

    def step_result(self, step: str) -> str | None:
        results = [e["stepResult"] for e in self.entries if "stepResult" in e and e.get("stepid") == [step]]
        return results[-1] if results else None


@dataclass
class Checks:
    name: str
    failures: list[str] = field(default_factory=list)

    def check(self, description: str, ok: bool, detail: Any = "") -> bool:
        if ok:
            print(f"  ok: {description}")
        else:
            print(f"  FAILED: {description}" + (f" -- {detail}" if detail != "" else ""), file=sys.stderr)
            self.failures.append(description)
        return ok

    def done(self) -> int:
        if self.failures:
            print(f"{self.name}: {len(self.failures)} assertion(s) FAILED", file=sys.stderr)
            return 1
        print(f"{self.name}: all assertions passed")
        return 0


def emulator(url: str, route: str) -> Any:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"not the local emulator: {url}")
    with urllib.request.urlopen(f"{url}/_emulator/{route}", timeout=10) as resp:  # noqa: S310 (checked above)
        return json.load(resp)


def mutating(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in log if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]


def uploads(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in log if e["method"] == "PUT" and e["path"].endswith("/content")]


def git(repo: str, *args: str) -> str:
    """git's output, or "" when it fails (the check then fails, with the others still run)."""
    proc = subprocess.run(["git", "--git-dir", repo, *args], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def git_requests(path: str) -> list[dict[str, Any]]:
    p = Path(path)
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


def image_checks(c: Checks, log: ActLog, step: str, image: str) -> None:
    """The composite ran the release's prebuilt image (by digest), not a source build."""
    c.check(
        f"{step}: output image is the release's image",
        log.outputs(step).get("image") == image,
        log.outputs(step).get("image"),
    )
    ran = [m for m in log.messages(step) if "docker run image=" in m]
    c.check(
        f"{step}: the container ran from {image}", bool(ran) and all(f"image={image} " in m for m in ran), ran
    )
    c.check(f"{step}: nothing was built", not any("docker build" in m for m in log.messages(step)))


def check_ci(args: argparse.Namespace) -> int:
    c = Checks("ci.yml action job")
    log = ActLog.read(args.log)
    c.check(
        "job succeeded (its own check step asserts outputs and emulator state)", log.job_result() == "success"
    )
    for step in ("validate", "sync", "refused"):
        image_checks(c, log, step, args.image)
    c.check(
        "the job container chowned the workspace to uid 1001 (the runner's user)",
        any("chown -R 1001:1001" in m for m in log.messages()),
    )
    # commit-record-id is false in all three steps: the github-token (a secret here) must not reach
    # the container; zsync masks every secret it is given, so a masked github-token would show it.
    for step in ("validate", "sync", "refused"):
        masked = [e.get("arg") for e in log.commands("add-mask", step)]
        c.check(
            f"{step}: the github-token was not passed to the container",
            args.github_token not in masked,
            masked,
        )
    c.check("validate: no Zenodo token, nothing masked", not list(log.commands("add-mask", "validate")))
    c.check(
        "validate: a warning says nothing was uploaded",
        any(e["kvPairs"].get("title") == "Validated only" for e in log.commands("warning", "validate")),
    )
    errors = list(log.commands("error", "refused"))
    c.check(
        "refused: an error annotation on the config",
        bool(errors) and errors[0]["kvPairs"].get("file") == "examples/zenodo.yaml",
        errors,
    )
    c.check("refused: step failed", log.outputs("refused").get("status") == "failed")
    c.check(
        "sync: summary names the record",
        f"| Record | [{log.outputs('sync').get('record-id')}]" in log.summary("sync"),
    )
    return c.done()


def check_push(args: argparse.Namespace) -> int:
    c = Checks(f"sync-on-push run {args.run}")
    log = ActLog.read(args.log)
    out = log.outputs("zenodo")
    requests = emulator(args.emulator, "log")
    origin = args.origin
    reqs = git_requests(args.git_log)
    c.check("job succeeded", log.job_result() == "success")
    image_checks(c, log, "zenodo", args.image)
    c.check(
        "the job container chowned the workspace to uid 1001 (the runner's user)",
        any("chown -R 1001:1001" in m for m in log.messages()),
    )
    if args.run == 1:
        record_id = out.get("record-id", "")
        c.check("status=created", out.get("status") == "created", out)
        c.check("files-uploaded=3", out.get("files-uploaded") == "3", out)
        c.check("doi reserved", out.get("doi", "").startswith("10.5072/zenodo."), out)
        c.check(
            "one draft created (POST /api/records)",
            sum(1 for e in requests if e["method"] == "POST" and e["path"] == "/api/records") == 1,
        )
        c.check("3 uploads", len(uploads(requests)) == 3, len(uploads(requests)))
        state = emulator(args.emulator, "state")
        c.check("the draft holds the 3 files", len(state["files"].get(f"draft:{record_id}", {})) == 3)
        summary = log.summary("zenodo")
        c.check("summary: the record", f"| Record | [{record_id}]" in summary, summary[:300])
        c.check("summary: the uploaded file", "| `measurements.csv` | uploaded |" in summary)
        c.check("summary: the record-id commit", "pushed it to main" in summary, summary[-400:])
        # The origin: our commit on top of both collaborators' commits, only the id file changed.
        tip = git(origin, "rev-parse", "main")
        c.check(
            "record-id-commit is origin's main",
            out.get("record-id-commit") == tip,
            (out.get("record-id-commit"), tip),
        )
        c.check(
            "committed by github-actions[bot]",
            git(origin, "log", "-1", "--format=%an", "main") == "github-actions[bot]",
        )
        c.check(
            "the commit changes only .zenodo-record-id.txt",
            git(origin, "diff-tree", "--no-commit-id", "--name-only", "-r", "main")
            == ".zenodo-record-id.txt",
        )
        c.check(
            "the id file on origin holds the record id",
            git(origin, "show", "main:.zenodo-record-id.txt") == record_id,
        )
        subjects = git(origin, "log", "--format=%s", "main").splitlines()
        c.check(
            "history: bot commit, then the commit landed mid-push, then the one landed after checkout",
            subjects[:3]
            == [
                "Record the Zenodo record id",
                "Collaborator: during the push",
                "Collaborator: after checkout",
            ],
            subjects,
        )
        c.check(
            "the git server moved main when the push started (the race)", any(r["race"] for r in reqs), reqs
        )
        c.check(
            "zsync retried the push on the new tip",
            any("moved while pushing" in m for m in log.messages("zenodo")),
        )
        attempts = [r for r in reqs if r["service"] == "git-receive-pack" and r["method"] == "GET"]
        c.check(
            "two push attempts: the first refused by the race, the second on the new tip",
            len(attempts) == 2,
            attempts,
        )
        c.check(
            "every request to origin carried the github-token (extraheader auth)",
            bool(reqs) and all(r["authorized"] for r in reqs),
            [r for r in reqs if not r["authorized"]],
        )
    else:
        c.check("status=unchanged", out.get("status") == "unchanged", out)
        c.check(
            "files-uploaded=0, files-unchanged=3",
            (out.get("files-uploaded"), out.get("files-unchanged")) == ("0", "3"),
            out,
        )
        c.check("record id as the first run", out.get("record-id") == args.record_id, out)
        c.check("nothing changed on Zenodo (no POST/PUT/DELETE)", not mutating(requests), mutating(requests))
        c.check("no record-id commit", out.get("record-id-commit", "") == "", out)
        c.check("origin's main did not move", git(origin, "rev-parse", "main") == args.origin_tip)
        c.check("no push to origin", not any(r["service"] == "git-receive-pack" for r in reqs), reqs)
    return c.done()


def check_release(args: argparse.Namespace) -> int:
    c = Checks("sync-on-release")
    log = ActLog.read(args.log)
    out = log.outputs("zenodo")
    requests = emulator(args.emulator, "log")
    state = emulator(args.emulator, "state")
    new_id = out.get("record-id", "")
    c.check("job succeeded", log.job_result() == "success")
    image_checks(c, log, "zenodo", args.image)
    c.check("status=new-version", out.get("status") == "new-version", out)
    c.check("a new record id", bool(new_id) and new_id != args.previous_id, (new_id, args.previous_id))
    c.check(
        "one new version opened (POST .../versions)",
        [e["path"] for e in requests if e["method"] == "POST" and e["path"].endswith("/versions")]
        == [f"/api/records/{args.previous_id}/versions"],
    )
    c.check(
        "only the changed file uploaded",
        [e["path"].split("/")[-2] for e in uploads(requests)] == ["measurements.csv"],
        [e["path"] for e in uploads(requests)],
    )
    c.check(
        "outputs: 1 uploaded, 2 unchanged",
        (out.get("files-uploaded"), out.get("files-unchanged")) == ("1", "2"),
        out,
    )
    draft = state["drafts"].get(new_id, {})
    c.check(
        "the new version's draft says version 1.1.0 (from the tag v1.1.0)",
        draft.get("metadata", {}).get("version") == "1.1.0",
        draft.get("metadata", {}).get("version"),
    )
    c.check("the new draft holds 3 files", len(state["files"].get(f"draft:{new_id}", {})) == 3)
    c.check(
        "the published 1.0.0 is untouched",
        state["records"].get(args.previous_id, {}).get("metadata", {}).get("version") == "1.0.0",
    )
    c.check("summary: new version", "new-version" in log.summary("zenodo"), log.summary("zenodo")[:300])
    tip = git(args.origin, "rev-parse", "main")
    c.check(
        "the new id committed to the default branch (the checkout was a detached tag)",
        git(args.origin, "show", "main:.zenodo-record-id.txt") == new_id,
    )
    c.check("record-id-commit is origin's main", out.get("record-id-commit") == tip)
    c.check(
        "the id commit sits on main's previous tip", git(args.origin, "rev-parse", "main^") == args.origin_tip
    )
    return c.done()


def check_push_after_release(args: argparse.Namespace) -> int:
    """sync-on-push beside sync-on-release (README: Push and release together), zenodo.yaml still at
    1.0.0: with the release's draft 1.1.0 open, then after that draft was published. The push never
    fails, never lowers the release's version and never rewrites its published record."""
    c = Checks(f"sync-on-push after the release ({args.stage})")
    log = ActLog.read(args.log)
    out = log.outputs("zenodo")
    requests = emulator(args.emulator, "log")
    state = emulator(args.emulator, "state")
    c.check("job succeeded", log.job_result() == "success")
    image_checks(c, log, "zenodo", args.image)
    c.check("status=unchanged", out.get("status") == "unchanged", out)
    c.check("the release's record id", out.get("record-id") == args.release_id, out)
    c.check("nothing changed on Zenodo (no POST/PUT/DELETE)", not mutating(requests), mutating(requests))
    said = [*log.messages("zenodo"), *(str(e.get("arg", "")) for e in log.commands("warning", "zenodo"))]
    if args.stage == "draft":
        draft = state["drafts"].get(args.release_id, {})
        c.check(
            "the release's draft keeps version 1.1.0",
            draft.get("metadata", {}).get("version") == "1.1.0",
            draft.get("metadata", {}).get("version"),
        )
        c.check("the log says the draft keeps its version", any("keeps its version 1.1.0" in m for m in said))
    else:
        record = state["records"].get(args.release_id, {})
        c.check(
            "the published 1.1.0 is untouched",
            record.get("metadata", {}).get("version") == "1.1.0",
            record.get("metadata", {}).get("version"),
        )
        warnings = [str(e.get("arg", "")) for e in log.commands("warning", "zenodo")]
        c.check(
            "a warning annotation names the file that waits for the next release",
            any("below version 1.1.0" in w and "measurements.csv" in w for w in warnings),
            warnings,
        )
    return c.done()


def check_validate(args: argparse.Namespace) -> int:
    c = Checks(f"validate-pr ({'broken zenodo.yaml' if args.broken else 'valid'})")
    log = ActLog.read(args.log)
    requests = emulator(args.emulator, "log")
    # The example's step has no id: find it as the composite whose inner step is "zsync".
    step = next((e["stepID"][0] for e in log.commands("set-output") if len(e.get("stepID") or []) > 1), "?")
    out = log.outputs(step)
    c.check("no secret was given, so nothing was masked", not list(log.commands("add-mask")))
    c.check("nothing was sent to Zenodo", requests == [], requests)
    image_checks(c, log, step, args.image)
    if not args.broken:
        c.check("job succeeded", log.job_result() == "success")
        c.check("status=validated", out.get("status") == "validated", out)
        c.check(
            "a warning says nothing was uploaded",
            any(e["kvPairs"].get("title") == "Validated only" for e in log.commands("warning")),
        )
        c.check("summary: validated", "validated only" in log.summary(step), log.summary(step)[:200])
        c.check(
            "summary: the files found locally", "| `measurements.csv` | found locally |" in log.summary(step)
        )
    else:
        errors = list(log.commands("error"))
        c.check("job failed", log.job_result() == "failure")
        c.check("status=failed", out.get("status") == "failed", out)
        summary = log.summary(step)
        c.check(
            "summary: failed, with the problem",
            "Zenodo sync failed" in summary and args.bad in summary,
            summary,
        )
        c.check(
            f"an error annotation on zenodo.yaml line {args.line}",
            any(
                e["kvPairs"].get("file") == "zenodo.yaml" and e["kvPairs"].get("line") == str(args.line)
                for e in errors
            ),
            [e.get("kvPairs") for e in errors],
        )
        c.check(
            "the error names the bad value",
            any(args.bad in e.get("arg", "") for e in errors),
            [e.get("arg") for e in errors],
        )
    c.check(
        "origin's main did not move (nothing to commit)",
        git(args.origin, "rev-parse", "main") == args.origin_tip,
    )
    return c.done()


def check_fallback(args: argparse.Namespace) -> int:
    c = Checks("fallback to the Dockerfile")
    log = ActLog.read(args.log)
    step = next((e["stepID"][0] for e in log.commands("set-output") if len(e.get("stepID") or []) > 1), "?")
    warnings = list(log.commands("warning", step, "prepare"))
    c.check("job succeeded", log.job_result() == "success")
    c.check(
        "a warning names the image that could not be pulled",
        any(
            args.image in e.get("arg", "") and e["kvPairs"].get("title") == "zsync: building from source"
            for e in warnings
        ),
        [e.get("arg") for e in warnings],
    )
    c.check("output image=Dockerfile", log.outputs(step).get("image") == "Dockerfile", log.outputs(step))
    c.check(
        "act built the generated action's Dockerfile",
        any("docker build" in m and ".github/.tmp/zenodo-sync" in m for m in log.messages(step)),
    )
    c.check(
        "the container ran from that build",
        any("docker run image=act-github--tmp-zenodo-sync" in m for m in log.messages(step)),
    )
    c.check("zsync validated", log.outputs(step).get("status") == "validated", log.outputs(step))
    return c.done()


def check_plan(args: argparse.Namespace) -> int:
    log = ActLog.read(args.log)
    if args.refused:
        c = Checks("release.yml plan job, a version that is not zsync/_version.py's")
        c.check("job failed", log.job_result() == "failure")
        said = log.messages("plan")
        c.check("release.py says why", any(args.refused in m for m in said), said)
        c.check("no outputs", not log.outputs("plan"), log.outputs("plan"))
        return c.done()
    c = Checks("release.yml plan job")
    out = log.outputs("plan")
    image = "ghcr.io/zsync-org/zenodo-sync"
    c.check("job succeeded", log.job_result() == "success")
    c.check(f"tag={args.tag}", out.get("tag") == args.tag, out)
    c.check(
        "image tags: the version, its minor and its major line",
        out.get("image-tags", "").split(",") == [f"{image}:{t}" for t in [args.tag, *args.moving.split(",")]],
        out,
    )
    c.check(f"moving-tags={args.moving}", out.get("moving-tags") == args.moving, out)
    return c.done()


def render(args: argparse.Namespace) -> int:
    """act's JSON log as act prints it (secrets masked there), for a person reading CI's output."""
    for e in ActLog.read(args.log).entries:
        msg = str(e.get("msg", "")).rstrip("\n")
        if msg:
            print(msg)
    # Lines act printed before its JSON logger started (gha-local's build, act's own errors).
    for line in Path(args.log).read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            print(line)
    return 0


def output(args: argparse.Namespace) -> int:
    print(ActLog.read(args.log).outputs(args.step).get(args.name, ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("git-server")
    p.add_argument("--root", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--race", action="append", default=[], metavar="REPO:BRANCH:REF")
    p.set_defaults(func=serve_git)

    def checker(name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        q = sub.add_parser(name)
        q.add_argument("--log", required=True)
        q.add_argument("--emulator", required=True)
        q.add_argument("--image", required=True)
        q.set_defaults(func=func)
        return q

    q = checker("check-ci", check_ci)
    q.add_argument("--github-token", required=True)
    q = checker("check-push", check_push)
    q.add_argument("--run", type=int, required=True)
    q.add_argument("--origin", required=True)
    q.add_argument("--git-log", required=True)
    q.add_argument("--record-id", default="")
    q.add_argument("--origin-tip", default="")
    q = checker("check-release", check_release)
    q.add_argument("--origin", required=True)
    q.add_argument("--previous-id", required=True)
    q.add_argument("--origin-tip", required=True)
    q = checker("check-push-after-release", check_push_after_release)
    q.add_argument("--stage", choices=("draft", "published"), required=True)
    q.add_argument("--release-id", required=True)
    q = checker("check-validate", check_validate)
    q.add_argument("--broken", action="store_true")
    q.add_argument("--origin", required=True)
    q.add_argument("--origin-tip", required=True)
    q.add_argument("--line", type=int, default=0)
    q.add_argument("--bad", default="")
    checker("check-fallback", check_fallback)
    q = checker("check-plan", check_plan)
    q.add_argument("--tag", required=True)
    q.add_argument("--moving", required=True)
    q.add_argument("--refused", default="", help="expect this refusal instead")
    q = sub.add_parser("render")
    q.add_argument("log")
    q.set_defaults(func=render)
    q = sub.add_parser("output")
    q.add_argument("log")
    q.add_argument("step")
    q.add_argument("name")
    q.set_defaults(func=output)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
