"""Whatever the text, parse_config returns a Config or raises ConfigError: never another exception.

Sources of text: arbitrary YAML and JSON documents (generated structures, dumped, often shaped like
a zenodo.yaml) and random mutations of examples/zenodo.yaml and of a TOML config (lines deleted or
duplicated, characters changed, inserted or removed).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zsync.config import METADATA_KEYS, TOP_KEYS, parse_config
from zsync.errors import ConfigError
from zsync.models import Config

EXAMPLE = Path(__file__).parent.parent / "examples" / "zenodo.yaml"
EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")
# stepup-reprep's own TOML fixture, with an array of tables, inline tables and quoted strings.
TOML_TEXT = next((Path(__file__).parent / "stepup" / "4.x").glob("*.toml")).read_text(encoding="utf-8")
KEYS = st.sampled_from(
    [*TOP_KEYS, *METADATA_KEYS, "family_name", "name", "ror", "orcid", "scheme", "identifier", "award", "id"]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["https://zenodo.org/api", "1.0", "cc-by-4.0", "dataset", "Doe, Jane", "data/notes.txt"]
    )
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=25,
)


def _outcome(text: str, source: Path = EXAMPLE) -> None:
    error: ConfigError | None = None
    try:
        result = parse_config(text, source=source)
    except ConfigError as exc:
        error = exc
    if error is None:
        assert isinstance(result, Config)
        return
    assert error.problems
    assert all("\n" not in str(problem) for problem in error.problems)
    assert len(error.diagnostics().splitlines()) == len(error.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_arbitrary_yaml_documents(document: object) -> None:
    _outcome(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_arbitrary_json_documents(document: object) -> None:
    _outcome(json.dumps(document, ensure_ascii=False), EXAMPLE.with_suffix(".json"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_of_the_example(data: st.DataObject) -> None:
    _outcome(_mutated(data, EXAMPLE_TEXT))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_of_a_toml_config(data: st.DataObject) -> None:
    _outcome(_mutated(data, TOML_TEXT), EXAMPLE.with_suffix(".toml"))


def _mutated(data: st.DataObject, text: str) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        kind = data.draw(st.sampled_from(["delete", "duplicate", "change", "insert", "remove"]), label="kind")
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        if kind == "delete" and len(lines) > 1:
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        else:
            line = lines[index]
            at = data.draw(st.integers(0, max(len(line) - 1, 0)), label="column")
            char = data.draw(
                st.characters(codec="utf-8") | st.sampled_from(list(":-'\"[]{}#&*!|> \t")), label="char"
            )
            if kind == "change":
                lines[index] = line[:at] + char + line[at + 1 :]
            elif kind == "insert":
                lines[index] = line[:at] + char + line[at:]
            else:
                lines[index] = line[:at] + line[at + 1 :]
    return "".join(lines)


def test_the_unmutated_example_is_valid() -> None:
    assert isinstance(parse_config(EXAMPLE_TEXT, source=EXAMPLE), Config)
