"""`@frozen`: a frozen dataclass that takes microseconds to define, and no `import dataclasses`.

On Python 3.11 and 3.12, `@dataclass(frozen=True)` writes the source of `__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__` and `__delattr__` for each class and compiles each with `exec()`:
about 1 ms a class on the 2-core CI machines. zsync defines some 80 value types, so a `zsync validate`
spent a third of its time above a bare interpreter's start in those compiles, and a sync twice that
(the start-up goal in README "Performance"). Python 3.13 batches the compiles; it still compiles.
Importing `dataclasses` at all costs `inspect` (with `dis`, `ast`, `tokenize`, `linecache`), another
~35 M instructions of a `validate`'s ~300 M, so this module reads the class itself.

`frozen` collects the fields as dataclasses does: the decorated bases' fields first, in order, then
the class's own annotations (a redefined field keeps its place; `ClassVar` annotations are not
fields), defaults from the class attributes or from `field(...)`; a mutable default is a ValueError.
The methods are the shared functions below, which loop over the fields; they behave as the generated
ones do (tests/test_frozen.py compares them with real dataclasses on the same class bodies). An
instance costs a few microseconds more to build, which no zsync run notices.

`field`, `fields`, `replace` and `asdict` here stand for dataclasses' (which do not work on these classes).
For mypy, `field` and `replace` *are* dataclasses' (see the end of the module): its dataclasses
plugin treats `dataclass_transform` classes as dataclasses, so it checks `field(...)` defaults and
the keywords given to `replace` as it would on a `@dataclass`. Only the `field` options zsync uses
exist; any other is a TypeError when the class is defined.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar, dataclass_transform, get_origin

C = TypeVar("C", bound=type)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()  # "no default", as dataclasses.MISSING


class _Factory:
    def __repr__(self) -> str:  # how a class docstring shows a default made by a factory
        return "<factory>"


_FACTORY: Final = _Factory()


class FrozenInstanceError(AttributeError):
    """An assignment to, or deletion of, a field of a frozen instance (as dataclasses')."""


class Field:
    """One field of a `@frozen` class: what `field(...)` returns and what `frozen` collects."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr", "type")

    def __init__(self, default: Any, default_factory: Any, repr: bool, compare: bool) -> None:
        self.name = ""  # set, with type, when the class is decorated
        self.type: object = None
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"
        )


def _field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    repr: bool = True,
    compare: bool = True,
    **unsupported: Any,
) -> Any:
    if unsupported:
        raise TypeError(
            f"zsync.frozen.field() does not take {', '.join(sorted(unsupported))} "
            "(it has default, default_factory, repr and compare: what zsync uses)"
        )
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, repr, compare)


def _annotation_head(annotation: str) -> list[str]:
    """`' typing . ClassVar[int]'` -> `['typing', 'ClassVar']`."""
    return [part.strip() for part in annotation.partition("[")[0].split(".")]


def _is_classvar(annotation: object) -> bool:
    """As dataclasses: `ClassVar`, `ClassVar[...]`, `typing.ClassVar[...]`, as strings or objects."""
    if isinstance(annotation, str):
        return _annotation_head(annotation) in (["ClassVar"], ["typing", "ClassVar"])
    return annotation is ClassVar or get_origin(annotation) is ClassVar


def _own_field(cls: type, name: str, annotation: object) -> Field:
    """The field `name: annotation` of `cls`, its default read as dataclasses reads it."""
    if isinstance(annotation, str) and _annotation_head(annotation)[-1] in ("InitVar", "KW_ONLY"):
        raise TypeError(f"{cls.__qualname__}.{name}: @frozen does not support {annotation}")
    default = getattr(cls, name, MISSING)  # as dataclasses: an inherited class attribute counts
    if isinstance(default, Field):
        found = default
    else:
        foreign = sys.modules.get("dataclasses")
        if foreign is not None and isinstance(default, foreign.Field):
            raise TypeError(f"{cls.__qualname__}.{name}: a dataclasses.field(); use zsync.frozen.field")
        found = Field(default, MISSING, repr=True, compare=True)
    found.name, found.type = name, annotation
    if found.default is not MISSING and type(found.default).__hash__ is None:
        raise ValueError(
            f"mutable default {type(found.default)} for field {name} is not allowed: use default_factory"
        )
    return found


def _collect(cls: type) -> dict[str, Field]:
    """The fields of `cls` in dataclasses' order, its own class attributes set to their defaults."""
    fields: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        if "__dataclass_fields__" in base.__dict__:
            raise TypeError(f"{cls.__qualname__}: @frozen cannot extend the dataclass {base.__qualname__}")
        fields.update(getattr(base, "__zsync_fields__", {}))
    own = cls.__dict__
    for name, annotation in own.get("__annotations__", {}).items():
        if not _is_classvar(annotation):
            fields[name] = _own_field(cls, name, annotation)  # a redefined field keeps its place
    _set_defaults(cls, fields)
    _check_order(fields)
    return fields


def _set_defaults(cls: type, fields: dict[str, Field]) -> None:
    """As dataclasses: a `name = field(...)` class attribute becomes the default, or goes."""
    for name, value in list(cls.__dict__.items()):
        if isinstance(value, Field):
            if fields.get(name) is not value:
                raise TypeError(f"{cls.__qualname__}.{name} is a field() without a (non-ClassVar) annotation")
            if value.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value.default)


