"""Load a zenodo.yaml into a frozen `Config`, reporting every problem at once with its line.

The loader is in layers: `zsync.loader.fromyaml` (or `fromtoml`, `fromjson`, by the file's suffix)
turns the text into a neutral node tree (fromyaml is the only module that imports `yaml`);
`zsync.stepup` tells from the keys whether it is a stepup-reprep 1.x, 3.x or 4.x file (a 1.x file has
a table of its own); `zsync.loader.walk` walks it with the table of fields in
`zsync.configschema` (the rules between fields are in `zsync.configrules`), collecting problems
located by line and field path; `zsync.filecheck` then checks the files the config names. This
module holds the public functions and builds the `Config`. Field paths in messages and in
`Config.lines` look like `metadata.creators[0].identifiers.orcid` (list indices count from 0,
like the field names in Zenodo's own error messages).

Rules worth knowing (the JSON Schema in `zsync.jsonschema` carries the same text):
- `metadata.version` must be a YAML string: `version: 1.0` is a float and is refused with the hint
  to quote it.
- A creator is *personal* unless it says `type: organizational`. A personal creator gives
  `family_name` (and optionally `given_name`), or `name: 'Family, Given'`, split at the first comma.
  An organisation gives `name` only, and may have `isni` and `ror` identifiers; a person may have
  `orcid` and `isni`. A `name` without a comma and without `type` is refused (it is ambiguous).
- `license` is one SPDX id or a list of them, lower-cased.
- An award is either `id` alone, or `title` and `number` (Zenodo refuses an award with only one
  of the two) with optional `identifiers` (a list of single-key mappings `{scheme: identifier}`, or
  `{identifier, scheme}` as stepup-reprep 4.x writes them).
- Languages, dates, contributors, references, notes and custom fields are zsync's to manage only
  when the config gives them (see `zsync.metadata.OPTIONAL_FIELDS`).
- Files and a description may also come as `Arguments` (the command line, the action's inputs):
  checked the same way, their problems name the command line.
- `access.record` must be `public`: Zenodo refuses restricted records. `access.files` may be
  `restricted`; `access.embargo` (`until`, a full date, and an optional `reason`) needs it. Whether
  the date has passed is decided against the record (`zsync.planning`), not here.
- With `check_files=True` the files the config names are checked: the data files (exist, regular,
  not empty, at most 50 GB each and in total), the readme (exists) and the record-id file (one
  number, when it exists). Whatever `check_files` says, the data files must be at most 100, with
  unique base names of at most 255 characters. `check_files=False` never touches the file system
  beyond the config itself.
Relative paths resolve against the config file's folder; `~` expands.

This module never imports `requests`: `zsync validate` and `zsync --version` stay light.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from zsync import configschema, metasources, stepup
from zsync.configrules import (
    DEFAULT_RECORD_ID_FILE,
    KNOWN_ENDPOINTS,
    MAX_FILES,
    MAX_KEY_CHARS,
    README_SUFFIXES,
    check_endpoint,
)
from zsync.configschema import MIN_TITLE_CHARS
from zsync.errors import ConfigError, Problem
from zsync.filecheck import MAX_FILE_BYTES, MAX_TOTAL_BYTES
from zsync.loader import fromyaml
from zsync.loader.nodes import DocumentError, Node, Plain
from zsync.loader.walk import ArgumentWalker, Cursor, Walker, shaped
from zsync.models import Config
from zsync.units import counted

__all__ = [
    "ACCESS_KEYS",
    "AFFILIATION_KEYS",
    "AWARD_KEYS",
    "CREATOR_KEYS",
    "DEFAULT_RECORD_ID_FILE",
    "FUNDING_KEYS",
    "KNOWN_ENDPOINTS",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_KEY_CHARS",
    "MAX_TOTAL_BYTES",
    "METADATA_KEYS",
    "MIN_TITLE_CHARS",
    "README_SUFFIXES",
    "RELATED_KEYS",
    "TOKEN_ENV_VAR",
    "TOKEN_ENV_VARS",
    "TOKEN_PATH_ENV_VAR",
    "TOKEN_SOURCES",
    "TOP_KEYS",
    "Arguments",
    "ConfigSummary",
    "check_endpoint",
    "load_config",
    "parse_config",
    "resolve_token",
    "summarize",
    "token_file_problem",
    "unread_token_variables",
]

_ZENODO_JSON = (
    "this is the metadata file of Zenodo's GitHub integration, not a zsync config: write a zenodo.yaml "
    "(or zenodo.toml, zenodo.json) beside it, from the template in the README"
)

TOKEN_ENV_VAR = "ZENODO_TOKEN"  # noqa: S105 (a variable name, not a secret)
# Read in this order; REPREP_ZENODO_TOKEN is stepup-reprep 4.x's variable, REPREP_PATH_ZENODO_TOKEN
# the token file of stepup-reprep 3.1.4+.
TOKEN_ENV_VARS = (TOKEN_ENV_VAR, "REPREP_ZENODO_TOKEN")
TOKEN_PATH_ENV_VAR = "REPREP_PATH_ZENODO_TOKEN"  # noqa: S105

# The keys each mapping allows, from the table.
TOP_KEYS = configschema.TOP.keys
METADATA_KEYS = configschema.METADATA.keys
CREATOR_KEYS = configschema.CREATOR.keys
AFFILIATION_KEYS = configschema.AFFILIATION.keys
RELATED_KEYS = configschema.RELATED.keys
FUNDING_KEYS = configschema.FUNDING.keys
AWARD_KEYS = configschema.AWARD.keys
ACCESS_KEYS = configschema.ACCESS.keys


class Arguments(NamedTuple):
    """Data files and a description given as command-line arguments (or the action's `files` and
    `description` inputs), added to the config's as stepup-reprep 4.x takes them, with the same
    checks; their problems name the command line. Relative paths resolve against `base` (default:
    the current folder), not against the config's folder."""

    files: tuple[str, ...] = ()
    description: str | None = None
    base: Path | None = None


