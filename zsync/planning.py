"""The plan: the ordered steps that make the Zenodo record match the local dataset. Pure.

`compute_plan(config, local_files, state, today=..., options=...)` compares the local files (key, size,
MD5) and the desired document with a `RemoteState` (what `zsync.engine.read_remote_state` read) and
returns a `Plan`: a tuple of typed steps, each carrying exactly what it sends. The document is rendered
once, here. The engine prints the plan for `zsync plan`, runs its steps for `zsync sync`, and the job
summary, `plan --json` and the crash-point tests read the same steps.

Step order is what makes a run crash-safe: the record id is written right after the step that makes
a draft (before any upload), and a changed file is deleted before its replacement is uploaded, so a
run stopped anywhere leaves a state the next plan completes, never a stale file looking current.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from zsync.errors import ConfigError, Problem, SyncError
from zsync.frozen import asdict, field, frozen, replace
from zsync.metadata import diff_owned, effective_access, render_document, unowned_metadata
from zsync.models import Config, FieldChange, LocalFile, RemoteFile, RemoteRecord, ShareLink, change_verb
from zsync.reviews import CommunityState, CommunityStatus
from zsync.units import counted, format_size
from zsync.versions import compare_versions, is_orderable, is_prerelease

if TYPE_CHECKING:
    from zsync.shareplan import SharePlan

__all__ = [
    "CreateDraft",
    "DeleteFile",
    "EditPublished",
    "FieldChange",
    "FileAction",
    "FileRow",
    "ImportFiles",
    "InitFiles",
    "NewVersion",
    "Plan",
    "PlanOptions",
    "Publish",
    "RemoteState",
    "ReserveDoi",
    "Step",
    "UpdateMetadata",
    "UploadFile",
    "Warn",
    "WriteRecordId",
    "compute_plan",
    "diff_files",
    "mutating_calls",
    "plan_as_dict",
]

FileActionKind = Literal["upload", "replace", "delete", "keep"]

RecordAction = Literal[
    "create",  # no record yet: create a draft
    "update-draft",  # an unpublished draft (new, or the next version): change it in place
    "new-version",  # published, local version greater: open the next version, import files, change
    "edit-published",  # published, same version, only metadata differs: edit draft, PUT, publish
    "none",  # published, same version, nothing differs
    "leave-published",  # published above the local version (a release's), no version given: left alone
]

Status = Literal["created", "updated", "unchanged", "new-version"]


# --------------------------------------------------------------------------- the remote state


@frozen
class RemoteState:
    """What the record on Zenodo looks like, as read before planning (frozen: the plan's only input
    from the server).

    `draft` is an unpublished draft (new, or the next version) or the open edit draft of `record`;
    `record` is the published record, the latest version. `draft_files` is the listing of an
    unpublished draft. `previous` is, for a next-version draft, the latest published version before it
    (read only when the plan needs it). The facts: `followed` is the id the id file should hold when it
    named an older version; `adopted` says the draft was found by its title because there was no id
    file (a run stopped right after creating it); `needs_import` says a next-version draft never got
    its files imported from `previous`.
    """

    record_id: str | None = None
    draft: RemoteRecord | None = None
    record: RemoteRecord | None = None
    draft_files: tuple[RemoteFile, ...] = ()
    previous: RemoteRecord | None = None
    followed: str | None = None
    adopted: bool = False
    needs_import: bool = False
    # The config's communities, the record's, and their requests (None: the config lists none).
    communities: CommunityState | None = None
    # The record's secret links (None: not read, the run makes no share link).
    share_links: tuple[ShareLink, ...] | None = None

    @property
    def current(self) -> RemoteRecord | None:
        return self.draft or self.record

    def sizes_by_key(self) -> set[tuple[str, int | None]]:
        """(key, size) of every remote file a plan may compare a local file with: a local file
        that matches none of them is uploaded whatever its MD5, so it need not be hashed first."""
        records = [r for r in (self.draft, self.record, self.previous) if r is not None]
        files = [*self.draft_files, *(f for r in records for f in r.files)]
        return {(f.key, f.size_bytes) for f in files}


@frozen
class PlanOptions:
    """What the user asked for: publish after the sync, reserve a DOI for a draft that has none, and
    whether the version was given explicitly (a release), which may follow an unorderable one."""

    publish: bool = False
    reserve_doi: bool = True
    submit_review: bool = False  # --submit-review: as `review: submit` in the config
    share_link: bool = False  # --share-link: a share link with the defaults when the config has no `share:`
    explicit_version: bool = False  # the version came from --set-version / the version input


# --------------------------------------------------------------------------- steps


@frozen
class Step:
    """One thing a sync does, in order. `calls` names the client methods the step uses that change
    something on Zenodo (the crash-point tests stop a run after each of them)."""

    calls: ClassVar[tuple[str, ...]] = ()

    def describe(self) -> str:
        raise NotImplementedError


@frozen
class CreateDraft(Step):
    """`POST /records` with `document` (the metadata; the files are uploaded afterwards)."""

    document: Mapping[str, Any] = field(repr=False)
    calls: ClassVar[tuple[str, ...]] = ("create_draft",)

    def describe(self) -> str:
        return "create a new draft"


@frozen
class NewVersion(Step):
    """`POST /records/{record_id}/versions`: the next-version draft of the published record."""

    record_id: str
    after_version: str | None
    calls: ClassVar[tuple[str, ...]] = ("new_version",)

    def describe(self) -> str:
        after = f"version {self.after_version} of record" if self.after_version else "unversioned record"
        return f"open a new version after {after} {self.record_id}"


@frozen
class WriteRecordId(Step):
    """Write the id file: `record_id`, or (None) the id of the draft the steps before made.
    `commit_later`: a `WriteBack` step follows, which hands the id file to the commit hook together
    with the files it writes (one commit)."""

    record_id: str | None
    reason: str
    commit_later: bool = False

    def describe(self) -> str:
        return f"write the record id ({self.reason})"


@frozen
class ReserveDoi(Step):
    """Reserve the draft's DOI, so it is known before publication (registered only at publish)."""

    calls: ClassVar[tuple[str, ...]] = ("reserve_doi",)

    def describe(self) -> str:
        return "reserve a DOI for the draft"


