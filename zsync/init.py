"""`zsync init`: a starting zenodo.yaml from what the repository already has.

The metadata files zsync reads as `metadata_from` sources (CITATION.cff, codemeta.json, .zenodo.json)
are named, not copied, so they stay the one place the metadata lives; pyproject.toml and package.json
fill in only what no source gives; the `origin` remote becomes `code_repository` (an https URL,
without any credentials it may carry). Nothing here asks, writes or prints: the CLI writes the text,
then validates what it wrote.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zsync import metasources, vocabulary
from zsync.jsonschema import MODELINE
from zsync.lazyre import Lazy

SOURCE_FILES = ("CITATION.cff", "codemeta.json", ".zenodo.json")
SANDBOX = "https://sandbox.zenodo.org/api"
_SCP_LIKE = Lazy(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")  # git@github.com:owner/repo.git
_EMAIL_AND_URL = Lazy(r"\s*[<(].*$")  # package.json's "Name <email> (url)"


@dataclass
class Found:
    """What the repository says: the sources, metadata fields (zenodo.yaml's keys, plain values) and
    where each came from, the code repository and where it came from."""

    sources: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    code_repository: tuple[str, str] | None = None


def gather(root: Path, remote: str | None) -> Found:
    """The metadata sources in `root`, what pyproject.toml and package.json add, and the remote."""
    found = Found(sources=[name for name in SOURCE_FILES if (root / name).is_file()])
    given = metasources.given_by(root, found.sources) if found.sources else set()
    for name, read in (("pyproject.toml", _pyproject), ("package.json", _package_json)):
        values = read(root / name) if (root / name).is_file() else {}
        for key, value in values.items():
            path = key if key == "code_repository" else f"metadata.{key}"
            if value in (None, "", []) or path in given or key in found.metadata:
                continue
            if key == "code_repository":
                found.code_repository = found.code_repository or (value, name)
            else:
                found.metadata[key] = value
                found.origin[key] = name
    package = any((root / name).is_file() for name in ("pyproject.toml", "package.json"))
    kind = "software" if package or "codemeta.json" in found.sources else "dataset"
    if "metadata.resource_type" not in given:
        found.metadata.setdefault("resource_type", kind)
        found.origin.setdefault("resource_type", "zsync init's guess: check it")
    url = https_url(remote) if remote else None
    if url is not None and "code_repository" not in given:
        found.code_repository = (url, "git remote origin")
    return found


def https_url(remote: str) -> str | None:
    """A git remote as the https URL of its web page (`git@github.com:o/r.git` is
    `https://github.com/o/r`), credentials and `.git` dropped; None for a local path."""
    remote = remote.strip().removeprefix("git+")  # package.json's git+https://
    scp = _SCP_LIKE.match(remote)
    if scp and "/" not in scp.group(1):
        host, path = scp.group(1), scp.group(2)
    else:
        parts = urlsplit(remote)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    path = path.strip("/").removesuffix(".git")
    return urlunsplit(("https", host, "/" + path, "", "")) if path else None


def _pyproject(path: Path) -> dict[str, Any]:
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    license_ = project.get("license")
    urls = project.get("urls") or {}
    return {
        "title": project.get("name"),
        "version": project.get("version"),
        "creators": _people(a.get("name") for a in project.get("authors") or [] if isinstance(a, dict)),
        "license": _license(license_.get("text") if isinstance(license_, dict) else license_),
        "keywords": [k for k in project.get("keywords") or [] if isinstance(k, str)],
        "code_repository": next(
            (urls[k] for k in ("Repository", "Source", "Source Code", "repository") if k in urls), None
        ),
    }


def _package_json(path: Path) -> dict[str, Any]:
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(package, dict):
        return {}
    author = package.get("author")
    name = author.get("name") if isinstance(author, dict) else author
    repository = package.get("repository")
    url = repository.get("url") if isinstance(repository, dict) else repository
    return {
        "title": package.get("name"),
        "version": package.get("version"),
        "creators": _people([_EMAIL_AND_URL.sub("", name)] if isinstance(name, str) else []),
        "license": _license(package.get("license")),
        "keywords": [k for k in package.get("keywords") or [] if isinstance(k, str)],
        "code_repository": https_url(url) if isinstance(url, str) else None,
    }


def _people(names: Any) -> list[dict[str, str]]:
    """Names as written ("Jane Q. Doe") as creators: the last word the family name (to check)."""
    people = []
    for name in names:
        if isinstance(name, str) and name.strip():
            given, _, family = name.strip().rpartition(" ")
            people.append({"family_name": family, **({"given_name": given} if given else {})})
    return people


def _license(spdx: Any) -> str | None:
    return spdx.lower() if isinstance(spdx, str) and spdx.lower() in vocabulary.license_ids() else None


def render(found: Found, *, endpoint: str, paths: list[str]) -> str:
    """zenodo.yaml's text: each value with a comment naming where it came from."""
    lines = [
        MODELINE,
        "# Written by `zsync init`. Check it, then run `zsync validate` and `zsync plan`.",
        f"endpoint: {endpoint}"
        + ("  # try it out here; https://zenodo.org/api for real" if endpoint == SANDBOX else ""),
    ]
    if found.sources:
        lines.append(f"metadata_from: [{', '.join(found.sources)}]  # fields zenodo.yaml does not give")
    if found.metadata:
        lines.append("metadata:")
        for key, value in found.metadata.items():
            lines += _entry(key, value, found.origin[key])
    if found.code_repository is not None:
        url, where = found.code_repository
        lines.append(f"code_repository: {_quoted(url)}  # from {where}")
    if paths:
        lines += ["paths:", *(f"  - {_quoted(pattern)}" for pattern in paths)]
    else:
        lines.append("# paths: [data/*.csv]  # the files to publish (zsync init --paths PATTERN)")
    return "\n".join(lines) + "\n"


def _entry(key: str, value: Any, origin: str) -> list[str]:
    comment = f"  # from {origin}" if not origin.startswith("zsync") else f"  # {origin}"
    if key == "creators":
        rows = [f"  creators:{comment}: check the family and given names"]
        for person in value:
            rows.append("    - " + ", ".join(f"{k}: {_quoted(v)}" for k, v in person.items()).join("{}"))
        return rows
    if isinstance(value, list):
        return [f"  {key}: [{', '.join(_quoted(v) for v in value)}]{comment}"]
    return [f"  {key}: {_quoted(value)}{comment}"]


def _quoted(value: Any) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(str(value), ensure_ascii=False)
