"""zsync's CFF 1.2.0 validation (`zsync.citation`) against the official schema, document by document.

Each document is judged by both: the official JSON Schema (vendored under tests/metasources, see its
SOURCES.md) with `jsonschema`, and zsync's own rules; their verdicts must agree. The two documented
leniencies (licence ids are checked against Zenodo's list by the mapping, country codes for their
shape) are tested for what zsync does instead.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from zsync import citation
from zsync.loader import fromyaml

HERE = Path(__file__).parent / "metasources"
SCHEMA = json.loads((HERE / "cff-schema-1.2.0.json").read_text(encoding="utf-8"))
REAL = (HERE / "cff-project.CITATION.cff").read_text(encoding="utf-8")

MINIMAL: dict[str, Any] = {
    "cff-version": "1.2.0",
    "message": "If you use this software, please cite it using these metadata.",
    "title": "My Research Software",
    "authors": [{"family-names": "Druskat", "given-names": "Stephan"}],
}


def _official_ok(text: str) -> bool:
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))  # dates as strings, as the schema asks
    return not list(jsonschema.Draft7Validator(SCHEMA).iter_errors(data))


def _zsync_problems(text: str) -> list[str]:
    root = fromyaml.compose(text)
    assert root is not None
    return [str(p) for p in citation.validate(root, "CITATION.cff")]


def _variant(**changes: Any) -> str:
    doc = copy.deepcopy(MINIMAL)
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


PERSON = {"family-names": "Doe", "given-names": "Jane"}
VARIANTS = {
    "minimal": _variant(),
    "no authors": _variant(authors=None),
    "no message": _variant(message=None),
    "no title": _variant(title=None),
    "empty title": _variant(title=""),
    "cff 1.1.0": _variant(cff_version="1.1.0"),
    "unknown top key": _variant(colour="blue"),
    "authors empty": _variant(authors=[]),
    "authors not a list": _variant(authors=PERSON),
    "duplicate authors": _variant(authors=[PERSON, PERSON]),
    "person unknown key": _variant(authors=[{**PERSON, "orchid": "x"}]),
    "person with orcid": _variant(authors=[{**PERSON, "orcid": "https://orcid.org/0000-0003-4925-7248"}]),
    "person bad orcid": _variant(authors=[{**PERSON, "orcid": "0000-0003-4925-7248"}]),
    "person bad email": _variant(authors=[{**PERSON, "email": "jane"}]),
    "person affiliation": _variant(authors=[{**PERSON, "affiliation": "Ghent University"}]),
    "person empty affiliation": _variant(authors=[{**PERSON, "affiliation": ""}]),
    "person without names": _variant(authors=[{"alias": "jdoe"}]),
    "entity": _variant(authors=[{"name": "The Lab", "city": "Ghent"}]),
    "entity bad date": _variant(authors=[{"name": "The Lab", "date-start": "2020-13-01"}]),
    "entity with person key": _variant(authors=[{"name": "The Lab", "given-names": "X"}]),
    "person post-code number": _variant(authors=[{**PERSON, "post-code": 9000}]),
    "version number": _variant(version=1.5),
    "version string": _variant(version="1.0.0"),
    "version empty": _variant(version=""),
    "date ok": _variant(date_released="2021-08-09"),
    "date bad": _variant(date_released="2021-8-9"),
    "doi ok": _variant(doi="10.5281/zenodo.1003149"),
    "doi url": _variant(doi="https://doi.org/10.5281/zenodo.1003149"),
    "keywords": _variant(keywords=["a", "b"]),
    "keywords empty": _variant(keywords=[]),
    "keywords repeat": _variant(keywords=["a", "a"]),
    "keyword number": _variant(keywords=[3]),
    "license list": _variant(license=["MIT", "Apache-2.0"]),
    "license list repeat": _variant(license=["MIT", "MIT"]),
    "license list empty": _variant(license=[]),
    "type dataset": _variant(type="dataset"),
    "type paper": _variant(type="paper"),
    "repository-code ok": _variant(repository_code="https://github.com/a/b"),
    "repository-code bad": _variant(repository_code="github.com/a/b"),
    "identifiers": _variant(
        identifiers=[
            {"type": "doi", "value": "10.5281/zenodo.1", "description": "concept"},
            {"type": "url", "value": "https://example.org"},
            {"type": "swh", "value": "swh:1:rel:" + "a" * 40},
            {"type": "other", "value": "x"},
        ]
    ),
    "identifier bad doi": _variant(identifiers=[{"type": "doi", "value": "zenodo.1"}]),
    "identifier bad type": _variant(identifiers=[{"type": "isbn", "value": "x"}]),
    "identifier no value": _variant(identifiers=[{"type": "doi"}]),
    "identifier extra key": _variant(identifiers=[{"type": "doi", "value": "10.5281/zenodo.1", "x": 1}]),
    "references": _variant(references=[{"type": "article", "title": "A paper", "authors": [PERSON]}]),
    "reference no type": _variant(references=[{"title": "A paper", "authors": [PERSON]}]),
    "reference bad type": _variant(references=[{"type": "paper", "title": "A paper", "authors": [PERSON]}]),
    "reference unknown key": _variant(
        references=[{"type": "article", "title": "T", "authors": [PERSON], "z": 1}]
    ),
    "reference bad doi": _variant(
        references=[{"type": "article", "title": "T", "authors": [PERSON], "doi": "x"}]
    ),
    "preferred-citation": _variant(preferred_citation={"type": "article", "title": "T", "authors": [PERSON]}),
    "abstract empty": _variant(abstract=""),
    "real-world file": REAL,
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_zsync_and_the_official_schema_agree(name: str) -> None:
    text = VARIANTS[name]
    problems = _zsync_problems(text)
    assert (not problems) == _official_ok(text), problems


def test_problems_name_the_line() -> None:
    text = _variant(authors=[{**PERSON, "orcid": "0000-0003-4925-7248"}])
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "orcid" in row)
    assert _zsync_problems(text) == [
        f"CITATION.cff:{line}: authors[0].orcid: '0000-0003-4925-7248' is not an ORCID URL "
        "(https://orcid.org/0000-0000-0000-0000) (see https://citation-file-format.github.io/1.2.0/schema.json)"
    ]


def test_leniencies_are_what_the_schema_would_refuse() -> None:
    # A licence id outside SPDX and a country code outside ISO 3166 fail the schema; zsync lets the
    # mapping warn about the licence (tests/test_metadata_from.py) and checks the country's shape.
    for text in (_variant(license="Not-A-Licence"), _variant(authors=[{**PERSON, "country": "XX"}])):
        assert not _official_ok(text)
        assert _zsync_problems(text) == []
