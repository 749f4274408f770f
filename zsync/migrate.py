"""`zsync migrate`: a stepup-reprep config (1.x, 3.x or 4.x) rewritten in zsync's own format.

zsync reads every generation as it is, so migrating is about making the file say plainly what it
means, not about making it work: a 1.x file gets zsync's names (`resource_type`, `affiliations`,
`identifiers`, `path_record_id`) and the publisher Zenodo gave its records; a 4.x file gets the
files and description it took as arguments (`paths`, `path_readme`) and, when it had none, the
endpoint 4.x defaulted to (the sandbox). A 3.x file already is zsync's format.

The file is edited line by line, so comments and layout stay; the result is then loaded again and
must describe the same record as the original (same metadata, files, endpoint, access, custom
fields), or the edit is thrown away and the config is written out from its data instead (without
comments). Nothing is written unless `--write` is given.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from zsync import atomicwrite, stepup
from zsync.config import Arguments, parse_config, syntax_of
from zsync.configrules import DEFAULT_RECORD_ID_FILE, KNOWN_ENDPOINTS
from zsync.errors import ConfigError, UsageError, ZsyncError
from zsync.frozen import frozen, replace
from zsync.loader import fromyaml
from zsync.models import Config

SANDBOX = KNOWN_ENDPOINTS[1]


@frozen
class Migration:
    """The migrated text, what changed (for a person), and for a 1.x file the record-id file to create."""

    text: str
    changes: tuple[str, ...]
    record_id_file: tuple[Path, str] | None = None


def run_migrate(path: Path, arguments: Arguments | None, *, write: bool) -> int:
    """The `zsync migrate` command: print the migrated config, or with `write` replace the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    migration = migrate(text, source=path, arguments=arguments)
    for change in migration.changes:
        print(f"zsync migrate: {change}", file=sys.stderr)
    if not write:
        print(migration.text, end="")
        return 0
    atomicwrite.write_text(path, migration.text)
    if migration.record_id_file is not None:
        id_file, record_id = migration.record_id_file
        if id_file.exists():
            print(f"zsync migrate: kept {id_file} as it is", file=sys.stderr)
        else:
            atomicwrite.write_text(id_file, record_id + "\n")
            print(f"zsync migrate: wrote record id {record_id} to {id_file}", file=sys.stderr)
    print(f"zsync migrate: wrote {path}", file=sys.stderr)
    return 0


def migrate(text: str, *, source: Path, arguments: Arguments | None = None) -> Migration:
    """The config `text` (read from `source`) in zsync's format; raises ConfigError when it is not
    valid as it is (the problems say what to change first)."""
    syntax = syntax_of(source)
    changes: list[str] = []
    text = _with_endpoint(text, source, syntax, arguments, changes)
    config = parse_config(text, source=source, check_files=False, arguments=arguments)
    if config.generation == stepup.GENERATION_1X:
        if arguments is not None:
            raise UsageError(
                "stepup-reprep 1.x took no files or description as arguments",
                hint="its files are in paths and its readme in path_readme; migrate the file alone",
            )
        return _migrate_1x(text, config, source, changes)
    if arguments is not None:
        text = _with_arguments(text, config, arguments, syntax, changes)
    if not changes:
        changes.append(f"{source.name} is already in zsync's format (stepup-reprep 3.x and 4.x files are)")
    _check_same(config, text, source)
    return Migration(text, tuple(changes))


def _essence(config: Config) -> tuple[Any, ...]:
    """What a config says about the record: two configs with the same essence sync the same way."""
    return (
        config.endpoint,
        config.metadata,
        config.paths,
        config.path_readme,
        config.path_token,
        config.code_repository,
        config.access,
        dict(config.custom_fields),
    )


class NotTheSame(ZsyncError):
    """The migrated text would not sync the same record (a bug of migrate, never written)."""


def _check_same(config: Config, text: str, source: Path) -> None:
    try:
        migrated = parse_config(text, source=source, check_files=False)
    except ConfigError as exc:
        raise NotTheSame(
            f"could not migrate {source.name}: the result does not load ({exc.diagnostics()})",
            hint="nothing was written; please report it",
        ) from None
    if _essence(migrated) != _essence(config):
        raise NotTheSame(
            f"could not migrate {source.name}: the result would describe another record",
            hint="nothing was written; please report it",
        )


