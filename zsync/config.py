"""Load a zenodo.yaml into a frozen `Config`, reporting every problem at once with its line.

The loader is in layers: `zsync.loader.fromyaml` turns the text into a neutral node tree (the only
module that imports `yaml`); `zsync.loader.walk` walks it with the table of fields in
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
  of the two) with optional `identifiers` (a list of single-key mappings `{scheme: identifier}`).
- `access.record` must be `public`: Zenodo refuses restricted records. `access.files` may be
  `restricted`.
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
from typing import NamedTuple

from zsync import configschema
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
from zsync.loader.nodes import DocumentError, Node
from zsync.loader.walk import Walker, shaped
from zsync.models import Config

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
    "TOP_KEYS",
    "ConfigSummary",
    "check_endpoint",
    "load_config",
    "parse_config",
    "resolve_token",
    "summarize",
]

_ZENODO_JSON = (
    "this is the metadata file of Zenodo's GitHub integration, not a zsync config: write a zenodo.yaml "
    "(or zenodo.toml, zenodo.json) beside it, from the template in the README"
)

TOKEN_ENV_VAR = "ZENODO_TOKEN"  # noqa: S105 (a variable name, not a secret)

# The keys each mapping allows, from the table.
TOP_KEYS = configschema.TOP.keys
METADATA_KEYS = configschema.METADATA.keys
CREATOR_KEYS = configschema.CREATOR.keys
AFFILIATION_KEYS = configschema.AFFILIATION.keys
RELATED_KEYS = configschema.RELATED.keys
FUNDING_KEYS = configschema.FUNDING.keys
AWARD_KEYS = configschema.AWARD.keys
ACCESS_KEYS = configschema.ACCESS.keys


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


def load_config(path: Path, *, check_files: bool = True) -> Config:
    """Read and validate the zenodo.yaml at `path`; raise `ConfigError` with every problem found."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
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
        raise ConfigError(
            [Problem(str(path), None, "", f"the file is not UTF-8 text ({exc.reason})")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, "", f"cannot read the file: {exc.strerror}")]) from None
    return parse_config(text, source=Path(path), check_files=check_files)


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


def parse_config(text: str, *, source: Path, check_files: bool = True) -> Config:
    """Validate config `text` as if read from `source` (relative paths resolve beside it); the format
    (YAML, TOML or JSON) follows the suffix of `source`."""
    absolute = Path(os.path.abspath(Path(source).expanduser()))
    syntax = syntax_of(absolute)
    walk = Walker(str(source), absolute.parent, syntax)
    values = None
    try:
        if absolute.name == ".zenodo.json":
            raise DocumentError(None, _ZENODO_JSON)
        root = _compose(text, syntax)
    except DocumentError as exc:
        walk.add("", exc.line, exc.message)
    else:
        if root is None:
            walk.add("", None, "the file is empty", "start from the template in the README")
        else:
            values = shaped(configschema.TOP)(walk.root(root))
    late = [found for check in walk.deferred for found in check(walk.file)] if check_files else []
    problems = walk.merged(late)
    if problems or values is None:
        raise ConfigError(sorted(problems, key=lambda p: p.line if p.line is not None else 0))
    return Config(source=absolute, lines=MappingProxyType(dict(walk.lines)), **values)


def resolve_token(config: Config, environ: Mapping[str, str], *, cwd: Path | None = None) -> str | None:
    """The Zenodo token, or None: `ZENODO_TOKEN` from `environ`, else from a `.env` file in `cwd`
    (default: the current directory) or beside the config, else the content of `path_token`.

    `.env` files never override the real environment and are not loaded into `os.environ`.
    An empty value or an empty/missing token file counts as no token.
    """
    value = environ.get(TOKEN_ENV_VAR, "").strip()
    if value:
        return value
    folders = [Path.cwd() if cwd is None else cwd, config.source.parent]
    for folder in dict.fromkeys(folders):
        env_file = folder / ".env"
        if env_file.is_file():
            try:
                from dotenv import dotenv_values  # here, not at the top: `zsync validate` never needs it

                value = (dotenv_values(env_file).get(TOKEN_ENV_VAR) or "").strip()
            except (OSError, UnicodeDecodeError):
                continue
            if value:
                return value
    if config.path_token is not None:
        try:
            value = config.path_token.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return value or None
    return None


def summarize(config: Config) -> ConfigSummary:
    """Title, version, file count and total size; a file that vanished since loading counts 0 bytes."""
    total = 0
    for path in config.paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return ConfigSummary(config.metadata.title, config.metadata.version, len(config.paths), total)
