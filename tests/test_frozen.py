"""`zsync.frozen.frozen` behaves as `dataclasses.dataclass(frozen=True)` on the same class bodies:
construction (positional, keyword, defaults, factories, the errors), repr, equality, hashing,
immutability, inheritance, __post_init__, and the dataclasses functions (fields, replace, asdict)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import FrozenInstanceError, field
from typing import Any

import pytest

from zsync.frozen import frozen


def _kinds(body: Callable[[Callable[[type], type]], dict[str, type]]) -> list[dict[str, type]]:
    return [body(dataclasses.dataclass(frozen=True)), body(frozen)]


def _classes(decorate: Callable[[type], type]) -> dict[str, type]:
    @decorate
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()
        notes: list[str] = field(default_factory=list, compare=False)
        secret: str = field(default="s", repr=False)

    @decorate
    class Point3(Point):
        z: int = 9

    class Plain(Point3):  # a subclass that is not decorated: only the fields stay frozen
        pass

    @decorate
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    @decorate
    class Noted:
        """Has a docstring."""

        a: str

    return {"Point": Point, "Point3": Point3, "Plain": Plain, "Checked": Checked, "Noted": Noted}


# One function in a module namespace so pickle finds the classes by name.
DATACLASS, FROZEN = _kinds(_classes)
for _kind, _suffix in ((DATACLASS, "D"), (FROZEN, "F")):
    for _name, _cls in _kind.items():
        _cls.__qualname__ = _cls.__name__ = f"{_name}{_suffix}"
        _cls.__module__ = __name__
        globals()[_cls.__name__] = _cls

BOTH = pytest.mark.parametrize("kind", [DATACLASS, FROZEN], ids=["dataclass", "frozen"])


def _outcome(make: Callable[[], Any]) -> tuple[str, str]:
    try:
        value = make()
    except Exception as exc:  # the comparison is of which exception, and its message
        return type(exc).__name__, str(exc).replace("D.__init__", ".__init__").replace(
            "F.__init__", ".__init__"
        )
    return "ok", repr(value).replace("D(", "(").replace("F(", "(")


CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Point", (1,), {}),
    ("Point", (1, 2, ("a",)), {}),
    ("Point", (), {"x": 1, "secret": "t"}),
    ("Point", (), {}),
    ("Point", (1, 2, (), [], "s", 7), {}),
    ("Point", (1,), {"x": 2}),
    ("Point", (1,), {"w": 2}),
    ("Point3", (1, 2), {"z": 3}),
    ("Point3", (), {"z": 3}),
    ("Plain", (5,), {}),
    ("Checked", (1,), {}),
    ("Checked", (-1,), {}),
    ("Noted", ("x",), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CALLS)
def test_construction_and_repr_match_dataclasses(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    expected = _outcome(lambda: DATACLASS[name](*args, **kwargs))
    got = _outcome(lambda: FROZEN[name](*args, **kwargs))
    if expected[0] == "TypeError":  # CPython words the generated __init__'s errors its own way
        assert got[0] == "TypeError"
    else:
        assert got == expected


@BOTH
def test_equality_and_hash_use_the_compared_fields(kind: dict[str, type]) -> None:
    point, point3 = kind["Point"], kind["Point3"]
    assert point(1, notes=["a"]) == point(1, notes=["b"])  # notes: compare=False
    assert hash(point(1, notes=["a"])) == hash(point(1, notes=["b"]))
    assert point(1) != point(2)
    assert point(1, 0) != point3(1, 0)  # another class is never equal
    assert len({point(1), point(1), point(2)}) == 2
    assert point(1).__eq__(object()) is NotImplemented


@BOTH
def test_instances_are_frozen_as_dataclasses_makes_them(kind: dict[str, type]) -> None:
    p = kind["Point"](1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        p.other = 2  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        del p.x  # type: ignore[attr-defined]
    plain = kind["Plain"](1)
    plain.extra = 3  # type: ignore[attr-defined]  # not a field of an undecorated subclass
    assert plain.extra == 3  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError):
        plain.z = 1  # type: ignore[attr-defined]


@BOTH
def test_dataclasses_functions_work(kind: dict[str, type]) -> None:
    point3 = kind["Point3"]
    p = point3(1, 2, ("t",), ["n"], "s", 3)
    assert dataclasses.is_dataclass(p)
    assert [f.name for f in dataclasses.fields(p)] == ["x", "y", "tags", "notes", "secret", "z"]
    assert dataclasses.replace(p, z=4) == point3(1, 2, ("t",), ["n"], "s", 4)
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "tags": ("t",), "notes": ["n"], "secret": "s", "z": 3}
    assert dataclasses.astuple(p) == (1, 2, ("t",), ["n"], "s", 3)
    assert point3(1).notes is not point3(1).notes  # a fresh list from the factory each time
    assert copy.deepcopy(p) == p
    assert pickle.loads(pickle.dumps(p)) == p
    assert kind["Point"].__match_args__ == ("x", "y", "tags", "notes", "secret")


def test_docstrings_are_kept_or_named() -> None:
    assert FROZEN["Noted"].__doc__ == "Has a docstring."
    assert (FROZEN["Point"].__doc__ or "").startswith("Point(")


def test_zsync_value_types_are_frozen_without_generated_code() -> None:
    """The point of it: the value types' methods are the shared ones, nothing compiled per class."""
    from zsync.models import Config, LocalFile

    assert Config.__init__ is LocalFile.__init__
    assert Config.__eq__ is LocalFile.__eq__
