"""The layers of the config loader: YAML stays in its adapter, the walker reads any node tree, and
the file-system pass puts its messages where the walk found the field.

What each message says is in test_config_catalogue.py and test_config.py; this file is about how
the loader is built, so that TOML or JSON configs can later reuse the walker and the table.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from zsync import configschema
from zsync.config import parse_config
from zsync.errors import ConfigError
from zsync.frozen import fields
from zsync.loader.nodes import Kind, Node, Unreadable
from zsync.loader.walk import Walker, shaped
from zsync.models import Metadata

ZSYNC = Path(__file__).parent.parent / "zsync"


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_yaml_adapter_imports_yaml() -> None:
    importers = [
        str(path.relative_to(ZSYNC))
        for path in sorted(ZSYNC.rglob("*.py"))
        if any(name == "yaml" or name.startswith("yaml.") for name in _imported_modules(path))
    ]
    assert importers == ["loader/fromyaml.py"]


def test_the_table_and_the_schema_generator_do_not_load_yaml() -> None:
    code = (
        "import json, sys; import zsync.jsonschema, zsync.configschema, zsync.filecheck, zsync.loader.walk; "
        "print(json.dumps(['yaml' in sys.modules, 'requests' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [False, False]


@pytest.mark.parametrize(
    "module",
    [
        "config.py",
        "configrules.py",
        "configpaths.py",
        "configschema.py",
        "filecheck.py",
        "loader/walk.py",
        "loader/nodes.py",
        "globs.py",
        "archives.py",
    ],
)
def test_loader_modules_import_only_value_types_and_each_other(module: str) -> None:
    allowed = {
        "zsync",
        "zsync.archives",
        "zsync.configpaths",
        "zsync.configrules",
        "zsync.configschema",
        "zsync.errors",
        "zsync.filecheck",
        "zsync.globs",
        "zsync.frozen",  # how the value types are made
        "zsync.identifiers",
        "zsync.lazyre",
        "zsync.loader",
        "zsync.loader.fromyaml",
        "zsync.loader.nodes",
        "zsync.loader.walk",
        "zsync.models",
        "zsync.safetext",  # pure: how a value is quoted in a message
        "zsync.units",
        "zsync.vocabulary",
    }
    ours = {name for name in _imported_modules(ZSYNC / module) if name.split(".")[0] == "zsync"}
    assert ours <= allowed
    assert "requests" not in _imported_modules(ZSYNC / module)


# --------------------------------------------------------------------------- a node tree without YAML


class _Plain(Node):
    """A node built from Python values, each with the line it claims: what a TOML adapter would make."""

    def __init__(self, line: int, value: object, children: Sequence[object] = ()) -> None:
        self.line = line
        self._value = value
        self._children = children
        self.kind: Kind = "scalar"
        if isinstance(value, dict):
            self.kind = "mapping"
        elif isinstance(value, list):
            self.kind = "sequence"

    def value(self) -> object:
        if isinstance(self._value, Unreadable):
            raise self._value
        return self._value

    def text(self) -> str:
        return str(self._value)

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        return [pair for pair in self._children if isinstance(pair, tuple)]

    def items(self) -> Sequence[Node]:
        return [item for item in self._children if isinstance(item, Node)]


def _mapping(line: int, *entries: tuple[str, Node]) -> _Plain:
    return _Plain(line, {}, [(_Plain(value.line, key), value) for key, value in entries])


def test_the_walker_reads_a_tree_from_another_format_with_its_lines() -> None:
    metadata = _mapping(
        3,
        ("title", _Plain(3, "A title")),
        ("version", _Plain(4, 1.5)),
        ("resource_type", _Plain(5, "datset")),
        ("creators", _Plain(6, [], [_mapping(7, ("name", _Plain(7, "Doe, Jane")))])),
        ("keywords", _Plain(9, Unreadable("a bad value"))),
    )
    walk = Walker("zenodo.toml", Path("/data"))
    assert shaped(configschema.METADATA)(walk.root(metadata)) is None
    assert [str(problem) for problem in walk.problems] == [
        "zenodo.toml:4: version: YAML reads 1.5 as the number 1.5, not as a version string "
        "(quote it: version: '1.5')",
        "zenodo.toml:5: resource_type: 'datset' is not a known resource type (did you mean 'dataset'?)",
        "zenodo.toml:9: keywords: cannot read this value (a bad value)",
    ]
    assert walk.lines["creators[0].name"] == 7

    walk = Walker("zenodo.toml", Path("/data"))
    assert shaped(configschema.METADATA)(walk.root(_mapping(3, ("title", _Plain(3, "A title"))))) is None
    assert [problem.field for problem in walk.problems] == ["version", "resource_type", "creators"]


def test_a_new_metadata_field_needs_only_its_row_and_its_model_attribute() -> None:
    # Every key of the table's metadata mapping reaches `Metadata` by name (`license` -> `licenses`).
    names = {found.name for found in fields(Metadata)}
    assert {"licenses" if key == "license" else key for key in configschema.METADATA.keys} == names


# --------------------------------------------------------------------------- the file-system pass


def test_file_problems_keep_their_place_among_same_line_problems(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    text = (
        "{endpoint: https://zenodo.org/api, metadata: {title: T, version: '1', resource_type: dataset, "
        "creators: [{name: 'Doe, J'}]}, path_readme: gone.md, "
        "paths: [missing.csv, a.csv, a.csv, empty.csv, 7]}\n"
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, source=tmp_path / "zenodo.yaml")
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("metadata.title", "'T' is too short (at least 3 characters)"),
        ("path_readme", f"'gone.md' does not exist ({tmp_path / 'gone.md'})"),
        ("paths[0]", f"'missing.csv' does not exist ({tmp_path / 'missing.csv'})"),
        ("paths[2]", "'a.csv' is listed twice (also paths[1])"),
        ("paths[3]", "'empty.csv' is empty (0 bytes); Zenodo refuses empty files"),
        ("paths[4]", "expected a string, got the number 7"),
    ]

    with pytest.raises(ConfigError) as info:
        parse_config(text, source=tmp_path / "zenodo.yaml", check_files=False)
    assert [p.field for p in info.value.problems] == ["metadata.title", "paths[2]", "paths[4]"]
