"""zenodo.toml and zenodo.json: the same config, the same Config, and problems on the same lines as YAML.

The adapters (zsync/loader/fromtoml.py, fromjson.py) turn each format into the loader's node tree with
the line of every key and item; the walker then reports `file:line: field: message` as for YAML.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zsync.config import load_config, parse_config
from zsync.errors import ConfigError
from zsync.frozen import replace
from zsync.loader import fromjson, fromtoml
from zsync.loader.nodes import DocumentError, Node
from zsync.models import Config

YAML = """\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A small dataset
  version: '1.0.0'
  resource_type: dataset
  license: [cc-by-4.0]
  creators:
    - family_name: Doe
      given_name: Jane
      identifiers: {orcid: '0000-0002-1825-0097'}
      affiliations: [{name: Some Lab}]
  funding:
    - funder: {ror: 00k4n6c32}
      award: {title: Ponds, number: '12'}
custom_fields:
  programming_languages: [python]
paths:
  - a.csv
"""

TOML = """\
endpoint = "https://sandbox.zenodo.org/api"
paths = ["a.csv"]

[metadata]
title = "A small dataset"
version = "1.0.0"
resource_type = "dataset"
license = ["cc-by-4.0"]

[[metadata.creators]]
family_name = "Doe"
given_name = "Jane"
identifiers = {orcid = "0000-0002-1825-0097"}
affiliations = [{name = "Some Lab"}]

[[metadata.funding]]
funder = {ror = "00k4n6c32"}
award = {title = "Ponds", number = "12"}