@frozen
class ImportFiles(Step):
    """Link the previous version's files into the new draft on the server, without re-upload."""

    from_record_id: str
    keys: tuple[str, ...]
    calls: ClassVar[tuple[str, ...]] = ("import_files",)

    def describe(self) -> str:
        return (
            f"import {counted(len(self.keys), 'file')} from record {self.from_record_id}, without re-upload"
        )


@frozen
class DeleteFile(Step):
    """Delete a remote file: gone from `paths`, a leftover of an interrupted upload, or (`replaced`)
    a changed file whose new content is uploaded by a later step."""

    key: str
    size_bytes: int
    reason: str
    replaced: bool = False
    calls: ClassVar[tuple[str, ...]] = ("delete_file",)

    def describe(self) -> str:
        verb = "delete (to replace)" if self.replaced else "delete"
        return f"{verb} {self.key} {format_size(self.size_bytes)} ({self.reason})"


@frozen
class InitFiles(Step):
    """One request that creates the pending entries of every file uploaded next (rate limits count
    requests)."""

    keys: tuple[str, ...]
    calls: ClassVar[tuple[str, ...]] = ("init_files",)

    def describe(self) -> str:
        return f"announce {counted(len(self.keys), 'upload')}"


@frozen
class UploadFile(Step):
    """Stream a local file into its pending entry, commit it and verify the server's size and MD5."""

    file: LocalFile
    reason: str
    replaces: bool = False
    # A verification mismatch deletes the entry and uploads once more (see ZenodoClient.upload_file).
    calls: ClassVar[tuple[str, ...]] = ("upload_content", "commit_file", "delete_file", "init_files")

    @property
    def key(self) -> str:
        return self.file.key

    @property
    def size_bytes(self) -> int:
        return self.file.size_bytes

    def describe(self) -> str:
        verb = "replace" if self.replaces else "upload"
        return f"{verb} {self.key} {format_size(self.size_bytes)} ({self.reason})"


@frozen
class UpdateMetadata(Step):
    """`PUT` the draft's document (`If-Match` its revision). A PUT replaces metadata wholesale, so the
    executor adds back the fields zsync does not own from the draft as it is at that moment (what a
    person added on the web is kept). `changes` are the owned fields that differ, for the report."""

    document: Mapping[str, Any] = field(repr=False)
    changes: tuple[FieldChange, ...] = ()
    calls: ClassVar[tuple[str, ...]] = ("update_draft",)

    def describe(self) -> str:
        if not self.changes:
            return "send the metadata (the file order names new files)"
        verb = "set" if change_verb(self.changes) == "set" else "changed"
        return f"send the metadata ({counted(len(self.changes), 'field')} {verb})"


