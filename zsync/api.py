"""The Zenodo client: the only module that speaks HTTP (InvenioRDM API, `/api/records...`).

`ZenodoClient` owns one `requests.Session`, the base URL, the token (sent only as
`Authorization: Bearer`), the User-Agent, the timeouts, rate-limit pacing and the retry policy
(`RetryPolicy`, run by tenacity). Every method returns frozen values from `zsync.models`, never a
`requests.Response`, and every failure becomes a `zsync.errors.RemoteError` whose text never
contains the token.

Retries: 429, 5xx, connection errors and timeouts are transient. Idempotent calls are simply sent
again. Non-idempotent calls (create a draft, init/commit a file, publish, import files) are sent
again only after re-reading the server state shows that the failed attempt did not take effect;
see each method's docstring for what is re-read and for the residual risk.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, TypeVar

import requests
import tenacity
import urllib3.exceptions

from zsync._version import PROJECT_URL, __version__
from zsync.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    FieldError,
    GoneError,
    NotFoundError,
    RemoteError,
    TransientError,
    UploadVerificationError,
    UsageError,
)
from zsync.models import FileStatus, LocalFile, RemoteFile, RemoteRecord

__all__ = ["DEFAULT_USER_AGENT", "ProgressCallback", "RetryPolicy", "ZenodoClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")

ProgressCallback = Callable[[int, int], None]
"""`progress(sent_bytes, total_bytes)`, called as the content of a file is streamed."""

DEFAULT_USER_AGENT: Final = f"zsync/{__version__} (+{PROJECT_URL})"

# Without the fallbacks, published-record `/files` answers 406; without the vnd type first, Zenodo
# answers `/api/records...` with its legacy "Zenodo JSON" shape.
ACCEPT: Final = "application/vnd.inveniordm.v1+json, application/json;q=0.9, */*;q=0.8"

# An upload's read timeout (the wait for the answer after the last byte) grows with the file: the
# server checksums and stores what it received before it answers. Budget a pessimistic 1 MB/s for
# that on top of the base read timeout (a 1 GB file may wait about 17 minutes). Sending the body is
# bounded separately: urllib3 applies the connect timeout to each blocking socket write, so a
# stalled upload fails within `connect_timeout_s` whatever the file size.
UPLOAD_FLOOR_BYTES_PER_S: Final = 1_000_000

# Statuses worth another attempt. 500 is included because Zenodo's front proxies answer it for
# transient storage hiccups too; deterministic 500s (commit without content) end after the policy.
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

# Pacing starts when fewer than this share of the window's requests remain.
PACING_THRESHOLD: Final = 0.1

# create_draft reconciliation: how often to poll the eventually consistent `/user/records`, how
# long to wait between polls, and how old (server clock vs. ours) an adoptable draft may be.
CREATE_LOOKUP_POLLS: Final = 3
CREATE_LOOKUP_INTERVAL_S: Final = 2.0
CREATE_LOOKUP_SKEW_S: Final = 120.0


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: bounded by attempts *and* total time.

    Waits grow as `initial_wait_s * 2**(n-1)` capped at `max_wait_s`, plus up to `jitter_s` of
    random jitter; a 429 waits what `Retry-After` says (or until `X-RateLimit-Reset`) plus jitter.
    No retry is started whose wait would end after `max_total_s` since the first attempt.
    `sleep`, `clock` (monotonic, for the total-time bound), `wall_clock` (epoch seconds, for
    `X-RateLimit-Reset`) and `rng` (uniform in [0, 1), for the jitter) are injectable so tests run
    without waiting and can assert on the waits. Pacing before a rate limit uses the same `sleep`.
    """

    max_attempts: int = 10
    max_total_s: float = 900.0
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0
    jitter_s: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    rng: Callable[[], float] = field(default=random.random, compare=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RetryPolicy:
        """The default policy with overrides from ZSYNC_RETRY_MAX_ATTEMPTS, ZSYNC_RETRY_MAX_TOTAL_S,
        ZSYNC_RETRY_INITIAL_WAIT_S, ZSYNC_RETRY_MAX_WAIT_S and ZSYNC_RETRY_JITTER_S."""
        fields = {
            "max_attempts": ("ZSYNC_RETRY_MAX_ATTEMPTS", int),
            "max_total_s": ("ZSYNC_RETRY_MAX_TOTAL_S", float),
            "initial_wait_s": ("ZSYNC_RETRY_INITIAL_WAIT_S", float),
            "max_wait_s": ("ZSYNC_RETRY_MAX_WAIT_S", float),
            "jitter_s": ("ZSYNC_RETRY_JITTER_S", float),
        }
        values: dict[str, Any] = {}
        for name, (variable, kind) in fields.items():
            raw = environ.get(variable, "").strip()
            if not raw:
                continue
            try:
                value = kind(raw)
            except ValueError:
                value = -1
            if value < 0 or (kind is int and value < 1):
                raise UsageError(
                    f"{variable}={raw!r} is not a valid value", hint=f"write a positive {kind.__name__}"
                )
            values[name] = value
        return cls(**values)

    def backoff_s(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based), jitter included."""
        base = min(self.max_wait_s, self.initial_wait_s * 2.0 ** max(0, attempt - 1))
        return base + self.jitter_s * self.rng()


class _Retryable(Exception):
    """One attempt failed transiently. Internal: turned into `TransientError` when retries end.

    `sent` is False only when the request certainly did not reach the application (connection
    refused, connect timeout, 429), which is when a non-idempotent call may be repeated blindly.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int | None,
        sent: bool,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.sent = sent
        self.retry_after_s = retry_after_s


@dataclass
class _RateLimit:
    """The last rate-limit headers seen (mutable state of one client)."""

    limit: int | None = None
    remaining: int | None = None
    reset_epoch_s: float | None = None


class _BearerAuth(requests.auth.AuthBase):
    """Sets `Authorization: Bearer`. Being the session's auth also stops requests from replacing
    it with credentials from ~/.netrc. Its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


_UPLOAD_BLOCK_BYTES: Final = 1 << 20


class _ProgressReader:
    """A file-like body of exactly `total` bytes read from `fh` in chunks (constant memory).

    `__len__` lets requests send `Content-Length` instead of chunked encoding; the reader stops
    at `total` even if the file grew, so the length header stays true.
    """

    def __init__(self, fh: IO[bytes], total: int, progress: ProgressCallback | None) -> None:
        self._fh = fh
        self._total = total
        self._sent = 0
        self._progress = progress

    def __len__(self) -> int:
        return self._total

    def read(self, size: int = -1) -> bytes:
        left = self._total - self._sent
        if left <= 0:
            return b""
        # http.client asks for 8-16 KiB at a time; 1 MiB blocks cut the per-call overhead that
        # otherwise caps the upload well below what curl reaches on the same link.
        want = left if size is None or size < 0 else min(max(size, _UPLOAD_BLOCK_BYTES), left)
        data = self._fh.read(want)
        self._sent += len(data)
        if self._progress is not None and data:
            self._progress(self._sent, self._total)
        return data


# --------------------------------------------------------------------------- the client


class ZenodoClient:
    """A typed client of one Zenodo (InvenioRDM) endpoint such as `https://zenodo.org/api`.

    Use as a context manager or call `close()`. `request_count` counts the HTTP attempts made
    (retries and re-reads included). A given `session` is used as is, with its auth and the
    Accept/User-Agent headers set by this client. Not thread-safe: one client per thread.

    Timeouts are (connect, read) per request; an upload's read timeout also grows with the file
    (see `UPLOAD_FLOOR_BYTES_PER_S`).
    """

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        user_agent: str | None = None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
            # http.client would refuse the header and quote it, token and all, in its error.
            raise UsageError(
                "the Zenodo token contains spaces, line breaks or control characters",
                hint="the secret or token file must hold the token alone, on one line",
            )
        self.endpoint = endpoint.rstrip("/")
        self.retry = retry
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.request_count = 0
        self._deadline_s: float | None = None  # of the outermost retry loop under way
        self._token = token
        self._rate = _RateLimit()
        self._session = session if session is not None else requests.Session()
        self._session.auth = _BearerAuth(token)
        self._session.headers.update(
            {"Accept": ACCEPT, "User-Agent": user_agent or DEFAULT_USER_AGENT},
        )

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
        self._session.close()

    # ----------------------------------------------------------------------- records and drafts

    def create_draft(self, document: Mapping[str, Any]) -> RemoteRecord:
        """`POST /records`: a new draft. Partial data is saved; problems come back in `errors`.

        The new id is unknown until the answer arrives, so after an ambiguous failure (5xx,
        timeout or reset after the request was sent) this looks in `GET /user/records` (polled a
        few times, it is eventually consistent) for an unpublished draft with the same title and
        no files created since shortly before the first attempt, and adopts it; only if none shows
        up is the POST sent again. Residual risk: if the search index lags longer than the polls,
        a duplicate empty draft is left behind; if another process creates a draft with the same
        title at the same moment, that one may be adopted.
        """
        path = "/records"
        title = _get(document, "metadata", "title")
        started_epoch_s = self.retry.wall_clock()

        def once() -> RemoteRecord:
            response = self._send("POST", path, json_body=document)
            return _parse_record(response, "POST", path, is_draft=True)

        def reconcile() -> RemoteRecord | None:
            if not isinstance(title, str):
                return None
            return self._find_fresh_draft(title, started_epoch_s - CREATE_LOOKUP_SKEW_S)

        return self._run("POST", path, once, reconcile)

    def get_draft(self, record_id: str) -> RemoteRecord | None:
        """`GET /records/{id}/draft`, or None when there is no draft (never, discarded, published)."""
        path = f"/records/{_seg(record_id)}/draft"
        try:
            return self._run(
                "GET", path, lambda: _parse_record(self._send("GET", path), "GET", path, is_draft=True)
            )
        except NotFoundError:
            return None

    def get_record(self, record_id: str) -> RemoteRecord:
        """`GET /records/{id}`: the published record.

        NotFoundError when it was never published, GoneError when it was deleted.
        """
        path = f"/records/{_seg(record_id)}"
        return self._run(
            "GET", path, lambda: _parse_record(self._send("GET", path), "GET", path, is_draft=False)
        )

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

        def once() -> RemoteRecord:
            response = self._send("PUT", path, json_body=document, headers=headers)
            return _parse_record(response, "PUT", path, is_draft=True)

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

        return self._run("PUT", path, once, reconcile if if_match is not None else None)

    def edit_draft(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft`: open (or get the already open) edit draft of a published record."""
        path = f"/records/{_seg(record_id)}/draft"
        return self._run(
            "POST", path, lambda: _parse_record(self._send("POST", path), "POST", path, is_draft=True)
        )

    def publish(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft/actions/publish`: the published record.

        Publish can answer 504 after it succeeded, so after an ambiguous failure the draft is
        re-read first: gone (404) and the record readable means it was published and the record
        is returned; a draft still present means it was not, and publish is sent again. (For an
        edit draft `GET /records/{id}` alone cannot tell: the older published version answers.)
        """
        path = f"/records/{_seg(record_id)}/draft/actions/publish"

        def once() -> RemoteRecord:
            return _parse_record(self._send("POST", path), "POST", path, is_draft=False)

        def reconcile() -> RemoteRecord | None:
            if self.get_draft(record_id) is not None:
                return None
            return self.get_record(record_id)

        return self._run("POST", path, once, reconcile)

    def reserve_doi(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/draft/pids/doi`: reserve the draft's DOI (registered only at publish).

        Refused (400) when the draft has one; so after an ambiguous failure the draft is re-read,
        and a DOI there means the reservation took effect.
        """
        path = f"/records/{_seg(record_id)}/draft/pids/doi"

        def once() -> RemoteRecord:
            return _parse_record(self._send("POST", path), "POST", path, is_draft=True)

        def reconcile() -> RemoteRecord | None:
            draft = self.get_draft(record_id)
            return draft if draft is not None and draft.doi else None

        return self._run("POST", path, once, reconcile)

    def discard_draft(self, record_id: str) -> None:
        """`DELETE /records/{id}/draft`: a new draft is gone for good, an edit draft is discarded."""
        path = f"/records/{_seg(record_id)}/draft"

        def once() -> bool:
            self._send("DELETE", path)
            return True

        def reconcile() -> bool | None:
            return True if self.get_draft(record_id) is None else None

        self._run("DELETE", path, once, reconcile)

    def new_version(self, record_id: str) -> RemoteRecord:
        """`POST /records/{id}/versions`: the next-version draft (idempotent: the open one if any)."""
        path = f"/records/{_seg(record_id)}/versions"
        return self._run(
            "POST", path, lambda: _parse_record(self._send("POST", path), "POST", path, is_draft=True)
        )

    def latest_version_id(self, record_id: str) -> str:
        """The id of the latest published version (`GET /records/{id}/versions/latest`, a 301).

        Accepts a record id or the concept (parent) id.
        """
        path = f"/records/{_seg(record_id)}/versions/latest"

        def once() -> str:
            response = self._send("GET", path, allow_redirects=False)
            location = response.headers.get("Location")
            if response.is_redirect and location:
                match = re.search(r"/records/([^/?#]+)/?(?:[?#].*)?$", location)
                if match:
                    return urllib.parse.unquote(match.group(1))
                raise RemoteError(
                    "Zenodo redirected to an unexpected address for the latest version.",
                    method="GET",
                    path=path,
                    status=response.status_code,
                )
            return _parse_record(response, "GET", path, is_draft=False).id

        return self._run("GET", path, once)

    # ----------------------------------------------------------------------- files

    def list_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`GET /records/{id}/draft/files`: the draft's file entries, pending and failed included."""
        path = f"/records/{_seg(record_id)}/draft/files"
        return self._run("GET", path, lambda: _parse_listing(self._send("GET", path), "GET", path))

    def list_record_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`GET /records/{id}/files`: the files of a published record."""
        path = f"/records/{_seg(record_id)}/files"
        return self._run("GET", path, lambda: _parse_listing(self._send("GET", path), "GET", path))

    def import_files(self, record_id: str) -> tuple[RemoteFile, ...]:
        """`POST .../draft/actions/files-import`: link the previous version's files, no re-upload.

        Only valid on a new-version draft without files (else 400). After an ambiguous failure the
        files are listed: a non-empty listing means the import took effect and is returned.
        """
        path = f"/records/{_seg(record_id)}/draft/actions/files-import"

        def once() -> tuple[RemoteFile, ...]:
            return _parse_listing(self._send("POST", path), "POST", path)

        def reconcile() -> tuple[RemoteFile, ...] | None:
            return self.list_files(record_id) or None

        return self._run("POST", path, once, reconcile)

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
                response = self._send("POST", path, json_body=[{"key": key} for key in missing])
                for entry in _parse_listing(response, "POST", path):
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

        return self._run("POST", path, once, reconcile)

    def upload_content(
        self,
        record_id: str,
        key: str,
        path: Path,
        *,
        size_bytes: int,
        progress: ProgressCallback | None = None,
    ) -> RemoteFile:
        """`PUT .../draft/files/{key}/content`: stream `size_bytes` bytes of `path` from disk.

        The file is reopened on every attempt (a broken upload restarts from byte 0; Zenodo has
        no resumable upload). A 200 that carries `errors` means the server dropped the entry:
        it counts as a transient failure. Before any retry the files are listed and the entry is
        initialised again if the server dropped it.
        """
        api_path = f"/records/{_seg(record_id)}/draft/files/{_seg(key)}/content"
        read_timeout_s = self.read_timeout_s + size_bytes / UPLOAD_FLOOR_BYTES_PER_S

        def once() -> RemoteFile:
            with path.open("rb") as fh:
                response = self._send(
                    "PUT",
                    api_path,
                    body=_ProgressReader(fh, size_bytes, progress),
                    headers={"Content-Type": "application/octet-stream"},
                    read_timeout_s=read_timeout_s,
                )
            document = _json(response, "PUT", api_path)
            errors = _field_errors(document.get("errors"))
            if errors:
                raise _Retryable(
                    self._scrub(f"the server dropped the upload of {key!r}: {'; '.join(map(str, errors))}"),
                    method="PUT",
                    path=api_path,
                    status=response.status_code,
                    sent=True,
                )
            return _parse_file(document)

        def reconcile() -> RemoteFile | None:
            if not any(entry.key == key for entry in self.list_files(record_id)):
                self.init_files(record_id, [key])
            return None

        return self._run("PUT", api_path, once, reconcile)

    def commit_file(self, record_id: str, key: str) -> RemoteFile:
        """`POST .../draft/files/{key}/commit`: the completed entry with the server's size and MD5.

        After an ambiguous failure the files are listed; a completed entry means the commit took
        effect and is returned.
        """
        path = f"/records/{_seg(record_id)}/draft/files/{_seg(key)}/commit"

        def once() -> RemoteFile:
            return _parse_file(_json(self._send("POST", path), "POST", path))

        def reconcile() -> RemoteFile | None:
            for entry in self.list_files(record_id):
                if entry.key == key and entry.status == "completed":
                    return entry
            return None

        return self._run("POST", path, once, reconcile)

    def delete_file(self, record_id: str, key: str) -> None:
        """`DELETE .../draft/files/{key}`."""
        path = f"/records/{_seg(record_id)}/draft/files/{_seg(key)}"

        def once() -> bool:
            self._send("DELETE", path)
            return True

        def reconcile() -> bool | None:
            return None if any(entry.key == key for entry in self.list_files(record_id)) else True

        self._run("DELETE", path, once, reconcile)

    def upload_file(
        self,
        record_id: str,
        local: LocalFile,
        *,
        progress: ProgressCallback | None = None,
        initialized: bool = False,
    ) -> RemoteFile:
        """Upload one file to a draft: init, content, commit, then verify size and MD5.

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
            self.upload_content(
                record_id, local.key, local.path, size_bytes=local.size_bytes, progress=progress
            )
            remote = self.commit_file(record_id, local.key)
            if remote.size_bytes == local.size_bytes and remote.md5 == local.md5:
                log.debug("verified %s (%d bytes, md5 %s)", local.key, local.size_bytes, local.md5)
                return remote
            log.warning(
                "%s: Zenodo stored %s bytes with md5 %s, expected %d bytes with md5 %s (attempt %d of 2)",
                local.key,
                remote.size_bytes,
                remote.md5,
                local.size_bytes,
                local.md5,
                round_number,
            )
            self.delete_file(record_id, local.key)
        assert remote is not None
        raise UploadVerificationError(
            f"{local.key}: Zenodo stored {remote.size_bytes} bytes with md5 {remote.md5}, "
            f"expected {local.size_bytes} bytes with md5 {local.md5}, twice.",
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

    # ----------------------------------------------------------------------- machinery

    def _run(
        self,
        method: str,
        path: str,
        once: Callable[[], T],
        reconcile: Callable[[], T | None] | None = None,
    ) -> T:
        """Run `once` under the retry policy.

        Before a repeat that follows a failure which may have taken effect (`_Retryable.sent`),
        `reconcile` re-reads the server: a value means "already done, here is the result"; None
        means "send again".
        """
        policy = self.retry
        started_s = policy.clock()
        # A re-read inside a retry (reconcile) runs its own _run: it shares the outer deadline, so
        # nesting never stretches max_total_s.
        outer_deadline_s = self._deadline_s
        deadline_s = started_s + policy.max_total_s if outer_deadline_s is None else outer_deadline_s
        needs_check = False

        def attempt() -> T:
            nonlocal needs_check
            if needs_check and reconcile is not None:
                done = reconcile()
                if done is not None:
                    log.debug("%s %s had already taken effect; not sent again", method, path)
                    return done
            try:
                return once()
            except _Retryable as failure:
                # Sticky: once an attempt may have reached the server, every later try looks first,
                # even after a try that failed before sending (a 429 must not hide the earlier one).
                needs_check = needs_check or failure.sent
                raise

        def wait(state: tenacity.RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            if isinstance(failure, _Retryable) and failure.retry_after_s is not None:
                return failure.retry_after_s + policy.jitter_s * policy.rng()
            return policy.backoff_s(state.attempt_number)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= policy.max_attempts:
                return True
            return policy.clock() + state.upcoming_sleep > deadline_s

        def before_sleep(state: tenacity.RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            log.info(
                "%s %s failed (%s); attempt %d of %d in %.1f s",
                method,
                path,
                failure.message if isinstance(failure, _Retryable) else failure,
                state.attempt_number + 1,
                policy.max_attempts,
                state.upcoming_sleep,
            )

        retrying = tenacity.Retrying(
            sleep=lambda seconds: policy.sleep(float(seconds)),
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
        self._deadline_s = deadline_s
        try:
            return retrying(attempt)
        except _Retryable as failure:
            elapsed_s = policy.clock() - started_s
            raise TransientError(
                f"Zenodo did not answer {failure.method} {failure.path} successfully: {failure.message} "
                f"(gave up after {elapsed_s:.0f} s)",
                method=failure.method,
                path=failure.path,
                status=failure.status,
                hint="Zenodo may be overloaded or down (see https://status.zenodo.org); run the sync "
                "again later, it resumes where it stopped.",
            ) from failure
        finally:
            self._deadline_s = outer_deadline_s

    def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: _ProgressReader | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        read_timeout_s: float | None = None,
        allow_redirects: bool = True,
    ) -> requests.Response:
        """One HTTP attempt: pace, send, log, map the status (retryable -> _Retryable, else errors)."""
        self._pace()
        timeout = (self.connect_timeout_s, read_timeout_s or self.read_timeout_s)
        started_s = time.perf_counter()
        self.request_count += 1
        try:
            response = self._session.request(
                method,
                self.endpoint + path,
                json=json_body,
                data=body,
                headers=dict(headers) if headers else None,
                params=params,
                timeout=timeout,
                allow_redirects=allow_redirects,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.debug(
                "%s %s -> %s (%.2f s)", method, path, type(exc).__name__, time.perf_counter() - started_s
            )
            raise _Retryable(
                self._scrub(f"{type(exc).__name__}: {exc}"),
                method=method,
                path=path,
                status=None,
                sent=not _failed_before_sending(exc),
            ) from exc
        except requests.RequestException as exc:
            raise RemoteError(
                self._scrub(f"Could not send the request to Zenodo: {exc}"),
                method=method,
                path=path,
            ) from exc
        response.content  # noqa: B018 (read the body now: the timing covers it, the connection is freed)
        log.debug("%s %s -> %d (%.2f s)", method, path, response.status_code, time.perf_counter() - started_s)
        self._note_rate_limit(response)
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            raise _Retryable(
                f"{status} {self._server_message(response)}",
                method=method,
                path=path,
                status=status,
                sent=status != 429,
                retry_after_s=self._retry_after_s(response) if status == 429 else None,
            )
        if status >= 400:
            raise self._error_for(response, method, path)
        return response

    def _error_for(self, response: requests.Response, method: str, path: str) -> RemoteError:
        status = response.status_code
        message = self._server_message(response)
        document = _json_or_empty(response)
        field_errors = _field_errors(document.get("errors"))
        where: dict[str, Any] = {"method": method, "path": path, "status": status}
        if status in (401, 403):
            if "locked" in message.lower():
                return AuthError(
                    message,
                    hint="The files of a published version cannot change; publish a new version instead.",
                    **where,
                )
            return AuthError(
                message,
                hint=(
                    f"Zenodo at {self.endpoint} refused the token: it is wrong, expired or lacks the "
                    "deposit:write and deposit:actions scopes, or the record belongs to another account. "
                    "Tokens of zenodo.org and sandbox.zenodo.org are separate: a sandbox token does not "
                    "work against production, nor the other way round."
                ),
                **where,
            )
        if status == 404:
            return NotFoundError(message, hint=f"Is the record id right for {self.endpoint}?", **where)
        if status == 410:
            return GoneError(message, hint="The record was deleted on Zenodo.", **where)
        if status in (409, 412):
            return ConflictError(
                message,
                hint="Somebody else changed the draft meanwhile; run the sync again.",
                **where,
            )
        if status == 400 or status == 422:
            return BadRequestError(message, field_errors=field_errors, **where)
        return RemoteError(message, field_errors=field_errors, **where)

    def _server_message(self, response: requests.Response) -> str:
        document = _json_or_empty(response)
        message = document.get("message")
        if not isinstance(message, str) or not message:
            message = f"HTTP {response.status_code} {response.reason or ''}".strip()
        return self._scrub(message)

    def _scrub(self, text: str) -> str:
        """Text that may echo the request (exception messages, server bodies), without the token."""
        if self._token:
            text = text.replace(self._token, "***")
            quoted = urllib.parse.quote(self._token, safe="")
            if quoted != self._token:
                text = text.replace(quoted, "***")
        return text

    def _retry_after_s(self, response: requests.Response) -> float | None:
        """The wait a 429 asks for: `Retry-After` (seconds or HTTP date), else until the reset."""
        value = response.headers.get("Retry-After")
        now_s = self.retry.wall_clock()
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(value)
                    return max(0.0, when.timestamp() - now_s)
                except (TypeError, ValueError):
                    pass
        if self._rate.reset_epoch_s is not None:
            return max(0.0, self._rate.reset_epoch_s - now_s)
        return None

    def _note_rate_limit(self, response: requests.Response) -> None:
        headers = response.headers
        self._rate.limit = _int_header(headers.get("X-RateLimit-Limit"), self._rate.limit)
        self._rate.remaining = _int_header(headers.get("X-RateLimit-Remaining"), self._rate.remaining)
        reset = _int_header(headers.get("X-RateLimit-Reset"), None)
        if reset is not None:
            # Zenodo sends epoch seconds; a small number can only be a delay (some proxies do that).
            self._rate.reset_epoch_s = float(reset) if reset > 10**9 else self.retry.wall_clock() + reset

    def _pace(self) -> None:
        """Spread the requests left in the rate-limit window until its reset instead of meeting a 429."""
        rate = self._rate
        if rate.remaining is None or rate.reset_epoch_s is None:
            return
        threshold = max(2, int((rate.limit or 0) * PACING_THRESHOLD))
        if rate.remaining > threshold:
            return
        until_reset_s = rate.reset_epoch_s - self.retry.wall_clock()
        if until_reset_s <= 0:
            return
        wait_s = min(self.retry.max_wait_s, until_reset_s / max(1, rate.remaining))
        log.debug("%d requests left until the rate-limit reset; pacing %.2f s", rate.remaining, wait_s)
        self.retry.sleep(wait_s)
        # The next answer says how many are left; until then count this request against the window.
        rate.remaining = max(0, rate.remaining - 1)

    def find_orphan_draft(self, title: str, *, max_age_s: float = 30 * 86400.0) -> RemoteRecord | None:
        """A never-published draft of this user with this title and no files, created within `max_age_s`.

        That is what a run leaves behind when it stops between Zenodo's answer to "create" and
        writing the record-id file: the engine adopts it instead of creating a second draft. One look
        at the (eventually consistent) search, no polling.
        """
        return self._find_fresh_draft(title, self.retry.wall_clock() - max_age_s, polls=1)

    def _find_fresh_draft(
        self, title: str, created_after_epoch_s: float, *, polls: int = CREATE_LOOKUP_POLLS
    ) -> RemoteRecord | None:
        """A draft just created with this title and no files, from the eventually consistent search."""
        path = "/user/records"
        params = {"q": "", "sort": "newest", "size": "25", "page": "1"}
        for poll in range(polls):
            if poll:
                self.retry.sleep(CREATE_LOOKUP_INTERVAL_S)
            listing = self._run(
                "GET", path, lambda: _json(self._send("GET", path, params=params), "GET", path)
            )
            hits = _get(listing, "hits", "hits")
            for hit in hits if isinstance(hits, list) else []:
                if (
                    not isinstance(hit, dict)
                    or hit.get("is_published")
                    or hit.get("status", "draft") != "draft"
                ):
                    continue  # a next-version or edit draft is never what POST /records made
                if _get(hit, "metadata", "title") != title:
                    continue
                if _file_entries(hit.get("files")) or _get(hit, "files", "count"):
                    continue
                created = _epoch_s(hit.get("created"))
                if created is None or created < created_after_epoch_s:
                    continue
                log.info("found draft %s: same title, no files, never published", hit.get("id"))
                draft = self.get_draft(str(hit.get("id")))
                if draft is not None:
                    return draft
        return None


# --------------------------------------------------------------------------- parsing


def _seg(value: str) -> str:
    """One URL path segment: keys with spaces, slashes or non-ASCII letters are percent-encoded."""
    return urllib.parse.quote(str(value), safe="")


def _get(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _int_header(value: str | None, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(float(value))
    except ValueError:
        return default


def _epoch_s(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _failed_before_sending(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(
            current, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError
        ):
            return True
        if isinstance(current, urllib3.exceptions.MaxRetryError):
            todo.append(current.reason)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        todo.append(current.__cause__)
        todo.append(current.__context__)
    return False


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _json(response: requests.Response, method: str, path: str) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError as exc:
        raise RemoteError(
            f"Zenodo answered {response.status_code} without a JSON body.",
            method=method,
            path=path,
            status=response.status_code,
        ) from exc
    if not isinstance(document, dict):
        raise RemoteError(
            "Zenodo answered with JSON that is not an object.",
            method=method,
            path=path,
            status=response.status_code,
        )
    document.pop("ui", None)
    return document


def _field_errors(value: Any) -> tuple[FieldError, ...]:
    if not isinstance(value, list):
        return ()
    errors = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        messages = item.get("messages")
        if isinstance(messages, str):
            messages = [messages]
        if not isinstance(messages, list):
            messages = []
        errors.append(FieldError(field=str(item.get("field", "")), messages=tuple(str(m) for m in messages)))
    return tuple(errors)


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


def _parse_listing(response: requests.Response, method: str, path: str) -> tuple[RemoteFile, ...]:
    return _file_entries(_json(response, method, path))


def _parse_record(response: requests.Response, method: str, path: str, *, is_draft: bool) -> RemoteRecord:
    document = _json(response, method, path)
    if "id" not in document:
        raise RemoteError(
            "Zenodo answered with a document that has no id.",
            method=method,
            path=path,
            status=response.status_code,
        )
    return record_from_document(document, is_draft=is_draft, etag=response.headers.get("ETag"))


def record_from_document(
    document: Mapping[str, Any], *, is_draft: bool, etag: str | None = None
) -> RemoteRecord:
    """A `RemoteRecord` from an RDM JSON record or draft (the `ui` block dropped)."""
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
    return RemoteRecord(
        id=str(document["id"]),
        parent_id=str(parent_id) if parent_id is not None else None,
        is_published=bool(document.get("is_published")),
        is_draft=is_draft,
        status=status if isinstance(status, str) else None,
        revision_id=revision_id,
        doi=_str_or_none(_get(document, "pids", "doi", "identifier")),
        concept_doi=_str_or_none(_get(document, "parent", "pids", "doi", "identifier")),
        html_url=_str_or_none(_get(document, "links", "self_html")),
        version_index=version_index if isinstance(version_index, int) else None,
        metadata=metadata if isinstance(metadata, dict) else {},
        access=access if isinstance(access, dict) else {},
        custom_fields=custom_fields if isinstance(custom_fields, dict) else {},
        files=_file_entries(document.get("files")),
        errors=_field_errors(document.get("errors")),
        default_preview=_str_or_none(_get(document, "files", "default_preview")),
        has_files_block=isinstance(document.get("files"), Mapping),
        is_latest=_get(document, "versions", "is_latest") is not False,
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
