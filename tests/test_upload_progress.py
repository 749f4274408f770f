"""Upload progress counts the bytes the server received, not the bytes read from disk or buffered.

The report that found it: with the server throttled to 1 MB/s and a 3.8 MiB file, the progress line
said `100.0% of 3.8 MiB (724.1 MiB/s)` after 1 s, then nothing until 5 s, because a block counted as
sent when it was read, before the socket (and its megabytes of kernel buffers) took it. These tests
throttle the emulator (`Faults(upload_bytes_per_s=...)`) and hold every progress report against
what the server can have received by then.
"""

from __future__ import annotations

import io
import itertools
import os
import time
from pathlib import Path
from typing import Any

import requests
from test_api import document, make_file

from zsync.api import RetryPolicy, ZenodoClient
from zsync.emulator import Emulator, Faults
from zsync.transport import PROGRESS_INTERVAL_S, Upload, _ProgressReader

RATE = 1_000_000  # bytes per second the server reads
SIZE = 5 * (1 << 19)  # 2.5 MiB: about 2.6 s at RATE
# What may be ahead of the server's reading: its socket's receive buffer, one slice, one read chunk.
SLACK = 1 << 20


def throttled_upload(
    emulator: Emulator, token: str, tmp_path: Path, session: requests.Session | None = None
) -> tuple[list[tuple[float, int, int]], float]:
    local = make_file(tmp_path, "big.bin", os.urandom(SIZE))
    with ZenodoClient(emulator.url, token, retry=RetryPolicy(max_attempts=1), session=session) as client:
        draft = client.create_draft(document())
        emulator.faults = Faults(upload_bytes_per_s=RATE)
        reports: list[tuple[float, int, int]] = []
        started = time.monotonic()
        client.upload_file(
            draft.id,
            local,
            progress=lambda sent, total: reports.append((time.monotonic() - started, sent, total)),
        )
        return reports, time.monotonic() - started


def test_progress_never_runs_ahead_of_what_a_throttled_server_received(
    emulator: Emulator, emulator_token: str, tmp_path: Path
) -> None:
    reports, duration_s = throttled_upload(emulator, emulator_token, tmp_path)

    assert duration_s >= SIZE / RATE * 0.9
    for at_s, sent, total in reports:
        assert total == SIZE
        assert sent <= RATE * at_s + SLACK, f"{sent} bytes reported sent after {at_s:.2f} s"
    assert [sent for _, sent, _ in reports] == sorted({sent for _, sent, _ in reports})  # rising
    assert reports[-1][1] == SIZE
    # A line a person can watch: it moves through the whole upload, not only at its start.
    times = [at_s for at_s, _, _ in reports]
    assert max(b - a for a, b in zip([0.0, *times], times, strict=False)) < 1.0
    assert any(sent < SIZE and at_s > 0.6 * duration_s for at_s, sent, _ in reports)


def test_reports_come_at_most_every_interval_but_the_last(
    emulator: Emulator, emulator_token: str, tmp_path: Path
) -> None:
    reports, _ = throttled_upload(emulator, emulator_token, tmp_path)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(reports[:-1])]  # the last comes when done
    assert min(gaps, default=PROGRESS_INTERVAL_S) >= PROGRESS_INTERVAL_S * 0.9


def test_through_a_session_of_the_callers_progress_still_rises_to_the_total(
    emulator: Emulator, emulator_token: str, tmp_path: Path
) -> None:
    """A session handed in is used as is (no adapter of zsync's): a block counts once the socket took it."""
    with requests.Session() as session:
        reports, _ = throttled_upload(emulator, emulator_token, tmp_path, session=session)
    assert reports[-1][1:] == (SIZE, SIZE)
    assert [sent for _, sent, _ in reports] == sorted({sent for _, sent, _ in reports})


def test_the_body_is_read_from_disk_in_blocks_never_whole() -> None:
    reads: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            reads.append(len(data))
            return data

        def readinto(self, buffer: Any) -> int:
            got = super().readinto(buffer)
            reads.append(got)
            return got

    total = 3 * (1 << 20) + 17
    reader = _ProgressReader(Upload(Recording(b"x" * total), total, None))
    assert len(reader) == total
    while reader.read(16384):
        pass
    assert reads == [1 << 20, 1 << 20, 1 << 20, 17, 0]  # and the probe that the file did not grow
