"""zsync: keep a Zenodo dataset in sync with files and metadata kept in a git repository.

The public API (`zsync.sync`, `zsync.plan`, `zsync.validate`) is imported lazily so that
`zsync --version` and `zsync validate` start without importing requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zsync._version import __version__

if TYPE_CHECKING:
    from zsync.engine import plan, sync, validate

__all__ = ["__version__", "plan", "sync", "validate"]


def __getattr__(name: str) -> Any:
    if name in ("sync", "plan", "validate"):
        from zsync import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'zsync' has no attribute {name!r}")
