"""The fields researchers fill in on Zenodo's form, now in the config (#12): inline description,
languages, dates, contributors, references, notes and the custom fields.

Each is validated offline, rendered as InvenioRDM takes it, and owned only when the config gives it:
a field the config leaves out keeps what a person wrote on Zenodo; once given (even empty), a re-run
that changes nothing sends nothing, and a change is one PUT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_sync_e2e import Dataset, api, make_dataset, mutations, outputs_of, sync

from zsync.config import parse_config
from zsync.emulator import Emulator
from zsync.errors import ConfigError
from zsync.metadata import diff_owned, merge_unowned, render_document, unowned_metadata
from zsync.models import RemoteRecord

EXTRAS = """\
  description: '<p>What the <b>dataset</b> holds.</p>'
  languages: [eng, nld]
  dates:
    - {date: 2024-06-15, type: collected, description: Field campaign}
    - {date: '2020/2021', type: valid}
  contributors:
    - {name: 'Roe, Richard', role: datacurator, affiliations: [{ror: 00cv9y106}]}
    - {type: organizational, name: ACME, role: hostinginstitution}
  references:
    - 'Doe, J. (2024). A paper.'
    - {reference: 'Roe (2023)', scheme: doi, identifier: 'https://doi.org/10.1234/abc'}
  notes: 'Measured with a new sensor.'
"""

CUSTOM = """\
custom_fields:
  code_repository: https://github.com/example/repo
  development_status: active
  programming_languages: [python, jupyter_notebook]
  rights_holder: Ghent University
  journal: {title: Pond Journal, volume: '12', issue: '3', pages: 1-10, issn: '2077-9550'}
  meeting:
    title: Pond Meeting
    acronym: PM24
    url: https://example.org/pm24
    identifiers: [{scheme: doi, identifier: 10.5281/zenodo.1234567}]
  imprint: {title: Pond Proceedings, isbn: '978-3-16-148410-0', place: Ghent}
  thesis: {university: Ghent University, type: PhD, date_defended: 2024-06-15}
  "dwc:family": [Felidae]
  "dwc:decimalLatitude": [51.05]
  "obo:RO_0002453": [{subject: [Apis mellifera], object: [Varroa destructor]}]
"""

BASE = """\
endpoint: https://sandbox.zenodo.org/api
metadata:
  title: A small dataset
  version: '1.0.0'
  resource_type: dataset
  creators:
    - name: 'Doe, Jane'
