"""Regular expressions compiled the first time they are used, not when their module is imported.

Start-up is what every CI step pays: `zsync validate` checks a few identifiers at most, so the
patterns of the others are never compiled. `Lazy(pattern, flags)` has the methods of a compiled
pattern that zsync uses (any other is handed to the compiled pattern).

`compiling_lazily()` does the same for a third-party module while it is imported: PyYAML compiles
about fifteen patterns at import, one of them (the pure-Python reader's check for unprintable
characters, a few Unicode ranges) costing as much as starting the interpreter, and the C loader zsync
uses never needs it.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

# The real one: under `compiling_lazily`, `re.compile` is `Lazy`, and a pattern a module uses while
# it is imported there (dataclasses does) is still compiled.
_compile = re.compile


class Lazy:
    """A pattern compiled on first use (then kept)."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def pattern(self) -> str:
        return self._pattern

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = _compile(self._pattern, self._flags)
        return self._compiled

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str, count: int = 0) -> str:
        return self.compiled.sub(repl, text, count=count)

    def __getattr__(self, name: str) -> Any:
        # Only for what a module imported under `compiling_lazily` calls (findall, split, flags...);
        # not for dunders (copy and pickle look for __reduce_ex__, __setstate__: a missing slot
        # read in `compiled` would come back here) nor the slots themselves.
        if name.startswith("__") or name in Lazy.__slots__:
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __reduce__(self) -> tuple[type[Lazy], tuple[str, int]]:
        return Lazy, (self._pattern, self._flags)


@contextmanager
def compiling_lazily() -> Iterator[None]:
    """While the block runs, `re.compile` returns a `Lazy` pattern: wrap the import of a module
    that compiles patterns at import time and uses few of them (a module already imported is not
    affected). Meant for start-up, before any thread of zsync's runs: another thread compiling a
    pattern meanwhile would get a `Lazy`, which works the same but is not an `re.Pattern`."""
    compile_now = re.compile
    re.compile = Lazy  # type: ignore[assignment]
    try:
        yield
    finally:
        re.compile = compile_now


def imported_lazily(name: str) -> ModuleType:
    """The module `name`, imported under `compiling_lazily` the first time (for an import inside a
    function: `re.compile` is replaced only when an import will run)."""
    if name in sys.modules:
        return sys.modules[name]
    with compiling_lazily():
        return importlib.import_module(name)