@frozen
class EditPublished(Step):
    """Open an edit draft of the published record (its metadata can change; its files cannot)."""

    record_id: str
    calls: ClassVar[tuple[str, ...]] = ("edit_draft",)

    def describe(self) -> str:
        return f"open an edit draft of published record {self.record_id}"


@frozen
class Publish(Step):
    """Publish the draft: permanent, the DOI is registered."""

    reason: str
    calls: ClassVar[tuple[str, ...]] = ("publish",)

    def describe(self) -> str:
        return f"publish ({self.reason})"


@frozen
class Warn(Step):
    """Tell the person something the run leaves for them to do (printed when the run gets there)."""

    message: str

    def describe(self) -> str:
        return f"warn: {self.message}"


def mutating_calls() -> frozenset[str]:
    """Every client method a plan's steps may call that changes something on Zenodo."""
    return frozenset(call for kind in _step_types() for call in kind.calls)


def _step_types() -> list[type[Step]]:
    # The community steps extend the plan from their own module (which imports this one).
    import zsync.communityplan
    import zsync.shareplan  # noqa: F401

    found: list[type[Step]] = []
    todo = list(Step.__subclasses__())
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


# --------------------------------------------------------------------------- the plan


@frozen
class FileAction:
    """One file's fate. `size_bytes` is the local size (upload/replace/keep) or the remote size (delete)."""

    kind: FileActionKind
    key: str
    size_bytes: int
    local: LocalFile | None = None
    remote: RemoteFile | None = None
    reason: str = ""


@frozen
class Plan:
    """The steps of a sync, in order, and what they are based on.

    `status` is what the run reports once every step ran. `metadata_changes` are the owned fields
    whose remote value differs; `unchanged` the local files already on Zenodo; `warnings` facts about
    the remote state worth telling before anything runs; `notes` facts a person planning wants to
    see whether or not anything changes (when an embargo lifts).
    """

    record_action: RecordAction
    steps: tuple[Step, ...]
    status: Status
    local_version: str
    remote_version: str | None = None
    record_id: str | None = None
    metadata_changes: tuple[FieldChange, ...] = ()
    unchanged: tuple[LocalFile, ...] = ()
    warnings: tuple[str, ...] = ()
    communities: tuple[CommunityStatus, ...] = ()  # see zsync.communityplan
    notes: tuple[str, ...] = ()
    share: SharePlan | None = None  # see zsync.shareplan

    @property
    def uploads(self) -> tuple[UploadFile, ...]:
        """Files whose bytes will be sent: new and changed ones."""
        return tuple(step for step in self.steps if isinstance(step, UploadFile))

    @property
    def deletes(self) -> tuple[DeleteFile, ...]:
        """Remote files deleted for good (not those deleted to be replaced)."""
        return tuple(s for s in self.steps if isinstance(s, DeleteFile) and not s.replaced)

    @property
    def bytes_to_upload(self) -> int:
        return sum(step.size_bytes for step in self.uploads)

    @property
    def is_noop(self) -> bool:
        """True when running the plan would change nothing, on Zenodo or locally."""
        return not self.steps

    def file_rows(self) -> tuple[FileRow, ...]:
        """Every file the plan uploads, replaces, deletes (for good) or keeps, in step order, kept last."""
        rows: list[FileRow] = []
        for step in self.steps:
            if isinstance(step, UploadFile):
                rows.append(
                    FileRow(step.key, "replace" if step.replaces else "upload", step.size_bytes, step.reason)
                )
            elif isinstance(step, DeleteFile) and not step.replaced:
                rows.append(FileRow(step.key, "delete", step.size_bytes, step.reason))
        rows += [FileRow(f.key, "keep", f.size_bytes) for f in self.unchanged]
        return tuple(rows)


