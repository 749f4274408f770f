"""The sync engine: read the remote state, plan, run the plan's steps, and say what happened.

This is the public Python API (`zsync.sync`, `zsync.plan`, `zsync.validate`, `zsync.discard`); the CLI
and the GitHub entrypoint are thin layers over it. Three stages, each with one job:
- `read_remote_state(client, config)`: the only reads that decide anything, into a frozen `RemoteState`;
- `zsync.planning.compute_plan(...)`: pure, the ordered steps (the document rendered once, there);
- `execute(plan, ...)`: runs the steps in order and nothing else. Its only decisions are reconciliations
  after an answer that contradicts what the plan assumed (an already open next-version draft that has
  files: the state is read again and planned again, once).
The engine never prints: it reports through an injected `Reporter` and returns a `SyncResult`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from functools import singledispatch
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from zsync import atomicwrite, cancel, createnote, writeback
from zsync._version import __version__
from zsync.communityplan import RemoveCommunity, RequestInclusion, SetReview, SubmitReview, with_communities
from zsync.config import (
    TOKEN_SOURCES,
    Arguments,
    load_config,
    matched_lines,
    resolve_token,
    token_file_problem,
    unread_token_variables,
)
from zsync.createnote import CreateNote, CreateNotes
from zsync.deadline import RunDeadline
from zsync.errors import (
    ConfigError,
    ConflictError,
    GoneError,
    NotFoundError,
    Problem,
    RemoteError,
    SyncError,
    UsageError,
)
from zsync.frozen import field, frozen, replace
from zsync.localfiles import build_archives, hash_files, stat_files
from zsync.metadata import merge_unowned
from zsync.models import Config, FieldChange, LocalFile, RemoteRecord, ShareLink
from zsync.planning import (
    CreateDraft,
    DeleteFile,
    EditPublished,
    ImportFiles,
    InitFiles,
    NewVersion,
    Plan,
    PlanOptions,
    Publish,
    RemoteState,
    ReserveDoi,
    Step,
    UpdateMetadata,
    UploadFile,
    Warn,
    WriteRecordId,
    compute_plan,
)
from zsync.planning import Status as PlanStatus
from zsync.preflight import check_vocabularies
from zsync.report import NullReporter, Reporter, format_size
from zsync.reviews import INCLUSION, REFUSED_STATUSES, CommunityRequest, CommunityState, CommunityStatus
from zsync.shareplan import CreateShareLink, DeleteShareLink, share_setting, share_url, with_share
from zsync.units import counted
from zsync.versions import release_version

if TYPE_CHECKING:
    from zsync.api import RetryPolicy, ZenodoClient


Status = PlanStatus | Literal["validated", "planned"]
State = Literal["draft", "published"]


class RecordIdHook(Protocol):
    """`on_record_id(path, id, *also)`: called the moment the id file gets a new id, before any
    upload; with `write_back`, once the DOI is written, `also` naming the files written (the id
    file's own change then waits for them: one call, one commit)."""

    def __call__(self, path: Path, record_id: str, /, *also: Path) -> None: ...


@frozen
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
    communities: tuple[CommunityStatus, ...] = ()
    written: tuple[Path, ...] = ()  # the files `write_back` wrote (the DOI, the version)
    share: ShareResult | None = None


@frozen
class ShareResult:
    """The share link for co-authors after a run: what was done (`created`, `replaced`, `reused`;
    `planned` for a dry run, `waiting` for a view link before publication), its permission and
    date. `url` and `token` (None for a dry run) are secrets: the entry points mask them and show
    them only where asked."""

    action: str
    permission: str
    expires_at: str | None
    url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- public API


def validate(
    config_path: str | Path,
    *,
    check_files: bool = True,
    files: Sequence[str] = (),
    description: str | None = None,
    cwd: Path | None = None,
) -> Config:
    """Load and validate a config offline (with `files` and `description` as arguments, relative to
    `cwd`); raises ConfigError listing every problem."""
    arguments = Arguments(tuple(files), description, cwd) if files or description is not None else None
    return load_config(Path(config_path), check_files=check_files, arguments=arguments)


def plan(config_path: str | Path, **kwargs: Any) -> SyncResult:
    """Read the remote state and compute the plan; change nothing. Same arguments as `sync`."""
    return sync(config_path, dry_run=True, **kwargs)


_FROM_ENVIRONMENT: Any = object()


def _tell_how_read(config: Config, reporter: Reporter) -> None:
    """The notices of how the config was read, and what its metadata sources hold that is not sent."""
    for notice in config.notices:
        reporter.info(notice)
    for warning in config.warnings:
        reporter.warning(warning)


def utc_today() -> dt.date:
    """Today's date in UTC: the calendar Zenodo's dates and its embargo task use."""
    return dt.datetime.now(dt.UTC).date()


def sync(  # noqa: PLR0913 (the public API takes keyword arguments; _Run bundles them)
    config_path: str | Path,
    *,
    token: str | None = _FROM_ENVIRONMENT,
    version: str | None = None,
    publish: bool = False,
    dry_run: bool = False,
    reserve_doi: bool = True,
    submit_review: bool = False,
    share_link: bool = False,
    reporter: Reporter | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    on_record_id: RecordIdHook | None = None,
    client: ZenodoClient | None = None,
    retry: RetryPolicy | None = None,
    today: Callable[[], dt.date] = utc_today,
    files: Sequence[str] = (),
    description: str | None = None,
    require_token: bool = False,
    timeout_minutes: float | None = None,
) -> SyncResult:
    """Make the Zenodo record match the local dataset described by `config_path`.

    `token`: the Zenodo token; by default resolved from `environ` (ZENODO_TOKEN, REPREP_ZENODO_TOKEN,
    a .env file, then REPREP_PATH_ZENODO_TOKEN or `path_token`). With no token the config is validated
    and nothing is sent (status "validated"), unless `require_token` (then a UsageError), or the run
    is a GitHub Actions job with a token variable zsync does not read (a UsageError naming it).
    `files` and `description` are added to the config's, as command-line arguments (stepup-reprep
    4.x's way), relative to `cwd`. `version` overrides metadata.version (a release tag; a leading
    "v" is dropped). `dry_run` reads the remote state and returns the plan (status "planned") without
    changing it. `submit_review` is `review: submit`, `share_link` `share: {}` (when the config has
    none); `reserve_doi` reserves a DOI before publication. `on_record_id(path, id, *also)` is called
    the moment the id file changes, before any upload (with `write_back`, once the DOI is in the files
    `also` names): the action commits and pushes them. `cwd`: where a `.env` is looked for first.
    `timeout_minutes` (default ZSYNC_TIMEOUT_MINUTES, else 300) bounds the run. Raises ConfigError,
    SyncError (a remote state that forbids the sync), RemoteError (DeadlineError past the limit)."""
    reporter, env = reporter or NullReporter(), os.environ if environ is None else environ
    deadline = RunDeadline.from_settings(timeout_minutes, env)
    with cancel.stopping_at(cancel.StopPoint()), ExitStack() as cleanup:  # a stop before any step: no change
        with reporter.phase("Validate configuration"):
            given = files or description is not None
            arguments = Arguments(tuple(files), description, cwd) if given else None
            config = load_config(Path(config_path), arguments=arguments)
            _tell_how_read(config, reporter)
            if version:
                config = config.with_version(release_version(version))
            looked = token is _FROM_ENVIRONMENT  # else the caller (the Action) passed it, or None
            token = resolve_token(config, env, cwd=cwd) if looked else token
            workdir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="zsync-archives-"))
            local_files = read_local_files(config, reporter, Path(workdir))
        if not token and client is None:
            return _without_token(config, local_files, env, require_token=require_token, looked=looked)
        if client is None:
            client = make_client(config, token or "", env, ClientLimits(retry, deadline), reporter)
        options = PlanOptions(publish, reserve_doi, submit_review, share_link, bool(version))
        notes = CreateNotes.of(env, config.endpoint, config.path_record_id)
        run = _Run(config, client, reporter, on_record_id, options, today().isoformat(), notes, Path(workdir))
        with client:
            return run.sync(local_files, dry_run=dry_run)


