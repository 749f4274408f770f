"""Folders as reproducible archives (`paths: [{archive: data.zip, from: raw/, include: [...]}]`).

The same files give the same bytes, whatever the mtimes, umask, owner or file-system order: members
are sorted by their path in the folder (kept, with `/`), every timestamp is 1980-01-01 00:00 UTC,
modes are 0644 (0755 when the owner may execute), and there are no owner names or ids. A `.zip` is
deflated and written as a stream (data descriptors); a `.tar.gz` is a PAX tar in a gzip stream
without name or time. The archive is written once, its MD5 computed on the way (no second read).
Compression is zlib's: identical wherever the same zlib is used (the action's image pins it).

Symlinks to files inside the folder are archived as the files they name; a symlink that points out of
the folder is refused; a symlink to a folder inside it is skipped (its files are archived where they
are).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, TYPE_CHECKING

from zsync import globs
from zsync.frozen import frozen
from zsync.models import Archive

if TYPE_CHECKING:
    from hashlib import _Hash

# 1980-01-01 00:00:00 UTC, the earliest time a zip entry can carry.
EPOCH = 315532800
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_BLOCK_BYTES = 1 << 20
SUFFIXES = (".zip", ".tar.gz", ".tgz")


class ArchiveError(Exception):
    """The folder cannot be archived as asked (a symlink out of it, ...); `str()` says why."""


@frozen
class Member:
    """A file of the archive: its name there (relative to the folder, `/`), where it is, its mode."""

    name: str
    path: Path
    size_bytes: int
    mode: int


def members(archive: Archive) -> list[Member]:
    """The files `archive` holds, sorted by name; raises ArchiveError for a symlink out of the folder."""
    root = archive.source
    real_root = Path(os.path.realpath(root))
    found: list[Member] = []
    for name, path in _candidates(root):
        if not any(globs.matches(p, name) for p in archive.include):
            continue
        if any(globs.matches(p, name) for p in archive.exclude):
            continue
        member = _member(name, path, real_root)
        if member is not None:
            found.append(member)
    return found


def _candidates(root: Path) -> list[tuple[str, Path]]:
    """Every entry under `root` that is a file or a symlink (symlinked folders included), sorted."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        here = Path(folder)
        prefix = here.relative_to(root).as_posix()
        linked = [d for d in dirs if (here / d).is_symlink()]
        for name in [*files, *linked]:
            found.append((name if prefix == "." else f"{prefix}/{name}", here / name))
    found.sort(key=lambda item: item[0])
    return found


def _member(name: str, path: Path, real_root: Path) -> Member | None:
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(real_root):
            raise ArchiveError(f"{name} is a symlink to {os.readlink(path)}, outside the folder")
        if target.is_dir():
            return None  # its files are archived where they are
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return None  # sockets, fifos, devices: not data
    mode = 0o755 if info.st_mode & stat.S_IXUSR else 0o644
    return Member(name, path, info.st_size, mode)


class _HashingWriter:
    """A write-only, non-seekable stream to a file that hashes what goes through it."""

    def __init__(self, out: IO[bytes]) -> None:
        import hashlib  # here: `zsync validate` of a config without archives never hashes

        self.out = out
        self.digest: _Hash = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        """The file is closed by its owner."""


def write(archive: Archive, found: list[Member], target: Path) -> tuple[int, str]:
    """Write the archive of `found` to `target`; its (size, MD5)."""
    with target.open("wb") as out:
        stream = _HashingWriter(out)
        if archive.kind == "zip":
            _write_zip(found, stream)
        else:
            _write_tar_gz(found, stream)
    return stream.size, stream.digest.hexdigest()


def _copy(source: Path, into: IO[bytes]) -> None:
    buffer = bytearray(_BLOCK_BYTES)
    view = memoryview(buffer)
    with source.open("rb", buffering=0) as stream:
        while count := stream.readinto(buffer):
            into.write(view[:count])


def _write_zip(found: list[Member], stream: _HashingWriter) -> None:
    import zipfile

    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member in found:
            info = zipfile.ZipInfo(member.name, date_time=_ZIP_TIME)
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = (stat.S_IFREG | member.mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = member.size_bytes
            with zf.open(info, "w", force_zip64=member.size_bytes >= zipfile.ZIP64_LIMIT) as into:
                _copy(member.path, into)


def _write_tar_gz(found: list[Member], stream: _HashingWriter) -> None:
    import gzip
    import tarfile

    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=stream, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in found:
            info = tarfile.TarInfo(member.name)
            info.size = member.size_bytes
            info.mtime = EPOCH
            info.mode = member.mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with member.path.open("rb") as source:
                tar.addfile(info, source)
