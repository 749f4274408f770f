"""What every figure shares: the result line, temporary data, the emulator, and child processes.

A figure is one or more `Line`s. A line is an *invariant* when its verdict does not depend on timing
(request counts, bytes uploaded or read, the memory bound): a failed invariant makes the run exit
non-zero. Timing lines compare against a baseline measured in the same run and are reported, never
enforced, because shared CI machines are too noisy for any time to be a contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zsync.emulator import Emulator, LoggedRequest, RateLimit

# A token of the local emulator only; it is still kept out of argv and of everything printed.
TOKEN = "zsync-bench-token"

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
GB = 10**9

UNLIMITED = RateLimit(limit=10**9, window_s=60.0, enforce=False)

Verdict = Literal["PASS", "FAIL", "SKIP", "INFO"]
MUTATING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class Line:
    """One printed figure: `name: value (baseline: b, ratio: r, goal: g) VERDICT`."""

    name: str
    value: str
    baseline: str
    ratio: float | None
    goal: str
    verdict: Verdict
    invariant: bool
    note: str = ""

    def render(self) -> str:
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        marker: str = self.verdict
        if self.verdict == "FAIL" and not self.invariant:
            marker = "FAIL (timing or third-party: reported, not enforced)"
        text = f"{self.name}: {self.value} (baseline: {self.baseline}, ratio: {ratio}, goal: {self.goal})"
        text = f"{text} {marker}"
        return f"{text}  [{self.note}]" if self.note else text

    @property
    def breaks_run(self) -> bool:
        return self.invariant and self.verdict == "FAIL"


def invariant(
    name: str, value: str, baseline: str, ratio: float | None, goal: str, ok: bool, note: str = ""
) -> Line:
    return Line(name, value, baseline, ratio, goal, "PASS" if ok else "FAIL", invariant=True, note=note)


def timing(
    name: str, value: str, baseline: str, ratio: float | None, goal: str, ok: bool | None, note: str = ""
) -> Line:
    verdict: Verdict = "INFO" if ok is None else "PASS" if ok else "FAIL"
    return Line(name, value, baseline, ratio, goal, verdict, invariant=False, note=note)


def skipped(name: str, goal: str, reason: str) -> Line:
    return Line(name, "skipped", "-", None, goal, "SKIP", invariant=False, note=reason)


@dataclass(frozen=True)
class Context:
    """What a figure needs to know about the run: its size and a scratch folder it owns."""

    quick: bool
    workdir: Path

    def python(self) -> str:
        return sys.executable


Figure = Callable[[Context], list[Line]]


# --------------------------------------------------------------------------- formatting


def fmt_bytes(size: float) -> str:
    for unit, scale in (("GB", GB), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.2f} {unit}"
    return f"{size:.0f} B"


def fmt_rate(size_bytes: float, seconds: float) -> str:
    return f"{size_bytes / max(seconds, 1e-9) / 10**6:.0f} MB/s"


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


# --------------------------------------------------------------------------- data


def write_random_file(path: Path, size_bytes: int, *, chunk_bytes: int = 8 * MIB) -> Path:
    """Random (incompressible, not sparse) content written in chunks, so memory stays flat."""
    path.parent.mkdir(parents=True, exist_ok=True)
    left = size_bytes
    with path.open("wb") as out:
        while left > 0:
            block = os.urandom(min(chunk_bytes, left))
            out.write(block)
            left -= len(block)
    return path


def write_dataset(
    folder: Path,
    *,
    endpoint: str,
    file_count: int,
    file_bytes: int,
    version: str = "1.0.0",
    title: str = "zsync benchmark dataset",
) -> tuple[Path, list[Path]]:
    """A zenodo.yaml with `file_count` random files of `file_bytes` each; returns (config, files)."""
    data = folder / "data"
    files = [write_random_file(data / f"part-{i:03d}.bin", file_bytes) for i in range(file_count)]
    (folder / "README.md").write_text(f"# {title}\n\nRandom data for zsync's benchmarks.\n", "utf-8")
    write_config(folder / "zenodo.yaml", endpoint=endpoint, files=files, version=version, title=title)
    return folder / "zenodo.yaml", files


def write_config(config: Path, *, endpoint: str, files: Sequence[Path], version: str, title: str) -> None:
    paths = "\n".join(f"  - {p.relative_to(config.parent).as_posix()}" for p in files)
    config.write_text(
        f"""path_record_id: .zenodo-record-id.txt