@frozen
class FileRow:
    """One line of a plan's file table: `action` is upload, replace, delete or keep."""

    key: str
    action: FileActionKind
    size_bytes: int
    reason: str = ""


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
        elif rf.size_bytes != lf.size_bytes or (rf.md5 or "").lower() != (lf.md5 or "?").lower():
            actions.append(FileAction("replace", lf.key, lf.size_bytes, lf, rf, reason="content differs"))
        else:
            actions.append(FileAction("keep", lf.key, lf.size_bytes, lf, rf))
    local_keys = {lf.key for lf in local}
    for rf in remote:
        if rf.key not in local_keys:
            reason = "not in paths" if rf.status == "completed" else f"leftover {rf.status} upload"
            actions.append(FileAction("delete", rf.key, rf.size_bytes or 0, remote=rf, reason=reason))
    return tuple(actions)


def file_steps(actions: Sequence[FileAction]) -> tuple[Step, ...]:
    """Deletes first (a changed file is never left looking current), then one init, then the uploads."""
    steps: list[Step] = []
    for a in actions:
        if a.kind in ("delete", "replace") and a.remote is not None:
            steps.append(DeleteFile(a.key, a.remote.size_bytes or 0, a.reason, replaced=a.kind == "replace"))
    uploads = [a for a in actions if a.kind in ("upload", "replace") and a.local is not None]
    if uploads:
        steps.append(InitFiles(tuple(a.key for a in uploads)))
    for a in uploads:
        assert a.local is not None
        steps.append(UploadFile(a.local, a.reason, replaces=a.kind == "replace"))
    return tuple(steps)


# --------------------------------------------------------------------------- planning


@frozen
class _Context:
    """The inputs every planner below shares."""

    config: Config
    local: tuple[LocalFile, ...]
    state: RemoteState
    today: str
    options: PlanOptions

    @property
    def version(self) -> str:
        return self.config.metadata.version

    def desired(self, publication_date: str) -> dict[str, Any]:
        return _not_identical_to_itself(
            render_document(self.config, publication_date=publication_date, today=self.today), self.state
        )

    def document_of(self, remote: RemoteRecord) -> dict[str, Any]:
        """The parts of a server record `diff_owned` compares. On a published record an embargo
        whose date has come reads as lifted, whether or not Zenodo's daily task has run yet. A draft
        is compared as it is: the task lifts no new draft, nor an edit draft whose access differs
        from its record's, and publishing a stale active embargo is refused, so zsync lifts it."""
        files = {"default_preview": remote.default_preview} if remote.has_files_block else None
        access = remote.access if remote.is_draft else effective_access(remote.access, self.today)
        document: dict[str, Any] = {
            "metadata": remote.metadata,
            "custom_fields": remote.custom_fields,
            "access": access,
        }
        if files is not None:
            document["files"] = files
        return document

    def changes(self, desired: Mapping[str, Any], remote: RemoteRecord) -> tuple[FieldChange, ...]:
        """The owned fields that differ, and the publication date when the config gives one."""
        found = diff_owned(desired, self.document_of(remote))
        mine, theirs = self.config.metadata.publication_date, remote.metadata.get("publication_date")
        if mine is not None and mine != theirs:
            found.append(FieldChange("metadata.publication_date", theirs, mine))
        return tuple(found)

    def order(self, published: str | None) -> int:
        """How the local version compares with `published`; an explicit version follows one that
        cannot be ordered (the way on from a published `first release`)."""
        explicit = self.options.explicit_version and published is not None
        if explicit and not is_orderable(published or "") and published != self.version:
            return 1
        return compare_versions(self.version, published)


def _not_identical_to_itself(document: dict[str, Any], state: RemoteState) -> dict[str, Any]:
    """Without the related identifiers that say the record `isidenticalto` one of its own DOIs (or
    its previous version's): what a CITATION.cff with `doi` gives once zsync wrote the DOI there
    (`write_back`), and what the record cannot say of itself."""
    records = (state.draft, state.record, state.previous)
    own = {doi.lower() for r in records if r is not None for doi in (r.doi, r.concept_doi) if doi}
    related = document.get("metadata", {}).get("related_identifiers")
    if not own or not related:
        return document

    def is_own(item: Mapping[str, Any]) -> bool:
        relation = item.get("relation_type", {}).get("id")
        return relation == "isidenticalto" and str(item.get("identifier", "")).lower() in own

    kept = [item for item in related if not is_own(item)]
    if len(kept) == len(related):
        return document
    return {**document, "metadata": {**document["metadata"], "related_identifiers": kept}}


