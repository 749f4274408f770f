"""`write_back:`: the DOI (and, opted in, the version) written into CITATION.cff, codemeta.json and a
README badge: the edits themselves (byte for byte), the config rows, the run against the emulator
(the uploaded CITATION.cff cites its own record), the Action's one commit, and a run stopped between
the reservation and that commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from test_crash_points import Stop, StoppingClient
from test_entrypoint import ID_FILE, Workspace, git, workspace  # noqa: F401 (the fixture)

import zsync
from zsync import doitext
from zsync.api import RetryPolicy
from zsync.emulator import Emulator
from zsync.errors import ConfigError

TOKEN = "test-token"

CFF = """\
# The citation of this dataset (keep this comment)
cff-version: 1.2.0
message: "If you use these data, please cite them."   # a comment after a value
title: 'Water temperature in a garden pond, spring 2026'
version: "1.0.0"
authors:
  - family-names: Carberry   # the first author
    given-names: Josiah
date-released: 2026-03-01
keywords: [limnology, temperature]
"""

CODEMETA = """\
{
    "@context": "https://doi.org/10.5063/schema/codemeta-2.0",
    "@type": "Dataset",
    "name": "Water temperature",
    "version": "1.0.0",
    "keywords": ["limnology",   "temperature"]
}
"""

README = """\
# The pond

<!-- zsync-doi-badge -->
<!-- /zsync-doi-badge -->

Some text.
"""


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """The lines only in `old`, and those only in `new`."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    return [line for line in a if line not in b], [line for line in b if line not in a]


# --------------------------------------------------------------------------- the edits


def test_citation_edit_touches_only_its_lines_and_keeps_quotes_and_comments() -> None:
    new = doitext.edit_citation(CFF, {"doi": "10.5281/zenodo.42", "version": "1.1.0"})
    gone, added = changed_lines(CFF, new)
    assert gone == ['version: "1.0.0"\n']
    assert added == ['version: "1.1.0"\n', "doi: 10.5281/zenodo.42\n"]
    assert new.replace('version: "1.1.0"\ndoi: 10.5281/zenodo.42\n', 'version: "1.0.0"\n') == CFF
    again = doitext.edit_citation(new, {"doi": "10.5281/zenodo.43"})
    assert changed_lines(new, again) == (["doi: 10.5281/zenodo.42\n"], ["doi: 10.5281/zenodo.43\n"])
    assert doitext.edit_citation(again, {"doi": "10.5281/zenodo.43", "version": "1.1.0"}) == again


def test_citation_edit_keeps_crlf_and_a_trailing_comment_on_doi() -> None:
    text = "cff-version: 1.2.0\r\ntitle: T\r\ndoi: '10.1/old'   # ours\r\nversion: 1\r\n"
    new = doitext.edit_citation(text, {"doi": "10.5281/zenodo.7", "version": "1.10"})
    assert (
        new == "cff-version: 1.2.0\r\ntitle: T\r\ndoi: '10.5281/zenodo.7'   # ours\r\nversion: \"1.10\"\r\n"
    )


def test_citation_edit_refuses_a_block_value() -> None:
    with pytest.raises(doitext.EditRefused, match="not a one-line value"):
        doitext.edit_citation("title: T\ndoi: >-\n  10.1/x\n", {"doi": "10.5281/zenodo.1"})


def test_codemeta_edit_replaces_value_characters_only() -> None:
    new = doitext.edit_codemeta(
        CODEMETA, {"identifier": "https://doi.org/10.5281/zenodo.42", "version": "2.0"}
    )
    gone, added = changed_lines(CODEMETA, new)
    assert gone == ['    "version": "1.0.0",\n', '    "keywords": ["limnology",   "temperature"]\n']
    assert added == [
        '    "version": "2.0",\n',
        '    "keywords": ["limnology",   "temperature"],\n',
        '    "identifier": "https://doi.org/10.5281/zenodo.42"\n',
    ]
    assert doitext.edit_codemeta(new, {"identifier": "https://doi.org/10.5281/zenodo.42"}) == new
    assert json.loads(new)["keywords"] == ["limnology", "temperature"]


