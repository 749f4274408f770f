"""The emulator's state: parents, drafts, published records and their files, and what each operation
does to them, following Zenodo's InvenioRDM services.

Operations raise `ApiError` with the status and message Zenodo answers. File content lives on disk
(`blobs/`); the rest is in memory and, when the store is persistent, mirrored to `state.json`.
All methods take the store's lock: the HTTP server is threaded.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from zsync.emulator import access as embargo_access
from zsync.emulator.validation import Vocabularies, check_document, publish_errors

DOI_PREFIX = "10.5072/zenodo."


class ApiError(Exception):
    """An error answer: `{"status": N, "message": ...}` plus `errors` or other `extra` members."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def not_found() -> ApiError:
    return ApiError(404, "The persistent identifier does not exist.")


def permission_denied() -> ApiError:
    return ApiError(403, "Permission denied.")


def locked() -> ApiError:
    return ApiError(403, "Bucket is locked for modifications.")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class FileEntry:
    """A file of a draft or record. `size`/`md5` are the server's own, set at commit."""

    key: str
    file_id: str
    created: str
    updated: str
    status: str = "pending"
    declared: dict[str, Any] = field(default_factory=dict)
    blob: str | None = None
    content_size: int | None = None
    content_md5: str | None = None
    size: int | None = None
    md5: str | None = None


@dataclass
class Version:
    """A draft or a published record (same id for a record and its edit draft)."""

    id: str
    parent_id: str
    owner: str
    created: str
    updated: str
    revision_id: int
    version_index: int
    doi: str | None  # None until reserved (POST .../draft/pids/doi) or minted at publish
    metadata: dict[str, Any] = field(default_factory=dict)
    access: dict[str, Any] | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    files_options: dict[str, Any] = field(default_factory=lambda: {"enabled": True})
    files: dict[str, FileEntry] = field(default_factory=dict)
    deleted: bool = False
    tombstone: dict[str, Any] | None = None
    external_doi: bool = False
    doi_blank: bool = False  # reserved without an identifier (Faults.reserve_doi_blank)


@dataclass
class Parent:
    """The concept: its published versions, oldest first."""

    id: str
    owner: str
    versions: list[str] = field(default_factory=list)
    concept_doi: str | None = None


@dataclass(frozen=True)
class Upload:
    """Content being received: the temporary file it goes to, and the entry (`file_id`) it is for."""

    partial: Path
    file_id: str


@dataclass(frozen=True)
class StoredFile:
    """A file as the emulator holds it, for tests: the server's md5 and size, and where the bytes are."""

    key: str
    status: str
    size_bytes: int | None
    md5: str | None
    path: Path | None


def _version_from_json(data: dict[str, Any]) -> Version:
    files = {key: FileEntry(**entry) for key, entry in data.pop("files").items()}
    return Version(**data, files=files)


