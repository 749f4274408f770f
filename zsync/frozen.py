"""`@frozen`: a frozen dataclass that takes microseconds to define, not a millisecond.

On Python 3.11 and 3.12, `@dataclass(frozen=True)` writes the source of `__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__` and `__delattr__` for each class and compiles each with `exec()`:
about 1 ms a class on the 2-core CI machines. zsync defines some 80 value types, so a `zsync validate`
spent a third of its time above a bare interpreter's start in those compiles, and a sync twice that
(the start-up goal in README "Performance"). Python 3.13 batches the compiles; it still compiles.

Here `dataclasses` itself reads the class (fields, defaults, `field(...)`, inheritance), so
`dataclasses.fields`, `replace`, `asdict` and `is_dataclass` work as on any dataclass, but it is
asked for no method; the methods are the shared functions below, which loop over the fields. They
behave as the generated ones do (tests/test_frozen.py compares them on the same classes); an
instance costs a few microseconds more to build, which no zsync run notices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError
from typing import Any, TypeVar, dataclass_transform

C = TypeVar("C", bound=type)

_Spec = tuple[str, Any, Any]  # (name, default, default_factory), MISSING where there is none


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: C) -> C:
    """The class as `@dataclass(frozen=True)` would make it (eq, hash over the compared fields)."""
    undocumented = not cls.__doc__
    if undocumented:  # else dataclasses builds one with inspect.signature, which costs more
        cls.__doc__ = cls.__name__
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    every = dataclasses.fields(cls)
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in every)})"
    cls.__zsync_init__ = tuple(  # type: ignore[attr-defined]
        (f.name, f.default, f.default_factory) for f in every if f.init
    )
    cls.__zsync_repr__ = tuple(f.name for f in every if f.repr)  # type: ignore[attr-defined]
    cls.__zsync_compare__ = tuple(f.name for f in every if f.compare)  # type: ignore[attr-defined]
    cls.__zsync_hash__ = tuple(  # type: ignore[attr-defined]
        f.name for f in every if (f.compare if f.hash is None else f.hash)
    )
    cls.__zsync_frozen__ = cls  # type: ignore[attr-defined]
    own = cls.__dict__
    for name, method in _METHODS.items():
        # As dataclasses: a method the class defines stays, except the __hash__ = None that Python
        # gives a class defining __eq__ alone.
        if name not in own or (name == "__hash__" and own[name] is None and "__eq__" in own):
            setattr(cls, name, method)
    return cls


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec: tuple[_Spec, ...] = cls.__zsync_init__
    if len(args) > len(spec):
        raise TypeError(
            f"{cls.__qualname__}.__init__() takes {len(spec) + 1} positional arguments "
            f"but {len(args) + 1} were given"
        )
    put = object.__setattr__
    for index, (name, default, factory) in enumerate(spec):
        if index < len(args):
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}")
            put(self, name, args[index])
        elif name in kwargs:
            put(self, name, kwargs.pop(name))
        elif default is not MISSING:
            put(self, name, default)
        elif factory is not MISSING:
            put(self, name, factory())
        else:
            raise TypeError(f"{cls.__qualname__}.__init__() missing 1 required argument: {name!r}")
    if kwargs:
        raise TypeError(
            f"{cls.__qualname__}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}"
        )
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__zsync_repr__)
    return f"{cls.__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:  # a bool, or NotImplemented
    if other.__class__ is not self.__class__:
        return NotImplemented
    names: tuple[str, ...] = self.__zsync_compare__
    return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in self.__zsync_hash__))


def _frozen_field(self: Any, name: str) -> bool:
    """As dataclasses: every attribute of the decorated class itself, the fields of a subclass's."""
    cls = type(self)
    return cls is cls.__zsync_frozen__ or name in cls.__dataclass_fields__


def _setattr(self: Any, name: str, value: object) -> None:
    if _frozen_field(self, name):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    if _frozen_field(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


_METHODS: dict[str, Callable[..., Any]] = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
}