[custom_fields]
programming_languages = ["python"]
"""

JSON = json.dumps(
    {
        "endpoint": "https://sandbox.zenodo.org/api",
        "metadata": {
            "title": "A small dataset",
            "version": "1.0.0",
            "resource_type": "dataset",
            "license": ["cc-by-4.0"],
            "creators": [
                {
                    "family_name": "Doe",
                    "given_name": "Jane",
                    "identifiers": {"orcid": "0000-0002-1825-0097"},
                    "affiliations": [{"name": "Some Lab"}],
                }
            ],
            "funding": [{"funder": {"ror": "00k4n6c32"}, "award": {"title": "Ponds", "number": "12"}}],
        },
        "custom_fields": {"programming_languages": ["python"]},
        "paths": ["a.csv"],
    },
    indent=2,
)


def _load(tmp_path: Path, name: str, text: str, **kwargs: bool) -> Config:
    (tmp_path / "a.csv").write_text("x\n")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_config(path, **kwargs)


def _problems(tmp_path: Path, name: str, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, name, text)
    return [str(p).removeprefix(str(tmp_path / name) + ":") for p in info.value.problems]


def test_the_three_formats_give_the_same_config(tmp_path: Path) -> None:
    configs = [
        _load(tmp_path, "zenodo.yaml", YAML),
        _load(tmp_path, "zenodo.toml", TOML),
        _load(tmp_path, "zenodo.json", JSON),
    ]
    # The same Config but for the file it came from.
    yaml_config = configs[0]
    assert [replace(c, source=yaml_config.source) for c in configs] == [yaml_config] * 3


def test_a_toml_file_is_no_longer_read_as_yaml(tmp_path: Path) -> None:
    # Before the TOML adapter this was "expected a mapping (key: value lines), got a string".
    config = _load(tmp_path, "zenodo.toml", TOML)
    assert config.metadata.creators[0].family_name == "Doe"


def test_toml_problems_name_their_lines(tmp_path: Path) -> None:
    text = TOML.replace('version = "1.0.0"', "version = 1.0").replace(
        'family_name = "Doe"', 'family_name = "Doe"\nfamily = "x"'
    )
    text = text.replace('award = {title = "Ponds", number = "12"}', 'award = {id = "x::1", title = "Ponds"}')
    assert _problems(tmp_path, "zenodo.toml", text) == [
        "6: metadata.version: TOML reads 1.0 as the number 1.0, not as a version string "
        '(quote it: version = "1.0")',
        "12: metadata.creators[0].family: unknown key 'family' (did you mean 'family_name'?)",
        "19: metadata.funding[0].award.title: an award with an id takes nothing else (Zenodo fills the "
        "rest from its award vocabulary; remove either id or the other keys)",
    ]


def test_toml_items_of_a_multi_line_array_keep_their_lines(tmp_path: Path) -> None:
    text = TOML.replace('paths = ["a.csv"]', 'paths = [\n  "a.csv",\n  "missing.csv",  # gone\n]')
    assert _problems(tmp_path, "zenodo.toml", text) == [
        f"4: paths[1]: 'missing.csv' does not exist ({tmp_path / 'missing.csv'})"
    ]


def test_json_problems_name_their_lines(tmp_path: Path) -> None:
    text = JSON.replace('"version": "1.0.0"', '"version": 1.0').replace('"Some Lab"', "7")
    assert _problems(tmp_path, "zenodo.json", text) == [
        "5: metadata.version: JSON reads 1.0 as the number 1.0, not as a version string "
        '(quote it: "version": "1.0")',
        "19: metadata.creators[0].affiliations[0].name: expected a string, got the number 7 "
        "(quote it to make it a string, for example 'Some Lab')",
    ]


def test_json_duplicate_keys_are_reported_like_yamls(tmp_path: Path) -> None:
    text = JSON.replace('"title": "A small dataset",', '"title": "A small dataset",\n "title": "Again",')
    assert _problems(tmp_path, "zenodo.json", text) == [
        "5: metadata.title: 'title' is given twice (first on line 4)"
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("zenodo.toml", 'endpoint = "x"\nmetadata = \n', "2: TOML syntax error: Invalid value"),
        ("zenodo.toml", "a = 1\na = 2\n", "2: TOML syntax error: Cannot overwrite a value"),
        ("zenodo.json", '{"endpoint": "x",\n "metadata": }', "2: JSON syntax error: Expecting value"),
        ("zenodo.json", "", "the file is empty (start from the template in the README)"),
        ("zenodo.toml", "# only a comment\n", "the file is empty (start from the template in the README)"),
        ("zenodo.json", "[1, 2]", "1: expected a mapping (key: value lines), got a list (see the template"),
    ],
)
def test_syntax_errors_and_empty_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    problems = _problems(tmp_path, name, text)
    assert len(problems) == 1
    assert problems[0].lstrip(": ").startswith(expected), problems


def test_zenodo_json_of_the_github_integration_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GitHub integration, not a zsync config"):
        parse_config("{}", source=tmp_path / ".zenodo.json")


def _lines(node: Node, path: str = "") -> dict[str, int]:
    found = {path or "$": node.line}
    if node.kind == "mapping":
        for key, value in node.pairs():
            found |= _lines(value, f"{path}.{key.value()}" if path else str(key.value()))
    elif node.kind == "sequence":
        for index, item in enumerate(node.items()):
            found |= _lines(item, f"{path}[{index}]")
    return found


def test_toml_scanner_follows_dotted_keys_quoted_keys_strings_and_nested_tables() -> None:
    text = (
        "# comment\n"  # 1
        'a.b.c = "x # not a comment"\n'  # 2
        "\"quoted.key\" = 'y'\n"  # 3
        'multi = """\nline "two"\n"""\n'  # 4-6
        "when = 1979-05-27 07:32:00Z\n"  # 7
        "[[t]]\n"  # 8
        "n = 1\n"  # 9
        "[t.sub]\n"  # 10
        "m = [\n  1,\n  {k = 2},\n]\n"  # 11-14
        "[[t]]\n"  # 15
        "n = 2\n"  # 16
    )
    root = fromtoml.compose(text)
    assert root is not None
    lines = _lines(root)
    assert lines["a.b.c"] == 2
    assert lines["quoted.key"] == 3
    assert lines["multi"] == 4
    assert lines["when"] == 7
    assert lines["t[0]"] == 8 and lines["t[0].n"] == 9
    assert lines["t[0].sub"] == 10 and lines["t[0].sub.m[0]"] == 12 and lines["t[0].sub.m[1].k"] == 13
    assert lines["t[1]"] == 15 and lines["t[1].n"] == 16


def test_json_scanner_keeps_raw_numbers_and_lines() -> None:
    root = fromjson.compose('{\n "a": 1.50,\n "b": [\n  true,\n  null\n ]\n}')
    assert root is not None
    a, b = (value for _, value in root.pairs())
    assert (a.line, a.value(), a.text()) == (2, 1.5, "1.50")
    assert [(item.line, item.value()) for item in b.items()] == [(4, True), (5, None)]
    with pytest.raises(DocumentError) as info:
        fromjson.compose("[" * 100_000)
    assert info.value.message.startswith("JSON syntax error")
