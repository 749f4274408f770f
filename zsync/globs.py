"""Glob patterns over a folder: `results/*.csv`, `figures/**/*.pdf`, matched on `/`-separated paths.

`*` matches within one folder name, `?` one character, `[abc]` / `[!abc]` a set, and a `**` segment
any number of folders (none included). Matches are regular files (symlinks to files count), in
sorted order of their path, so a pattern expands the same way on every machine and file system.
Each pattern's regular expression is compiled the first time it is used (nothing at import).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

_MAGIC = frozenset("*?[")


def is_pattern(text: str) -> bool:
    """Whether `text` has glob characters (a literal path otherwise)."""
    return any(char in _MAGIC for char in text)


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    """The regular expression that matches the relative paths `pattern` matches."""
    parts: list[str] = []
    segments = [s for s in pattern.strip("/").split("/") if s not in ("", ".")]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment(segment) + ("" if last else "/"))
    return re.compile("".join(parts) + r"\Z")


def _segment(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace(r"\-", "-")
            out.append(f"[{'^/' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def matches(pattern: str, relative: str) -> bool:
    """Whether the `/`-separated `relative` path matches `pattern`."""
    return compiled(pattern).match(relative) is not None


def split(pattern: str) -> tuple[str, str]:
    """(the leading folders without glob characters, the rest): `data/raw/*.nc` -> (`data/raw`, `*.nc`)."""
    segments = pattern.split("/")
    for index, segment in enumerate(segments):
        if is_pattern(segment):
            return "/".join(segments[:index]), "/".join(segments[index:])
    return pattern, ""


def walk_files(root: Path) -> list[tuple[str, Path]]:
    """Every file under `root` as (path relative to it with `/`, path), sorted by the former.
    Symlinked folders are not entered (no loops); symlinks to files are listed."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        here = Path(folder)
        prefix = here.relative_to(root).as_posix()
        for name in files:
            relative = name if prefix == "." else f"{prefix}/{name}"
            found.append((relative, here / name))
    found.sort(key=lambda item: item[0])
    return found


def expand(root: Path, pattern: str) -> list[Path]:
    """The regular files under `root` that `pattern` (relative to `root`) matches, sorted."""
    if not root.is_dir():
        return []
    return [path for relative, path in walk_files(root) if matches(pattern, relative) and path.is_file()]
