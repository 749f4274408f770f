"""The sync engine: read the remote state, plan, apply, and say what happened.

This is the public Python API (`zsync.sync`, `zsync.plan`, `zsync.validate`); the CLI and the
GitHub entrypoint are thin layers over it. The engine never prints: it reports through an injected
`Reporter` and returns a `SyncResult`. It takes its client, clock and reporter as arguments.

Crash safety rests on one rule: the record-id file is written as soon as a draft exists (right after
create or new-version, before any upload), so an interrupted run is resumed by the next one instead
of creating a second draft; and a changed file is deleted before its replacement is uploaded, so a
stale file is never left looking current.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from zsync.config import load_config, resolve_token
from zsync.errors import ConflictError, GoneError, NotFoundError, SyncError, ZsyncError
from zsync.localfiles import scan
from zsync.metadata import OWNED_FIELDS, diff_owned, owned_view, render_document
from zsync.models import Config, LocalFile, RemoteFile, RemoteRecord
from zsync.planning import FieldChange, Plan, compute_plan, diff_files
from zsync.report import NullReporter, Reporter, format_size
from zsync.versions import compare_versions, release_version

if TYPE_CHECKING:
    from zsync.api import RetryPolicy, ZenodoClient


Status = Literal["created", "updated", "unchanged", "new-version", "validated", "planned"]
State = Literal["draft", "published"]


@dataclass(frozen=True)
class SyncResult:
    """What a run did (or, for a dry run, would do), for the summary, outputs and callers."""

    status: Status
    state: State | None
    record_id_path: Path
    record_id: str | None = None
    concept_id: str | None = None
    doi: str | None = None
    concept_doi: str | None = None
    html_url: str | None = None
    files_uploaded: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    bytes_uploaded: int = 0
    plan: Plan | None = None
    record_id_changed: bool = False
    published: bool = False
    local_files: tuple[LocalFile, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)

    def outputs(self) -> dict[str, str]:
        """The action's outputs (also written to GITHUB_OUTPUT by the CLI when it is set)."""
        return {
            "record-id": self.record_id or "",
            "concept-id": self.concept_id or "",
            "doi": self.doi or "",
            "concept-doi": self.concept_doi or "",
            "html-url": self.html_url or "",
            "status": self.status,
            "state": self.state or "",
            "files-uploaded": str(self.files_uploaded),
            "files-deleted": str(self.files_deleted),
            "files-unchanged": str(self.files_unchanged),
            "bytes-uploaded": str(self.bytes_uploaded),
        }


# --------------------------------------------------------------------------- public API


def validate(config_path: str | Path, *, check_files: bool = True) -> Config:
    """Load and validate a zenodo.yaml offline; raises ConfigError listing every problem."""
    return load_config(Path(config_path), check_files=check_files)


def plan(config_path: str | Path, **kwargs: Any) -> SyncResult:
    """Read the remote state and compute the plan; change nothing. Same arguments as `sync`."""
    return sync(config_path, dry_run=True, **kwargs)


_FROM_ENVIRONMENT: Any = object()


