"""`paths`: the files to publish, as paths, globs and folders archived.

An item of `paths` is one of
- a path (`data/a.csv`), relative to the config's folder;
- a glob (`results/*.csv`, `figures/**/*.pdf`), expanded in sorted order (`zsync.globs`); one that
  matches nothing is an error unless written `{path: 'results/*.csv', optional: true}`;
- a folder published as one archive: `{archive: data.zip, from: raw/, include: [...], exclude: [...]}`
  (`zsync.archives`; also `.tar.gz`).
Every file is published under its base name (Zenodo has no folders), so two files with the same name
are an error naming both. The walk expands the globs (reading folder listings only); whether the
files are fine, and that a glob matched something, is checked after the walk (`zsync.filecheck`).
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

from zsync import archives, filecheck, globs
from zsync.configrules import MAX_FILES, MAX_KEY_CHARS, defer_inside, resolve
from zsync.loader.walk import (
    Cursor,
    Record,
    Row,
    Shape,
    Walker,
    control_problem,
    list_of,
    record,
    sequence,
    string,
    text,
)
from zsync.models import Archive, PatternMatch

_PATHS_EXAMPLE = "for example paths: [data/measurements.csv]"
_ARCHIVE_EXAMPLE = "for example {archive: data.zip, from: raw/}"


class Listed:
    """What `paths` lists, once expanded: the data files, the archives, what each glob matched.
    (A plain class: a dataclass would cost `zsync validate` a millisecond of exec, zsync.frozen.)"""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.archives: list[Archive] = []
        self.patterns: list[PatternMatch] = []
        self.checks: list[filecheck.DataFile] = []
        # What must stay in the repository, by the walk it came from (the config's, the command line's).
        self.inside: dict[Walker, list[filecheck.DataFile]] = {}
        self.seen: dict[str, tuple[str, str, Path]] = {}

    def fields(self) -> dict[str, Any]:
        """The fields of `Config` it gives."""
        patterns = tuple(self.patterns)
        return {"paths": tuple(self.files), "archives": tuple(self.archives), "patterns": patterns}


def paths_required(walk: Walker) -> str | None:
    """The hint of a missing `paths`; None when the files are given as arguments instead."""
    if walk.argument_files is not None:
        return None
    if walk.generation == "4.x":
        return (
            "stepup-reprep 4.x took the files as arguments: zsync sync CONFIG FILE... does too; "
            "or list them here, paths: [data/measurements.csv]"
        )
    return _PATHS_EXAMPLE


def paths(at: Cursor) -> Listed | None:
    """The data files: at least one, at most `MAX_FILES`, unique base names (Zenodo has no folders);
    the files given as arguments come after the config's."""
    items = sequence(at, _PATHS_EXAMPLE)
    if items is None:
        return None
    extra = _argument_items(at.walk)
    if not items and not extra:
        at.add("lists no files; Zenodo needs at least one file", _PATHS_EXAMPLE)
        return None
    return _data_paths(at, items + extra)


def argument_paths(top: Record) -> Listed | None:
    """`paths` when the config has none: the files given as arguments (or None: it was required)."""
    at = top.cursor.walk.argument_files
    return None if at is None else _data_paths(at, _argument_items(top.cursor.walk))


def _argument_items(walk: Walker) -> list[Cursor]:
    return [] if walk.argument_files is None else sequence(walk.argument_files, "") or []


def _data_paths(at: Cursor, items: list[Cursor]) -> Listed:
    listed = Listed()
    for item in items:
        if item.node.kind == "mapping":
            _mapping_item(item, listed)
            continue
        written = string(item, example="data/measurements.csv")
        if written is not None:
            _path_item(item, written, listed, optional=False)
    count = len(listed.files) + len(listed.archives)
    if count > MAX_FILES:
        at.add(
            f"lists {count} files; Zenodo allows at most {MAX_FILES} per record",
            "put the files in a few archives: {archive: data.zip, from: folder/}",
        )
    at.walk.defer(partial(filecheck.data_files, tuple(listed.checks), at.walk.spot(at.path, at.line)))
    for walk, files in listed.inside.items():
        defer_inside(walk, tuple(files))
    return listed


