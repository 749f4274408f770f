"""The DOI written back into the repository's files: line-level edits of CITATION.cff, codemeta.json
and a README badge. Pure: text in, text out.

Only the lines that change are touched; comments, quoting, key order and indentation stay as they
were. Each edit is checked by parsing both texts (YAML with zsync's own loader, JSON with `json`):
the result must differ from the original in the edited keys only, else `EditRefused` says why and
the file is left alone. An edit that changes nothing returns the text itself, so a re-run writes
nothing.

Where each DOI goes (CFF 1.2.0's schema guide, citation-file-format/citation-file-format
`schema-guide.md`: `doi` is "the DOI of the software or data set", one DOI; the concept DOI is the
"collection of archived snapshots of all versions"): CITATION.cff and codemeta.json describe one
version (they carry its `version`), so they get that version's DOI; the README badge, which
outlives every release, gets the concept DOI. The badge is Zenodo's own: the image
`{site}/badge/DOI/{doi}.svg` (inveniosoftware/invenio-formatter `invenio_formatter/views.py`, the
route `/badge/<title>/<path:value>.<ext>`; invenio-app-rdm `records/macros/doi.html` calls it with
title `DOI`) linking to `https://doi.org/{doi}`, in the Markdown form Zenodo's badge dialog shows
(invenio-formatter `templates/semantic-ui/invenio_formatter/macros/badges.html`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from zsync.lazyre import Lazy
from zsync.loader.nodes import DocumentError, Node, Unreadable

BADGE_START = "<!-- zsync-doi-badge -->"
BADGE_END = "<!-- /zsync-doi-badge -->"
_BADGE_RE = Lazy(re.escape(BADGE_START) + r"(.*?)" + re.escape(BADGE_END), re.DOTALL)
_DOI_URL = "https://doi.org/"


class EditRefused(Exception):
    """The file is not in a shape zsync edits safely (a multi-line value, a list where a string
    goes, a syntax error); the message says what to change."""


def badge_markdown(site: str, concept_doi: str) -> str:
    """Zenodo's DOI badge for `concept_doi`, served by `site` (the endpoint without `/api`)."""
    return f"[![DOI]({site}/badge/DOI/{concept_doi}.svg)]({_DOI_URL}{concept_doi})"


def has_badge_markers(text: str) -> bool:
    return _BADGE_RE.search(text) is not None


def without_badge(text: str) -> str:
    """`text` without zsync's badge block (markers included): a README that is also the record's
    description does not show Zenodo a badge of the record itself, and writing the badge never
    changes the description."""
    return _BADGE_RE.sub("", text)


def edit_readme_badge(text: str, badge: str) -> str:
    """The text between the first pair of markers becomes `badge` (on its own line when the markers
    are on lines of their own)."""
    match = _BADGE_RE.search(text)
    if match is None:
        raise EditRefused(f"has no {BADGE_START} ... {BADGE_END} markers: add them where the badge goes")
    inner = match.group(1)
    wanted = f"\n{badge}\n" if "\n" in inner else badge
    if inner.strip() == badge and inner == wanted:
        return text
    return text[: match.start(1)] + wanted + text[match.end(1) :]


# --------------------------------------------------------------------------- CITATION.cff


def edit_citation(text: str, values: dict[str, str]) -> str:
    """Set top-level keys of a CFF (`doi`, `version`) to `values`: each key's line is rewritten in
    place, keeping its quotes and comment; a missing key is added after `version:` (else at the end)."""
    before = _yaml_top(text)
    lines = text.splitlines(keepends=True)
    for key, value in values.items():
        if before.get(key) == value or (key == "version" and str(before.get(key)) == value):
            continue
        lines = _set_yaml_line(lines, key, value)
    result = "".join(lines)
    after = _yaml_top(result)
    expected = {**before, **values}
    for key in values:  # a CFF version may be a number; the edit writes a string
        if key in after and str(after[key]) == values[key]:
            after[key] = values[key]
    if after != expected:
        raise EditRefused("the edit would change more than " + ", ".join(values) + "; edit the file by hand")
    return result if result != text else text