# --------------------------------------------------------------------------- 4.x: endpoint, arguments


def _with_endpoint(
    text: str, source: Path, syntax: str, arguments: Arguments | None, changes: list[str]
) -> str:
    """A 4.x file without endpoint meant the sandbox: say so in the file (zsync never guesses)."""
    try:
        parse_config(text, source=source, check_files=False, arguments=arguments)
    except ConfigError as exc:
        missing = [
            p
            for p in exc.problems
            if p.field == "endpoint" and p.message == "is required" and "stepup-reprep 4.x" in (p.hint or "")
        ]
        if not missing:
            raise
    else:
        return text
    changes.append(
        f"endpoint: {SANDBOX} (stepup-reprep 4.x's default; https://zenodo.org/api publishes for real)"
    )
    if syntax == "JSON":
        return _json_with(text, {"endpoint": SANDBOX})
    line = f'endpoint = "{SANDBOX}"' if syntax == "TOML" else f"endpoint: {SANDBOX}"
    return _insert_top(text, [f"{line}  # stepup-reprep 4.x's default: the sandbox"])


def _with_arguments(text: str, config: Config, arguments: Arguments, syntax: str, changes: list[str]) -> str:
    """The files and description 4.x took as arguments, written into the config, relative to it."""
    folder = config.source.parent
    files = [_relative(path, folder) for path in config.paths[len(config.paths) - len(arguments.files) :]]
    added: dict[str, Any] = {}
    if arguments.files:
        if "paths" in config.lines:
            raise UsageError(
                "the config already lists paths",
                hint="add the files to its paths instead of giving them here",
            )
        added["paths"] = files
        changes.append(
            f"paths: the {'file' if len(files) == 1 else f'{len(files)} files'} given as arguments"
        )
    if arguments.description is not None and config.path_readme is not None:
        added["path_readme"] = _relative(config.path_readme, folder)
        changes.append(f"path_readme: {added['path_readme']} (given with --description)")
    if syntax == "JSON":
        return _json_with(text, added)
    if syntax == "TOML":
        return _insert_top(text, [f"{key} = {json.dumps(value)}" for key, value in added.items()])
    return text.rstrip("\n") + "\n" + fromyaml.dump(added)


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path, folder)).as_posix()


def _json_with(text: str, added: dict[str, Any]) -> str:
    data = json.loads(text)
    return json.dumps({**data, **added}, indent=2, ensure_ascii=False) + "\n"


def _insert_top(text: str, lines: list[str]) -> str:
    """`lines` at the top level, after the file's leading comments (TOML keys must precede tables)."""
    rows = text.splitlines(keepends=True)
    index = 0
    while index < len(rows) and (not rows[index].strip() or rows[index].lstrip().startswith("#")):
        index += 1
    return "".join([*rows[:index], *(line + "\n" for line in lines), *rows[index:]])


# --------------------------------------------------------------------------- 1.x


def _migrate_1x(text: str, config: Config, source: Path, changes: list[str]) -> Migration:
    versions = config.path_record_id
    id_file = versions.parent / DEFAULT_RECORD_ID_FILE
    record_id = _record_id_from(versions, config.metadata.version)
    changes += [
        f"path_versions -> path_record_id: {_relative(id_file, source.parent)}"
        + (
            f" (record {record_id}, from {versions.name}; delete that file once this one is committed)"
            if record_id
            else ""
        ),
        "upload_type -> resource_type; publisher: Zenodo (what Zenodo gave records of stepup-reprep 1.x)",
        "creators: affiliation -> affiliations: [{name}], orcid -> identifiers: {orcid}",
    ]
    try:
        edited = _edit_1x(text, config, _relative(id_file, source.parent))
        _check_same(_as_zsync(config, id_file), edited, source)
    except (NotTheSame, ValueError, IndexError):  # a layout the line edits do not follow (flow style, ...)
        edited = _regenerate_1x(text, _relative(id_file, source.parent))
        _check_same(_as_zsync(config, id_file), edited, source)
        changes.append("the file was written out anew, without its comments (its layout could not be kept)")
    return Migration(edited, tuple(changes), (id_file, record_id) if record_id else None)


