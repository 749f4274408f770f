"""`zsync.frozen.frozen` behaves as `dataclasses.dataclass(frozen=True)` on the same class bodies:
which fields (inheritance order, redefinitions, ClassVar skipped), construction (positional,
keyword, defaults, factories, the errors), repr, equality, hashing, immutability, __post_init__,
__match_args__, the docstring, the class-definition errors, and `replace`/`asdict` against
dataclasses'. This test imports dataclasses to compare; zsync itself does not (tests/test_cli.py)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import pytest

import zsync.frozen
from zsync.frozen import frozen


class Api(NamedTuple):
    """One implementation: the decorator and the functions that go with it."""

    decorate: Callable[[type], type]
    field: Callable[..., Any]
    replace: Callable[..., Any]
    asdict: Callable[[Any], dict[str, Any]]
    fields: Callable[[Any], tuple[Any, ...]]
    frozen_error: type[Exception]


DATACLASSES = Api(
    dataclasses.dataclass(frozen=True),
    dataclasses.field,
    dataclasses.replace,
    dataclasses.asdict,
    dataclasses.fields,
    dataclasses.FrozenInstanceError,
)
ZSYNC = Api(
    frozen,
    zsync.frozen.field,
    zsync.frozen.replace,
    zsync.frozen.asdict,
    zsync.frozen.fields,
    zsync.frozen.FrozenInstanceError,
)


class Pair(NamedTuple):
    left: Any
    right: Any


def _classes(api: Api) -> dict[str, type]:
    decorate, field = api.decorate, api.field

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

    @decorate
    class Counted:  # the ClassVar spellings dataclasses knows are not fields
        calls: ClassVar[tuple[str, ...]] = ("create",)
        limit: typing.ClassVar[int] = 3
        bare: ClassVar = "bare"
        n: int = 1

    @decorate
    class Base:
        a: int = 1
        b: str = "b"

    @decorate
    class Child(Base):
        c: int = 3
        a: int = 5  # redefined: keeps its place, takes the new default

    @decorate
    class Redeclared(Base):
        b: str  # redefined without a value: the inherited class attribute is still the default

    @decorate
    class Left(Base):
        left: int = 0

    @decorate
    class Right(Base):
        right: int = 0

    @decorate
    class Both(Left, Right):  # fields in reversed MRO order: Base's, Right's, Left's, its own
        own: int = 0

    @decorate
    class Holder:
        inner: Any
        items: Any = ()

    @decorate
    class Hashed:
        key: str
        cache: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    found = dict(locals())
    return {name: value for name, value in found.items() if isinstance(value, type)}


# One function in a module namespace so pickle finds the classes by name.
DATACLASS, FROZEN = _classes(DATACLASSES), _classes(ZSYNC)
for _kind, _suffix in ((DATACLASS, "D"), (FROZEN, "F")):
    for _name, _cls in _kind.items():
        _cls.__qualname__ = _cls.__name__ = f"{_name}{_suffix}"
        _cls.__module__ = __name__
        globals()[_cls.__name__] = _cls

BOTH = pytest.mark.parametrize(
    ("kind", "api"), [(DATACLASS, DATACLASSES), (FROZEN, ZSYNC)], ids=["dataclass", "frozen"]
)


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
    ("Counted", (), {}),
    ("Counted", (2,), {}),
    ("Counted", (), {"calls": ()}),
    ("Child", (), {}),
    ("Child", (7, "x", 8), {}),
    ("Redeclared", (), {}),
    ("Both", (1, "b", 2, 3, 4), {}),
    ("Both", (), {}),
    ("Hashed", ("k",), {}),
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


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_fields_order_match_args_docstring_and_class_attributes_match_dataclasses(name: str) -> None:
    expected, got = DATACLASS[name], FROZEN[name]
    assert got.__match_args__ == expected.__match_args__  # type: ignore[attr-defined]
    assert [f.name for f in zsync.frozen.fields(got)] == [f.name for f in dataclasses.fields(expected)]  # type: ignore[arg-type]
    assert got.__doc__ == expected.__doc__
    for attribute in ("calls", "limit", "bare", "a", "b", "y", "secret", "notes", "cache", "z"):
        assert getattr(got, attribute, "absent") == getattr(expected, attribute, "absent"), attribute


def test_inheritance_orders_and_overrides_fields_as_dataclasses() -> None:
    assert FROZEN["Child"].__match_args__ == ("a", "b", "c")  # type: ignore[attr-defined]
    assert FROZEN["Both"].__match_args__ == ("a", "b", "right", "left", "own")  # type: ignore[attr-defined]
    assert FROZEN["Counted"].__match_args__ == ("n",)  # type: ignore[attr-defined]
    assert FROZEN["Child"]().a == 5  # type: ignore[attr-defined]
    assert FROZEN["Redeclared"]().b == "b"  # type: ignore[attr-defined]


@BOTH
def test_equality_and_hash_use_the_compared_fields(kind: dict[str, type], api: Api) -> None:
    point, point3, hashed = kind["Point"], kind["Point3"], kind["Hashed"]
    assert point(1, notes=["a"]) == point(1, notes=["b"])  # notes: compare=False
    assert hash(point(1, notes=["a"])) == hash(point(1, notes=["b"]))
    assert point(1) != point(2)
    assert point(1, 0) != point3(1, 0)  # another class is never equal
    assert len({point(1), point(1), point(2)}) == 2
    assert point(1).__eq__(object()) is NotImplemented
    assert hash(hashed("k", {"a": 1})) == hash(hashed("k")) == hash(("k",))  # an unhashable field left out
    assert "cache" not in repr(hashed("k"))


@BOTH
def test_instances_are_frozen_as_dataclasses_makes_them(kind: dict[str, type], api: Api) -> None:
    p = kind["Point"](1)
    with pytest.raises(api.frozen_error):
        p.x = 2  # type: ignore[attr-defined]
    with pytest.raises(api.frozen_error):
        p.other = 2  # type: ignore[attr-defined]
    with pytest.raises(api.frozen_error):
        del p.x  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):  # as dataclasses' FrozenInstanceError is
        p.x = 2  # type: ignore[attr-defined]
    plain = kind["Plain"](1)
    plain.extra = 3  # type: ignore[attr-defined]  # not a field of an undecorated subclass
    assert plain.extra == 3  # type: ignore[attr-defined]
    with pytest.raises(api.frozen_error):
        plain.z = 1  # type: ignore[attr-defined]


@BOTH
def test_replace_asdict_copy_and_pickle_work(kind: dict[str, type], api: Api) -> None:
    point, point3, holder = kind["Point"], kind["Point3"], kind["Holder"]
    p = point3(1, 2, ("t",), ["n"], "s", 3)
    assert api.replace(p, z=4) == point3(1, 2, ("t",), ["n"], "s", 4)
    assert api.asdict(p) == {"x": 1, "y": 2, "tags": ("t",), "notes": ["n"], "secret": "s", "z": 3}
    assert [f.name for f in api.fields(p)] == [f.name for f in api.fields(point3)] == list(api.asdict(p))
    assert [(f.default, f.repr, f.compare) for f in api.fields(point)[-2:]] == [
        (dataclasses.MISSING if api is DATACLASSES else zsync.frozen.MISSING, True, False),
        ("s", False, True),
    ]
    assert point3(1).notes is not point3(1).notes  # a fresh list from the factory each time
    assert copy.deepcopy(p) == p
    assert pickle.loads(pickle.dumps(p)) == p
    assert kind["Point"].__match_args__ == ("x", "y", "tags", "notes", "secret")  # type: ignore[attr-defined]
    nested = holder(point(1, notes=["n"]), [point(2), (point(3),), {"k": point(4)}, Pair(point(5), 6)])
    as_dict = api.asdict(nested)
    assert as_dict == {
        "inner": {"x": 1, "y": 0, "tags": (), "notes": ["n"], "secret": "s"},
        "items": [
            {"x": 2, "y": 0, "tags": (), "notes": [], "secret": "s"},
            ({"x": 3, "y": 0, "tags": (), "notes": [], "secret": "s"},),
            {"k": {"x": 4, "y": 0, "tags": (), "notes": [], "secret": "s"}},
            Pair({"x": 5, "y": 0, "tags": (), "notes": [], "secret": "s"}, 6),
        ],
    }
    assert type(as_dict["items"][3]) is Pair
    assert as_dict["inner"]["notes"] is not nested.inner.notes  # copies, as dataclasses makes
    match point(1, 2):
        case point(1, y):
            assert y == 2
        case _:
            pytest.fail("__match_args__ did not match")


@BOTH
def test_replace_and_asdict_refuse_what_dataclasses_refuses(kind: dict[str, type], api: Api) -> None:
    assert _outcome(lambda: api.replace(kind["Point"](1), w=2))[0] == "TypeError"
    assert _outcome(lambda: api.replace(kind["Checked"](1), value=-1)) == ("ValueError", "negative")
    assert _outcome(lambda: api.replace(object(), w=2))[0] == "TypeError"
    assert _outcome(lambda: api.asdict({"a": 1}))[0] == "TypeError"
    assert _outcome(lambda: api.fields(object()))[0] == "TypeError"


def _mutable_list(api: Api) -> type:
    class Bad:
        xs: list[int] = []  # noqa: RUF012 (the error under test)

    return api.decorate(Bad)


def _mutable_dict(api: Api) -> type:
    class Bad:
        xs: dict[str, int] = {}  # noqa: RUF012

    return api.decorate(Bad)


def _mutable_set(api: Api) -> type:
    class Bad:
        xs: set[int] = set()  # noqa: RUF012

    return api.decorate(Bad)


def _default_before_required(api: Api) -> type:
    class Bad:
        a: int = 1
        b: int

    return api.decorate(Bad)


def _inherited_default_before_required(api: Api) -> type:
    base = api.decorate(type("Base", (), {"__annotations__": {"a": "int"}, "a": 1}))

    class Bad(base):  # type: ignore[valid-type,misc]
        b: int

    return api.decorate(Bad)


def _field_without_annotation(api: Api) -> type:
    class Bad:
        a = api.field(default=1)

    return api.decorate(Bad)


def _default_and_factory(api: Api) -> type:
    class Bad:
        a: int = api.field(default=1, default_factory=int)

    return api.decorate(Bad)


def _own_setattr(api: Api) -> type:
    class Bad:
        a: int

        def __setattr__(self, name: str, value: object) -> None:
            object.__setattr__(self, name, value)

    return api.decorate(Bad)


@pytest.mark.parametrize(
    "define",
    [
        _mutable_list,
        _mutable_dict,
        _mutable_set,
        _default_before_required,
        _inherited_default_before_required,
        _field_without_annotation,
        _default_and_factory,
        _own_setattr,
    ],
)
def test_class_definition_errors_match_dataclasses(define: Callable[[Api], type]) -> None:
    expected = _outcome(lambda: define(DATACLASSES))
    got = _outcome(lambda: define(ZSYNC))
    assert expected[0] != "ok"
    if expected[0] == "TypeError":  # worded differently across Python versions
        assert got[0] == "TypeError"
    else:  # the mutable default's message names the type and the field, and the fix
        assert got == expected


@pytest.mark.parametrize("options", [{"hash": True}, {"init": False}, {"kw_only": True}, {"metadata": {}}])
def test_field_options_zsync_does_not_use_are_refused_at_once(options: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="does not take"):
        zsync.frozen.field(default=1, **options)


def test_dataclasses_field_and_initvar_are_refused_by_frozen() -> None:
    class Foreign:
        a: int = dataclasses.field(default=1)

    with pytest.raises(TypeError, match=r"use zsync\.frozen\.field"):
        frozen(Foreign)

    class Init:
        a: dataclasses.InitVar[int]

    with pytest.raises(TypeError, match="InitVar"):
        frozen(Init)


def test_docstrings_are_kept_or_named() -> None:
    assert FROZEN["Noted"].__doc__ == "Has a docstring."
    assert FROZEN["Point"].__doc__ == (
        "Point(x: 'int', y: 'int' = 0, tags: 'tuple[str, ...]' = (), notes: 'list[str]' = <factory>, "
        "secret: 'str' = 's')"
    )


def test_zsync_value_types_are_frozen_without_generated_code() -> None:
    """The point of it: the value types' methods are the shared ones, nothing compiled per class."""
    from zsync.models import Config, LocalFile

    assert Config.__init__ is LocalFile.__init__
    assert Config.__eq__ is LocalFile.__eq__