def _path_item(item: Cursor, written: str, listed: Listed, *, optional: bool) -> None:
    """A path, or a glob expanded into the files it matches (when no file has that literal name)."""
    path = resolve(item.walk, written)
    if not globs.is_pattern(written) or path.exists():
        _add_file(item, written, path, listed)
        return
    folder, rest = globs.split(os.path.expanduser(written))
    root = resolve(item.walk, folder or ".")
    found = globs.expand(root, rest)
    listed.patterns.append(PatternMatch(item.path, written, tuple(found)))
    if not found and not optional:
        spot = item.walk.spot(item.path, item.line)
        message = f"{written!r} matches no file (in {root})"
        item.walk.defer(lambda file: [spot.problem(file, message, _OPTIONAL)])
    for match in found:
        _add_file(item, _shown(item.walk, match), match, listed)


_OPTIONAL = "check the pattern, or write {path: '...', optional: true} if it may match nothing"


def _shown(walk: Walker, path: Path) -> str:
    """A matched file as a person would write it: relative to the config's folder when inside it."""
    return path.relative_to(walk.base).as_posix() if path.is_relative_to(walk.base) else str(path)


def _add_file(at: Cursor, written: str, path: Path, listed: Listed) -> None:
    listed.files.append(path)
    if _unique_name(at, written, path.name, path, listed.seen):
        listed.checks.append((at.walk.spot(at.path, at.line), written, path))
        listed.inside.setdefault(at.walk, []).append(listed.checks[-1])


def _mapping_item(item: Cursor, listed: Listed) -> None:
    keys = {key.value() for key, _ in item.node.pairs() if key.kind == "scalar"}
    if "archive" in keys:
        found = record(item, ARCHIVE)
        archive = None if found is None else _archive(found)
        if archive is not None and _unique_name(item, archive.key, archive.key, archive.source, listed.seen):
            listed.archives.append(archive)
            spot = item.walk.spot(item.path, item.line)
            item.walk.defer(partial(filecheck.archive, spot, archive))
            listed.inside.setdefault(item.walk, []).append((spot, archive.key, archive.source))
        return
    found = record(item, PATTERN)
    values = None if found is None else found.values()
    if values is not None:
        _path_item(found.at("path"), values["path"], listed, optional=bool(values["optional"]))  # type: ignore[union-attr]


def _archive(found: Record) -> Archive | None:
    values = found.values()
    if values is None:
        return None
    key: str = values["archive"]
    if "/" in key or not key.lower().endswith(archives.SUFFIXES):
        found.at("archive").add(
            f"{key!r} must be a file name ending in .zip or .tar.gz", "for example archive: data.zip"
        )
        return None
    source = resolve(found.cursor.walk, values["from"])
    include = values["include"] or ("**",)
    return Archive(key, source, tuple(include), tuple(values["exclude"]))


def _flag(at: Cursor) -> bool | None:
    value = at.node.value() if at.node.kind == "scalar" else None
    if isinstance(value, bool):
        return value
    at.add("expected true or false", "for example optional: true")
    return None


_GLOBS = list_of(text("'**/*.nc'"), "for example include: ['**/*.nc']")

ARCHIVE: Shape[Any] = Shape(
    (
        Row("archive", text("data.zip"), required=_ARCHIVE_EXAMPLE),
        Row("from", text("raw/"), required="the folder to archive, for example from: raw/"),
        Row("include", _GLOBS, default=()),
        Row("exclude", _GLOBS, default=()),
    ),
    example=_ARCHIVE_EXAMPLE,
    build=lambda found: found.values(),
)

PATTERN: Shape[Any] = Shape(
    (
        Row("path", text("'results/*.csv'"), required="for example {path: 'results/*.csv', optional: true}"),
        Row("optional", _flag, default=False),
    ),
    example="for example {path: 'results/*.csv', optional: true}",
    build=lambda found: found.values(),
    hints={"glob": "write path: (a glob or a path)"},
)


def _unique_name(at: Cursor, text: str, key: str, path: Path, seen: dict[str, tuple[str, str, Path]]) -> bool:
    """Whether the file's name is new (and short enough: reported, but the file is still checked).

    A name with a control character (a glob can match one) is refused: it would reach the log."""
    problem = control_problem(key)
    if problem is not None:
        at.add(*problem)
        return False
    if key in seen:
        first_field, first_text, first_path = seen[key]
        if first_path == path:
            at.add(f"{text!r} is listed twice (also {first_field})")
        else:
            at.add(
                f"{text!r} has the same file name {key!r} as {first_field} ({first_text!r}); "
                "Zenodo has no folders",
                "rename one of them, or put them in an archive: {archive: data.zip, from: folder/}",
            )
        return False
    seen[key] = (at.path, text, path)
    if len(key) > MAX_KEY_CHARS:
        at.add(f"the file name is {len(key)} characters; Zenodo allows {MAX_KEY_CHARS}")
    return True