def compute_plan(
    config: Config,
    local_files: Sequence[LocalFile],
    state: RemoteState,
    *,
    today: str,
    options: PlanOptions = PlanOptions(),
) -> Plan:
    """The steps that make the record described by `state` match `config` and `local_files`.

    `today` is the ISO date a new draft, a new version or a first publication gets. Raises SyncError
    for states that forbid a sync: published files that differ at the same version, an explicit
    version lower than the published one (or the same one written differently), or a next-version
    draft whose version is not above the published one. Without an explicit version (the push
    workflow, beside a release workflow that sets the version from its tag) a draft's higher version is
    kept and a published higher version is left alone: see `_keep_draft_version`, `_plan_behind`.
    """
    ctx = _Context(config, tuple(local_files), state, today, options)
    notes = check_embargo(config, state.record or state.draft, today)
    if state.record is not None:
        plan = _plan_published(ctx, state.record)
    elif state.draft is not None:
        plan = _plan_draft(ctx, state.draft)
    else:
        plan = _plan_create(ctx)
    if state.followed:
        first = WriteRecordId(state.followed, "the id file named an older version")
        plan = replace(plan, steps=(first, *plan.steps))
    return replace(plan, notes=(*plan.notes, *notes))


def check_embargo(config: Config, remote: RemoteRecord | None, today: str) -> tuple[str, ...]:
    """When the config's embargo lifts, as a note; a ConfigError for one whose date has come on a
    record that does not have it (Zenodo refuses an active embargo in the past, and a date typed a
    year early must not make the files public). An embargo the record has, ended, is Zenodo's to
    lift (its daily task makes the files public), and zsync follows."""
    embargo = config.access.embargo
    if embargo is None:
        return ()
    days = (dt.date.fromisoformat(embargo.until) - dt.date.fromisoformat(today)).days
    if days > 0:
        lifts = f"{embargo.until} (in {counted(days, 'day')})"
        return (f"access: the files are embargoed until {lifts}, then public",)
    had = remote.access.get("embargo") if remote is not None else None
    if isinstance(had, Mapping) and str(had.get("until") or "")[:10] == embargo.until:
        now = "Zenodo's daily task makes the files public" if had.get("active") else "the files are public"
        return (f"access: the embargo ended on {embargo.until}; {now}",)
    field_path = "access.embargo.until"
    raise ConfigError(
        [
            Problem(
                str(config.source),
                config.line_of(field_path),
                field_path,
                f"{embargo.until} is not in the future (today is {today}, UTC) and "
                + ("the record does not have this embargo" if remote is not None else "the record is new")
                + ": Zenodo refuses an embargo that has ended",
                "write a later date, or remove the embargo to publish the files openly",
            )
        ]
    )


def _publish_step(ctx: _Context) -> tuple[Step, ...]:
    if not ctx.options.publish:
        return ()
    if is_prerelease(ctx.version):
        warn = Warn(
            f"version {ctx.version} is a pre-release, and publishing mints a permanent DOI for it "
            "(Zenodo records cannot be unpublished); publish only releases to avoid this"
        )
        return (warn, Publish("--publish was given"))
    return (Publish("--publish was given"),)


def _plan_create(ctx: _Context) -> Plan:
    desired = ctx.desired(ctx.today)
    # Against an empty record: what the first sync sets, shown by `zsync plan` before it.
    changes = tuple(diff_owned(desired, {"metadata": {}, "custom_fields": {}, "access": {}, "files": {}}))
    uploads = tuple(FileAction("upload", f.key, f.size_bytes, local=f, reason="new") for f in ctx.local)
    # At creation the files do not exist yet: their order is sent with the metadata after the uploads.
    create_document = {**desired, "files": {"enabled": True}}
    steps: list[Step] = [CreateDraft(create_document), WriteRecordId(None, "a new draft")]
    if ctx.options.reserve_doi:
        steps.append(ReserveDoi())
    steps += [*file_steps(uploads), UpdateMetadata(desired, changes), *_publish_step(ctx)]
    return Plan("create", tuple(steps), "created", ctx.version, metadata_changes=changes)


