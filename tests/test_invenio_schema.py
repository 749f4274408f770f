"""Rendered documents against the real InvenioRDM schema and Zenodo's vocabularies.

Runs ../shared/tools/invenio-schema-check (the schema Zenodo's server runs, loaded with publish-time
strictness) on the documents tests/schema_check.py renders. Not silently skipped: without the tool
the test fails, unless ZSYNC_SKIP_SCHEMA_CHECK=1 says so explicitly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import schema_check

from zsync.metadata import render_document

CHECKER = schema_check.REPO_ROOT.parent / "shared" / "tools" / "invenio-schema-check"


def _checker() -> Path:
    if os.environ.get("ZSYNC_SKIP_SCHEMA_CHECK") == "1":
        pytest.skip("ZSYNC_SKIP_SCHEMA_CHECK=1: the real InvenioRDM schema check was skipped on request")
    if not os.access(CHECKER, os.X_OK):
        pytest.fail(
            f"the schema checker is missing: {CHECKER} is not an executable file. Run the tests from a "
            "checkout with ../shared beside it, or set ZSYNC_SKIP_SCHEMA_CHECK=1 to skip this check.",
            pytrace=False,
        )
    return CHECKER


def _run(checker: Path, path: Path) -> subprocess.CompletedProcess[str]:
    # The first run builds the checker's virtual environment (minutes); later runs take seconds.
    return subprocess.run([str(checker), str(path)], capture_output=True, text=True, timeout=1800)


@pytest.mark.schema
def test_rendered_documents_pass_the_real_schema(tmp_path: Path) -> None:
    checker = _checker()
    out = tmp_path / "documents.jsonl"
    names = schema_check.write_jsonl(out, tmp_path / "files")
    assert {"full", "minimal", "html-readme", "embargoed", "embargo-lifted"} <= set(names)

    result = _run(checker, out)

    problems = [line for line in result.stdout.splitlines() if ": " in line and "#" in line]
    named = [f"{names[int(p.split('#')[1].split(':')[0]) - 1]}: {p}" for p in problems]
    assert result.returncode == 0, "schema problems:\n" + "\n".join(named or [result.stdout, result.stderr])
    assert f"{len(names)} documents checked, 0 invalid" in result.stdout


@pytest.mark.schema
def test_checker_rejects_a_broken_document(tmp_path: Path) -> None:
    """The check above means something: the same checker reports what the server would refuse."""
    checker = _checker()
    doc = schema_check.documents(tmp_path)[0][1]
    doc["metadata"]["description"] = ""  # what rendering an empty readme must never send
    doc["metadata"]["rights"] = [{"id": "not-a-licence"}]
    del doc["metadata"]["publication_date"]
    out = tmp_path / "broken.jsonl"
    out.write_text(json.dumps(doc) + "\n", encoding="utf-8")

    result = _run(checker, out)

    assert result.returncode == 1
    assert "metadata.description" in result.stdout
    assert "metadata.rights.0.id" in result.stdout
    assert "metadata.publication_date" in result.stdout


@pytest.mark.schema
def test_the_real_schema_refuses_an_active_embargo_whose_date_has_come(tmp_path: Path) -> None:
    """Why zsync sends an embargo as lifted from its date on (zsync.metadata.render_access), and
    why the emulator says so in the same words."""
    checker = _checker()
    doc = dict(schema_check.documents(tmp_path))["embargoed"]
    doc["access"]["embargo"]["until"] = "2025-01-01"
    out = tmp_path / "ended.jsonl"
    out.write_text(json.dumps(doc) + "\n", encoding="utf-8")

    result = _run(checker, out)

    assert result.returncode == 1
    assert "access.embargo.until: Embargo end date must be set to a future date." in result.stdout


def test_schema_check_script_writes_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "docs.jsonl"
    script = Path(schema_check.__file__)
    result = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 3
    for line in lines:
        doc = json.loads(line)
        assert doc["metadata"]["publication_date"] == schema_check.PUBLICATION_DATE
        assert set(doc) == {"metadata", "access", "files", "custom_fields"}


def test_missing_checker_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without ../shared the schema test fails with a message, instead of passing by skipping."""
    monkeypatch.delenv("ZSYNC_SKIP_SCHEMA_CHECK", raising=False)
    monkeypatch.setattr(sys.modules[__name__], "CHECKER", tmp_path / "no-such-checker")
    with pytest.raises(pytest.fail.Exception, match="ZSYNC_SKIP_SCHEMA_CHECK=1"):
        _checker()
    monkeypatch.setenv("ZSYNC_SKIP_SCHEMA_CHECK", "1")
    with pytest.raises(pytest.skip.Exception):
        _checker()


ZENODO_CHECKER = Path(__file__).parent / "zenodo_schema_check.py"


def _checker_python(checker: Path) -> Path:
    """The interpreter of the checker's virtual environment (built by its first run)."""
    venv = Path(os.environ.get("INVENIO_SCHEMA_VENV", "/tmp/invenio-schema-venv"))
    if not (venv / "bin" / "python").exists():
        subprocess.run(
            [str(checker), "--self-test"], capture_output=True, text=True, timeout=1800, check=True
        )
    return venv / "bin" / "python"


def _zenodo_documents(tmp_path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    """Documents with every field #12 added, and every real stepup-reprep config zsync loads."""
    import test_metadata_extras as extras
    import test_stepup as stepup

    docs = {}
    folder = tmp_path / "extras"
    folder.mkdir()
    config = extras._config(folder, extras.BASE + extras.EXTRAS + extras.CUSTOM)
    docs["extras"] = render_document(config, publication_date=schema_check.PUBLICATION_DATE)
    for index, path in enumerate(stepup.ALL_CONFIGS):
        stem = path.name.rsplit(".", 1)[0]
        if stem in stepup.NO_COMMA:
            continue  # refused with what to change; see tests/test_stepup.py
        files, description = stepup.ARGUMENTS_4X.get(stem, ([], None))
        docs[stem] = stepup._render(path, tmp_path / f"c{index}", files, description)
    return docs


@pytest.mark.schema
def test_new_fields_and_real_configs_pass_the_real_schema_with_zenodos_custom_fields(tmp_path: Path) -> None:
    checker = _checker()
    docs = _zenodo_documents(tmp_path)
    assert {
        "code:codeRepository",
        "journal:journal",
        "meeting:meeting",
        "thesis:thesis",
        "dwc:family",
    } <= set(docs["extras"]["custom_fields"])
    out = tmp_path / "zenodo.jsonl"
    out.write_text("".join(json.dumps(doc) + "\n" for doc in docs.values()), encoding="utf-8")
    result = subprocess.run(
        [str(_checker_python(checker)), str(ZENODO_CHECKER), str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(docs)} documents checked, 0 invalid" in result.stdout


@pytest.mark.schema
def test_the_zenodo_checker_refuses_what_zenodo_refuses(tmp_path: Path) -> None:
    checker = _checker()
    doc = _zenodo_documents(tmp_path)["extras"]
    doc["metadata"]["languages"] = [{"id": "english"}]
    doc["metadata"]["contributors"][0].pop("role")
    doc["custom_fields"]["journal:journal"]["issn"] = "2077-9551"
    doc["custom_fields"]["thesis:university"] = "Ghent University"  # gone since 2024
    out = tmp_path / "broken.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    result = subprocess.run(
        [str(_checker_python(checker)), str(ZENODO_CHECKER), str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 1
    for field in (
        "metadata.languages.0.id",
        "metadata.contributors.0.role",
        "custom_fields.journal:journal.issn",
        "custom_fields.thesis:university",
    ):
        assert field in result.stdout, result.stdout
