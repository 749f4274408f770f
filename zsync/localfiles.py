"""The local side of a sync: the files listed in `paths`, with their size and MD5.

Each file is read exactly once per run, in large blocks (constant memory whatever its size); the
MD5 is what Zenodo reports for a committed file, so comparing (key, size, md5) tells whether a
remote file is current without downloading anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from zsync import archives
from zsync.models import Archive, LocalFile

# 1 MiB reads: large enough that the per-call overhead vanishes next to MD5 itself.
_BLOCK_BYTES = 1 << 20


def md5_of(path: Path) -> str:
    """Hex MD5 of a file, streamed."""
    digest = hashlib.md5(usedforsecurity=False)
    buffer = bytearray(_BLOCK_BYTES)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as stream:
        while count := stream.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def scan(
    paths: Sequence[Path], *, on_file: Callable[[LocalFile], None] | None = None
) -> tuple[LocalFile, ...]:
    """Stat and hash every path (already validated by the config loader), in `paths` order."""
    files = []
    for path in paths:
        local = LocalFile(key=path.name, path=path, size_bytes=path.stat().st_size, md5=md5_of(path))
        if on_file is not None:
            on_file(local)
        files.append(local)
    return tuple(files)


def build_archives(folders: Sequence[Archive], workdir: Path) -> tuple[LocalFile, ...]:
    """Each folder written as its reproducible archive into `workdir` (a temporary folder the caller
    removes), with its size, MD5 (computed while writing) and member count."""
    built = []
    for folder in folders:
        found = archives.members(folder)
        target = workdir / folder.key
        size, md5 = archives.write(folder, found, target)
        built.append(LocalFile(key=folder.key, path=target, size_bytes=size, md5=md5, members=len(found)))
    return tuple(built)
