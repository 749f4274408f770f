"""`metadata_from:` with a codemeta.json and a .zenodo.json (real files from public repositories, see
tests/metasources/SOURCES.md): the fields each gives, on their lines; what Zenodo cannot take is a
warning; a file that is not valid JSON is an error on its line; several sources, the first winning;
and end to end: render -> sync (the real `zsync` against the emulator) -> the record says what the
file says, and a second sync changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_sync_e2e import api, mutations, run_zsync

from zsync.config import load_config
from zsync.emulator import Emulator
from zsync.errors import ConfigError

SOURCES = Path(__file__).parent / "metasources"
IGA = SOURCES / "iga.codemeta.json"  # caltechlibrary/iga
GOSSET = SOURCES / "gosset.codemeta.json"  # AgrDataSci/gosset
CFFCONVERT = SOURCES / "cffconvert.zenodo.json"  # citation-file-format/cffconvert
PARTSEG = SOURCES / "partseg.zenodo.json"  # 4DNucleome/PartSeg: a comma missing, as published


def _dataset(
    root: Path, sources: dict[str, Path], metadata: dict[str, object] | None = None, url: str = ""
) -> Path:
    for name, source in sources.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / name)
    (root / "data.csv").write_text("a,b\n1,2\n")
    config: dict[str, object] = {
        "endpoint": url or "https://sandbox.zenodo.org/api",
        "metadata_from": list(sources),
        "paths": ["data.csv"],
    }
    if metadata:
        config["metadata"] = metadata
    (root / "zenodo.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root / "zenodo.yaml"


def _line(path: Path, text: str, after: int = 0) -> int:
    rows = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, row in enumerate(rows, 1) if i > after and row.strip().startswith(text))


def _key(path: Path, key: str) -> int:
    return _line(path, f'"{key}"')


def test_codemeta_fields_come_from_their_lines(tmp_path: Path) -> None:
    config = load_config(_dataset(tmp_path, {"codemeta.json": IGA}, {"license": "bsd-3-clause"}))
    md, cm = config.metadata, json.loads(IGA.read_text())
    assert md.title == cm["name"]
    assert md.version == cm["version"]
    assert md.resource_type == "software"  # @type SoftwareSourceCode
    assert md.publication_date == cm["datePublished"]
    assert md.keywords == tuple(cm["keywords"])
    assert md.description == f"<p>{cm['description']}</p>"
    (creator,) = md.creators
    assert (creator.family_name, creator.given_name) == ("Hucka", "Michael")
    assert creator.identifiers == (("orcid", "0000-0001-9105-5960"),)
    assert [a.name for a in creator.affiliations] == ["California Institute of Technology Library"]
    assert md.contributors is not None
    assert [(c.family_name, c.role) for c in md.contributors] == [("Morrell", "other")]
    assert [(f.funder_ror, f.funder_name) for f in md.funding] == [("05dxps055", None)]
    assert md.dates is not None and [(d.date, d.type) for d in md.dates] == [(cm["dateCreated"], "created")]
    assert config.code_repository == cm["codeRepository"]
    assert config.custom_fields["code:programmingLanguage"] == ({"id": "python"},)
    assert config.custom_fields["code:developmentStatus"] == {"id": "active"}
    source = str(tmp_path / "codemeta.json")
    assert config.origins["metadata.version"] == (source, _key(IGA, "version"))
    assert config.origins["custom_fields.programming_languages"] == (
        source,
        _key(IGA, "programmingLanguage"),
    )
    assert "metadata.license" not in config.origins  # zenodo.yaml's (the file's is not Zenodo's: a warning)


def test_codemeta_what_zenodo_cannot_take_is_a_warning(tmp_path: Path) -> None:
    config = load_config(_dataset(tmp_path, {"codemeta.json": IGA}))
    warnings = "\n".join(config.warnings)
    assert f"codemeta.json:{_key(IGA, 'email')}: author[0].email: is not sent" in warnings
    assert f"codemeta.json:{_key(IGA, 'maintainer')}: maintainer: is not sent" in warnings
    assert f"codemeta.json:{_key(IGA, 'identifier')}: identifier: is neither a DOI nor a URL" in warnings
    assert (
        "'https://github.com/caltechlibrary/iga/blob/main/LICENSE' is not in Zenodo's licence list"
        in warnings
    )
    assert config.metadata.licenses == ()
    assert "@context" not in warnings and "@type" not in warnings  # they describe the file


def test_codemeta_spdx_url_citation_and_language(tmp_path: Path) -> None:
    config = load_config(_dataset(tmp_path, {"codemeta.json": GOSSET}))
    md = config.metadata
    assert md.licenses == ("mit",)  # https://spdx.org/licenses/MIT
    assert md.version == "1.3"
    assert [(r.scheme, r.identifier, r.relation_type) for r in md.related] == [
        ("doi", "10.1016/j.softx.2023.101402", "references")
    ]
    assert config.custom_fields["code:programmingLanguage"] == ({"id": "r"},)
    assert [c.family_name for c in md.creators] == [
        "de Sousa",
        "van Etten",
        "Brown",
        "Steinke",
        "van Heerwaarden",
    ]


def test_zenodo_json_fields_come_from_their_lines(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {".zenodo.json": CFFCONVERT}, {"version": "2.0.0", "resource_type": "software"})
    config = load_config(path)
    md, zj = config.metadata, json.loads(CFFCONVERT.read_text())
    assert md.title == zj["title"]
    assert md.licenses == ("apache-2.0",)  # {"id": "Apache-2.0"}
    assert md.keywords == tuple(zj["keywords"])
    assert md.description == zj["description"]  # already HTML (or text) in the deposit format
    assert [(c.family_name, c.given_name) for c in md.creators] == [
        tuple(c["name"].split(", ")) for c in zj["creators"]
    ]
    assert [c.identifiers for c in md.creators][:2] == [(("orcid", "0000-0002-7064-4069"),), ()]
    assert [a.name for a in md.creators[3].affiliations] == ["Humboldt-Universität zu Berlin"]
    assert config.origins["metadata.creators"] == (
        str(tmp_path / ".zenodo.json"),
        _key(CFFCONVERT, "creators"),
    )
    assert config.warnings == ()


LEGACY = {
    "title": "A legacy deposit",
    "version": "0.3",
    "upload_type": "publication",
    "publication_type": "article",
    "publication_date": "2021-03-04",
    "creators": [{"name": "Doe, Jane", "orcid": "0000-0002-1825-0097", "affiliation": "Lab", "gnd": "x"}],
    "contributors": [{"name": "Roe, Richard", "type": "DataCurator"}],
    "license": "CC-BY-4.0",
    "related_identifiers": [
        {"identifier": "10.1234/abc", "relation": "isSupplementTo", "resource_type": "dataset"},
        {"identifier": "https://example.org/x", "relation": "cites"},
        {"identifier": "arXiv:1234.5678", "relation": "cites"},
    ],
    "language": "eng",
    "notes": "A note on it.",
    "references": ["Doe, J. (2020). Earlier work."],
    "dates": [{"start": "2020-01-01", "end": "2020-06-30", "type": "Collected"}],
    "access_right": "open",
    "communities": [{"identifier": "ecology"}],
    "grants": [{"id": "10.13039/501100000780::283595"}],
    "imprint_publisher": "Zenodo",
}


def test_zenodo_json_legacy_fields_map_faithfully(tmp_path: Path) -> None:
    legacy = tmp_path / "src.json"
    legacy.write_text(json.dumps(LEGACY, indent=2))
    config = load_config(_dataset(tmp_path, {".zenodo.json": legacy}))
    md = config.metadata
    assert (md.resource_type, md.version, md.publication_date) == ("publication-article", "0.3", "2021-03-04")
    assert md.contributors is not None and [(c.family_name, c.role) for c in md.contributors] == [
        ("Roe", "datacurator")
    ]
    assert [(r.scheme, r.identifier, r.relation_type, r.resource_type) for r in md.related] == [
        ("doi", "10.1234/abc", "issupplementto", "dataset"),
        ("url", "https://example.org/x", "cites", None),
    ]
    assert (md.languages, md.notes, md.publisher, md.licenses) == (
        ("eng",),
        ("A note on it.",),
        "Zenodo",
        ("cc-by-4.0",),
    )
    assert md.references is not None and [r.reference for r in md.references] == [
        "Doe, J. (2020). Earlier work."
    ]
    assert md.dates is not None and [(d.date, d.type) for d in md.dates] == [
        ("2020-01-01/2020-06-30", "collected")
    ]
    warnings = "\n".join(config.warnings)
    for field in ("creators[0].gnd", "related_identifiers[2]", "communities", "grants"):
        assert f": {field}: " in warnings, field
    assert "access_right" not in warnings  # open is what zsync sends


def test_a_source_that_is_not_json_is_an_error_on_its_line(tmp_path: Path) -> None:
    _dataset(tmp_path, {".zenodo.json": PARTSEG}, {"version": "1.0.0"})
    proc = run_zsync("validate", "zenodo.yaml", cwd=tmp_path, token=None)
    assert proc.returncode == 2
    line = _line(PARTSEG, '"orcid": ""')  # the key after the missing comma
    assert proc.stderr.startswith(f".zenodo.json:{line}: JSON syntax error"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_value_of_the_wrong_shape_is_an_error_on_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "src.json"
    broken.write_text(IGA.read_text().replace('"familyName": "Hucka"', '"familyName": 7'))
    _dataset(tmp_path, {"codemeta.json": broken})
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "zenodo.yaml")
    line = _line(IGA, '"familyName": "Hucka"')
    assert str(caught.value.problems[0]).startswith(
        f"{tmp_path / 'codemeta.json'}:{line}: metadata.creators[0].family_name"
    )


def test_sources_in_order_the_first_that_has_a_field_wins(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {".zenodo.json": CFFCONVERT, "codemeta.json": IGA})
    config = load_config(path)
    assert config.metadata.title == "cffconvert"  # both have it: the first source's
    assert config.metadata.version == "1.3.0"  # only the codemeta has it
    assert config.origins["metadata.title"][0].endswith(".zenodo.json")
    assert config.origins["metadata.version"][0].endswith("codemeta.json")
    proc = run_zsync("render", "--explain", "zenodo.yaml", cwd=tmp_path, token=None)
    rows = dict(line.split(None, 1) for line in proc.stdout.splitlines())
    assert rows["metadata.title"] == f".zenodo.json:{_key(CFFCONVERT, 'title')}"
    assert rows["metadata.version"] == f"codemeta.json:{_key(IGA, 'version')}"


def _synced(emulator: Emulator, path: Path) -> dict[str, Any]:
    first = run_zsync("sync", str(path))
    assert first.returncode == 0, first.stderr
    record_id = (path.parent / ".zenodo-record-id.txt").read_text().strip()
    before = len(mutations(emulator))
    second = run_zsync("sync", str(path))
    assert second.returncode == 0, second.stderr
    assert len(mutations(emulator)) == before, "a second sync changed something"
    document: dict[str, Any] = api(emulator, "GET", f"/records/{record_id}/draft").json()
    return document


def test_codemeta_render_sync_and_the_record_says_what_the_file_says(
    tmp_path: Path, emulator: Emulator
) -> None:
    path = _dataset(tmp_path, {"codemeta.json": IGA}, {"license": "bsd-3-clause"}, url=emulator.url)
    rendered = json.loads(run_zsync("render", str(path), token=None).stdout)
    document = _synced(emulator, path)
    md, cm = document["metadata"], json.loads(IGA.read_text())
    assert md["title"] == cm["name"] and md["version"] == cm["version"]
    assert md["publication_date"] == cm["datePublished"] == rendered["metadata"]["publication_date"]
    assert md["description"] == f"<p>{cm['description']}</p>"
    assert [s["subject"] for s in md["subjects"]] == cm["keywords"]
    person = md["creators"][0]["person_or_org"]
    assert (person["family_name"], person["given_name"]) == (
        cm["author"][0]["familyName"],
        cm["author"][0]["givenName"],
    )
    assert person["identifiers"] == [
        {"scheme": "orcid", "identifier": cm["author"][0]["@id"].rsplit("/", 1)[1]}
    ]
    assert md["creators"][0]["affiliations"] == [{"name": cm["author"][0]["affiliation"]["name"]}]
    assert md["contributors"][0]["person_or_org"]["family_name"] == cm["contributor"][0]["familyName"]
    assert md["funding"] == [{"funder": {"id": cm["funder"]["@id"].rsplit("/", 1)[1]}}]
    assert document["custom_fields"]["code:codeRepository"] == cm["codeRepository"]
    assert document["custom_fields"]["code:programmingLanguage"][0]["id"] == "python"
    assert document["custom_fields"]["code:developmentStatus"]["id"] == cm["developmentStatus"]


def test_zenodo_json_render_sync_and_the_record_says_what_the_file_says(
    tmp_path: Path, emulator: Emulator
) -> None:
    path = _dataset(
        tmp_path,
        {".zenodo.json": CFFCONVERT},
        {"version": "2.0.0", "resource_type": "software"},
        url=emulator.url,
    )
    md, zj = _synced(emulator, path)["metadata"], json.loads(CFFCONVERT.read_text())
    assert md["title"] == zj["title"] and md["description"] == zj["description"]
    assert [r["id"] for r in md["rights"]] == [zj["license"]["id"].lower()]
    assert [s["subject"] for s in md["subjects"]] == zj["keywords"]
    names = [
        f"{c['person_or_org']['family_name']}, {c['person_or_org']['given_name']}" for c in md["creators"]
    ]
    assert names == [c["name"] for c in zj["creators"]]
    assert [a["name"] for c in md["creators"] for a in c["affiliations"]] == [
        c["affiliation"] for c in zj["creators"]
    ]
    orcids = [[i["identifier"] for i in c["person_or_org"].get("identifiers", [])] for c in md["creators"]]
    assert orcids == [[c["orcid"]] if "orcid" in c else [] for c in zj["creators"]]
