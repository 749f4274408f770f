"""The `zsync` command: the one place (with entrypoint.py) that prints and exits.

Exit codes: 0 ok, 1 sync or remote failure, 2 bad config or usage. Heavy modules (requests, the
engine) are imported only by the commands that need them, so `--version` and `validate` start fast.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zsync import cancel
from zsync._version import __version__
from zsync.errors import ConfigError, UsageError, ZsyncError

if TYPE_CHECKING:
    from zsync.engine import ShareResult, SyncResult


_CONFIG_HELP = (
    "the config file: YAML, TOML (.toml) or JSON (.json); zsync's format or stepup-reprep's "
    "(default: zenodo.yaml)"
)


def _config_argument(p: argparse.ArgumentParser, *, files: bool = True) -> None:
    p.add_argument("config", nargs="?", default="zenodo.yaml", help=_CONFIG_HELP)
    if not files:
        return
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="data files to publish besides the config's paths (as stepup-reprep 4.x takes them)",
    )
    p.add_argument(
        "--description",
        metavar="FILE",
        help="a Markdown (.md) or HTML (.html) file to use as the description (instead of path_readme)",
    )


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    _config_argument(p)
    p.add_argument(
        "--configs",
        action="store_true",
        help="every argument is a config to validate, none is a data file (as the pre-commit hook "
        "passes the configs it is given: zsync validate --configs a/zenodo.yaml b/zenodo.yaml)",
    )


def _render_arguments(p: argparse.ArgumentParser) -> None:
    _config_argument(p)
    p.add_argument("--publication-date", help="date to put in the document (default: today)")
    p.add_argument(
        "--explain",
        action="store_true",
        help="print, for each field, the file and line its value comes from (zenodo.yaml or a "
        "metadata_from source), instead of the document",
    )


def _plan_arguments(p: argparse.ArgumentParser) -> None:
    _config_argument(p)
    p.add_argument("--set-version", metavar="VERSION", help="override metadata.version (e.g. a tag: v1.2.0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument(
        "--no-reserve-doi",
        action="store_true",
        help="do not reserve a DOI for a draft that has none (by default it is reserved, so it is known "
        "before publication)",
    )
    p.add_argument(
        "--submit-review",
        action="store_true",
        help="submit a complete, never-published draft for review by the first of `communities` (as "
        "`review: submit`); its curators then publish it",
    )
    p.add_argument(
        "--share-link",
        action="store_true",
        help="make (or reuse) a secret link of the draft for co-authors, as `share: {}` (preview, 30 days) "
        "when the config has no `share:`",
    )
    p.add_argument(
        "--show-share-url",
        action="store_true",
        help="print the share link's URL (a secret: anyone who has it sees the draft), also in --json",
    )
    p.add_argument(
        "--require-token",
        action="store_true",
        help="fail (exit 2) when no Zenodo token is found, instead of validating only",
    )
    p.add_argument(
        "--timeout-minutes",
        type=_minutes,
        metavar="MINUTES",
        help="stop (exit 1) when the run takes longer, saying what it waited for (default: "
        "ZSYNC_TIMEOUT_MINUTES, else 300)",
    )


def _minutes(raw: str) -> float:
    from zsync.deadline import parse_minutes

    try:
        return parse_minutes(raw, "--timeout-minutes")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _sync_arguments(p: argparse.ArgumentParser) -> None:
    _plan_arguments(p)
    p.add_argument("--publish", action="store_true", help="publish the draft after a successful sync")
    p.add_argument("--dry-run", action="store_true", help="same as `zsync plan`")
    p.add_argument("--clean", action="store_true", help=argparse.SUPPRESS)  # stepup-reprep's; refused


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    _config_argument(p)
    p.add_argument(
        "--write", action="store_true", help="replace the file with it, keeping its comments where it can"
    )


def _init_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "config", nargs="?", default="zenodo.yaml", help="the file to write (default: zenodo.yaml)"
    )
    p.add_argument(
        "--paths",
        nargs="+",
        default=[],
        metavar="PATTERN",
        help="the files to publish: paths or globs (data/*.csv), written to paths as they are",
    )
    p.add_argument("--endpoint", default="https://sandbox.zenodo.org/api", help="default: the sandbox")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", help="default: the example dataset shipped with zsync")


def _no_arguments(p: argparse.ArgumentParser) -> None:
    return


# command -> (help, its arguments); `emulator` hands its own arguments to zsync.emulator.
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "validate": ("check a config and its files offline", _validate_arguments),
    "render": ("print the InvenioRDM JSON document zsync would send (for review)", _render_arguments),
    "plan": ("read the record on Zenodo and show what a sync would change; change nothing", _plan_arguments),
    "sync": ("make the Zenodo record match the local files and metadata", _sync_arguments),
    "discard": (
        "discard this dataset's open draft on Zenodo (only this one)",
        lambda p: _config_argument(p, files=False),
    ),
    "migrate": ("print a stepup-reprep config (1.x, 3.x, 4.x) in zsync's format", _migrate_arguments),
    "init": (
        "write a starting zenodo.yaml from the repository (CITATION.cff, codemeta.json, pyproject.toml, ...)",
        _init_arguments,
    ),
    "demo": (
        "sync the example dataset against a built-in emulator, twice (no token, no network)",
        _demo_arguments,
    ),
    "schema": ("print the JSON Schema of zenodo.yaml (for editors)", _no_arguments),
}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, with the terminal's width found without importing shutil (argparse imports it
    for each parser and argument it builds; zsync validate needs it nowhere else)."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", terminal_columns() - 2)
        super().__init__(prog, **kwargs)


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: COLUMNS, else stdout's terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse's, with `_HelpFormatter` (its subparsers are of the same class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `only`, one of the commands, the parser of that command alone:
    what it parses, prints for `--help` and says of a wrong argument is the full parser's, but
    ArgumentParser is slow to build (some 1 ms a command), and each run needs one command."""
    parser = _Parser(
        prog="zsync",
        description="Keep a Zenodo dataset in sync with the files and metadata of a zenodo.yaml.",
        epilog="Exit codes: 0 ok, 1 sync or remote failure, 2 bad config or usage. "
        "The token comes from ZENODO_TOKEN or REPREP_ZENODO_TOKEN, a .env file, or the file "
        "REPREP_PATH_ZENODO_TOKEN or the config's path_token names.",
    )
    parser.add_argument("--version", action="version", version=f"zsync {__version__}")
    common = _Parser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log every HTTP request (never the token)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="only warnings, errors and the summary")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_arguments) in _COMMANDS.items():
        if only not in (None, name):
            continue
        add_arguments(sub.add_parser(name, parents=[common], help=help_text, description=help_text))
        if name == "discard" and only is None:
            sub.add_parser(
                "emulator", help="run a local Zenodo emulator (InvenioRDM API); see `zsync emulator --help`"
            )
    return parser