def _set_yaml_line(lines: list[str], key: str, value: str) -> list[str]:
    pattern = re.compile(rf"^{re.escape(key)}:([ \t]*)(.*?)([ \t]+#.*)?(\r?\n)?$")
    for index, line in enumerate(lines):
        match = pattern.match(line)
        if match is None:
            continue
        old = match.group(2)
        if not old or old[0] in "|>[{&*!":
            raise EditRefused(f"{key}: is not a one-line value; write it as {key}: {value}")
        quote = old[0] if old[0] in "'\"" else ""
        written = _yaml_scalar(value, quote)
        lines[index] = f"{key}:{match.group(1) or ' '}{written}{match.group(3) or ''}{match.group(4) or ''}"
        return lines
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    added = f"{key}: {_yaml_scalar(value, '')}{newline}"
    after = next((i + 1 for i, line in enumerate(lines) if re.match(r"^version:", line)), len(lines))
    if after == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    return [*lines[:after], added, *lines[after:]]


def _yaml_scalar(value: str, quote: str) -> str:
    """`value` as a YAML scalar in the file's quoting; a plain one that would not read back as this
    string (a number, `yes`, a `#`) is double-quoted."""
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote == '"':
        return json.dumps(value)
    try:
        node = _compose(f"k: {value}\n")
        plain = _plain(node.pairs()[0][1]) if node is not None else None
    except DocumentError:
        plain = None
    return value if plain == value else json.dumps(value)


def _yaml_top(text: str) -> dict[str, Any]:
    try:
        root = _compose(text)
    except DocumentError as exc:
        raise EditRefused(f"line {exc.line}: {exc.message}") from None
    if root is None or root.kind != "mapping":
        raise EditRefused("is not a YAML mapping")
    value = _plain(root)
    assert isinstance(value, dict)
    return value


def _compose(text: str) -> Node | None:
    # yaml is imported only when a CFF is edited (the config table and the schema never load it).
    from zsync.loader.fromyaml import compose

    return compose(text)


def _plain(node: Node) -> Any:
    if node.kind == "mapping":
        return {key.text(): _plain(value) for key, value in node.pairs()}
    if node.kind == "sequence":
        return [_plain(item) for item in node.items()]
    try:
        value = node.value()
    except Unreadable:
        return node.text()
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


# --------------------------------------------------------------------------- codemeta.json


def edit_codemeta(text: str, values: dict[str, str]) -> str:
    """Set top-level string members of a JSON object (`identifier`, `version`) by replacing their
    value's characters only; a missing member is added after the last one, indented like it."""
    try:
        before = json.loads(text)
    except ValueError as exc:
        raise EditRefused(f"is not JSON: {exc}") from None
    if not isinstance(before, dict):
        raise EditRefused("is not a JSON object")
    result = text
    for key, value in values.items():
        if before.get(key) == value:
            continue
        if key in before and not isinstance(before[key], str | int | float):
            raise EditRefused(f'"{key}" is not a string; write it as "{key}": "{value}"')
        result = _set_json_member(result, key, value)
    if json.loads(result) != {**before, **values}:
        raise EditRefused("the edit would change more than " + ", ".join(values) + "; edit the file by hand")
    return result


def _set_json_member(text: str, key: str, value: str) -> str:
    members = _top_members(text)
    encoded = json.dumps(value, ensure_ascii=False)
    for name, start, end in members:
        if name == key:
            return text[:start] + encoded + text[end:]
    if not members:
        close = text.rindex("}")
        return text[:close].rstrip() + f'\n  "{key}": {encoded}\n' + text[close:]
    last_start, last_end = members[-1][1], members[-1][2]
    line_start = text.rfind("\n", 0, last_start) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]
    return text[:last_end] + f',\n{indent}"{key}": {encoded}' + text[last_end:]


def _top_members(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each top-level member's value, by a scan that skips strings."""
    decoder = json.JSONDecoder()
    found: list[tuple[str, int, int]] = []
    index = text.index("{") + 1
    while True:
        index = _skip_space(text, index)
        if text[index] == "}":
            return found
        name, index = decoder.raw_decode(text, index)
        index = _skip_space(text, index) + 1  # the colon
        start = _skip_space(text, index)
        _, end = decoder.raw_decode(text, start)
        found.append((name, start, end))
        index = _skip_space(text, end)
        if text[index] == ",":
            index += 1


def _skip_space(text: str, index: int) -> int:
    while text[index] in " \t\r\n":
        index += 1
    return index


def doi_url(doi: str) -> str:
    return _DOI_URL + doi
