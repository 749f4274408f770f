"""Write a file atomically, the way every writer of files in zsync does (issue #11, item 7).

The text goes to a temporary file in the same folder, is flushed to disk, and replaces the target
with one rename: a reader (or a run killed half-way) sees the old content or the new, never a part.
The new file gets the mode a plain `open(path, "w")` would give it: an existing file keeps its
mode, a new one gets 0666 minus the umask (0644 typically), not mkstemp's 0600, which would outlive
the rename (the Action's container runs as root; the workflow's later steps, as the runner's user,
must still read and `git add` the file). The folder is never created: a missing one is an error.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def write_text(path: Path, text: str) -> None:
    """Replace `path` by `text` (UTF-8), atomically. Raises FileNotFoundError when the folder does
    not exist (it is not created), and the OSError of a full disk or a read-only folder, the
    target untouched."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(folder))
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=".zsync-", dir=folder)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
