"""zsync's vocabularies are Zenodo's own: the shipped package data equals the checked copy in
../shared/data/zenodo-vocab (facts from Zenodo's deployment data), both ways, and the loader uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zsync import vocabulary
from zsync.config import parse_config
from zsync.errors import ConfigError

SHARED_VOCAB = Path(__file__).resolve().parents[2] / "shared" / "data" / "zenodo-vocab"
SHIPPED = Path(vocabulary.__file__).parent / "vocab"

needs_shared = pytest.mark.skipif(not SHARED_VOCAB.is_dir(), reason="needs ../shared/data/zenodo-vocab")


@needs_shared
@pytest.mark.parametrize(
    "name", ["licenses.json", "resource_types.json", "resource_types_linkable.json", "relation_types.json"]
)
def test_shipped_vocabulary_equals_zenodos(name: str) -> None:
    shipped = json.loads((SHIPPED / name).read_text())
    shared = json.loads((SHARED_VOCAB / name).read_text())
    assert set(shipped) - set(shared) == set(), "ids zsync accepts that Zenodo refuses"
    assert set(shared) - set(shipped) == set(), "ids Zenodo accepts that zsync refuses"
    assert shipped == shared


@needs_shared
def test_the_loaders_lists_are_the_shipped_ones() -> None:
    assert set(vocabulary.license_ids()) == set(json.loads((SHARED_VOCAB / "licenses.json").read_text()))
    assert set(vocabulary.RESOURCE_TYPES) == set(
        json.loads((SHARED_VOCAB / "resource_types.json").read_text())
    )
    linkable = set(json.loads((SHARED_VOCAB / "resource_types_linkable.json").read_text()))
    assert set(vocabulary.LINKABLE_RESOURCE_TYPES) == linkable
    assert set(vocabulary.LINKABLE_RESOURCE_TYPES) - set(vocabulary.RESOURCE_TYPES) == {
        "instrument",
        "project",
    }
    assert set(vocabulary.RELATION_TYPES) == set(
        json.loads((SHARED_VOCAB / "relation_types.json").read_text())
    )


def test_counts_as_zenodo_serves_them() -> None:
    assert (len(vocabulary.license_ids()), len(vocabulary.RESOURCE_TYPES)) == (444, 45)
    assert (len(vocabulary.LINKABLE_RESOURCE_TYPES), len(vocabulary.RELATION_TYPES)) == (47, 39)


def _config(license_line: str, resource_type: str = "dataset", related_type: str | None = None) -> str:
    related = ""
    if related_type:
        related = "  related: [{scheme: doi, identifier: 10.1234/x, relation_type: cites, "
        related += f"resource_type: {related_type}}}]\n"
    return (
        "endpoint: https://zenodo.org/api\nmetadata:\n  title: A title\n  version: '1.0'\n"
        f"  resource_type: {resource_type}\n  creators: [{{family_name: Doe}}]\n{license_line}{related}"
        "paths: [a.csv]\n"
    )


@pytest.mark.parametrize(
    "license_id", ["other-open", "other-pd", "other-closed", "other-nc", "other-at", "notspecified",
                   "zenodo-freetoread-1.0", "bzip2-1.0.5", "net-snmp", "wxwindows", "MIT"]
)  # fmt: skip
def test_ids_zenodo_has_and_spdx_lacks_or_deprecated_are_accepted(license_id: str, tmp_path: Path) -> None:
    text = _config(f"  license: {license_id}\n")
    config = parse_config(text, source=tmp_path / "zenodo.yaml", check_files=False)
    assert config.metadata.licenses == (license_id.lower(),)


def test_spdx_ids_zenodo_lacks_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'cc-by-3\.0-de' is not a licence id Zenodo knows"):
        parse_config(_config("  license: cc-by-3.0-de\n"), source=tmp_path / "zenodo.yaml", check_files=False)


def test_linkable_types_are_for_related_identifiers_only(tmp_path: Path) -> None:
    ok = parse_config(_config("", related_type="instrument"), source=tmp_path / "z.yaml", check_files=False)
    assert ok.metadata.related[0].resource_type == "instrument"
    with pytest.raises(ConfigError, match="'instrument' is not a known resource type"):
        parse_config(_config("", resource_type="instrument"), source=tmp_path / "z.yaml", check_files=False)


def test_retired_ids_are_refused_with_the_replacement_never_rewritten(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            _config("", resource_type="publication-thesis"), source=tmp_path / "z.yaml", check_files=False
        )
    assert "write 'publication-dissertation' (titled 'Thesis' on Zenodo)" in info.value.diagnostics()
