"""The GitHub Actions protocol, in one place: inputs, masks, annotations, groups, outputs, job summary.

Functions take the environment and file paths as parameters and return text (workflow-command lines,
Markdown), so they are tested without a runner and without monkeypatching; `GitHubReporter` writes
to the stream its entry point hands it. The syntax follows GitHub's "Workflow commands" reference:
`::command key=value,...::data`, with data and property values percent-escaped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from zsync import safetext
from zsync.deadline import parse_minutes
from zsync.errors import ConfigError, UsageError, ZsyncError
from zsync.frozen import frozen
from zsync.models import change_verb
from zsync.report import format_rate, format_size
from zsync.units import counted

if TYPE_CHECKING:
    from zsync.cancel import Cancelled
    from zsync.engine import SyncResult

TOKEN_SECRET_NAME = "ZENODO_TOKEN"  # noqa: S105 (the name of the secret, not a secret)
TOKEN_VARIABLES = ("ZENODO_TOKEN", "REPREP_ZENODO_TOKEN")  # after the token input, in this order

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})

# --------------------------------------------------------------------------- inputs


def read_input(environ: Mapping[str, str], name: str, default: str = "") -> str:
    """The value of action input `name`, stripped; `default` when unset or empty.

    The runner exports input `dry-run` as `INPUT_DRY-RUN` (upper-cased, hyphen kept); `docker run -e`
    users and some wrappers can only write `INPUT_DRY_RUN`. Both spellings are read, hyphen first.
    """
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}", f"INPUT_{upper.replace('_', '-')}"):
        value = environ.get(key, "").strip()
        if value:
            return value
    return default


def read_bool_input(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean input: true/false (also yes/no, on/off, 1/0), any case; anything else is a UsageError."""
    raw = read_input(environ, name, "")
    if not raw:
        return default
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"input '{name}' is {raw!r}, not a boolean", hint=f"write {name}: true or {name}: false")


@frozen
class ActionInputs:
    """The action's inputs and the runner's file paths, read once from the environment.

    `config_path` is absolute (the workspace, then `working-directory`, then `config`);
    `config_file` is the same path relative to the workspace, as annotations need it.
    """

    workspace: Path
    base: Path
    config_path: Path
    config_file: str
    token: str | None
    push_token: str | None
    version: str | None
    dry_run: bool
    publish: bool
    reserve_doi: bool
    commit_record_id: bool
    commit_message: str | None
    verbose: bool
    output_path: Path | None
    summary_path: Path | None
    repository_url: str | None
    # stepup-reprep 4.x's command line as inputs: data files (one per line) and a description file,
    # relative to working-directory; and whether a missing token fails the step.
    files: tuple[str, ...] = ()
    description: str | None = None
    require_token: bool = False
    submit_review: bool = False  # review: submit for this run
    share_link: bool = False  # a share link with the defaults when zenodo.yaml has no `share:`
    share_url_in_summary: bool = False  # the share link's URL in the job summary (a secret)
    timeout_minutes: float | None = None  # None: ZSYNC_TIMEOUT_MINUTES, else the default

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        """Read and check every input; a UsageError names the first one that is wrong."""
        workspace = Path(environ.get("GITHUB_WORKSPACE") or Path.cwd())
        base = workspace / read_input(environ, "working-directory", ".")
        if not base.is_dir():
            raise UsageError(
                f"working-directory {base} does not exist",
                hint="give a folder relative to the repository root",
            )
        config_path = base / read_input(environ, "config", "zenodo.yaml")
        dry_run = read_bool_input(environ, "dry-run", False)
        publish = read_bool_input(environ, "publish", False)
        if dry_run and publish:
            raise UsageError("dry-run and publish contradict each other", hint="set only one of them")
        return cls(
            workspace=workspace,
            base=base,
            config_path=config_path,
            config_file=workspace_relative(config_path, workspace),
            token=read_token(environ),
            push_token=read_input(environ, "github-token") or None,
            version=read_input(environ, "version") or None,
            dry_run=dry_run,
            publish=publish,
            reserve_doi=read_bool_input(environ, "reserve-doi", True),
            commit_record_id=read_bool_input(environ, "commit-record-id", True),
            commit_message=read_input(environ, "commit-message") or None,
            verbose=read_bool_input(environ, "verbose", False),
            output_path=_path_or_none(environ.get("GITHUB_OUTPUT")),
            summary_path=_path_or_none(environ.get("GITHUB_STEP_SUMMARY")),
            repository_url=repository_url(environ),
            files=tuple(line.strip() for line in read_input(environ, "files").splitlines() if line.strip()),
            description=read_input(environ, "description") or None,
            require_token=read_bool_input(environ, "require-token", False),
            submit_review=read_bool_input(environ, "submit-review", False),
            share_link=read_bool_input(environ, "share-link", False),
            share_url_in_summary=read_bool_input(environ, "share-url-in-summary", False),
            timeout_minutes=_minutes_input(environ, "timeout-minutes"),
        )