class ConfigSummary(NamedTuple):
    """What `zsync validate` prints about a valid config.

    A named tuple, not a frozen dataclass: defining a dataclass costs ~0.8 ms, about what the
    whole config stack takes to import, and `zsync validate`'s start-up is benchmarked.
    """

    title: str
    version: str
    file_count: int
    total_size_bytes: int


# --------------------------------------------------------------------------- public functions


def load_config(path: Path, *, check_files: bool = True, arguments: Arguments | None = None) -> Config:
    """Read and validate the config at `path` (YAML, TOML or JSON by its suffix; zsync's format or a
    stepup-reprep generation's, by its keys); raise `ConfigError` with every problem found."""
    try:
        data = _read_bounded(Path(path).expanduser())
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    None,
                    "",
                    "the file does not exist",
                    "create it from the template in the README",
                )
            ]
        ) from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        message = f"the file is not UTF-8 text: byte 0x{byte:02x} at column {column} ({exc.reason})"
        hint = "save it as UTF-8 (iconv -f latin1 -t utf-8, or your editor's encoding menu)"
        raise ConfigError([Problem(str(path), line, "", message, hint)]) from None
    except _TooLarge as exc:
        raise ConfigError([Problem(str(path), None, "", str(exc), _LIMIT_HINT)]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, "", f"cannot read the file: {exc.strerror}")]) from None
    return parse_config(text, source=Path(path), check_files=check_files, arguments=arguments)


# A real zenodo.yaml is a few kB; these bound what a hostile or broken one costs (issue #11, item 9).
MAX_CONFIG_BYTES = 2 * 10**6
_TOO_LARGE = f"the {{what}} is over {MAX_CONFIG_BYTES // 10**6} MB; zsync reads configs up to that size"
_LIMIT_HINT = "a zenodo.yaml lists metadata and paths; large text belongs in the readme or in the data files"


class _TooLarge(Exception):
    pass


def _read_bounded(path: Path) -> bytes:
    """The file's bytes; raises _TooLarge past MAX_CONFIG_BYTES without reading the rest."""
    with path.open("rb") as stream:
        data = stream.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise _TooLarge(_TOO_LARGE.format(what="file"))
    return data


def syntax_of(source: Path) -> str:
    """The format of a config file, by its suffix: TOML (.toml), JSON (.json), else YAML."""
    return _SYNTAX_BY_SUFFIX.get(Path(source).suffix.lower(), "YAML")


