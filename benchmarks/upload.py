"""Figure 2, upload: zsync streaming one large file to the emulator against `curl -T` of the same file
to the same endpoint, and the peak RSS of the zsync process at two file sizes.

zsync runs in a child process (`benchmarks.child upload`: `ZenodoClient.upload_file`, i.e. init,
content, commit and verification) so its peak RSS is its own, read from wait4's rusage. curl sends
the content PUT only (the entry is initialised and committed around it by the parent), so the
comparison slightly favours curl. The token reaches curl through a config file, never argv.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmarks.harness import (
    GB,
    MIB,
    TOKEN,
    Context,
    Line,
    child_env,
    emulator,
    fmt_bytes,
    fmt_rate,
    invariant,
    run_child,
    timing,
    write_random_file,
)
from zsync.api import ZenodoClient
from zsync.emulator import Emulator
from zsync.localfiles import md5_of

RSS_LIMIT_BYTES = 100 * 10**6
# Doubling the file may not grow the peak RSS by more than this (allocator noise, not the file).
RSS_GROWTH_LIMIT_BYTES = 8 * 10**6

_DRAFT = {
    "metadata": {"title": "zsync upload benchmark", "resource_type": {"id": "dataset"}},
    "access": {"record": "public", "files": "public"},
    "files": {"enabled": True},
}


def _zsync_upload(ctx: Context, emu: Emulator, draft_id: str, path: Path, md5: str) -> tuple[float, int]:
    """(seconds inside upload_file, peak RSS of the process)."""
    run = run_child(
        [ctx.python(), "-m", "benchmarks.child", "upload", emu.url, draft_id, str(path), md5],
        env=child_env({"ZSYNC_BENCH_TOKEN": TOKEN}),
    ).check("zsync upload")
    return float(json.loads(run.stdout)["seconds"]), run.peak_rss_bytes


def _curl_upload(ctx: Context, client: ZenodoClient, emu: Emulator, draft_id: str, path: Path) -> float:
    client.init_files(draft_id, [path.name])
    config = ctx.workdir / "curl.conf"
    config.touch(mode=0o600)
    config.write_text(
        "\n".join(
            [
                f'url = "{emu.url}/records/{draft_id}/draft/files/{path.name}/content"',
                f'upload-file = "{path}"',
                f'header = "Authorization: Bearer {TOKEN}"',
                'header = "Content-Type: application/octet-stream"',
                'header = "Accept: application/json"',
                'user-agent = "curl-baseline (zsync benchmarks)"',
                "silent",
                "show-error",
                "fail",
                'output = "/dev/null"',
            ]
        )
        + "\n",
        "utf-8",
    )
    try:
        run = run_child(["curl", "-K", str(config)]).check("curl -T")
    finally:
        config.unlink()
    client.commit_file(draft_id, path.name)
    return run.wall_s


def _stored_ok(emu: Emulator, draft_id: str, path: Path, md5: str) -> bool:
    stored = emu.draft_files(draft_id).get(path.name)
    return bool(
        stored
        and stored.status == "completed"
        and stored.md5 == md5
        and stored.size_bytes == path.stat().st_size
    )


def run(ctx: Context) -> list[Line]:
    small_size, large_size = (64 * MIB, 128 * MIB) if ctx.quick else (1 * GB, 2 * GB)
    rounds = 4
    lines: list[Line] = []
    with emulator(ctx.workdir) as emu, ZenodoClient(emu.url, TOKEN) as client:
        draft_id = client.create_draft(_DRAFT).id
        small = write_random_file(ctx.workdir / "upload-small.bin", small_size)
        small_md5 = md5_of(small)
        zsync_s: list[float] = []
        curl_s: list[float] = []
        small_rss = 0
        all_stored = True
        # Whoever uploads right after the other's 1 GB was written and deleted pays for the kernel's
        # writeback of it (measured: the order alone swung the ratio from 0.64 to 1.65). So each upload
        # starts after os.sync(), and the order alternates (ABBA...), so neither side always goes first.
        for round_number in range(rounds):
            for who in ("zsync", "curl") if round_number % 2 == 0 else ("curl", "zsync"):
                os.sync()
                if who == "zsync":
                    seconds, rss = _zsync_upload(ctx, emu, draft_id, small, small_md5)
                    zsync_s.append(seconds)
                    small_rss = max(small_rss, rss)
                else:
                    curl_s.append(_curl_upload(ctx, client, emu, draft_id, small))
                all_stored &= _stored_ok(emu, draft_id, small, small_md5)
                client.delete_file(draft_id, small.name)
        small.unlink()

        large = write_random_file(ctx.workdir / "upload-large.bin", large_size)
        large_md5 = md5_of(large)
        _, large_rss = _zsync_upload(ctx, emu, draft_id, large, large_md5)
        all_stored &= _stored_ok(emu, draft_id, large, large_md5)
        client.delete_file(draft_id, large.name)
        large.unlink()

    best_zsync, best_curl = min(zsync_s), min(curl_s)
    speed_ratio = best_curl / best_zsync
    lines.append(
        invariant(
            "upload.stored_intact",
            "size and md5 match" if all_stored else "MISMATCH",
            "local file",
            None,
            "identical",
            all_stored,
        )
    )
    lines.append(
        timing(
            f"upload.throughput[{fmt_bytes(small_size)}]",
            fmt_rate(small_size, best_zsync),
            f"curl -T {fmt_rate(small_size, best_curl)}",
            speed_ratio,
            ">= 0.80",
            speed_ratio >= 0.8,
            note=f"best of {rounds}, same emulator endpoint",
        )
    )
    for size, rss in ((small_size, small_rss), (large_size, large_rss)):
        lines.append(
            invariant(
                f"upload.peak_rss[{fmt_bytes(size)}]",
                fmt_bytes(rss),
                f"file {fmt_bytes(size)}",
                rss / size,
                f"<= {fmt_bytes(RSS_LIMIT_BYTES)}",
                rss <= RSS_LIMIT_BYTES,
            )
        )
    growth = large_rss - small_rss
    lines.append(
        invariant(
            "upload.peak_rss_constant",
            f"{fmt_bytes(large_rss)} at {fmt_bytes(large_size)}",
            f"{fmt_bytes(small_rss)} at {fmt_bytes(small_size)}",
            large_rss / small_rss if small_rss else None,
            f"1.00 (grows < {fmt_bytes(RSS_GROWTH_LIMIT_BYTES)} when the file doubles)",
            growth < RSS_GROWTH_LIMIT_BYTES,
        )
    )
    return lines