def read_local_files(config: Config, reporter: Reporter, workdir: Path) -> tuple[LocalFile, ...]:
    """The data files (stat and MD5), then the archives built into `workdir`; what each glob matched
    and each archive holds is reported."""
    for line in matched_lines(config):
        reporter.info(line)
    local_files = stat_files(config.paths) + build_archives(config.archives, workdir)
    for archive, built in zip(config.archives, local_files[len(config.paths) :], strict=True):
        reporter.info(
            f"{built.key}: {archive.kind} of {archive.source}, {counted(built.members or 0, 'file')}, "
            f"{format_size(built.size_bytes)}"
        )
    reporter.info(
        f"{config.metadata.title!r} version {config.metadata.version}: "
        f"{counted(len(local_files), 'file')}, {format_size(sum(f.size_bytes for f in local_files))}"
    )
    return local_files


def _why_no_token(config: Config, environ: Mapping[str, str], *, looked: bool) -> str:
    """`no Zenodo token`, with what a user who named a token file needs to hear: that file gave none
    (`zenodo.yaml:4: path_token: the token file /x/missing.txt does not exist`), or it was not read
    because the token is passed in (the Action's token input)."""
    if looked:
        problem = token_file_problem(config, environ)
        return f"no Zenodo token ({problem})" if problem else "no Zenodo token"
    if config.path_token is None:
        return "no Zenodo token"
    line = config.line_of("path_token")
    where = f"{config.source.name}{f':{line}' if line else ''}"
    return f"no Zenodo token (none was passed in, and then path_token, {where}, is not read)"


def _without_token(
    config: Config,
    local_files: tuple[LocalFile, ...],
    environ: Mapping[str, str],
    *,
    require_token: bool,
    looked: bool,
) -> SyncResult:
    """No token: the config and files were validated; refused when a token was required, or when a
    CI job set a token variable zsync does not read (it would otherwise succeed having sent nothing).
    `looked` says zsync looked for the token itself (not handed one by the Action), see _why_no_token."""
    why = _why_no_token(config, environ, looked=looked)
    unread = unread_token_variables(environ) if environ.get("GITHUB_ACTIONS") == "true" else []
    if unread:
        raise UsageError(
            f"no Zenodo token, but {', '.join(unread)} is set: zsync does not read "
            f"{'that variable' if len(unread) == 1 else 'those variables'}; nothing was sent",
            hint=f"pass the secret as {TOKEN_SOURCES}",
        )
    if require_token:
        raise UsageError(
            f"{why}, and one is required (require-token); nothing was sent",
            hint=f"zsync reads {TOKEN_SOURCES}",
        )
    return SyncResult(
        status="validated",
        state=None,
        record_id_path=config.path_record_id,
        record_id=config_record_id(config),
        local_files=local_files,
        notes=(
            f"{why}: validated the configuration and files only; nothing was sent "
            f"(zsync reads {TOKEN_SOURCES})",
        ),
    )


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
    record_id = config_record_id(config)
    if record_id is None:
        return None
    env = os.environ if environ is None else environ
    if token is _FROM_ENVIRONMENT:
        token = resolve_token(config, env)
    if not token and client is None:
        raise SyncError("discarding a draft needs a Zenodo token", hint="set ZENODO_TOKEN or path_token")
    if client is None:
        client = make_client(
            config, token or "", env, ClientLimits(None, RunDeadline.from_settings(None, env)), None
        )
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
        if config.record_ids_by_version:
            forget_version(config.path_record_id, config.metadata.version)
        elif previous is None:
            config.path_record_id.unlink(missing_ok=True)
        else:
            write_record_id(config.path_record_id, previous)
        return record_id


