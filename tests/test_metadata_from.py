"""`metadata_from: [CITATION.cff]`: fields taken from a CFF file, zenodo.yaml's own winning, every
field's origin shown by `render --explain`, what Zenodo cannot take warned about, and end to end:
render -> sync (the real `zsync` against the emulator) -> the record says what the file says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from test_sync_e2e import api, mutations, run_zsync

from zsync.config import load_config
from zsync.emulator import Emulator
from zsync.errors import ConfigError

REAL_CFF = Path(__file__).parent / "metasources" / "cff-project.CITATION.cff"


def _dataset(root: Path, metadata: dict[str, object], url: str = "https://sandbox.zenodo.org/api") -> Path:
    shutil.copy(REAL_CFF, root / "CITATION.cff")
    (root / "data.csv").write_text("a,b\n1,2\n")
    config = {"endpoint": url, "metadata_from": ["CITATION.cff"], "paths": ["data.csv"]}
    if metadata:
        config["metadata"] = metadata
    (root / "zenodo.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root / "zenodo.yaml"


def _line(path: Path, text: str) -> int:
    return next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.lstrip().startswith(text))


def test_fields_come_from_the_cff_and_zenodo_yaml_overrides_them(tmp_path: Path) -> None:
    config = load_config(_dataset(tmp_path, {"title": "My own title"}))
    md = config.metadata
    assert md.title == "My own title"
    assert md.version == "1.2.0"
    assert [c.family_name for c in md.creators][:3] == ["Druskat", "Spaaks", "Chue Hong"]
    assert md.creators[0].identifiers == (("orcid", "0000-0003-4925-7248"),)
    assert md.licenses == ("cc-by-4.0",)
    assert md.keywords[0] == "citation file format"
    assert md.resource_type == "software"
    assert md.description is not None and md.description.startswith("<p>CITATION.cff files are")
    related = {(r.identifier, r.relation_type) for r in md.related}
    assert ("10.5281/zenodo.1003149", "isidenticalto") in related
    assert ("10.7717/peerj-cs.86", "references") in related
    assert ("https://yaml.org/spec/1.2/spec.html", "references") in related
    assert config.origins["metadata.version"] == (
        str(tmp_path / "CITATION.cff"),
        _line(REAL_CFF, "version: 1.2.0"),
    )
    assert "metadata.title" not in config.origins
    assert config.overridden["metadata.title"][1] == _line(REAL_CFF, "title: Citation File Format")


def test_a_readme_overrides_the_abstract(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {})
    (tmp_path / "README.md").write_text("# Mine\n")
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "path_readme": "README.md"}))
    config = load_config(path)
    assert config.metadata.description is None
    assert config.overridden["metadata.description"][1] == _line(REAL_CFF, "abstract:")


def test_what_zenodo_cannot_take_is_a_warning(tmp_path: Path) -> None:
    config = load_config(_dataset(tmp_path, {"resource_type": "dataset"}))
    email = _line(REAL_CFF, "email:")
    assert any(f"CITATION.cff:{email}: authors[5].email: is not sent" in w for w in config.warnings)
    assert not any("'software' is not used" in w for w in config.warnings)  # the CFF has no type: its default
    cff = tmp_path / "CITATION.cff"
    cff.write_text(cff.read_text() + "type: software\n")
    config = load_config(tmp_path / "zenodo.yaml")
    assert any(
        "type: 'software' is not used: zenodo.yaml says resource_type 'dataset'" in w for w in config.warnings
    )
    cff.write_text(cff.read_text().replace('license: "CC-BY-4.0"', "license: Not-Zenodos"))
    config = load_config(tmp_path / "zenodo.yaml")
    assert config.metadata.licenses == ()
    assert any("'Not-Zenodos' is not in Zenodo's licence list" in w for w in config.warnings)


def test_an_invalid_cff_is_reported_at_its_line(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {})
    cff = tmp_path / "CITATION.cff"
    cff.write_text(
        cff.read_text().replace("orcid: https://orcid.org/0000-0002-7064-4069", "orcid: 0000-0002-7064-4069")
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = _line(cff, "orcid: 0000-0002-7064-4069")
    assert str(caught.value.problems[0]).startswith(f"{cff}:{line}: authors[1].orcid: '0000-0002-7064-4069'")
    proc = run_zsync("validate", "zenodo.yaml", cwd=tmp_path, token=None)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"CITATION.cff:{line}: authors[1].orcid:"), proc.stderr


def test_a_mapped_value_zenodo_refuses_names_the_cff(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {})
    cff = tmp_path / "CITATION.cff"
    cff.write_text(cff.read_text().replace("0000-0002-7064-4069", "0000-0002-7064-4068"))  # bad checksum
    proc = run_zsync("validate", "zenodo.yaml", cwd=tmp_path, token=None)
    assert proc.returncode == 2
    line = _line(cff, "orcid: https://orcid.org/0000-0002-7064-4068")
    assert proc.stderr.startswith(f"CITATION.cff:{line}: metadata.creators[1].identifiers.orcid:"), (
        proc.stderr
    )
    assert path.exists()


def test_a_missing_source_is_a_config_error(tmp_path: Path) -> None:
    path = _dataset(tmp_path, {})
    (tmp_path / "CITATION.cff").unlink()
    with pytest.raises(ConfigError, match=r"metadata_from: CITATION\.cff does not exist"):
        load_config(path)


def test_render_explain_names_file_and_line(tmp_path: Path) -> None:
    _dataset(tmp_path, {"title": "Mine"})
    proc = run_zsync("render", "--explain", "zenodo.yaml", cwd=tmp_path, token=None)
    assert proc.returncode == 0, proc.stderr
    rows = dict(line.split(None, 1) for line in proc.stdout.splitlines())
    title = _line(REAL_CFF, "title: Citation File Format")
    assert (
        rows["metadata.title"]
        == f"zenodo.yaml:{_line(tmp_path / 'zenodo.yaml', 'title: Mine')} (overrides CITATION.cff:{title})"
    )
    assert rows["metadata.version"] == f"CITATION.cff:{_line(REAL_CFF, 'version: 1.2.0')}"
    assert rows["metadata.license"] == f"CITATION.cff:{_line(REAL_CFF, 'license:')}"
    assert "warning: CITATION.cff:" in proc.stderr


def test_render_sync_and_the_record_says_what_the_cff_says(tmp_path: Path, emulator: Emulator) -> None:
    path = _dataset(tmp_path, {}, url=emulator.url)
    cff = yaml.safe_load(REAL_CFF.read_text())
    first = run_zsync("sync", str(path))
    assert first.returncode == 0, first.stderr
    record_id = (tmp_path / ".zenodo-record-id.txt").read_text().strip()
    md = api(emulator, "GET", f"/records/{record_id}/draft").json()["metadata"]
    assert md["title"] == cff["title"]
    assert md["version"] == cff["version"]
    assert md["resource_type"]["id"] == "software"
    assert [c["person_or_org"]["family_name"] for c in md["creators"]] == [
        a["family-names"] for a in cff["authors"]
    ]
    assert [c["person_or_org"]["identifiers"][0]["identifier"] for c in md["creators"]] == [
        a["orcid"].removeprefix("https://orcid.org/") for a in cff["authors"]
    ]
    assert [s["subject"] for s in md["subjects"]] == cff["keywords"]
    assert [r["id"] for r in md["rights"]] == [cff["license"].lower()]
    assert md["description"] == f"<p>{cff['abstract']}</p>"
    assert md["publication_date"] == cff["date-released"]
    related = [r["identifier"] for r in md["related_identifiers"]]
    assert related[:2] == [cff["doi"], cff["identifiers"][0]["value"]]  # identifiers[1] repeats doi: once
    assert {ref["doi"] for ref in cff["references"] if "doi" in ref} <= set(related)
    before = len(mutations(emulator))
    second = run_zsync("sync", str(path))
    assert second.returncode == 0, second.stderr
    assert len(mutations(emulator)) == before  # a second sync is a no-op


def test_date_released_is_the_publication_date_and_moves_a_published_one(
    tmp_path: Path, emulator: Emulator
) -> None:
    """date-released is metadata.publication_date: sent at creation, and a change to it edits the
    published record; without it a published record keeps its date (zsync decides it)."""
    path = _dataset(tmp_path, {}, url=emulator.url)
    cff = tmp_path / "CITATION.cff"
    assert load_config(path).origins["metadata.publication_date"][1] == _line(cff, "date-released:")
    assert run_zsync("sync", str(path)).returncode == 0
    record_id = (tmp_path / ".zenodo-record-id.txt").read_text().strip()
    emulator.publish(record_id)
    cff.write_text(cff.read_text().replace('date-released: "2021-08-09"', 'date-released: "2021-09-01"'))
    moved = run_zsync("sync", str(path), "--json")
    assert moved.returncode == 0, moved.stderr
    assert '"status": "updated"' in moved.stdout
    assert _published_date(emulator, record_id) == "2021-09-01"
    cff.write_text(cff.read_text().replace('date-released: "2021-09-01"\n', ""))
    before = len(mutations(emulator))
    kept = run_zsync("sync", str(path))
    assert kept.returncode == 0, kept.stderr
    assert len(mutations(emulator)) == before
    assert _published_date(emulator, record_id) == "2021-09-01"


def _published_date(emulator: Emulator, record_id: str) -> str:
    return str(api(emulator, "GET", f"/records/{record_id}").json()["metadata"]["publication_date"])
