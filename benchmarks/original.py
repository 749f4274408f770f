"""Figure 7, side by side with the original: the same 20-file dataset synced by zsync and by
stepup-reprep's `srr-sync-zenodo` (4.x), both against the emulator, for a first sync, a no-op re-run
of the draft, a no-op re-run after publishing, and a version bump with 1 of 20 files changed.

stepup-reprep is installed from PyPI into its own venv under the temp folder (kept between runs).
Its 4.x command takes the files and `--description` on the command line and the token from
`REPREP_ZENODO_TOKEN`; it reads the endpoint from its config file's `endpoint` (http on 127.0.0.1 is
accepted) and sends the token as `Authorization: Bearer`, so the token is no problem. Its Accept
header is the vnd type alone, on every route; the emulator answers 406 to that on the files routes
(`/draft/files...`), where it serves only application/json; and it uploads file content without a
Content-Type, which the emulator answers with 415. The original is tried directly first; when it is
refused that way, the reason is printed and the original runs through `compat_shim`, a forwarding
proxy in this module that appends `application/json;q=0.5` to its Accept header and sets
`Content-Type: application/octet-stream` on a content PUT that has none, and changes nothing else
(the emulator still logs every request, body and byte). The emulator has no lenient mode for this.
Each tool gets its own copy of the dataset and its own record; publishing is done as a person would
(the emulator's admin publish), for both.
Counts come from the emulator's log: every request, the mutating ones, and content bytes received.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.harness import (
    TOKEN,
    Context,
    Line,
    child_env,
    emulator,
    fmt_bytes,
    invariant,
    mutating,
    run_child,
    set_version,
    skipped,
    timing,
    uploaded_bytes,
    write_dataset,
    write_random_file,
    zsync,
)
from zsync.emulator import Emulator, LoggedRequest
from zsync.emulator.store import ApiError

REQUIREMENT = "stepup-reprep>=4,<5"
VENV = Path(tempfile.gettempdir()) / "zsync-bench-reprep-venv"
FILE_COUNT = 20
CHANGED_INDEX = 7
GOAL = "no-op re-runs: 0 mutating (original: 2 and 3); version bump: 1/20 of the original's bytes"


@dataclass(frozen=True)
class Step:
    """What one run of one tool did, as the emulator saw it."""

    ok: bool
    requests: int
    writes: int
    uploaded: int
    wall_s: float
    error: str = ""
    violations: frozenset[str] = frozenset()

    def text(self) -> str:
        if not self.ok:
            return f"failed ({self.error})"
        return (
            f"{self.requests} req, {self.writes} mutating, {fmt_bytes(self.uploaded)} up, {self.wall_s:.2f} s"
        )


def _step(emu: Emulator, returncode: int, stderr: str, wall_s: float) -> Step:
    log: list[LoggedRequest] = emu.request_log
    emu.clear_log()
    # The emulator's random port only makes the line differ from run to run.
    tail = re.sub(r"http://127\.0\.0\.1:\d+", "", " ".join(stderr.strip().splitlines()[-2:]))
    error = tail[:240] if returncode and tail else f"exit {returncode}"
    return Step(
        ok=returncode == 0,
        requests=len(log),
        writes=len(mutating(log)),
        uploaded=uploaded_bytes(log),
        wall_s=wall_s,
        error="" if returncode == 0 else error,
        violations=frozenset(v for e in log for v in e.violations),
    )


def ensure_original() -> tuple[Path | None, str]:
    """The srr-sync-zenodo script of a venv with stepup-reprep 4.x, installing it if needed."""
    script = VENV / "bin" / "srr-sync-zenodo"
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('stepup-reprep'))"]
    if script.is_file():
        found = subprocess.run(probe, capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.startswith("4."):
            return script, found.stdout.strip()
        shutil.rmtree(VENV, ignore_errors=True)
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REQUIREMENT],
            check=True,
            capture_output=True,
            timeout=600,
        )
        found = subprocess.run(probe, capture_output=True, text=True, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(VENV, ignore_errors=True)
        detail = (
            exc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            if isinstance(exc, subprocess.CalledProcessError) and exc.stderr
            else [str(exc)]
        )
        return None, f"could not install {REQUIREMENT} from PyPI: {' '.join(detail)[:200]}"
    return script, found.stdout.strip()


_FORWARDED_HEADERS = ("Content-Type", "Content-Length", "ETag", "Location", "Retry-After")


class _ShimHandler(BaseHTTPRequestHandler):
    server: _ShimServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the emulator's log is the record."""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "accept")}
        headers["Accept"] = f"{self.headers.get('Accept', '')}, application/json;q=0.5".lstrip(", ")
        if self.command == "PUT" and self.path.endswith("/content") and "Content-Type" not in self.headers:
            headers["Content-Type"] = "application/octet-stream"
        upstream = http.client.HTTPConnection(
            self.server.upstream_host, self.server.upstream_port, timeout=600
        )
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                forwarded = name in _FORWARDED_HEADERS or name.startswith("X-RateLimit")
                if forwarded and name != "Content-Length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward


