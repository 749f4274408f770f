"""What the benchmarks run in a child process, so that its memory and reads are zsync's alone.

    python -m benchmarks.child upload ENDPOINT RECORD_ID PATH MD5   (token in ZSYNC_BENCH_TOKEN)
        uploads one file to a draft with `ZenodoClient.upload_file`; prints {"seconds", "requests"}.
    python -m benchmarks.child sync RCHAR_OUT ZSYNC_ARGS...           (token in ZENODO_TOKEN)
        runs the `zsync` command in-process and writes the bytes it read (rchar) to RCHAR_OUT.
The parent reads the child's peak RSS from wait4's rusage.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from benchmarks.harness import read_rchar


def upload(endpoint: str, record_id: str, path: Path, md5: str) -> int:
    from zsync.api import ZenodoClient
    from zsync.models import LocalFile

    local = LocalFile(key=path.name, path=path, size_bytes=path.stat().st_size, md5=md5)
    with ZenodoClient(endpoint, os.environ["ZSYNC_BENCH_TOKEN"]) as client:
        started = time.perf_counter()
        client.upload_file(record_id, local)
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "requests": client.request_count}))
    return 0


def sync(rchar_out: Path, args: list[str]) -> int:
    # Import everything a sync imports first, so the count below is the run's reads, not imports.
    import zsync.api
    import zsync.cli
    import zsync.config
    import zsync.engine
    import zsync.report

    before = read_rchar()
    code = zsync.cli.main(args)
    rchar_out.write_text(str(read_rchar() - before), "ascii")
    return code


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "upload":
        endpoint, record_id, path, md5 = rest
        return upload(endpoint, record_id, Path(path), md5)
    if command == "sync":
        return sync(Path(rest[0]), rest[1:])
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
