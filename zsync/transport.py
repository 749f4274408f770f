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

import contextlib
import email.utils
import json
import logging
import math
import random
import socket
import struct
import sys
import threading
import time
import types
import unicodedata
import urllib.parse
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypedDict, TypeVar, Unpack, cast

with contextlib.suppress(ImportError):  # requests' dependency (optional to it): see compiling_lazily
    import charset_normalizer  # noqa: F401

from zsync._version import PROJECT_URL, __version__
from zsync.deadline import RunDeadline
from zsync.errors import (
    AuthError,
    BadRequestError,
    ConflictError,
    DeadlineError,
    FieldError,
    GoneError,
    LocalFileChanged,
    NotFoundError,
    RemoteError,
    TransientError,
    UsageError,
)
from zsync.frozen import field, frozen
from zsync.identifiers import is_loopback_host
from zsync.lazyre import compiling_lazily
from zsync.units import counted

# requests, urllib3 and the standard library modules they import first (http.cookiejar, email, ...)
# compile some 80 patterns at import; a sync uses about 20 of them (the rest: cookies, IPv6 hosts,
# header folding). Compiled when first used: 95 M of the 513 M instructions of importing them.
# charset_normalizer (requests imports it) is imported above, not in the block: it hands a
# module-level pattern to re.sub (models.py, CharsetMatch.output), which takes only a compiled one.
with compiling_lazily():
    import requests
    import requests.adapters
    import tenacity
    import urllib3.connection
    import urllib3.connectionpool
    import urllib3.exceptions
    import urllib3.poolmanager