def _publication_date(ctx: _Context, draft: RemoteRecord) -> str:
    """The config's `metadata.publication_date`; else a draft keeps the date of its first sync until
    zsync publishes it (then: today)."""
    kept = draft.metadata.get("publication_date")
    if ctx.config.metadata.publication_date is not None:
        return ctx.config.metadata.publication_date
    if ctx.options.publish or not isinstance(kept, str):
        return ctx.today
    return kept


def _plan_draft(ctx: _Context, draft: RemoteRecord) -> Plan:
    """An unpublished draft (new, or the next version): change it in place."""
    state = ctx.state
    remote_files = state.draft_files
    ctx, notes = _keep_draft_version(ctx, draft)
    if (draft.version_index or 1) > 1:
        _check_next_version(ctx, draft)
        if state.needs_import:
            assert state.previous is not None
            remote_files = state.previous.files
    date = _publication_date(ctx, draft)
    desired = ctx.desired(date)
    changes = diff_owned(desired, ctx.document_of(draft))
    if draft.metadata.get("publication_date") != date:
        changes.append(FieldChange("metadata.publication_date", draft.metadata.get("publication_date"), date))
    actions = diff_files(ctx.local, remote_files)
    steps: list[Step] = []
    if state.adopted:
        steps.append(WriteRecordId(draft.id, "a draft left without an id file"))
    if ctx.options.reserve_doi and not draft.doi and not draft.doi_pending:
        steps.append(ReserveDoi())
    if state.needs_import:
        assert state.previous is not None
        steps.append(ImportFiles(state.previous.id, tuple(f.key for f in state.previous.files)))
    steps += file_steps(actions)
    # files.default_preview and files.order name keys, and deleting a file (a replaced one too)
    # takes its key out of both (InvenioRDM's FilesManager.delete): the document is sent again after.
    keys_changed = any(a.kind != "keep" for a in actions)
    if changes or keys_changed:
        steps.append(UpdateMetadata(desired, tuple(changes)))
    steps += _publish_step(ctx)
    status: Status = "new-version" if state.needs_import else "created" if state.adopted else "updated"
    if not state.needs_import and not state.adopted and not _changes_anything(steps):
        status = "unchanged"
    return Plan(
        "update-draft",
        tuple(steps),
        status,
        ctx.version,
        draft.version,
        draft.id,
        tuple(changes),
        _kept(actions),
        _draft_warnings(ctx, draft),
        notes=notes,
    )


def _changes_anything(steps: Sequence[Step]) -> bool:
    return any(step.calls and not isinstance(step, Publish) for step in steps)


def _draft_warnings(ctx: _Context, draft: RemoteRecord) -> tuple[str, ...]:
    if not ctx.state.adopted:
        return ()
    return (
        f"no record id yet, but draft {draft.id} has this title, no files and was never published "
        "(left by a run that stopped right after creating it): using it",
    )


def _keep_draft_version(ctx: _Context, draft: RemoteRecord) -> tuple[_Context, tuple[str, ...]]:
    """A sync without an explicit version (the push workflow) never lowers a draft's version: a
    release gave the draft its version from the tag (`--set-version 1.2.0`) while zenodo.yaml still
    says 1.1.0, and putting 1.1.0 back would undo the release (or fail as not above the published
    1.1.0). A higher metadata.version still raises it; --set-version sets any version."""
    if ctx.options.explicit_version or not draft.version or draft.version == ctx.version:
        return ctx, ()
    if not is_orderable(draft.version) or compare_versions(draft.version, ctx.version) < 0:
        return ctx, ()
    note = (
        f"draft {draft.id} keeps its version {draft.version}: metadata.version {ctx.version} is not above "
        "it, and a sync without --set-version never lowers a draft's version (a release set it)"
    )
    return replace(ctx, config=ctx.config.with_version(draft.version)), (note,)


def _check_next_version(ctx: _Context, draft: RemoteRecord) -> None:
    """Refuse a next-version draft whose version is not above the published one."""
    previous = ctx.state.previous
    if ctx.version == draft.version or previous is None:
        return
    if ctx.order(previous.version) <= 0:
        raise SyncError(
            f"the local version {ctx.version} is not above version {previous.version}, already "
            f"published as record {previous.id}; the open draft {draft.id} was not changed",
            hint=f"set metadata.version above {previous.version}",
        )


