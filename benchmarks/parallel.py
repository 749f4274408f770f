"""Figure 8, parallel hashing: a no-op `zsync plan` of 8 files against a serial `md5sum` of the same
files, side by side in one run, the page cache warm (one untimed pass of each first).

The plan hashes every file (each has a remote twin in key and size), on as many threads as cores;
`md5sum` hashes them one after the other. The goal (1.7x faster than serial md5sum) is a timing:
reported, not enforced. The invariant: the no-op plan makes no change. A second line times the
plan's hashing alone (`zsync.localfiles.hash_files`, in this process, on the same threads) against
the same md5sum: what separates the two lines is the plan's start-up and requests.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import (
    MIB,
    Context,
    Line,
    emulator,
    fmt_bytes,
    fmt_s,
    invariant,
    mutating,
    run_child,
    timing,
    write_dataset,
    zsync,
)
from zsync.localfiles import hash_files, stat_files

FILE_COUNT = 8
GOAL_RATIO = 1.7


def run(ctx: Context) -> list[Line]:
    file_bytes = 8 * MIB if ctx.quick else 128 * MIB
    rounds = 3 if ctx.quick else 5
    with emulator(ctx.workdir) as emu:
        config, files = write_dataset(
            ctx.workdir / "dataset", endpoint=emu.url, file_count=FILE_COUNT, file_bytes=file_bytes
        )
        zsync(["sync", "-q", str(config)]).check("first zsync sync")
        md5sum = ["md5sum", *map(str, files)]
        run_child(md5sum).check("md5sum")  # warm the page cache for both
        zsync(["plan", "-q", str(config)]).check("zsync plan")
        emu.clear_log()
        plan_s: list[float] = []
        md5sum_s: list[float] = []
        hashing_s: list[float] = []
        for _ in range(rounds):
            plan_s.append(zsync(["plan", "-q", str(config)]).check("zsync plan").wall_s)
            md5sum_s.append(run_child(md5sum).check("md5sum").wall_s)
            hashing_s.append(_hashing_s(files))
        writes = len(mutating(emu.request_log))
    best_plan, best_md5sum, best_hashing = min(plan_s), min(md5sum_s), min(hashing_s)
    speedup = best_md5sum / best_plan
    size = f"{FILE_COUNT} x {fmt_bytes(file_bytes)}"
    return [
        invariant(
            f"parallel.noop_plan_changes_nothing[{size}]",
            f"{writes} mutating requests",
            "0",
            None,
            "0",
            writes == 0,
        ),
        timing(
            f"parallel.noop_plan_vs_serial_md5sum[{size}]",
            f"zsync plan {fmt_s(best_plan)}",
            f"md5sum (serial) {fmt_s(best_md5sum)}",
            speedup,
            f">= {GOAL_RATIO:.2f}x faster",
            speedup >= GOAL_RATIO,
            note=f"best of {rounds}, page cache warm, start-up and requests included; ratio = md5sum / plan",
        ),
        timing(
            f"parallel.hashing_alone_vs_serial_md5sum[{size}]",
            f"zsync's hashing {fmt_s(best_hashing)}",
            f"md5sum (serial) {fmt_s(best_md5sum)}",
            best_md5sum / best_hashing,
            "reported (the plan's line less its start-up)",
            None,
            note=f"best of {rounds}; hash_files in this process, as many threads as the plan",
        ),
    ]


def _hashing_s(files: list[Path]) -> float:
    """The plan's hashing of `files`, alone: every file hashed (as a no-op plan does)."""
    local = stat_files(files)
    started = time.perf_counter()
    hashed = hash_files(local, {(f.key, f.size_bytes) for f in local})
    seconds = time.perf_counter() - started
    if not all(f.md5 for f in hashed):
        raise RuntimeError("hash_files left a file unhashed")
    return seconds