__all__ = [
    "ACCEPT",
    "DEFAULT_USER_AGENT",
    "MAX_ANSWER_BYTES",
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
"""`progress(sent_bytes, total_bytes)`, called as the content of a file is streamed: `sent_bytes` are
the bytes the server's side acknowledged (on Linux and macOS; elsewhere, the bytes the socket took),
never the bytes read from disk or waiting in a buffer. At most every `PROGRESS_INTERVAL_S`, and once
with the total at the end."""

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

# Each exchange also has a wall-clock deadline, since the timeouts above bound each socket operation
# only (a server sending a byte every few seconds never trips them): the connect timeout, the read
# timeout for the first byte and another for the rest of the answer; an upload adds the time to send
# its body at a pessimistic 100 kB/s and the server's time to store it (above). The run's deadline
# (`zsync.deadline.RunDeadline`) caps them all.
UPLOAD_SEND_FLOOR_BYTES_PER_S: Final = 100_000

# No answer of Zenodo's API comes near this (a search page or a 100-file listing is well under
# 1 MiB); a longer one is refused, not read into memory.
MAX_ANSWER_BYTES: Final = 64 << 20

# Statuses worth another attempt. 500 is included because Zenodo's front proxies answer it for
# transient storage hiccups too; deterministic 500s (commit without content) end after the policy.
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

# Pacing starts when fewer than this share of the window's requests remain.
PACING_THRESHOLD: Final = 0.1

# Shorter pacing waits are routine and only logged at debug level; longer ones are reported.
PACING_REPORT_S: Final = 1.0

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

_UPLOAD_BLOCK_BYTES: Final = 1 << 20
_READ_BLOCK_BYTES: Final = 1 << 16
# A block read from disk goes to the socket in slices; after each, what the server has acknowledged
# is measured. A slice is what the link took in one progress interval (so a slow link still shows
# progress several times a second), within these bounds (a fast link sends whole blocks, as before).
_UPLOAD_SLICE_MIN_BYTES: Final = 64 << 10
PROGRESS_INTERVAL_S: Final = 0.1
# After the last byte was handed to the socket, the progress line follows the socket's queue down to
# zero, unless it stops moving for this long (the server answered early, or stalled: the read timeout
# handles that).
_DRAIN_STALL_S: Final = 2.0

# With HTTP_PROXY set, requests would send a loopback endpoint's requests (token and all, in clear
# for http://) to the proxy; these per-request settings switch every environment proxy off.
_NO_PROXIES: Final = types.MappingProxyType({"http": None, "https": None, "all": None})


# --------------------------------------------------------------------------- values


@frozen
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


@frozen
class Upload:
    """A request body streamed from an open file: exactly `size_bytes` bytes, told to `progress`."""

    fh: Readable
    size_bytes: int
    progress: ProgressCallback | None = None
    key: str = "the file"  # for LocalFileChanged: the file ended early or grew while it was sent


@frozen
class Request:
    """One HTTP request; `path` is under the endpoint (`/records/1/draft`), already percent-encoded.

    Redirects are never followed. `redirect_expected` marks the calls whose answer is a redirect by
    Zenodo's contract (`versions/latest`): their 3xx is the reply, if its `Location` stays on the
    endpoint's origin. Any other 3xx is an error.
    """

    method: str
    path: str
    json_body: Any = None
    upload: Upload | None = None
    headers: Mapping[str, str] | None = None
    params: Mapping[str, str] | None = None
    redirect_expected: bool = False


@frozen
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
    `read_timeout_s` (default 60): per socket operation; an upload's read timeout also grows with
    the file (see `UPLOAD_FLOOR_BYTES_PER_S`), and each exchange has a wall-clock deadline made of
    them (see `UPLOAD_SEND_FLOOR_BYTES_PER_S`). `run_deadline`: when the whole run must end; no
    request or retry wait outlives it. `max_answer_bytes`: the longest answer read (default
    `MAX_ANSWER_BYTES`). `proxy_loopback`: send a loopback endpoint's requests through the
    environment's proxies too (by default they never go through one). `session`: a
    `requests.Session` used as is, with this transport's auth, headers and adapters set on it.
    """

    user_agent: str | None
    connect_timeout_s: float
    read_timeout_s: float
    run_deadline: RunDeadline | None
    max_answer_bytes: int
    proxy_loopback: bool
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
        _check_token(token)
        self.endpoint = endpoint.rstrip("/")
        self.retry = retry
        self.events: Events = events if events is not None else LogEvents()
        self.connect_timeout_s = options.get("connect_timeout_s", 10.0)
        self.read_timeout_s = options.get("read_timeout_s", 60.0)
        self.request_count = 0
        self._deadline_s: float | None = None  # of the outermost retry loop under way
        self._run_deadline = options.get("run_deadline")
        self._max_answer_bytes = options.get("max_answer_bytes", MAX_ANSWER_BYTES)
        host = urllib.parse.urlsplit(self.endpoint).hostname or ""
        direct = is_loopback_host(host) and not options.get("proxy_loopback", False)
        self._proxies = dict(_NO_PROXIES) if direct else None
        self._token = token
        self._rate = _RateLimit()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
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
        """One exchange under its wall-clock deadline (a watchdog ends it, see `_Watchdog`)."""
        budget_s = self._budget_s(request)
        left_s = self._run_deadline.left_s() if self._run_deadline is not None else math.inf
        if left_s <= 0:
            raise self._deadline_error(request.method, request.path, "about to send")
        reply: Reply | None = None
        with _Watchdog(min(budget_s, left_s), self._sockets) as watchdog:
            try:
                reply = self._attempt(request)
            except (OSError, urllib3.exceptions.HTTPError):  # requests' exceptions are OSErrors
                if not watchdog.fired:
                    raise
        if watchdog.fired or reply is None:
            if left_s <= budget_s:
                raise self._deadline_error(request.method, request.path)
            raise Retryable(
                f"no complete answer within {budget_s:.1f} s (the connection stalled or trickled)",
                method=request.method,
                path=request.path,
                status=None,
                sent=True,
            )
        return reply

    def _budget_s(self, request: Request) -> float:
        budget_s = self.connect_timeout_s + 2 * self.read_timeout_s
        if request.upload is not None:
            size = request.upload.size_bytes
            budget_s += size / UPLOAD_FLOOR_BYTES_PER_S + size / UPLOAD_SEND_FLOOR_BYTES_PER_S
        return budget_s

    def _attempt(self, request: Request) -> Reply:
        read_timeout_s = self.read_timeout_s
        body: _ProgressReader | None = None
        if request.upload is not None:
            upload = request.upload
            read_timeout_s += upload.size_bytes / UPLOAD_FLOOR_BYTES_PER_S
            body = _ProgressReader(upload)
        response = self._session.request(
            request.method,
            self.endpoint + request.path,
            json=request.json_body,
            data=cast("Readable | None", body),  # its read() gives bytearrays, which requests sends as is
            headers=dict(request.headers) if request.headers else None,
            params=request.params,
            timeout=(self.connect_timeout_s, read_timeout_s),
            allow_redirects=False,
            stream=True,
            proxies=self._proxies,  # type: ignore[arg-type]  # None switches one off
        )
        try:
            return _receive(response, request, self._max_answer_bytes, self.scrub)
        finally:
            response.close()

    def _deadline_error(
        self, method: str, path: str, doing: str = "waiting for Zenodo to answer"
    ) -> DeadlineError:
        deadline = self._run_deadline
        limit = deadline.describe() if deadline is not None else "?"
        return DeadlineError(
            f"zsync stopped at its time limit of {limit} while {doing} {method} {path}",
            method=method,
            path=path,
            hint="Zenodo or the network was too slow, or a server held the connection without "
            "answering. Run again (the sync resumes where it stopped) or raise the limit: "
            "--timeout-minutes, the timeout-minutes input or ZSYNC_TIMEOUT_MINUTES.",
        )

    def _checked(self, reply: Reply, request: Request) -> Reply:
        status = reply.status
        if 300 <= status < 400:
            return self._redirected(reply, request)
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

    def _redirected(self, reply: Reply, request: Request) -> Reply:
        """A 3xx: the reply where the contract redirects and `Location` stays on the endpoint's
        origin, else an error. None is followed: a 307 would re-send the body wherever it points,
        and what a foreign host answers is not Zenodo's word."""
        target = urllib.parse.urljoin(self.endpoint + request.path, reply.header("Location") or "")
        foreign = _origin(target) != _origin(self.endpoint)
        if request.redirect_expected and reply.is_redirect and not foreign:
            return reply
        where: dict[str, Any] = {"method": request.method, "path": request.path, "status": reply.status}
        if foreign:
            raise RemoteError(
                f"Zenodo answered with a redirect to another host ({_printable_host(target)}), "
                "which zsync never follows",
                hint=f"Is the endpoint {self.endpoint} right? Something between zsync and Zenodo may "
                "be tampering with the answers; nothing was sent to that host.",
                **where,
            )
        raise RemoteError(
            "Zenodo answered with a redirect, which zsync does not follow for this request",
            hint=f"Is the endpoint {self.endpoint} right (https, ending in /api)?",
            **where,
        )

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
        left = counted(rate.remaining, "request")
        message = f"{left} left until the rate-limit reset; pacing {wait_s:.2f} s"
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
        out_of_time: list[bool] = []  # set when the run's deadline ends the retries

        def stop(state: tenacity.RetryCallState) -> bool:
            run_deadline = self._run_deadline
            if run_deadline is not None and run_deadline.left_s() <= (state.upcoming_sleep or 0.0):
                out_of_time.append(True)
                return True
            return _out_of_attempts(policy, state, deadline_s)

        retrying = tenacity.Retrying(
            sleep=lambda seconds: policy.sleep(float(seconds)),
            stop=stop,
            wait=lambda state: _wait_s(policy, state),
            retry=tenacity.retry_if_exception_type(Retryable),
            before_sleep=lambda state: self._report_retry(method, path, state),
            reraise=True,
        )
        self._deadline_s = deadline_s
        try:
            return retrying(_Attempts(method, path, once, reconcile))
        except Retryable as failure:
            if out_of_time:
                doing = f"retrying ({failure.message}):"
                raise self._deadline_error(failure.method, failure.path, doing) from failure
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


def _check_token(token: str) -> None:
    """Refuse, without quoting it, a token that cannot be an HTTP header value."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        # http.client would refuse the header and quote it, token and all, in its error.
        raise UsageError(
            "the Zenodo token contains spaces, line breaks or control characters",
            hint="the secret or token file must hold the token alone, on one line",
        )
    odd = next((ch for ch in token if not ch.isascii()), None)
    if odd is not None:
        name = unicodedata.name(odd, "")
        raise UsageError(
            f"the Zenodo token contains a non-ASCII character, U+{ord(odd):04X}"
            + (f" {name}" if name else ""),
            hint="a Zenodo token is ASCII letters and digits: copy it again from Zenodo (Applications, "
            "Personal access tokens); an editor may have changed a character, or saved the token "
            "file with a byte-order mark",
        )


def _open_session(session: requests.Session | None, token: str, user_agent: str | None) -> requests.Session:
    session = session if session is not None else requests.Session()
    session.auth = _BearerAuth(token)
    session.headers.update({"Accept": ACCEPT, "User-Agent": user_agent or DEFAULT_USER_AGENT})
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _receive(response: requests.Response, request: Request, limit: int, scrub: Callable[[str], str]) -> Reply:
    """The answer as a value, its body read in full but never beyond `limit` bytes; its headers and
    reason already scrubbed, its JSON scrubbed when parsed."""
    declared = _int_header(response.headers.get("Content-Length"), None)
    if declared is not None and declared > limit:
        raise _too_large(request, response.status_code, limit)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_READ_BLOCK_BYTES):
        size += len(chunk)
        if size > limit:
            raise _too_large(request, response.status_code, limit)
        chunks.append(chunk)
    return Reply(
        status=response.status_code,
        reason=scrub(response.reason or ""),
        headers=types.MappingProxyType(
            {name.lower(): scrub(value) for name, value in response.headers.items()}
        ),
        body=b"".join(chunks),
        scrub=scrub,
    )


def _too_large(request: Request, status: int, limit: int) -> RemoteError:
    size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
    return RemoteError(
        f"Zenodo's answer is longer than {size}, far more than any answer of its API; "
        "zsync stopped reading it",
        method=request.method,
        path=request.path,
        status=status,
        hint="Is the endpoint right? A proxy or server between zsync and Zenodo may misbehave.",
    )


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in; unparsable ports give None."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return (scheme, "?", None)
    return (scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme))


def _printable_host(url: str) -> str:
    host = _origin(url)[1]
    return host if host and all(ch.isalnum() or ch in ".-:" for ch in host) else "an unexpected address"


# --------------------------------------------------------------------------- the watchdog

# The sockets of the transport whose exchange runs on this thread, for connections opened now.
_current = threading.local()


def _watch(sock: socket.socket | None) -> None:
    sockets = getattr(_current, "sockets", None)
    if sockets is not None and sock is not None:
        sockets.add(sock)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def send(self, data: Any) -> None:
        _send_tracked(self.sock, data, super().send)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def send(self, data: Any) -> None:
        _send_tracked(self.sock, data, super().send)


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _watch_pools(manager: urllib3.poolmanager.PoolManager) -> None:
    # SOCKS managers bring their own pools; those connections are bounded by the run deadline's
    # check before each request only.
    if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections whose sockets a `_Watchdog` can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.poolmanager.ProxyManager:
        manager: urllib3.poolmanager.ProxyManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools(manager)
        return manager


class _Watchdog:
    """Ends an exchange that outlives `seconds`: shuts down the transport's sockets, so the blocked
    read or write returns at once. requests' timeouts bound each socket operation only, and a server
    that sends one byte every few seconds never trips them. An idle pooled connection shut down on
    the way is seen as dropped and replaced on its next use."""

    def __init__(self, seconds: float, sockets: weakref.WeakSet[socket.socket]) -> None:
        self.fired = False
        self._sockets = sockets
        self._lock = threading.Lock()
        self._over = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        _current.sockets = self._sockets
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._over = True
        self._timer.cancel()
        _current.sockets = None

    def _fire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.fired = True
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _ProgressReader:
    """A file-like body of exactly `total` bytes read from `fh` in blocks (constant memory).

    `__len__` lets requests send `Content-Length` instead of chunked encoding; the reader stops
    at `total`: a file that ends before it (truncated since it was hashed) or goes on past it (grown)
    raises LocalFileChanged at once. The blocks it returns are
    `_Block`s carrying the upload's `_SendProgress`: the connection (`_send_tracked`) sends them in
    slices and tells it what went out. Through a connection that does not (a session given by the
    caller, a SOCKS proxy), a block counts as sent when the next one is asked for, i.e. when the
    socket took it.
    """

    def __init__(self, upload: Upload) -> None:
        self._fh = upload.fh
        self._total = upload.size_bytes
        self._key = upload.key
        self._read = 0
        self._sent = _SendProgress(self._total, upload.progress)
        self._block = _Block()

    def __len__(self) -> int:
        return self._total

    def read(self, size: int = -1) -> bytearray:
        if not self._sent.tracked:
            self._sent.report(self._read)  # what was read before this call, the socket has taken
        left = self._total - self._read
        if left <= 0:
            return bytearray()
        # http.client asks for 8-16 KiB at a time; 1 MiB blocks cut the per-call overhead that
        # otherwise caps the upload well below what curl reaches on the same link.
        want = left if size is None or size < 0 else min(max(size, _UPLOAD_BLOCK_BYTES), left)
        # One buffer, read into (a bytes block would be copied once more to carry `progress`) and
        # reused: the connection has sent a block before it asks for the next.
        if len(self._block) != want:
            self._block = _Block(want)
            self._block.progress = self._sent
        block = self._block
        got = self._fh.readinto(block) if hasattr(self._fh, "readinto") else None
        if got is None:  # a file object without readinto
            block[:] = self._fh.read(want)
        elif got < want:
            del block[got:]
        if not block or (len(block) == left and self._fh.read(1)):
            raise LocalFileChanged(self._key)
        self._read += len(block)
        return block


class _SendProgress:
    """What of one upload's body the server acknowledged, told to `progress` (see ProgressCallback)."""

    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self.total = total
        self.tracked = False  # a connection of ours reports the slices it sends
        self._progress = progress
        self._handed = 0
        self._reported = -1  # each attempt starts with "0 sent": a restart shows as one
        self._reported_at_s = 0.0
        self._started_s: float | None = None

    def slice_bytes(self) -> int:
        """How much to send before the next measure: what the link took in one progress interval."""
        now = time.monotonic()
        if self._started_s is None:
            self._started_s = now
        elapsed_s = now - self._started_s
        if elapsed_s <= 0 or self._handed == 0:
            return _UPLOAD_SLICE_MIN_BYTES
        per_interval = int(self._handed / elapsed_s * PROGRESS_INTERVAL_S)
        return max(_UPLOAD_SLICE_MIN_BYTES, min(_UPLOAD_BLOCK_BYTES, per_interval))

    def handed(self, size_bytes: int, sock: socket.socket) -> None:
        """`size_bytes` more of the body went into `sock`: report what its peer has acknowledged
        (measured only when a report is due); after the last byte, follow the socket's queue until
        it is empty."""
        self.tracked = True
        self._handed += size_bytes
        last = self._handed >= self.total
        if not last and time.monotonic() - self._reported_at_s < PROGRESS_INTERVAL_S:
            return
        unacknowledged = _unacknowledged_bytes(sock)
        self.report(self._handed - (unacknowledged or 0))
        if last and unacknowledged:
            self._drain(sock)

    def _drain(self, sock: socket.socket) -> None:
        wait_s, last, still_since = 0.001, -1, time.monotonic()
        while True:
            left = _unacknowledged_bytes(sock)
            if not left:
                break
            self.report(self._handed - left)
            now = time.monotonic()
            if left != last:
                last, still_since = left, now
            elif now - still_since >= _DRAIN_STALL_S:
                return
            time.sleep(wait_s)
            wait_s = min(2 * wait_s, PROGRESS_INTERVAL_S)
        self.report(self._handed)

    def report(self, sent_bytes: int) -> None:
        sent_bytes = min(sent_bytes, self.total)
        if self._progress is None or sent_bytes <= self._reported:
            return
        now = time.monotonic()
        if sent_bytes < self.total and now - self._reported_at_s < PROGRESS_INTERVAL_S:
            return
        self._reported, self._reported_at_s = sent_bytes, now
        self._progress(sent_bytes, self.total)


class _Block(bytearray):
    """A block of an upload's body, carrying its upload's progress to the connection that sends it."""

    progress: _SendProgress


def _unacknowledged_bytes(sock: socket.socket) -> int | None:
    """Bytes written to `sock` that the peer has not acknowledged yet (Linux: SIOCOUTQ; macOS:
    SO_NWRITE); None where the system does not say or the socket is gone."""
    try:
        if sys.platform == "linux":
            import fcntl
            import termios

            answer = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
            return max(0, int(struct.unpack("i", answer)[0]))
        if sys.platform == "darwin":
            return max(0, sock.getsockopt(socket.SOL_SOCKET, 0x1024))  # SO_NWRITE
    except (OSError, ValueError):
        return None
    return None


def _send_tracked(sock: socket.socket | None, data: Any, send: Callable[[Any], None]) -> None:
    """Send `data` with `send`; a body `_Block` in slices, each told to its progress once sent."""
    if not isinstance(data, _Block) or sock is None:
        send(data)
        return
    view, start = memoryview(data), 0
    while start < len(view):
        piece = view[start : start + data.progress.slice_bytes()]
        send(piece)
        data.progress.handed(len(piece), sock)
        start += len(piece)


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
