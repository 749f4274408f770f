"""Value types shared by the layers of zsync: the config model, local files and remote records.

All frozen. The config model is what `zsync.config.load_config` returns; the remote types are what
`zsync.api.ZenodoClient` returns (never a `requests.Response`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from zsync.errors import FieldError
from zsync.frozen import field, frozen, replace

# --------------------------------------------------------------------------- config model


@frozen
class Affiliation:
    """Exactly one of `ror` (a ROR id, 9 characters, no URL prefix) and `name` is set."""

    ror: str | None = None
    name: str | None = None


@frozen
class Creator:
    """A creator. `kind` is "personal" (family_name required) or "organizational" (name required).

    For a personal creator written as `name: 'Family, Given'` the loader fills family_name and
    given_name by splitting at the first comma and keeps `name` as written.
    `identifiers` holds (scheme, identifier) pairs, scheme in {"orcid", "isni"}.
    """

    kind: Literal["personal", "organizational"]
    family_name: str | None = None
    given_name: str | None = None
    name: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    affiliations: tuple[Affiliation, ...] = ()
    role: str | None = None  # a contributor's role (Zenodo's `contributorsroles`); None for a creator


@frozen
class RelatedIdentifier:
    scheme: str
    identifier: str
    relation_type: str
    resource_type: str | None = None


@frozen
class Award:
    """Either `id` (a vocabulary award id such as "00k4n6c32::101001234") or title/number/identifiers."""

    id: str | None = None
    title: str | None = None
    number: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()


@frozen
class Funding:
    """Exactly one of `funder_ror` and `funder_name`; `award` optional."""

    funder_ror: str | None = None
    funder_name: str | None = None
    award: Award | None = None


@frozen
class Embargo:
    """`access.embargo`: the files stay restricted until `until` (an ISO date, UTC), then Zenodo's
    daily task makes them public."""

    until: str
    reason: str | None = None


@frozen
class Access:
    record: Literal["public", "restricted"] = "public"
    files: Literal["public", "restricted"] = "public"
    embargo: Embargo | None = None


@frozen
class Share:
    """`share:` in zenodo.yaml: a secret link for co-authors, of this permission, valid this long."""

    permission: Literal["preview", "view"] = "preview"
    expires_days: int = 30


SHARE_DESCRIPTION = "zsync: link for co-authors"


@frozen
class ShareLink:
    """A secret link as InvenioRDM dumps it (SecretLink schema). `expires_at` is its date: valid
    until 00:00 UTC of that day. The token is a secret: never in a repr, a log or the plan."""

    id: str
    permission: str
    expires_at: dt.date | None
    description: str
    token: str = field(repr=False)

    def owned(self) -> bool:
        """One of zsync's links (by its description); links a person made are left alone."""
        return self.description == SHARE_DESCRIPTION


@frozen
class DateEntry:
    """A date of `metadata.dates`: an EDTF date or interval (`2024-06-15`, `2020/2021`) and its type."""

    date: str
    type: str
    description: str | None = None


@frozen
class Reference:
    """A reference (a citation as text), with an optional identifier of the cited work."""

    reference: str
    scheme: str | None = None
    identifier: str | None = None


@frozen
class Metadata:
    """The record's metadata. The fields from `description` on are None when the config does not give
    them: zsync then leaves what the record has (a person may fill them in on Zenodo); once given
    (even as an empty list), zsync owns them."""

    title: str
    version: str
    creators: tuple[Creator, ...]
    resource_type: str
    licenses: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    publisher: str | None = None
    copyright: str | None = None
    related: tuple[RelatedIdentifier, ...] = ()
    funding: tuple[Funding, ...] = ()
    description: str | None = None  # inline HTML, instead of path_readme (always owned, like it)
    languages: tuple[str, ...] | None = None
    dates: tuple[DateEntry, ...] | None = None
    contributors: tuple[Creator, ...] | None = None
    references: tuple[Reference, ...] | None = None
    notes: tuple[str, ...] | None = None
    # The record's publication date (`date-released` of a CITATION.cff, ...); None: zsync decides it.
    publication_date: str | None = None


@frozen
class Archive:
    """A folder published as one archive: `key` (`data.zip`, `data.tar.gz`), the folder `source`, and
    the globs (relative to it) of the files it includes and excludes."""

    key: str
    source: Path
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "zip" if self.key.lower().endswith(".zip") else "tar.gz"


@frozen
class WriteBackFiles:
    """`write_back`: the files the record's DOIs are written into once they are known (each None
    when not asked for), and whether the version follows too (`version: true`)."""

    citation: Path | None = None  # CITATION.cff: `doi` (this version's DOI) and `version`
    codemeta: Path | None = None  # codemeta.json: `identifier` (this version's DOI URL) and `version`
    readme_badge: Path | None = None  # a README: the concept DOI badge between zsync's markers
    version: bool = False

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.citation, self.codemeta, self.readme_badge) if p is not None)


@frozen
class PatternMatch:
    """A glob of `paths` (`field` is where it was written) and the files it matched, sorted."""

    field: str
    pattern: str
    files: tuple[Path, ...]


