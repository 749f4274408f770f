"""The local side of a sync: the files listed in `paths`, with their size and MD5.

Each file is read exactly once per run, in large blocks (constant memory whatever its size); the
MD5 is what Zenodo reports for a committed file, so comparing (key, size, md5) tells whether a
remote file is current without downloading anything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from zsync.errors import LocalFileChanged
from zsync.models import LocalFile

# 1 MiB reads: large enough that the per-call overhead vanishes next to MD5 itself.
_BLOCK_BYTES = 1 << 20


def md5_of(path: Path) -> str:
    """Hex MD5 of a file, streamed."""
    return _hashed(path)[0]


def _hashed(path: Path) -> tuple[str, int, int]:
    """(MD5, size, mtime) of one read of the file; raises LocalFileChanged when it changed under it."""
    digest = hashlib.md5(usedforsecurity=False)
    buffer = bytearray(_BLOCK_BYTES)
    view = memoryview(buffer)
    read = 0
    with path.open("rb", buffering=0) as stream:
        before = os.fstat(stream.fileno())
        while count := stream.readinto(buffer):
            digest.update(view[:count])
            read += count
        after = os.fstat(stream.fileno())
    if read != after.st_size or (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        raise LocalFileChanged(path.name, "changed while zsync was hashing it (before uploading)")
    return digest.hexdigest(), read, after.st_mtime_ns


def scan(
    paths: Sequence[Path], *, on_file: Callable[[LocalFile], None] | None = None
) -> tuple[LocalFile, ...]:
    """Stat and hash every path (already validated by the config loader), in `paths` order; a file
    deleted since the config was checked raises LocalFileChanged."""
    files = []
    for path in paths:
        try:
            md5, size, mtime_ns = _hashed(path)
        except FileNotFoundError:
            raise LocalFileChanged(path.name, "was deleted before zsync could hash it") from None
        local = LocalFile(key=path.name, path=path, size_bytes=size, md5=md5, mtime_ns=mtime_ns)
        if on_file is not None:
            on_file(local)
        files.append(local)
    return tuple(files)
