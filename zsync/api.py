"""The Zenodo client: the InvenioRDM resources (`/api/records...`) as typed methods.

`ZenodoClient` turns each Zenodo operation into requests sent by `zsync.transport.Transport` (the
only code that speaks HTTP: session, token, timeouts, pacing, retries) and parses the JSON answers
into frozen values from `zsync.models`, never a `requests.Response`. Every failure is a
`zsync.errors.RemoteError` whose text never contains the token. The methods are grouped by concern
in mixins (records and drafts, files, search) that `ZenodoClient` combines; a new concern
(communities, review requests, access links, vocabularies) adds a mixin.

Retries: 429, 5xx, connection errors and timeouts are transient. Idempotent calls are simply sent
again. Non-idempotent calls (create a draft, init/commit a file, publish, import files) are sent
again only after re-reading the server state shows that the failed attempt did not take effect;
see each method's docstring for what is re-read and for the residual risk.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Any, Final, TypeVar, Unpack

from zsync import serverids
from zsync.apicommunities import CommunitiesMixin
from zsync.apishare import ShareLinksMixin
from zsync.createnote import DEFAULT_INDEX_LAG_S
from zsync.errors import (
    BadRequestError,
    ConflictError,
    LocalFileChanged,
    NotFoundError,
    RemoteError,
    UploadVerificationError,
)
from zsync.localfiles import HashingReader
from zsync.models import FileStatus, LocalFile, RemoteFile, RemoteRecord
from zsync.transport import (
    ACCEPT,
    DEFAULT_USER_AGENT,
    Events,
    ProgressCallback,
    Reply,
    Request,
    Retryable,
    RetryPolicy,
    Transport,
    TransportOptions,
    Upload,
    field_errors,
)
from zsync.units import counted

__all__ = [
    "ACCEPT",
    "DEFAULT_USER_AGENT",
    "Events",
    "ProgressCallback",
    "RetryPolicy",
    "ZenodoClient",
    "record_from_document",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# Finding a draft that a create made when its answer never arrived (create_draft's re-read, and the
# engine's wait after a run stopped mid-create): the longest wait between two looks at the eventually
# consistent `/user/records`, and how much older (server clock vs. ours) than our request a draft
# may look and still be ours. How long to keep looking is the client's `index_lag_s`.
LOOKUP_MAX_INTERVAL_S: Final = 8.0
CREATE_LOOKUP_SKEW_S: Final = 120.0


def lookup_waits(window_s: float) -> tuple[float, ...]:
    """The waits between looks at the search over `window_s` seconds: 1, 2, 4, 8, 8, ... s, the last
    one cut so that they add up to the window (30 s: seven looks); none for a window of 0."""
    waits: list[float] = []
    total, step = 0.0, 1.0
    while window_s - total > 1e-6:
        wait = min(step, LOOKUP_MAX_INTERVAL_S, window_s - total)
        waits.append(wait)
        total += wait
        step *= 2
    return tuple(waits)


_OCTET_STREAM: Final = MappingProxyType({"Content-Type": "application/octet-stream"})

_DEFAULT_RETRY: Final = RetryPolicy()  # frozen, so one shared default is safe


class _Resource:
    """What every mixin shares: the transport, and the usual shape of a call."""

    _http: Transport

    def _call(
        self,
        request: Request,
        parse: Callable[[Reply, Request], T],
        reconcile: Callable[[], T | None] | None = None,
    ) -> T:
        """Send `request` under the retry policy and parse the answer."""
        return self._http.run(
            request.method, request.path, lambda: parse(self._http.send(request), request), reconcile
        )

    def _record(
        self,
        request: Request,
        *,
        is_draft: bool,
        reconcile: Callable[[], RemoteRecord | None] | None = None,
    ) -> RemoteRecord:
        return self._call(
            request, lambda reply, sent: _parse_record(reply, sent, is_draft=is_draft), reconcile
        )


# --------------------------------------------------------------------------- search


class _SearchMixin(_Resource):
    """`GET /user/records`: the user's records and drafts, from the eventually consistent search."""

    index_lag_s: float

    def _fresh_draft_ids(
        self, title: str, created_after_epoch_s: float, window_s: float
    ) -> Iterator[tuple[str, ...]]:
        """Per look at the search, the ids of never-published drafts with this title and no files
        created after the given time (server clock), oldest first. The looks are
        `lookup_waits(window_s)` apart (one look for a window of 0), and lazy: a caller that stops
        at a look with an id it can use sends no further request.
        """
        request = Request(
            "GET", "/user/records", params={"q": "", "sort": "newest", "size": "25", "page": "1"}
        )
        for wait_s in (0.0, *lookup_waits(window_s)):
            if wait_s:
                self._http.retry.sleep(wait_s)
            hits = _get(self._call(request, _json), "hits", "hits")
            fresh = sorted(
                (_epoch_s(hit.get("created")) or 0.0, serverids.record_id(hit.get("id")))
                for hit in (hits if isinstance(hits, list) else [])
                if _is_fresh_empty_draft(hit, title, created_after_epoch_s)
            )
            yield tuple(draft_id for _, draft_id in fresh)