def _plan_published(ctx: _Context, record: RemoteRecord) -> Plan:
    order = ctx.order(record.version)
    if order > 0:
        return _plan_new_version(ctx, record)
    if ctx.options.explicit_version:
        _refuse_explicit_version(ctx, record, order)
    elif order < 0:
        return _plan_behind(ctx, record)
    elif record.version and ctx.version != record.version:
        # 1.2 is 1.2.0 as a release published it: the published label stays, the sync goes on.
        plan = _plan_same_version(replace(ctx, config=ctx.config.with_version(record.version)), record)
        note = f"metadata.version {ctx.version} is version {record.version} as record {record.id} has it"
        return replace(plan, notes=(*plan.notes, note))
    return _plan_same_version(ctx, record)


def _refuse_explicit_version(ctx: _Context, record: RemoteRecord, order: int) -> None:
    """An explicit version (a release tag) below the published one, or the same one written otherwise
    (`--set-version 1.2` after 1.2.0): the release asked for what zsync cannot do."""
    if order < 0:
        raise SyncError(
            f"the local version {ctx.version} is lower than the published version {record.version} "
            f"of record {record.id}; nothing was changed",
            hint=f"set metadata.version above {record.version}, or point path_record_id at the right record",
        )
    if ctx.version != record.version:
        # 1.2 and 1.2.0 are the same version, but sending 1.2 would rewrite the published label.
        raise SyncError(
            f"version {ctx.version} is version {record.version}, already published as record {record.id}; "
            "zsync does not rewrite a published version label; nothing was changed",
            hint=f"write {record.version} as it was published, or give a higher version",
        )


def _plan_behind(ctx: _Context, record: RemoteRecord) -> Plan:
    """No explicit version, and metadata.version is below the published one: a release published a
    version from its tag while zenodo.yaml was not raised. Nothing is changed (a lower version is
    never opened, and a config that does not describe the published version does not rewrite it);
    a warning says what differs and how it gets there, and the run succeeds."""
    actions = diff_files(ctx.local, record.files)
    kept = record.metadata.get("publication_date")
    ahead = replace(ctx, config=ctx.config.with_version(record.version or ctx.version))
    changes = ahead.changes(ahead.desired(kept if isinstance(kept, str) else ctx.today), record)
    differ = [a.key for a in actions if a.kind != "keep"] + [c.field for c in changes]
    said = (
        f"metadata.version {ctx.version} is below version {record.version}, published as record "
        f"{record.id}: its files and metadata are left as they are"
    )
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    if differ:
        warnings = (
            f"{said}, though the local {', '.join(differ)} differ: the next release brings them to "
            f"Zenodo, or set metadata.version to {record.version} (metadata only) or above (a new version)",
        )
    else:
        notes = (f"{said} (they match the local ones)",)
    return Plan(
        "leave-published",
        (),
        "unchanged",
        ctx.version,
        record.version,
        record.id,
        unchanged=_kept(actions),
        warnings=warnings,
        notes=notes,
    )


def _plan_same_version(ctx: _Context, record: RemoteRecord) -> Plan:
    """Published, and the local version is the published one: only the metadata may change."""
    actions = diff_files(ctx.local, record.files)
    changed = [a for a in actions if a.kind != "keep"]
    if changed:
        listing = ", ".join(f"{a.key} ({_why(a)})" for a in changed)
        raise SyncError(
            f"record {record.id} is published as version {record.version}, and its files differ from "
            f"the local ones: {listing}",
            hint=(
                "published files are locked; raise metadata.version (e.g. to "
                f"'{_suggest_next(ctx.version)}') to publish them as a new version"
            ),
        )
    # A published record keeps its publication date, whatever day it is edited on.
    kept = record.metadata.get("publication_date")
    desired = ctx.desired(kept if isinstance(kept, str) else ctx.today)
    changes = ctx.changes(desired, record)
    draft = ctx.state.draft
    if draft is not None:
        return _plan_open_edit(ctx, record, draft, desired, changes)
    if not changes:
        return Plan("none", (), "unchanged", ctx.version, record.version, record.id, (), _kept(actions))
    steps = (
        EditPublished(record.id),
        UpdateMetadata(desired, changes),
        Publish("publish the metadata change"),
    )
    return Plan(
        "edit-published", steps, "updated", ctx.version, record.version, record.id, changes, _kept(actions)
    )


