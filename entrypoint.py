"""The container's entry point: the GitHub Action when run by a workflow, the zsync CLI otherwise.

With arguments (`docker run <image> sync zenodo.yaml`) it is exactly `zsync <arguments>`. Without
arguments inside GitHub Actions it reads the action's inputs (INPUT_*), runs the sync, and speaks the
runner's protocol through zsync.github: the token masked before anything else is printed, one group
per phase, error annotations on the config's lines, the outputs, the job summary; then it commits the
record-id file back when it changed. Exit codes: 0 done, 1 sync or remote failure, 2 bad config or input.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from zsync import cancel, github, safetext
from zsync.errors import ZsyncError
from zsync.report import configure_logging

if TYPE_CHECKING:
    from zsync.engine import SyncResult
    from zsync.gitops import WriteBack


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if args or env.get("GITHUB_ACTIONS") != "true":
        from zsync.cli import main as cli_main

        return cli_main(None if argv is None else args, env)  # None: the process's own arguments
    return run_action(env, stdout or sys.stdout, process=argv is None)


def run_action(environ: Mapping[str, str], out: TextIO, *, process: bool = False) -> int:
    """The action: inputs in, outputs, summary and annotations out. Never raises for a ZsyncError.

    Everything goes to `out` through `zsync.safetext` (escaped); only zsync's own workflow commands
    pass through `safetext.command`."""
    out = safetext.wrap(out)
    try:
        with cancel.handling_signals(restore=not process):  # the process's: kept to its exit
            return _run_action(environ, out)
    finally:
        out.close()  # writes what the escaping held back; `out` itself stays open


def _run_action(environ: Mapping[str, str], out: TextIO) -> int:
    secrets = (github.read_token(environ), github.read_input(environ, "github-token") or None)
    # The first lines of output, before any other code can print: the runner hides them from now on.
    for secret in secrets:
        for line in github.mask(secret).splitlines() if secret else ():
            safetext.command(out, line)
    failure = _Failure(
        out,
        config_file=github.read_input(environ, "config", "zenodo.yaml"),
        workspace=Path(environ.get("GITHUB_WORKSPACE") or Path.cwd()),
        output_path=environ.get("GITHUB_OUTPUT"),
        summary_path=environ.get("GITHUB_STEP_SUMMARY"),
        secrets=secrets,
    )
    verbose = False
    try:
        verbose = github.read_bool_input(environ, "verbose", False)
        configure_logging(out, verbose=verbose)
        inputs = github.ActionInputs.from_environ(environ)
        failure.config_file = inputs.config_file
        failure.config_path = inputs.config_path
        return _sync(environ, out, inputs, failure)
    except cancel.Cancelled as stop:  # SIGINT or SIGTERM (a cancelled job, `docker stop`)
        return failure.cancelled(stop)
    except ZsyncError as exc:
        return failure.report(exc)
    except Exception as exc:
        # A bug in zsync. Its text and traceback could quote a request, headers and all: only with
        # verbose, scrubbed; the outputs and the summary still say the step failed.
        if verbose:
            print(_scrubbed(traceback.format_exc(), secrets), file=out, flush=True)
        internal = ZsyncError(
            f"internal error ({type(exc).__name__}) in zsync",
            hint="please report it; run with `verbose: true` for the traceback",
        )
        return failure.report(internal)


def _sync(environ: Mapping[str, str], out: TextIO, inputs: github.ActionInputs, failure: _Failure) -> int:
    from zsync.engine import sync

    committer = _RecordIdCommitter(environ, out, inputs, failure)
    result = sync(
        inputs.config_path,
        token=inputs.token,
        version=inputs.version,
        publish=inputs.publish,
        dry_run=inputs.dry_run,
        reserve_doi=inputs.reserve_doi,
        submit_review=inputs.submit_review,
        share_link=inputs.share_link,
        reporter=github.GitHubReporter(out),
        environ=environ,
        cwd=inputs.base,
        on_record_id=None if inputs.dry_run else committer,
        files=inputs.files,
        description=inputs.description,
        require_token=inputs.require_token,
        timeout_minutes=inputs.timeout_minutes,
    )
    if inputs.token is None:
        safetext.command(
            out,
            github.warning_annotation(
                f"No Zenodo token: {inputs.config_file} and its files were validated, nothing was uploaded. "
                f"Pass `token: ${{{{ secrets.{github.TOKEN_SECRET_NAME} }}}}` to upload; zsync reads the "
                f"token input, then the variables {' and '.join(github.TOKEN_VARIABLES)} (a pull request "
                "from a fork never gets secrets, so validating there is expected; require-token: true "
                "fails instead).",
                title="Validated only",
            ),
        )
    with cancel.deferred(then_stop=False):  # the sync is done: a signal now no longer stops it
        return _report_done(out, inputs, result, committer)


def _report_done(
    out: TextIO, inputs: github.ActionInputs, result: SyncResult, committer: _RecordIdCommitter
) -> int:
    masks = github.share_masks(result)
    for line in masks.splitlines() if masks else ():  # before any line that could show the URL
        safetext.command(out, line)
    outputs = github.outputs_of(result) | github.share_outputs(result)
    write_back_note = None
    if committer.write_backs:
        outputs["record-id-commit"] = committer.write_backs[-1].commit or ""
        write_back_note = f"Record-id file: {committer.write_backs[-1].message}."
    elif result.record_id_changed:
        id_file = github.workspace_relative(result.record_id_path, inputs.workspace)
        write_back_note = f"Record-id file: changed but not committed (commit-record-id is false): {id_file}."
    _write_results(out, inputs, result, outputs, write_back_note)
    return 0


def _write_results(
    out: TextIO,
    inputs: github.ActionInputs,
    result: SyncResult,
    outputs: Mapping[str, str],
    write_back_note: str | None,
) -> None:
    if inputs.output_path:
        _warn_if(out, github.write_outputs(inputs.output_path, outputs))
    if inputs.summary_path:
        summary = github.render_summary(
            result,
            config_file=inputs.config_file,
            write_back=write_back_note,
            repository_url=inputs.repository_url,
            share_url=inputs.share_url_in_summary,
        )
        _warn_if(out, github.write_summary(inputs.summary_path, summary))
    for key in ("status", "record-id", "doi", "html-url"):
        if outputs.get(key):
            print(f"{key}: {outputs[key]}", file=out)


@dataclass
class _RecordIdCommitter:
    """The engine's `on_record_id` hook in the action: called the moment the id file changes, before
    any upload, it commits and pushes the file, so a job killed (timeout, cancel) after this point
    still leaves the id in the repository. It also tells `failure` which id a failed run leaves."""

    environ: Mapping[str, str]
    out: TextIO
    inputs: github.ActionInputs
    failure: _Failure
    write_backs: list[WriteBack] = field(default_factory=list)

    def __call__(self, id_file: Path, record_id: str) -> None:
        from zsync.gitops import DEFAULT_MESSAGE, commit_record_id

        self.failure.written_ids.append(record_id)
        if not self.inputs.commit_record_id:
            id_file_text = github.workspace_relative(id_file, self.inputs.workspace)
            self.failure.write_back_notes.append(
                f"Record-id file: changed but not committed (commit-record-id is false): {id_file_text}."
            )
            return
        write_back = commit_record_id(
            id_file,
            environ=self.environ,
            message=self.inputs.commit_message or DEFAULT_MESSAGE,
            push_token=self.inputs.push_token,
        )
        self.write_backs.append(write_back)
        self.failure.write_back_notes.append(f"Record-id file: {write_back.message}.")
        print(f"Record-id file: {write_back.message}.", file=self.out, flush=True)
        if write_back.warning:
            safetext.command(
                self.out, github.warning_annotation(write_back.warning, title="Record id not committed")
            )


@dataclass
class _Failure:
    """How a failed run is reported: the error, annotations, `status=failed` and the summary.

    `written_ids` and `write_back_notes` collect, as the run goes, the record ids the engine wrote
    (through its `on_record_id` hook) and what happened to their commits: a failure after the draft
    exists must still say which record the next run continues.
    """

    out: TextIO
    config_file: str
    workspace: Path
    output_path: str | None
    summary_path: str | None
    secrets: tuple[str | None, ...]
    config_path: Path | None = None
    written_ids: list[str] = field(default_factory=list)
    write_back_notes: list[str] = field(default_factory=list)

    def record_id_on_file(self) -> str | None:
        """The id of the record the next run continues, when the config can say where it is."""
        if self.config_path is None:
            return None
        from zsync.config import load_config
        from zsync.engine import read_record_id

        try:
            return read_record_id(load_config(self.config_path, check_files=False).path_record_id)
        except (ZsyncError, OSError, UnicodeDecodeError):
            return None

    def last_record_id(self) -> str | None:
        """The id this run wrote last, else the one on file."""
        return self.written_ids[-1] if self.written_ids else self.record_id_on_file()

    @property
    def last_write_back(self) -> str | None:
        return self.write_back_notes[-1] if self.write_back_notes else None

    def report(self, error: ZsyncError) -> int:
        def scrub(text: str) -> str:
            # The client never puts a token in a message; this is the second lock on that door.
            return _scrubbed(text, self.secrets)

        print(scrub(f"zsync: error: {error.diagnostics()}"), file=self.out, flush=True)
        if self.last_write_back:
            print(self.last_write_back, file=self.out, flush=True)
        annotations = github.error_annotations(
            error, config_file=self.config_file, workspace=self.workspace, note=self.last_write_back
        )
        for line in annotations:
            safetext.command(self.out, scrub(line))
        if self.output_path:
            failed = {"status": "failed"}
            record_id = self.last_record_id()
            if record_id:
                failed["record-id"] = record_id
            _warn_if(self.out, github.write_outputs(Path(self.output_path), failed))
        if self.summary_path:
            summary = github.render_error_summary(error, config_file=self.config_file)
            if self.last_write_back:
                summary += "\n" + self.last_write_back + "\n"
            _warn_if(self.out, github.write_summary(Path(self.summary_path), scrub(summary)))
        return error.exit_code

    def cancelled(self, stop: cancel.Cancelled) -> int:
        """A run stopped by a signal: one line on stderr, `status=cancelled`, the summary of what was
        done and what the next run does. A further signal ends the process at once."""
        from zsync.cli import exit_at_once_on_signal

        exit_at_once_on_signal()
        print(safetext.escape(stop.line()), file=sys.stderr, flush=True)
        if self.last_write_back:
            print(self.last_write_back, file=self.out, flush=True)
        point = stop.stopped
        record_id = (point.record_id if point else None) or self.last_record_id()
        if self.output_path:
            outputs = {"status": "cancelled", **({"record-id": record_id} if record_id else {})}
            _warn_if(self.out, github.write_outputs(Path(self.output_path), outputs))
        if self.summary_path:
            summary = github.render_cancelled_summary(stop, record_id=record_id)
            if self.last_write_back:
                summary += "\n" + self.last_write_back + "\n"
            _warn_if(self.out, github.write_summary(Path(self.summary_path), summary))
        return stop.exit_code


def _warn_if(out: TextIO, warning: str | None) -> None:
    """A runner file (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) that could not be written: a warning only."""
    if warning:
        safetext.command(out, github.warning_annotation(warning, title="Runner file not written"))


def _scrubbed(text: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


if __name__ == "__main__":
    try:
        sys.exit(main())
    except cancel.Cancelled as late:  # a second signal before the first one's report began
        sys.exit(late.exit_code)
    except Exception as crash:
        # A bug outside the action's own handling: the type only (its text could quote a token).
        safetext.command(
            sys.stdout, github.error_annotation(f"zsync crashed: internal error ({type(crash).__name__})")
        )
        sys.exit(1)