_SYNTAX_BY_SUFFIX = {".toml": "TOML", ".json": "JSON"}


def _compose(text: str, syntax: str) -> Node | None:
    if syntax == "TOML":
        from zsync.loader import fromtoml  # only for a .toml config: tomllib is not needed otherwise

        return fromtoml.compose(text)
    if syntax == "JSON":
        from zsync.loader import fromjson

        return fromjson.compose(text)
    return fromyaml.compose(text)


def parse_config(
    text: str, *, source: Path, check_files: bool = True, arguments: Arguments | None = None
) -> Config:
    """Validate config `text` as if read from `source` (relative paths resolve beside it); the format
    (YAML, TOML or JSON) follows the suffix of `source`, the generation the keys (`zsync.stepup`)."""
    absolute = Path(os.path.abspath(Path(source).expanduser()))
    syntax = syntax_of(absolute)
    walk = Walker(str(source), absolute.parent, syntax)
    if arguments is not None:
        _add_arguments(walk, arguments)
    values = None
    try:
        if absolute.name == ".zenodo.json":
            raise DocumentError(None, _ZENODO_JSON)
        if len(text) > MAX_CONFIG_BYTES:
            raise DocumentError(None, _TOO_LARGE.format(what="text"))
        root = _compose(text, syntax)
    except DocumentError as exc:
        walk.add("", exc.line, exc.message)
    else:
        if root is None:
            walk.add("", None, "the file is empty", "start from the template in the README")
        else:
            walk.generation = stepup.detect(root)
            before = walk.mark()
            root = metasources.apply(root, walk)
            top = configschema.TOP_1X if walk.generation == stepup.GENERATION_1X else configschema.TOP
            if walk.mark() == before:  # a source that cannot be read: its problems alone, not what it lacks
                values = shaped(top)(walk.root(root))
    late = [found for check in walk.deferred for found in check(walk.file)] if check_files else []
    problems = walk.merged(late)
    if problems or values is None:
        raise ConfigError(sorted(problems, key=lambda p: p.line if p.line is not None else 0))
    values = {**values, **values["paths"].fields()}
    return Config(
        source=absolute,
        lines=MappingProxyType(_own_lines(walk)),
        **values,
        origins=MappingProxyType(dict(walk.origins)),
        overridden=MappingProxyType(dict(walk.overridden)),
        warnings=tuple(str(found) for found in walk.warnings),
        generation=walk.generation,
        record_ids_by_version=walk.generation == stepup.GENERATION_1X,
        notices=_notices(walk.generation, values, absolute),
    )


def _own_lines(walk: Walker) -> dict[str, int]:
    """The lines of the config's own fields (a field from a `metadata_from` source has its line in
    `Config.origins`, in that source)."""
    return {path: line for path, line in walk.lines.items() if walk.origin_of(path) is None}


def _add_arguments(walk: Walker, arguments: Arguments) -> None:
    """The arguments as cursors of a walk of their own, whose problems name the command line."""
    base = Path(os.path.abspath(arguments.base or Path.cwd()))
    command_line = ArgumentWalker(walk, base)
    if arguments.files:
        walk.argument_files = Cursor(command_line, Plain(list(arguments.files)), "files", 0)
    if arguments.description is not None:
        walk.argument_description = Cursor(command_line, Plain(arguments.description), "description", 0)


def _notices(generation: str | None, values: dict[str, Any], source: Path) -> tuple[str, ...]:
    if generation != stepup.GENERATION_1X:
        return ()
    versions = values["path_record_id"].name
    text = f"read as a stepup-reprep 1.x file: record ids stay in {versions} (by version, as 1.x kept them)"
    if values["metadata"].keywords:
        text += "; its keywords are sent to Zenodo (1.x dropped them)"
    return (f"{text}; `zsync migrate {source.name}` converts it to zsync's format",)