def sync(
    config_path: str | Path,
    *,
    token: str | None = _FROM_ENVIRONMENT,
    version: str | None = None,
    publish: bool = False,
    dry_run: bool = False,
    reserve_doi: bool = True,
    reporter: Reporter | None = None,
    environ: Mapping[str, str] | None = None,
    on_record_id: Callable[[Path, str], None] | None = None,
    client: ZenodoClient | None = None,
    retry: RetryPolicy | None = None,
    today: Callable[[], dt.date] = dt.date.today,
) -> SyncResult:
    """Make the Zenodo record match the local dataset described by `config_path`.

    `token`: the Zenodo token; by default resolved from `environ` (ZENODO_TOKEN, a .env file,
    then `path_token`). With no token the config is validated and nothing is sent (status
    "validated"). `version` overrides metadata.version (a release tag; a leading "v" is dropped).
    `dry_run` reads the remote state and returns the plan (status "planned") without changing it.
    `reserve_doi` reserves the DOI of a draft that has none, so it is known before publication
    (Zenodo registers it only when the draft is published). `on_record_id(path, id)` is called each
    time the id file gets a new id, right away (before any upload): the action commits and pushes it
    there, so even a job killed mid-upload leaves the id in the repository.
    Raises ConfigError (bad config), SyncError (a remote state that forbids the sync), RemoteError.
    """
    reporter = reporter or NullReporter()
    with reporter.phase("Validate configuration"):
        config = load_config(Path(config_path))
        if version:
            config = config.with_version(release_version(version))
        env = os.environ if environ is None else environ
        if token is _FROM_ENVIRONMENT:
            token = resolve_token(config, env)
        local_files = scan(config.paths)
        reporter.info(
            f"{config.metadata.title!r} version {config.metadata.version}: {len(local_files)} files, "
            f"{format_size(sum(f.size_bytes for f in local_files))}"
        )
    id_path = config.path_record_id
    if not token and client is None:
        return SyncResult(
            status="validated",
            state=None,
            record_id_path=id_path,
            record_id=read_record_id(id_path),
            local_files=local_files,
            notes=("no Zenodo token: validated the configuration and files only; nothing was sent",),
        )
    if client is None:
        client = _make_client(config, token or "", env, retry)
    with client:
        engine = _Engine(config, client, reporter, today, reserve_doi=reserve_doi, on_record_id=on_record_id)
        try:
            return engine.run(local_files, publish=publish, dry_run=dry_run)
        except ZsyncError as exc:
            written = read_record_id(id_path) if engine.id_changed else None
            if written is not None:
                exc.written_record_id = (id_path, written)
            raise


def discard(
    config_path: str | Path,
    *,
    token: str | None = _FROM_ENVIRONMENT,
    environ: Mapping[str, str] | None = None,
    client: ZenodoClient | None = None,
) -> str | None:
    """Discard this dataset's open draft (only this one). Returns the discarded draft's id, or None.

    A never-published draft is gone for good and the record-id file is removed; for an edit draft or
    a next-version draft the published record stays and the id file points back at it.
    """
    config = load_config(Path(config_path), check_files=False)
    record_id = read_record_id(config.path_record_id)
    if record_id is None:
        return None
    env = os.environ if environ is None else environ
    if token is _FROM_ENVIRONMENT:
        token = resolve_token(config, env)
    if not token and client is None:
        raise SyncError("discarding a draft needs a Zenodo token", hint="set ZENODO_TOKEN or path_token")
    if client is None:
        client = _make_client(config, token or "", env, None)
    with client:
        draft = client.get_draft(record_id)
        if draft is None:
            return None
        if draft.is_published:
            client.discard_draft(record_id)
            return record_id  # an edit draft: the published record and the id file stay
        # Looked up first: once the draft is gone, so is the way to its concept's versions.
        previous = _previous_version_id(client, draft)
        client.discard_draft(record_id)
        if previous is None:
            config.path_record_id.unlink(missing_ok=True)
        else:
            write_record_id(config.path_record_id, previous)
        return record_id


# --------------------------------------------------------------------------- helpers


def read_record_id(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def write_record_id(path: Path, record_id: str) -> bool:
    """Atomically write the id file; True when its content changed."""
    if read_record_id(path) == record_id:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".zsync-", dir=path.parent)
    try:
        # mkstemp's 0600 would outlive the rename: the Action's container runs as root, and the
        # workflow's later steps (the runner's user) could not read the id file.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(record_id + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _make_client(
    config: Config, token: str, environ: Mapping[str, str], retry: RetryPolicy | None
) -> ZenodoClient:
    """The client for this config's endpoint; imported here so validation never loads requests."""
    from zsync.api import RetryPolicy, ZenodoClient

    return ZenodoClient(config.endpoint, token, retry=retry or RetryPolicy.from_environ(environ))


def _previous_version_id(client: ZenodoClient, draft: RemoteRecord) -> str | None:
    """For a next-version draft, the latest published version of its concept; None for a first draft."""
    if draft.parent_id is None or (draft.version_index or 1) <= 1:
        return None
    try:
        return client.latest_version_id(draft.parent_id)
    except NotFoundError:
        return None


# --------------------------------------------------------------------------- the engine


@dataclass
class _Counts:
    uploaded: int = 0
    deleted: int = 0
    bytes_uploaded: int = 0