def _plan_open_edit(
    ctx: _Context,
    record: RemoteRecord,
    draft: RemoteRecord,
    desired: Mapping[str, Any],
    record_changes: tuple[FieldChange, ...],
) -> Plan:
    """An edit draft is open (someone pressed Edit on the web, or a zsync run stopped mid-edit)."""
    kept = _kept(diff_files(ctx.local, record.files))
    draft_changes = ctx.changes(desired, draft)
    ours_only = unowned_metadata(draft, desired) == unowned_metadata(record, desired)
    changes = record_changes or draft_changes
    if not changes:
        steps: tuple[Step, ...] = ()
        if not ours_only:
            steps = (
                Warn(
                    f"an edit draft of record {draft.id} is open on Zenodo with changes zsync did not make; "
                    "publish or discard it on Zenodo"
                ),
            )
        return Plan("none", steps, "unchanged", ctx.version, record.version, record.id, (), kept)
    update: tuple[Step, ...] = (UpdateMetadata(desired, draft_changes),) if draft_changes else ()
    if ours_only:
        # Only fields zsync owns differ: this is zsync's own edit (or an Edit left untouched); finish it.
        finish: tuple[Step, ...] = (Publish("publish the metadata change"),)
    else:
        finish = (
            Warn(
                f"an edit draft of record {record.id} is open on Zenodo with changes zsync did not make; "
                "updated its metadata but did not publish it (publish it on Zenodo, or run with --publish)"
            ),
            *_publish_step(ctx),
        )
    return Plan(
        "edit-published", (*update, *finish), "updated", ctx.version, record.version, record.id, changes, kept
    )


def _plan_new_version(ctx: _Context, record: RemoteRecord) -> Plan:
    """Published, local version greater: open the next version, import the files, change what differs."""
    desired = ctx.desired(ctx.today)  # a new version is published on its own date
    actions = diff_files(ctx.local, record.files)
    changes = tuple(diff_owned(desired, ctx.document_of(record)))
    steps: list[Step] = [NewVersion(record.id, record.version), WriteRecordId(None, "a new version")]
    if ctx.options.reserve_doi:
        steps.append(ReserveDoi())
    if record.files:
        steps.append(ImportFiles(record.id, tuple(f.key for f in record.files)))
    steps += [*file_steps(actions), UpdateMetadata(desired, changes), *_publish_step(ctx)]
    return Plan(
        "new-version",
        tuple(steps),
        "new-version",
        ctx.version,
        record.version,
        record.id,
        changes,
        _kept(actions),
    )


def _kept(actions: Sequence[FileAction]) -> tuple[LocalFile, ...]:
    return tuple(a.local for a in actions if a.kind == "keep" and a.local is not None)


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


# --------------------------------------------------------------------------- views


def step_as_dict(step: Step) -> dict[str, Any]:
    """A JSON-friendly view of one step (no document bodies: they are in `zsync render`)."""
    view: dict[str, Any] = {"step": type(step).__name__, "description": step.describe()}
    if isinstance(step, UploadFile | DeleteFile):
        view.update(key=step.key, size_bytes=step.size_bytes, reason=step.reason)
    if isinstance(step, UpdateMetadata):
        view["changes"] = [c.field for c in step.changes]
    return view


def _share_as_dict(share: SharePlan) -> dict[str, Any]:
    return {"action": share.action, "permission": share.permission, "expires_at": share.expires_at}


def plan_as_dict(plan: Plan) -> Mapping[str, Any]:
    """A JSON-friendly view for `zsync plan --json` and tests."""
    files = [
        {"action": row.action, "key": row.key, "size_bytes": row.size_bytes, "reason": row.reason}
        for row in plan.file_rows()
    ]
    return {
        "record_action": plan.record_action,
        "record_id": plan.record_id,
        "local_version": plan.local_version,
        "remote_version": plan.remote_version,
        "status": plan.status,
        "steps": [step_as_dict(step) for step in plan.steps],
        "files": files,
        "metadata_changes": [{"field": c.field, "old": c.old, "new": c.new} for c in plan.metadata_changes],
        "bytes_to_upload": plan.bytes_to_upload,
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
        "communities": [asdict(c) for c in plan.communities],
        # Never the link's token or URL: they are secrets (the share-url output).
        "share": None if plan.share is None else _share_as_dict(plan.share),
    }
