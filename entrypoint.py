"""The container's entry point: the GitHub Action when run by a workflow, the zsync CLI otherwise.

With arguments (`docker run <image> sync zenodo.yaml`) it is exactly `zsync <arguments>`. Without
arguments inside GitHub Actions it reads the action's inputs (INPUT_*), runs the sync, and speaks the
runner's protocol through zsync.github: the token masked before anything else is printed, one group
per phase, error annotations on the config's lines, the outputs, the job summary; then it commits the
record-id file back when it changed. Exit codes: 0 done, 1 sync or remote failure, 2 bad config or input.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from zsync import github
from zsync.errors import UsageError, ZsyncError


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if args or env.get("GITHUB_ACTIONS") != "true":
        from zsync.cli import main as cli_main

        return cli_main(args, env)
    return run_action(env, stdout or sys.stdout)


def run_action(environ: Mapping[str, str], out: TextIO) -> int:
    """The action: inputs in, outputs, summary and annotations out. Never raises for a ZsyncError."""
    token = github.read_input(environ, "token") or environ.get("ZENODO_TOKEN", "").strip() or None
    push_token = github.read_input(environ, "github-token") or None
    for secret in (token, push_token):
        if secret:
            # The first lines of output, before any other code can print: the runner hides them from now on.
            print(github.mask(secret), file=out, flush=True)
    workspace = Path(environ.get("GITHUB_WORKSPACE") or Path.cwd())
    config_file = github.read_input(environ, "config", "zenodo.yaml")
    output_path = environ.get("GITHUB_OUTPUT")
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    verbose = False
    try:
        verbose = github.read_bool_input(environ, "verbose", False)
        _configure_logging(out, verbose=verbose)
        base = workspace / github.read_input(environ, "working-directory", ".")
        if not base.is_dir():
            raise UsageError(
                f"working-directory {base} does not exist",
                hint="give a folder relative to the repository root",
            )
        config_path = base / config_file
        # The engine resolves the config's paths against its folder; the CLI-like cwd keeps any other
        # relative path a person reads in the log meaningful.
        os.chdir(base)
        config_file = github.workspace_relative(config_path, workspace)
        dry_run = github.read_bool_input(environ, "dry-run", False)
        publish = github.read_bool_input(environ, "publish", False)
        reserve_doi = github.read_bool_input(environ, "reserve-doi", True)
        commit_id = github.read_bool_input(environ, "commit-record-id", True)
        if dry_run and publish:
            raise UsageError("dry-run and publish contradict each other", hint="set only one of them")
        version = github.read_input(environ, "version") or None
        return _sync(
            environ,
            out,
            token=token,
            config_path=config_path,
            config_file=config_file,
            workspace=workspace,
            version=version,
            dry_run=dry_run,
            publish=publish,
            reserve_doi=reserve_doi,
            commit_id=commit_id,
            commit_message=github.read_input(environ, "commit-message", "") or None,
            push_token=push_token,
            output_path=Path(output_path) if output_path else None,
            summary_path=Path(summary_path) if summary_path else None,
        )
    except ZsyncError as exc:
        return _fail(exc, out, config_file, workspace, output_path, summary_path, (token, push_token))
    except Exception as exc:
        # A bug in zsync. Its text and traceback could quote a request, headers and all: only with
        # verbose, scrubbed; the outputs and the summary still say the step failed.
        if verbose:
            print(_scrubbed(traceback.format_exc(), (token, push_token)), file=out, flush=True)
        internal = ZsyncError(
            f"internal error ({type(exc).__name__}) in zsync",
            hint="please report it; run with `verbose: true` for the traceback",
        )
        return _fail(internal, out, config_file, workspace, output_path, summary_path, (token, push_token))


def _sync(
    environ: Mapping[str, str],
    out: TextIO,
    *,
    token: str | None,
    config_path: Path,
    config_file: str,
    workspace: Path,
    version: str | None,
    dry_run: bool,
    publish: bool,
    reserve_doi: bool,
    commit_id: bool,
    commit_message: str | None,
    push_token: str | None,
    output_path: Path | None,
    summary_path: Path | None,
) -> int:
    from zsync.engine import sync
    from zsync.gitops import DEFAULT_MESSAGE, WriteBack, commit_record_id

    write_backs: list[WriteBack] = []

    def commit_now(id_file: Path, record_id: str) -> None:
        # Called by the engine the moment the id file changes, before any upload: a job killed
        # (timeout, cancel) after this point still leaves the id in the repository.
        write_back = commit_record_id(
            id_file, environ=environ, message=commit_message or DEFAULT_MESSAGE, push_token=push_token
        )
        write_backs.append(write_back)
        print(f"Record-id file: {write_back.message}.", file=out, flush=True)
        if write_back.warning:
            print(github.warning_annotation(write_back.warning, title="Record id not committed"), file=out)

    try:
        result = sync(
            config_path,
            token=token,
            version=version,
            publish=publish,
            dry_run=dry_run,
            reserve_doi=reserve_doi,
            reporter=github.GitHubReporter(out),
            environ=environ,
            on_record_id=commit_now if commit_id and not dry_run else None,
        )
    except ZsyncError as exc:
        # The id the run wrote before failing was committed by commit_now; the failure summary says so.
        if write_backs and exc.written_record_id is not None:
            exc.hint = (exc.hint + "; " if exc.hint else "") + write_backs[-1].message
        raise
    if token is None:
        print(
            github.warning_annotation(
                f"No Zenodo token: {config_file} and its files were validated, nothing was uploaded. "
                f"Pass `token: ${{{{ secrets.{github.TOKEN_SECRET_NAME} }}}}` to upload (a pull request "
                "from a fork never gets secrets, so validating there is expected).",
                title="Validated only",
            ),
            file=out,
            flush=True,
        )
    outputs = result.outputs()
    write_back_note = None
    if write_backs:
        write_back = write_backs[-1]
        outputs["record-id-commit"] = write_back.commit or ""
        write_back_note = f"Record-id file: {write_back.message}."
    elif result.record_id_changed:
        id_file = github.workspace_relative(result.record_id_path, workspace)
        write_back_note = f"Record-id file: changed but not committed (commit-record-id is false): {id_file}."
    if output_path:
        github.write_outputs(output_path, outputs)
    if summary_path:
        repo = environ.get("GITHUB_REPOSITORY")
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        github.write_summary(
            summary_path,
            github.render_summary(
                result,
                config_file=config_file,
                write_back=write_back_note,
                repository_url=f"{server}/{repo}" if repo else None,
            ),
        )
    for key in ("status", "record-id", "doi", "html-url"):
        if outputs.get(key):
            print(f"{key}: {outputs[key]}", file=out)
    return 0


def _fail(
    error: ZsyncError,
    out: TextIO,
    config_file: str,
    workspace: Path,
    output_path: str | None,
    summary_path: str | None,
    secrets: tuple[str | None, ...],
) -> int:
    def scrub(text: str) -> str:
        # The client never puts a token in a message; this is the second lock on that door.
        return _scrubbed(text, secrets)

    print(scrub(f"zsync: error: {error.diagnostics()}"), file=out, flush=True)
    for line in github.error_annotations(error, config_file=config_file, workspace=workspace):
        print(scrub(line), file=out, flush=True)
    if output_path:
        failed = {"status": "failed"}
        if error.written_record_id is not None:
            failed["record-id"] = error.written_record_id[1]
        github.write_outputs(Path(output_path), failed)
    if summary_path:
        github.write_summary(
            Path(summary_path), scrub(github.render_error_summary(error, config_file=config_file))
        )
    return error.exit_code


def _scrubbed(text: str, secrets: tuple[str | None, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _configure_logging(out: TextIO, *, verbose: bool) -> None:
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("zsync")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as crash:
        # A bug outside the action's own handling: the type only (its text could quote a token).
        print(github.error_annotation(f"zsync crashed: internal error ({type(crash).__name__})"), flush=True)
        sys.exit(1)