def resolve_token(config: Config, environ: Mapping[str, str], *, cwd: Path | None = None) -> str | None:
    """The Zenodo token, or None: `ZENODO_TOKEN`, then `REPREP_ZENODO_TOKEN` (stepup-reprep 4.x's
    name) from `environ`; else the same names in a `.env` file in `cwd` (default: the current
    directory) or beside the config; else the content of the file `REPREP_PATH_ZENODO_TOKEN` names
    (stepup-reprep 3.1.4+), else of `path_token`.

    `.env` files never override the real environment and are not loaded into `os.environ`.
    An empty value or an empty/missing token file counts as no token.
    """
    for name in TOKEN_ENV_VARS:
        value = environ.get(name, "").strip()
        if value:
            return value
    from_dotenv = _dotenv_token([Path.cwd() if cwd is None else cwd, config.source.parent])
    if from_dotenv:
        return from_dotenv
    named = _named_token_file(config, environ)
    return None if named is None else _read_token_file(named[0])[0]


def _named_token_file(config: Config, environ: Mapping[str, str]) -> tuple[Path, str] | None:
    """The token file zsync reads, and who named it: REPREP_PATH_ZENODO_TOKEN, else `path_token`
    (as `zenodo.yaml:4: path_token`). The first one named decides, even when it gives no token."""
    from_env = environ.get(TOKEN_PATH_ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser(), TOKEN_PATH_ENV_VAR
    if config.path_token is None:
        return None
    line = config.line_of("path_token")
    return config.path_token.expanduser(), f"{config.source.name}{f':{line}' if line else ''}: path_token"


def _read_token_file(path: Path) -> tuple[str | None, str]:
    """(the token, "") or (None, why the file gave none)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None, "does not exist"
    except IsADirectoryError:
        return None, "is a folder, not a file"
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or type(exc).__name__})"
    return (text, "") if text else (None, "is empty")


def token_file_problem(config: Config, environ: Mapping[str, str]) -> str | None:
    """Why the token file named by REPREP_PATH_ZENODO_TOKEN or `path_token` gave no token, in the
    form `zenodo.yaml:4: path_token: the token file /home/me/token.txt does not exist`; None when
    no file is named or it holds a token. The path is printed, never the file's content."""
    named = _named_token_file(config, environ)
    if named is None:
        return None
    path, who = named
    token, why = _read_token_file(path)
    return None if token else f"{who}: the token file {path} {why}"


def _dotenv_token(folders: list[Path]) -> str | None:
    for folder in dict.fromkeys(folders):
        env_file = folder / ".env"
        if env_file.is_file():
            try:
                from dotenv import dotenv_values  # here, not at the top: `zsync validate` never needs it

                found = dotenv_values(env_file)
            except (OSError, UnicodeDecodeError):
                continue
            for name in TOKEN_ENV_VARS:
                value = (found.get(name) or "").strip()
                if value:
                    return value
    return None


def unread_token_variables(environ: Mapping[str, str]) -> list[str]:
    """Variables that look like a Zenodo token but are not ones zsync reads (`ZENODO_API_TOKEN`, an
    input misspelt as `zenodo_token`, ...): a job that sets only those would otherwise validate and
    succeed having sent nothing."""
    read = {*TOKEN_ENV_VARS, TOKEN_PATH_ENV_VAR, "INPUT_TOKEN"}
    return sorted(
        name
        for name, value in environ.items()
        if value.strip() and "ZENODO" in name.upper() and "TOKEN" in name.upper() and name.upper() not in read
    )


TOKEN_SOURCES = (
    f"the token input, {' or '.join(TOKEN_ENV_VARS)} (also in a .env file), "
    f"or a file named by {TOKEN_PATH_ENV_VAR} or path_token"
)


def matched_lines(config: Config) -> list[str]:
    """What each glob of `paths` matched, a line each: `paths[0] 'r/*.csv' matched 2 files: a.csv, b.csv`."""
    lines = []
    for match in config.patterns:
        names = ", ".join(path.name for path in match.files) or "nothing"
        lines.append(f"{match.field} {match.pattern!r} matched {counted(len(match.files), 'file')}: {names}")
    return lines


def summarize(config: Config) -> ConfigSummary:
    """Title, version, file count and total size; a file that vanished since loading counts 0 bytes."""
    total = 0
    for path in config.paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    count = len(config.paths) + len(config.archives)
    return ConfigSummary(config.metadata.title, config.metadata.version, count, total)
