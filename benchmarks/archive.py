"""Figure 9, folders as archives: reproducibility (the same files give the same bytes whatever the
order they were written in, their mtimes and the umask; one changed file gives another MD5), for a
.zip and a .tar.gz, and the time to build one against `tar -czf` of the same folder.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

from benchmarks.harness import Context, Line, fmt_bytes, fmt_s, invariant, run_child, skipped, timing
from zsync import archives
from zsync.models import Archive


def _folder(root: Path, names: list[str], content: dict[str, bytes], *, mtime: int, umask: int) -> Path:
    old = os.umask(umask)
    try:
        for name in names:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content[name])
            os.utime(path, (mtime, mtime))
    finally:
        os.umask(old)
    return root


def _build(folder: Path, key: str, target: Path) -> tuple[int, str, float]:
    spec = Archive(key, folder)
    started = time.perf_counter()
    size, md5 = archives.write(spec, archives.members(spec), target)
    return size, md5, time.perf_counter() - started


def run(ctx: Context) -> list[Line]:
    count, each = (50, 20_000) if ctx.quick else (400, 250_000)
    rng = random.Random(13)
    names = [f"sub{i % 7}/deeper{i % 3}/f{i:04d}.dat" for i in range(count)]
    content = {n: rng.randbytes(each // 2) + bytes(each // 2) for n in names}  # half compressible
    one = _folder(ctx.workdir / "one", names, content, mtime=1_000_000_000, umask=0o022)
    shuffled = names[:]
    rng.shuffle(shuffled)
    two = _folder(ctx.workdir / "two", shuffled, content, mtime=1_750_000_000, umask=0o077)
    lines: list[Line] = []
    seconds = 0.0
    for key in ("data.zip", "data.tar.gz"):
        a = _build(one, key, ctx.workdir / f"one-{key}")
        b = _build(two, key, ctx.workdir / f"two-{key}")
        seconds = a[2] if key.endswith(".tar.gz") else seconds
        same = (ctx.workdir / f"one-{key}").read_bytes() == (ctx.workdir / f"two-{key}").read_bytes()
        (two / names[0]).write_bytes(content[names[0]][:-1] + b"!")
        c = _build(two, key, ctx.workdir / f"three-{key}")
        (two / names[0]).write_bytes(content[names[0]])
        lines.append(
            invariant(
                f"archive.reproducible[{key}, {count} files]",
                "same bytes" if same and a[1] == b[1] else f"md5 {a[1]} != {b[1]}",
                "other order, mtimes, umask",
                None,
                "identical bytes; one changed file changes the MD5",
                same and a[1] == b[1] and c[1] != a[1],
                note=f"{fmt_bytes(a[0])}",
            )
        )
    tar = shutil.which("tar")
    if tar is None:
        lines.append(skipped("archive.build_time[tar.gz]", "reported", "no tar on PATH"))
        return lines
    baseline = run_child([tar, "-czf", str(ctx.workdir / "tar.tar.gz"), "-C", str(one), "."]).check("tar")
    lines.append(
        timing(
            f"archive.build_time[tar.gz, {count} files, {fmt_bytes(count * each)}]",
            f"zsync {fmt_s(seconds)}",
            f"tar -czf {fmt_s(baseline.wall_s)}",
            seconds / baseline.wall_s if baseline.wall_s else None,
            "reported",
            None,
            note="zsync also hashes the archive as it writes it; tar's time includes its start-up",
        )
    )
    return lines
