"""The emulator's HTTP side: routing, content negotiation, auth, rate limits, fault injection, the
request log, streamed uploads, the admin routes, and the `Emulator` object tests hold.

API routes live under `/api` and behave like Zenodo's; admin routes under `/api/_emulator/` drive the
emulator (publish as a person would, delete, faults, rate limit, log, reset) and are never faulted,
rate-limited or logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import os
import random
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from zsync.emulator.communities import Communities
from zsync.emulator.store import ApiError, Store, StoredFile, Version, not_found, permission_denied
from zsync.emulator.validation import Vocabularies

logger = logging.getLogger(__name__)

VND = "application/vnd.inveniordm.v1+json"
JSON = "application/json"
CHUNK_BYTES = 1 << 20
SMALL_BODY_BYTES = 1 << 20
MAX_JSON_BYTES = 10 << 20
_FAULT_MESSAGES = {
    429: "Too many requests.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service unavailable.",
    504: "Gateway timeout.",
}


@dataclass(frozen=True)
class Faults:
    """Failure injection on API routes. Probabilities per request; `seed` makes the choice reproducible.

    A request draws one number for 429/500/502/503/504 (in that order of the thresholds); uploads
    may then reset mid-stream (`p_reset_upload`), and a publish may succeed and still answer 504
    (`p_publish_504_after_success`; also a submit-review, an inclusion request and a share link's
    create), and so may a create (`p_create_504_after_success`: the draft
    exists, the client never learns its id). `latency_s` delays every API answer. `reserve_doi_blank`: a DOI
    reservation answers 201 with `pids.doi` holding no identifier (an instance that mints at publish).
    `upload_bytes_per_s` (0: no limit) reads file content no faster than that, as a slow link would:
    the client's socket buffers fill and its writes block, which an honest progress line must show.
    """

    p_429: float = 0.0
    retry_after_s: float = 1.0
    p_500: float = 0.0
    p_502: float = 0.0
    p_503: float = 0.0
    p_504: float = 0.0
    p_reset_upload: float = 0.0
    latency_s: float = 0.0
    p_publish_504_after_success: float = 0.0
    p_create_504_after_success: float = 0.0
    upload_bytes_per_s: float = 0.0
    reserve_doi_blank: bool = False
    seed: int | None = None


@dataclass(frozen=True)
class RateLimit:
    """A fixed window per token (per client address when anonymous). Headers are always sent;
    429 only when `enforce` is true."""

    limit: int = 100
    window_s: float = 60.0
    enforce: bool = False


@dataclass(frozen=True)
class LoggedRequest:
    """One API request as the emulator saw it.

    `path` is the raw (percent-encoded) URL path; `query` has any `access_token` value masked; `fault`
    names what was injected (None for a genuine answer); `status` 0 means the connection was reset;
    `violations` lists client mistakes Zenodo would punish ("token_in_query", "default_user_agent").
    """

    method: str
    path: str
    query: str
    status: int
    fault: str | None
    body_bytes: int
    elapsed_s: float
    authenticated: bool
    user_agent: str
    accept: str
    content_type: str
    violations: tuple[str, ...] = ()
    started_at: float = 0.0
    json_body: Any = (
        None  # the JSON a route read (tests check the request payloads against InvenioRDM's schemas)
    )


class _Reply:
    """What a route answers: a status and a JSON body, or a file to stream."""

    def __init__(
        self,
        status: int,
        body: Any = None,
        *,
        etag: int | None = None,
        headers: dict[str, str] | None = None,
        file: Path | None = None,
        fault: str | None = None,
    ) -> None:
        self.status, self.body, self.etag, self.file, self.fault = status, body, etag, file, fault
        self.headers = headers or {}


@dataclass
class _Call:
    """Per-request context handed to route functions."""

    handler: _Handler
    params: dict[str, str]
    user: str | None
    mode: str  # "rdm" | "legacy" | "json"
    body: Any = None
    query: dict[str, list[str]] = field(default_factory=dict)
    publish_504: bool = False
    create_504: bool = False
    reset_upload: bool = False


# (method, path pattern, negotiation kind, takes a JSON body, route function name)
_ROUTES: list[tuple[str, tuple[str, ...], str, bool, str]] = [
    ("POST", ("records",), "record", True, "create"),
    ("GET", ("records", "{id}"), "record", False, "read_record"),
    ("GET", ("records", "{id}", "draft"), "record", False, "read_draft"),
    ("PUT", ("records", "{id}", "draft"), "record", True, "update_draft"),
    ("POST", ("records", "{id}", "draft"), "record", False, "edit"),
    ("DELETE", ("records", "{id}", "draft"), "none", False, "discard"),
    ("POST", ("records", "{id}", "draft", "actions", "publish"), "record", False, "publish"),
    ("POST", ("records", "{id}", "draft", "pids", "{scheme}"), "record", False, "reserve_pid"),
    ("POST", ("records", "{id}", "draft", "actions", "files-import"), "files", False, "import_files"),
    ("GET", ("records", "{id}", "draft", "files"), "files", False, "list_draft_files"),
    ("POST", ("records", "{id}", "draft", "files"), "files", True, "init_files"),
    ("GET", ("records", "{id}", "draft", "files", "{key}"), "files", False, "draft_file"),
    ("DELETE", ("records", "{id}", "draft", "files", "{key}"), "none", False, "delete_file"),
    ("PUT", ("records", "{id}", "draft", "files", "{key}", "content"), "files", False, "upload"),
    ("GET", ("records", "{id}", "draft", "files", "{key}", "content"), "none", False, "draft_content"),
    ("POST", ("records", "{id}", "draft", "files", "{key}", "commit"), "files", False, "commit"),
    ("GET", ("records", "{id}", "files"), "files", False, "record_files"),
    ("GET", ("records", "{id}", "files", "{key}"), "files", False, "record_file"),
    ("GET", ("records", "{id}", "files", "{key}", "content"), "none", False, "record_content"),
    ("POST", ("records", "{id}", "versions"), "record", False, "new_version"),
    ("GET", ("records", "{id}", "versions"), "record", False, "versions"),
    ("GET", ("records", "{id}", "versions", "latest"), "none", False, "latest"),
    ("GET", ("user", "records"), "record", False, "user_records"),
    # invenio-vocabularies: /vocabularies/<type>/<pid_value>, and the contrib vocabularies' items.
    ("GET", ("vocabularies", "{type}", "{id}"), "none", False, "vocabulary_item"),
    ("GET", ("affiliations", "{id}"), "none", False, "affiliation"),
    ("GET", ("funders", "{id}"), "none", False, "funder"),
    ("GET", ("awards", "{id}"), "none", False, "award"),
    ("GET", ("communities", "{slug}"), "files", False, "community"),
    ("GET", ("records", "{id}", "draft", "review"), "files", False, "read_review"),
    ("PUT", ("records", "{id}", "draft", "review"), "files", True, "put_review"),
    ("DELETE", ("records", "{id}", "draft", "review"), "none", False, "delete_review"),
    ("POST", ("records", "{id}", "draft", "actions", "submit-review"), "files", True, "submit_review"),
    ("GET", ("records", "{id}", "communities"), "files", False, "record_communities"),
    ("POST", ("records", "{id}", "communities"), "files", True, "add_communities"),
    ("DELETE", ("records", "{id}", "communities"), "files", True, "remove_communities"),
    ("GET", ("records", "{id}", "requests"), "files", False, "record_requests"),
    ("GET", ("requests", "{rid}"), "files", False, "read_request"),
    ("GET", ("requests", "{rid}", "timeline"), "files", False, "timeline"),
    ("POST", ("requests", "{rid}", "actions", "{action}"), "files", True, "request_action"),
    ("GET", ("records", "{id}", "access", "links"), "files", False, "list_links"),
    ("POST", ("records", "{id}", "access", "links"), "files", True, "create_link"),
    ("DELETE", ("records", "{id}", "access", "links", "{link_id}"), "none", False, "delete_link"),
]


# The vocabulary types served at /vocabularies/<type>/<id>, by the emulator's name of their list.
_VOCABULARY_TYPES = {
    "licenses": "licenses",
    "resourcetypes": "resource_types",
    "relationtypes": "relation_types",
}


def _match(segments: list[str], pattern: tuple[str, ...]) -> dict[str, str] | None:
    if len(segments) != len(pattern):
        return None
    params = {}
    for seg, pat in zip(segments, pattern, strict=True):
        if pat.startswith("{"):
            params[pat[1:-1]] = seg
        elif seg != pat:
            return None
    return params


def _accepts(accept: str | None) -> dict[str, float]:
    """Media range -> quality, from an Accept header (missing header: anything)."""
    if not accept:
        return {"*/*": 1.0}
    ranges = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges[media.lower()] = quality
    return ranges


def _quality(ranges: dict[str, float], media: str) -> float:
    major = media.split("/")[0]
    for candidate in (media, f"{major}/*", "*/*"):
        if candidate in ranges:
            return ranges[candidate]
    return 0.0


def negotiate(accept: str | None, kind: str) -> str | None:
    """ "rdm", "legacy" or "json" for a route kind, or None (406).

    /records routes give RDM JSON only when the vnd type is asked for explicitly; anything that
    merely allows application/json (including */* and no header) gets the legacy shape, as on Zenodo.
    File routes serve application/json only.
    """
    ranges = _accepts(accept)
    if kind == "record":
        if ranges.get(VND, 0.0) > 0:
            return "rdm"
        return "legacy" if _quality(ranges, JSON) > 0 else None
    if kind == "files":
        return "json" if _quality(ranges, JSON) > 0 else None
    return "json"


class _RateLimiter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.config = RateLimit()
        self.windows: dict[str, tuple[float, int]] = {}

    def hit(self, who: str) -> tuple[dict[str, str], bool]:
        """Count a request; return the headers and whether it is over the limit."""
        with self.lock:
            clock = time.time()
            start, count = self.windows.get(who, (clock, 0))
            if clock >= start + self.config.window_s:
                start, count = clock, 0
            count += 1
            self.windows[who] = (start, count)
            reset = start + self.config.window_s
            headers = {
                "X-RateLimit-Limit": str(self.config.limit),
                "X-RateLimit-Remaining": str(max(0, self.config.limit - count)),
                "X-RateLimit-Reset": str(math.ceil(reset)),
            }
            over = self.config.enforce and count > self.config.limit
            if over:
                headers["Retry-After"] = str(max(1, math.ceil(reset - clock)))
            return headers, over


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up stop()
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "zsync-emulator"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A stalled client must not hold a thread forever: a read timeout ends the upload as broken.
        self.connection.settimeout(self.server.emulator.read_timeout_s)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log: the request log is the record."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # ------------------------------------------------------------------ plumbing

    def _dispatch(self, method: str) -> None:
        self._status = 0
        self._body_bytes = 0
        self._json_body: Any = None
        self._drained = False
        self._fault: str | None = None
        self._log_request: Callable[[], None] | None = None
        self._extra_headers: dict[str, str] = {}
        started, started_at = time.monotonic(), time.time()
        emu = self.server.emulator
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        if split.path.startswith("/api/_emulator/") or split.path == "/api/_emulator":
            self._admin(method, split.path.removeprefix("/api/_emulator").strip("/"), query)
            return
        violations = []
        if "access_token" in query:
            violations.append("token_in_query")
            query["access_token"] = ["***"]
        user_agent = self.headers.get("User-Agent", "")
        if not user_agent or user_agent.startswith("python-requests/"):
            violations.append("default_user_agent")
        user = emu._user_for(self.headers.get("Authorization"))
        logged = False

        def log() -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            emu._log(
                LoggedRequest(
                    method=method,
                    path=split.path,
                    query=urlencode(query, doseq=True),
                    status=self._status,
                    fault=self._fault,
                    body_bytes=self._body_bytes,
                    elapsed_s=time.monotonic() - started,
                    authenticated=user is not None,
                    user_agent=user_agent,
                    accept=self.headers.get("Accept", ""),
                    content_type=self.headers.get("Content-Type", ""),
                    violations=tuple(violations),
                    started_at=started_at,
                    json_body=self._json_body,
                )
            )

        # Logged just before the answer goes out, so a client that has its answer finds it in the log.
        self._log_request = log
        try:
            self._fault = self._serve_api(method, split.path, query, user) or self._fault
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            self._log_request = None
            if self._fault == "reset_upload":
                self._status = 0
            log()
            if self._fault == "reset_upload":
                self.reset_connection()

    def _serve_api(self, method: str, path: str, query: dict[str, list[str]], user: str | None) -> str | None:
        """Answer one API request; return the injected fault, if any."""
        emu = self.server.emulator
        who = f"user:{user}" if user else f"addr:{self.client_address[0]}"
        self._extra_headers, over = emu._limiter.hit(who)
        if over:
            self._reply_error(ApiError(429, "Too many requests."), drain=True)
            return None
        draw_status, draw_upload, draw_publish, draw_create, latency = emu._draw()
        if latency:
            time.sleep(latency)
        if draw_status is not None:
            if draw_status == 429:
                self._extra_headers["Retry-After"] = str(emu.faults.retry_after_s)
            self._fault = str(draw_status)
            self._reply_error(ApiError(draw_status, _FAULT_MESSAGES[draw_status]), drain=True)
            return str(draw_status)

        if not path.startswith("/api/"):
            self._reply_error(ApiError(404, "Not found: the API lives under /api."), drain=True)
            return None
        raw_segments = path.removeprefix("/api/").strip("/").split("/")
        if raw_segments[:1] == ["deposit"]:
            self._reply_error(
                ApiError(404, "The legacy deposit API is not emulated: use /api/records."), drain=True
            )
            return None
        try:
            segments = [unquote(s, errors="strict") for s in raw_segments]
        except UnicodeDecodeError:
            self._reply_error(ApiError(400, "The URL path is not valid percent-encoded UTF-8."), drain=True)
            return None
        allowed = []
        for route_method, pattern, kind, takes_json, name in _ROUTES:
            params = _match(segments, pattern)
            if params is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            mode = negotiate(self.headers.get("Accept"), kind)
            if mode is None:
                self._reply_error(ApiError(406, "Not acceptable: see the Accept header."), drain=True)
                return None
            call = _Call(self, params, user, mode, query=query)
            if not takes_json and name != "upload":
                self._drain()
            if takes_json:
                call.body = self._read_json()
                if call.body is _INVALID:
                    return None
            call.publish_504 = (
                name in ("publish", "submit_review", "add_communities", "create_link") and draw_publish
            )
            call.create_504 = name == "create" and draw_create
            call.reset_upload = name == "upload" and draw_upload
            try:
                route: Callable[[Emulator, _Call], _Reply | None] = getattr(_Routes, name, None) or getattr(
                    _CommunityRoutes, name
                )
                reply = route(emu, call)
            except ApiError as exc:
                self._reply_error(exc, drain=True)
                return None
            except Exception as exc:
                # A bug in the emulator must read as one, not as a Zenodo answer or a dropped connection.
                logger.exception("emulator bug on %s %s", method, path)
                self.close_connection = True
                self._fault = "emulator_bug"
                self._reply_error(ApiError(500, f"Emulator bug: {exc!r}"))
                return "emulator_bug"
            if reply is not None:
                self._send(reply, mode)
                return reply.fault
            return "reset_upload" if call.reset_upload else None
        if allowed:
            self._reply_error(ApiError(405, "The method is not allowed for the requested URL."), drain=True)
        else:
            self._reply_error(ApiError(404, "The requested URL was not found on the server."), drain=True)
        return None

    def _content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            length = int(value)
        except ValueError:
            return None
        return length if length >= 0 else None

    def _drain(self) -> None:
        """Consume a small unread body so the connection can be reused; close on a large one."""
        if getattr(self, "_drained", False):
            return
        self._drained = True
        length = self._content_length() or 0
        if self.headers.get("Transfer-Encoding") or length > SMALL_BODY_BYTES:
            self.close_connection = True
        elif length:
            self._body_bytes += len(self.rfile.read(length))

    def _read_json(self) -> Any:
        self._drained = True
        content_type = self.headers.get("Content-Type", "")
        length = self._content_length()
        if content_type.strip().lower() != JSON:
            self._drained = False
            self._reply_error(
                ApiError(415, f"Unsupported media type {content_type!r}: send exactly application/json."),
                drain=True,
            )
            return _INVALID
        if length is None or length > MAX_JSON_BYTES:
            self.close_connection = True
            self._reply_error(
                ApiError(411 if length is None else 413, "Send a JSON body with Content-Length.")
            )
            return _INVALID
        raw = self.rfile.read(length)
        self._body_bytes += len(raw)
        try:
            self._json_body = json.loads(raw.decode("utf-8")) if raw else None
            return self._json_body
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._reply_error(ApiError(400, "Unable to decode JSON data in request body."))
            return _INVALID

    def _reply_error(self, exc: ApiError, *, drain: bool = False) -> None:
        if drain:
            self._drain()
        self._send(_Reply(exc.status, exc.body()), "json")

    def _send(self, reply: _Reply, mode: str) -> None:
        self._status = reply.status
        self._fault = reply.fault or self._fault
        if self._log_request is not None:
            self._log_request()
        body = b""
        content_type = VND if mode == "rdm" else JSON
        if reply.file is not None:
            size = reply.file.stat().st_size
            content_type = "application/octet-stream"
        elif reply.body is not None:
            body = json.dumps(reply.body).encode("utf-8")
            size = len(body)
        else:
            size = 0
        try:
            self.send_response(reply.status)
            headers = {**self._extra_headers, **reply.headers}
            if reply.etag is not None:
                headers["ETag"] = f'"{reply.etag}"'
            if reply.body is not None or reply.file is not None:
                headers["Content-Type"] = content_type
            headers["Content-Length"] = str(size)
            if self.close_connection:
                headers["Connection"] = "close"
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.file is not None:
                with reply.file.open("rb") as fh:
                    shutil.copyfileobj(fh, self.wfile, CHUNK_BYTES)
            else:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def reset_connection(self) -> None:
        """Abort with a TCP reset, as a broken network path does (SO_LINGER 0, then close).

        Called after the request is logged, so a test that sees the reset also sees the log entry."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop makefile's reference, so close() really closes the socket
        self.connection.close()

    # ------------------------------------------------------------------ admin

    def _admin(self, method: str, route: str, query: dict[str, list[str]]) -> None:
        emu = self.server.emulator
        self._drained = True
        length = self._content_length() or 0
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        parts = route.split("/")
        try:
            if body is None:
                raise ApiError(400, "Admin routes take a JSON body.")
            result = self._admin_route(emu, method, parts, body)
        except ApiError as exc:
            self._send(_Reply(exc.status, exc.body()), "json")
            return
        self._send(_Reply(200, result), "json")

    @staticmethod
    def _admin_route(emu: Emulator, method: str, parts: list[str], body: Any) -> Any:
        if parts[:1] == ["records"] and len(parts) == 3 and method == "POST":
            rid, action = parts[1], parts[2]
            if action == "publish":
                return emu.publish(rid)
            if action == "delete":
                emu.delete_record(rid, reason=body.get("reason", "spam"))
                return {"id": rid, "deleted": True}
            if action == "external-doi":
                emu.mark_external_doi(rid)
                return {"id": rid, "external_doi": True}
        if parts == ["faults"] and method in ("GET", "PUT"):
            if method == "PUT":
                emu.faults = Faults(**body)
            return dataclasses.asdict(emu.faults)
        if parts == ["rate-limit"] and method in ("GET", "PUT"):
            if method == "PUT":
                emu.rate_limit = RateLimit(**body)
            return dataclasses.asdict(emu.rate_limit)
        if parts == ["index"] and method in ("GET", "PUT"):
            if method == "PUT":
                emu.index_delay_s = float(body["delay_s"])
            return {"delay_s": emu.index_delay_s}
        if parts == ["clock"] and method in ("GET", "PUT"):
            if method == "PUT":
                emu.set_clock(str(body.get("now", "")))
            return {"now": emu.now.isoformat()}
        if parts == ["tasks", "update_expired_embargos"] and method == "POST":
            return {"lifted": emu.lift_embargoes()}
        if parts == ["log"] and method == "GET":
            return [dataclasses.asdict(entry) for entry in emu.request_log]
        if parts == ["log"] and method == "DELETE":
            emu.clear_log()
            return []
        if parts == ["state"] and method == "GET":
            return {
                "records": emu.records,
                "drafts": emu.drafts,
                "files": {
                    rid: {
                        k: {"status": f.status, "size": f.size_bytes, "md5": f.md5} for k, f in files.items()
                    }
                    for rid, files in emu._all_files().items()
                },
            }
        found = _admin_communities(emu, method, parts, body)
        if found is not None:
            return found
        if parts == ["reset"] and method == "POST":
            emu.reset()
            return {"reset": True}
        raise ApiError(404, "Unknown admin route: see zsync.emulator's docstring.")


class _CommunityRoutes:
    """The routes of communities, review and inclusion requests and secret links (see
    zsync.emulator.communities)."""

    @staticmethod
    def community(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.community_document(emu.book.community(call.params["slug"])))

    @staticmethod
    def read_review(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.read_review(call.user, call.params["id"]))

    @staticmethod
    def put_review(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.put_review(call.user, call.params["id"], call.body))

    @staticmethod
    def delete_review(emu: Emulator, call: _Call) -> _Reply:
        emu.book.delete_review(call.user, call.params["id"])
        return _Reply(204)

    @staticmethod
    def submit_review(emu: Emulator, call: _Call) -> _Reply:
        body = emu.book.submit_review(call.user, call.params["id"], call.body)
        if call.publish_504:
            return _gave_up_after_success("submit")
        return _Reply(202, body)

    @staticmethod
    def record_communities(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.record_communities(call.params["id"]))

    @staticmethod
    def add_communities(emu: Emulator, call: _Call) -> _Reply:
        status, body = emu.book.add_communities(call.user, call.params["id"], call.body)
        if call.publish_504 and status == 200:
            return _gave_up_after_success("include")
        return _Reply(status, body)

    @staticmethod
    def remove_communities(emu: Emulator, call: _Call) -> _Reply:
        status, body = emu.book.remove_communities(call.user, call.params["id"], call.body)
        return _Reply(status, body)

    @staticmethod
    def record_requests(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.record_requests(call.user, call.params["id"]))

    @staticmethod
    def read_request(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.read_request(call.user, call.params["rid"]))

    @staticmethod
    def timeline(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.timeline(call.user, call.params["rid"]))

    @staticmethod
    def request_action(emu: Emulator, call: _Call) -> _Reply:
        payload = call.body.get("payload") if isinstance(call.body, dict) else None
        comment = payload.get("content") if isinstance(payload, dict) else None
        _require_user(call)
        return _Reply(200, emu.book.act(call.user, call.params["rid"], call.params["action"], comment))

    @staticmethod
    def list_links(emu: Emulator, call: _Call) -> _Reply:
        return _Reply(200, emu.book.list_links(call.user, call.params["id"]))

    @staticmethod
    def create_link(emu: Emulator, call: _Call) -> _Reply:
        body = emu.book.create_link(call.user, call.params["id"], call.body)
        if call.publish_504:
            return _gave_up_after_success("share_link")
        return _Reply(201, body)

    @staticmethod
    def delete_link(emu: Emulator, call: _Call) -> _Reply:
        emu.book.delete_link(call.user, call.params["id"], call.params["link_id"])
        return _Reply(204)


def _admin_communities(emu: Emulator, method: str, parts: list[str], body: Any) -> Any:
    """The curator's side: create communities, accept/decline/expire requests, expire a link."""
    book = emu.book
    if parts == ["communities"] and method == "POST":
        options = {k: body[k] for k in ("review_policy", "new_version_review", "visibility") if k in body}
        return book.community_document(
            book.add_community(str(body["slug"]), str(body.get("title", "")), **options)
        )
    if parts[:1] == ["requests"] and len(parts) == 3 and method == "POST":
        comment = body.get("comment")
        return book.act(None, parts[1], parts[2], comment if isinstance(comment, str) else None)
    if parts == ["requests"] and method == "GET":
        return [book.request_document(r) | {"events": r.events} for r in book.requests.values()]
    if parts[:1] == ["links"] and len(parts) == 3 and parts[2] == "expire" and method == "POST":
        return book.expire_link(parts[1])
    if parts == ["links"] and method == "GET":
        return {pid: [book.link_document(link) for link in links] for pid, links in book.links.items()}
    return None


class _Invalid:
    """The request was already answered while reading its body."""


_INVALID: Any = _Invalid()


def _gave_up_after_success(what: str) -> _Reply:
    """The call took effect, but the gateway gave up waiting: a 504 that clients must re-read after."""
    return _Reply(504, {"status": 504, "message": _FAULT_MESSAGES[504]}, fault=f"{what}_504_after_success")


def _require_user(call: _Call) -> str:
    if call.user is None:
        raise permission_denied()
    return call.user


class _Routes:
    """One function per API route: (emulator, call) -> reply."""

    @staticmethod
    def _vocabulary(emu: Emulator, vocabulary: str | None, type_: str, ident: str) -> _Reply:
        if vocabulary is None or not emu._store.vocab.knows(vocabulary, ident):
            raise ApiError(404, "The persistent identifier does not exist.")
        return _Reply(200, {"id": ident, "type": type_, "title": {"en": ident}})

    @staticmethod
    def vocabulary_item(emu: Emulator, call: _Call) -> _Reply:
        type_ = call.params["type"]
        return _Routes._vocabulary(emu, _VOCABULARY_TYPES.get(type_), type_, call.params["id"])

    @staticmethod
    def affiliation(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._vocabulary(emu, "affiliations", "affiliations", call.params["id"])

    @staticmethod
    def funder(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._vocabulary(emu, "funders", "funders", call.params["id"])

    @staticmethod
    def award(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._vocabulary(emu, "awards", "awards", call.params["id"])

    @staticmethod
    def _doc(
        emu: Emulator, call: _Call, status: int, version: Version, *, draft: bool, errors: Any = None
    ) -> _Reply:
        store = emu._store
        if call.mode == "rdm":
            body = emu.book.decorate(store.rdm_document(version, draft=draft), version, draft=draft)
            if errors is not None:
                body["errors"] = errors
        else:
            body = store.legacy_document(version, draft=draft)
        return _Reply(status, body, etag=version.revision_id)

    @staticmethod
    def create(emu: Emulator, call: _Call) -> _Reply:
        user = _require_user(call)
        if not isinstance(call.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        draft, errors = emu._store.create_draft(user, call.body)
        if call.create_504:
            return _gave_up_after_success("create")
        return _Routes._doc(emu, call, 201, draft, draft=True, errors=errors)

    @staticmethod
    def read_record(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._doc(emu, call, 200, emu._store.read_record(call.params["id"]), draft=False)

    @staticmethod
    def read_draft(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._doc(emu, call, 200, emu._store.read_draft(call.user, call.params["id"]), draft=True)

    @staticmethod
    def update_draft(emu: Emulator, call: _Call) -> _Reply:
        if not isinstance(call.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        if_match = call.handler.headers.get("If-Match")
        draft, errors = emu._store.update_draft(call.user, call.params["id"], call.body, if_match)
        return _Routes._doc(emu, call, 200, draft, draft=True, errors=errors)

    @staticmethod
    def reserve_pid(emu: Emulator, call: _Call) -> _Reply:
        blank = emu.faults.reserve_doi_blank
        draft = emu._store.reserve_doi(call.user, call.params["id"], call.params["scheme"], blank=blank)
        return _Routes._doc(emu, call, 201, draft, draft=True)

    @staticmethod
    def edit(emu: Emulator, call: _Call) -> _Reply:
        return _Routes._doc(emu, call, 201, emu._store.edit(call.user, call.params["id"]), draft=True)

    @staticmethod
    def discard(emu: Emulator, call: _Call) -> _Reply:
        emu._store.read_draft(call.user, call.params["id"])
        emu.book.check_discard(call.params["id"])
        emu._store.discard(call.user, call.params["id"], call.handler.headers.get("If-Match"))
        return _Reply(204)

    @staticmethod
    def publish(emu: Emulator, call: _Call) -> _Reply:
        emu._store.read_draft(call.user, call.params["id"])
        emu.book.check_publish(call.params["id"])
        record = emu._store.publish(call.user, call.params["id"])
        if call.publish_504:
            # The publish took effect; the gateway gave up waiting. Clients must re-read.
            return _gave_up_after_success("publish")
        return _Routes._doc(emu, call, 202, record, draft=False)

    @staticmethod
    def new_version(emu: Emulator, call: _Call) -> _Reply:
        draft = emu._store.new_version(call.user, call.params["id"])
        emu.book.on_new_version(draft)
        return _Routes._doc(emu, call, 201, draft, draft=True)

    @staticmethod
    def versions(emu: Emulator, call: _Call) -> _Reply:
        hits = emu._store.versions(call.params["id"])
        return _Routes._hits(emu, call, hits, draft=False)

    @staticmethod
    def _hits(emu: Emulator, call: _Call, hits: list[Version], *, draft: bool | None) -> _Reply:
        store = emu._store
        try:
            size = max(1, int(call.query.get("size", ["10"])[0]))
            page = max(1, int(call.query.get("page", ["1"])[0]))
        except ValueError as exc:
            raise ApiError(400, "size and page must be integers.") from exc
        shown = hits[(page - 1) * size : page * size]
        docs = []
        for version in shown:
            is_draft = draft if draft is not None else version.id in store.drafts
            if call.mode == "rdm":
                docs.append(store.rdm_document(version, draft=is_draft))
            else:
                docs.append(store.legacy_document(version, draft=is_draft))
        return _Reply(200, {"hits": {"hits": docs, "total": len(hits)}, "aggregations": {}, "links": {}})

    @staticmethod
    def latest(emu: Emulator, call: _Call) -> _Reply:
        latest = emu._store.latest_id(call.params["id"])
        return _Reply(301, None, headers={"Location": f"{emu.url}/records/{latest}"})

    @staticmethod
    def user_records(emu: Emulator, call: _Call) -> _Reply:
        user = _require_user(call)
        return _Routes._hits(emu, call, emu._store.user_hits(user), draft=None)

    @staticmethod
    def list_draft_files(emu: Emulator, call: _Call) -> _Reply:
        draft = emu._store.list_draft_files(call.user, call.params["id"])
        return _Reply(200, emu._store.files_listing(draft, draft=True))

    @staticmethod
    def init_files(emu: Emulator, call: _Call) -> _Reply:
        draft = emu._store.init_files(call.user, call.params["id"], call.body)
        return _Reply(201, emu._store.files_listing(draft, draft=True))

    @staticmethod
    def import_files(emu: Emulator, call: _Call) -> _Reply:
        draft = emu._store.import_files(call.user, call.params["id"])
        return _Reply(201, emu._store.files_listing(draft, draft=True))

    @staticmethod
    def draft_file(emu: Emulator, call: _Call) -> _Reply:
        rid, key = call.params["id"], call.params["key"]
        entry = emu._store.draft_file(call.user, rid, key)
        return _Reply(200, emu._store.file_document(emu._store.drafts[rid], entry, draft=True))

    @staticmethod
    def delete_file(emu: Emulator, call: _Call) -> _Reply:
        emu._store.delete_file(call.user, call.params["id"], call.params["key"])
        return _Reply(204)

    @staticmethod
    def commit(emu: Emulator, call: _Call) -> _Reply:
        draft, entry = emu._store.commit(call.user, call.params["id"], call.params["key"])
        return _Reply(200, emu._store.file_document(draft, entry, draft=True))

    @staticmethod
    def draft_content(emu: Emulator, call: _Call) -> _Reply:
        entry = emu._store.draft_file(call.user, call.params["id"], call.params["key"])
        path = emu._store.blob_path(entry)
        if path is None:
            raise ApiError(404, "The file has no content yet.")
        return _Reply(200, file=path)

    @staticmethod
    def record_files(emu: Emulator, call: _Call) -> _Reply:
        record = emu._store.record_files(call.params["id"])
        return _Reply(200, emu._store.files_listing(record, draft=False))

    @staticmethod
    def record_file(emu: Emulator, call: _Call) -> _Reply:
        record = emu._store.record_files(call.params["id"])
        entry = record.files.get(call.params["key"])
        if entry is None:
            raise not_found()
        return _Reply(200, emu._store.file_document(record, entry, draft=False))

    @staticmethod
    def record_content(emu: Emulator, call: _Call) -> _Reply:
        record = emu._store.record_files(call.params["id"])
        entry = record.files.get(call.params["key"])
        path = emu._store.blob_path(entry) if entry else None
        if path is None:
            raise not_found()
        return _Reply(200, file=path)

    @staticmethod
    def upload(emu: Emulator, call: _Call) -> _Reply | None:
        """Stream the body to disk in chunks, hashing as it goes; never hold the file in memory."""
        handler, store = call.handler, emu._store
        rid, key = call.params["id"], call.params["key"]
        content_type = handler.headers.get("Content-Type", "")
        if content_type.strip().lower() != "application/octet-stream":
            raise ApiError(415, f"Unsupported media type {content_type!r}: send application/octet-stream.")
        length = handler._content_length()
        if length is None:
            handler.close_connection = True
            raise ApiError(411, "Content-Length is required for file content.")
        upload = store.prepare_upload(call.user, rid, key, length)
        handler._drained = True
        reset_at = max(1, length // 2) if call.reset_upload else None
        digest, received = hashlib.md5(usedforsecurity=False), 0
        throttle = _Throttle(emu.faults.upload_bytes_per_s)
        with upload.partial.open("wb") as out:
            while received < length:
                throttle.wait(received)
                want = min(throttle.chunk_bytes, length - received)
                if reset_at is not None:
                    want = min(want, reset_at - received)
                try:
                    chunk = handler.rfile.read(want)
                except (TimeoutError, OSError):
                    chunk = b""
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                handler._body_bytes = received
                if reset_at is not None and received >= reset_at:
                    break
        if reset_at is not None:
            store.abort_upload(rid, key, upload)
            return None  # the dispatcher resets the connection once the request is logged
        if received < length:
            # A broken stream: Zenodo deletes the entry and still answers 200, with `errors`.
            store.abort_upload(rid, key, upload)
            handler.close_connection = True
            message = f"Received {received} of {length} bytes: the upload was interrupted."
            return _Reply(200, {"key": key, "status": "failed", "errors": [{"key": key, "message": message}]})
        draft, entry = store.finish_upload(rid, key, upload, received, digest.hexdigest())
        return _Reply(200, store.file_document(draft, entry, draft=True))


class _Throttle:
    """Reads at no more than `bytes_per_s` (0: as fast as the client sends), in small chunks so the
    rate is even within a second."""

    def __init__(self, bytes_per_s: float) -> None:
        self.bytes_per_s = bytes_per_s
        self.chunk_bytes = (
            CHUNK_BYTES if bytes_per_s <= 0 else max(1024, min(CHUNK_BYTES, int(bytes_per_s / 20)))
        )
        self.started = time.monotonic()

    def wait(self, received: int) -> None:
        if self.bytes_per_s > 0:
            ahead_s = received / self.bytes_per_s - (time.monotonic() - self.started)
            if ahead_s > 0:
                time.sleep(ahead_s)


class Emulator:
    """A local Zenodo (InvenioRDM API) on 127.0.0.1 for tests and offline trials.

    `data_dir=None` keeps everything in a temporary directory removed by `stop()`; a given directory
    is kept, and records survive a restart. Each token is a distinct user. `clock` (monotonic seconds)
    times the search index's lag (`index_delay_s`), so a test can advance a fake clock instead of sleeping.
    """

    def __init__(
        self,
        tokens: tuple[str, ...] | list[str] = ("test-token",),
        data_dir: str | Path | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        index_delay_s: float = 0.0,
        vocab_dir: str | Path | None = None,
        max_files: int = 100,
        max_record_bytes: int = 50 * 10**9,
        max_file_bytes: int = 50 * 10**9,
        read_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = {token: str(i + 1) for i, token in enumerate(tokens)}
        self._temp_dir = None if data_dir is not None else Path(tempfile.mkdtemp(prefix="zsync-emulator-"))
        self.data_dir = Path(data_dir) if data_dir is not None else self._temp_dir
        assert self.data_dir is not None
        if vocab_dir is None and os.environ.get("ZSYNC_EMULATOR_VOCAB"):
            vocab_dir = os.environ["ZSYNC_EMULATOR_VOCAB"]
        self._store = Store(
            self.data_dir,
            persistent=data_dir is not None,
            vocab=Vocabularies.from_dir(Path(vocab_dir) if vocab_dir is not None else None),
            max_files=max_files,
            max_record_bytes=max_record_bytes,
            max_file_bytes=max_file_bytes,
            clock=clock,
        )
        self._store.index_delay_s = index_delay_s
        self.book = Communities(self._store)
        self.host, self.port = host, port
        self.read_timeout_s = read_timeout_s
        self._limiter = _RateLimiter()
        self._faults = Faults()
        self._rng = random.Random()  # noqa: S311 (fault choice, not security)
        self._rng_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._log_entries: list[LoggedRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        self.port = server.server_address[1]
        self._store.api_base = self.url
        self._store.html_base = self.url.removesuffix("/api")
        # serve_forever sees a shutdown only between polls; 10 ms keeps stop() quick (tests start
        # and stop an emulator each) for a wake-up cost of microseconds.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.01,), name="zsync-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base, "http://127.0.0.1:PORT/api", to use as the zsync endpoint."""
        return f"http://{self.host}:{self.port}/api"

    # ------------------------------------------------------------------ knobs

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._rng_lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311 (reproducible fault choice)

    @property
    def rate_limit(self) -> RateLimit:
        return self._limiter.config

    @rate_limit.setter
    def rate_limit(self, config: RateLimit) -> None:
        with self._limiter.lock:
            self._limiter.config = config
            self._limiter.windows.clear()

    @property
    def index_delay_s(self) -> float:
        """How long /user/records lags behind changes (Zenodo's search index is eventually consistent)."""
        return self._store.index_delay_s

    @index_delay_s.setter
    def index_delay_s(self, delay_s: float) -> None:
        self._store.index_delay_s = delay_s

    def _draw(self) -> tuple[int | None, bool, bool, bool, float]:
        """Fault choice for one request: (status to fake, reset an upload, 504 after publish, 504
        after create, latency). The two 504s share one draw, so a seed's other faults stay put."""
        with self._rng_lock:
            faults = self._faults
            draws = (self._rng.random(), self._rng.random(), self._rng.random())
        status = None
        threshold = 0.0
        for code, prob in (
            (429, faults.p_429),
            (500, faults.p_500),
            (502, faults.p_502),
            (503, faults.p_503),
            (504, faults.p_504),
        ):
            threshold += prob
            if draws[0] < threshold:
                status = code
                break
        return (
            status,
            draws[1] < faults.p_reset_upload,
            draws[2] < faults.p_publish_504_after_success,
            draws[2] < faults.p_create_504_after_success,
            faults.latency_s,
        )

    def _user_for(self, authorization: str | None) -> str | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self._tokens.get(token.strip())

    # ------------------------------------------------------------------ request log

    def _log(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log_entries.append(entry)

    @property
    def request_log(self) -> list[LoggedRequest]:
        with self._log_lock:
            return list(self._log_entries)

    def mutating_requests(self) -> list[LoggedRequest]:
        return [e for e in self.request_log if e.method in ("POST", "PUT", "DELETE", "PATCH")]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log_entries.clear()

    # ------------------------------------------------------------------ what a person does on the website

    def publish(self, record_id: str) -> dict[str, Any]:
        """Press "Publish" on a draft (no token needed); returns the published record's RDM JSON."""
        self.book.check_publish(record_id)
        record = self._store.publish(None, record_id, admin=True)
        return self._store.rdm_document(record, draft=False, ui=False)

    def add_community(
        self, slug: str, title: str = "", *, review_policy: str = "closed", new_version_review: bool = False
    ) -> dict[str, Any]:
        """Create a community (as its owner would on the website); returns its JSON."""
        community = self.book.add_community(
            slug, title, review_policy=review_policy, new_version_review=new_version_review
        )
        return self.book.community_document(community)

    def curate(self, request_id: str, action: str, comment: str | None = None) -> dict[str, Any]:
        """Act on a request as the community's curator: accept, decline (with a comment), expire."""
        return self.book.act(None, request_id, action, comment)

    def expire_link(self, link_id: str) -> dict[str, Any]:
        """Move a secret link's expiry date into the past."""
        return self.book.expire_link(link_id)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request (review and inclusion) as InvenioRDM serialises it, with its events."""
        with self._store.lock:
            return [self.book.request_document(r) | {"events": r.events} for r in self.book.requests.values()]

    def delete_record(self, record_id: str, reason: str = "spam") -> None:
        """Delete a published record as Zenodo's staff do: it answers 410 with a tombstone."""
        self._store.delete_record(record_id, reason)

    @property
    def now(self) -> dt.datetime:
        """The emulator's time (UTC), by which it judges and lifts embargoes."""
        return self._store.utc_now()

    def set_clock(self, when: dt.datetime | str) -> dt.datetime:
        """Move the emulator's calendar (embargoes only) to `when` (aware, or ISO with an offset); the
        time then runs on from there. Returns the new time."""
        try:
            moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ApiError(400, "The time needs a UTC offset, e.g. 2027-07-01T00:05:00+00:00.")
        self._store.time_offset = moment - dt.datetime.now(dt.UTC)
        return self.now

    def lift_embargoes(self) -> list[str]:
        """Run Zenodo's daily embargo task (update_expired_embargos) now; the record ids lifted."""
        return self._store.lift_expired_embargoes()

    def mark_external_doi(self, record_id: str) -> None:
        """Give a published record an external DOI: it can no longer be versioned (403)."""
        self._store.mark_external_doi(record_id)

    def reset(self) -> None:
        """Forget every record, file and logged request."""
        self._store.reset()
        self.book.reset()
        self.clear_log()

    # ------------------------------------------------------------------ state, for tests

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        """Published records (deleted ones included, `status` "deleted") as RDM JSON, by id."""
        with self._store.lock:
            return {
                rid: self._store.rdm_document(v, draft=False, ui=False)
                for rid, v in self._store.records.items()
            }

    @property
    def drafts(self) -> dict[str, dict[str, Any]]:
        """Open drafts (new, next-version and edit drafts) as RDM JSON, by id."""
        with self._store.lock:
            return {
                rid: self._store.rdm_document(v, draft=True, ui=False)
                for rid, v in self._store.drafts.items()
            }

    def draft_files(self, record_id: str) -> dict[str, StoredFile]:
        draft = self._store.drafts.get(record_id)
        if draft is None:
            raise KeyError(record_id)
        return self._store.stored_files(draft)

    def record_files(self, record_id: str) -> dict[str, StoredFile]:
        record = self._store.records.get(record_id)
        if record is None:
            raise KeyError(record_id)
        return self._store.stored_files(record)

    def _all_files(self) -> dict[str, dict[str, StoredFile]]:
        with self._store.lock:
            out = {f"record:{rid}": self._store.stored_files(v) for rid, v in self._store.records.items()}
            out |= {f"draft:{rid}": self._store.stored_files(v) for rid, v in self._store.drafts.items()}
            return out