endpoint: {endpoint}
metadata:
  title: '{title}'
  version: '{version}'
  license:
    - cc-by-4.0
  resource_type: dataset
  publisher: Zenodo
  creators:
    - family_name: Carberry
      given_name: Josiah
path_readme: README.md
paths:
{paths}
""",
        "utf-8",
    )


def set_version(config: Path, version: str) -> None:
    lines = config.read_text("utf-8").splitlines()
    lines = [f"  version: '{version}'" if ln.startswith("  version: ") else ln for ln in lines]
    config.write_text("\n".join(lines) + "\n", "utf-8")


def read_rchar() -> int:
    """Bytes this process asked read() for so far (/proc/self/io), page cache or not."""
    for line in Path("/proc/self/io").read_text("ascii").splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/io has no rchar line")


# --------------------------------------------------------------------------- the emulator


@contextmanager
def emulator(folder: Path) -> Iterator[Emulator]:
    """An emulator whose blobs live under `folder` (removed with it), with the benchmark token.

    Its rate limit is lifted: the emulator's default (Zenodo's 100 requests a minute) makes zsync
    pace itself, rightly, and every figure but the rate-limit one measures something else.
    """
    emu = Emulator(tokens=(TOKEN,), data_dir=folder / "emulator")
    emu.rate_limit = UNLIMITED
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def mutating(entries: Sequence[LoggedRequest]) -> list[LoggedRequest]:
    return [e for e in entries if e.method in MUTATING_METHODS]


def uploaded_bytes(entries: Sequence[LoggedRequest]) -> int:
    """Bytes of file content the server received (PUT .../content), whatever the client claims."""
    return sum(e.body_bytes for e in entries if e.method == "PUT" and e.path.endswith("/content"))


def status_count(entries: Sequence[LoggedRequest], status: int) -> int:
    return sum(1 for e in entries if e.status == status)


# --------------------------------------------------------------------------- child processes


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_bytes: int

    def check(self, what: str) -> ChildRun:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited with {self.returncode}:\n{self.stderr[-3000:]}")
        return self


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: ours minus anything that could point zsync elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENODO_", "REPREP_", "INPUT_"))}
    env.pop("GITHUB_OUTPUT", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    # An installed zsync runs from cached bytecode (pip and the image compile it); without the cache
    # every child would recompile zsync's modules and the start-up figures would measure that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # `python -m benchmarks.child` must find this package wherever the child starts.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH"))))
    env.update(extra or {})
    return env


def run_child(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 1800.0,
) -> ChildRun:
    """Run `argv`, returning its output, wall time and peak RSS (its own, via wait4's rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=dict(env or child_env()),
            cwd=cwd,
        )
        # A blocking wait4 returns the child's own rusage; the timer only guards against a hang.
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall_s = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall_s=wall_s,
            peak_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        )


def zsync_command() -> list[str]:
    """The `zsync` console script of this interpreter's environment (what users run)."""
    script = Path(sys.executable).parent / "zsync"
    if script.is_file():
        return [str(script)]
    found = shutil.which("zsync")
    return [found] if found else [sys.executable, "-m", "zsync"]


def zsync(
    args: Sequence[str], *, cwd: Path | None = None, token: bool = True, timeout_s: float = 1800.0
) -> ChildRun:
    env = child_env({"ZENODO_TOKEN": TOKEN} if token else None)
    return run_child([*zsync_command(), *args], env=env, cwd=cwd, timeout_s=timeout_s)


def best_of(runs: int, measure: Callable[[], float]) -> float:
    """The fastest of `runs` measurements: the least disturbed by whatever else the machine does."""
    return min(measure() for _ in range(runs))