def _minutes_input(environ: Mapping[str, str], name: str) -> float | None:
    raw = read_input(environ, name)
    return parse_minutes(raw, f"input '{name}'") if raw else None


def read_token(environ: Mapping[str, str]) -> str | None:
    """The Zenodo token: the `token` input, else ZENODO_TOKEN, else REPREP_ZENODO_TOKEN (4.x's name)."""
    for value in (read_input(environ, "token"), *(environ.get(name, "") for name in TOKEN_VARIABLES)):
        if value.strip():
            return value.strip()
    return None


def repository_url(environ: Mapping[str, str]) -> str | None:
    """https://github.com/OWNER/REPO of the workflow's repository, when the runner says."""
    repo = environ.get("GITHUB_REPOSITORY")
    server = environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{repo}" if repo else None


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


# --------------------------------------------------------------------------- workflow commands


def escape_data(value: str) -> str:
    """Escape the message part of a workflow command (after the second `::`)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a property value (`file=...,title=...`): data escaping plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """One workflow-command line; properties whose value is None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def mask(value: str) -> str:
    """`::add-mask::` line(s) for a secret; a multi-line value gets one line per line of it."""
    return "\n".join(f"::add-mask::{escape_data(line)}" for line in value.splitlines() if line.strip())


def error_annotation(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    return command("error", message, file=file, line=line, title=title)


def warning_annotation(
    message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    return command("warning", message, file=file, line=line, title=title)


def workspace_relative(path: str | Path, workspace: Path) -> str:
    """`path` relative to the workspace when it lies inside it (annotations need repo paths), else as is.

    A relative `path` is taken to be relative to the workspace."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = workspace / candidate
    try:
        return Path(os.path.relpath(candidate.resolve(), workspace.resolve())).as_posix()
    except ValueError:
        return str(path)


def error_annotations(
    error: ZsyncError, *, config_file: str, workspace: Path, note: str | None = None
) -> list[str]:
    """The `::error` lines for a failed run: one per config problem, on its line; else one for the run.

    `note` (what happened to a record id the run wrote) is added to the run's annotation."""
    if isinstance(error, ConfigError) and error.problems:
        lines = []
        for problem in error.problems:
            text = f"{problem.field}: {problem.message}" if problem.field else problem.message
            if problem.hint:
                text += f" ({problem.hint})"
            lines.append(
                error_annotation(
                    text,
                    file=workspace_relative(problem.file, workspace) if problem.file else config_file,
                    line=problem.line,
                    title="zenodo.yaml is invalid",
                )
            )
        return lines
    text = error.diagnostics() + (f"\n{note}" if note else "")
    return [error_annotation(text, file=config_file, title=f"Zenodo sync failed ({_kind(error)})")]


def _kind(error: ZsyncError) -> str:
    return type(error).__name__.removesuffix("Error").lower() or "error"


# --------------------------------------------------------------------------- outputs


def outputs_of(result: SyncResult) -> dict[str, str]:
    """The action's outputs of a run (also what `zsync sync --json` prints, and GITHUB_OUTPUT gets)."""
    return {
        "record-id": result.record_id or "",
        "concept-id": result.concept_id or "",
        "doi": result.doi or "",
        "concept-doi": result.concept_doi or "",
        "html-url": result.html_url or "",
        "status": result.status,
        "state": result.state or "",
        "files-uploaded": str(result.files_uploaded),
        "files-deleted": str(result.files_deleted),
        "files-unchanged": str(result.files_unchanged),
        "bytes-uploaded": str(result.bytes_uploaded),
        **community_outputs(result),
    }


def community_outputs(result: SyncResult) -> dict[str, str]:
    """`communities` (JSON: per community its slug, status, request id, URL, comment and next step)
    and, for the first community, `review-request-id`, `review-status` and `review-url`."""
    if not result.communities:
        return {}
    first = result.communities[0]
    rows = [
        {
            "community": c.slug,
            "status": c.status,
            "request-id": c.request_id or "",
            "url": c.url or "",
            "comment": c.comment or "",
            "next-step": c.next_step,
        }
        for c in result.communities
    ]
    return {
        "communities": json.dumps(rows),
        "review-request-id": first.request_id or "",
        "review-status": first.status,
        "review-url": first.url or "",
    }


def share_outputs(result: SyncResult) -> dict[str, str]:
    """`share-url`, the secret URL of the share link for co-authors, when the run has one. Not in
    `outputs_of`: it goes to GITHUB_OUTPUT (masked first, see `share_masks`), not to printed JSON."""
    share = result.share
    return {"share-url": share.url} if share is not None and share.url else {}


def share_masks(result: SyncResult) -> str | None:
    """`::add-mask::` lines for the share link's URL and token, to print before anything shows them."""
    share = result.share
    if share is None or not share.url or not share.token:
        return None
    return "\n".join((mask(share.url), mask(share.token)))


def emit_outputs(environ: Mapping[str, str], result: SyncResult) -> str | None:
    """Append the run's outputs to the file GITHUB_OUTPUT names, when it names one (CLI and action).
    None, or a warning when that file cannot be written (see `write_outputs`)."""
    output_path = environ.get("GITHUB_OUTPUT")
    if output_path:
        return write_outputs(Path(output_path), outputs_of(result) | share_outputs(result))
    return None


def format_outputs(mapping: Mapping[str, str]) -> str:
    """`name<<DELIMITER` blocks, safe for any value (newlines, `=`); the delimiter never occurs in it."""
    import uuid  # here: it imports `platform`, which every other run of zsync does without

    blocks = []
    for name, value in mapping.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        while delimiter in value:  # astronomically unlikely, but a collision would corrupt the file
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(blocks)


def write_outputs(path: Path, mapping: Mapping[str, str]) -> str | None:
    """Append the outputs to the file named by GITHUB_OUTPUT (the runner reads it after the step).

    None when written; else a warning to show (the folder is missing, the file is not writable). The
    runner's files are not the sync's business: a run never fails, or crashes, because of them."""
    return _append(path, format_outputs(mapping), "GITHUB_OUTPUT", "the step's outputs")


def write_summary(path: Path, markdown: str) -> str | None:
    """Append Markdown to the file named by GITHUB_STEP_SUMMARY; None, or a warning as `write_outputs`."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    return _append(path, text, "GITHUB_STEP_SUMMARY", "the job summary")


def _append(path: Path, text: str, variable: str, what: str) -> str | None:
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return f"{what} could not be written: {variable} is {str(path)!r} ({reason}); the run is unaffected"
    return None


# --------------------------------------------------------------------------- job summary

_STATUS_HEADLINE = {
    "created": "created a new draft on Zenodo",
    "updated": "updated the record on Zenodo",
    "unchanged": "nothing to change: Zenodo already matches",
    "new-version": "opened a new version on Zenodo",
    "validated": "validated only: nothing was sent to Zenodo",
    "planned": "dry run: nothing was changed on Zenodo",
}

_FILE_VERB = {
    "upload": ("uploaded", "to upload"),
    "replace": ("replaced", "to replace"),
    "delete": ("deleted", "to delete"),
    "keep": ("unchanged", "unchanged"),
}


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _doi_link(doi: str) -> str:
    return f"[{_md(doi)}](https://doi.org/{doi})"


def _share_cell(result: SyncResult, *, show_url: bool) -> str:
    share = result.share
    assert share is not None
    if share.action == "waiting":
        return "none yet: a view link opens only a published record"
    until = f", valid until {share.expires_at}" if share.expires_at else ""
    what = f"{share.permission} link, {share.action}{until}"
    if share.url and show_url:
        return f"[open the draft]({share.url}) ({what})"
    return f"{what}; its URL is the `share-url` output (`share-url-in-summary: true` shows it here)"


def render_summary(
    result: SyncResult,
    *,
    config_file: str = "zenodo.yaml",
    write_back: str | None = None,
    repository_url: str | None = None,
    share_url: bool = False,
) -> str:
    """The job summary of a finished run: status, links, the file table, metadata changes, next steps.

    `write_back` is one sentence on the record-id file (committed and pushed, or why not). The
    share link's URL is a secret: shown only with `share_url` (the share-url-in-summary input).
    `repository_url` (https://github.com/OWNER/REPO) lets the "add the secret" step link to settings.
    """
    out = [f"## Zenodo sync: {_STATUS_HEADLINE.get(result.status, result.status)}", ""]
    rows: list[tuple[str, str]] = [
        ("Status", f"`{result.status}`" + (f" ({result.state})" if result.state else ""))
    ]
    if result.record_id:
        record_id = _md(result.record_id)
        record = f"[{record_id}]({result.html_url})" if result.html_url else record_id
        rows.append(("Record", record + (f", concept {_md(result.concept_id)}" if result.concept_id else "")))
    if result.doi:
        reserved = " (reserved: it resolves once the record is published)" if result.state == "draft" else ""
        rows.append(("DOI", _doi_link(result.doi) + reserved))
    if result.concept_doi:
        rows.append(("Concept DOI (all versions)", _doi_link(result.concept_doi)))
    rows.append(("Config", f"`{_md(config_file)}`"))
    if result.written:
        rows.append(("DOI written into", ", ".join(f"`{_md(path.name)}`" for path in result.written)))
    if result.share is not None:
        rows.append(("Share link for co-authors", _share_cell(result, show_url=share_url)))
    out += ["| | |", "| --- | --- |", *(f"| {key} | {value} |" for key, value in rows), ""]
    out += _files_section(result)
    out += _communities_section(result)
    if result.plan is not None and result.plan.metadata_changes:
        verb = "set" if change_verb(result.plan.metadata_changes) == "set" else "changed"
        out += [f"### Metadata fields {verb}", ""]
        out += [f"- `{_md(change.field)}`" for change in result.plan.metadata_changes]
        out.append("")
    notes = (*(result.plan.notes if result.plan is not None else ()), *result.notes)
    for note in notes:
        out.append(f"> {_md(note)}")
    if notes:
        out.append("")
    if write_back:
        out += [write_back, ""]
    out += ["### What to do next", ""]
    out += [f"- {step}" for step in _next_steps(result, repository_url)]
    return "\n".join(out) + "\n"


def _communities_section(result: SyncResult) -> list[str]:
    if not result.communities:
        return []
    out = ["### Communities", "", "| community | status | request | next step |", "| --- | --- | --- | --- |"]
    for c in result.communities:
        request = f"[{_md(c.request_id)}]({c.url})" if c.request_id and c.url else _md(c.request_id or "")
        said = f" (curator: {_md(c.comment)})" if c.comment else ""
        out.append(f"| {_md(c.slug)} | `{c.status}`{said} | {request} | {_md(c.next_step)} |")
    return [*out, ""]


def _files_section(result: SyncResult) -> list[str]:
    planned = result.status == "planned"
    rows = result.plan.file_rows() if result.plan is not None else ()
    if rows:
        entries = [(row.key, _FILE_VERB[row.action][1 if planned else 0], row.size_bytes) for row in rows]
    elif result.local_files:
        entries = [(f.key, "found locally", f.size_bytes) for f in result.local_files]
    else:
        return []
    lines = ["### Files", "", "| File | Action | Size |", "| --- | --- | ---: |"]
    # An archive zsync built from a folder also says how many files it holds.
    members = {f.key: f.members for f in result.local_files if f.members is not None}
    for key, verb, size in entries:
        held = f" ({counted(members[key], 'file')})" if key in members else ""
        lines.append(f"| `{_md(key)}` | {verb} | {format_size(size)}{held} |")
    if result.plan is not None and not planned:
        lines += [
            "",
            f"{result.files_uploaded} uploaded ({format_size(result.bytes_uploaded)}), "
            f"{result.files_deleted} deleted, {result.files_unchanged} unchanged.",
        ]
    return [*lines, ""]


def _next_steps(result: SyncResult, repository_url: str | None) -> list[str]:
    if result.status == "validated":
        where = (
            f"[Settings → Secrets and variables → Actions]({repository_url}/settings/secrets/actions)"
            if (repository_url)
            else "Settings → Secrets and variables → Actions"
        )
        return [
            "To upload, create a Zenodo personal access token (scopes `deposit:write` and "
            "`deposit:actions`), "
            f"add it as the repository secret `{TOKEN_SECRET_NAME}` in {where}, and pass it to the step: "
            f"`token: ${{{{ secrets.{TOKEN_SECRET_NAME} }}}}`.",
            "Pull requests from forks never receive secrets; validating there is expected.",
        ]
    if result.status == "planned":
        return ["This was a dry run. Run again without `dry-run` to apply the changes above."]
    if result.state == "draft" and any(c.status == "submitted" for c in result.communities):
        return ["Wait for the community's curators: they review the draft and publish it when they accept."]
    if result.state == "draft":
        target = f"[the draft]({result.html_url})" if result.html_url else "the draft on Zenodo"
        return [
            f"Open {target}, review it, and press **Publish**; "
            "or set `publish: true` to publish from the workflow.",
            "Until then the DOI is reserved but does not resolve.",
        ]
    if result.state == "published":
        doi = f" at {_doi_link(result.doi)}" if result.doi else ""
        return [
            f"Nothing: the record is published{doi}.",
            "To publish new files, raise `metadata.version` in the config; zsync then opens a new version.",
        ]
    return ["Nothing."]


def render_error_summary(error: ZsyncError, *, config_file: str = "zenodo.yaml") -> str:
    """The job summary of a failed run: what failed, every problem, and what to do about it."""
    out = ["## Zenodo sync failed", ""]
    if isinstance(error, ConfigError):
        problems = counted(len(error.problems), "problem")
        out += [f"`{_md(config_file)}` has {problems}; nothing was sent to Zenodo.", ""]
        out += ["| Line | Field | Problem | Fix |", "| ---: | --- | --- | --- |"]
        for problem in error.problems:
            where = str(problem.line) if problem.line is not None else ""
            out.append(
                f"| {where} | `{_md(problem.field)}` | {_md(problem.message)} | {_md(problem.hint or '')} |"
            )
        out += [
            "",
            "### What to do next",
            "",
            f"- Fix the lines above in `{_md(config_file)}` and push again.",
        ]
        return "\n".join(out) + "\n"
    out += ["```text", error.diagnostics(), "```", "", "### What to do next", ""]
    out.append(
        f"- {error.hint}" if error.hint else "- Read the message above; run again once it is resolved."
    )
    out.append("- Re-running is safe: zsync resumes from the draft it left (it never creates a second one).")
    return "\n".join(out) + "\n"


def render_cancelled_summary(stop: Cancelled, *, record_id: str | None) -> str:
    """The job summary of a run stopped by a signal: what it did, where it stopped, what is left."""
    out = ["## Zenodo sync cancelled", "", f"zsync stopped on {stop.signal_name}.", ""]
    point = stop.stopped
    again = "Re-run the workflow (or `zsync sync`): it reads the record on Zenodo again and"
    if point is not None and point.changed_nothing:
        out += ["Nothing was changed on Zenodo.", "", "### What the next run does", ""]
        return "\n".join([*out, f"{again} syncs from the start."]) + "\n"
    if point is not None:
        out += _step_list("Done before it stopped", point.done)
        if point.during:
            out += ["### Stopped during", "", f"- {_md(point.during)}: abandoned part way (the next run "
                    "sees what it left: a partly uploaded file is sent again)", ""]  # fmt: skip
    target = f"draft {record_id}" if record_id else "the record"
    out += ["### What the next run does", "", f"{again} continues {target}; it never creates a second draft."]
    if point is not None and (point.during or point.left):
        out += ["", "What was left at the stop:", ""]
        out += [f"- {_md(step)}" for step in ([point.during] if point.during else []) + list(point.left)]
    return "\n".join(out) + "\n"


def _step_list(title: str, steps: tuple[str, ...]) -> list[str]:
    return [f"### {title}", "", *(f"- {_md(step)}" for step in steps), ""] if steps else []


# --------------------------------------------------------------------------- reporter


class GitHubReporter:
    """A `zsync.report.Reporter` that folds each phase into a `::group::` and warns with `::warning::`.

    GitHub does not nest groups; a phase opened inside another one is printed as a plain heading.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._open_groups = 0

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    @contextmanager
    def phase(self, title: str) -> Iterator[None]:
        if self._open_groups:
            self._print(f"== {title}")
            yield
            return
        self._open_groups += 1
        safetext.command(self.stream, command("group", title))
        try:
            yield
        finally:
            self._open_groups -= 1
            safetext.command(self.stream, "::endgroup::")

    def info(self, message: str) -> None:
        self._print(message)

    def warning(self, message: str) -> None:
        safetext.command(self.stream, warning_annotation(message))

    def file_done(self, action: str, key: str, size_bytes: int, elapsed_s: float) -> None:
        rate = format_rate(size_bytes, elapsed_s)
        self._print(f"{action} {key} ({format_size(size_bytes)} in {elapsed_s:.1f} s, {rate})")

    def progress(self, key: str, sent_bytes: int, total_bytes: int) -> None:
        # A CI log is not a terminal: per-chunk lines would flood it; file_done reports each file.
        return