@frozen
class Config:
    """A validated zenodo.yaml. Paths are absolute (resolved against the config file's folder, `~` expanded).

    `lines` maps a field path as used in messages ("metadata.creators[1].identifiers.orcid") to its
    line in the config file, so later problems (a server's per-field error) can point at the line.
    """

    source: Path
    endpoint: str
    path_record_id: Path
    metadata: Metadata
    paths: tuple[Path, ...]
    path_token: Path | None = None
    # Folders published as one reproducible archive each (`paths: [{archive: data.zip, from: raw/}]`).
    archives: tuple[Archive, ...] = ()
    # What each glob in `paths` matched, in the order of `paths` (for `plan` and `validate`).
    patterns: tuple[PatternMatch, ...] = ()
    code_repository: str | None = None
    path_readme: Path | None = None
    access: Access = field(default_factory=Access)
    # Data files and the readme may lead out of the repository (the config's git work tree).
    allow_outside: bool = False
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    # Zenodo custom fields the config sets, keyed and shaped as sent (`{"code:developmentStatus":
    # {"id": "active"}}`); `code:codeRepository` is `code_repository`. Only these are owned.
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    # Community slugs, in order: the first is where a never-published draft is submitted for review.
    communities: tuple[str, ...] = ()
    # "submit": submit a complete draft for the first community's review; "report": only say so.
    review: Literal["report", "submit"] = "report"
    # Remove the record from communities it is in that `communities` does not list.
    communities_remove: bool = False
    # A secret link of the draft for co-authors (zsync.shareplan); None: zsync makes none.
    share: Share | None = None
    # The stepup-reprep generation the file was written for ("1.x", "3.x", "4.x"), None for zsync's own.
    generation: str | None = None
    # 1.x keeps record ids in a JSON file {version: id} (path_versions); zsync reads and writes it so.
    record_ids_by_version: bool = False
    # What a person should know about how the file was read (printed by validate, plan and sync).
    notices: tuple[str, ...] = ()
    # `metadata_from`: the files fields were taken from; each such field's file and line (its
    # own path, `metadata.title`), the ones zenodo.yaml overrides, and what they hold that Zenodo
    # cannot take ("CITATION.cff:12: authors[0].email: is not sent to Zenodo ...").
    metadata_from: tuple[Path, ...] = ()
    origins: Mapping[str, tuple[str, int]] = field(default_factory=dict, compare=False, repr=False)
    overridden: Mapping[str, tuple[str, int]] = field(default_factory=dict, compare=False, repr=False)
    warnings: tuple[str, ...] = ()
    # `write_back`: where the DOIs (and, opted in, the version) are written once known; None: nowhere.
    write_back: WriteBackFiles | None = None

    @property
    def file_keys(self) -> tuple[str, ...]:
        """The names the record's files get: the data files', then the archives'."""
        return tuple(path.name for path in self.paths) + tuple(a.key for a in self.archives)

    def with_version(self, version: str) -> Config:
        """A copy whose metadata.version is `version` (the action's `version` input, a release tag)."""
        return replace(self, metadata=replace(self.metadata, version=version))

    def line_of(self, field_path: str) -> int | None:
        """The config line of `field_path` or of its nearest ancestor that has one."""
        path = field_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


# --------------------------------------------------------------------------- local files


@frozen
class LocalFile:
    """A file to publish: its Zenodo key (the base name), where it is, its size and MD5 (hex).

    `md5` is None until it is needed: a file is hashed beforehand only when a remote file has its key
    and size (else it is uploaded anyway, and hashed on the way). `members` is the number of files in
    it when zsync built it from a folder (an archive)."""

    key: str
    path: Path
    size_bytes: int
    md5: str | None
    members: int | None = None
    # The modification time when zsync looked at it (0: unknown); an upload checks it did not move.
    mtime_ns: int = field(default=0, compare=False)


# --------------------------------------------------------------------------- remote state


@frozen
class FieldChange:
    """A field zsync owns whose remote value (`old`) differs from the desired one (`new`)."""

    field: str
    old: Any
    new: Any

    @property
    def kind(self) -> Literal["set", "remove", "change"]:
        """`set`: the field has no value yet (every field, before a first sync); `remove`: the
        config no longer gives it; else `change`."""
        if _is_empty(self.old):
            return "set"
        return "remove" if _is_empty(self.new) else "change"


def change_verb(changes: Sequence[FieldChange]) -> Literal["set", "change"]:
    """How to sum `changes` up in a sentence: `set` when every one sets a field (a first sync)."""
    return "set" if changes and all(change.kind == "set" for change in changes) else "change"


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


FileStatus = Literal["pending", "completed", "failed"]


@frozen
class RemoteFile:
    """A file entry of a draft or record. `md5` is hex without the "md5:" prefix, None while pending."""

    key: str
    size_bytes: int | None
    md5: str | None
    status: FileStatus = "completed"


@frozen
class RemoteRecord:
    """A draft or a published record as the InvenioRDM API returns it (vnd.inveniordm.v1+json).

    `is_published` is true for published records *and* their edit drafts; `is_draft` says whether
    this document came from a `/draft` endpoint. `files` is the document's `files.entries`, which may
    be absent or incomplete in list views: use `ZenodoClient.list_files` for the authority.
    `default_preview` is the document's `files.default_preview`; `has_files_block` says whether the
    document had a `files` block at all (only then is the default preview compared). `is_latest` is
    `versions.is_latest` (true when absent). `doi_pending`: the document has a `pids.doi` entry without
    an identifier (a reservation the server answered without a DOI: Zenodo mints one at publish).
    `document` is the raw JSON (without the `ui` block),
    read-only by convention, for diagnostics and tests: the engine reads the typed fields.
    """

    id: str
    parent_id: str | None
    is_published: bool
    is_draft: bool
    status: str | None
    revision_id: int | None
    doi: str | None
    concept_doi: str | None
    html_url: str | None
    version_index: int | None
    metadata: Mapping[str, Any]
    access: Mapping[str, Any]
    custom_fields: Mapping[str, Any]
    files: tuple[RemoteFile, ...] = ()
    errors: tuple[FieldError, ...] = ()
    default_preview: str | None = None
    has_files_block: bool = False
    is_latest: bool = True
    doi_pending: bool = False
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def version(self) -> str | None:
        value = self.metadata.get("version")
        return value if isinstance(value, str) else None