# --------------------------------------------------------------------------- the record-id file


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
    _write_atomically(path, record_id + "\n")
    return True


def _write_atomically(path: Path, text: str) -> None:
    atomicwrite.write_text(path, text)


# stepup-reprep 1.x kept the record ids in a JSON file {version: record id} (`path_versions`); zsync
# reads and writes it the way 1.x did, so the two tools can take turns on the same repository.


def config_record_id(config: Config) -> str | None:
    """The record id the config's id file gives: for a 1.x versions file, this version's id, else
    the highest id in it (as 1.x's load_version; the engine then follows it to the latest version)."""
    if not config.record_ids_by_version:
        return read_record_id(config.path_record_id)
    versions = _read_versions(config.path_record_id)
    if not versions:
        return None
    found = versions.get(config.metadata.version)
    return str(found if found is not None else max(versions.values()))


def write_config_record_id(config: Config, record_id: str) -> bool:
    """Write the id for this config (the version's entry of a 1.x versions file); True when it changed."""
    if not config.record_ids_by_version:
        return write_record_id(config.path_record_id, record_id)
    versions = _read_versions(config.path_record_id)
    if versions.get(config.metadata.version) == int(record_id):
        return False
    versions[config.metadata.version] = int(record_id)
    _write_atomically(config.path_record_id, json.dumps(versions, indent=2) + "\n")
    return True


def forget_version(path: Path, version: str) -> None:
    """Drop a discarded draft's version from a 1.x versions file (the file goes when it is empty)."""
    versions = _read_versions(path)
    if versions.pop(version, None) is None:
        return
    if versions:
        _write_atomically(path, json.dumps(versions, indent=2) + "\n")
    else:
        path.unlink(missing_ok=True)


def _read_versions(path: Path) -> dict[str, int]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    data = json.loads(text or "{}")  # checked by the config's file pass
    return {str(version): int(record_id) for version, record_id in data.items()}


@frozen
class ClientLimits:
    """What bounds a client's time: its retry policy (None: from the environment) and the run's deadline."""

    retry: RetryPolicy | None
    deadline: RunDeadline


# A loopback endpoint's requests never go through HTTP_PROXY & co. unless this variable says so (a
# CI job that reaches an emulator through a proxy); otherwise a proxy would see the token.
PROXY_LOOPBACK_VARIABLE = "ZSYNC_ALLOW_PROXY_FOR_LOOPBACK"


