"""The plan: what must change on Zenodo so the remote record matches the local dataset. Pure.

`compute_plan` compares local files (key, size, MD5) and the desired metadata with the remote state
and decides the record action. It does no I/O: the engine reads the remote state, calls it, prints it
for `zsync plan` and applies it for `zsync sync`. The job summary and the dry run come from the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from zsync.errors import SyncError
from zsync.models import LocalFile, RemoteFile
from zsync.versions import compare_versions

FileActionKind = Literal["upload", "replace", "delete", "keep"]

RecordAction = Literal[
    "create",  # no record yet: create a draft
    "update-draft",  # an unpublished draft (new, or the next version): change it in place
    "new-version",  # published, local version greater: open the next version, import files, change
    "edit-published",  # published, same version, only metadata differs: edit draft, PUT, publish
    "none",  # published, same version, nothing differs
]


@dataclass(frozen=True)
class FileAction:
    """One file's fate. `size_bytes` is the local size (upload/replace/keep) or the remote size (delete)."""

    kind: FileActionKind
    key: str
    size_bytes: int
    local: LocalFile | None = None
    remote: RemoteFile | None = None
    reason: str = ""


@dataclass(frozen=True)
class FieldChange:
    """A metadata field zsync owns whose remote value differs from the desired one."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Plan:
    record_action: RecordAction
    files: tuple[FileAction, ...]
    metadata_changes: tuple[FieldChange, ...]
    local_version: str
    remote_version: str | None = None
    record_id: str | None = None

    def of_kind(self, *kinds: FileActionKind) -> tuple[FileAction, ...]:
        return tuple(a for a in self.files if a.kind in kinds)

    @property
    def uploads(self) -> tuple[FileAction, ...]:
        """Files whose bytes will be sent: new and changed ones."""
        return self.of_kind("upload", "replace")

    @property
    def deletes(self) -> tuple[FileAction, ...]:
        return self.of_kind("delete")

    @property
    def unchanged(self) -> tuple[FileAction, ...]:
        return self.of_kind("keep")

    @property
    def bytes_to_upload(self) -> int:
        return sum(a.size_bytes for a in self.uploads)

    @property
    def changes_files(self) -> bool:
        return bool(self.uploads or self.deletes)

    @property
    def is_noop(self) -> bool:
        return self.record_action == "none" or (
            self.record_action == "update-draft" and not self.changes_files and not self.metadata_changes
        )


def diff_files(local: Sequence[LocalFile], remote: Sequence[RemoteFile]) -> tuple[FileAction, ...]:
    """Compare by (key, size, md5). Pending or failed remote entries are replaced (or deleted if gone)."""
    remote_by_key = {r.key: r for r in remote}
    actions: list[FileAction] = []
    for lf in local:
        rf = remote_by_key.get(lf.key)
        if rf is None:
            actions.append(FileAction("upload", lf.key, lf.size_bytes, local=lf, reason="new"))
        elif rf.status != "completed":
            actions.append(FileAction("replace", lf.key, lf.size_bytes, lf, rf, reason=f"remote {rf.status}"))
        elif rf.size_bytes != lf.size_bytes or (rf.md5 or "").lower() != lf.md5.lower():
            actions.append(FileAction("replace", lf.key, lf.size_bytes, lf, rf, reason="content differs"))
        else:
            actions.append(FileAction("keep", lf.key, lf.size_bytes, lf, rf))
    local_keys = {lf.key for lf in local}
    for rf in remote:
        if rf.key not in local_keys:
            reason = "not in paths" if rf.status == "completed" else f"leftover {rf.status} upload"
            actions.append(FileAction("delete", rf.key, rf.size_bytes or 0, remote=rf, reason=reason))
    return tuple(actions)


def compute_plan(
    *,
    local_files: Sequence[LocalFile],
    local_version: str,
    desired_metadata_changes: Sequence[FieldChange],
    remote_files: Sequence[RemoteFile] | None,
    remote_version: str | None,
    remote_is_published: bool,
    record_id: str | None,
) -> Plan:
    """Decide the record action and the file actions.

    `remote_files` is None when there is no record yet. For a published record, `remote_files` are
    its (locked) files; for a draft, the draft's. `desired_metadata_changes` come from comparing the
    owned metadata fields (see zsync.metadata), computed by the caller against the same remote state.
    Raises SyncError for states that forbid a sync (published files differ at the same version, or the
    local version is lower than the published one).
    """
    changes = tuple(desired_metadata_changes)
    if remote_files is None:
        files = tuple(
            FileAction("upload", lf.key, lf.size_bytes, local=lf, reason="new") for lf in local_files
        )
        return Plan("create", files, changes, local_version, None, None)

    files = diff_files(local_files, remote_files)
    if not remote_is_published:
        return Plan("update-draft", files, changes, local_version, remote_version, record_id)

    order = compare_versions(local_version, remote_version)
    if order == 0:
        changed = [a for a in files if a.kind != "keep"]
        if changed:
            listing = ", ".join(f"{a.key} ({_why(a)})" for a in changed)
            raise SyncError(
                f"record {record_id} is published as version {remote_version}, and its files differ from "
                f"the local ones: {listing}",
                hint=(
                    "published files are locked; raise metadata.version (e.g. to "
                    f"'{_suggest_next(local_version)}') to publish them as a new version"
                ),
            )
        action: RecordAction = "edit-published" if changes else "none"
        return Plan(action, files, changes, local_version, remote_version, record_id)
    if order < 0:
        raise SyncError(
            f"the local version {local_version} is lower than the published version {remote_version} "
            f"of record {record_id}; nothing was changed",
            hint=f"set metadata.version above {remote_version}, or point path_record_id at the right record",
        )
    return Plan("new-version", files, changes, local_version, remote_version, record_id)


def _why(action: FileAction) -> str:
    if action.kind == "upload":
        return "only local"
    if action.kind == "delete":
        return "only on Zenodo"
    return "content differs"


def _suggest_next(version: str) -> str:
    parts = version.split(".")
    if parts and parts[-1].isdigit():
        parts[-1] = str(int(parts[-1]) + 1)
        return ".".join(parts)
    return version + ".1"


def plan_as_dict(plan: Plan) -> Mapping[str, Any]:
    """A JSON-friendly view for `zsync plan --json` and tests."""
    return {
        "record_action": plan.record_action,
        "record_id": plan.record_id,
        "local_version": plan.local_version,
        "remote_version": plan.remote_version,
        "files": [
            {"action": a.kind, "key": a.key, "size_bytes": a.size_bytes, "reason": a.reason}
            for a in plan.files
        ],
        "metadata_changes": [{"field": c.field, "old": c.old, "new": c.new} for c in plan.metadata_changes],
        "bytes_to_upload": plan.bytes_to_upload,
    }
