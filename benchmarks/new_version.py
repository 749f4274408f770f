"""Figure 4, a new version with 1 of 20 files changed: bytes uploaded divided by bytes changed.

The dataset is synced and published, one file gets new content, the version goes up, and
`zsync sync` opens the next version. The server-side count of content bytes (the emulator's log of
`PUT .../content`) must equal the size of the changed file, and the new draft must hold all 20
files with the local MD5s (the 19 others arrive through files-import, without re-upload).
"""

from __future__ import annotations

from benchmarks.harness import (
    Context,
    Line,
    emulator,
    fmt_bytes,
    invariant,
    mutating,
    set_version,
    timing,
    uploaded_bytes,
    write_dataset,
    write_random_file,
    zsync,
)
from zsync.localfiles import md5_of

FILE_COUNT = 20


def run(ctx: Context) -> list[Line]:
    file_bytes = 256_000 if ctx.quick else 10_000_000
    with emulator(ctx.workdir) as emu:
        config, files = write_dataset(
            ctx.workdir / "dataset", endpoint=emu.url, file_count=FILE_COUNT, file_bytes=file_bytes
        )
        zsync(["sync", "-q", str(config)]).check("first zsync sync")
        first_upload = uploaded_bytes(emu.request_log)
        id_file = config.parent / ".zenodo-record-id.txt"
        first_id = id_file.read_text("utf-8").strip()
        emu.publish(first_id)

        changed = write_random_file(files[7], file_bytes)
        set_version(config, "1.1.0")
        emu.clear_log()
        run = zsync(["sync", "-q", str(config)]).check("new-version zsync sync")
        log = emu.request_log
        sent = uploaded_bytes(log)
        new_id = id_file.read_text("utf-8").strip()
        stored = emu.draft_files(new_id) if new_id != first_id else {}
        wanted = {f.name: md5_of(f) for f in files}
        intact = {k: s.md5 for k, s in stored.items() if s.status == "completed"} == wanted
        changed_bytes = changed.stat().st_size
    return [
        invariant(
            f"new_version.bytes_uploaded_per_byte_changed[1 of {FILE_COUNT}]",
            f"{fmt_bytes(sent)} uploaded",
            f"{fmt_bytes(changed_bytes)} changed",
            sent / changed_bytes,
            "1.00",
            sent == changed_bytes,
        ),
        invariant(
            "new_version.draft_matches_local",
            f"{len(stored)} files, md5s {'match' if intact else 'DIFFER'}",
            f"{FILE_COUNT} local files",
            None,
            "all files, same md5",
            intact,
        ),
        timing(
            "new_version.upload_vs_first_sync",
            f"{fmt_bytes(sent)} in {len(log)} requests ({len(mutating(log))} mutating), {run.wall_s:.2f} s",
            f"first sync {fmt_bytes(first_upload)}",
            sent / first_upload,
            f"reported (1/{FILE_COUNT} = {1 / FILE_COUNT:.2f})",
            None,
        ),
    ]
