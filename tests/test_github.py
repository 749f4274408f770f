"""The GitHub Actions protocol (zsync.github): pure functions of their arguments, no runner needed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from zsync import github
from zsync.engine import SyncResult
from zsync.errors import AuthError, ConfigError, Problem, UsageError
from zsync.models import FieldChange, LocalFile
from zsync.planning import DeleteFile, InitFiles, Plan, UpdateMetadata, UploadFile

# --------------------------------------------------------------------------- inputs


def test_read_input_accepts_hyphen_and_underscore_spellings() -> None:
    assert github.read_input({"INPUT_DRY-RUN": "true"}, "dry-run") == "true"
    assert github.read_input({"INPUT_DRY_RUN": "true"}, "dry-run") == "true"
    assert github.read_input({"INPUT_COMMIT-RECORD-ID": " false "}, "commit-record-id") == "false"


def test_read_input_prefers_the_runners_hyphen_spelling() -> None:
    environ = {"INPUT_DRY-RUN": "true", "INPUT_DRY_RUN": "false"}
    assert github.read_input(environ, "dry-run") == "true"


def test_read_input_falls_back_to_default_when_unset_or_empty() -> None:
    assert github.read_input({}, "config", "zenodo.yaml") == "zenodo.yaml"
    assert github.read_input({"INPUT_CONFIG": "  "}, "config", "zenodo.yaml") == "zenodo.yaml"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("TRUE", True), ("yes", True), ("0", False)])
def test_read_bool_input(raw: str, expected: bool) -> None:
    assert github.read_bool_input({"INPUT_PUBLISH": raw}, "publish", not expected) is expected


def test_read_bool_input_rejects_other_words_as_usage_error() -> None:
    with pytest.raises(UsageError, match="publish") as caught:
        github.read_bool_input({"INPUT_PUBLISH": "maybe"}, "publish", False)
    assert caught.value.exit_code == 2


# --------------------------------------------------------------------------- workflow commands


def test_escape_data_and_property_follow_the_workflow_command_spec() -> None:
    assert github.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_error_annotation_with_file_line_and_title() -> None:
    line = github.error_annotation("bad: value, here", file="data/zenodo.yaml", line=14, title="t: x")
    assert line == "::error file=data/zenodo.yaml,line=14,title=t%3A x::bad: value, here"


def test_annotation_without_properties_has_no_space() -> None:
    assert github.warning_annotation("careful\nnow") == "::warning::careful%0Anow"


def test_mask_masks_every_line_of_a_multiline_secret() -> None:
    assert github.mask("abc") == "::add-mask::abc"
    assert github.mask("one\ntwo%\n") == "::add-mask::one\n::add-mask::two%25"


def test_config_error_gives_one_annotation_per_problem_on_its_line(tmp_path: Path) -> None:
    config = tmp_path / "sub" / "zenodo.yaml"
    error = ConfigError(
        [
            Problem(
                str(config), 14, "metadata.creators[1].identifiers.orcid", "fails the checksum", "check it"
            ),
            Problem(str(config), 3, "endpoint", "must start with https://"),
        ]
    )
    lines = github.error_annotations(error, config_file="sub/zenodo.yaml", workspace=tmp_path)
    assert lines == [
        "::error file=sub/zenodo.yaml,line=14,title=zenodo.yaml is invalid::"
        "metadata.creators[1].identifiers.orcid: fails the checksum (check it)",
        "::error file=sub/zenodo.yaml,line=3,title=zenodo.yaml is invalid::endpoint: must start with https://",
    ]


def test_remote_error_gives_one_annotation_with_diagnostics() -> None:
    error = AuthError(
        "Zenodo refused the token", hint="use a sandbox token", status=403, method="GET", path="/x"
    )
    [line] = github.error_annotations(error, config_file="zenodo.yaml", workspace=Path("/nonexistent"))
    assert line.startswith(
        "::error file=zenodo.yaml,title=Zenodo sync failed (auth)::Zenodo refused the token"
    )
    assert "%0A  hint: use a sandbox token" in line


# --------------------------------------------------------------------------- outputs and summary


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file the way the runner does (name<<DELIM ... DELIM)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i]:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def test_write_outputs_appends_multiline_safe_blocks(tmp_path: Path) -> None:
    path = tmp_path / "output"
    path.write_text("earlier<<EOF\nkept\nEOF\n")
    github.write_outputs(path, {"record-id": "123", "notes": "line one\nline=two\nEOF"})
    text = path.read_text()
    assert text.startswith("earlier<<EOF\nkept\nEOF\n")
    assert parse_outputs(text) == {"earlier": "kept", "record-id": "123", "notes": "line one\nline=two\nEOF"}
    assert re.search(r"^record-id<<ghadelimiter_[0-9a-f-]{36}$", text, re.M)


def _result(**changes: object) -> SyncResult:
    measurements = LocalFile("measurements.csv", Path("/w/measurements.csv"), 2048, "a" * 32)
    plot = LocalFile("plot.svg", Path("/w/plot.svg"), 512, "b" * 32)
    notes = LocalFile("notes.txt", Path("/w/notes.txt"), 3 * 1024 * 1024, "c" * 32)
    title = FieldChange("metadata.title", "Old", "New")
    plan = Plan(
        record_action="update-draft",
        steps=(
            DeleteFile("plot.svg", 400, "content differs", replaced=True),
            DeleteFile("old.txt", 10, "not in paths"),
            InitFiles(("measurements.csv", "plot.svg")),
            UploadFile(measurements, "new"),
            UploadFile(plot, "content differs", replaces=True),
            UpdateMetadata({"metadata": {}}, (title,)),
        ),
        status="updated",
        metadata_changes=(title,),
        local_version="1.0.0",
        record_id="123",
        unchanged=(notes,),
    )
    values: dict[str, object] = {
        "status": "updated",
        "state": "draft",
        "record_id_path": Path("/w/.zenodo-record-id.txt"),
        "record_id": "123",
        "concept_id": "122",
        "doi": "10.5072/zenodo.123",
        "concept_doi": "10.5072/zenodo.122",
        "html_url": "https://sandbox.zenodo.org/uploads/123",
        "files_uploaded": 2,
        "files_deleted": 1,
        "files_unchanged": 1,
        "bytes_uploaded": 2560,
        "plan": plan,
    }
    values.update(changes)
    return SyncResult(**values)  # type: ignore[arg-type]


def test_summary_of_an_updated_draft_links_and_tabulates_files() -> None:
    text = github.render_summary(_result(), config_file="data/zenodo.yaml")
    assert "## Zenodo sync: updated the record on Zenodo" in text
    assert "| Record | [123](https://sandbox.zenodo.org/uploads/123), concept 122 |" in text
    assert "[10.5072/zenodo.123](https://doi.org/10.5072/zenodo.123) (reserved" in text
    assert "| `measurements.csv` | uploaded | 2.0 KiB |" in text
    assert "| `plot.svg` | replaced | 512 B |" in text
    assert "| `old.txt` | deleted | 10 B |" in text
    assert "| `notes.txt` | unchanged | 3.0 MiB |" in text
    assert "2 uploaded (2.5 KiB), 1 deleted, 1 unchanged." in text
    assert "- `metadata.title`" in text
    assert "press **Publish**" in text
    assert "[the draft](https://sandbox.zenodo.org/uploads/123)" in text


def test_summary_of_a_dry_run_speaks_in_the_future() -> None:
    text = github.render_summary(_result(status="planned"))
    assert "dry run: nothing was changed" in text
    assert "| `measurements.csv` | to upload | 2.0 KiB |" in text
    assert "uploaded (" not in text
    assert "without `dry-run`" in text


def test_summary_without_token_explains_how_to_add_the_secret() -> None:
    local = (LocalFile("a.csv", Path("/w/a.csv"), 100, "c" * 32),)
    result = SyncResult(
        status="validated", state=None, record_id_path=Path("/w/id"), local_files=local, notes=("no token",)
    )
    text = github.render_summary(result, repository_url="https://github.com/o/r")
    assert "validated only: nothing was sent" in text
    assert "| `a.csv` | found locally | 100 B |" in text
    assert "`ZENODO_TOKEN`" in text
    assert "(https://github.com/o/r/settings/secrets/actions)" in text
    assert "`token: ${{ secrets.ZENODO_TOKEN }}`" in text


def test_summary_of_a_published_record_says_nothing_to_do() -> None:
    text = github.render_summary(_result(status="unchanged", state="published", plan=None))
    assert "(reserved" not in text
    assert "Nothing: the record is published at [10.5072/zenodo.123]" in text


def test_summary_escapes_table_cells() -> None:
    result = _result(record_id="1|2", html_url=None)
    assert "| Record | 1\\|2, concept 122 |" in github.render_summary(result)


def test_error_summary_of_config_problems_is_a_table_with_lines() -> None:
    error = ConfigError(
        [Problem("zenodo.yaml", 14, "metadata.version", "must be a string", "quote it: '1.0'")]
    )
    text = github.render_error_summary(error, config_file="zenodo.yaml")
    assert "## Zenodo sync failed" in text
    assert "| 14 | `metadata.version` | must be a string | quote it: '1.0' |" in text


def test_error_summary_of_a_remote_error_gives_the_hint_as_next_step() -> None:
    error = AuthError("Zenodo refused the token", hint="create a token on sandbox.zenodo.org", status=403)
    text = github.render_error_summary(error)
    assert "Zenodo refused the token" in text
    assert "- create a token on sandbox.zenodo.org" in text


# --------------------------------------------------------------------------- reporter


def test_reporter_groups_phases_without_nesting_and_warns_with_annotations() -> None:
    stream = io.StringIO()
    reporter = github.GitHubReporter(stream)
    with reporter.phase("Upload files"):
        reporter.info("starting")
        with reporter.phase("inner"):
            reporter.warning("slow: 50%")
        reporter.file_done("uploaded", "a.csv", 2048, 2.0)
        reporter.progress("a.csv", 1, 2)
    assert stream.getvalue().splitlines() == [
        "::group::Upload files",
        "starting",
        "== inner",
        "::warning::slow: 50%25",
        "uploaded a.csv (2.0 KiB in 2.0 s, 1.0 KiB/s)",
        "::endgroup::",
    ]


def test_reporter_closes_the_group_when_the_phase_fails() -> None:
    stream = io.StringIO()
    reporter = github.GitHubReporter(stream)
    with pytest.raises(RuntimeError), reporter.phase("Upload"):
        raise RuntimeError("boom")
    assert stream.getvalue().splitlines()[-1] == "::endgroup::"
    with reporter.phase("Next"):
        pass
    assert stream.getvalue().splitlines()[-2] == "::group::Next"
