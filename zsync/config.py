"""Load a zenodo.yaml into a frozen `Config`, reporting every problem at once with its line.

The YAML is composed into a node tree (`yaml.compose` with the safe loader) rather than loaded, so
that each value keeps its line; scalars are then built with PyYAML's safe constructor. Field paths
in messages and in `Config.lines` look like `metadata.creators[0].identifiers.orcid` (list indices
count from 0, like the field names in Zenodo's own error messages).

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
  not empty, at most 100, at most 50 GB each and in total, unique base names of at most 255
  characters), the readme (exists) and the record-id file (one number, when it exists).
  `check_files=False` never touches the file system beyond the config itself.
Relative paths resolve against the config file's folder; `~` expands.

This module never imports `requests`: `zsync validate` and `zsync --version` stay light.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar
from urllib.parse import urlsplit

import yaml
from yaml.reader import ReaderError

from zsync import identifiers, vocabulary
from zsync.errors import ConfigError, Problem
from zsync.models import (
    Access,
    Affiliation,
    Award,
    Config,
    Creator,
    Funding,
    Metadata,
    RelatedIdentifier,
)

DEFAULT_RECORD_ID_FILE = ".zenodo-record-id.txt"
KNOWN_ENDPOINTS = ("https://zenodo.org/api", "https://sandbox.zenodo.org/api")
TOKEN_ENV_VAR = "ZENODO_TOKEN"  # noqa: S105 (a variable name, not a secret)
# Zenodo's limits (see the InvenioRDM contract): files per record, bytes per file and per record.
MAX_FILES = 100
MAX_FILE_BYTES = 50 * 10**9
MAX_TOTAL_BYTES = 50 * 10**9
MAX_KEY_CHARS = 255
MIN_TITLE_CHARS = 3
README_SUFFIXES = (".md", ".html")

TOP_KEYS = (
    "path_record_id",
    "endpoint",
    "path_token",
    "metadata",
    "code_repository",
    "path_readme",
    "paths",
    "access",
)
METADATA_KEYS = (
    "title",
    "version",
    "keywords",
    "license",
    "resource_type",
    "publisher",
    "copyright",
    "creators",
    "related",
    "funding",
)
CREATOR_KEYS = ("type", "family_name", "given_name", "name", "identifiers", "affiliations")
AFFILIATION_KEYS = ("ror", "name")
RELATED_KEYS = ("scheme", "identifier", "relation_type", "resource_type")
FUNDING_KEYS = ("funder", "award")
AWARD_KEYS = ("id", "title", "number", "identifiers")
ACCESS_KEYS = ("record", "files")

_T = TypeVar("_T")

_REQUIRED_EXAMPLES = {
    "endpoint": "for example endpoint: https://sandbox.zenodo.org/api",
    "metadata": "see the template in the README",
    "paths": "for example paths: [data/measurements.csv]",
    "title": "for example title: 'A title'",
    "version": "for example version: '1.0.0'",
    "resource_type": "for example resource_type: dataset",
    "creators": "for example creators: [{name: 'Doe, Jane'}]",
    "scheme": "for example scheme: doi",
    "identifier": "for example identifier: 10.1234/zenodo.1234567",
    "relation_type": "for example relation_type: cites",
    "funder": "for example funder: {ror: 00k4n6c32}",
}
_NAME_EXAMPLES = {
    "family_name": "family_name: Doe",
    "given_name": "given_name: Jane",
    "name": "name: 'Doe, Jane'",
}


@dataclass(frozen=True)
class ConfigSummary:
    """What `zsync validate` prints about a valid config."""

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


def parse_config(text: str, *, source: Path, check_files: bool = True) -> Config:
    """Validate zenodo.yaml `text` as if read from `source` (relative paths resolve beside it)."""
    reader = _Reader(str(source), Path(os.path.abspath(Path(source).expanduser())), check_files)
    root = reader.compose(text)
    config = reader.config(root) if root is not None else None
    if reader.problems or config is None:
        raise ConfigError(sorted(reader.problems, key=lambda p: p.line if p.line is not None else 0))
    return config


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


# --------------------------------------------------------------------------- the reader


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _kind(value: object) -> str:
    if isinstance(value, yaml.MappingNode):
        return "a mapping"
    if isinstance(value, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {value!r}".replace("True", "true").replace("False", "false")
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


_Entries = dict[str, tuple[int, yaml.Node]]


class _Reader:
    """Walks the node tree once, collecting problems and field lines as it goes."""

    def __init__(self, file: str, source: Path, check_files: bool) -> None:
        self.file = file
        self.source = source
        self.base = source.parent
        self.check_files = check_files
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    # ---------------------------------------------------------------- primitives

    def add(self, field: str, line: int | None, message: str, hint: str | None = None) -> None:
        # One line per problem, whatever the YAML or an exception put into the text.
        field = " ".join(field.split())
        message = " ".join(message.split())
        hint = " ".join(hint.split()) if hint else None
        self.problems.append(Problem(self.file, line, field, message, hint))

    def compose(self, text: str) -> yaml.Node | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            self.add("", mark.line + 1 if mark else None, f"YAML syntax error: {detail}")
            return None
        except ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            self.add("", line, f"YAML syntax error: unacceptable character #x{exc.character:04x}")
            return None
        except yaml.YAMLError as exc:
            self.add("", None, f"YAML syntax error: {exc}")
            return None
        except RecursionError:
            self.add("", None, "YAML syntax error: the document is nested too deeply")
            return None
        if root is None:
            self.add("", None, "the file is empty", "start from the template in the README")
        return root

    def scalar(self, node: yaml.Node, field: str) -> tuple[bool, object]:
        """(True, value) for a scalar node; (False, node) for a mapping or list."""
        if not isinstance(node, yaml.ScalarNode):
            return False, node
        try:
            return True, yaml.constructor.SafeConstructor().construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.add(field, node.start_mark.line + 1, f"cannot read this value ({exc.problem})")
            return True, _INVALID
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            self.add(field, node.start_mark.line + 1, f"cannot read this value ({exc})")
            return True, _INVALID

    def mapping(
        self,
        node: yaml.Node,
        field: str,
        line: int,
        keys: tuple[str, ...],
        *,
        required: tuple[str, ...] = (),
        example: str,
    ) -> _Entries | None:
        if not isinstance(node, yaml.MappingNode):
            _, value = self.scalar(node, field)
            if value is not _INVALID:
                self.add(field, line, f"expected a mapping (key: value lines), got {_kind(value)}", example)
            return None
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            ok, key = self.scalar(key_node, field)
            if not ok or not isinstance(key, str):
                if key is not _INVALID:
                    self.add(field, key_line, f"keys must be plain words, got {_kind(key)}")
                continue
            path = _join(field, key)
            if key not in keys:
                guess = vocabulary.closest(key, keys)
                hint = f"did you mean {guess!r}?" if guess else f"allowed here: {', '.join(keys)}"
                self.add(path, key_line, f"unknown key {key!r}", hint)
                continue
            if key in entries:
                self.add(path, key_line, f"{key!r} is given twice (first on line {entries[key][0]})")
                continue
            entries[key] = (key_line, value_node)
            self.lines[path] = key_line
        for key in required:
            if key not in entries:
                self.add(_join(field, key), line, "is required", _REQUIRED_EXAMPLES.get(key, example))
        return entries

    def sequence(
        self, node: yaml.Node, field: str, line: int, *, example: str
    ) -> list[tuple[int, yaml.Node]] | None:
        if not isinstance(node, yaml.SequenceNode):
            _, value = self.scalar(node, field)
            if value is not _INVALID:
                self.add(field, line, f"expected a list, got {_kind(value)}", example)
            return None
        items = []
        for index, item in enumerate(node.value):
            item_line = item.start_mark.line + 1
            self.lines[f"{field}[{index}]"] = item_line
            items.append((item_line, item))
        return items

    def string(
        self, node: yaml.Node, field: str, line: int, *, example: str, min_chars: int = 1
    ) -> str | None:
        ok, value = self.scalar(node, field)
        if value is _INVALID:
            return None
        if not isinstance(value, str):
            hint = f"for example {example}"
            if ok and value is not None and not isinstance(value, bool | str):
                hint = f"quote it to make it a string, for example {example}"
            self.add(field, line, f"expected a string, got {_kind(value)}", hint)
            return None
        text = value.strip()
        if len(text) < min_chars:
            if min_chars == 1:
                self.add(field, line, "is empty", f"for example {example}")
            else:
                self.add(field, line, f"{value!r} is too short (at least {min_chars} characters)")
            return None
        return text

    def choice(
        self, node: yaml.Node, field: str, line: int, choices: tuple[str, ...], what: str
    ) -> str | None:
        text = self.string(node, field, line, example=choices[0])
        if text is None:
            return None
        if text in choices:
            return text
        guess = vocabulary.closest(text, choices)
        hint = f"did you mean {guess!r}?" if guess else f"one of: {', '.join(choices)}"
        self.add(field, line, f"{text!r} is not a known {what}", hint)
        return None

    def identifier(self, field: str, line: int, check: Callable[[str], str], text: str | None) -> str | None:
        if text is None:
            return None
        try:
            return check(text)
        except identifiers.InvalidIdentifier as exc:
            self.add(field, line, exc.message, exc.hint)
            return None

    def path(self, text: str) -> Path:
        expanded = Path(os.path.expanduser(text))
        return Path(os.path.normpath(expanded if expanded.is_absolute() else self.base / expanded))

    def indexed(
        self,
        entries: _Entries,
        key: str,
        field: str,
        parse: Callable[[yaml.Node, str, int], _T | None],
        *,
        example: str,
    ) -> list[tuple[int, _T]]:
        """Parse the list under `key` element by element: (index, value) of each element that parsed."""
        if key not in entries:
            return []
        line, node = entries[key]
        sequence = self.sequence(node, _join(field, key), line, example=example)
        result = []
        for index, (item_line, item) in enumerate(sequence or ()):
            parsed = parse(item, f"{_join(field, key)}[{index}]", item_line)
            if parsed is not None:
                result.append((index, parsed))
        return result

    def items(
        self,
        entries: _Entries,
        key: str,
        field: str,
        parse: Callable[[yaml.Node, str, int], _T | None],
        *,
        example: str,
    ) -> tuple[_T, ...]:
        """Like `indexed`, values only."""
        return tuple(value for _, value in self.indexed(entries, key, field, parse, example=example))

    # ---------------------------------------------------------------- the document

    def config(self, root: yaml.Node) -> Config | None:
        top = self.mapping(
            root,
            "",
            1,
            TOP_KEYS,
            required=("endpoint", "metadata", "paths"),
            example="see the template in the README",
        )
        if top is None:
            return None
        endpoint = self.endpoint(*top["endpoint"]) if "endpoint" in top else None
        metadata = self.metadata(*top["metadata"]) if "metadata" in top else None
        record_id_path = self.record_id(top)
        path_token = None
        if "path_token" in top:
            line, node = top["path_token"]
            text = self.string(node, "path_token", line, example="path_token: ~/.config/zenodo-token.txt")
            path_token = self.path(text) if text is not None else None
        code_repository = None
        if "code_repository" in top:
            line, node = top["code_repository"]
            text = self.string(node, "code_repository", line, example="https://github.com/example/repo")
            code_repository = self.identifier("code_repository", line, identifiers.check_http_url, text)
        readme = self.readme(top)
        paths = self.paths(top)
        access = self.access(top)
        if endpoint is None or metadata is None or paths is None or access is None:
            return None
        return Config(
            source=self.source,
            endpoint=endpoint,
            path_record_id=record_id_path,
            metadata=metadata,
            paths=paths,
            path_token=path_token,
            code_repository=code_repository,
            path_readme=readme,
            access=access,
            lines=MappingProxyType(dict(self.lines)),
        )

    def endpoint(self, line: int, node: yaml.Node) -> str | None:
        text = self.string(node, "endpoint", line, example="endpoint: https://sandbox.zenodo.org/api")
        if text is None:
            return None
        result, message, hint = check_endpoint(text)
        if result is None:
            self.add("endpoint", line, message, hint)
        return result

    def record_id(self, top: _Entries) -> Path:
        if "path_record_id" not in top:
            path = self.path(DEFAULT_RECORD_ID_FILE)
            line = None
        else:
            line, node = top["path_record_id"]
            text = self.string(
                node, "path_record_id", line, example=f"path_record_id: {DEFAULT_RECORD_ID_FILE}"
            )
            path = self.path(text if text is not None else DEFAULT_RECORD_ID_FILE)
        if self.check_files and path.exists():
            hint = (
                "write the id of the record (the number at the end of its Zenodo URL), "
                "or delete the file so that zsync creates a new record"
            )
            if not path.is_file():
                self.add("path_record_id", line, f"{path} is not a regular file", hint)
                return path
            try:
                content = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                self.add("path_record_id", line, f"cannot read {path}: {exc}", hint)
                return path
            if content and not (content.isascii() and content.isdigit()):
                shown = content if len(content) <= 40 else content[:37] + "..."
                self.add(
                    "path_record_id", line, f"{path} must hold one record id (a number), not {shown!r}", hint
                )
            elif not content:
                self.add(
                    "path_record_id", line, f"{path} is empty; it must hold one record id (a number)", hint
                )
        return path

    def readme(self, top: _Entries) -> Path | None:
        if "path_readme" not in top:
            return None
        line, node = top["path_readme"]
        text = self.string(node, "path_readme", line, example="path_readme: zenodo.md")
        if text is None:
            return None
        path = self.path(text)
        if path.suffix.lower() not in README_SUFFIXES:
            self.add(
                "path_readme",
                line,
                f"{text!r} must be a Markdown (.md) or HTML (.html) file",
                "Zenodo shows it as the description: convert it, or rename it if it is Markdown",
            )
            return None
        if self.check_files and not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            self.add("path_readme", line, f"{text!r} {what} ({path})")
            return None
        return path

    def paths(self, top: _Entries) -> tuple[Path, ...] | None:
        if "paths" not in top:
            return None
        line, node = top["paths"]
        example = "for example paths: [data/measurements.csv]"
        sequence = self.sequence(node, "paths", line, example=example)
        if sequence is None:
            return None
        if not sequence:
            self.add("paths", line, "lists no files; Zenodo needs at least one file", example)
            return None
        result: list[Path] = []
        seen: dict[str, tuple[str, str]] = {}
        total = 0
        for index, (item_line, item) in enumerate(sequence):
            field = f"paths[{index}]"
            text = self.string(item, field, item_line, example="data/measurements.csv")
            if text is None:
                continue
            path = self.path(text)
            result.append(path)
            key = path.name
            if key in seen:
                first_field, first_text = seen[key]
                if self.path(first_text) == path:
                    self.add(field, item_line, f"{text!r} is listed twice (also {first_field})")
                else:
                    self.add(
                        field,
                        item_line,
                        f"{text!r} has the same file name {key!r} as {first_field} ({first_text!r}); "
                        "Zenodo has no folders",
                        "rename one of them, or put them in a zip archive",
                    )
                continue
            seen[key] = (field, text)
            if len(key) > MAX_KEY_CHARS:
                self.add(
                    field, item_line, f"the file name is {len(key)} characters; Zenodo allows {MAX_KEY_CHARS}"
                )
            if self.check_files:
                total += self.check_file(field, item_line, text, path)
        if len(result) > MAX_FILES:
            self.add(
                "paths",
                line,
                f"lists {len(result)} files; Zenodo allows at most {MAX_FILES} per record",
                "put the files in a few zip archives",
            )
        if total > MAX_TOTAL_BYTES:
            self.add(
                "paths",
                line,
                f"the files add up to {_gb(total)}; Zenodo allows at most {_gb(MAX_TOTAL_BYTES)} per record",
            )
        return tuple(result)

    def check_file(self, field: str, line: int, text: str, path: Path) -> int:
        """Check one data file; return its size (0 when it is unusable)."""
        try:
            info = path.stat()
        except OSError:
            self.add(field, line, f"{text!r} does not exist ({path})")
            return 0
        if path.is_dir():
            self.add(
                field,
                line,
                f"{text!r} is a directory; Zenodo has no folders",
                f"zip it (zip -r {path.name}.zip {text}) and list the zip, or list its files one by one",
            )
            return 0
        if not path.is_file():
            self.add(field, line, f"{text!r} is not a regular file")
            return 0
        if info.st_size == 0:
            self.add(field, line, f"{text!r} is empty (0 bytes); Zenodo refuses empty files")
            return 0
        if info.st_size > MAX_FILE_BYTES:
            self.add(
                field,
                line,
                f"{text!r} is {_gb(info.st_size)}; Zenodo allows at most {_gb(MAX_FILE_BYTES)} per file",
            )
        return info.st_size

    def access(self, top: _Entries) -> Access | None:
        if "access" not in top:
            return Access()
        line, node = top["access"]
        entries = self.mapping(
            node, "access", line, ACCESS_KEYS, example="for example access: {files: restricted}"
        )
        if entries is None:
            return None
        levels = {"record": "public", "files": "public"}
        ok = True
        for key, (key_line, value) in entries.items():
            level = self.choice(value, f"access.{key}", key_line, vocabulary.ACCESS_LEVELS, "access level")
            if level is None:
                ok = False
            elif key == "record" and level == "restricted":
                self.add(
                    "access.record",
                    key_line,
                    "Zenodo refuses restricted records",
                    "keep the record public and use files: restricted to restrict the files",
                )
                ok = False
            else:
                levels[key] = level
        if not ok:
            return None
        return Access(record="public", files="restricted" if levels["files"] == "restricted" else "public")

    # ---------------------------------------------------------------- metadata

    def metadata(self, line: int, node: yaml.Node) -> Metadata | None:
        entries = self.mapping(
            node,
            "metadata",
            line,
            METADATA_KEYS,
            required=("title", "version", "resource_type", "creators"),
            example="see the template in the README",
        )
        if entries is None:
            return None
        title = version = resource_type = None
        if "title" in entries:
            key_line, value = entries["title"]
            title = self.string(
                value, "metadata.title", key_line, example="title: 'A title'", min_chars=MIN_TITLE_CHARS
            )
        if "version" in entries:
            key_line, value = entries["version"]
            version = self.version(value, key_line)
        if "resource_type" in entries:
            key_line, value = entries["resource_type"]
            resource_type = self.choice(
                value, "metadata.resource_type", key_line, vocabulary.RESOURCE_TYPES, "resource type"
            )
        keywords = self.items(
            entries, "keywords", "metadata", self.keyword, example="for example keywords: [climate, ocean]"
        )
        licenses = self.licenses(entries)
        publisher = copyright_ = None
        if "publisher" in entries:
            key_line, value = entries["publisher"]
            publisher = self.string(value, "metadata.publisher", key_line, example="publisher: Zenodo")
        if "copyright" in entries:
            key_line, value = entries["copyright"]
            copyright_ = self.string(
                value, "metadata.copyright", key_line, example="copyright: '(c) 2026 Jane Doe'"
            )
        creators = self.items(
            entries,
            "creators",
            "metadata",
            self.creator,
            example="for example creators: [{name: 'Doe, Jane'}]",
        )
        if "creators" in entries:
            key_line, value = entries["creators"]
            if isinstance(value, yaml.SequenceNode) and not value.value:
                self.add("metadata.creators", key_line, "lists no creators; Zenodo needs at least one")
        related = self.items(
            entries,
            "related",
            "metadata",
            self.related,
            example="for example related: [{scheme: doi, identifier: 10.1234/abc, relation_type: cites}]",
        )
        funding = self.items(
            entries,
            "funding",
            "metadata",
            self.funding,
            example="for example funding: [{funder: {ror: 00k4n6c32}}]",
        )
        if title is None or version is None or resource_type is None or not creators:
            return None
        return Metadata(
            title=title,
            version=version,
            creators=creators,
            resource_type=resource_type,
            licenses=licenses,
            keywords=keywords,
            publisher=publisher,
            copyright=copyright_,
            related=related,
            funding=funding,
        )

    def version(self, node: yaml.Node, line: int) -> str | None:
        ok, value = self.scalar(node, "metadata.version")
        if ok and isinstance(value, int | float | date) and not isinstance(value, bool):
            written = str(node.value) if isinstance(node, yaml.ScalarNode) else str(value)
            self.add(
                "metadata.version",
                line,
                f"YAML reads {written} as {_kind(value)}, not as a version string",
                f"quote it: version: '{written}'",
            )
            return None
        return self.string(node, "metadata.version", line, example="version: '1.0.0'")

    def keyword(self, node: yaml.Node, field: str, line: int) -> str | None:
        return self.string(node, field, line, example="'climate'")

    def licenses(self, entries: _Entries) -> tuple[str, ...]:
        if "license" not in entries:
            return ()
        line, node = entries["license"]
        nodes: list[tuple[str, int, yaml.Node]]
        if isinstance(node, yaml.SequenceNode):
            sequence = self.sequence(node, "metadata.license", line, example="license: cc-by-4.0") or []
            nodes = [
                (f"metadata.license[{i}]", item_line, item) for i, (item_line, item) in enumerate(sequence)
            ]
        else:
            nodes = [("metadata.license", line, node)]
        result: list[str] = []
        for field, item_line, item in nodes:
            text = self.string(item, field, item_line, example="cc-by-4.0")
            if text is None:
                continue
            license_id = text.lower()
            if license_id in result:
                self.add(field, item_line, f"{text!r} is listed twice")
            elif license_id in vocabulary.license_ids():
                result.append(license_id)
            elif replacements := vocabulary.license_replacements(license_id):
                self.add(
                    field,
                    item_line,
                    f"{text!r} is a deprecated SPDX id that Zenodo does not accept",
                    f"use {' or '.join(replacements)}",
                )
            else:
                guess = vocabulary.closest(license_id, vocabulary.license_ids())
                hint = f"did you mean {guess!r}?" if guess else "see https://spdx.org/licenses/"
                self.add(field, item_line, f"{text!r} is not an SPDX licence id", hint)
        return tuple(result)

    def creator(self, node: yaml.Node, field: str, line: int) -> Creator | None:
        entries = self.mapping(
            node, field, line, CREATOR_KEYS, example="for example {family_name: Doe, given_name: Jane}"
        )
        if entries is None:
            return None
        kind = "personal"
        if "type" in entries:
            key_line, value = entries["type"]
            chosen = self.choice(value, f"{field}.type", key_line, vocabulary.CREATOR_TYPES, "creator type")
            if chosen is None:
                return None
            kind = chosen
        texts: dict[str, str | None] = {}
        for key in ("family_name", "given_name", "name"):
            if key in entries:
                key_line, value = entries[key]
                texts[key] = self.string(value, f"{field}.{key}", key_line, example=_NAME_EXAMPLES[key])
        if any(texts.get(key) is None for key in texts):
            return None
        name, family, given = texts.get("name"), texts.get("family_name"), texts.get("given_name")
        ok = True
        if kind == "organizational":
            for key in ("family_name", "given_name"):
                if key in entries:
                    self.add(f"{field}.{key}", entries[key][0], "an organizational creator has only a name")
                    ok = False
            if name is None and ok:
                self.add(
                    f"{field}.name",
                    line,
                    "is required for an organizational creator",
                    "name: ACME Consortium",
                )
                ok = False
        elif name is not None:
            if family is not None or given is not None:
                self.add(
                    f"{field}.name",
                    entries["name"][0],
                    "write either name or family_name/given_name, not both",
                )
                ok = False
            elif "," not in name:
                self.add(
                    f"{field}.name",
                    entries["name"][0],
                    f"{name!r} has no comma, so it is unclear whether it is a person or an organisation",
                    "write a person as name: 'Family, Given' (or family_name/given_name), "
                    "an organisation with type: organizational",
                )
                ok = False
            else:
                family, _, given = (part.strip() for part in name.partition(","))
                if not family:
                    self.add(
                        f"{field}.name", entries["name"][0], f"{name!r} has no family name before the comma"
                    )
                    ok = False
                given = given or None
        elif family is None:
            self.add(
                f"{field}.family_name",
                line,
                "is required for a personal creator",
                "family_name: Doe (or name: 'Doe, Jane'; or type: organizational with a name)",
            )
            ok = False
        schemes = (
            vocabulary.ORGANIZATION_IDENTIFIER_SCHEMES
            if kind == "organizational"
            else vocabulary.PERSON_IDENTIFIER_SCHEMES
        )
        ids = self.creator_identifiers(entries, field, schemes)
        affiliations = self.affiliations(entries, field)
        if not ok or ids is None or affiliations is None:
            return None
        if kind == "organizational":
            return Creator(kind="organizational", name=name, identifiers=ids, affiliations=affiliations)
        return Creator(
            kind="personal",
            family_name=family,
            given_name=given,
            name=name,
            identifiers=ids,
            affiliations=affiliations,
        )

    def creator_identifiers(
        self, entries: _Entries, field: str, schemes: tuple[str, ...]
    ) -> tuple[tuple[str, str], ...] | None:
        if "identifiers" not in entries:
            return ()
        line, node = entries["identifiers"]
        path = f"{field}.identifiers"
        ids = self.mapping(
            node, path, line, schemes, example="for example identifiers: {orcid: '0000-0002-1825-0097'}"
        )
        if ids is None:
            return None
        checks: dict[str, Callable[[str], str]] = {
            "orcid": identifiers.normalize_orcid,
            "isni": identifiers.normalize_isni,
            "ror": identifiers.normalize_ror,
        }
        result = []
        ok = True
        for scheme, (key_line, value) in ids.items():
            text = self.string(value, f"{path}.{scheme}", key_line, example="'0000-0002-1825-0097'")
            checked = self.identifier(f"{path}.{scheme}", key_line, checks[scheme], text)
            if checked is None:
                ok = False
            else:
                result.append((scheme, checked))
        return tuple(result) if ok else None

    def affiliations(self, entries: _Entries, field: str) -> tuple[Affiliation, ...] | None:
        if "affiliations" not in entries:
            return ()
        count = len(self.problems)
        example = "for example affiliations: [{ror: 00cv9y106}, {name: Some Lab}]"
        parsed = self.indexed(entries, "affiliations", field, self.affiliation, example=example)
        seen: dict[Affiliation, int] = {}
        for index, affiliation in parsed:
            if affiliation in seen:
                path = f"{field}.affiliations[{index}]"
                self.add(
                    path,
                    self.lines.get(path),
                    f"{affiliation.ror or affiliation.name!r} is listed twice "
                    f"(also affiliations[{seen[affiliation]}]); Zenodo refuses duplicates",
                )
            else:
                seen[affiliation] = index
        return None if len(self.problems) > count else tuple(value for _, value in parsed)

    def organisation(
        self, node: yaml.Node, field: str, line: int, example: str
    ) -> tuple[str | None, str | None]:
        """(ror, name) of an affiliation or funder, exactly one set; (None, None) after a problem."""
        entries = self.mapping(node, field, line, AFFILIATION_KEYS, example=example)
        if entries is None:
            return None, None
        if len(entries) != 1:
            self.add(field, line, "give exactly one of ror and name", example)
            return None, None
        key, (key_line, value) = next(iter(entries.items()))
        text = self.string(
            value, f"{field}.{key}", key_line, example="00cv9y106" if key == "ror" else "'Some Lab'"
        )
        if key == "ror":
            return self.identifier(f"{field}.ror", key_line, identifiers.normalize_ror, text), None
        return None, text

    def affiliation(self, node: yaml.Node, field: str, line: int) -> Affiliation | None:
        ror, name = self.organisation(node, field, line, "for example {ror: 00cv9y106} or {name: Some Lab}")
        return Affiliation(ror=ror, name=name) if ror or name else None

    def related(self, node: yaml.Node, field: str, line: int) -> RelatedIdentifier | None:
        example = "for example {scheme: doi, identifier: 10.1234/zenodo.1234567, relation_type: cites}"
        entries = self.mapping(
            node,
            field,
            line,
            RELATED_KEYS,
            required=("scheme", "identifier", "relation_type"),
            example=example,
        )
        if entries is None:
            return None
        scheme = relation = None
        resource_type = identifier = None
        if "scheme" in entries:
            key_line, value = entries["scheme"]
            scheme = self.choice(value, f"{field}.scheme", key_line, vocabulary.IDENTIFIER_SCHEMES, "scheme")
        if "relation_type" in entries:
            key_line, value = entries["relation_type"]
            relation = self.choice(
                value, f"{field}.relation_type", key_line, vocabulary.RELATION_TYPES, "relation type"
            )
        if "resource_type" in entries:
            key_line, value = entries["resource_type"]
            resource_type = self.choice(
                value, f"{field}.resource_type", key_line, vocabulary.RESOURCE_TYPES, "resource type"
            )
            if resource_type is None:
                return None
        if "identifier" in entries:
            key_line, value = entries["identifier"]
            text = self.string(value, f"{field}.identifier", key_line, example="10.1234/zenodo.1234567")
            if scheme is not None:
                identifier = self.identifier(
                    f"{field}.identifier",
                    key_line,
                    lambda v: identifiers.normalize_identifier(scheme, v),
                    text,
                )
        if scheme is None or relation is None or identifier is None:
            return None
        return RelatedIdentifier(scheme, identifier, relation, resource_type)

    def funding(self, node: yaml.Node, field: str, line: int) -> Funding | None:
        example = "for example {funder: {ror: 00k4n6c32}, award: {id: '00k4n6c32::101001234'}}"
        entries = self.mapping(node, field, line, FUNDING_KEYS, required=("funder",), example=example)
        if entries is None:
            return None
        ror = name = None
        if "funder" in entries:
            key_line, value = entries["funder"]
            ror, name = self.organisation(
                value,
                f"{field}.funder",
                key_line,
                "for example funder: {ror: 00k4n6c32} or funder: {name: Some Foundation}",
            )
        award = None
        award_ok = True
        if "award" in entries:
            key_line, value = entries["award"]
            award = self.award(value, f"{field}.award", key_line)
            award_ok = award is not None
        if not (ror or name) or not award_ok:
            return None
        return Funding(funder_ror=ror, funder_name=name, award=award)

    def award(self, node: yaml.Node, field: str, line: int) -> Award | None:
        example = (
            "for example award: {title: 'Full title', number: '101001234'} "
            "or award: {id: '00k4n6c32::101001234'}"
        )
        entries = self.mapping(node, field, line, AWARD_KEYS, example=example)
        if entries is None:
            return None
        texts: dict[str, str | None] = {}
        for key in ("id", "title", "number"):
            if key in entries:
                key_line, value = entries[key]
                texts[key] = self.string(value, f"{field}.{key}", key_line, example="'101001234'")
        if any(v is None for v in texts.values()):
            return None
        if "id" in texts:
            extra = [key for key in ("title", "number", "identifiers") if key in entries]
            if extra:
                self.add(
                    f"{field}.{extra[0]}",
                    entries[extra[0]][0],
                    "an award with an id takes nothing else",
                    "Zenodo fills the rest from its award vocabulary; remove either id or the other keys",
                )
                return None
            return Award(id=texts["id"])
        missing = [key for key in ("title", "number") if key not in texts]
        if len(missing) == 2:
            self.add(field, line, "give either id, or title and number", example)
            return None
        if missing:
            self.add(
                f"{field}.{missing[0]}",
                line,
                "is required when the award has no id "
                "(Zenodo refuses an award without both title and number)",
                example,
            )
            return None
        award_ids = self.award_identifiers(entries, field)
        if award_ids is None:
            return None
        return Award(title=texts["title"], number=texts["number"], identifiers=award_ids)

    def award_identifiers(self, entries: _Entries, field: str) -> tuple[tuple[str, str], ...] | None:
        count = len(self.problems)
        parsed = self.items(
            entries,
            "identifiers",
            field,
            self.award_identifier,
            example="for example identifiers: [{url: 'https://example.org/award/1234'}]",
        )
        return None if len(self.problems) > count else parsed

    def award_identifier(self, node: yaml.Node, field: str, line: int) -> tuple[str, str] | None:
        example = "for example {url: 'https://example.org/award/1234'}"
        entries = self.mapping(node, field, line, vocabulary.IDENTIFIER_SCHEMES, example=example)
        if entries is None:
            return None
        if len(entries) != 1:
            if entries:
                self.add(
                    field, line, "each identifier is a mapping with exactly one key, its scheme", example
                )
            elif isinstance(node, yaml.MappingNode) and not node.value:
                self.add(field, line, "is empty", example)
            return None
        scheme, (key_line, value) = next(iter(entries.items()))
        text = self.string(value, f"{field}.{scheme}", key_line, example="'https://example.org/award/1234'")
        checked = self.identifier(
            f"{field}.{scheme}", key_line, lambda v: identifiers.normalize_identifier(scheme, v), text
        )
        return (scheme, checked) if checked is not None else None


class _Invalid:
    """Marks a scalar that could not be constructed (already reported)."""


_INVALID = _Invalid()


def _gb(size_bytes: int) -> str:
    return f"{size_bytes / 10**9:.1f} GB"


# --------------------------------------------------------------------------- endpoint


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ZENODO_HOSTS = ("zenodo.org", "sandbox.zenodo.org")


def check_endpoint(value: str) -> tuple[str | None, str, str | None]:
    """(normalised endpoint, "", None) when valid, else (None, message, hint)."""
    known = " or ".join(KNOWN_ENDPOINTS)
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        _ = parts.port
    except ValueError as exc:
        return None, f"{value!r} is not a URL ({exc})", f"use {known}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or re.search(r"\s", text):
        return None, f"{value!r} is not an http(s) URL", f"use {known}"
    if parts.username is not None or parts.password is not None:
        return None, "the endpoint must not contain a user name or password", "give the token in ZENODO_TOKEN"
    if parts.query or parts.fragment:
        # The value is not echoed: a query string is where people paste access tokens.
        return None, "the endpoint must not have a query (?...) or fragment (#...)", f"use {known}"
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    path = re.sub("/+", "/", parts.path)
    if scheme == "http" and not _is_loopback(host):
        return (
            None,
            f"{value!r} must use https (http is only for a local test server)",
            f"did you mean 'https://{netloc}{path}'?",
        )
    bare = host.removeprefix("www.")
    if bare in _ZENODO_HOSTS:
        wanted = f"https://{bare}/api"
        if host != bare or path != "/api" or parts.port is not None:
            return None, f"{value!r} is not Zenodo's API endpoint", f"did you mean {wanted!r}?"
        return wanted, "", None
    guess = vocabulary.closest(bare, _ZENODO_HOSTS)
    if guess is not None and not _is_loopback(host):
        return None, f"{value!r}: unknown host {host!r}", f"did you mean 'https://{guess}/api'?"
    if not path.endswith("/api"):
        return None, f"{value!r} does not end with /api", f"did you mean '{scheme}://{netloc}{path}/api'?"
    return f"{scheme}://{netloc}{path}", "", None