def parse_arguments(arguments: Sequence[str]) -> argparse.Namespace:
    """The command line; files after an option (`sync zenodo.yaml --description d.md a.csv`) are
    files too, as they would be before it."""
    parser = build_parser(arguments[0] if arguments[:1] and arguments[0] in _COMMANDS else None)
    args, extra = parser.parse_known_args(arguments)
    if extra:
        if not hasattr(args, "files") or any(item.startswith("-") for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.files = [*args.files, *extra]
    return args


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The command; stdout and stderr go through `zsync.safetext` (escaped) while it runs."""
    from zsync import safetext

    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = safetext.wrap(sys.stdout), safetext.wrap(sys.stderr)
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        if arguments[:1] == ["emulator"]:
            # The emulator has its own options (and --help, and signals); hand them over untouched.
            from zsync.emulator import main as emulator_main

            return emulator_main(arguments[1:])
        with cancel.handling_signals(restore=argv is not None):  # None: the process's own command line
            return _main(arguments, environ)
    except BrokenPipeError:  # stdout's reader went away mid-run (`zsync render | head`)
        return _stdout_gone()
    finally:
        try:
            sys.stdout.close()  # writes what the escaping held back; the real streams stay open
        except BrokenPipeError:
            _stdout_gone()
        sys.stderr.close()
        sys.stdout, sys.stderr = streams


def _stdout_gone() -> int:
    """The reader of stdout has gone (`zsync render | head`): as `head` asked, write nothing more,
    and point the descriptor at /dev/null so that Python's flush at exit raises nothing either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    os.close(devnull)
    return 1


def _main(arguments: list[str], environ: Mapping[str, str] | None) -> int:
    args = parse_arguments(arguments)
    env = os.environ if environ is None else environ
    if args.command is None:
        build_parser().print_help()
        return 2
    if args.command != "validate":  # validate prints its summary or its problems, nothing else
        from zsync.report import configure_logging

        configure_logging(sys.stderr, verbose=args.verbose, quiet=args.quiet)
    try:
        return run(args, env)
    except ConfigError as exc:
        print(exc.diagnostics(), file=sys.stderr)  # one line per problem, each naming file and line
        return exc.exit_code
    except ZsyncError as exc:
        print(f"zsync: error: {exc.diagnostics()}", file=sys.stderr)
        return exc.exit_code
    except cancel.Cancelled as stop:  # SIGINT (Ctrl-C) or SIGTERM, at a point the next run resumes from
        exit_at_once_on_signal()
        print(stop.line(), file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:  # a SIGINT before the handler was installed, or from another thread
        print("zsync: interrupted; run the same command again to resume", file=sys.stderr)
        return 128 + signal.SIGINT
    except OSError as exc:  # a file zsync must read or write (the id file, a data file) failed
        return _os_error(exc, args.command)
    except Exception as exc:
        # A bug in zsync. Its text is not printed: it could quote a request, headers and all.
        import logging

        logging.getLogger("zsync").debug("internal error", exc_info=True)
        print(
            f"zsync: internal error ({type(exc).__name__}); -v shows the traceback; please report it",
            file=sys.stderr,
        )
        return 1


def _os_error(exc: OSError, command: str) -> int:
    """One line for a file zsync could not read or write; a closed stdout goes on up to `main`."""
    if isinstance(exc, BrokenPipeError):
        if command == "sync":  # a sync stopped by it must not end unnoticed (stderr still works)
            print("zsync: stopped: the reader of zsync's output went away (broken pipe)", file=sys.stderr)
        raise exc
    print(f"zsync: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
    return 1


def exit_at_once_on_signal() -> None:
    """From now on (a cancelled run writing its report), SIGINT or SIGTERM ends the process at
    once: one line on stderr, exit 128 + the signal, no traceback, nothing more written."""

    def now(signum: int, frame: object) -> None:
        os.write(2, f"zsync: {signal.Signals(signum).name} again: stopped at once\n".encode())
        os._exit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for signum in cancel.SIGNALS:
            signal.signal(signum, now)


_CLEAN_REFUSED = (
    "zsync has no --clean: stepup-reprep's --clean deleted every unpublished draft of the account, "
    "not only this dataset's"
)


def _arguments(args: argparse.Namespace) -> Any:
    """The data files and description given on the command line, as `zsync.config.Arguments`."""
    from zsync.config import Arguments

    files = tuple(getattr(args, "files", ()) or ())
    description = getattr(args, "description", None)
    return Arguments(files, description) if files or description is not None else None


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    runners: dict[str, Callable[[argparse.Namespace, Mapping[str, str]], int]] = {
        "validate": _validate,
        "migrate": _migrate,
        "init": _init,
        "render": _render,
        "schema": _schema,
        "discard": _discard,
        "demo": lambda a, _env: print_demo(Path(a.config) if a.config else None),
        "plan": _sync,
        "sync": _sync,
    }
    return runners[args.command](args, env)


def _validate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not args.configs:
        _validate_one(args.config, _arguments(args))
        return 0
    if args.description is not None:
        raise UsageError(
            "--description names one config's description; --configs validates several configs",
            hint="validate that config alone: zsync validate CONFIG --description FILE",
        )
    code = 0
    for config in [args.config, *args.files]:  # each on its own: one's problems do not hide another's
        try:
            _validate_one(config, None)
        except ConfigError as exc:
            print(exc.diagnostics(), file=sys.stderr)
            code = exc.exit_code
    return code


def _validate_one(config_file: str, arguments: Any) -> None:
    from zsync.config import load_config, matched_lines, summarize
    from zsync.units import counted, format_size

    config = load_config(Path(config_file), arguments=arguments)
    summary = summarize(config)
    print(
        f"{config_file} is valid: {summary.title!r}, version {summary.version}, "
        f"{counted(summary.file_count, 'file')}, {format_size(summary.total_size_bytes)}"
    )
    for notice in config.notices:
        print(f"note: {notice}")
    for line in matched_lines(config):
        print(line)
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _init(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Write the starting config (never over an existing one without --force), then validate it."""
    from zsync import atomicwrite, gitops
    from zsync.init import gather, render

    target = Path(args.config)
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; zsync init does not replace it", hint="add --force to replace it")
    root = target.parent
    repository = gitops.find_repository(root.resolve())
    remote = gitops.origin_url(repository, env) if repository is not None else None
    found = gather(root, remote)
    atomicwrite.write_text(target, render(found, endpoint=args.endpoint, paths=args.paths))
    files = {where for where in found.origin.values() if not where.startswith("zsync")}
    taken = ", ".join([*found.sources, *sorted(files)])
    print(f"zsync init: wrote {target}" + (f" from {taken}" if taken else ""), file=sys.stderr)
    try:
        _validate_one(str(target), None)
    except ConfigError as exc:
        print(exc.diagnostics(), file=sys.stderr)
        print(f"zsync init: fill in what is missing in {target}, then run zsync validate", file=sys.stderr)
        return exc.exit_code
    return 0


def _migrate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from zsync.migrate import run_migrate

    return run_migrate(Path(args.config), _arguments(args), write=args.write)


def _render(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    import datetime as dt
    import json

    from zsync.config import load_config
    from zsync.metadata import render_document

    config = load_config(Path(args.config), arguments=_arguments(args))
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.explain:
        from zsync.config import METADATA_KEYS, TOP_KEYS
        from zsync.metasources import explain

        fields = [f"metadata.{key}" for key in METADATA_KEYS] + [key for key in TOP_KEYS if key != "metadata"]
        print("\n".join(explain(config, fields)))
        return 0
    today = dt.datetime.now(dt.UTC).date().isoformat()  # Zenodo's calendar decides an embargo
    date = args.publication_date or dt.date.today().isoformat()
    document = render_document(config, publication_date=date, today=today)
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _schema(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from importlib.resources import files

    print(files("zsync").joinpath("zenodo-yaml.schema.json").read_text(encoding="utf-8"), end="")
    return 0


def _discard(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from zsync import engine  # not at the top: `validate` starts without markdown and requests

    discarded = engine.discard(args.config, environ=env)
    print(f"discarded draft {discarded}" if discarded else "no open draft to discard")
    return 0


def _sync(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from zsync import engine
    from zsync.report import LogReporter, TerminalReporter

    if getattr(args, "clean", False):
        raise UsageError(_CLEAN_REFUSED, hint="`zsync discard CONFIG` discards this dataset's open draft")
    reporter = TerminalReporter(sys.stderr) if sys.stderr.isatty() and not args.quiet else LogReporter()
    result = engine.sync(
        args.config,
        version=args.set_version,
        publish=getattr(args, "publish", False),
        dry_run=args.command == "plan" or getattr(args, "dry_run", False),
        reserve_doi=not args.no_reserve_doi,
        submit_review=args.submit_review,
        share_link=args.share_link,
        reporter=reporter,
        environ=env,
        files=args.files,
        description=args.description,
        require_token=args.require_token,
        timeout_minutes=args.timeout_minutes,
    )
    emit_result(result, as_json=args.json, environ=env, show_share_url=args.show_share_url)
    if result.status == "validated" and env.get("GITHUB_ACTIONS") == "true":
        from zsync import github, safetext

        for note in result.notes:  # a job that uploads nothing must say so where it is seen
            safetext.command(sys.stdout, github.warning_annotation(note, title="Validated only"))
    return 0


def print_demo(config_path: Path | None) -> int:
    """`zsync demo`: print each of the demo's runs as it finishes."""
    from zsync.demo import DEMO_CONFIG, DemoSetup, run_demo

    for item in run_demo(config_path or DEMO_CONFIG):
        if isinstance(item, DemoSetup):
            what = "the example dataset" if config_path is None else str(item.config_path)
            print(f"zsync demo: syncing a copy of {what} to a local Zenodo emulator")
            print(f"            at {item.emulator_url} (instead of {item.endpoint}; no token, no network)\n")
            continue
        print(f"--- {item.title}")
        print(summary_text(item.result))
        print(f"requests: {item.requests}, of which changed something: {item.mutating_requests}\n")
    print("The second sync found nothing to do: nothing is ever uploaded twice.")
    print("Next: put your own zenodo.yaml beside your files, set ZENODO_TOKEN, run `zsync sync`.")
    return 0


def emit_result(
    result: SyncResult, *, as_json: bool, environ: Mapping[str, str], show_share_url: bool = False
) -> None:
    """Print the summary (or JSON) and append the outputs to $GITHUB_OUTPUT when it is set. The share
    link's URL is printed only with `show_share_url`; in a GitHub Actions job it is masked first."""
    from zsync import github, safetext

    masks = github.share_masks(result)
    if masks and environ.get("GITHUB_ACTIONS") == "true":
        for line in masks.splitlines():
            safetext.command(sys.stdout, line)
    if as_json:
        import json

        data = result_as_dict(result)
        if show_share_url:
            data |= github.share_outputs(result)
        print(json.dumps(data, indent=2))
    else:
        print(summary_text(result, show_share_url=show_share_url))
    warning = github.emit_outputs(environ, result)
    if warning:
        print(f"zsync: warning: {warning}", file=sys.stderr)


def result_as_dict(result: SyncResult) -> dict[str, Any]:
    from zsync.github import outputs_of
    from zsync.planning import plan_as_dict

    data: dict[str, Any] = dict(outputs_of(result))
    data["notes"] = list(result.notes)
    data["plan"] = plan_as_dict(result.plan) if result.plan else None
    return data


def summary_text(result: SyncResult, *, show_share_url: bool = False) -> str:
    from zsync.models import change_verb
    from zsync.report import format_size
    from zsync.units import counted

    lines = [f"status: {result.status}"]
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.record_id:
        record = f"record: {result.record_id}" + (f" ({result.state})" if result.state else "")
        lines.append(record + (f", concept {result.concept_id}" if result.concept_id else ""))
    if result.html_url:
        lines.append(f"url: {result.html_url}")
    if result.doi:
        lines.append(
            f"doi: {result.doi}" + (f" (concept {result.concept_doi})" if result.concept_doi else "")
        )
    if result.status == "planned" and result.plan is not None:
        p = result.plan
        changes = p.metadata_changes
        lines.append(
            f"would upload {counted(len(p.uploads), 'file')} ({format_size(p.bytes_to_upload)}), delete "
            f"{len(p.deletes)}, keep {len(p.unchanged)}, "
            f"{change_verb(changes)} {counted(len(changes), 'metadata field')}"
        )
    elif result.status != "validated":
        lines.append(
            f"files: {result.files_uploaded} uploaded ({format_size(result.bytes_uploaded)}), "
            f"{result.files_deleted} deleted, {result.files_unchanged} unchanged"
        )
    if result.written:
        shown = ", ".join(_relative(path) for path in result.written)
        lines.append(f"written: {shown} (write_back: commit them with the record-id file)")
    lines += _community_lines(result)
    if result.share is not None:
        lines.append(_share_line(result.share, show_url=show_share_url))
    under_review = any(line.status == "submitted" for line in result.communities)
    if result.state == "draft" and result.status not in ("planned", "validated") and not under_review:
        lines.append("next: review the draft on Zenodo and press Publish (or run with --publish)")
    return "\n".join(lines)


def _community_lines(result: SyncResult) -> list[str]:
    lines = []
    for line in result.communities:
        request = f" request {line.request_id}" if line.request_id else ""
        said = f", comment: {line.comment!r}" if line.comment else ""
        lines.append(f"community {line.slug}: {line.status}{request}{said}")
        if line.next_step:
            lines.append(f"  next: {line.next_step}")
    return lines


def _relative(path: Path) -> str:
    """`path` relative to the current folder when it is below it (what a person passes to git add)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _share_line(share: ShareResult, *, show_url: bool) -> str:
    if share.action == "waiting":
        return "share: no view link yet (a view link opens only a published record)"
    until = f", valid until {share.expires_at}" if share.expires_at else ""
    line = f"share: {share.permission} link for co-authors, {share.action}{until}"
    if share.url is None:
        return line
    return f"{line}: {share.url}" if show_url else f"{line} (--show-share-url prints its URL)"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