def _as_zsync(config: Config, id_file: Path) -> Config:

    return replace(config, path_record_id=id_file, generation=None, record_ids_by_version=False, notices=())


def _record_id_from(versions: Path, version: str) -> str | None:
    try:
        data = json.loads(versions.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    found = data.get(version)
    return str(found if found is not None else max(int(v) for v in data.values()))


_KEY = r"^(?P<indent>[ \t]*(?:-[ \t]+)?)(?P<key>{key})(?P<rest>[ \t]*:.*)$"


def _edit_1x(text: str, config: Config, id_file: str) -> str:
    rows = text.splitlines()
    lines = config.lines
    edits: list[tuple[int, int, list[str]]] = []  # (first row, end row, replacement), 0-based
    row = lines["path_versions"] - 1
    match = _match(rows[row], "path_versions")
    edits.append((row, row + 1, [f"{match['indent']}path_record_id: {id_file}"]))
    row = lines["metadata.upload_type"] - 1
    match = _match(rows[row], "upload_type")
    column = " " * len(match["indent"]) if match["indent"].strip() else match["indent"]
    edits.append(
        (row, row + 1, [f"{match['indent']}resource_type{match['rest']}", f"{column}publisher: Zenodo"])
    )
    for index in range(len(config.metadata.creators)):
        for key, new_key, wrap in (
            ("affiliation", "affiliations", "- name:"),
            ("orcid", "identifiers", "orcid:"),
        ):
            at = lines.get(f"metadata.creators[{index}].{key}")
            if at is not None:
                edits.append(_nest(rows, at - 1, key, new_key, wrap))
    for first, end, replacement in sorted(edits, reverse=True):
        rows[first:end] = replacement
    return "\n".join(rows) + "\n"


def _match(row: str, key: str) -> re.Match[str]:
    match = re.match(_KEY.format(key=re.escape(key)), row)
    if match is None:
        raise ValueError(f"{key} is not at the start of its line")
    return match


def _nest(rows: list[str], row: int, key: str, new_key: str, wrap: str) -> tuple[int, int, list[str]]:
    """`key: value` (the value maybe on several lines) -> `new_key:` then `  wrap value`, indented."""
    match = _match(rows[row], key)
    column = len(match["indent"])
    end = row + 1
    while end < len(rows):
        stripped = rows[end].strip()
        if stripped and not stripped.startswith("#") and len(rows[end]) - len(rows[end].lstrip()) <= column:
            break
        end += 1
    while end - 1 > row and not rows[end - 1].strip():
        end -= 1  # blank lines after the value stay where they are
    value = match["rest"].split(":", 1)[1]
    inner = " " * (column + 2)
    replacement = [f"{match['indent']}{new_key}:", f"{inner}{wrap}{value}"]
    replacement += [
        f"  {'  ' if wrap.startswith('-') else ''}{line}" if line.strip() else line
        for line in rows[row + 1 : end]
    ]
    return row, end, replacement


def _regenerate_1x(text: str, id_file: str) -> str:
    data = fromyaml.document_value(text)
    assert isinstance(data, dict)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "path_versions":
            out["path_record_id"] = id_file
        elif key == "metadata" and isinstance(value, dict):
            out["metadata"] = _metadata_1x(value)
        else:
            out[key] = value
    return fromyaml.dump(out)


def _metadata_1x(metadata: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if key == "upload_type":
            out["resource_type"] = value
            out["publisher"] = stepup.LEGACY_PUBLISHER
        elif key == "creators" and isinstance(value, list):
            out["creators"] = [_creator_1x(creator) for creator in value]
        else:
            out[key] = value
    return out


def _creator_1x(creator: Any) -> Any:
    if not isinstance(creator, dict):
        return creator
    out: dict[str, Any] = {"name": creator.get("name")}
    if creator.get("orcid"):
        out["identifiers"] = {"orcid": creator["orcid"]}
    if creator.get("affiliation"):
        out["affiliations"] = [{"name": creator["affiliation"]}]
    return out