def _check_order(fields: dict[str, Field]) -> None:
    """A field without a default may not follow one with a default (`__init__` could not take them)."""
    with_default = ""
    for name, found in fields.items():
        if found.default is not MISSING or found.default_factory is not MISSING:
            with_default = with_default or name
        elif with_default:
            raise TypeError(f"non-default argument {name!r} follows default argument {with_default!r}")


def _annotation_text(annotation: object) -> str:
    """As `inspect.formatannotation`, for the generated docstring."""
    if getattr(annotation, "__module__", None) == "typing":
        return repr(annotation).replace("typing.", "")
    if isinstance(annotation, type) and not hasattr(annotation, "__origin__"):  # not list[int]
        if annotation.__module__ == "builtins":
            return annotation.__qualname__
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation)  # a string annotation in quotes, as inspect shows it


def _signature_doc(cls: type, fields: dict[str, Field]) -> str:
    """The docstring dataclasses gives a class without one: `Point(x: 'int', y: 'int' = 0)`."""
    parameters = []
    for found in fields.values():
        default = _FACTORY if found.default_factory is not MISSING else found.default
        shown = f"{found.name}: {_annotation_text(found.type)}"
        parameters.append(shown if default is MISSING else f"{shown} = {default!r}")
    return f"{cls.__name__}({', '.join(parameters)})"


_Spec = tuple[str, Any, Any]  # (name, default, default_factory), MISSING where there is none


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
    return hash(tuple(getattr(self, n) for n in self.__zsync_compare__))


def _frozen_field(self: Any, name: str) -> bool:
    """As dataclasses: every attribute of the decorated class itself, the fields of a subclass's."""
    cls = type(self)
    return cls is cls.__zsync_frozen__ or name in cls.__zsync_fields__


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


def _fields_of(cls: type, function: str, what: str = "instances of @frozen classes") -> dict[str, Field]:
    fields: dict[str, Field] | None = getattr(cls, "__zsync_fields__", None)
    if fields is None:
        raise TypeError(f"{function}() should be called on {what}")
    return fields


def fields(class_or_instance: object) -> tuple[Field, ...]:
    """As `dataclasses.fields`: the fields of a @frozen class or instance, in order."""
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    return tuple(_fields_of(cls, "fields", "@frozen classes or their instances").values())


def _replace(obj: Any, /, **changes: Any) -> Any:
    """As `dataclasses.replace`: a copy of `obj` with `changes`, through `__init__` (and `__post_init__`)."""
    for name in _fields_of(type(obj), "replace"):
        if name not in changes:
            changes[name] = getattr(obj, name)
    return type(obj)(**changes)


_ATOMIC: Final = (type(None), bool, int, float, complex, str, bytes)  # deepcopy returns them as they are


def asdict(obj: object) -> dict[str, Any]:
    """As `dataclasses.asdict`: the fields as a dict, @frozen values, lists, tuples and dicts in
    them converted likewise, anything else deep-copied."""
    _fields_of(type(obj), "asdict")
    converted: dict[str, Any] = _converted(obj)
    return converted


def _converted(value: Any) -> Any:
    cls = type(value)
    if cls in _ATOMIC:
        return value
    if hasattr(cls, "__zsync_fields__"):
        return {name: _converted(getattr(value, name)) for name in cls.__zsync_fields__}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple takes its items apart
        return cls(*[_converted(item) for item in value])
    if isinstance(value, list | tuple):
        return cls(_converted(item) for item in value)
    if isinstance(value, dict):
        return cls((_converted(key), _converted(item)) for key, item in value.items())
    import copy

    return copy.deepcopy(value)


if TYPE_CHECKING:
    # mypy checks these as dataclasses': `field(...)` defaults, and `replace(obj, name=...)` against
    # the fields of obj's class (its dataclasses plugin sees @frozen classes as dataclasses).
    from dataclasses import field as field  # re-exported
    from dataclasses import replace as replace
else:
    field, replace = _field, _replace


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: C) -> C:
    """The class as `@dataclass(frozen=True)` would make it (eq, hash over the compared fields)."""
    fields = _collect(cls)
    cls.__zsync_fields__ = fields  # type: ignore[attr-defined]
    cls.__zsync_init__ = tuple(  # type: ignore[attr-defined]
        (f.name, f.default, f.default_factory) for f in fields.values()
    )
    cls.__zsync_repr__ = tuple(f.name for f in fields.values() if f.repr)  # type: ignore[attr-defined]
    cls.__zsync_compare__ = tuple(f.name for f in fields.values() if f.compare)  # type: ignore[attr-defined]
    cls.__zsync_frozen__ = cls  # type: ignore[attr-defined]
    own = cls.__dict__
    if "__match_args__" not in own:
        cls.__match_args__ = tuple(fields)  # type: ignore[attr-defined,misc]
    if not cls.__doc__:
        cls.__doc__ = _signature_doc(cls, fields)
    for name, method in _METHODS.items():
        if name in ("__setattr__", "__delattr__") and name in own:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        # As dataclasses: a method the class defines stays, except the __hash__ = None that Python
        # gives a class defining __eq__ alone.
        if name not in own or (name == "__hash__" and own[name] is None and "__eq__" in own):
            setattr(cls, name, method)
    return cls
