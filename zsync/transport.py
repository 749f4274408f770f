"""HTTP to one Zenodo endpoint: the only module that imports requests or urllib3.

`Transport` owns the `requests.Session`, the token (sent only as `Authorization: Bearer` and
scrubbed from every text made here), the Accept and User-Agent headers, the timeouts, rate-limit
pacing and the retry loop (`RetryPolicy`, run by tenacity) with its reconcile hook. `send` makes one
attempt and returns a `Reply`, a frozen value (never a `requests.Response`), or raises `Retryable`
(worth another attempt) or a `zsync.errors.RemoteError` (final). `run` repeats a call under the
policy. What the requests mean is `zsync.api`'s business.

Retry waits and long pacing waits are told to an `Events` object (`zsync.report.Reporter` is one),
so a retry storm shows where the rest of the run is reported; by default they are logged.

Each step has one home, so hardening it is one local change: the session is set up in
`_open_session`, one exchange happens in `_exchange`, the body is read in `_receive`, statuses
become errors in `_checked` / `_error_for`, and server `errors` become `FieldError`s in
`field_errors`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
import types
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypedDict, TypeVar, Unpack

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
    UsageError,
)

__all__ = [
    "ACCEPT",
    "DEFAULT_USER_AGENT",
    "Events",
    "LogEvents",
    "ProgressCallback",
    "Reply",
    "Request",
    "RetryPolicy",
    "Retryable",
    "Transport",
    "TransportOptions",
    "Upload",
    "field_errors",
]

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

# Shorter pacing waits are routine and only logged at debug level; longer ones are reported.
PACING_REPORT_S: Final = 1.0

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

_UPLOAD_BLOCK_BYTES: Final = 1 << 20


# --------------------------------------------------------------------------- values


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


class Readable(Protocol):
    """What an upload reads its bytes from: an open binary file, or a reader wrapping one."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    """A request body streamed from an open file: exactly `size_bytes` bytes, told to `progress`."""

    fh: Readable
    size_bytes: int
    progress: ProgressCallback | None = None


@dataclass(frozen=True)
class Request:
    """One HTTP request; `path` is under the endpoint (`/records/1/draft`), already percent-encoded."""

    method: str
    path: str
    json_body: Any = None
    upload: Upload | None = None
    headers: Mapping[str, str] | None = None
    params: Mapping[str, str] | None = None
    allow_redirects: bool = True


@dataclass(frozen=True)
class Reply:
    """What the server answered to one request (status below 400 unless it raised); header names
    are lower-case.

    `json()` is where the server's text enters zsync: every string in it (keys too) has passed
    `scrub`, the transport's, which removes the token wherever the server echoes it (`message`,
    `errors[].messages`, a saved draft's `errors`, any field)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    scrub: Callable[[str], str] | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def is_redirect(self) -> bool:
        return self.status in _REDIRECT_STATUSES and "location" in self.headers

    def json(self) -> Any:
        """The body parsed as JSON, its strings scrubbed; ValueError when it is not JSON."""
        document = json.loads(self.body)
        return document if self.scrub is None else _scrubbed(document, self.scrub)


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    """A parsed JSON value with `scrub` applied to every string in it, keys included."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(item, scrub) for item in value]
    if isinstance(value, dict):
        return {scrub(key): _scrubbed(item, scrub) for key, item in value.items()}
    return value


@dataclass(eq=False)
class Retryable(Exception):
    """One attempt failed transiently; `Transport.run` turns it into `TransientError` when retries end.

    `sent` is False only when the request certainly did not reach the application (connection
    refused, connect timeout, 429), which is when a non-idempotent call may be repeated blindly.
    `message` must already be scrubbed (`Transport.scrub`).
    """

    message: str
    method: str
    path: str
    status: int | None
    sent: bool
    retry_after_s: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)


class Events(Protocol):
    """Where the transport tells of its waits. `zsync.report.Reporter` satisfies it."""

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...


class LogEvents:
    """The default `Events`: the log lines of before there were reporters, retry waits at INFO and
    long pacing waits at DEBUG (the level of every pacing wait)."""

    def info(self, message: str) -> None:
        log.debug("%s", message)

    def warning(self, message: str) -> None:
        log.info("%s", message)


class TransportOptions(TypedDict, total=False):
    """The transport's knobs, also accepted as keywords by `zsync.api.ZenodoClient`.

    `user_agent`: default `DEFAULT_USER_AGENT`. `connect_timeout_s` (default 10) and
    `read_timeout_s` (default 60): per request; an upload's read timeout also grows with the file
    (see `UPLOAD_FLOOR_BYTES_PER_S`). `session`: a `requests.Session` used as is, with this
    transport's auth and Accept/User-Agent headers set on it.
    """

    user_agent: str | None
    connect_timeout_s: float
    read_timeout_s: float
    session: requests.Session | None


# --------------------------------------------------------------------------- the transport


@dataclass
class _RateLimit:
    """The last rate-limit headers seen (mutable state of one transport)."""

    limit: int | None = None
    remaining: int | None = None
    reset_epoch_s: float | None = None


class Transport:
    """Requests to one endpoint such as `https://zenodo.org/api`, with retries and pacing.

    `request_count` counts the HTTP attempts made (retries and re-reads included). Call `close()`
    when done. Not thread-safe: one transport per thread.
    """

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        events: Events | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
            # http.client would refuse the header and quote it, token and all, in its error.
            raise UsageError(
                "the Zenodo token contains spaces, line breaks or control characters",
                hint="the secret or token file must hold the token alone, on one line",
            )
        self.endpoint = endpoint.rstrip("/")
        self.retry = retry
        self.events: Events = events if events is not None else LogEvents()
        self.connect_timeout_s = options.get("connect_timeout_s", 10.0)
        self.read_timeout_s = options.get("read_timeout_s", 60.0)
        self.request_count = 0
        self._deadline_s: float | None = None  # of the outermost retry loop under way
        self._token = token
        self._rate = _RateLimit()
        self._session = _open_session(options.get("session"), token, options.get("user_agent"))

    def close(self) -> None:
        self._session.close()

    # ----------------------------------------------------------------------- one attempt

    def send(self, request: Request) -> Reply:
        """One HTTP attempt: pace, send, log, map the status (retryable -> Retryable, else errors)."""
        self._pace()
        started_s = time.perf_counter()
        self.request_count += 1
        method, path = request.method, request.path
        try:
            reply = self._exchange(request)
        except (requests.ConnectionError, requests.Timeout) as exc:
            log.debug(
                "%s %s -> %s (%.2f s)", method, path, type(exc).__name__, time.perf_counter() - started_s
            )
            raise Retryable(
                self.scrub(f"{type(exc).__name__}: {exc}"),
                method=method,
                path=path,
                status=None,
                sent=not _failed_before_sending(exc),
            ) from exc
        except requests.RequestException as exc:
            raise RemoteError(
                self.scrub(f"Could not send the request to Zenodo: {exc}"),
                method=method,
                path=path,
            ) from exc
        log.debug("%s %s -> %d (%.2f s)", method, path, reply.status, time.perf_counter() - started_s)
        self._note_rate_limit(reply)
        return self._checked(reply, request)

    def _exchange(self, request: Request) -> Reply:
        read_timeout_s = self.read_timeout_s
        body: _ProgressReader | None = None
        if request.upload is not None:
            upload = request.upload
            read_timeout_s += upload.size_bytes / UPLOAD_FLOOR_BYTES_PER_S
            body = _ProgressReader(upload.fh, upload.size_bytes, upload.progress)
        response = self._session.request(
            request.method,
            self.endpoint + request.path,
            json=request.json_body,
            data=body,
            headers=dict(request.headers) if request.headers else None,
            params=request.params,
            timeout=(self.connect_timeout_s, read_timeout_s),
            allow_redirects=request.allow_redirects,
        )
        return _receive(response, self.scrub)

    def _checked(self, reply: Reply, request: Request) -> Reply:
        status = reply.status
        if status in RETRYABLE_STATUSES:
            raise Retryable(
                f"{status} {self._server_message(reply, _json_or_empty(reply))}",
                method=request.method,
                path=request.path,
                status=status,
                sent=status != 429,
                retry_after_s=self._retry_after_s(reply) if status == 429 else None,
            )
        if status >= 400:
            raise self._error_for(reply, request.method, request.path)
        return reply

    def _error_for(self, reply: Reply, method: str, path: str) -> RemoteError:
        status = reply.status
        document = _json_or_empty(reply)
        message = self._server_message(reply, document)
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
        errors = field_errors(document.get("errors"))
        if status == 400 or status == 422:
            return BadRequestError(message, field_errors=errors, **where)
        return RemoteError(message, field_errors=errors, **where)

    def _server_message(self, reply: Reply, document: Mapping[str, Any]) -> str:
        message = document.get("message")
        if not isinstance(message, str) or not message:
            message = f"HTTP {reply.status} {reply.reason or ''}".strip()
        return self.scrub(message)

    def scrub(self, text: str) -> str:
        """Text that may echo the request (exception messages, server bodies), without the token."""
        if self._token:
            text = text.replace(self._token, "***")
            quoted = urllib.parse.quote(self._token, safe="")
            if quoted != self._token:
                text = text.replace(quoted, "***")
        return text

    # ----------------------------------------------------------------------- rate limit

    def _retry_after_s(self, reply: Reply) -> float | None:
        """The wait a 429 asks for: `Retry-After` (seconds or HTTP date), else until the reset."""
        value = reply.header("Retry-After")
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

    def _note_rate_limit(self, reply: Reply) -> None:
        self._rate.limit = _int_header(reply.header("X-RateLimit-Limit"), self._rate.limit)
        self._rate.remaining = _int_header(reply.header("X-RateLimit-Remaining"), self._rate.remaining)
        reset = _int_header(reply.header("X-RateLimit-Reset"), None)
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
        message = f"{rate.remaining} requests left until the rate-limit reset; pacing {wait_s:.2f} s"
        if wait_s >= PACING_REPORT_S:
            self.events.info(message)
        else:
            log.debug("%s", message)
        self.retry.sleep(wait_s)
        # The next answer says how many are left; until then count this request against the window.
        rate.remaining = max(0, rate.remaining - 1)

    # ----------------------------------------------------------------------- retries

    def run(
        self,
        method: str,
        path: str,
        once: Callable[[], T],
        reconcile: Callable[[], T | None] | None = None,
    ) -> T:
        """Run `once` (which sends one or more requests) under the retry policy.

        Before a repeat that follows a failure which may have taken effect (`Retryable.sent`),
        `reconcile` re-reads the server: a value means "already done, here is the result"; None
        means "send again". `method` and `path` name the call in reports and errors.
        """
        policy = self.retry
        started_s = policy.clock()
        # A re-read inside a retry (reconcile) runs its own `run`: it shares the outer deadline, so
        # nesting never stretches max_total_s.
        outer_deadline_s = self._deadline_s
        deadline_s = started_s + policy.max_total_s if outer_deadline_s is None else outer_deadline_s
        retrying = tenacity.Retrying(
            sleep=lambda seconds: policy.sleep(float(seconds)),
            stop=lambda state: _out_of_attempts(policy, state, deadline_s),
            wait=lambda state: _wait_s(policy, state),
            retry=tenacity.retry_if_exception_type(Retryable),
            before_sleep=lambda state: self._report_retry(method, path, state),
            reraise=True,
        )
        self._deadline_s = deadline_s
        try:
            return retrying(_Attempts(method, path, once, reconcile))
        except Retryable as failure:
            raise _gave_up(failure, policy.clock() - started_s) from failure
        finally:
            self._deadline_s = outer_deadline_s

    def _report_retry(self, method: str, path: str, state: tenacity.RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        reason = failure.message if isinstance(failure, Retryable) else failure
        self.events.warning(
            self.scrub(
                f"{method} {path} failed ({reason}); attempt {state.attempt_number + 1} of "
                f"{self.retry.max_attempts} in {state.upcoming_sleep:.1f} s"
            )
        )


class _Attempts(Generic[T]):
    """The attempts of one call: look before repeating anything that may have taken effect."""

    def __init__(
        self, method: str, path: str, once: Callable[[], T], reconcile: Callable[[], T | None] | None
    ) -> None:
        self.method = method
        self.path = path
        self.once = once
        self.reconcile = reconcile
        self.needs_check = False

    def __call__(self) -> T:
        if self.needs_check and self.reconcile is not None:
            done = self.reconcile()
            if done is not None:
                log.debug("%s %s had already taken effect; not sent again", self.method, self.path)
                return done
        try:
            return self.once()
        except Retryable as failure:
            # Sticky: once an attempt may have reached the server, every later try looks first,
            # even after a try that failed before sending (a 429 must not hide the earlier one).
            self.needs_check = self.needs_check or failure.sent
            raise


def _wait_s(policy: RetryPolicy, state: tenacity.RetryCallState) -> float:
    failure = state.outcome.exception() if state.outcome else None
    if isinstance(failure, Retryable) and failure.retry_after_s is not None:
        return failure.retry_after_s + policy.jitter_s * policy.rng()
    return policy.backoff_s(state.attempt_number)


def _out_of_attempts(policy: RetryPolicy, state: tenacity.RetryCallState, deadline_s: float) -> bool:
    if state.attempt_number >= policy.max_attempts:
        return True
    return policy.clock() + state.upcoming_sleep > deadline_s


def _gave_up(failure: Retryable, elapsed_s: float) -> TransientError:
    return TransientError(
        f"Zenodo did not answer {failure.method} {failure.path} successfully: {failure.message} "
        f"(gave up after {elapsed_s:.0f} s)",
        method=failure.method,
        path=failure.path,
        status=failure.status,
        hint="Zenodo may be overloaded or down (see https://status.zenodo.org); run the sync "
        "again later, it resumes where it stopped.",
    )


# --------------------------------------------------------------------------- requests plumbing


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


def _open_session(session: requests.Session | None, token: str, user_agent: str | None) -> requests.Session:
    session = session if session is not None else requests.Session()
    session.auth = _BearerAuth(token)
    session.headers.update({"Accept": ACCEPT, "User-Agent": user_agent or DEFAULT_USER_AGENT})
    return session


def _receive(response: requests.Response, scrub: Callable[[str], str]) -> Reply:
    """The answer as a value, its body read in full (the timing covers it, the connection is freed);
    its headers and reason already scrubbed, its JSON scrubbed when parsed."""
    return Reply(
        status=response.status_code,
        reason=scrub(response.reason or ""),
        headers=types.MappingProxyType(
            {name.lower(): scrub(value) for name, value in response.headers.items()}
        ),
        body=response.content,
        scrub=scrub,
    )


class _ProgressReader:
    """A file-like body of exactly `total` bytes read from `fh` in chunks (constant memory).

    `__len__` lets requests send `Content-Length` instead of chunked encoding; the reader stops
    at `total` even if the file grew, so the length header stays true.
    """

    def __init__(self, fh: Readable, total: int, progress: ProgressCallback | None) -> None:
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


# --------------------------------------------------------------------------- parsing


def field_errors(value: Any) -> tuple[FieldError, ...]:
    """The `errors` list of a Zenodo answer (validation problems per field) as `FieldError`s."""
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


def _json_or_empty(reply: Reply) -> dict[str, Any]:
    try:
        document = reply.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _int_header(value: str | None, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(float(value))
    except ValueError:
        return default
