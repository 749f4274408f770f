"""The shipped JSON Schema is current, valid draft-07, accepts every valid config and rejects the
structural mistakes it can see (checksums and files are left to `zsync validate`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from zsync.jsonschema import MODELINE, SCHEMA_URL, build_schema, render_schema

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "zsync" / "zenodo-yaml.schema.json"
CONFIGS = Path(__file__).parent / "configs"
VALID = [ROOT / "examples" / "zenodo.yaml", *sorted((CONFIGS / "valid").glob("*.yaml"))]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_shipped_schema_is_freshly_generated() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == render_schema(), (
        "regenerate: python -m zsync.jsonschema > zsync/zenodo-yaml.schema.json"
    )


def test_schema_is_draft_07_with_descriptions_everywhere() -> None:
    schema = build_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == SCHEMA_URL
    assert schema["additionalProperties"] is False

    def walk(node: dict[str, object], where: str) -> None:
        for name, child in (node.get("properties") or {}).items():  # type: ignore[attr-defined]
            assert child.get("description"), f"{where}.{name} has no description"
            walk(child, f"{where}.{name}")
            if child.get("type") == "object" and "propertyNames" not in child:
                assert child["additionalProperties"] is False, f"{where}.{name} allows unknown keys"
            if isinstance(child.get("items"), dict):
                walk(child["items"], f"{where}.{name}[]")

    walk(schema, "")


def test_example_carries_the_modeline() -> None:
    assert (ROOT / "examples" / "zenodo.yaml").read_text().splitlines()[0] == MODELINE


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_configs_validate(path: Path, validator: jsonschema.Draft7Validator) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(document)] == []


@pytest.mark.parametrize(
    "case",
    [
        "version_float",
        "version_int",
        "access_record_restricted",
        "metadata_unknown_key_titel",
        "resource_type_typo",
        "license_unknown",
        "award_empty",
        "award_id_with_title",
        "affiliation_ror_and_name",
        "funder_ror_and_name",
        "paths_empty",
        "creators_empty",
        "creator_organization_with_family_name",
        "creator_name_and_family_name",
        "related_missing_identifier",
        "related_relation_type_typo",
        "endpoint_missing_api",
        "orcid_format",
        "title_too_short",
    ],
)
def test_schema_rejects_structural_mistakes(case: str, validator: jsonschema.Draft7Validator) -> None:
    document = yaml.safe_load((CONFIGS / f"{case}.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(document)), f"the schema accepts {case}"


STEPUP = Path(__file__).parent / "stepup"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in STEPUP.glob("[34].x/*") if p.suffix in (".yaml", ".json", ".toml")),
    ids=lambda p: p.name,
)
def test_stepup_reprep_3x_and_4x_configs_validate(path: Path, validator: jsonschema.Draft7Validator) -> None:
    """zsync's format reads 3.x and 4.x files as they are, and so does its schema."""
    if path.suffix == ".toml":
        import tomllib

        document = tomllib.loads(path.read_text(encoding="utf-8"))
    elif path.suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
    else:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(document)] == []


def test_the_new_fields_validate_and_their_mistakes_do_not(validator: jsonschema.Draft7Validator) -> None:
    from test_metadata_extras import BASE, CUSTOM, EXTRAS

    # Editors read YAML 1.2, where 2024-06-15 is a string; PyYAML makes it a date.
    document = json.loads(
        json.dumps(yaml.safe_load(BASE + EXTRAS + CUSTOM + "paths: [a.csv]\n"), default=str)
    )
    assert [error.message for error in validator.iter_errors(document)] == []
    for path, value in (
        (("metadata", "contributors", 0, "role"), "curator"),
        (("metadata", "languages"), ["english"]),
        (("custom_fields", "development_status"), "activ"),
        (("custom_fields", "programming_languages"), ["Python"]),
        (("custom_fields", "thesis", "university_name"), "x"),
        (("custom_fields", "dwc:decimalLatitude"), ["north"]),
    ):
        broken = json.loads(json.dumps(document))
        node = broken
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        assert list(validator.iter_errors(broken)), path


def test_metadata_from_lifts_the_required_metadata(validator: jsonschema.Draft7Validator) -> None:
    """With metadata_from, zenodo.yaml may leave out metadata or any of its required fields (a source
    gives them, and `zsync validate` says which none gives); without it, they stay required."""
    minimal = {"endpoint": "https://zenodo.org/api", "paths": ["data.csv"]}
    for source in ("CITATION.cff", "codemeta.json", ".zenodo.json", ["CITATION.cff", "meta/codemeta.json"]):
        assert [e.message for e in validator.iter_errors({**minimal, "metadata_from": source})] == []
        partial = {**minimal, "metadata_from": source, "metadata": {"resource_type": "dataset"}}
        assert [e.message for e in validator.iter_errors(partial)] == []
    assert list(validator.iter_errors(minimal))
    assert list(validator.iter_errors({**minimal, "metadata": {"resource_type": "dataset"}}))
    assert list(validator.iter_errors({**minimal, "metadata_from": "package.json"}))
