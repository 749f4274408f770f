"""Ordering of dataset versions: semantic versions first, then PEP 440 (which covers calendar versions).

A version bump decides whether zsync opens a new version on Zenodo, so a wrong order would publish
files under the wrong version: when two versions cannot be ordered, say so instead of guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zsync.errors import SyncError, UsageError
from zsync.lazyre import Lazy

if TYPE_CHECKING:
    from packaging.version import Version

# semver.org's recommended pattern, with an optional leading "v" (release tags).
_SEMVER = Lazy(
    r"^v?(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

_PreKey = tuple[tuple[int, int | str], ...]


def _release_numbers(version: str) -> tuple[int, int, int] | None:
    """`1.2.0` (or `v1.2.0`) as numbers: what `_SEMVER` matches with no pre-release or build, read
    without compiling it (the one version `zsync validate` checks is nearly always of this form)."""
    parts = version.removeprefix("v").split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and (p == "0" or p[0] != "0") for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _semver_key(version: str) -> tuple[tuple[int, int, int], int, _PreKey] | None:
    version = version.strip()
    release = _release_numbers(version)
    if release is not None:
        return release, 1, ()
    match = _SEMVER.match(version)
    if not match:
        return None
    core = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    pre = match["pre"]
    if pre is None:
        # A release sorts after all of its pre-releases.
        return core, 1, ()
    # Numeric identifiers sort numerically and before alphanumeric ones (semver rule 11).
    idents = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return core, 0, idents


ORDERABLE_HINT = "use semantic (1.2.0), PEP 440 (1.2.0rc1) or calendar (2026.11.25) versions"


def is_orderable(version: str) -> bool:
    """Whether zsync can order `version` against others: a semantic or PEP 440 (calendar) version.
    `latest`, `first release` and `2024-spring` are not: the next version could not be compared."""
    return _semver_key(version) is not None or _pep440(version) is not None


def is_prerelease(version: str) -> bool:
    """`1.2.0-rc1`, `1.2.0rc1`, `2.0.0-beta.2`, `1.0.dev3`: a version that is not a release."""
    key = _semver_key(version)
    if key is not None:
        return key[1] == 0
    parsed = _pep440(version)
    return parsed is not None and parsed.is_prerelease


def compare_versions(a: str, b: str | None) -> int:
    """-1, 0 or 1 as `a` is lower than, equal to or greater than `b`. A missing `b` counts as lower.

    Build metadata (`+...`) is ignored, as semver says. Raises SyncError when the two cannot be ordered.
    """
    if b is None or not b.strip():
        return 1
    if a.strip() == b.strip():
        return 0
    ka, kb = _semver_key(a), _semver_key(b)
    if ka is not None and kb is not None:
        return _cmp(ka, kb)
    va, vb = _pep440(a), _pep440(b)
    if va is None or vb is None:
        raise SyncError(f"cannot tell whether version {a!r} comes after {b!r}", hint=_unorderable_hint(a, b))
    return _cmp(va, vb)


def _pep440(version: str) -> Version | None:
    """`version` as PEP 440 reads it, None when it cannot. packaging is imported here, not at the
    top: a semantic version (the common case, and every `zsync validate` of one) never needs it."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return None


def _unorderable_hint(a: str, b: str) -> str:
    if is_orderable(a) and not is_orderable(b):
        # The published record has a version nothing can follow: only a person can say what is next.
        return (
            f"the published version {b!r} cannot be ordered; to open the next version anyway, give it "
            f"explicitly once with --set-version {a} (the Action's version input), which zsync does not "
            "compare with an unorderable published version"
        )
    return ORDERABLE_HINT


def _cmp(x: Any, y: Any) -> int:
    return int(x > y) - int(x < y)


def normalize_version(version: str) -> str:
    """'v1.2.0' -> '1.2.0' (release tags); 'refs/tags/v1.2.0' -> '1.2.0'."""
    value = version.strip().removeprefix("refs/tags/")
    if len(value) > 1 and value[0] in "vV" and value[1].isdigit():
        value = value[1:]
    return value


def release_version(value: str) -> str:
    """A version given from outside the config (a release tag, --set-version), normalised and checked.

    `${{ github.ref_name }}` on a branch push is `main`: refuse what is not a version instead of
    publishing a dataset version called "main".
    """
    version = normalize_version(value)
    if not is_orderable(version):
        raise UsageError(
            f"version {value!r} (the version input or --set-version) is not a version",
            hint="give a release tag such as v1.2.0, or a PEP 440 / calendar version; leave it empty "
            "to use metadata.version",
        )
    return version
