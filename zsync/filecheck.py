"""The file-system pass of the config loader: do the files the zenodo.yaml names look right?

The walk (`zsync.configrules`) only resolves paths and records a check for each file here; the
checks run after the walk, and only with `check_files=True`, so `check_files=False` never touches
the file system beyond the config itself. The checks: the data files exist, are regular, are not
empty, are at most 50 GB each and in total; the readme exists; the record-id file, when it
exists, holds one number. (The number of files and their base names are checked by the walk.)

The walk defers each check with the `Spot` its problems go to (the field, the line, and where
the walk was), so that they are merged back in the order they always had
(`zsync.loader.walk.Walker.merged`): `walk.defer(partial(filecheck.readme, spot, text, path))`.
"""

from __future__ import annotations

from pathlib import Path

from zsync import doitext
from zsync.loader.walk import Late, Spot
from zsync.models import Archive

# Zenodo's limits (see the InvenioRDM contract): bytes per file and per record.
MAX_FILE_BYTES = 50 * 10**9
MAX_TOTAL_BYTES = 50 * 10**9

_RECORD_ID_HINT = (
    "write the id of the record (the number at the end of its Zenodo URL), "
    "or delete the file so that zsync creates a new record"
)


_FOLDER_HINT = "create the folder (and commit a file in it), or fix the path"


def _gb(size_bytes: int) -> str:
    return f"{size_bytes / 10**9:.1f} GB"


def record_id_file(spot: Spot, path: Path, file: str) -> list[Late]:
    """The record-id file, when it exists, holds one record id (a number)."""
    folder = _folder_problem(path)
    if folder is not None:
        return [spot.problem(file, folder, _FOLDER_HINT)]
    message = _record_id_problem(path)
    return [] if message is None else [spot.problem(file, message, _RECORD_ID_HINT)]


def _record_id_problem(path: Path) -> str | None:
    if not path.exists():
        return None
    if not path.is_file():
        return f"{path} is not a regular file"
    try:
        content = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {path}: {exc}"
    if not content:
        return f"{path} is empty; it must hold one record id (a number)"
    if not (content.isascii() and content.isdigit()):
        shown = content if len(content) <= 40 else content[:37] + "..."
        return f"{path} must hold one record id (a number), not {shown!r}"
    return None


def _folder_problem(path: Path) -> str | None:
    """zsync writes the id file but never creates folders: a typo must not grow a directory tree."""
    if path.exists() or path.parent.is_dir():
        return None
    return f"the folder of {path} does not exist; zsync writes the id file there but creates no folders"


def readme(spot: Spot, text: str, path: Path, file: str) -> list[Late]:
    """The readme (`text` as written in the config) exists and is a file."""
    if path.is_file():
        return []
    what = "is a directory" if path.is_dir() else "does not exist"
    return [spot.problem(file, f"{text!r} {what} ({path})")]