def test_readme_badge_goes_between_the_markers_only() -> None:
    badge = doitext.badge_markdown("https://zenodo.org", "10.5281/zenodo.41")
    assert badge == (
        "[![DOI](https://zenodo.org/badge/DOI/10.5281/zenodo.41.svg)](https://doi.org/10.5281/zenodo.41)"
    )
    new = doitext.edit_readme_badge(README, badge)
    assert new == README.replace("-->\n<!--", f"-->\n{badge}\n<!--")
    assert doitext.edit_readme_badge(new, badge) == new
    inline = "See <!-- zsync-doi-badge -->old<!-- /zsync-doi-badge --> here."
    assert (
        doitext.edit_readme_badge(inline, "B")
        == "See <!-- zsync-doi-badge -->B<!-- /zsync-doi-badge --> here."
    )


# --------------------------------------------------------------------------- the config


def _dataset(root: Path, url: str, write_back: str, *, publish_cff: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.csv").write_text("t,c\n1,12.5\n")
    (root / "CITATION.cff").write_text(CFF)
    (root / "codemeta.json").write_text(CODEMETA)
    (root / "README.md").write_text(README)
    paths = "[data.csv, CITATION.cff]" if publish_cff else "[data.csv]"
    config = root / "zenodo.yaml"
    config.write_text(
        f"endpoint: {url}\n"
        "metadata:\n"
        "  title: 'Water temperature in a garden pond'\n"
        "  version: '1.0.0'\n"
        "  creators: [{family_name: Carberry, given_name: Josiah}]\n"
        "  resource_type: dataset\n"
        f"paths: {paths}\n"
        f"write_back: {write_back}\n"
    )
    return config


def test_write_back_problems_are_reported_on_their_lines(tmp_path: Path) -> None:
    config = _dataset(
        tmp_path, "https://sandbox.zenodo.org/api", "{citation: CITE.cff, readme_badge: data.csv}"
    )
    with pytest.raises(ConfigError) as caught:
        zsync.validate(config)
    lines = [str(p) for p in caught.value.problems]
    assert lines == [
        f"{config}:8: write_back.citation: 'CITE.cff' does not exist ({tmp_path / 'CITE.cff'}) "
        "(zsync writes into a file you keep; create it)",
        f"{config}:8: write_back.readme_badge: 'data.csv' has no <!-- zsync-doi-badge --> ... "
        "<!-- /zsync-doi-badge --> markers (put the two markers, each on its own line, where the badge goes)",
    ]
    config.write_text(
        config.read_text().replace("{citation: CITE.cff, readme_badge: data.csv}", "{version: true}")
    )
    with pytest.raises(ConfigError, match="write_back: names no file to write the DOI into"):
        zsync.validate(config)


def test_the_json_schema_takes_write_back_and_refuses_its_mistakes() -> None:
    import jsonschema
    import yaml

    from zsync.jsonschema import build_schema

    validator = jsonschema.Draft7Validator(build_schema())
    base = {
        "endpoint": "https://sandbox.zenodo.org/api",
        "metadata": {"title": "A title", "version": "1.0.0", "creators": [{"name": "Doe, Jane"}],
                     "resource_type": "dataset"},
        "paths": ["data.csv"],
    }  # fmt: skip
    good = yaml.safe_load("write_back: {citation: CITATION.cff, readme_badge: README.md, version: true}")
    assert [e.message for e in validator.iter_errors({**base, **good})] == []
    for wrong in ("{citaton: CITATION.cff}", "{version: true}", "{citation: CITATION.cff, version: 'yes'}"):
        assert list(validator.iter_errors({**base, "write_back": yaml.safe_load(wrong)})), wrong


# --------------------------------------------------------------------------- a sync


def _download(emulator: Emulator, record_id: str, key: str) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "zsync-tests/1"}
    url = f"{emulator.url}/records/{record_id}/draft/files/{key}/content"
    return requests.get(url, headers=headers, timeout=30).text