def make_client(
    config: Config,
    token: str,
    environ: Mapping[str, str],
    limits: ClientLimits,
    reporter: Reporter | None,
) -> ZenodoClient:
    """The client for this config's endpoint; imported here so validation never loads requests."""
    from zsync.api import RetryPolicy, ZenodoClient

    return ZenodoClient(
        config.endpoint,
        token,
        retry=limits.retry or RetryPolicy.from_environ(environ),
        reporter=reporter,
        run_deadline=limits.deadline,
        index_lag_s=createnote.index_lag_s(environ),
        proxy_loopback=environ.get(PROXY_LOOPBACK_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on"),
    )


# --------------------------------------------------------------------------- reading the remote state


def read_remote_state(
    client: ZenodoClient, config: Config, *, adopt: RemoteRecord | None = None
) -> RemoteState:
    """The draft and/or published record the id file leads to, with what the plan needs of them.

    Without an id file, `adopt` (the draft a stopped run's create made, found by the caller), else a
    never-published draft with the config's title and no files is adopted (what a run leaves when it
    stops between Zenodo's answer to create and writing the id file). An id that names an older
    published version is followed to the latest one. Raises SyncError for an id that does not exist
    at this endpoint or names a deleted record.
    """
    return _with_communities(client, config, _read_record_state(client, config, adopt))


def _read_record_state(client: ZenodoClient, config: Config, adopt: RemoteRecord | None) -> RemoteState:
    record_id = config_record_id(config)
    if record_id is None:
        orphan = adopt or client.find_orphan_draft(config.metadata.title)
        if orphan is None:
            return RemoteState()
        return _with_draft_details(client, config, RemoteState(draft=orphan, adopted=True))
    return _resolve(client, config, record_id, record_id)


def _with_communities(client: ZenodoClient, config: Config, state: RemoteState) -> RemoteState:
    """The config's communities (each must exist: else a config error), the record's, and the
    requests that decide what to do: the draft's review, or the published record's inclusions."""
    if not config.communities:
        return state
    from zsync.apicommunities import members_of, review_of  # the client's module: imports requests

    found, problems = [], []
    for index, slug in enumerate(config.communities):
        community = client.get_community(slug)
        if community is None:
            field_path = f"communities[{index}]" if len(config.communities) > 1 else "communities"
            problems.append(
                Problem(
                    str(config.source),
                    config.line_of(f"communities[{index}]"),
                    field_path,
                    f"there is no community {slug!r} at {config.endpoint}",
                    "write the identifier from the community's address (.../communities/IDENTIFIER); "
                    "zenodo.org and the sandbox have different communities",
                )
            )
        else:
            found.append(community)
    if problems:
        raise ConfigError(problems)
    current = state.record or state.draft
    communities = CommunityState(tuple(found), members_of(current.document) if current else ())
    if state.record is None and state.draft is not None:
        draft = state.draft
        first = (draft.version_index or 1) <= 1
        review = review_of(draft.document) if first else client.get_review(draft.id)
        communities = replace(communities, review=_with_comment(client, review))
    elif state.record is not None and any(c.id not in communities.member_ids for c in found):
        mine = [r for r in client.record_requests(state.record.id) if r.type == INCLUSION]
        communities = replace(communities, requests=tuple(_commented(client, r) for r in mine))
    return replace(state, communities=communities)


def _with_comment(client: ZenodoClient, request: CommunityRequest | None) -> CommunityRequest | None:
    return None if request is None else _commented(client, request)


def _commented(client: ZenodoClient, request: CommunityRequest) -> CommunityRequest:
    """A refused request with the curator's comment (from its timeline)."""
    if request.status not in REFUSED_STATUSES:
        return request
    return replace(request, comment=client.request_comment(request.id))


def _resolve(client: ZenodoClient, config: Config, record_id: str, from_file: str) -> RemoteState:
    followed = record_id if record_id != from_file else None
    draft = client.get_draft(record_id)
    if draft is not None and not draft.is_published:
        return _with_draft_details(client, config, RemoteState(from_file, draft, followed=followed))
    source = config.path_record_id.name
    try:
        record = client.get_record(record_id)
    except NotFoundError as exc:
        raise SyncError(
            f"record {record_id} (from {source}) does not exist at {config.endpoint}",
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
    if not record.is_latest and followed is None:
        return _resolve(client, config, client.latest_version_id(record_id), from_file)
    return RemoteState(from_file, draft, record, followed=followed)


def _with_draft_details(client: ZenodoClient, config: Config, state: RemoteState) -> RemoteState:
    """An unpublished draft's files; for a next-version draft, the published version before it when
    the plan needs it (the local version changed, or the draft's files were never imported)."""
    draft = state.draft
    assert draft is not None
    files = client.list_files(draft.id)
    if (draft.version_index or 1) <= 1 or (files and config.metadata.version == draft.version):
        return replace(state, draft_files=files)
    previous = client.get_record(client.latest_version_id(draft.parent_id or draft.id))
    return replace(
        state, draft_files=files, previous=previous, needs_import=not files and bool(previous.files)
    )


def _previous_version_id(client: ZenodoClient, draft: RemoteRecord) -> str | None:
    """For a next-version draft, the latest published version of its concept; None for a first draft."""
    if draft.parent_id is None or (draft.version_index or 1) <= 1:
        return None
    try:
        return client.latest_version_id(draft.parent_id)
    except NotFoundError:
        return None


# --------------------------------------------------------------------------- running a sync


@frozen
class Progress:
    """What the steps run so far produced (each step returns a new one; nothing is mutated).

    `draft_id` is the draft the steps act on; `draft` that draft as the last step that returned it
    left it, or None once a later step changed its revision (files); `final` the record or draft the
    run ends on.
    """

    draft_id: str | None
    draft: RemoteRecord | None
    final: RemoteRecord | None
    uploaded: int = 0
    deleted: int = 0
    bytes_uploaded: int = 0
    id_changed: bool = False
    requests: tuple[CommunityRequest, ...] = ()  # made or submitted by this run
    under_review: bool = False  # the draft was submitted for review: the curators publish it
    id_pending: bool = False  # the id file changed; its commit waits for the WriteBack step
    written: tuple[Path, ...] = ()  # files the WriteBack step wrote
    replan: bool = False  # a written file is published: read the local files again, plan the rest
    share_link: ShareLink | None = None  # the share link this run made

    @classmethod
    def start(cls, state: RemoteState) -> Progress:
        """Before the first step: the steps act on the draft (an edit draft has the record's id); a
        run whose steps leave a published record alone ends on that record, not on an open edit draft."""
        current = state.current
        return cls(current.id if current else None, state.draft, state.record or state.draft)


class _Resumed(Exception):
    """The next-version draft Zenodo answered with was already open and has files: plan again."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(draft_id)
        self.draft_id = draft_id


@frozen
class _Run:
    """One sync's collaborators, fixed for the run."""

    config: Config
    client: ZenodoClient
    reporter: Reporter
    on_record_id: RecordIdHook | None
    options: PlanOptions
    today: str
    notes: CreateNotes
    workdir: Path  # where the archives are built (again, after a write-back)

    def read_local(self) -> tuple[LocalFile, ...]:
        return read_local_files(self.config, self.reporter, self.workdir)

    def sync(self, local: tuple[LocalFile, ...], *, dry_run: bool) -> SyncResult:
        state, the_plan = self.read_and_plan(local, dry_run=dry_run)
        if dry_run:
            return self.result(the_plan, Progress(None, None, state.current), local, planned=True)
        if the_plan.is_noop:  # no `Apply` header over nothing
            return self.result(the_plan, Progress.start(state), local)
        with self.reporter.phase("Apply"):
            try:
                the_plan, done = self.run_plan(the_plan, state)
            except _Resumed as resumed:
                # Reported as the new version it is, with the steps that actually ran.
                reopened = cancel.StopPoint(
                    ("open a new version (its draft was already open)",), None, (), resumed.draft_id
                )
                with cancel.stopping_at(reopened):
                    again, done = self.resume(local, resumed.draft_id)
                the_plan = replace(again, record_action=the_plan.record_action, status=the_plan.status)
        return self.result(the_plan, done, local)

    def run_plan(self, the_plan: Plan, state: RemoteState) -> tuple[Plan, Progress]:
        """Execute the plan; when its WriteBack step wrote a published file, plan the rest again
        against the local files as they are now (reported as the plan it continues)."""
        done = execute(the_plan, Progress.start(state), self)
        if not done.replan:
            return the_plan, done
        self.reporter.info("the DOI was written into a published file: reading the files again")
        state, again = self.read_and_plan(self.read_local(), dry_run=False, preflight=False)
        rest = execute(again, Progress.start(state), self)
        if rest.replan:
            raise SyncError("writing the DOI back changed the files twice", hint="please report it")
        cut = next(i for i, step in enumerate(the_plan.steps) if isinstance(step, writeback.WriteBack))
        merged = replace(
            again,
            steps=(*the_plan.steps[: cut + 1], *again.steps),
            record_action=the_plan.record_action,
            status=the_plan.status,
            metadata_changes=the_plan.metadata_changes or again.metadata_changes,
        )
        return merged, replace(rest, id_changed=done.id_changed or rest.id_changed, written=done.written)

    def read_and_plan(
        self, local: tuple[LocalFile, ...], *, dry_run: bool, preflight: bool = True
    ) -> tuple[RemoteState, Plan]:
        with self.reporter.phase("Read the record on Zenodo"):
            if preflight:
                # Before anything is sent: this instance's vocabularies know every id the config names.
                asked = check_vocabularies(self.config, self.client.vocabulary_has)
                self.reporter.info(f"{counted(asked, 'vocabulary id')} known at {self.client.endpoint}")
            state = self.read_state()
            setting = share_setting(self.config, self.options)
            if setting is not None and state.current is not None:
                state = replace(state, share_links=self.client.share_links(state.current.id))
            if state.current is None:
                self.reporter.info("no record id yet: a new draft will be created")
            if state.followed:
                self.reporter.warning(
                    f"record {state.record_id} is not the latest version; following it to {state.followed}"
                )
        # Only a file with the key and size of a remote one is hashed now; the others are uploaded
        # anyway, and hashed as they are sent.
        local = hash_files(local, state.sizes_by_key())
        try:
            the_plan = compute_plan(self.config, local, state, today=self.today, options=self.options)
            the_plan = with_communities(the_plan, self.config, state, self.options)
            texts = writeback.read_texts(self.config.write_back)
            the_plan = writeback.with_write_back(the_plan, self.config, texts, state)
            the_plan = with_share(the_plan, setting, state, today=dt.date.fromisoformat(self.today))
        except SyncError:
            if state.followed and not dry_run:
                # The id file is corrected even when the sync is refused: it names the latest version.
                execute_step(WriteRecordId(state.followed, "an older version"), Progress.start(state), self)
            raise
        report_plan(the_plan, self.reporter)
        return state, the_plan

    def read_state(self) -> RemoteState:
        """The remote state. With no id yet but the note of a create that a stopped run sent, the
        draft it may have made is waited for first: Zenodo's search lags behind a create."""
        note = self.notes.read() if config_record_id(self.config) is None else None
        if note is None:
            return read_remote_state(self.client, self.config)
        found = self.await_created(note)
        state = read_remote_state(self.client, self.config, adopt=found)
        if state.current is None:
            self.reporter.warning(
                f"no draft titled {note.title!r} showed up in Zenodo's search within "
                f"{self.client.index_lag_s:g} s of the create a stopped run sent at "
                f"{_utc_time(note.last_sent_epoch_s)}: creating one. Should that run's draft show up "
                "later (empty, same title), discard it on Zenodo"
            )
        return state

    def await_created(self, note: CreateNote) -> RemoteRecord | None:
        """The draft the noted create made, once Zenodo's search shows it (bounded by the index lag)."""
        lag_s, sent = self.client.index_lag_s, _utc_time(note.last_sent_epoch_s)
        until_epoch_s = note.last_sent_epoch_s + lag_s
        left_s = min(until_epoch_s - self.client.retry.wall_clock(), lag_s)
        if left_s > 0:
            self.reporter.info(
                f"a run stopped at {sent} while creating the draft {note.title!r}: waiting up to "
                f"{left_s:.0f} s for Zenodo's search to show it ({createnote.INDEX_LAG_VARIABLE}={lag_s:g})"
            )
        found = self.client.await_new_drafts(note.title, note.first_sent_epoch_s, until_epoch_s=until_epoch_s)
        if not found:
            return None
        if len(found) > 1:
            self.reporter.warning(
                f"{counted(len(found), 'empty draft')} titled {note.title!r} were made since {sent}: "
                f"continuing {found[0].id}, the oldest; discard {', '.join(d.id for d in found[1:])} "
                "on Zenodo if a duplicate"
            )
        return found[0]

    def resume(self, local: tuple[LocalFile, ...], draft_id: str) -> tuple[Plan, Progress]:
        """The next-version draft already existed with files (a run whose id file never reached the
        repository, or a new version started on the web): record its id, then plan against it. The
        id file now names that draft, so the plan is an update of it (no second NewVersion)."""
        self.reporter.info(f"the new version's draft {draft_id} was already open: continuing it")
        written = execute_step(
            WriteRecordId(draft_id, "the new version's draft"), Progress(None, None, None), self
        )
        state, again = self.read_and_plan(local, dry_run=False)
        again, done = self.run_plan(again, state)
        return again, replace(done, id_changed=done.id_changed or written.id_changed)

    def result(
        self, the_plan: Plan, done: Progress, local: tuple[LocalFile, ...], *, planned: bool = False
    ) -> SyncResult:
        current = done.final
        published = bool(current and current.is_published and not current.is_draft)
        # A plan that changes nothing may still leave differing files alone (leave-published).
        unchanged = len(the_plan.unchanged) if planned or the_plan.is_noop else len(local) - done.uploaded
        return SyncResult(
            status="planned" if planned else the_plan.status,
            state=None if current is None else ("published" if published else "draft"),
            record_id_path=self.config.path_record_id,
            record_id=current.id if current else None,
            concept_id=current.parent_id if current else None,
            doi=current.doi if current else None,
            concept_doi=current.concept_doi if current else None,
            html_url=current.html_url if current else None,
            files_uploaded=done.uploaded,
            files_deleted=done.deleted,
            files_unchanged=max(unchanged, 0),
            bytes_uploaded=done.bytes_uploaded,
            plan=the_plan,
            record_id_changed=done.id_changed,
            published=published,
            local_files=local,
            communities=_community_report(the_plan, done.requests),
            written=done.written,
            share=_share_result(the_plan, done, planned=planned),
        )


def _share_result(the_plan: Plan, done: Progress, *, planned: bool) -> ShareResult | None:
    """The link the run ends with and its URL on the record the run ends on (not for a dry run)."""
    share = the_plan.share
    if share is None or share.action == "wait":
        return None if share is None else ShareResult("waiting", share.permission, None)
    if planned:
        return ShareResult("planned", share.permission, share.expires_at)
    link = done.share_link or share.link
    if link is None or done.final is None:
        return None
    action = {"create": "created", "replace": "replaced", "reuse": "reused"}[share.action]
    expires = link.expires_at.isoformat() if link.expires_at else None
    return ShareResult(action, link.permission, expires, share_url(done.final.document, link), link.token)


def execute(the_plan: Plan, start: Progress, run: _Run) -> Progress:
    """Run the plan's steps in order; each gets the progress the step before it returned. It stops
    after a WriteBack step that wrote a published file (the caller plans the rest again).

    A signal (`zsync.cancel`) stops it in any step but never between the step that makes a draft and
    the `WriteRecordId` after it (that pair is deferred); the `Cancelled` it raises says where."""
    progress, steps, done = start, the_plan.steps, 0
    running: Step | None = None
    try:
        while done < len(steps) and not progress.replan:
            cancel.checkpoint()
            unit = steps[done : done + _unit_size(steps, done)]
            with _deferred_if(len(unit) > 1):
                for running in unit:
                    progress = execute_step(running, progress, run)
                    done, running = done + 1, None
    except cancel.Cancelled as stop:
        _hand_over_pending(run, progress)
        left = steps[done + (running is not None) :]
        stop.stopped = cancel.StopPoint(
            done=tuple(step.describe() for step in steps[:done]),
            during=running.describe() if running is not None else None,
            left=tuple(step.describe() for step in left),
            record_id=progress.draft_id,
        )
        raise
    except BaseException:
        _hand_over_pending(run, progress)
        raise
    return progress


def _unit_size(steps: tuple[Step, ...], index: int) -> int:
    """2 for a step that makes a draft followed by the one recording its id (run as one), else 1."""
    makes_draft = isinstance(steps[index], CreateDraft | NewVersion)
    return 2 if makes_draft and index + 1 < len(steps) and isinstance(steps[index + 1], WriteRecordId) else 1


def _deferred_if(defer: bool) -> AbstractContextManager[None]:
    return cancel.deferred() if defer else nullcontext()


def _hand_over_pending(run: _Run, progress: Progress) -> None:
    """A step between the id and its WriteBack failed (or a signal came): the id file goes alone."""
    if progress.id_pending:
        _hand_over(run, ())


def _hand_over(run: _Run, written: tuple[Path, ...]) -> None:
    """The id file (and the files written back) to the commit hook."""
    record_id = config_record_id(run.config)
    if run.on_record_id is not None and record_id is not None:
        run.on_record_id(run.config.path_record_id, record_id, *written)


@singledispatch
def execute_step(step: Step, progress: Progress, run: _Run) -> Progress:
    """Run one step; each step type has its handler, registered below."""
    raise NotImplementedError(f"no handler for {type(step).__name__}")


def _target(progress: Progress) -> str:
    if progress.draft_id is None:
        raise AssertionError("a step that acts on the draft ran before any step made one")
    return progress.draft_id


def _record_acted_on(progress: Progress) -> str:
    """The record the steps after the files act on: the one this run published, else the draft."""
    return progress.final.id if progress.final is not None else _target(progress)


def _utc_time(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC).strftime("%H:%M:%S UTC")


@execute_step.register
def _create_draft(step: CreateDraft, progress: Progress, run: _Run) -> Progress:
    # The note of the create in flight (zsync.createnote), kept before each attempt and cleared once
    # the id is written: a run stopped before that tells the next one to wait for this draft.
    title = run.config.metadata.title
    sent_epoch_s: list[float] = []
    failed: list[OSError] = []

    def note_sending() -> None:
        sent_epoch_s.append(run.client.retry.wall_clock())
        try:
            run.notes.write(CreateNote(title, sent_epoch_s[0], sent_epoch_s[-1]))
        except OSError as exc:
            if not failed:
                failed.append(exc)
                run.reporter.warning(
                    f"cannot note the create in {run.notes.path}: {exc.strerror or exc}; if this run "
                    "stops before the id is written, the next run may not wait for its draft"
                )

    try:
        created = run.client.create_draft(step.document, on_send=note_sending)
    except RemoteError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429):
            run.notes.clear()  # refused outright: no draft to wait for
        raise
    run.reporter.info(f"created draft {created.id}")
    return replace(progress, draft_id=created.id, draft=created, final=created)


@execute_step.register
def _new_version(step: NewVersion, progress: Progress, run: _Run) -> Progress:
    new = run.client.new_version(step.record_id)  # idempotent: an open next-version draft comes back
    if run.client.list_files(new.id):
        raise _Resumed(new.id)
    after = f"version {step.after_version} of " if step.after_version else ""
    run.reporter.info(f"new version draft {new.id} (after {after}record {step.record_id})")
    return replace(progress, draft_id=new.id, draft=new, final=new)


@execute_step.register
def _write_record_id(step: WriteRecordId, progress: Progress, run: _Run) -> Progress:
    record_id = step.record_id or _target(progress)
    path = run.config.path_record_id
    try:
        changed = write_config_record_id(run.config, record_id)
    except OSError as exc:
        raise SyncError(
            f"cannot write the record id {record_id} to {path}: {exc.strerror or exc}; "
            f"draft {record_id} now exists on Zenodo",
            hint=f"free space or fix the folder, then write {record_id} to {path.name} by hand (or re-run: "
            "the next run adopts the draft by its title)",
        ) from None
    run.notes.clear()
    if not changed:
        return progress
    if step.commit_later:
        return replace(progress, id_changed=True, id_pending=True)
    if run.on_record_id is not None:
        run.on_record_id(path, record_id)
    return replace(progress, id_changed=True)


@execute_step.register
def _write_back(step: writeback.WriteBack, progress: Progress, run: _Run) -> Progress:
    current = progress.final
    doi, concept = (current.doi, current.concept_doi) if current is not None else (None, None)
    texts = writeback.read_texts(run.config.write_back)
    edits = writeback.edits_for(
        run.config, texts, doi=doi, concept_doi=concept, version=step.version, held=step.held
    )
    try:
        written = writeback.write_files(edits)
    except OSError as exc:
        raise SyncError(
            f"cannot write the DOI into {exc.filename or 'a file'}: {exc.strerror or exc}",
            hint="fix the file or its folder, then run again",
        ) from None
    for edit in edits:
        run.reporter.info(f"wrote {', '.join(edit.fields)} into {edit.path.name}")
    if not concept and run.config.write_back is not None and run.config.write_back.readme_badge:
        run.reporter.info("the badge waits for the concept DOI, which Zenodo makes at the first publication")
    if progress.id_pending or written:
        _hand_over(run, written)
    replan = writeback.published(run.config, written)
    return replace(progress, id_pending=False, written=progress.written + written, replan=replan)


@execute_step.register
def _reserve_doi(step: ReserveDoi, progress: Progress, run: _Run) -> Progress:
    if progress.draft is not None and progress.draft.doi:
        return progress  # the draft Zenodo answered with has one already
    reserved = run.client.reserve_doi(_target(progress))
    if reserved.doi:
        run.reporter.info(f"reserved DOI {reserved.doi} (registered when the draft is published)")
    else:  # the draft's pids.doi now marks the reservation, so the next run does not ask again
        run.reporter.warning(
            "Zenodo answered the DOI reservation without a DOI: the draft has none yet, and Zenodo "
            "assigns one when it is published; zsync does not reserve again"
        )
    return replace(progress, draft=reserved, final=reserved)


@execute_step.register
def _import_files(step: ImportFiles, progress: Progress, run: _Run) -> Progress:
    files = run.client.import_files(_target(progress))
    run.reporter.info(f"imported {counted(len(files), 'file')} from the previous version, without re-upload")
    return replace(progress, draft=None)


@execute_step.register
def _delete_file(step: DeleteFile, progress: Progress, run: _Run) -> Progress:
    run.client.delete_file(_target(progress), step.key)
    if step.replaced:
        return replace(progress, draft=None)
    run.reporter.info(f"deleted {step.key} ({step.reason})")
    return replace(progress, draft=None, deleted=progress.deleted + 1)


@execute_step.register
def _init_files(step: InitFiles, progress: Progress, run: _Run) -> Progress:
    run.client.init_files(_target(progress), list(step.keys))
    return replace(progress, draft=None)


@execute_step.register
def _upload_file(step: UploadFile, progress: Progress, run: _Run) -> Progress:
    local = step.file
    started_s = time.monotonic()

    def on_progress(sent: int, total: int) -> None:
        run.reporter.progress(local.key, sent, total)

    run.client.upload_file(_target(progress), local, progress=on_progress, initialized=True)
    verb = "replaced" if step.replaces else "uploaded"
    run.reporter.file_done(verb, local.key, local.size_bytes, time.monotonic() - started_s)
    return replace(
        progress,
        draft=None,
        uploaded=progress.uploaded + 1,
        bytes_uploaded=progress.bytes_uploaded + local.size_bytes,
    )


@execute_step.register
def _update_metadata(step: UpdateMetadata, progress: Progress, run: _Run) -> Progress:
    draft_id = _target(progress)
    base = progress.draft if progress.draft is not None else run.client.get_draft(draft_id)
    if base is None:
        raise SyncError(f"draft {draft_id} disappeared during the sync", hint="run zsync again")
    try:
        updated = run.client.update_draft(
            draft_id, merge_unowned(step.document, base), if_match=base.revision_id
        )
    except ConflictError as exc:
        raise SyncError(
            f"draft {draft_id} was changed by someone else during this run",
            hint="another zsync run or a person on the web edited it; run again (and give the workflow "
            "a `concurrency:` group so two runs never overlap)",
        ) from exc
    for error in updated.errors:
        line = run.config.line_of(_config_field(error.field))
        where = f" ({run.config.source.name}:{line})" if line else ""
        run.reporter.warning(f"Zenodo says {error}{where}")
    return replace(progress, draft=updated, final=updated)


@execute_step.register
def _edit_published(step: EditPublished, progress: Progress, run: _Run) -> Progress:
    edit = run.client.edit_draft(step.record_id)
    return replace(progress, draft_id=edit.id, draft=edit, final=edit)


@execute_step.register
def _publish(step: Publish, progress: Progress, run: _Run) -> Progress:
    if progress.under_review:
        run.reporter.warning("not publishing: the draft is under review; its community's curators publish it")
        return progress
    draft_id = _target(progress)
    was_edit = progress.final is not None and progress.final.is_published
    published = run.client.publish(draft_id)
    what = f"the metadata change of record {draft_id}" if was_edit else f"record {published.id}"
    run.reporter.info(f"published {what}")
    return replace(progress, draft=None, final=published)


@execute_step.register
def _set_review(step: SetReview, progress: Progress, run: _Run) -> Progress:
    run.client.set_review(_target(progress), step.community_id)
    return progress


@execute_step.register
def _submit_review(step: SubmitReview, progress: Progress, run: _Run) -> Progress:
    draft_id = _target(progress)
    if step.if_any:
        review = run.client.get_review(draft_id)
        if review is None or review.status != "created":
            run.reporter.info("the new version needs no review: it stays in the record's communities")
            return progress
    request = run.client.submit_review(draft_id, f"Submitted by zsync {__version__}.")
    run.reporter.info(
        f"submitted the draft for review by {step.slug} (request {request.id}, {request.status})"
    )
    return replace(progress, requests=(*progress.requests, request), under_review=True)


@execute_step.register
def _request_inclusion(step: RequestInclusion, progress: Progress, run: _Run) -> Progress:
    record_id = _record_acted_on(progress)
    request = run.client.include_in_community(
        record_id, step.community_id, f"Requested by zsync {__version__}."
    )
    run.reporter.info(f"requested the inclusion in {step.slug} (request {request.id}, {request.status})")
    return replace(progress, requests=(*progress.requests, request))


@execute_step.register
def _remove_community(step: RemoveCommunity, progress: Progress, run: _Run) -> Progress:
    record_id = _record_acted_on(progress)
    run.client.remove_from_community(record_id, step.community_id)
    run.reporter.info(f"removed the record from community {step.slug}")
    return progress


@execute_step.register
def _create_share_link(step: CreateShareLink, progress: Progress, run: _Run) -> Progress:
    record_id = _record_acted_on(progress)
    link = run.client.create_share_link(record_id, step.permission, step.expires_at)
    run.reporter.info(f"created a {step.permission} link for co-authors, valid until {step.expires_at}")
    return replace(progress, share_link=link)


@execute_step.register
def _delete_share_link(step: DeleteShareLink, progress: Progress, run: _Run) -> Progress:
    record_id = _record_acted_on(progress)
    run.client.delete_share_link(record_id, step.link_id)
    run.reporter.info(f"deleted zsync's earlier link for co-authors ({step.reason})")
    return progress


def _community_report(the_plan: Plan, made: tuple[CommunityRequest, ...]) -> tuple[CommunityStatus, ...]:
    """The plan's community lines, updated with the requests this run made."""
    by_community = {r.community_id: r for r in made}
    lines = []
    for line in the_plan.communities:
        request = by_community.get(line.community_id)
        if request is not None:
            line = replace(line, status=request.status, request_id=request.id, url=request.html_url)
        lines.append(line)
    return tuple(lines)


@execute_step.register
def _warn(step: Warn, progress: Progress, run: _Run) -> Progress:
    run.reporter.warning(step.message)
    return progress


# --------------------------------------------------------------------------- reporting the plan

_ACTION_TEXT = {
    "create": "create a new draft",
    "update-draft": "update draft {id}",
    "new-version": "open a new version after {version}record {id}",
    "edit-published": "edit the metadata of published record {id}",
    "none": "nothing: published record {id} is up to date",
    "leave-published": "nothing: {version}record {id} is published, above the local version",
}


def report_plan(the_plan: Plan, reporter: Reporter) -> None:
    """The plan as a person reads it: the record action, then every step that matters to them."""
    with reporter.phase("Plan"):
        for warning in the_plan.warnings:
            reporter.warning(warning)
        action = _ACTION_TEXT[the_plan.record_action].format(
            id=the_plan.record_id, version=f"{the_plan.remote_version} of " if the_plan.remote_version else ""
        )
        reporter.info(f"record: {action}")
        for note in the_plan.notes:
            reporter.info(note)
        if the_plan.share is not None and the_plan.share.action == "reuse":
            reporter.info(the_plan.share.describe())
        for step in the_plan.steps:
            line = _step_line(step)
            if line:
                reporter.info(line)
            if isinstance(step, UpdateMetadata):
                for c in step.changes:
                    reporter.info(_change_line(c))
        if the_plan.unchanged:
            reporter.info(f"  unchanged: {counted(len(the_plan.unchanged), 'file')}")
        if the_plan.is_noop:
            reporter.info("nothing to change")


def _step_line(step: Step) -> str | None:
    """One line per step; the bookkeeping ones (announcing uploads, deleting what is replaced) are
    shown by the upload they serve."""
    if isinstance(step, UploadFile):
        kind = "replace" if step.replaces else "upload"
        return f"  {kind:8} {step.key} {format_size(step.size_bytes)} ({step.reason})"
    if isinstance(step, DeleteFile) and not step.replaced:
        return f"  {'delete':8} {step.key} {format_size(step.size_bytes)} ({step.reason})"
    if isinstance(step, InitFiles | CreateDraft | DeleteFile | NewVersion):
        return None  # announced by the upload they serve, or by the record line above
    return f"  {step.describe()}"


def _change_line(change: FieldChange) -> str:
    if change.kind == "set":
        return f"  {'set':8} {change.field}: {_short(change.new)}"
    if change.kind == "remove":
        return f"  {'remove':8} {change.field} (was {_short(change.old)})"
    return f"  {'change':8} {change.field}: {_short(change.old)} -> {_short(change.new)}"


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


__all__ = [
    "Progress",
    "SyncResult",
    "discard",
    "execute",
    "plan",
    "read_remote_state",
    "sync",
    "validate",
]
