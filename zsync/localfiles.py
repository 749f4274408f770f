"""The local side of a sync: the files listed in `paths`, with their size and MD5.

Each byte is read once per run, in large blocks (constant memory whatever its size). The MD5 is
what Zenodo reports for a committed file, so comparing (key, size, md5) tells whether a remote file
is current without downloading anything. Only a file whose key and size match a remote file needs
that: `stat_files` gives sizes, `hash_files` hashes the files that need it (in parallel: hashlib
releases the GIL), and a file uploaded anyway is hashed as it is sent (`HashingReader`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zsync import archives
from zsync.errors import LocalFileChanged
from zsync.frozen import replace
from zsync.models import Archive, LocalFile

if TYPE_CHECKING:
    from typing import IO

    BinaryReader = IO[bytes]

# 1 MiB reads: large enough that the per-call overhead vanishes next to MD5 itself.
_BLOCK_BYTES = 1 << 20


def md5_of(path: Path) -> str:
    """Hex MD5 of a file, streamed; LocalFileChanged when it is gone, or changed while it was read."""
    digest = hashlib.md5(usedforsecurity=False)
    buffer = bytearray(_BLOCK_BYTES)
    view = memoryview(buffer)
    read = 0
    try:
        stream = path.open("rb", buffering=0)
    except FileNotFoundError:
        raise LocalFileChanged(path.name, "was deleted before zsync could hash it") from None
    with stream:
        before = os.fstat(stream.fileno())
        while count := stream.readinto(buffer):
            digest.update(view[:count])
            read += count
        after = os.fstat(stream.fileno())
    if read != after.st_size or (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        raise LocalFileChanged(path.name, "changed while zsync was hashing it")
    return digest.hexdigest()


def stat_files(paths: Sequence[Path]) -> tuple[LocalFile, ...]:
    """Key, size and modification time of every path (already validated by the config loader), in
    `paths` order; no MD5. A file deleted since the config was checked raises LocalFileChanged."""
    return tuple(_stat(p) for p in paths)


def _stat(path: Path) -> LocalFile:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LocalFileChanged(path.name, "was deleted after zsync checked the config") from None
    return LocalFile(key=path.name, path=path, size_bytes=info.st_size, md5=None, mtime_ns=info.st_mtime_ns)


# Each hashing thread holds one block; together they may use at most this share of free memory.
_MEMORY_SHARE = 8


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask on Linux, else all of them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers(count: int) -> int:
    """Threads to hash `count` files with: at most one per core this process may use, and as many
    blocks as a small share of the available memory holds."""
    cores = usable_cores()
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        available = 1 << 30
    by_memory = max(1, available // _MEMORY_SHARE // _BLOCK_BYTES)
    return max(1, min(count, cores, by_memory))


def hash_files(
    files: Sequence[LocalFile], needed: Collection[tuple[str, int | None]]
) -> tuple[LocalFile, ...]:
    """`files`, with the MD5 of those whose (key, size) is in `needed`, hashed in parallel; the
    order is `files`' whatever finishes first."""
    todo = [f for f in files if f.md5 is None and (f.key, f.size_bytes) in needed]
    if not todo:
        return tuple(files)
    if len(todo) == 1:
        digests = [md5_of(todo[0].path)]
    else:
        from concurrent.futures import ThreadPoolExecutor  # here: a run that hashes nothing needs no pool

        with ThreadPoolExecutor(max_workers=workers(len(todo)), thread_name_prefix="zsync-md5") as pool:
            digests = list(pool.map(md5_of, [f.path for f in todo]))
    found = {f.key: digest for f, digest in zip(todo, digests, strict=True)}
    return tuple(replace(f, md5=found[f.key]) if f.key in found else f for f in files)


class HashingReader:
    """An open binary file read through: the bytes read so far are hashed (MD5), so a file that is
    uploaded is hashed on the way instead of in a pass of its own."""

    def __init__(self, stream: BinaryReader) -> None:
        self._stream = stream
        self._digest = hashlib.md5(usedforsecurity=False)

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def scan(paths: Sequence[Path]) -> tuple[LocalFile, ...]:
    """Stat and hash every path, in `paths` order."""
    files = stat_files(paths)
    return hash_files(files, {(f.key, f.size_bytes) for f in files})


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