def _is_fresh_empty_draft(hit: Any, title: str, created_after_epoch_s: float) -> bool:
    if not isinstance(hit, dict) or hit.get("is_published") or hit.get("status", "draft") != "draft":
        return False  # a next-version or edit draft is never what POST /records made
    if _get(hit, "metadata", "title") != title:
        return False
    if _file_entries(hit.get("files")) or _get(hit, "files", "count"):
        return False
    created = _epoch_s(hit.get("created"))
    return created is not None and created >= created_after_epoch_s


# --------------------------------------------------------------------------- records and drafts


class _RecordsMixin(_SearchMixin):
    """Records and their drafts: create, read, save, edit, publish, version, discard."""

    def create_draft(
        self, document: Mapping[str, Any], *, on_send: Callable[[], None] | None = None
    ) -> RemoteRecord:
        """`POST /records`: a new draft. Partial data is saved; problems come back in `errors`.

        `on_send()` is called before each attempt is sent (the engine notes the create there). The
        new id is unknown until the answer arrives, so after an ambiguous failure (5xx, timeout or
        reset after the request was sent) this looks in `GET /user/records` for an unpublished draft
        with the same title and no files created since shortly before the first attempt, and adopts
        it. The search is eventually consistent: it is looked at again, with growing waits, for up
        to `index_lag_s`, and only if no such draft shows up is the POST sent again. Residual risk:
        a search that lags longer leaves a duplicate empty draft behind; a draft with the same title
        that another process creates at the same moment may be adopted.
        """
        title = _get(document, "metadata", "title")
        started_epoch_s = self._http.retry.wall_clock()
        request = Request("POST", "/records", json_body=document)

        def once() -> RemoteRecord:
            if on_send is not None:
                on_send()
            return _parse_record(self._http.send(request), request, is_draft=True)

        def reconcile() -> RemoteRecord | None:
            if not isinstance(title, str):
                return None
            found = self._find_fresh_drafts(title, started_epoch_s - CREATE_LOOKUP_SKEW_S, self.index_lag_s)
            return found[0] if found else None

        return self._http.run(request.method, request.path, once, reconcile)

    def get_draft(self, record_id: str) -> RemoteRecord | None:
        """`GET /records/{id}/draft`, or None when there is no draft (never, discarded, published)."""
        try:
            return self._record(Request("GET", f"/records/{_seg(record_id)}/draft"), is_draft=True)
        except NotFoundError:
            return None

    def get_record(self, record_id: str) -> RemoteRecord:
        """`GET /records/{id}`: the published record.

        NotFoundError when it was never published, GoneError when it was deleted.
        """
        return self._record(Request("GET", f"/records/{_seg(record_id)}"), is_draft=False)

    def update_draft(
        self, record_id: str, document: Mapping[str, Any], *, if_match: int | None = None
    ) -> RemoteRecord:
        """`PUT /records/{id}/draft`: replaces metadata and custom_fields (send the full document).

        With `if_match` (a revision id) the server answers 412 (ConflictError) when the draft
        changed meanwhile. A PUT is idempotent, but with `if_match` a repeat of a PUT that took
        effect would fail with 412, so after an ambiguous failure the draft is re-read: same
        revision -> send again; exactly one revision later -> taken to be our write and adopted
        (residual risk: someone else's single write in that instant); otherwise ConflictError.
        """
        path = f"/records/{_seg(record_id)}/draft"
        headers = {"If-Match": f'"{if_match}"'} if if_match is not None else None

        def reconcile() -> RemoteRecord | None:
            current = self.get_draft(record_id)
            if current is None:
                raise NotFoundError(
                    "The draft disappeared while it was being saved.", method="PUT", path=path
                )
            if current.revision_id == if_match:
                return None
            if if_match is not None and current.revision_id == if_match + 1:
                return current
            raise ConflictError(
                f"The draft changed meanwhile (revision {current.revision_id}, expected {if_match}).",
                method="PUT",
                path=path,
                status=412,
                hint="Somebody else edits this draft; run the sync again once they are done.",
            )

        request = Request("PUT", path, json_body=document, headers=headers)
        return self._record(request, is_draft=True, reconcile=reconcile if if_match is not None else None)

    def edit_draft(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft`: open (or get the already open) edit draft of a published record."""
        return self._record(Request("POST", f"/records/{_seg(record_id)}/draft"), is_draft=True)

    def publish(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft/actions/publish`: the published record.

        Publish can answer 504 after it succeeded, so after an ambiguous failure the draft is
        re-read first: gone (404) and the record readable means it was published and the record
        is returned; a draft still present means it was not, and publish is sent again. (For an
        edit draft `GET /records/{id}` alone cannot tell: the older published version answers.)
        """

        def reconcile() -> RemoteRecord | None:
            if self.get_draft(record_id) is not None:
                return None
            return self.get_record(record_id)

        request = Request("POST", f"/records/{_seg(record_id)}/draft/actions/publish")
        return self._record(request, is_draft=False, reconcile=reconcile)

    def reserve_doi(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft/pids/doi`: reserve the draft's DOI (registered only at publish).

        Refused (400) when the draft has one; so after an ambiguous failure the draft is re-read,
        and a DOI there means the reservation took effect.
        """

        def reconcile() -> RemoteRecord | None:
            draft = self.get_draft(record_id)
            return draft if draft is not None and draft.doi else None

        request = Request("POST", f"/records/{_seg(record_id)}/draft/pids/doi")
        return self._record(request, is_draft=True, reconcile=reconcile)

    def discard_draft(self, record_id: str) -> None:
        """`DELETE /records/{id}/draft`: a new draft is gone for good, an edit draft is discarded."""

        def reconcile() -> bool | None:
            return True if self.get_draft(record_id) is None else None

        self._call(Request("DELETE", f"/records/{_seg(record_id)}/draft"), _done, reconcile)

    def new_version(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/versions`: the next-version draft (idempotent: the open one if any)."""
        return self._record(Request("POST", f"/records/{_seg(record_id)}/versions"), is_draft=True)

    def latest_version_id(self, record_id: str) -> str:
        """The id of the latest published version (`GET /records/{id}/versions/latest`, a 301).

        Accepts a record id or the concept (parent) id.
        """
        request = Request("GET", f"/records/{_seg(record_id)}/versions/latest", redirect_expected=True)

        def parse(reply: Reply, sent: Request) -> str:
            location = reply.header("Location")
            if reply.is_redirect and location:
                return _id_from_location(location, reply, sent)
            return _parse_record(reply, sent, is_draft=False).id

        return self._call(request, parse)

    def find_orphan_draft(self, title: str, *, max_age_s: float = 30 * 86400.0) -> RemoteRecord | None:
        """A never-published draft of this user with this title and no files, created within `max_age_s`.

        That is what a run leaves behind when it stops between Zenodo's answer to "create" and
        writing the record-id file: the engine adopts it instead of creating a second draft. One look
        at the (eventually consistent) search, no waiting; the oldest such draft if several.
        """
        found = self._find_fresh_drafts(title, self._http.retry.wall_clock() - max_age_s, 0.0)
        return found[0] if found else None

    def await_new_drafts(
        self, title: str, sent_since_epoch_s: float, *, until_epoch_s: float
    ) -> tuple[RemoteRecord, ...]:
        """The drafts an interrupted `POST /records` for `title`, sent at `sent_since_epoch_s` or
        later, may have made: never published, no files, this title, oldest first.

        Times are our clock; the server's `created` may read up to `CREATE_LOOKUP_SKEW_S` earlier
        (clock skew). The search is looked at until one shows up or our clock passes
        `until_epoch_s`, but never for longer than `index_lag_s` from now (a clock set back);
        one look only when that time is past.
        """
        window_s = min(max(0.0, until_epoch_s - self._http.retry.wall_clock()), self.index_lag_s)
        return self._find_fresh_drafts(title, sent_since_epoch_s - CREATE_LOOKUP_SKEW_S, window_s)

    def _find_fresh_drafts(
        self, title: str, created_after_epoch_s: float, window_s: float
    ) -> tuple[RemoteRecord, ...]:
        """The drafts of the first look that shows any, as they are now: a stale hit whose draft was
        discarded, or has files by now (another dataset's, of the same title), does not count."""
        for ids in self._fresh_draft_ids(title, created_after_epoch_s, window_s):
            live = (self.get_draft(draft_id) for draft_id in ids)
            drafts = tuple(
                d
                for d in live
                if d is not None and _is_fresh_empty_draft(d.document, title, created_after_epoch_s)
            )
            if drafts:
                log.info("found draft %s: same title, no files, never published", drafts[0].id)
                return drafts
        return ()


# --------------------------------------------------------------------------- files


class _FilesMixin(_Resource):
    """The file entries of drafts and records: list, import, init, upload, commit, delete."""

    def list_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`GET /records/{id}/draft/files`: the draft's file entries, pending and failed included."""
        return self._call(Request("GET", f"/records/{_seg(record_id)}/draft/files"), _parse_listing)

    def list_record_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`GET /records/{id}/files`: the files of a published record."""
        return self._call(Request("GET", f"/records/{_seg(record_id)}/files"), _parse_listing)

    def import_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`POST .../draft/actions/files-import`: link the previous version's files, no re-upload.

        Only valid on a new-version draft without files (else 400). After an ambiguous failure the
        files are listed: a non-empty listing means the import took effect and is returned.
        """

        def reconcile() -> tuple[RemoteFile, ...] | None:
            return self.list_files(record_id) or None

        request = Request("POST", f"/records/{_seg(record_id)}/draft/actions/files-import")
        return self._call(request, _parse_listing, reconcile)

    def init_files(self, record_id: str, keys: Sequence[str]) -> tuple[RemoteFile, ...]:
        """`POST /records/{id}/draft/files` for all `keys` in one request: pending entries, in key order.

        After an ambiguous failure the files are listed and an existing entry for a key is adopted
        (the failed attempt created it); only the keys still missing are sent again. A key that
        already existed before the first attempt is refused by the server (BadRequestError).
        """
        path = f"/records/{_seg(record_id)}/draft/files"
        missing = list(dict.fromkeys(keys))
        found: dict[str, RemoteFile] = {}

        def result() -> tuple[RemoteFile, ...]:
            return tuple(found[key] for key in dict.fromkeys(keys) if key in found)

        def once() -> tuple[RemoteFile, ...]:
            if missing:
                request = Request("POST", path, json_body=[{"key": key} for key in missing])
                for entry in _parse_listing(self._http.send(request), request):
                    if entry.key in missing:
                        found[entry.key] = entry
                # Entries the answer left out are still ours: the server accepted the batch.
                for key in missing:
                    found.setdefault(key, RemoteFile(key=key, size_bytes=None, md5=None, status="pending"))
                missing.clear()
            return result()

        def reconcile() -> tuple[RemoteFile, ...] | None:
            for entry in self.list_files(record_id):
                if entry.key in missing:
                    found[entry.key] = entry
                    missing.remove(entry.key)
            return None if missing else result()

        return self._http.run("POST", path, once, reconcile)

    def upload_content(
        self,
        record_id: str,
        key: str,
        path: Path,
        *,
        size_bytes: int,
        progress: ProgressCallback | None = None,
        sent_md5: Callable[[str], None] | None = None,
    ) -> RemoteFile:
        """`PUT .../draft/files/{key}/content`: stream `size_bytes` bytes of `path` from disk;
        `sent_md5(hex)` hears the MD5 of the bytes an attempt sent, once the server answered it.

        The file must still have `size_bytes`, and must neither end early nor grow while it is
        sent: else LocalFileChanged, at once, never retried.

        The file is reopened on every attempt (a broken upload restarts from byte 0; Zenodo has
        no resumable upload). A 200 that carries `errors` means the server dropped the entry:
        it counts as a transient failure. Before any retry the files are listed and the entry is
        initialised again if the server dropped it.
        """
        api_path = f"/records/{_seg(record_id)}/draft/files/{_seg(key)}/content"

        def once() -> RemoteFile:
            try:
                fh = path.open("rb")
            except FileNotFoundError:
                raise LocalFileChanged(key, "was deleted while zsync was uploading it") from None
            with fh:
                _check_unchanged(fh, key, size_bytes)
                # Hashed on the way only when the caller does not know the MD5 yet.
                reader = HashingReader(fh) if sent_md5 is not None else None
                upload = Upload(reader or fh, size_bytes, progress, key)
                request = Request("PUT", api_path, upload=upload, headers=_OCTET_STREAM)
                reply = self._http.send(request)
            if sent_md5 is not None and reader is not None:
                sent_md5(reader.hexdigest())
            document = _json(reply, request)
            errors = field_errors(document.get("errors"))
            if errors:
                raise Retryable(
                    self._http.scrub(
                        f"the server dropped the upload of {key!r}: {'; '.join(map(str, errors))}"
                    ),
                    method="PUT",
                    path=api_path,
                    status=reply.status,
                    sent=True,
                )
            return _parse_file(document)

        def reconcile() -> RemoteFile | None:
            if not any(entry.key == key for entry in self.list_files(record_id)):
                self.init_files(record_id, [key])
            return None

        return self._http.run("PUT", api_path, once, reconcile)

    def commit_file(self, record_id: str, key: str) -> RemoteFile:
        """`POST .../draft/files/{key}/commit`: the completed entry with the server's size and MD5.

        After an ambiguous failure the files are listed; a completed entry means the commit took
        effect and is returned.
        """

        def reconcile() -> RemoteFile | None:
            for entry in self.list_files(record_id):
                if entry.key == key and entry.status == "completed":
                    return entry
            return None

        request = Request("POST", f"/records/{_seg(record_id)}/draft/files/{_seg(key)}/commit")
        return self._call(request, lambda reply, sent: _parse_file(_json(reply, sent)), reconcile)

    def delete_file(self, record_id: str, key: str) -> None:
        """`DELETE .../draft/files/{key}`."""

        def reconcile() -> bool | None:
            return None if any(entry.key == key for entry in self.list_files(record_id)) else True

        self._call(Request("DELETE", f"/records/{_seg(record_id)}/draft/files/{_seg(key)}"), _done, reconcile)

    def upload_file(
        self,
        record_id: str,
        local: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        initialized: bool = False,
    ) -> RemoteFile:
        """Upload one file to a draft: init, content, commit, then verify size and MD5 (`local.md5`,
        or when it is None the MD5 of the bytes sent, computed on the way: one read of the file).

        An existing entry for the key is reused while pending, returned as is when completed with
        the same size and MD5, and replaced otherwise. `initialized=True` says the caller already
        created the pending entry (a batched `init_files`), which saves a request per file. When the
        server's size or MD5 after the commit differ from `local`, the entry is deleted and the file
        uploaded once more; a second mismatch raises UploadVerificationError.
        """
        remote: RemoteFile | None = None
        for round_number in (1, 2):
            if not (initialized and round_number == 1):
                done = self._prepare_entry(record_id, local)
                if done is not None:
                    return done
            sent: list[str] = []
            _check_modified(local)
            self.upload_content(
                record_id,
                local.key,
                local.path,
                size_bytes=local.size_bytes,
                progress=progress,
                sent_md5=sent.append if local.md5 is None else None,
            )
            expected = local.md5 or (sent[-1] if sent else None)
            remote = self.commit_file(record_id, local.key)
            if remote.size_bytes == local.size_bytes and remote.md5 == expected:
                log.debug("verified %s (%d bytes, md5 %s)", local.key, local.size_bytes, expected)
                return remote
            log.warning(
                "%s: Zenodo stored %s bytes with md5 %s, expected %d bytes with md5 %s (attempt %d of 2)",
                local.key,
                remote.size_bytes,
                remote.md5,
                local.size_bytes,
                expected,
                round_number,
            )
            self.delete_file(record_id, local.key)
        assert remote is not None
        stored = "an unknown size" if remote.size_bytes is None else counted(remote.size_bytes, "byte")
        raise UploadVerificationError(
            f"{local.key}: Zenodo stored {stored} with md5 {remote.md5}, "
            f"expected {counted(local.size_bytes, 'byte')} with md5 {expected}, twice.",
            method="POST",
            path=f"/records/{_seg(record_id)}/draft/files/{_seg(local.key)}/commit",
            hint="Check that the file does not change while zsync runs, then run the sync again.",
        )

    def _prepare_entry(self, record_id: str, local: LocalFile) -> RemoteFile | None:
        """Make sure a pending entry for `local.key` exists; a completed identical one is returned."""
        try:
            self.init_files(record_id, [local.key])
            return None
        except BadRequestError:
            existing = {entry.key: entry for entry in self.list_files(record_id)}.get(local.key)
            if existing is None:
                raise
        if existing.status == "pending":
            return None
        if existing.status == "completed" and (existing.size_bytes, existing.md5) == (
            local.size_bytes,
            local.md5,
        ):
            return existing
        self.delete_file(record_id, local.key)
        self.init_files(record_id, [local.key])
        return None


# --------------------------------------------------------------------------- the client


# Where an instance serves one item of the vocabularies a zenodo.yaml names, by kind. From
# invenio-vocabularies: resources/config.py (VocabulariesResourceConfig, "/vocabularies/<type>/<pid_value>")
# and contrib/{affiliations,funders,awards} (endpoint_route "/affiliations", "/funders", "/awards", whose
# item route is "/<pid_value>"); see docs/vocabulary-preflight.md.
VOCABULARY_PATHS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "licenses": "/vocabularies/licenses/{id}",
        "resourcetypes": "/vocabularies/resourcetypes/{id}",
        "affiliations": "/affiliations/{id}",
        "funders": "/funders/{id}",
        "awards": "/awards/{id}",
    }
)


class _VocabularyMixin(_Resource):
    """Single vocabulary items: does this instance know an id (before anything is sent)?"""

    def vocabulary_has(self, kind: str, ident: str) -> bool:
        """`GET` the item (`VOCABULARY_PATHS[kind]`): True when it exists, False on 404."""
        request = Request("GET", VOCABULARY_PATHS[kind].format(id=_seg(ident)))
        try:
            self._call(request, _json)
        except NotFoundError:
            return False
        return True


class ZenodoClient(
    _RecordsMixin, _FilesMixin, _SearchMixin, CommunitiesMixin, ShareLinksMixin, _VocabularyMixin
):
    """A typed client of one Zenodo (InvenioRDM) endpoint such as `https://zenodo.org/api`.

    Use as a context manager or call `close()`. `request_count` counts the HTTP attempts made
    (retries and re-reads included). `reporter` hears of every retry wait (`warning`) and of
    pacing waits of a second or more (`info`); a `zsync.report.Reporter` fits, and without one
    they are logged. The keywords `user_agent`, `connect_timeout_s`, `read_timeout_s` and `session`
    go to the transport (see `zsync.transport.TransportOptions`). `index_lag_s` is how long the
    search (`/user/records`) may lag behind a create: how long the re-read after a lost answer to
    `create_draft`, and `await_new_drafts`, keep looking. Not thread-safe: one client per thread.
    """

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        retry: RetryPolicy = _DEFAULT_RETRY,
        reporter: Events | None = None,
        index_lag_s: float = DEFAULT_INDEX_LAG_S,
        **options: Unpack[TransportOptions],
    ) -> None:
        self._http = Transport(endpoint, token, retry=retry, events=reporter, **options)
        self.index_lag_s = index_lag_s

    @property
    def endpoint(self) -> str:
        return self._http.endpoint

    @property
    def retry(self) -> RetryPolicy:
        return self._http.retry

    @property
    def request_count(self) -> int:
        return self._http.request_count

    @property
    def connect_timeout_s(self) -> float:
        return self._http.connect_timeout_s

    @property
    def read_timeout_s(self) -> float:
        return self._http.read_timeout_s

    def __repr__(self) -> str:
        return f"ZenodoClient({self.endpoint!r})"

    def __enter__(self) -> ZenodoClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()


# --------------------------------------------------------------------------- parsing


def _check_unchanged(fh: IO[bytes], key: str, size_bytes: int) -> None:
    """The open file has the size zsync announces (else it would wait for bytes that never come)."""
    if os.fstat(fh.fileno()).st_size != size_bytes:
        raise LocalFileChanged(key, "changed after zsync looked at it, before its upload")


def _check_modified(local: LocalFile) -> None:
    """The file was not written since zsync looked at it (its MD5 would no longer be its own)."""
    try:
        info = local.path.stat()
    except FileNotFoundError:
        raise LocalFileChanged(local.key, "was deleted while zsync was uploading it") from None
    if local.mtime_ns and info.st_mtime_ns != local.mtime_ns:
        raise LocalFileChanged(local.key, "changed after zsync looked at it, before its upload")


def _seg(value: str) -> str:
    """One URL path segment: keys with spaces, slashes or non-ASCII letters are percent-encoded."""
    return urllib.parse.quote(str(value), safe="")


def _get(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _epoch_s(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _done(reply: Reply, request: Request) -> bool:
    """The parse of an answer whose body does not matter (a DELETE)."""
    return True


def _json(reply: Reply, request: Request) -> dict[str, Any]:
    try:
        document = reply.json()
    except ValueError as exc:
        raise RemoteError(
            f"Zenodo answered {reply.status} without a JSON body.",
            method=request.method,
            path=request.path,
            status=reply.status,
        ) from exc
    if not isinstance(document, dict):
        raise RemoteError(
            "Zenodo answered with JSON that is not an object.",
            method=request.method,
            path=request.path,
            status=reply.status,
        )
    document.pop("ui", None)
    return document


def _id_from_location(location: str, reply: Reply, request: Request) -> str:
    """The record id at the end of a redirect's `Location`."""
    match = re.search(r"/records/([^/?#]+)/?(?:[?#].*)?$", location)
    if match:
        return serverids.record_id(urllib.parse.unquote(match.group(1)))
    raise RemoteError(
        "Zenodo redirected to an unexpected address for the latest version.",
        method=request.method,
        path=request.path,
        status=reply.status,
    )


def _parse_file(entry: Mapping[str, Any], key: str | None = None) -> RemoteFile:
    checksum = entry.get("checksum")
    md5 = checksum.split(":", 1)[1] if isinstance(checksum, str) and checksum.startswith("md5:") else None
    size = entry.get("size")
    status_value = entry.get("status", "completed")
    status: FileStatus = status_value if status_value in ("pending", "completed", "failed") else "failed"
    return RemoteFile(
        key=str(entry.get("key", key or "")),
        size_bytes=size if isinstance(size, int) else None,
        md5=md5 or None,
        status=status,
    )


def _file_entries(files: Any) -> tuple[RemoteFile, ...]:
    """`files.entries` of a record document (a dict keyed by name) or a listing (a list)."""
    entries = files.get("entries") if isinstance(files, Mapping) else None
    if isinstance(entries, Mapping):
        return tuple(_parse_file(value, key) for key, value in entries.items() if isinstance(value, Mapping))
    if isinstance(entries, list):
        return tuple(_parse_file(value) for value in entries if isinstance(value, Mapping))
    return ()


def _parse_listing(reply: Reply, request: Request) -> tuple[RemoteFile, ...]:
    return _file_entries(_json(reply, request))


def _parse_record(reply: Reply, request: Request, *, is_draft: bool) -> RemoteRecord:
    document = _json(reply, request)
    if "id" not in document:
        raise RemoteError(
            "Zenodo answered with a document that has no id.",
            method=request.method,
            path=request.path,
            status=reply.status,
        )
    try:
        return record_from_document(document, is_draft=is_draft, etag=reply.header("ETag"))
    except RemoteError as exc:  # a value of the wrong shape: say which answer carried it
        exc.method, exc.path, exc.status = request.method, request.path, reply.status
        raise


def record_from_document(
    document: Mapping[str, Any], *, is_draft: bool, etag: str | None = None
) -> RemoteRecord:
    """A `RemoteRecord` from an RDM JSON record or draft (the `ui` block dropped).

    RemoteError when an id, DOI, address or vocabulary id in it has not the shape it must have."""
    document = {key: value for key, value in document.items() if key != "ui"}
    revision_id = _revision_from_etag(etag)
    if revision_id is None and isinstance(document.get("revision_id"), int):
        revision_id = document["revision_id"]
    parent_id = _get(document, "parent", "id")
    version_index = _get(document, "versions", "index")
    metadata = document.get("metadata")
    access = document.get("access")
    custom_fields = document.get("custom_fields")
    status = document.get("status")
    serverids.check_vocabulary_ids(metadata, "metadata")
    serverids.check_vocabulary_ids(custom_fields, "custom_fields")
    return RemoteRecord(
        id=serverids.record_id(document["id"]),
        parent_id=serverids.record_id(parent_id, "a concept id") if parent_id is not None else None,
        is_published=bool(document.get("is_published")),
        is_draft=is_draft,
        status=status if isinstance(status, str) else None,
        revision_id=revision_id,
        doi=serverids.doi(_get(document, "pids", "doi", "identifier"), "a DOI"),
        concept_doi=serverids.doi(_get(document, "parent", "pids", "doi", "identifier"), "a concept DOI"),
        html_url=serverids.url(_get(document, "links", "self_html"), "a record address"),
        version_index=version_index if isinstance(version_index, int) else None,
        metadata=metadata if isinstance(metadata, dict) else {},
        access=access if isinstance(access, dict) else {},
        custom_fields=custom_fields if isinstance(custom_fields, dict) else {},
        files=_file_entries(document.get("files")),
        errors=field_errors(document.get("errors")),
        default_preview=_str_or_none(_get(document, "files", "default_preview")),
        has_files_block=isinstance(document.get("files"), Mapping),
        is_latest=_get(document, "versions", "is_latest") is not False,
        doi_pending=isinstance(_get(document, "pids", "doi"), Mapping)
        and not _str_or_none(_get(document, "pids", "doi", "identifier")),
        document=document,
    )


def _revision_from_etag(etag: str | None) -> int | None:
    if not etag:
        return None
    value = etag.strip()
    value = value.removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