def write_back_file(spot: Spot, kind: str, text: str, path: Path, file: str) -> list[Late]:
    """A file of `write_back` exists, and a README has the markers the badge goes between."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        return [
            spot.problem(file, f"{text!r} {what} ({path})", "zsync writes into a file you keep; create it")
        ]
    if kind != "readme_badge":
        return []
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [spot.problem(file, f"cannot read {text!r}: {exc}")]
    if doitext.has_badge_markers(content):
        return []
    return [
        spot.problem(
            file,
            f"{text!r} has no {doitext.BADGE_START} ... {doitext.BADGE_END} markers",
            "put the two markers, each on its own line, where the badge goes",
        )
    ]


DataFile = tuple[Spot, str, Path]
"""A data file: where its problems go, its path as written, its path resolved."""


def data_files(files: tuple[DataFile, ...], total: Spot, file: str) -> list[Late]:
    """The data files one by one, then their total size (at `total`)."""
    found = []
    total_bytes = 0
    for spot, text, path in files:
        size, messages = _data_file(text, path)
        total_bytes += size
        found += [spot.problem(file, message, hint) for message, hint in messages]
    if total_bytes > MAX_TOTAL_BYTES:
        message = (
            f"the files add up to {_gb(total_bytes)}; Zenodo allows at most {_gb(MAX_TOTAL_BYTES)} per record"
        )
        found.append(total.problem(file, message))
    return found


def _data_file(text: str, path: Path) -> tuple[int, list[tuple[str, str | None]]]:
    """The size of a data file (0 when it cannot be published) and its problems."""
    try:
        info = path.stat()
    except OSError:
        return 0, [(f"{text!r} does not exist ({path})", None)]
    except ValueError as exc:  # "embedded null byte": no file system has such a name
        return 0, [(f"{text!r} is not a usable file name ({exc})", None)]
    if path.is_dir():
        hint = f"zip it (zip -r {path.name}.zip {text}) and list the zip, or list its files one by one"
        return 0, [(f"{text!r} is a directory; Zenodo has no folders", hint)]
    if not path.is_file():
        return 0, [(f"{text!r} is not a regular file", None)]
    if info.st_size == 0:
        return 0, [(f"{text!r} is empty (0 bytes); Zenodo refuses empty files", None)]
    if info.st_size > MAX_FILE_BYTES:
        message = f"{text!r} is {_gb(info.st_size)}; Zenodo allows at most {_gb(MAX_FILE_BYTES)} per file"
        return info.st_size, [(message, None)]
    return info.st_size, []


def archive(spot: Spot, folder: Archive, file: str) -> list[Late]:
    """A folder to archive: it exists, is a folder, its files can be archived, and some are included."""
    from zsync import archives

    where = folder.source
    if not where.is_dir():
        what = "does not exist" if not where.exists() else "is not a folder"
        return [spot.problem(file, f"the folder of {folder.key!r} {what} ({where})")]
    try:
        found = archives.members(folder)
    except (archives.ArchiveError, OSError) as exc:
        hint = "copy the file into the folder, or exclude it"
        return [spot.problem(file, f"cannot archive {where}: {exc}", hint)]
    if not found:
        hint = "check from:, include: and exclude:"
        return [spot.problem(file, f"{folder.key!r} would be empty: no file of {where} is included", hint)]
    return []


def record_ids_by_version(spot: Spot, path: Path, file: str) -> list[Late]:
    """stepup-reprep 1.x's path_versions file, when it exists: a JSON object {version: record id}."""
    folder = _folder_problem(path)
    if folder is not None:
        return [spot.problem(file, folder, _FOLDER_HINT)]
    message = _versions_problem(path)
    hint = 'it holds {"1.0.0": 1234567}, the record id of each version; or delete it to start a new record'
    return [] if message is None else [spot.problem(file, message, hint)]


def _versions_problem(path: Path) -> str | None:
    if not path.exists():
        return None
    if not path.is_file():
        return f"{path} is not a regular file"
    import json  # only for a stepup-reprep 1.x config

    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"cannot read {path} as JSON: {exc}"
    if not isinstance(data, dict) or not all(
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit())
        for v in data.values()
    ):
        return f"{path} must be a JSON object of record ids by version"
    return None


# --------------------------------------------------------------------------- staying in the repository


def repository_root(config_folder: Path) -> Path:
    """The git work tree the config is in (the nearest folder holding `.git`), else its own folder;
    symlinks resolved."""
    folder = config_folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def outside(files: tuple[DataFile, ...], roots: tuple[Path, ...], file: str) -> list[Late]:
    """The files (symlinks resolved) in none of `roots`: a config must not publish /etc/passwd
    through `../../etc/passwd` or a symlink, unless it says `allow_outside: true`."""
    found = []
    for spot, text, path in files:
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):
            continue  # a loop or a bad name: the existence check reports it
        if not any(real == root or root in real.parents for root in roots):
            via = "" if real == path else f" (through a symlink, to {real})"
            message = f"{text!r} is outside the repository {' or '.join(map(str, sorted(roots)))}{via}"
            found.append(spot.problem(file, message, _OUTSIDE_HINT))
    return found


_OUTSIDE_HINT = "copy the file into the repository, or set allow_outside: true if publishing it is intended"