class _Engine:
    def __init__(
        self,
        config: Config,
        client: ZenodoClient,
        reporter: Reporter,
        today: Callable[[], dt.date],
        *,
        reserve_doi: bool = True,
        on_record_id: Callable[[Path, str], None] | None = None,
    ) -> None:
        self.config = config
        self.reserve_doi = reserve_doi
        self.on_record_id = on_record_id
        self.client = client
        self.reporter = reporter
        self.today = today().isoformat()
        self.counts = _Counts()
        self.id_changed = False
        self.followed_id: str | None = None  # the id file named an older version; this is the latest
        self.pending_import = False  # a next-version draft whose files were never imported
        self.edit_draft_changes: list[FieldChange] = []
        self.adopted = False  # a draft left by a run that stopped before writing the id file
        self._previous: RemoteRecord | None = None

    # ---- reading the remote state

    def resolve(self, record_id: str) -> tuple[RemoteRecord | None, RemoteRecord | None]:
        """(draft, published record) for the stored id; either may be None, not both."""
        draft = self.client.get_draft(record_id)
        if draft is not None and not draft.is_published:
            return draft, None
        source = self.config.path_record_id.name
        try:
            record = self.client.get_record(record_id)
        except NotFoundError as exc:
            raise SyncError(
                f"record {record_id} (from {source}) does not exist at {self.config.endpoint}",
                hint=(
                    "the draft may have been discarded on the web (for a discarded new version, put the id "
                    "of the previous version in the file), or the id belongs to the other Zenodo (sandbox vs "
                    "production): check `endpoint`; to start a new record instead, delete the id file"
                ),
            ) from exc
        except GoneError as exc:
            raise SyncError(
                f"record {record_id} (from {source}) was deleted on Zenodo",
                hint="delete the id file to create a new record, or put the id of a live record in it",
            ) from exc
        if not record.document.get("versions", {}).get("is_latest", True):
            latest_id = self.client.latest_version_id(record_id)
            self.reporter.warning(
                f"record {record_id} is not the latest version; following it to {latest_id}"
            )
            self.followed_id = latest_id
            return self.resolve(latest_id)
        return draft, record

    def previous_version(self, draft: RemoteRecord) -> RemoteRecord:
        """The latest published version before a next-version draft (read once)."""
        if self._previous is None:
            self._previous = self.client.get_record(
                self.client.latest_version_id(draft.parent_id or draft.id)
            )
        return self._previous

    def metadata_changes(self, desired: Mapping[str, Any], remote: RemoteRecord) -> list[FieldChange]:
        want = owned_view(
            desired["metadata"], desired.get("custom_fields"), desired.get("access"), desired.get("files")
        )
        have = owned_view(remote.metadata, remote.custom_fields, remote.access, remote.document.get("files"))
        return diff_owned(want, have)

    # ---- planning

    def publication_date(self, draft: RemoteRecord | None, record: RemoteRecord | None, publish: bool) -> str:
        """A published record keeps its date; a draft keeps the date it has until zsync publishes it."""
        current = record or draft
        kept = current.metadata.get("publication_date") if current else None
        if record is None and (publish or not isinstance(kept, str)):
            return self.today
        return kept if isinstance(kept, str) else self.today

    def run(self, local: tuple[LocalFile, ...], *, publish: bool, dry_run: bool) -> SyncResult:
        record_id = read_record_id(self.config.path_record_id)
        with self.reporter.phase("Read the record on Zenodo"):
            if record_id is None:
                record = None
                draft = self.client.find_orphan_draft(self.config.metadata.title)
                if draft is None:
                    self.reporter.info("no record id yet: a new draft will be created")
                else:
                    self.adopted = True
                    self.reporter.warning(
                        f"no record id yet, but draft {draft.id} has this title, no files and was never "
                        "published (left by a run that stopped right after creating it): using it"
                    )
            else:
                draft, record = self.resolve(record_id)
        if self.followed_id and not dry_run:
            self.remember(self.followed_id)
        current = draft or record
        date = self.publication_date(draft, record, publish)
        desired = render_document(self.config, publication_date=date)
        remote_files: tuple[RemoteFile, ...] | None = None
        changes: list[FieldChange] = []
        if record is not None:  # published, perhaps with an edit draft open
            remote_files = record.files
            changes = self.metadata_changes(desired, record)
            if draft is not None:
                self.edit_draft_changes = self.metadata_changes(desired, draft)
                changes = changes or self.edit_draft_changes
        elif draft is not None:
            remote_files = self.client.list_files(draft.id)
            if (draft.version_index or 1) > 1:
                remote_files = self.check_next_version(draft, remote_files)
            changes = self.metadata_changes(desired, draft)
            if self.reserve_doi and not draft.doi:
                changes.append(FieldChange(_RESERVE_DOI, None, "a DOI, reserved now"))
            if draft.metadata.get("publication_date") != date:
                changes.append(
                    FieldChange("metadata.publication_date", draft.metadata.get("publication_date"), date)
                )
        the_plan = compute_plan(
            local_files=local,
            local_version=self.config.metadata.version,
            desired_metadata_changes=changes,
            remote_files=remote_files,
            remote_version=current.version if current else None,
            remote_is_published=record is not None,
            record_id=current.id if current else None,
        )
        self.report_plan(the_plan)
        if dry_run:
            return self.result("planned", current, the_plan, local)
        with self.reporter.phase("Apply"):
            final, status = self.apply(the_plan, local, draft, record, desired, remote_files)
            if publish and final is not None and final.is_draft:
                final = self.client.publish(final.id)
                self.reporter.info(f"published record {final.id}")
        return self.result(status, final, the_plan, local)

    def check_next_version(
        self, draft: RemoteRecord, files: tuple[RemoteFile, ...]
    ) -> tuple[RemoteFile, ...]:
        """Refuse a version that is not above the published one; plan against the import still to do."""
        local_version = self.config.metadata.version
        if local_version != draft.version:
            previous = self.previous_version(draft)
            if compare_versions(local_version, previous.version) <= 0:
                raise SyncError(
                    f"the local version {local_version} is not above version {previous.version}, already "
                    f"published as record {previous.id}; the open draft {draft.id} was not changed",
                    hint=f"set metadata.version above {previous.version}",
                )
        if files:
            return files
        # A run stopped right after opening the next version: plan against what the import brings.
        previous_files = self.previous_version(draft).files
        self.pending_import = bool(previous_files)
        return previous_files

    def report_plan(self, the_plan: Plan) -> None:
        with self.reporter.phase("Plan"):
            action = {
                "create": "create a new draft",
                "update-draft": f"update draft {the_plan.record_id}",
                "new-version": f"open a new version after {the_plan.remote_version} of record "
                f"{the_plan.record_id}",
                "edit-published": f"edit the metadata of published record {the_plan.record_id}",
                "none": f"nothing: published record {the_plan.record_id} is up to date",
            }[the_plan.record_action]
            self.reporter.info(f"record: {action}")
            for a in the_plan.files:
                if a.kind != "keep":
                    why = f" ({a.reason})" if a.reason else ""
                    self.reporter.info(f"  {a.kind:8} {a.key} {format_size(a.size_bytes)}{why}")
            if the_plan.unchanged:
                self.reporter.info(f"  unchanged: {len(the_plan.unchanged)} files")
            for c in the_plan.metadata_changes:
                self.reporter.info(f"  change   {c.field}: {_short(c.old)} -> {_short(c.new)}")
            if the_plan.is_noop:
                self.reporter.info("nothing to change")

    # ---- applying

    def apply(
        self,
        the_plan: Plan,
        local: tuple[LocalFile, ...],
        draft: RemoteRecord | None,
        record: RemoteRecord | None,
        desired: dict[str, Any],
        remote_files: tuple[RemoteFile, ...] | None,
    ) -> tuple[RemoteRecord | None, Status]:
        action = the_plan.record_action
        if action == "create":
            created = self.client.create_draft(_without_file_order(desired))
            self.remember(created.id)
            self.reporter.info(f"created draft {created.id}")
            self.ensure_doi(created)
            self.sync_files(created.id, local, ())
            return self.put_metadata(created.id, desired), "created"
        if action == "update-draft":
            assert draft is not None
            assert remote_files is not None
            if self.adopted:
                self.remember(draft.id)
            draft = self.ensure_doi(draft)
            if self.pending_import:
                remote_files = self.import_previous_files(draft.id)
            self.sync_files(draft.id, local, remote_files)
            # default_preview names a key: a new or removed key may need the document again.
            keys_changed = bool(the_plan.of_kind("upload", "delete"))
            status: Status = (
                "new-version" if self.pending_import else "created" if self.adopted else "updated"
            )
            metadata_changes = [c for c in the_plan.metadata_changes if c.field != _RESERVE_DOI]
            if metadata_changes or keys_changed:
                # Files (and an import) change the draft's revision: read it again before the PUT.
                fresh = the_plan.changes_files or self.pending_import
                return self.put_metadata(draft.id, desired, since=None if fresh else draft), status
            return draft, (status if the_plan.changes_files or the_plan.metadata_changes else "unchanged")
        if action == "new-version":
            assert record is not None
            return self.new_version(record, local), "new-version"
        if action == "edit-published":
            assert record is not None
            if draft is not None:
                return self.update_edit_draft(record, draft, desired), "updated"
            edit = self.client.edit_draft(record.id)
            self.put_metadata(record.id, desired, since=edit)
            published = self.client.publish(record.id)
            self.reporter.info(f"published the metadata change of record {record.id}")
            return published, "updated"
        # "none"
        if draft is not None and _unowned(draft) != _unowned(record):
            self.reporter.warning(
                f"an edit draft of record {draft.id} is open on Zenodo with changes zsync did not make; "
                "publish or discard it on Zenodo"
            )
        return record, "unchanged"

    def update_edit_draft(
        self, record: RemoteRecord, draft: RemoteRecord, desired: dict[str, Any]
    ) -> RemoteRecord:
        """An edit draft is open (someone pressed Edit on the web, or a zsync run stopped mid-edit)."""
        updated = self.put_metadata(record.id, desired, since=draft) if self.edit_draft_changes else draft
        if _unowned(draft) == _unowned(record):
            # Only fields zsync owns differ: this is zsync's own edit; finish it.
            published = self.client.publish(record.id)
            self.reporter.info(f"published the metadata change of record {record.id}")
            return published
        self.reporter.warning(
            f"an edit draft of record {record.id} is open on Zenodo with changes zsync did not make; updated "
            "its metadata but did not publish it (publish it on Zenodo, or run with --publish)"
        )
        return updated

    def ensure_doi(self, draft: RemoteRecord) -> RemoteRecord:
        """Reserve the draft's DOI when it has none (and reserving is wanted)."""
        if not self.reserve_doi or draft.doi:
            return draft
        reserved = self.client.reserve_doi(draft.id)
        self.reporter.info(f"reserved DOI {reserved.doi} (registered when the draft is published)")
        return reserved

    def remember(self, record_id: str) -> None:
        if write_record_id(self.config.path_record_id, record_id):
            self.id_changed = True
            if self.on_record_id is not None:
                self.on_record_id(self.config.path_record_id, record_id)

    def import_previous_files(self, draft_id: str) -> tuple[RemoteFile, ...]:
        files = self.client.import_files(draft_id)
        self.reporter.info(f"imported {len(files)} files from the previous version, without re-upload")
        return files

    def new_version(self, record: RemoteRecord, local: tuple[LocalFile, ...]) -> RemoteRecord:
        new = self.client.new_version(record.id)  # idempotent: an open next-version draft comes back
        self.remember(new.id)
        self.reporter.info(f"new version draft {new.id} (after version {record.version} of {record.id})")
        self.ensure_doi(new)
        files = self.client.list_files(new.id)
        if not files and record.files:
            files = self.import_previous_files(new.id)
        self.sync_files(new.id, local, files)
        return self.put_metadata(new.id, render_document(self.config, publication_date=self.today))

    def sync_files(self, draft_id: str, local: Sequence[LocalFile], remote: Sequence[RemoteFile]) -> None:
        """Make the draft's files equal `local`: delete what differs or is gone, then upload."""
        actions = diff_files(local, remote)
        for a in actions:
            if a.kind in ("delete", "replace") and a.remote is not None:
                self.client.delete_file(draft_id, a.key)
                if a.kind == "delete":
                    self.counts.deleted += 1
                    self.reporter.info(f"deleted {a.key} ({a.reason})")
        uploads = [a.local for a in actions if a.kind in ("upload", "replace") and a.local is not None]
        if uploads:
            # One request creates every pending entry (Zenodo's rate limit counts requests).
            self.client.init_files(draft_id, [f.key for f in uploads])
        for local_file in uploads:
            self.upload(
                draft_id,
                local_file,
                replaced=any(a.kind == "replace" and a.key == local_file.key for a in actions),
            )

    def upload(self, draft_id: str, local: LocalFile, *, replaced: bool) -> None:
        start = time.monotonic()

        def progress(sent: int, total: int) -> None:
            self.reporter.progress(local.key, sent, total)

        self.client.upload_file(draft_id, local, progress=progress, initialized=True)
        self.counts.uploaded += 1
        self.counts.bytes_uploaded += local.size_bytes
        self.reporter.file_done(
            "replaced" if replaced else "uploaded", local.key, local.size_bytes, time.monotonic() - start
        )

    def put_metadata(
        self, draft_id: str, desired: dict[str, Any], *, since: RemoteRecord | None = None
    ) -> RemoteRecord:
        """PUT the full document, keeping fields zsync does not own (PUT replaces metadata wholesale).

        `since` is the draft as last read; its revision guards against a concurrent run (412).
        Without it (files changed the revision meanwhile) the draft is read again first.
        """
        base = since if since is not None else self.client.get_draft(draft_id)
        if base is None:
            raise SyncError(f"draft {draft_id} disappeared during the sync", hint="run zsync again")
        document = _merge_unowned(desired, base)
        try:
            updated = self.client.update_draft(draft_id, document, if_match=base.revision_id)
        except ConflictError as exc:
            raise SyncError(
                f"draft {draft_id} was changed by someone else during this run",
                hint="another zsync run or a person on the web edited it; run again (and give the workflow "
                "a `concurrency:` group so two runs never overlap)",
            ) from exc
        for error in updated.errors:
            line = self.config.line_of(_config_field(error.field))
            where = f" ({self.config.source.name}:{line})" if line else ""
            self.reporter.warning(f"Zenodo says {error}{where}")
        return updated

    def result(
        self, status: Status, current: RemoteRecord | None, the_plan: Plan, local: tuple[LocalFile, ...]
    ) -> SyncResult:
        unchanged = len(local) - self.counts.uploaded if status != "planned" else len(the_plan.unchanged)
        return SyncResult(
            status=status,
            state=None
            if current is None
            else ("published" if current.is_published and not current.is_draft else "draft"),
            record_id_path=self.config.path_record_id,
            record_id=current.id if current else None,
            concept_id=current.parent_id if current else None,
            doi=current.doi if current else None,
            concept_doi=current.concept_doi if current else None,
            html_url=current.html_url if current else None,
            files_uploaded=self.counts.uploaded,
            files_deleted=self.counts.deleted,
            files_unchanged=max(unchanged, 0),
            bytes_uploaded=self.counts.bytes_uploaded,
            plan=the_plan,
            record_id_changed=self.id_changed,
            published=bool(current and current.is_published and not current.is_draft),
            local_files=local,
        )