def test_the_uploaded_citation_cites_its_own_record_and_a_rerun_changes_nothing(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = _dataset(
        tmp_path, emulator.url, "{citation: CITATION.cff, codemeta: codemeta.json, readme_badge: README.md}"
    )
    hooked: list[tuple[str, tuple[str, ...]]] = []

    def hook(path: Path, record_id: str, *also: Path) -> None:
        hooked.append((path.name, tuple(p.name for p in also)))

    result = zsync.sync(config, token=TOKEN, on_record_id=hook)

    assert result.status == "created"
    record_id, doi = result.record_id, result.doi
    assert record_id and doi
    cff = (tmp_path / "CITATION.cff").read_text()
    assert f"\ndoi: {doi}\n" in cff
    assert _download(emulator, record_id, "CITATION.cff") == cff, "the upload carries the DOI"
    assert json.loads((tmp_path / "codemeta.json").read_text())["identifier"] == f"https://doi.org/{doi}"
    assert (tmp_path / "README.md").read_text() == README, "no concept DOI before the first publication"
    # one hand-over: the id file and the files written, after the reservation, before any upload
    assert hooked == [(ID_FILE, ("CITATION.cff", "codemeta.json"))]
    assert [p.name for p in result.written] == ["CITATION.cff", "codemeta.json"]
    paths = [e.path for e in emulator.mutating_requests()]
    assert paths.index(f"/api/records/{record_id}/draft/pids/doi") < min(
        i for i, p in enumerate(paths) if p.endswith("/content")
    )

    emulator.clear_log()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    again = zsync.sync(config, token=TOKEN, on_record_id=hook)
    assert again.status == "unchanged" and again.written == ()
    assert emulator.mutating_requests() == []
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert len(hooked) == 1

    emulator.publish(record_id)  # the concept DOI exists now: the badge is written, once
    published = zsync.sync(config, token=TOKEN, on_record_id=hook)
    concept = published.concept_doi
    assert concept and [p.name for p in published.written] == ["README.md"]
    assert f"/badge/DOI/{concept}.svg)](https://doi.org/{concept})" in (tmp_path / "README.md").read_text()
    assert zsync.sync(config, token=TOKEN).written == ()


def test_a_release_version_follows_into_the_files_when_opted_in(tmp_path: Path, emulator: Emulator) -> None:
    config = _dataset(
        tmp_path, emulator.url, "{citation: CITATION.cff, codemeta: codemeta.json, version: true}"
    )
    first = zsync.sync(config, token=TOKEN)
    assert first.record_id
    emulator.publish(first.record_id)

    release = zsync.sync(config, token=TOKEN, version="v1.1.0")

    assert release.status == "new-version"
    cff = (tmp_path / "CITATION.cff").read_text()
    assert 'version: "1.1.0"\n' in cff and f"doi: {release.doi}\n" in cff
    assert release.doi != first.doi
    codemeta = json.loads((tmp_path / "codemeta.json").read_text())
    assert (codemeta["version"], codemeta["identifier"]) == ("1.1.0", f"https://doi.org/{release.doi}")
    assert release.record_id and _download(emulator, release.record_id, "CITATION.cff") == cff


def test_without_version_opt_in_the_version_line_stays(tmp_path: Path, emulator: Emulator) -> None:
    config = _dataset(tmp_path, emulator.url, "{citation: CITATION.cff}")
    result = zsync.sync(config, token=TOKEN, version="2.0.0")
    cff = (tmp_path / "CITATION.cff").read_text()
    assert 'version: "1.0.0"\n' in cff and f"doi: {result.doi}\n" in cff


# --------------------------------------------------------------------------- the Action's commit


def _with_write_back(workspace: Workspace) -> None:  # noqa: F811 (the fixture's name)
    (workspace.root / "CITATION.cff").write_text(CFF)
    (workspace.root / "README.md").write_text(README)
    config = workspace.root / "zenodo.yaml"
    config.write_text(config.read_text() + "write_back: {citation: CITATION.cff, readme_badge: README.md}\n")
    git(workspace.root, "add", ".")
    git(workspace.root, "commit", "-q", "-m", "write back")
    git(workspace.root, "push", "-q", "origin", "main")


def test_the_bot_commit_holds_exactly_the_id_file_and_the_written_files(
    workspace: Workspace,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    _with_write_back(workspace)
    start = git(workspace.remote, "rev-parse", "main")

    run = workspace.run(token=TOKEN)

    assert run.code == 0, run.log
    commits = git(workspace.remote, "rev-list", f"{start}..main").split()
    assert len(commits) == 1
    changed = git(workspace.remote, "show", "--name-only", "--format=", "main").split()
    assert sorted(changed) == sorted([ID_FILE, "CITATION.cff"])
    assert f"doi: {run.outputs['doi']}\n" in workspace.remote_file("CITATION.cff")
    assert workspace.remote_file("CITATION.cff") == (workspace.root / "CITATION.cff").read_text().strip()
    assert git(workspace.root, "status", "--porcelain", "--", "CITATION.cff", ID_FILE) == ""

    again = workspace.run(token=TOKEN)
    assert again.code == 0, again.log
    assert git(workspace.remote, "rev-list", f"{start}..main").split() == commits, "a re-run commits nothing"


def test_a_run_stopped_after_the_reservation_converges_in_one_commit(
    workspace: Workspace,  # noqa: F811 (the fixture)
    emulator: Emulator,
) -> None:
    """Stopped right after the DOI was reserved, before the write-back and its commit (the id file is
    written but nothing reached the repository): the next run writes that same DOI, reserves none,
    and makes one commit with the id file and CITATION.cff."""
    _with_write_back(workspace)
    start = git(workspace.remote, "rev-parse", "main")
    config = workspace.root / "zenodo.yaml"
    client = StoppingClient(emulator.url, 2)  # create_draft, reserve_doi: then the job died
    with pytest.raises(Stop, match="reserve_doi"):
        zsync.sync(config, token=TOKEN, client=client, retry=RetryPolicy(sleep=lambda _s: None))
    (record_id,) = emulator.drafts
    reserved = emulator.drafts[record_id]["pids"]["doi"]["identifier"]
    assert reserved and "doi:" not in (workspace.root / "CITATION.cff").read_text()
    emulator.clear_log()

    run = workspace.run(token=TOKEN)

    assert run.code == 0, run.log
    assert run.outputs["doi"] == reserved
    assert not [e for e in emulator.mutating_requests() if e.path.endswith("/pids/doi")]
    commits = git(workspace.remote, "rev-list", f"{start}..main").split()
    assert len(commits) == 1
    changed = git(workspace.remote, "show", "--name-only", "--format=", "main").split()
    assert sorted(changed) == sorted([ID_FILE, "CITATION.cff"])
    assert f"doi: {reserved}\n" in workspace.remote_file("CITATION.cff")


def test_a_failure_before_the_write_back_still_hands_the_id_file_over(
    tmp_path: Path, emulator: Emulator
) -> None:
    """The id file's commit waits for the WriteBack step; a run that fails in between (here: right
    after the reservation) hands the id file over alone, so the record is never lost."""
    config = _dataset(tmp_path, emulator.url, "{citation: CITATION.cff}")
    hooked: list[tuple[str, str, tuple[str, ...]]] = []

    def hook(path: Path, record_id: str, *also: Path) -> None:
        hooked.append((path.name, record_id, tuple(p.name for p in also)))

    with pytest.raises(Stop):
        zsync.sync(config, token=TOKEN, on_record_id=hook, client=StoppingClient(emulator.url, 2))
    (record_id,) = emulator.drafts
    assert hooked == [(ID_FILE, record_id, ())]

    zsync.sync(config, token=TOKEN, on_record_id=hook)
    assert hooked[1:] == [(ID_FILE, record_id, ("CITATION.cff",))]


def test_a_citation_that_is_also_the_metadata_source_never_makes_the_record_cite_itself(
    tmp_path: Path, emulator: Emulator
) -> None:
    """metadata_from reads a CFF `doi` as `isidenticalto`; once zsync wrote the record's own DOI
    there, that is not sent (a record is not identical to itself), and a re-run sends nothing."""
    config = _dataset(tmp_path, emulator.url, "{citation: CITATION.cff, version: true}")
    config.write_text(config.read_text().replace("metadata:\n", "metadata_from: [CITATION.cff]\nmetadata:\n"))
    first = zsync.sync(config, token=TOKEN)
    assert first.record_id and first.doi
    emulator.clear_log()
    again = zsync.sync(config, token=TOKEN)
    assert again.status == "unchanged" and emulator.mutating_requests() == []
    related = emulator.drafts[first.record_id]["metadata"].get("related_identifiers", [])
    assert first.doi not in json.dumps(related)

    emulator.publish(first.record_id)
    release = zsync.sync(config, token=TOKEN, version="1.1.0")  # the CFF names 1.0.0's DOI meanwhile
    assert release.status == "new-version" and release.record_id
    related = emulator.drafts[release.record_id]["metadata"].get("related_identifiers", [])
    assert first.doi not in json.dumps(related) and release.doi not in json.dumps(related)


def test_the_cli_writes_into_the_work_tree_and_lists_the_files(tmp_path: Path, emulator: Emulator) -> None:
    from test_sync_e2e import run_zsync

    config = _dataset(tmp_path, emulator.url, "{citation: CITATION.cff, codemeta: codemeta.json}")
    proc = run_zsync("sync", str(config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (
        "written: CITATION.cff, codemeta.json (write_back: commit them with the record-id file)"
        in proc.stdout
    )
    assert "doi: 10." in (tmp_path / "CITATION.cff").read_text()
    again = run_zsync("sync", str(config), cwd=tmp_path)
    assert again.returncode == 0 and "written:" not in again.stdout


def test_the_job_summary_names_the_files_written(tmp_path: Path, emulator: Emulator) -> None:
    from zsync import github

    config = _dataset(tmp_path, emulator.url, "{citation: CITATION.cff}")
    summary = github.render_summary(zsync.sync(config, token=TOKEN))
    assert "| DOI written into | `CITATION.cff` |" in summary


def test_a_badge_in_the_readme_that_is_the_description_changes_no_metadata(
    tmp_path: Path, emulator: Emulator
) -> None:
    config = _dataset(tmp_path, emulator.url, "{readme_badge: README.md}")
    config.write_text(config.read_text() + "path_readme: README.md\n")
    first = zsync.sync(config, token=TOKEN)
    assert first.record_id
    emulator.publish(first.record_id)
    assert [p.name for p in zsync.sync(config, token=TOKEN).written] == ["README.md"]
    emulator.clear_log()
    again = zsync.sync(config, token=TOKEN)
    assert again.status == "unchanged" and emulator.mutating_requests() == []
    assert "badge" not in emulator.records[first.record_id]["metadata"]["description"]


def test_a_published_file_waits_for_the_next_version(tmp_path: Path, emulator: Emulator) -> None:
    """write_back turned on for a record already published with CITATION.cff among its files: the
    published copy is locked, so the CFF is not written now (that would fail every push sync with
    "files differ"), a warning says when it will be; the README badge is written. The next version
    writes its own DOI into the CFF and uploads it."""
    config = _dataset(tmp_path, emulator.url, "{readme_badge: README.md}")
    first = zsync.sync(config, token=TOKEN)
    assert first.record_id
    emulator.publish(first.record_id)
    config.write_text(
        config.read_text().replace(
            "{readme_badge: README.md}", "{citation: CITATION.cff, readme_badge: README.md}"
        )
    )
    warnings: list[str] = []

    class Collect(zsync.report.NullReporter):
        def warning(self, message: str) -> None:
            warnings.append(message)

    published = zsync.sync(config, token=TOKEN, reporter=Collect())
    assert published.status == "unchanged" and [p.name for p in published.written] == ["README.md"]
    assert (tmp_path / "CITATION.cff").read_text() == CFF
    assert any("CITATION.cff is published in record" in w and "next version" in w for w in warnings), warnings

    release = zsync.sync(config, token=TOKEN, version="1.1.0")
    assert release.status == "new-version" and release.record_id
    assert f"doi: {release.doi}\n" in (tmp_path / "CITATION.cff").read_text()
    assert _download(emulator, release.record_id, "CITATION.cff") == (tmp_path / "CITATION.cff").read_text()
