"""zsync.metadata: rendering the draft document, the readme, and comparing owned fields.

The server-shaped documents below follow what InvenioRDM returns with
`Accept: application/vnd.inveniordm.v1+json`: vocabulary entries expanded with titles, `name` filled
on personal creators, identifiers normalised, the description as bleach re-serialised it (the
description and copyright strings are the real output of the server's RDMRecordSchema on our
rendered document, obtained with ../shared/tools' schema environment).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import schema_check

from zsync.errors import ConfigError
from zsync.metadata import (
    OWNED_FIELDS,
    FieldChange,
    diff_owned,
    normalize_html,
    owned_view,
    render_description,
    render_document,
)
from zsync.models import Affiliation, Award, Config, Creator, Funding, Metadata, RelatedIdentifier


@pytest.fixture
def configs(tmp_path: Path) -> dict[str, Config]:
    return schema_check.sample_configs(tmp_path)


# --------------------------------------------------------------------------- render_document


def test_full_document_shape(configs: dict[str, Config]) -> None:
    doc = render_document(configs["full"], publication_date="2026-11-25")

    assert set(doc) == {"metadata", "access", "files", "custom_fields"}
    md = doc["metadata"]
    assert md["resource_type"] == {"id": "dataset"}
    assert md["title"] == "A fully described dataset"
    assert md["publication_date"] == "2026-11-25"
    assert md["version"] == "1.2.0"
    assert md["publisher"] == "Zenodo"
    assert md["copyright"] == "© 2026 Jane Doe & ACME"
    assert md["subjects"] == [{"subject": "keyword one"}, {"subject": "Schlüsselwort"}, {"subject": "CO₂"}]
    assert md["rights"] == [{"id": "cc-by-4.0"}, {"id": "mit"}, {"id": "cc0-1.0"}]
    assert md["description"].startswith("<h1>A dataset</h1>\n<p>Measurements of <em>things</em>")

    jane, jose, acme, collective = md["creators"]
    assert jane == {
        "person_or_org": {
            "type": "personal",
            "family_name": "Doe",
            "given_name": "Jane",
            "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
        },
        "affiliations": [{"id": "01ggx4157"}, {"name": "Some Lab, Some University"}],
    }
    # `name` is the server's to fill for a person; sending it would only invite a mismatch.
    assert "name" not in jose["person_or_org"]
    assert jose["person_or_org"]["identifiers"] == [
        {"scheme": "orcid", "identifier": "0000-0001-5109-3700"},
        {"scheme": "isni", "identifier": "0000000121032683"},
    ]
    assert "affiliations" not in jose
    assert acme == {
        "person_or_org": {
            "type": "organizational",
            "name": "ACME Consortium",
            "identifiers": [{"scheme": "ror", "identifier": "00cv9y106"}],
        },
        "affiliations": [{"id": "00cv9y106"}],
    }
    assert collective["person_or_org"]["type"] == "organizational"

    related = md["related_identifiers"]
    assert related[0] == {
        "identifier": "10.1234/zenodo.1234567",
        "scheme": "doi",
        "relation_type": {"id": "cites"},
        "resource_type": {"id": "publication-article"},
    }
    assert related[4] == {
        "identifier": "20.500.12345/678",
        "scheme": "handle",
        "relation_type": {"id": "references"},
    }
    assert [r["scheme"] for r in related] == [r.scheme for r in configs["full"].metadata.related]

    assert md["funding"] == [
        {"funder": {"id": "00k4n6c32"}, "award": {"id": "00k4n6c32::101001234"}},
        {
            "funder": {"id": "00k4n6c32"},
            "award": {
                "title": {"en": "Full title of the award"},
                "number": "ABC-123",
                "identifiers": [
                    {"scheme": "url", "identifier": "https://example.org/award/1234"},
                    {"scheme": "doi", "identifier": "10.3030/101001234"},
                ],
            },
        },
        {"funder": {"name": "A Private Foundation"}, "award": {"number": "F-42"}},
        {"funder": {"name": "Another Foundation"}},
    ]
    assert doc["custom_fields"] == {"code:codeRepository": "https://github.com/example/repo"}
    assert doc["access"] == {"record": "public", "files": "restricted"}
    # Keys are base names, in the order of `paths`; the first one is previewed.
    assert doc["files"] == {
        "enabled": True,
        "order": ["data.csv", "figure.png"],
        "default_preview": "data.csv",
    }
    json.dumps(doc)  # the body goes out as JSON


def test_minimal_document_leaves_absent_fields_out(configs: dict[str, Config]) -> None:
    doc = render_document(configs["minimal"])

    md = doc["metadata"]
    # No nulls and no empties: the schema refuses "" for description/copyright and null for many.
    assert set(md) == {"resource_type", "title", "creators", "version"}
    assert md["creators"] == [{"person_or_org": {"type": "personal", "family_name": "Solo"}}]
    assert "publication_date" not in md
    assert doc["custom_fields"] == {}
    assert doc["files"] == {"enabled": True, "order": ["only.txt"], "default_preview": "only.txt"}
    assert doc["access"] == {"record": "public", "files": "public"}


def test_publication_date_and_default_preview_are_the_callers_choice(configs: dict[str, Config]) -> None:
    doc = render_document(configs["minimal"], publication_date="2025-01-31", default_preview=False)
    assert doc["metadata"]["publication_date"] == "2025-01-31"
    assert "default_preview" not in doc["files"]
    assert doc["files"]["order"] == ["only.txt"]


def test_personal_name_written_as_family_comma_given(configs: dict[str, Config]) -> None:
    doc = render_document(configs["html-readme"])
    curie, lab = doc["metadata"]["creators"]
    assert curie["person_or_org"] == {"type": "personal", "family_name": "Curie", "given_name": "Marie"}
    assert curie["affiliations"] == [{"name": "Sorbonne"}]
    assert lab == {
        "person_or_org": {"type": "organizational", "name": "The Lab"},
        "affiliations": [{"id": "01ggx4157"}],
    }


def test_personal_name_without_comma_is_a_family_name(tmp_path: Path) -> None:
    config = schema_check._config(
        tmp_path,
        Metadata(
            title="Mononym",
            version="1",
            creators=(Creator(kind="personal", name="Plato"),),
            resource_type="other",
        ),
    )
    person = render_document(config)["metadata"]["creators"][0]["person_or_org"]
    assert person == {"type": "personal", "family_name": "Plato"}


def test_with_version_changes_only_the_version(configs: dict[str, Config]) -> None:
    before = render_document(configs["full"])
    after = render_document(configs["full"].with_version("2.0.0"))
    assert after["metadata"]["version"] == "2.0.0"
    assert [c.field for c in diff_owned(after, before)] == ["metadata.version"]


# --------------------------------------------------------------------------- render_description


def test_markdown_readme_becomes_commonmark_html_with_tables(tmp_path: Path) -> None:
    readme = tmp_path / "zenodo.md"
    readme.write_text(
        "\ufeff# Title\n\nSome *text* & more.\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~~\ncode  here\n~~~\n",
        encoding="utf-8",
    )
    rendered = render_description(readme)
    assert rendered.startswith("<h1>Title</h1>\n<p>Some <em>text</em> &amp; more.</p>\n<table>")
    assert '<th style="text-align:right">b</th>' in rendered
    assert "<td>1</td>" in rendered
    assert "<pre><code>code  here\n</code></pre>" in rendered
    assert "~~" not in rendered  # CommonMark, not the strikethrough extension


def test_html_readme_is_taken_as_it_is(tmp_path: Path) -> None:
    readme = tmp_path / "README.HTML"
    readme.write_text("<p>As *is*</p>\n", encoding="utf-8")
    assert render_description(readme) == "<p>As *is*</p>\n"


def test_readme_of_another_kind_or_missing_is_a_config_error(tmp_path: Path) -> None:
    text = tmp_path / "README.rst"
    text.write_text("Title\n=====\n", encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        render_description(text)
    assert excinfo.value.problems[0].field == "path_readme"
    assert "'.rst'" in excinfo.value.problems[0].message
    with pytest.raises(ConfigError, match="cannot read"):
        render_description(tmp_path / "absent.md")


def test_empty_readme_sends_no_description(tmp_path: Path, configs: dict[str, Config]) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("\n\n", encoding="utf-8")
    from zsync.frozen import replace

    doc = render_document(replace(configs["minimal"], path_readme=empty))
    assert "description" not in doc["metadata"]


# --------------------------------------------------------------------------- HTML normalisation


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            '<a title="t" href="https://x.org/?a=1&amp;b=2">x</a>',
            '<a href="https://x.org/?a=1&b=2" title="t">x</a>',
        ),
        ("<p>one<br />\ntwo</p>", "<p>one<br>\ntwo</p>"),
        ("<p>Say &quot;hi&quot; &amp; go</p>", '<p>Say "hi" &amp; go</p>'),
        ("<p>“curly” ‘quotes’</p>", "<p>\"curly\" 'quotes'</p>"),
        ("<h1>T</h1>\n<p>a\n  b</p>\n\n<ul>\n<li>x</li>\n</ul>", "<h1>T</h1><p>a b</p><ul><li>x</li></ul>"),
        ("<p>img <img src='x.png' alt='i' /> gone</p>", "<p>img  gone</p>"),
        ('<th style="text-align:right">b</th>', "<th>b</th>"),
        (
            "<table><thead><tr><th>h</th></tr></thead></table>",
            "<table><tbody><tr><th>h</th></tr></tbody></table>",
        ),
        ("<P CLASS='x'>Caps</P>", "<p>Caps</p>"),
        ("<p>zero\u200bwidth e\u0301</p>", "<p>zerowidth \u00e9</p>"),
    ],
)
def test_normalize_html_absorbs_sanitiser_changes(ours: str, theirs: str) -> None:
    assert normalize_html(ours) == normalize_html(theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("<p>Hello world</p>", "<p>Hello there</p>"),
        ("<p>a <em>b</em></p>", "<p>a <strong>b</strong></p>"),
        ('<a href="https://a.org">x</a>', '<a href="https://b.org">x</a>'),
        ("<pre><code>x = 1\n  y</code></pre>", "<pre><code>x = 1\n y</code></pre>"),
        ("<p>a</p><p>b</p>", "<p>a b</p>"),
    ],
)
def test_normalize_html_keeps_real_differences(ours: str, theirs: str) -> None:
    assert normalize_html(ours) != normalize_html(theirs)


def test_normalize_html_drops_script_content() -> None:
    assert normalize_html("<p>a<script>alert(1)</script>b</p>") == "<p>ab</p>"


# --------------------------------------------------------------------------- owned view and diff

# What Zenodo returns for the "full" sample once saved (GET /records/{id}/draft, vnd.inveniordm.v1+json).
SERVER_DESCRIPTION = (
    "<h1>A dataset</h1>\n<p>Measurements of <em>things</em>, with <strong>emphasis</strong>, "
    "<code>code</code>, a "
    '<a href="https://example.org/?a=1&amp;b=2">link</a>\nand "curly quotes".</p>\n<table>\n\n<tbody><tr>\n'
    "<th>column</th>\n<th>unit</th>\n<th>note</th>\n</tr>\n\n</tbody><tbody>\n<tr>\n<td>T</td>\n<td>K</td>\n"
    '<td>mean</td>\n</tr>\n</tbody>\n</table>\n<pre><code class="language-python">print(&quot;hello&quot;)'
    '   # spaces kept\n</code></pre>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<div class="note">Raw '
    '<abbr title="HyperText Markup Language">HTML</abbr> passes.</div>'
)


def _title(text: str) -> dict[str, str]:
    return {"en": text}


def server_full_record() -> dict[str, Any]:
    return {
        "id": "1234567",
        "is_published": False,
        "status": "draft",
        "revision_id": 7,
        "parent": {"id": "1234566"},
        "pids": {
            "doi": {"identifier": "10.5281/zenodo.1234567", "provider": "datacite", "client": "datacite"}
        },
        "access": {
            "files": "restricted",
            "record": "public",
            "embargo": {"active": False, "reason": None},
            "status": "restricted",
        },
        "files": {
            "enabled": True,
            "count": 2,
            "total_bytes": 2048,
            "default_preview": "data.csv",
            "entries": {
                "figure.png": {"key": "figure.png", "size": 1024, "checksum": "md5:" + "0" * 32},
                "data.csv": {"key": "data.csv", "size": 1024, "checksum": "md5:" + "1" * 32},
            },
        },
        "custom_fields": {
            "code:codeRepository": "https://github.com/example/repo",
            "code:developmentStatus": None,
        },
        "metadata": {
            "title": "A fully described dataset",
            "publication_date": "2026-01-02",  # not owned: the engine handles it
            "resource_type": {"title": _title("Dataset"), "id": "dataset"},
            "creators": [
                {
                    "affiliations": [
                        {"name": "CERN", "id": "01ggx4157"},
                        {"name": "Some Lab, Some University"},
                    ],
                    "person_or_org": {
                        "name": "Doe, Jane",
                        "type": "personal",
                        "given_name": "Jane",
                        "family_name": "Doe",
                        "identifiers": [{"identifier": "0000-0002-1825-0097", "scheme": "orcid"}],
                    },
                },
                {
                    "person_or_org": {
                        "type": "personal",
                        "name": "Müller-Øster, José",
                        "family_name": "Müller-Øster",
                        "given_name": "José",
                        # an identifier set: the server does not promise our order
                        "identifiers": [
                            {"scheme": "isni", "identifier": "0000000121032683"},
                            {"scheme": "orcid", "identifier": "0000-0001-5109-3700"},
                        ],
                    }
                },
                {
                    "person_or_org": {
                        "type": "organizational",
                        "name": "ACME Consortium",
                        "identifiers": [{"identifier": "00cv9y106", "scheme": "ror"}],
                    },
                    "affiliations": [{"id": "00cv9y106", "name": "Ghent University"}],
                },
                {
                    "person_or_org": {
                        "type": "organizational",
                        "name": "Data Collective",
                        "identifiers": [{"identifier": "0000000121032683", "scheme": "isni"}],
                    },
                    "affiliations": [],
                },
            ],
            "description": SERVER_DESCRIPTION,
            "version": "1.2.0",
            "publisher": "Zenodo",
            "copyright": "© 2026 Jane Doe &amp; ACME",
            "rights": [
                {
                    "id": "cc-by-4.0",
                    "title": _title("Creative Commons Attribution 4.0 International"),
                    "description": _title(
                        "The Creative Commons Attribution license allows re-distribution ..."
                    ),
                    "icon": "cc-by-icon",
                    "props": {
                        "url": "https://creativecommons.org/licenses/by/4.0/legalcode",
                        "scheme": "spdx",
                    },
                },
                {
                    "id": "mit",
                    "title": _title("MIT License"),
                    "props": {"scheme": "spdx", "url": "https://opensource.org/licenses/MIT"},
                },
                {
                    "id": "cc0-1.0",
                    "title": _title("Creative Commons Zero v1.0 Universal"),
                    "icon": "cc-cc0-icon",
                },
            ],
            "subjects": [{"subject": "keyword one"}, {"subject": "Schlüsselwort"}, {"subject": "CO₂"}],
            "languages": [{"id": "eng", "title": _title("English")}],  # not owned
            "related_identifiers": [
                {
                    "identifier": "10.1234/zenodo.1234567",
                    "scheme": "doi",
                    "relation_type": {"id": "cites", "title": _title("Cites")},
                    "resource_type": {"id": "publication-article", "title": _title("Journal article")},
                },
                {
                    "scheme": "url",
                    "identifier": "https://github.com/example/repo",
                    "relation_type": {"id": "issupplementto", "title": _title("Is supplement to")},
                    "resource_type": {"id": "software", "title": _title("Software")},
                },
                {
                    "identifier": "arXiv:2101.00001",
                    "scheme": "arxiv",
                    "relation_type": {"id": "isdocumentedby", "title": _title("Is documented by")},
                    "resource_type": {"id": "publication-preprint", "title": _title("Preprint")},
                },
                {
                    "identifier": "978-3-16-148410-0",
                    "scheme": "isbn",
                    "relation_type": {"id": "isreferencedby", "title": _title("Is referenced by")},
                    "resource_type": {"id": "publication-book", "title": _title("Book")},
                },
                {
                    "identifier": "20.500.12345/678",
                    "scheme": "handle",
                    "relation_type": {"id": "references", "title": _title("References")},
                },
                {
                    "identifier": "urn:nbn:de:101:1-201102033592",
                    "scheme": "urn",
                    "relation_type": {"id": "isderivedfrom", "title": _title("Is derived from")},
                    "resource_type": {"id": "dataset", "title": _title("Dataset")},
                },
                {
                    "identifier": "12345678",
                    "scheme": "pmid",
                    "relation_type": {"id": "iscitedby", "title": _title("Is cited by")},
                    "resource_type": {"id": "publication", "title": _title("Publication")},
                },
                {
                    "identifier": "ark:/13030/tf5p30086k",
                    "scheme": "ark",
                    "relation_type": {"id": "isversionof", "title": _title("Is version of")},
                    "resource_type": {"id": "dataset", "title": _title("Dataset")},
                },
                {
                    "identifier": "http://purl.org/dc/terms/",
                    "scheme": "purl",
                    "relation_type": {"id": "requires", "title": _title("Requires")},
                    "resource_type": {"id": "other", "title": _title("Other")},
                },
                {
                    "identifier": "0317-8471",
                    "scheme": "issn",
                    "relation_type": {"id": "ispublishedin", "title": _title("Is published in")},
                    "resource_type": {"id": "publication-journal", "title": _title("Journal")},
                },
            ],
            "funding": [
                {
                    "funder": {"id": "00k4n6c32", "name": "European Commission"},
                    "award": {
                        "id": "00k4n6c32::101001234",
                        "title": _title("Some ERC project"),
                        "number": "101001234",
                        "acronym": "SERC",
                        "program": "HORIZON.1.1",
                        "identifiers": [
                            {"identifier": "https://cordis.europa.eu/project/id/101001234", "scheme": "url"}
                        ],
                    },
                },
                {
                    "funder": {"name": "European Commission", "id": "00k4n6c32"},
                    "award": {
                        "number": "ABC-123",
                        "title": _title("Full title of the award"),
                        "identifiers": [
                            {"identifier": "10.3030/101001234", "scheme": "doi"},
                            {"identifier": "https://example.org/award/1234", "scheme": "url"},
                        ],
                    },
                },
                {"funder": {"name": "A Private Foundation"}, "award": {"number": "F-42"}},
                {"funder": {"name": "Another Foundation"}},
            ],
        },
        "ui": {"publication_date_l10n_long": "January 2, 2026"},
    }


def test_server_shaped_record_equals_what_we_sent(configs: dict[str, Config]) -> None:
    desired = render_document(configs["full"], publication_date="2026-11-25")
    remote = server_full_record()

    assert diff_owned(desired, remote) == []
    assert owned_view(remote["metadata"], remote["custom_fields"], remote["access"]) == owned_view(
        desired["metadata"], desired["custom_fields"], desired["access"]
    )


def test_server_shaped_html_readme_record_equals_what_we_sent(configs: dict[str, Config]) -> None:
    desired = render_document(configs["html-readme"], publication_date="2026-11-25")
    remote = {
        "metadata": {
            "resource_type": {
                "id": "software-computationalnotebook",
                "title": _title("Computational notebook"),
            },
            "creators": [
                {
                    "person_or_org": {
                        "type": "personal",
                        "given_name": "Marie",
                        "family_name": "Curie",
                        "name": "Curie, Marie",
                    },
                    "affiliations": [{"name": "Sorbonne"}],
                },
                {
                    "person_or_org": {"type": "organizational", "name": "The Lab"},
                    "affiliations": [{"id": "01ggx4157", "name": "CERN"}],
                },
            ],
            "title": "Software with an HTML readme",
            "publication_date": "2026-11-25",
            "subjects": [{"subject": "notebook"}],
            # the server normalised "https://doi.org/10.5281/zenodo.1"
            "related_identifiers": [
                {
                    "identifier": "10.5281/zenodo.1",
                    "scheme": "doi",
                    "relation_type": {"id": "isnewversionof", "title": _title("Is new version of")},
                }
            ],
            "version": "2.0.0-rc.1",
            "rights": [
                {"id": "apache-2.0", "title": _title("Apache License 2.0"), "props": {"scheme": "spdx"}}
            ],
            "description": "<p>An <b>HTML</b> readme &amp; nothing else.</p>\n<ul><li>item</li></ul>",
        },
        "custom_fields": {"code:codeRepository": "https://gitlab.com/x/y"},
        "access": {"record": "public", "files": "public", "embargo": {"active": False}},
        "files": {"enabled": True, "default_preview": "data.csv", "order": ["data.csv", "figure.png"]},
    }
    assert diff_owned(desired, remote) == []


def _changed(desired: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    return [c.field for c in diff_owned(desired, remote)]


def test_each_real_change_is_reported_on_its_field(configs: dict[str, Config]) -> None:
    desired = render_document(configs["full"], publication_date="2026-11-25")

    def edited(edit: Any) -> dict[str, Any]:
        remote = server_full_record()
        edit(remote)
        return remote

    md = "metadata"
    cases: list[tuple[Any, str]] = [
        (lambda r: r[md].update(title="An older title"), "metadata.title"),
        (lambda r: r[md].update(version="1.1.0"), "metadata.version"),
        (lambda r: r[md].pop("publisher"), "metadata.publisher"),
        (lambda r: r[md].update(copyright="© 2025 Jane Doe"), "metadata.copyright"),
        (lambda r: r[md].update(resource_type={"id": "software"}), "metadata.resource_type"),
        (
            lambda r: r[md].update(description=SERVER_DESCRIPTION.replace("things", "stuff")),
            "metadata.description",
        ),
        (
            lambda r: r[md].update(description=SERVER_DESCRIPTION.replace("   # spaces", " # spaces")),
            "metadata.description",
        ),
        (lambda r: r[md]["creators"].reverse(), "metadata.creators"),
        (lambda r: r[md]["creators"][0]["person_or_org"].update(given_name="J."), "metadata.creators"),
        (lambda r: r[md]["creators"][0]["affiliations"].pop(), "metadata.creators"),
        (lambda r: r[md]["creators"][1]["person_or_org"]["identifiers"].pop(), "metadata.creators"),
        (lambda r: r[md]["subjects"].reverse(), "metadata.subjects"),
        (lambda r: r[md]["rights"].pop(), "metadata.rights"),
        (
            lambda r: r[md]["related_identifiers"][0].update(relation_type={"id": "references"}),
            "metadata.related_identifiers",
        ),
        (
            lambda r: r[md]["related_identifiers"][4].update(resource_type={"id": "dataset"}),
            "metadata.related_identifiers",
        ),
        (lambda r: r[md]["funding"][0]["award"].update(id="00k4n6c32::999"), "metadata.funding"),
        (lambda r: r[md]["funding"][1]["award"].update(number="ABC-124"), "metadata.funding"),
        (lambda r: r[md]["funding"].pop(), "metadata.funding"),
        (lambda r: r["custom_fields"].pop("code:codeRepository"), "custom_fields.code:codeRepository"),
        (lambda r: r["access"].update(files="public"), "access.files"),
        (lambda r: r["files"].pop("default_preview"), "files.default_preview"),
    ]
    for edit, field in cases:
        assert _changed(desired, edited(edit)) == [field], field


def test_field_change_carries_remote_old_and_desired_new(configs: dict[str, Config]) -> None:
    desired = render_document(configs["full"])
    remote = server_full_record()
    remote["metadata"]["title"] = "Old title"
    remote["metadata"]["subjects"] = [{"subject": "keyword one"}]
    changes = diff_owned(desired, remote)
    assert changes == [
        FieldChange("metadata.title", "Old title", "A fully described dataset"),
        FieldChange("metadata.subjects", ["keyword one"], ["keyword one", "Schlüsselwort", "CO₂"]),
    ]
    json.dumps([[c.field, c.old, c.new] for c in changes])  # fit for the plan's JSON and the summary


def test_not_owned_fields_never_count(configs: dict[str, Config]) -> None:
    desired = render_document(configs["full"], publication_date="2026-11-25")
    remote = server_full_record()
    remote["metadata"]["publication_date"] = "1999-12-31"
    remote["metadata"]["dates"] = [{"date": "2020", "type": {"id": "collected"}}]
    remote["metadata"]["contributors"] = [{"person_or_org": {"type": "personal", "family_name": "X"}}]
    remote["custom_fields"]["code:programmingLanguage"] = [{"id": "python"}]
    remote["files"]["order"] = []  # the server does not keep files.order from a PUT
    # A lifted embargo is none any more (an active one is owned: tests/test_embargo.py).
    remote["access"]["embargo"] = {"active": False, "until": "2025-01-01", "reason": "was under review"}
    assert diff_owned(desired, remote) == []


def test_none_missing_and_empty_read_alike() -> None:
    sent = {"title": "T", "creators": [{"person_or_org": {"type": "personal", "family_name": "F"}}]}
    returned = {
        "title": "T ",
        "version": None,
        "publisher": "",
        "subjects": [],
        "rights": None,
        "creators": [
            {
                "person_or_org": {"type": "personal", "family_name": "F", "given_name": None, "name": "F"},
                "affiliations": [],
            }
        ],
    }
    assert owned_view(sent, {}) == owned_view(returned, None)


def test_identifiers_are_compared_as_the_server_normalises_them() -> None:
    def creators(orcid: str) -> dict[str, Any]:
        person = {
            "type": "personal",
            "family_name": "F",
            "identifiers": [{"scheme": "orcid", "identifier": orcid}],
        }
        return {"creators": [{"person_or_org": person}]}

    assert owned_view(creators("https://orcid.org/0000-0002-1825-0097")) == owned_view(
        creators("0000-0002-1825-0097")
    )
    assert owned_view(creators("0000-0002-1825-0097")) != owned_view(creators("0000-0002-1825-0098"))

    def related(scheme: str, identifier: str) -> dict[str, Any]:
        return {
            "related_identifiers": [
                {"scheme": scheme, "identifier": identifier, "relation_type": {"id": "cites"}}
            ]
        }

    for scheme, ours, theirs in [
        ("doi", "https://doi.org/10.1234/ABC", "10.1234/ABC"),
        ("doi", "doi:10.1234/x", "10.1234/x"),
        ("arxiv", "2101.00001", "arXiv:2101.00001"),
        ("handle", "hdl:20.500.1/2", "20.500.1/2"),
        ("urn", "nbn:de:1", "urn:nbn:de:1"),
        ("issn", "03178471", "0317-8471"),
    ]:
        assert owned_view(related(scheme, ours)) == owned_view(related(scheme, theirs)), scheme


def test_plain_text_fields_absorb_unicode_fixes() -> None:
    # The server runs ftfy on every string: curly quotes, ligatures, full-width forms, NFC.
    ours = {"title": "“Quoted” ﬁne ＡＢＣ cafe\u0301", "version": "1.0.0"}
    theirs = {"title": '"Quoted" fine ABC café', "version": "1.0.0"}
    assert (
        owned_view(ours)["metadata.title"] == owned_view(theirs)["metadata.title"] == '"Quoted" fine ABC café'
    )


def test_diff_accepts_owned_views(configs: dict[str, Config]) -> None:
    desired = render_document(configs["minimal"])
    view = owned_view(desired["metadata"], desired["custom_fields"], desired["access"])
    other = dict(view, **{"metadata.title": "Other"})
    assert diff_owned(view, other) == [FieldChange("metadata.title", "Other", "Min")]
    assert diff_owned(desired, view) == []


def test_owned_view_keys(configs: dict[str, Config]) -> None:
    doc = render_document(configs["full"])
    view = owned_view(doc["metadata"], doc["custom_fields"], doc["access"], doc["files"])
    assert list(view) == list(OWNED_FIELDS)
    assert "metadata.publication_date" not in view
    assert set(owned_view(doc["metadata"])) == set(OWNED_FIELDS) - {
        "access.record",
        "access.files",
        "access.embargo.until",
        "access.embargo.reason",
        "files.default_preview",
    }


def test_default_preview_not_compared_when_not_sent(configs: dict[str, Config]) -> None:
    desired = render_document(configs["full"], default_preview=False)
    remote = server_full_record()
    remote["files"].pop("default_preview")
    assert diff_owned(desired, remote) == []


def test_render_is_deterministic_and_does_not_share_state(configs: dict[str, Config]) -> None:
    first = render_document(configs["full"])
    second = copy.deepcopy(first)
    first["metadata"]["creators"].clear()
    assert render_document(configs["full"]) == second


def test_models_round_trip_through_award_and_funder_variants(tmp_path: Path) -> None:
    metadata = Metadata(
        title="Funded",
        version="1",
        creators=(Creator(kind="organizational", name="Org", affiliations=(Affiliation(name="Parent"),)),),
        resource_type="dataset",
        related=(RelatedIdentifier("url", "https://example.org", "cites"),),
        funding=(Funding(funder_name="Fund", award=Award(title="Only a title")),),
    )
    doc = render_document(schema_check._config(tmp_path, metadata))
    assert doc["metadata"]["funding"] == [
        {"funder": {"name": "Fund"}, "award": {"title": {"en": "Only a title"}}}
    ]
    remote = copy.deepcopy(doc)
    remote["metadata"]["funding"][0]["award"]["title"] = {"en": "Only a title "}
    assert diff_owned(doc, remote) == []


# --------------------------------------------------------------------------- the example config


def test_example_config_renders_a_complete_document() -> None:
    example = schema_check.example_config()
    if example is None:
        pytest.skip("examples/zenodo.yaml or zsync.config does not exist yet")
    doc = render_document(example, publication_date="2026-11-25")
    md = doc["metadata"]
    assert md["title"] == example.metadata.title
    assert len(md["creators"]) == len(example.metadata.creators)
    assert doc["files"]["order"] == [p.name for p in example.paths]
    assert diff_owned(doc, copy.deepcopy(doc)) == []