"""


def _config(tmp_path: Path, text: str) -> Any:
    (tmp_path / "a.csv").write_text("x\n")
    return parse_config(text + "paths: [a.csv]\n", source=tmp_path / "zenodo.yaml")


def test_every_extra_renders_as_invenio_takes_it(tmp_path: Path) -> None:
    doc = render_document(_config(tmp_path, BASE + EXTRAS + CUSTOM), publication_date="2026-01-01")
    md = doc["metadata"]
    assert md["description"] == "<p>What the <b>dataset</b> holds.</p>"
    assert md["languages"] == [{"id": "eng"}, {"id": "nld"}]
    assert md["dates"] == [
        {"date": "2024-06-15", "type": {"id": "collected"}, "description": "Field campaign"},
        {"date": "2020/2021", "type": {"id": "valid"}},
    ]
    assert md["contributors"] == [
        {
            "person_or_org": {"type": "personal", "family_name": "Roe", "given_name": "Richard"},
            "role": {"id": "datacurator"},
            "affiliations": [{"id": "00cv9y106"}],
        },
        {"person_or_org": {"type": "organizational", "name": "ACME"}, "role": {"id": "hostinginstitution"}},
    ]
    assert md["references"] == [
        {"reference": "Doe, J. (2024). A paper."},
        {"reference": "Roe (2023)", "scheme": "doi", "identifier": "10.1234/abc"},
    ]
    assert md["additional_descriptions"] == [
        {"description": "Measured with a new sensor.", "type": {"id": "notes"}}
    ]
    assert doc["custom_fields"] == {
        "code:codeRepository": "https://github.com/example/repo",
        "code:developmentStatus": {"id": "active"},
        "code:programmingLanguage": [{"id": "python"}, {"id": "jupyter_notebook"}],
        "dc:rightsHolder": ["Ghent University"],
        "journal:journal": {
            "title": "Pond Journal",
            "issue": "3",
            "volume": "12",
            "pages": "1-10",
            "issn": "2077-9550",
        },
        "meeting:meeting": {
            "title": "Pond Meeting",
            "acronym": "PM24",
            "url": "https://example.org/pm24",
            "identifiers": [{"scheme": "doi", "identifier": "10.5281/zenodo.1234567"}],
        },
        "imprint:imprint": {"title": "Pond Proceedings", "isbn": "978-3-16-148410-0", "place": "Ghent"},
        "thesis:thesis": {"university": "Ghent University", "type": "PhD", "date_defended": "2024-06-15"},
        "dwc:family": ["Felidae"],
        "dwc:decimalLatitude": [51.05],
        "obo:RO_0002453": [{"subject": ["Apis mellifera"], "object": ["Varroa destructor"]}],
    }


def test_fields_left_out_are_not_sent_and_not_owned(tmp_path: Path) -> None:
    doc = render_document(_config(tmp_path, BASE), publication_date="2026-01-01")
    for key in ("languages", "dates", "contributors", "references", "additional_descriptions"):
        assert key not in doc["metadata"]
    assert doc["custom_fields"] == {}
    web = {
        "metadata": {**doc["metadata"], "languages": [{"id": "fra", "title": {"en": "French"}}]},
        "custom_fields": {"journal:journal": {"title": "Set on the web"}},
        "access": doc["access"],
    }
    assert diff_owned(doc, web) == []


def test_an_empty_list_owns_the_field_and_clears_it(tmp_path: Path) -> None:
    doc = render_document(_config(tmp_path, BASE + "  languages: []\n"), publication_date="2026-01-01")
    assert doc["metadata"]["languages"] == []
    web = {"metadata": {**doc["metadata"], "languages": [{"id": "fra"}]}, "custom_fields": {}}
    assert [c.field for c in diff_owned(doc, web)] == ["metadata.languages"]


def _remote(metadata: dict[str, Any], custom_fields: dict[str, Any]) -> RemoteRecord:
    return RemoteRecord(
        id="1",
        parent_id=None,
        is_published=False,
        is_draft=True,
        status=None,
        revision_id=1,
        doi=None,
        concept_doi=None,
        html_url=None,
        version_index=1,
        metadata=metadata,
        access={},
        custom_fields=custom_fields,
    )


def test_notes_replace_only_the_notes_among_a_persons_descriptions(tmp_path: Path) -> None:
    doc = render_document(_config(tmp_path, BASE + "  notes: [First note., Second note.]\n"))
    methods = {"description": "How we measured.", "type": {"id": "methods", "title": {"en": "Methods"}}}
    remote = _remote(
        {
            "title": "Old",
            "languages": [{"id": "fra"}],
            "additional_descriptions": [methods, {"description": "Old note.", "type": {"id": "notes"}}],
        },
        {"journal:journal": {"title": "Set on the web"}, "code:codeRepository": "https://old.example"},
    )
    merged = merge_unowned(doc, remote)
    assert merged["metadata"]["additional_descriptions"] == [
        methods,
        {"description": "First note.", "type": {"id": "notes"}},
        {"description": "Second note.", "type": {"id": "notes"}},
    ]
    assert merged["metadata"]["languages"] == [{"id": "fra"}]  # not in the config: kept
    assert merged["custom_fields"] == {"journal:journal": {"title": "Set on the web"}}  # repository: owned
    # What a person wrote stays "theirs"; the notes are zsync's.
    assert unowned_metadata(remote, doc)["additional_descriptions"] == [methods]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "  languages: [en]\n",
            "metadata.languages[0]: 'en' is not an ISO 639-3 language id Zenodo knows "
            "(write 'eng' (English))",
        ),
        ("  languages: English\n", "metadata.languages: 'English' is not an ISO 639-3 language id"),
        (
            "  dates: [{date: '2021/2020', type: valid}]\n",
            "metadata.dates[0].date: '2021/2020' is not a date",
        ),
        (
            "  dates: [{date: '2020', type: colected}]\n",
            "metadata.dates[0].type: 'colected' is not a known date type (did you mean 'collected'?)",
        ),
        ("  contributors: [{name: 'Roe, R'}]\n", "metadata.contributors[0].role: is required"),
        (
            "  contributors: [{name: 'Roe, R', role: curator}]\n",
            "metadata.contributors[0].role: 'curator' is not a known contributor role "
            "(did you mean 'datacurator'?)",
        ),
        (
            "  references: [{reference: x, scheme: doi, identifier: '11.1/x'}]\n",
            "metadata.references[0].identifier: '11.1/x' is not a DOI",
        ),
        ("  notes: 'ab'\n", "metadata.notes: 'ab' is too short (at least 3 characters)"),
        (
            "  description: '<p>A</p>'\npath_readme: r.md\n",
            "metadata.description: also given by path_readme on line 9",
        ),
        (
            "custom_fields: {development_status: activ}\n",
            "custom_fields.development_status: 'activ' is not a known development status "
            "(did you mean 'active'?)",
        ),
        (
            "custom_fields: {programming_languages: [Python]}\n",
            "custom_fields.programming_languages[0]: 'Python' is not a known programming language on Zenodo "
            "(did you mean 'python'?)",
        ),
        (
            "custom_fields: {'code:codeRepository': 'https://x.org'}\n",
            "custom_fields.code:codeRepository: unknown key 'code:codeRepository' "
            "(zsync names it code_repository)",
        ),
        (
            "custom_fields: {'thesis:university': Gent}\n",
            "custom_fields.thesis:university: unknown key 'thesis:university' "
            "(it is thesis: {university: ...}",
        ),
        (
            "custom_fields: {journal: {issn: '2077-9551'}}\n",
            "custom_fields.journal.issn: '2077-9551' is not a valid ISSN",
        ),
        (
            "custom_fields: {imprint: {isbn: '978-3-16-148410-1'}}\n",
            "custom_fields.imprint.isbn: '978-3-16-148410-1'",
        ),
        (
            "custom_fields: {'dwc:decimalLatitude': [north]}\n",
            "custom_fields.dwc:decimalLatitude[0]: expected a number, got a string",
        ),
        (
            "custom_fields: {'dwc:eventDate': ['2024-06']}\n",
            "custom_fields.dwc:eventDate[0]: '2024-06' is not a full date",
        ),
        (
            "code_repository: https://a.org\ncustom_fields: {code_repository: 'https://b.org'}\n",
            "custom_fields.code_repository: also given as code_repository on line 8",
        ),
    ],
)
def test_each_rule_says_what_to_write(tmp_path: Path, extra: str, expected: str) -> None:
    (tmp_path / "r.md").write_text("# R\n")
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, BASE + extra)
    problems = [str(p).split(":", 2)[2].strip() for p in info.value.problems]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


# --------------------------------------------------------------------------- against the emulator


@pytest.fixture
def rich(tmp_path: Path, emulator: Emulator) -> Dataset:
    ds = make_dataset(tmp_path / "dataset", emulator.url, n_files=1)
    text = ds.config_path.read_text()
    text = text.replace("path_readme: README.md\n", "")
    ds.config_path.write_text(text)
    data = ds.config()
    import yaml

    extras = yaml.safe_load("metadata:\n" + EXTRAS)["metadata"]
    data["metadata"].update(extras)
    data.update(yaml.safe_load(CUSTOM))
    ds.write_config(data)
    return ds


def test_a_rerun_with_every_extra_sends_nothing(rich: Dataset, emulator: Emulator) -> None:
    sync(rich)
    draft = api(emulator, "GET", f"/records/{rich.record_id()}/draft").json()
    # The server adds vocabulary titles; zsync compares ids, so the next run finds nothing to do.
    assert draft["metadata"]["languages"][0] == {"id": "eng", "title": {"en": "eng"}}
    assert draft["custom_fields"]["code:programmingLanguage"][0]["id"] == "python"
    assert draft["metadata"]["contributors"][0]["person_or_org"]["name"] == "Roe, Richard"
    emulator.clear_log()
    assert outputs_of(sync(rich, "--json"))["status"] == "unchanged"
    assert mutations(emulator) == []


def test_what_a_person_set_on_the_web_survives_a_sync(rich: Dataset, emulator: Emulator) -> None:
    data = rich.config()
    del data["metadata"]["languages"]
    del data["custom_fields"]["journal"]
    rich.write_config(data)
    sync(rich)
    record_id = rich.record_id()
    draft = api(emulator, "GET", f"/records/{record_id}/draft").json()
    draft["metadata"]["languages"] = [{"id": "fra"}]
    draft["metadata"]["additional_descriptions"].insert(0, {"description": "How.", "type": {"id": "methods"}})
    draft["custom_fields"]["journal:journal"] = {"title": "Typed on the web"}
    body = {k: draft[k] for k in ("metadata", "custom_fields", "access", "files")}
    assert api(emulator, "PUT", f"/records/{record_id}/draft", json=body).status_code == 200

    rich.set("metadata.title", "A new title")
    rich.set("metadata.notes", "A changed note.")
    emulator.clear_log()
    sync(rich)
    assert mutations(emulator) == ["PUT /records/{id}/draft"]
    after = api(emulator, "GET", f"/records/{record_id}/draft").json()
    assert after["metadata"]["title"] == "A new title"
    assert [lang["id"] for lang in after["metadata"]["languages"]] == ["fra"]
    assert [(d["type"]["id"], d["description"]) for d in after["metadata"]["additional_descriptions"]] == [
        ("methods", "How."),
        ("notes", "A changed note."),
    ]
    assert after["custom_fields"]["journal:journal"] == {"title": "Typed on the web"}

    rich.set("metadata.languages", [])  # given, even empty: now zsync's, and cleared
    sync(rich)
    cleared = api(emulator, "GET", f"/records/{record_id}/draft").json()
    assert cleared["metadata"].get("languages", []) == []