class _ShimServer(ThreadingHTTPServer):
    daemon_threads = True
    upstream_host: str
    upstream_port: int


@contextmanager
def compat_shim(upstream_api: str) -> Iterator[str]:
    """A proxy to `upstream_api` that adds an application/json fallback to Accept and an octet-stream
    Content-Type to bare content uploads; yields its API URL."""
    parts = urlsplit(upstream_api)
    server = _ShimServer(("127.0.0.1", 0), _ShimHandler)
    server.upstream_host, server.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
    thread = threading.Thread(target=server.serve_forever, name="compat-shim", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{parts.path}"
    finally:
        server.shutdown()
        server.server_close()


def _write_srr_config(folder: Path, endpoint: str, version: str) -> Path:
    config = folder / "srr-zenodo.yaml"
    config.write_text(
        f"""path_record_id: .srr-record-id.txt
endpoint: {endpoint}
metadata:
  title: 'zsync benchmark dataset'
  version: '{version}'
  license:
    - cc-by-4.0
  resource_type: dataset
  publisher: Zenodo
  creators:
    - family_name: Carberry
      given_name: Josiah
""",
        "utf-8",
    )
    return config


class _Original:
    def __init__(self, script: Path, folder: Path, files: list[Path]) -> None:
        self.script, self.folder, self.files = script, folder, files

    def run(self, emu: Emulator) -> Step:
        argv = [
            str(self.script),
            "srr-zenodo.yaml",
            *(str(f.relative_to(self.folder)) for f in self.files),
            "--description",
            "README.md",
        ]
        child = run_child(argv, env=child_env({"REPREP_ZENODO_TOKEN": TOKEN}), cwd=self.folder)
        return _step(emu, child.returncode, child.stderr, child.wall_s)

    def record_id(self) -> str:
        return (self.folder / ".srr-record-id.txt").read_text("utf-8").strip()


class _Zsync:
    def __init__(self, config: Path) -> None:
        self.config = config

    def run(self, emu: Emulator) -> Step:
        child = zsync(["sync", "-q", str(self.config)])
        return _step(emu, child.returncode, child.stderr, child.wall_s)

    def record_id(self) -> str:
        return (self.config.parent / ".zenodo-record-id.txt").read_text("utf-8").strip()


def run(ctx: Context) -> list[Line]:
    script, version = ensure_original()
    if script is None:
        return [skipped("original.side_by_side", GOAL, version)]
    file_bytes = 64_000 if ctx.quick else 5_000_000
    shim_reason = theirs_unpublished = ""
    with emulator(ctx.workdir) as emu, compat_shim(emu.url) as shim_url:
        ours_dir, theirs_dir = ctx.workdir / "zsync", ctx.workdir / "original"
        config, files = write_dataset(
            ours_dir, endpoint=emu.url, file_count=FILE_COUNT, file_bytes=file_bytes
        )
        shutil.copytree(ours_dir, theirs_dir)
        (theirs_dir / "zenodo.yaml").unlink()
        srr_config = _write_srr_config(theirs_dir, emu.url, "1.0.0")
        theirs_files = [theirs_dir / f.relative_to(ours_dir) for f in files]
        ours, theirs = _Zsync(config), _Original(script, theirs_dir, theirs_files)
        emu.clear_log()

        steps: dict[str, tuple[Step, Step]] = {}
        z_first, o_first = ours.run(emu), theirs.run(emu)
        if not o_first.ok and (" 406" in o_first.error or " 415" in o_first.error):
            # Start over through the shim, on a fresh record (the refused run left a draft behind).
            shim_reason = o_first.error
            (theirs_dir / ".srr-record-id.txt").unlink(missing_ok=True)
            _write_srr_config(theirs_dir, shim_url, "1.0.0")
            o_first = theirs.run(emu)
        steps["first_sync"] = (z_first, o_first)
        steps["noop_draft"] = (ours.run(emu), theirs.run(emu))
        emu.publish(ours.record_id())
        try:
            emu.publish(theirs.record_id())
        except (ApiError, OSError) as exc:  # its own failure shows in its step lines
            theirs_unpublished = str(exc)
        emu.clear_log()
        steps["noop_published"] = (ours.run(emu), theirs.run(emu))

        changed = write_random_file(files[CHANGED_INDEX], file_bytes)
        shutil.copyfile(changed, theirs_files[CHANGED_INDEX])
        set_version(config, "1.1.0")
        set_version(srr_config, "1.1.0")
        emu.clear_log()
        steps["version_bump"] = (ours.run(emu), theirs.run(emu))

    lines: list[Line] = []
    label = f"{FILE_COUNT} x {fmt_bytes(file_bytes)}"
    for name, (z, o) in steps.items():
        value, baseline = f"zsync {z.text()}", f"srr-sync-zenodo {version} {o.text()}"
        if name in ("first_sync", "version_bump"):
            rel = z.uploaded / o.uploaded if o.ok and o.uploaded else None
        else:
            rel = z.requests / o.requests if o.ok and o.requests else None
        if name == "first_sync":
            goal, ok = "all files uploaded once", z.ok and z.uploaded == FILE_COUNT * file_bytes
        elif name.startswith("noop"):
            goal, ok = "0 mutating", z.ok and z.writes == 0
        else:
            goal = f"bytes 1/{FILE_COUNT} of the original's (= 1 changed file)"
            ok = z.ok and z.uploaded == file_bytes and (not o.ok or z.uploaded * FILE_COUNT <= o.uploaded)
        lines.append(invariant(f"original.{name}[{label}]", value, baseline, rel, goal, ok))
    if theirs_unpublished:
        lines.append(timing("original.publish", "failed", theirs_unpublished[:200], None, "published", False))
    lines.append(
        timing(
            "original.transport",
            "via compat_shim (Accept + application/json;q=0.5, content PUT + octet-stream)"
            if shim_reason
            else "direct",
            f"direct run: {shim_reason}" if shim_reason else "direct run accepted",
            None,
            "direct",
            None,
        )
    )
    bad = sorted(set().union(*(o.violations for _, o in steps.values())))
    ours_bad = sorted(set().union(*(z.violations for z, _ in steps.values())))
    lines.append(
        timing(
            "original.client_violations",
            f"zsync {', '.join(ours_bad) or 'none'}",
            f"srr-sync-zenodo {', '.join(bad) or 'none'}",
            None,
            "none (what Zenodo punishes: token in the query, default User-Agent)",
            None if ours_bad == [] else False,
        )
    )
    return lines
