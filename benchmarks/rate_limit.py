"""Figure 5, many small files under the rate limit: 100 files of 10 kB against an emulator enforcing
a time-scaled limit (100 requests per 6 s; 2 s in --quick), total time against the floor the limit
imposes for the requests needed, and the number of 429 answers received (goal: none).

The floor is what an ideal client would take: the same sync measured unthrottled in this run, with
every full window but the last stretched to the window length (a client that knew the server's
clock would send each window's requests at full speed, then wait exactly for the reset):

    floor = T_free - span_free * (N - N_last) / N + (windows - 1) * window_s

where N is the number of requests the sync needs, `windows = ceil(N / limit)`, N_last the requests of
the last window and `span_free` the time from the first request to the end of the last one,
unthrottled. The emulator's window is fixed and starts at the first request after the previous one
ran out; its `X-RateLimit-Reset` is whole epoch seconds, as Zenodo's.
"""

from __future__ import annotations

import math

from benchmarks.harness import (
    UNLIMITED,
    Context,
    Line,
    emulator,
    fmt_s,
    invariant,
    ratio,
    status_count,
    timing,
    write_dataset,
    zsync,
)
from zsync.emulator import LoggedRequest, RateLimit

FILE_COUNT = 100
FILE_BYTES = 10_000
LIMIT = 100
GOAL_RATIO = 1.15


def _span_s(log: list[LoggedRequest]) -> float:
    first = min(e.started_at for e in log)
    last_end = max(e.started_at + e.elapsed_s for e in log)
    return last_end - first


def run(ctx: Context) -> list[Line]:
    window_s = 2.0 if ctx.quick else 6.0
    with emulator(ctx.workdir) as emu:
        emu.rate_limit = UNLIMITED
        free_config, _ = write_dataset(
            ctx.workdir / "free", endpoint=emu.url, file_count=FILE_COUNT, file_bytes=FILE_BYTES
        )
        free = zsync(["sync", "-q", str(free_config)]).check("unthrottled zsync sync")
        free_log = emu.request_log
        n_free, span_free = len(free_log), _span_s(free_log)

        limited_config, _ = write_dataset(
            ctx.workdir / "limited", endpoint=emu.url, file_count=FILE_COUNT, file_bytes=FILE_BYTES
        )
        emu.rate_limit = RateLimit(limit=LIMIT, window_s=window_s, enforce=True)
        emu.clear_log()
        limited = zsync(["sync", "-q", str(limited_config)]).check("rate-limited zsync sync")
        log = emu.request_log
        emu.rate_limit = UNLIMITED
    too_many = status_count(log, 429)
    needed = len(log) - too_many
    windows = math.ceil(needed / LIMIT)
    in_last = needed - (windows - 1) * LIMIT
    floor_s = max(
        free.wall_s, free.wall_s - span_free * (needed - in_last) / needed + (windows - 1) * window_s
    )
    slowdown = ratio(limited.wall_s, floor_s)
    label = f"{FILE_COUNT} x {FILE_BYTES // 1000} kB, {LIMIT} req/{window_s:g} s"
    return [
        invariant(
            f"rate_limit.answers_429[{label}]",
            f"{too_many} of {len(log)} requests",
            "0",
            None,
            "0",
            too_many == 0,
        ),
        invariant(
            "rate_limit.requests_needed",
            f"{needed} requests throttled",
            f"{n_free} unthrottled",
            ratio(needed, n_free),
            "1.00 (pacing adds no request)",
            needed == n_free,
        ),
        timing(
            f"rate_limit.total_time[{label}]",
            fmt_s(limited.wall_s),
            f"floor {fmt_s(floor_s)} ({windows} windows; unthrottled {fmt_s(free.wall_s)})",
            slowdown,
            f"<= {GOAL_RATIO:.2f}",
            slowdown is not None and slowdown <= GOAL_RATIO,
        ),
    ]