# The metadata and custom-field keys zsync manages; publication_date is not compared, but zsync decides it.
_OWNED_METADATA = frozenset(
    [name.removeprefix("metadata.") for name in OWNED_FIELDS if name.startswith("metadata.")]
    + ["publication_date"]
)
_OWNED_CUSTOM = frozenset(
    name.removeprefix("custom_fields.") for name in OWNED_FIELDS if name.startswith("custom_fields.")
)


def _merge_unowned(desired: Mapping[str, Any], remote: RemoteRecord) -> dict[str, Any]:
    """Our document, plus metadata fields a person added on the web that zsync does not manage."""
    document = dict(desired)
    document["metadata"] = _unowned(remote) | desired["metadata"]
    kept_custom = {k: v for k, v in remote.custom_fields.items() if k not in _OWNED_CUSTOM}
    document["custom_fields"] = kept_custom | desired.get("custom_fields", {})
    return document


_RESERVE_DOI = "pids.doi"


def _unowned(remote: RemoteRecord | None) -> dict[str, Any]:
    """The metadata fields zsync does not manage (what a person may have edited on the web)."""
    if remote is None:
        return {}
    return {k: v for k, v in remote.metadata.items() if k not in _OWNED_METADATA}


def _without_file_order(document: Mapping[str, Any]) -> dict[str, Any]:
    """At creation the files do not exist yet; their order is sent with the metadata PUT after upload."""
    return {**document, "files": {"enabled": True}}


def _config_field(server_field: str) -> str:
    """'metadata.creators.1.person_or_org.family_name' -> 'metadata.creators[1]' (to find a config line)."""
    out: list[str] = []
    for part in server_field.split("."):
        if part.isdigit() and out:
            out[-1] += f"[{part}]"
        else:
            out.append(part)
    return ".".join(out)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["SyncResult", "ZsyncError", "discard", "plan", "sync", "validate"]