class Store:
    """All records of one emulator. `api_base`/`html_base` must be set before rendering.

    `clock` (monotonic seconds) times the search index's lag; tests pass a fake one to step past it.
    """

    def __init__(
        self,
        root: Path,
        *,
        persistent: bool,
        vocab: Vocabularies,
        max_files: int,
        max_record_bytes: int,
        max_file_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self.vocab = vocab
        self.max_files = max_files
        self.max_record_bytes = max_record_bytes
        self.max_file_bytes = max_file_bytes
        self.lock = threading.RLock()
        self.api_base = ""
        self.html_base = ""
        self.index_delay_s = 0.0
        self.clock = clock
        # How far the emulator's calendar is ahead of the real one (embargoes; see `utc_now`).
        self.time_offset = dt.timedelta()
        self.parents: dict[str, Parent] = {}
        self.drafts: dict[str, Version] = {}
        self.records: dict[str, Version] = {}
        self.next_id = 100001
        # Search index: per record id, snapshots (visible_at, hit) so /user/records can lag behind.
        self._index: dict[str, list[tuple[float, Version | None]]] = {}
        if persistent and (root / "state.json").is_file():
            self._load()

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        data = json.loads((self.root / "state.json").read_text("utf-8"))
        self.next_id = data["next_id"]
        self.parents = {k: Parent(**v) for k, v in data["parents"].items()}
        self.drafts = {k: _version_from_json(v) for k, v in data["drafts"].items()}
        self.records = {k: _version_from_json(v) for k, v in data["records"].items()}
        for rid in {*self.drafts, *self.records}:
            self._index[rid] = [(-math.inf, self._hit(rid))]  # indexed long before this process

    def _changed(self, *record_ids: str) -> None:
        for rid in record_ids:
            self._index.setdefault(rid, []).append((self.clock() + self.index_delay_s, self._hit(rid)))
        if self.persistent:
            data = {
                "next_id": self.next_id,
                "parents": {k: dataclasses.asdict(v) for k, v in self.parents.items()},
                "drafts": {k: dataclasses.asdict(v) for k, v in self.drafts.items()},
                "records": {k: dataclasses.asdict(v) for k, v in self.records.items()},
            }
            tmp = self.root / "state.json.tmp"
            tmp.write_text(json.dumps(data), "utf-8")
            os.replace(tmp, self.root / "state.json")

    def utc_now(self) -> dt.datetime:
        """The time embargoes are judged by: the real UTC time plus `time_offset`."""
        return dt.datetime.now(dt.UTC) + self.time_offset

    def lift_expired_embargoes(self) -> list[str]:
        """invenio-rdm-records' update_expired_embargos task: each published record whose embargo
        is active with its date today or earlier is lifted, and so is its open draft when that has
        the record's access (RDMRecordService.lift_embargo); the ids lifted."""
        with self.lock:
            now = self.utc_now()
            lifted = []
            for rid, record in self.records.items():
                if record.deleted or not embargo_access.is_expired(record.access, now.date().isoformat()):
                    continue
                draft = self.drafts.get(rid)
                assert record.access is not None
                if draft is not None and draft.access == record.access and draft.access is not None:
                    embargo_access.lift(draft.access, now)
                    self._touch(draft)
                if embargo_access.lift(record.access, now):
                    self._touch(record)
                    lifted.append(rid)
                    self._changed(rid)
            return lifted

    def _hit(self, rid: str) -> Version | None:
        if rid in self.drafts:
            return copy.deepcopy(self.drafts[rid])
        record = self.records.get(rid)
        return copy.deepcopy(record) if record and not record.deleted else None

    def reset(self) -> None:
        with self.lock:
            self.parents.clear()
            self.drafts.clear()
            self.records.clear()
            self._index.clear()
            for blob in self.blobs.iterdir():
                blob.unlink()
            self._changed()

    # ------------------------------------------------------------------ lookups

    def _new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id - 1)

    def _draft(self, user: str | None, rid: str) -> Version:
        draft = self.drafts.get(rid)
        if draft is None:
            if rid in self.records and user is not None and self.records[rid].owner != user:
                raise permission_denied()
            raise not_found()
        if user is None:
            raise permission_denied()
        if draft.owner != user:
            raise permission_denied()
        return draft

    def _record(self, rid: str) -> Version:
        record = self.records.get(rid)
        if record is None:
            if rid in self.drafts:
                raise ApiError(404, "The persistent identifier is not registered.")
            raise not_found()
        if record.deleted:
            raise ApiError(
                410, "The record has been deleted.", extra={"tombstone": copy.deepcopy(record.tombstone)}
            )
        return record

    @staticmethod
    def _check_if_match(version: Version, if_match: str | None) -> None:
        if if_match is None:
            return
        wanted = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
        if "*" not in wanted and str(version.revision_id) not in wanted:
            raise ApiError(412, "Precondition failed: the draft has changed (revision_id mismatch).")

    @staticmethod
    def _touch(version: Version) -> None:
        version.revision_id += 1
        version.updated = now_iso()

    # ------------------------------------------------------------------ drafts

    def _apply_body(self, version: Version, body: dict[str, Any]) -> list[dict[str, Any]]:
        checked = check_document(body, self.vocab, self.utc_now())
        if checked.vocabulary_errors:
            raise ApiError(400, "A validation error occurred.", errors=checked.vocabulary_errors)
        version.metadata = checked.metadata
        version.custom_fields = checked.custom_fields
        if checked.access is not None:
            version.access = checked.access
        files = body.get("files")
        if isinstance(files, dict):
            opts = {k: files[k] for k in ("enabled", "order", "default_preview") if k in files}
            version.files_options = {**version.files_options, **opts}
        errors = checked.errors
        if version.access is None:
            errors.append({"field": "access", "messages": ["Missing data for required field."]})
        return errors

    def create_draft(self, user: str, body: dict[str, Any]) -> tuple[Version, list[dict[str, Any]]]:
        with self.lock:
            parent_id, rid = self._new_id(), self._new_id()
            stamp = now_iso()
            draft = Version(
                id=rid,
                parent_id=parent_id,
                owner=user,
                created=stamp,
                updated=stamp,
                revision_id=1,
                version_index=1,
                doi=None,  # as on Zenodo: a draft has no DOI until one is reserved or it is published
            )
            errors = self._apply_body(draft, body)
            self.parents[parent_id] = Parent(id=parent_id, owner=user)
            self.drafts[rid] = draft
            self._changed(rid)
            return draft, errors

    def read_draft(self, user: str | None, rid: str) -> Version:
        with self.lock:
            return self._draft(user, rid)

    def update_draft(
        self, user: str | None, rid: str, body: dict[str, Any], if_match: str | None
    ) -> tuple[Version, list[dict[str, Any]]]:
        with self.lock:
            draft = self._draft(user, rid)
            self._check_if_match(draft, if_match)
            trial = copy.deepcopy(draft)
            errors = self._apply_body(trial, body)  # raises before anything changes
            self.drafts[rid] = draft = trial
            self._touch(draft)
            self._changed(rid)
            return draft, errors

    def reserve_doi(self, user: str | None, rid: str, scheme: str, *, blank: bool = False) -> Version:
        """POST /records/{id}/draft/pids/doi: reserve the draft's DOI (400 when it has one); `blank`
        leaves a `pids.doi` entry without an identifier."""
        with self.lock:
            draft = self._draft(user, rid)
            if scheme != "doi":
                raise ApiError(400, f"No PID provider for scheme {scheme}.")
            if draft.doi or draft.doi_blank:
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "pids.doi", "messages": ["A PID already exists for type doi"]}],
                )
            if blank:
                draft.doi_blank = True
            else:
                draft.doi = DOI_PREFIX + rid
            self._touch(draft)
            self._changed(rid)
            return draft

    def edit(self, user: str | None, rid: str) -> Version:
        with self.lock:
            if rid in self.drafts:
                return self._draft(user, rid)
            record = self._record(rid)
            if user is None or record.owner != user:
                raise permission_denied()
            draft = copy.deepcopy(record)
            draft.revision_id, draft.updated = 1, now_iso()
            self.drafts[rid] = draft
            self._changed(rid)
            return draft

    def discard(self, user: str | None, rid: str, if_match: str | None) -> None:
        with self.lock:
            draft = self._draft(user, rid)
            self._check_if_match(draft, if_match)
            del self.drafts[rid]
            if rid not in self.records and draft.version_index == 1:
                del self.parents[draft.parent_id]
            self._drop_unused_blobs(draft.files.values())
            self._changed(rid)

    def publish(self, user: str | None, rid: str, *, admin: bool = False) -> Version:
        with self.lock:
            draft = self._draft(self.drafts[rid].owner if admin and rid in self.drafts else user, rid)
            errors = publish_errors(draft.metadata, draft.access, self.utc_now())
            if not draft.files_options.get("enabled", True):
                errors.append(
                    {"field": "files.enabled", "messages": ["Metadata-only records are not allowed."]}
                )
            elif not draft.files:
                errors.append(
                    {
                        "field": "files.enabled",
                        "messages": [
                            "Missing uploaded files. To disable files for this record please mark it as "
                            "metadata-only."
                        ],
                    }
                )
            pending = [key for key, entry in draft.files.items() if entry.status != "completed"]
            if pending:
                errors.append(
                    {
                        "field": "files.entries",
                        "messages": [f"File {key} is not committed." for key in pending],
                    }
                )
            if errors:
                raise ApiError(400, "A validation error occurred.", errors=errors)
            parent = self.parents[draft.parent_id]
            existing = self.records.get(rid)
            if existing is not None:
                # An edit draft: metadata changes, files stay locked, the DOI and index stay.
                existing.metadata = draft.metadata
                existing.access = draft.access
                existing.custom_fields = draft.custom_fields
                existing.files_options = {**existing.files_options, **draft.files_options}
                self._touch(existing)
                record = existing
            else:
                record = draft
                record.doi = record.doi or DOI_PREFIX + rid  # minted at publish when not reserved
                record.revision_id += 1
                record.updated = now_iso()
                parent.versions.append(rid)
                parent.concept_doi = parent.concept_doi or DOI_PREFIX + parent.id
                self.records[rid] = record
            del self.drafts[rid]
            self._changed(rid)
            return record

    # ------------------------------------------------------------------ records and versions

    def read_record(self, rid: str) -> Version:
        with self.lock:
            return self._record(rid)

    def new_version(self, user: str | None, rid: str) -> Version:
        with self.lock:
            record = self._record(rid)
            if user is None or record.owner != user:
                raise permission_denied()
            parent = self.parents[record.parent_id]
            for draft in self.drafts.values():
                if draft.parent_id == parent.id and draft.id not in self.records:
                    return draft  # the open next-version draft: the call is idempotent
            if record.external_doi:
                raise ApiError(403, "Records with an external DOI cannot be versioned.")
            new_id = self._new_id()
            stamp = now_iso()
            metadata = copy.deepcopy(record.metadata)
            metadata.pop("version", None)
            metadata["publication_date"] = dt.datetime.now(dt.UTC).date().isoformat()
            draft = Version(
                id=new_id,
                parent_id=parent.id,
                owner=record.owner,
                created=stamp,
                updated=stamp,
                revision_id=1,
                version_index=max(self.records[v].version_index for v in parent.versions) + 1,
                doi=None,
                metadata=metadata,
                access=copy.deepcopy(record.access),
                custom_fields=copy.deepcopy(record.custom_fields),
                files_options={"enabled": record.files_options.get("enabled", True)},
            )
            self.drafts[new_id] = draft
            self._changed(new_id)
            return draft

    def _published_versions(self, rid: str) -> list[Version]:
        if rid in self.parents:
            parent = self.parents[rid]
        else:
            version = self.records.get(rid) or self.drafts.get(rid)
            if version is None:
                raise not_found()
            parent = self.parents[version.parent_id]
        return [self.records[v] for v in parent.versions if not self.records[v].deleted]

    def versions(self, rid: str) -> list[Version]:
        with self.lock:
            if rid in self.parents:
                raise not_found()
            return sorted(self._published_versions(rid), key=lambda v: -v.version_index)

    def latest_id(self, rid: str) -> str:
        with self.lock:
            published = self._published_versions(rid)
            if not published:
                raise not_found()
            return max(published, key=lambda v: v.version_index).id

    def delete_record(self, rid: str, reason: str) -> None:
        with self.lock:
            record = self.records.get(rid)
            if record is None:
                raise not_found()
            record.deleted = True
            record.tombstone = {
                "removal_reason": {"id": reason},
                "note": "",
                "removed_by": {"user": "system"},
                "removal_date": now_iso(),
                "citation_text": f"{record.metadata.get('title', '')}. Zenodo. https://doi.org/{record.doi}",
                "is_visible": True,
            }
            self._touch(record)
            self._changed(rid)

    def mark_external_doi(self, rid: str) -> None:
        with self.lock:
            record = self.records.get(rid)
            if record is None:
                raise not_found()
            record.external_doi = True
            record.doi = f"10.9999/external.{rid}"
            self._changed(rid)

    def user_hits(self, user: str) -> list[Version]:
        """What the search index shows the user now (possibly stale by `index_delay_s`)."""
        with self.lock:
            now = self.clock()
            hits = []
            for snapshots in self._index.values():
                shown = [i for i, (visible_at, _) in enumerate(snapshots) if visible_at <= now]
                if not shown:
                    continue
                del snapshots[: shown[-1]]  # older snapshots can never be shown again
                hit = snapshots[0][1]
                if hit is not None and hit.owner == user:
                    hits.append(hit)
            return sorted(hits, key=lambda v: v.updated, reverse=True)

    # ------------------------------------------------------------------ files

    def _writable_draft(self, user: str | None, rid: str) -> Version:
        draft = self._draft(user, rid)
        if rid in self.records:
            raise locked()
        return draft

    @staticmethod
    def _entry(draft: Version, key: str) -> FileEntry:
        entry = draft.files.get(key)
        if entry is None:
            raise ApiError(404, f"File with key {key} not found.")
        return entry

    def list_draft_files(self, user: str | None, rid: str) -> Version:
        with self.lock:
            return self._draft(user, rid)

    def draft_file(self, user: str | None, rid: str, key: str) -> FileEntry:
        with self.lock:
            return self._entry(self._draft(user, rid), key)

    def init_files(self, user: str | None, rid: str, body: Any) -> Version:
        with self.lock:
            draft = self._writable_draft(user, rid)
            if not isinstance(body, list) or not all(
                isinstance(item, dict) and isinstance(item.get("key"), str) for item in body
            ):
                raise ApiError(
                    400,
                    "A validation error occurred.",
                    errors=[{"field": "key", "messages": ["Expected a JSON array of objects with a key."]}],
                )
            keys = [item["key"] for item in body]
            for key in keys:
                if key in draft.files or keys.count(key) > 1:
                    raise ApiError(400, f"File with key {key} already exists.")
                if not key or len(key) > 255 or "/" in key or key in (".", ".."):
                    raise ApiError(400, f"Invalid file key {key!r}: a flat name of 1 to 255 characters.")
            if len(draft.files) + len(keys) > self.max_files:
                raise ApiError(400, f"Too many files: a record holds at most {self.max_files} files.")
            stamp = now_iso()
            for item in body:
                declared = {k: item[k] for k in ("size", "checksum") if k in item}
                draft.files[item["key"]] = FileEntry(
                    key=item["key"],
                    file_id=str(uuid.uuid4()),
                    created=stamp,
                    updated=stamp,
                    declared=declared,
                )
            self._touch(draft)
            self._changed(rid)
            return draft

    def prepare_upload(self, user: str | None, rid: str, key: str, length: int) -> Upload:
        """Check that content of `length` bytes may go to the entry; return the temporary path to fill,
        with the entry it is for."""
        with self.lock:
            draft = self._writable_draft(user, rid)
            entry = self._entry(draft, key)
            if entry.status == "completed":
                raise ApiError(400, f"File {key} is already committed: delete it and initialise it again.")
            if length == 0:
                raise ApiError(400, "Empty files are not accepted.")
            others = sum((e.size or e.content_size or 0) for k, e in draft.files.items() if k != key)
            if length > self.max_file_bytes or others + length > self.max_record_bytes:
                raise ApiError(400, "File size exceeds the record's quota.")
            return Upload(self.blobs / f"{uuid.uuid4()}.part", entry.file_id)

    def abort_upload(self, rid: str, key: str, upload: Upload) -> None:
        """A broken upload: the server deletes the entry, as Zenodo does. Only the entry the upload
        was for: when another request has since deleted it and initialised the key again, that new
        entry stays (in InvenioRDM the broken request's transaction holds the old file record, whose
        deletion fails as stale and is rolled back)."""
        upload.partial.unlink(missing_ok=True)
        with self.lock:
            draft = self.drafts.get(rid)
            entry = draft.files.get(key) if draft is not None else None
            if draft is not None and entry is not None and entry.file_id == upload.file_id:
                self._drop_unused_blobs([draft.files.pop(key)])
                self._touch(draft)
                self._changed(rid)

    def finish_upload(
        self, rid: str, key: str, upload: Upload, size: int, md5: str
    ) -> tuple[Version, FileEntry]:
        with self.lock:
            draft = self.drafts.get(rid)
            entry = draft.files.get(key) if draft else None
            if draft is None or entry is None:
                upload.partial.unlink(missing_ok=True)
                raise ApiError(404, f"File with key {key} not found.")
            if entry.file_id != upload.file_id:
                # Deleted and initialised again while this body streamed: InvenioRDM's write to the
                # old file record fails as stale (an unhandled error), and the new entry is untouched.
                upload.partial.unlink(missing_ok=True)
                raise ApiError(500, "Internal server error: the file changed while its content was sent.")
            blob = upload.partial.with_suffix("")
            upload.partial.rename(blob)
            old = dataclasses.replace(entry)
            entry.blob, entry.content_size, entry.content_md5 = blob.name, size, md5
            entry.updated = now_iso()
            self._drop_unused_blobs([old])
            self._touch(draft)
            self._changed(rid)
            return draft, entry

    def commit(self, user: str | None, rid: str, key: str) -> tuple[Version, FileEntry]:
        with self.lock:
            draft = self._writable_draft(user, rid)
            entry = self._entry(draft, key)
            if entry.status != "completed":
                if entry.blob is None:
                    raise ApiError(500, "Internal server error: the file has no content to commit.")
                entry.size, entry.md5, entry.status = entry.content_size, entry.content_md5, "completed"
                entry.updated = now_iso()
                self._touch(draft)
                self._changed(rid)
            return draft, entry

    def delete_file(self, user: str | None, rid: str, key: str) -> None:
        with self.lock:
            draft = self._writable_draft(user, rid)
            entry = self._entry(draft, key)
            del draft.files[key]
            # As InvenioRDM (invenio-records-resources records/systemfields/files/manager.py,
            # FilesManager.delete): deleting the default preview unsets it, and the key leaves the order.
            options = draft.files_options
            if options.get("default_preview") == key:
                options.pop("default_preview")
            if isinstance(options.get("order"), list) and key in options["order"]:
                options["order"] = [k for k in options["order"] if k != key]
            self._drop_unused_blobs([entry])
            self._touch(draft)
            self._changed(rid)

    def import_files(self, user: str | None, rid: str) -> Version:
        with self.lock:
            draft = self._draft(user, rid)
            if draft.files:
                raise ApiError(400, "Please remove all files first.")
            if rid in self.records:
                raise locked()
            published = self._published_versions(rid)
            if not published:
                raise ApiError(404, "There is no published version to import files from.")
            latest = max(published, key=lambda v: v.version_index)
            stamp = now_iso()
            for key, entry in latest.files.items():
                # Linked, not copied: the new entry points at the same blob.
                draft.files[key] = dataclasses.replace(
                    entry, file_id=str(uuid.uuid4()), created=stamp, updated=stamp
                )
            self._touch(draft)
            self._changed(rid)
            return draft

    def record_files(self, rid: str) -> Version:
        with self.lock:
            return self._record(rid)

    def blob_path(self, entry: FileEntry) -> Path | None:
        return self.blobs / entry.blob if entry.blob else None

    def _all_entries(self) -> Iterator[FileEntry]:
        for version in (*self.drafts.values(), *self.records.values()):
            yield from version.files.values()

    def _drop_unused_blobs(self, entries: Any) -> None:
        in_use = {entry.blob for entry in self._all_entries()}
        for entry in entries:
            if entry.blob and entry.blob not in in_use:
                (self.blobs / entry.blob).unlink(missing_ok=True)

    def stored_files(self, version: Version) -> dict[str, StoredFile]:
        with self.lock:
            return {
                key: StoredFile(key, e.status, e.size, e.md5, self.blob_path(e))
                for key, e in version.files.items()
            }

    # ------------------------------------------------------------------ documents

    def status_of(self, version: Version, *, draft: bool) -> str:
        if not draft:
            return "deleted" if version.deleted else "published"
        if version.id in self.records:
            return "published"
        return "new_version_draft" if version.version_index > 1 else "draft"

    def _links(self, version: Version, *, draft: bool) -> dict[str, str]:
        api, html, rid = self.api_base, self.html_base, version.id
        links = {
            "latest": f"{api}/records/{rid}/versions/latest",
            "latest_html": f"{html}/records/{rid}/latest",
            "versions": f"{api}/records/{rid}/versions",
            "parent": f"{api}/records/{version.parent_id}",
            "parent_html": f"{html}/records/{version.parent_id}",
            "record": f"{api}/records/{rid}",
            "record_html": f"{html}/records/{rid}",
            "draft": f"{api}/records/{rid}/draft",
            "reserve_doi": f"{api}/records/{rid}/draft/pids/doi",
        }
        if draft:
            links |= {
                "self": f"{api}/records/{rid}/draft",
                "self_html": f"{html}/uploads/{rid}",
                "files": f"{api}/records/{rid}/draft/files",
                "publish": f"{api}/records/{rid}/draft/actions/publish",
            }
        else:
            links |= {
                "self": f"{api}/records/{rid}",
                "self_html": f"{html}/records/{rid}",
                "files": f"{api}/records/{rid}/files",
                "self_doi": f"https://doi.org/{version.doi}",
                "doi": f"https://doi.org/{version.doi}",
            }
        return links

    def file_document(self, version: Version, entry: FileEntry, *, draft: bool) -> dict[str, Any]:
        kind = "draft/files" if draft else "files"
        base = f"{self.api_base}/records/{version.id}/{kind}/{quote(entry.key, safe='')}"
        doc: dict[str, Any] = {
            "key": entry.key,
            "created": entry.created,
            "updated": entry.updated,
            "status": entry.status,
            "metadata": None,
            "storage_class": "L",
            "transfer": {"type": "L"},
            "file_id": entry.file_id,
            "links": {"self": base, "content": f"{base}/content"},
        }
        if draft:
            doc["links"]["commit"] = f"{base}/commit"
        if entry.status == "completed":
            doc |= {
                "size": entry.size,
                "checksum": f"md5:{entry.md5}",
                "mimetype": "application/octet-stream",
            }
        else:
            doc |= entry.declared  # init's size/checksum are only echoed until commit
        return doc

    def files_listing(self, version: Version, *, draft: bool) -> dict[str, Any]:
        kind = "draft/files" if draft else "files"
        return {
            "enabled": version.files_options.get("enabled", True),
            "default_preview": version.files_options.get("default_preview"),
            "order": version.files_options.get("order", []),
            "entries": [self.file_document(version, e, draft=draft) for e in version.files.values()],
            "links": {"self": f"{self.api_base}/records/{version.id}/{kind}"},
        }

    def rdm_document(self, version: Version, *, draft: bool, ui: bool = True) -> dict[str, Any]:
        """The InvenioRDM JSON (`application/vnd.inveniordm.v1+json`) of a draft or record."""
        with self.lock:
            # A discarded new draft's concept is gone, but the lagging search still shows its hit.
            parent = self.parents.get(version.parent_id) or Parent(id=version.parent_id, owner=version.owner)
            published = [v for v in parent.versions if not self.records[v].deleted]
            access = copy.deepcopy(version.access) if version.access is not None else {}
            access.setdefault("embargo", embargo_access.no_embargo())
            access["status"] = embargo_access.status(access, has_files=bool(version.files))
            files = version.files.values()
            doc: dict[str, Any] = {
                "id": version.id,
                "created": version.created,
                "updated": version.updated,
                "revision_id": version.revision_id,
                "is_published": version.id in self.records,
                "is_draft": draft,
                "status": self.status_of(version, draft=draft),
                "pids": (
                    {"doi": {"identifier": version.doi, "provider": "datacite", "client": "datacite"}}
                    if version.doi
                    else {"doi": {"identifier": "", "provider": "datacite", "client": "datacite"}}
                    if version.doi_blank
                    else {}
                ),
                "parent": {
                    "id": parent.id,
                    "access": {"owned_by": {"user": parent.owner}},
                    "communities": {},
                    "pids": (
                        {
                            "doi": {
                                "identifier": parent.concept_doi,
                                "provider": "datacite",
                                "client": "datacite",
                            }
                        }
                        if parent.concept_doi
                        else {}
                    ),
                },
                "versions": {
                    "index": version.version_index,
                    "is_latest": bool(published) and published[-1] == version.id,
                    "is_latest_draft": draft,
                },
                "metadata": copy.deepcopy(version.metadata),
                "custom_fields": copy.deepcopy(version.custom_fields),
                "access": access,
                "files": {
                    **copy.deepcopy(version.files_options),
                    "count": len(version.files),
                    "total_bytes": sum(e.size or 0 for e in files),
                    "entries": {e.key: self.file_document(version, e, draft=draft) for e in files},
                },
                "media_files": {"enabled": False, "order": [], "count": 0, "total_bytes": 0, "entries": {}},
                "links": self._links(version, draft=draft),
            }
            if draft:
                doc["expires_at"] = version.created
            if ui:
                meta = version.metadata
                doc["ui"] = {
                    "publication_date_l10n_long": meta.get("publication_date", ""),
                    "resource_type": {"id": meta.get("resource_type", {}).get("id"), "title_l10n": ""},
                    "version": meta.get("version", ""),
                    "is_draft": draft,
                    "access_status": {"id": access["status"]},
                }
            return doc

    def legacy_document(self, version: Version, *, draft: bool) -> dict[str, Any]:
        """The legacy Zenodo JSON that plain `application/json` gets on /records endpoints."""
        with self.lock:
            parent = self.parents[version.parent_id]
            meta = version.metadata
            creators = []
            for creator in meta.get("creators", []):
                person = creator.get("person_or_org", {})
                affs = [a.get("name") or a.get("id") for a in creator.get("affiliations", [])]
                creators.append({"name": person.get("name", ""), "affiliation": "; ".join(affs) or None})
            published = version.id in self.records
            return {
                "id": int(version.id),
                "recid": int(version.id),
                "conceptrecid": parent.id,
                "doi": (version.doi or "") if published else "",
                "conceptdoi": parent.concept_doi or "",
                "created": version.created,
                "modified": version.updated,
                "owner": int(version.owner),
                "state": "done"
                if published and not draft
                else ("inprogress" if published else "unsubmitted"),
                "submitted": published,
                "title": meta.get("title", ""),
                "metadata": {
                    "title": meta.get("title", ""),
                    "upload_type": meta.get("resource_type", {}).get("id", "").split("-")[0],
                    "publication_date": meta.get("publication_date", ""),
                    "creators": creators,
                    "description": meta.get("description", ""),
                    "access_right": "open",
                    "license": {"id": r["id"]} if (r := (meta.get("rights") or [{}])[0]).get("id") else None,
                    **({"version": meta["version"]} if "version" in meta else {}),
                },
                "files": [
                    {
                        "id": e.file_id,
                        "filename": e.key,
                        "filesize": e.size,
                        "checksum": e.md5 or "",
                    }
                    for e in version.files.values()
                ],
                "links": {
                    "self": f"{self.api_base}/records/{version.id}",
                    "html": f"{self.html_base}/records/{version.id}",
                },
            }
