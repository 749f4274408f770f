"""Figure 1, hashing: zsync's MD5 of one large file against `md5sum` of the same file.

Both read the file from the page cache (one untimed pass warms it), best of a few interleaved
rounds. The invariant: a scan reads each local file exactly once, counted as the bytes the process
read (/proc/self/io `rchar`) around `scan()`, against the bytes on disk.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import (
    GB,
    MIB,
    Context,
    Line,
    fmt_bytes,
    fmt_rate,
    invariant,
    read_rchar,
    run_child,
    timing,
    write_random_file,
)
from zsync.localfiles import md5_of, scan

# Reads past the end of a file cost nothing but a syscall; allow that much slack per file.
SLACK_BYTES_PER_FILE = 64 * 1024


def _md5sum(path: Path) -> tuple[str, float]:
    run = run_child(["md5sum", str(path)]).check("md5sum")
    return run.stdout.split()[0], run.wall_s


def _zsync_md5(path: Path) -> tuple[str, float]:
    started = time.perf_counter()
    digest = md5_of(path)
    return digest, time.perf_counter() - started


def run(ctx: Context) -> list[Line]:
    size = 64 * MIB if ctx.quick else 1 * GB
    rounds = 3
    big = write_random_file(ctx.workdir / "big.bin", size)
    expected, _ = _md5sum(big)  # also warms the page cache for both contenders
    zsync_s: list[float] = []
    md5sum_s: list[float] = []
    digests: set[str] = set()
    for _ in range(rounds):
        digest, seconds = _zsync_md5(big)
        digests.add(digest)
        zsync_s.append(seconds)
        md5sum_s.append(_md5sum(big)[1])
    best_zsync, best_md5sum = min(zsync_s), min(md5sum_s)
    speed_ratio = best_md5sum / best_zsync  # zsync's speed as a share of md5sum's
    lines = [
        invariant(
            f"hashing.md5_matches_md5sum[{fmt_bytes(size)}]",
            "same digest" if digests == {expected} else f"{sorted(digests)} != {expected}",
            "md5sum",
            None,
            "identical",
            digests == {expected},
        ),
        timing(
            f"hashing.throughput[{fmt_bytes(size)}]",
            fmt_rate(size, best_zsync),
            f"md5sum {fmt_rate(size, best_md5sum)}",
            speed_ratio,
            ">= 0.90",
            speed_ratio >= 0.9,
            note=f"best of {rounds}, page cache warm",
        ),
    ]

    # Read-once: a scan of the big file and a few small ones reads exactly their bytes.
    small = [write_random_file(ctx.workdir / f"small-{i}.bin", 100_000 + i) for i in range(10)]
    paths = [big, *small]
    on_disk = sum(p.stat().st_size for p in paths)
    before = read_rchar()
    scanned = scan(paths)
    read_bytes = read_rchar() - before
    once = on_disk <= read_bytes <= on_disk + SLACK_BYTES_PER_FILE * len(paths)
    lines.append(
        invariant(
            f"hashing.bytes_read_per_byte[{len(paths)} files]",
            f"{fmt_bytes(read_bytes)} read",
            f"{fmt_bytes(on_disk)} on disk",
            read_bytes / on_disk,
            "1.00 (each file read once)",
            once and scanned[0].md5 == expected,
        )
    )
    return lines
