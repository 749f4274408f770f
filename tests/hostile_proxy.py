"""A hostile reverse proxy on 127.0.0.1 for tests: it sits in front of the emulator and lies.

Each request is forwarded to the upstream (the emulator) unchanged, unless a `Rule` matches its
method and path; the first matching rule decides what the client gets instead:

    proxy = HostileProxy(emulator.url)            # or the `hostile_proxy` fixture in conftest.py
    proxy.url                                     # "http://127.0.0.1:PORT/api": give it to zsync
    proxy.add(Rule("POST", r"/records", json={"id": "7\\n::error::x"}))   # rewrite a JSON field
    proxy.add(Rule("PUT", r"/records/\\d+/draft", status=400, json={"message": "..."}))
    proxy.add(Rule("*", r".*", headers={"Retry-After": None}))              # drop a header
    proxy.add(Rule("GET", r"/records/\\d+", stall_s=5))                       # answer late
    proxy.add(Rule("GET", r"/records/\\d+", drip=(1, 2.0)))                   # 1 byte every 2 s
    proxy.add(Rule("POST", r"/records", redirect=(302, other.url + "/records")))
    proxy.add(Rule("POST", r"/records", reset=True))                         # applied, answer lost
    proxy.add(Rule("POST", r"/records", reset=True, forward=False))         # never reached upstream
    proxy.requests                                # every request seen: ProxyRequest(method, path, ...)

`path` is a regular expression that must match the whole path after the endpoint's `/api` (no
query string): `/records/7/draft`. `method` is a method or "*". A rule applies `times` times (None:
for ever), then is skipped. `json` replaces fields of the JSON answer; a dotted key reaches into
objects (`"links.self"`), and a value `DELETE` removes the field. `forward=False` answers without
asking the upstream: the body is then `body`, or `{}` with the `json` fields set, the status
`status` or 200. `HostileProxy(None)` has no upstream at all: a foreign origin to redirect to,
answering every unmatched request `404 {}` and recording what it was sent (`requests[i].headers`
shows whether the token came along).

The proxy speaks HTTP/1.1 without keep-alive (one request per connection, `Connection: close`),
which keeps stalls and resets simple. It imports nothing from zsync.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DELETE = object()  # a `Rule.json` value: remove this field from the answer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Rule:
    """What to do instead of forwarding an answer unchanged (see the module docstring)."""

    method: str
    path: str
    status: int | None = None
    json: Mapping[str, Any] | None = None
    body: bytes | None = None
    headers: Mapping[str, str | None] = field(default_factory=dict)
    stall_s: float = 0.0
    drip: tuple[int, float] | None = None  # (bytes per chunk, seconds between chunks)
    redirect: tuple[int, str] | None = None  # (status, Location); the upstream is not asked
    reset: bool = False  # close with a TCP RST instead of answering (after forwarding, if forward)
    forward: bool = True
    times: int | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return self.method in ("*", method) and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class ProxyRequest:
    """One request the proxy received, as the client sent it."""

    method: str
    path: str  # after the /api prefix, without the query
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    rule: int | None  # index in `HostileProxy.rules` of the rule applied, or None


@dataclass
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class HostileProxy:
    """A threaded reverse proxy on 127.0.0.1 in front of `upstream` (an `.../api` URL), or none."""

    def __init__(self, upstream: str | None) -> None:
        self.upstream = urllib.parse.urlsplit(upstream) if upstream else None
        self.rules: list[Rule] = []
        self.requests: list[ProxyRequest] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # serve_forever looks for a shutdown between polls: 0.5 s by default, which every test's
        # teardown waited out.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.origin + "/api"

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def start(self) -> HostileProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pick(self, method: str, path: str) -> tuple[int | None, Rule | None]:
        with self._lock:
            for index, rule in enumerate(self.rules):
                if rule.matches(method, path):
                    rule.hits += 1
                    return index, rule
        return None, None

    def record(self, request: ProxyRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def fetch(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Answer:
        """The upstream's answer to the request, unchanged (no redirects followed)."""
        assert self.upstream is not None
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP and k != "host"}
            sent["Host"] = self.upstream.netloc
            sent["Content-Length"] = str(len(body))
            conn.request(method, target, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return _Answer(response.status, kept, data)
        finally:
            conn.close()


def _set_field(document: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = document
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


def _rewrite(answer: _Answer, rule: Rule) -> _Answer:
    body = answer.body
    if rule.body is not None:
        body = rule.body
    elif rule.json is not None:
        try:
            document = json.loads(body) if body else {}
        except ValueError:
            document = {}
        for key, value in rule.json.items():
            _set_field(document, key, value)
        body = json.dumps(document).encode()
    headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
    for name, value in rule.headers.items():
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        if value is not None:
            headers.append((name, value))
    return _Answer(rule.status or answer.status, headers, body)


class _Handler(BaseHTTPRequestHandler):
    owner: HostileProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        path = split.path.removeprefix("/api")
        body = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        index, rule = self.owner.pick(self.command, path)
        self.owner.record(ProxyRequest(self.command, path, split.query, headers, body, index))
        if rule is None:
            self._send(self._forwarded(body, headers))
            return
        if rule.stall_s:
            time.sleep(rule.stall_s)
        if rule.redirect is not None:
            status, location = rule.redirect
            self._send(_Answer(status, [("Location", location)], b""))
            return
        answer = _Answer(200, [("Content-Type", "application/json")], b"{}")
        if rule.forward:
            answer = self._forwarded(body, headers)
        if rule.reset:
            self._reset()
            return
        self._send(_rewrite(answer, rule), drip=rule.drip)

    def _forwarded(self, body: bytes, headers: Mapping[str, str]) -> _Answer:
        if self.owner.upstream is None:
            return _Answer(404, [("Content-Type", "application/json")], b"{}")
        return self.owner.fetch(self.command, self.path, headers, body)

    def _send(self, answer: _Answer, drip: tuple[int, float] | None = None) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            if drip is None:
                self.wfile.write(answer.body)
                return
            size, interval_s = drip
            self.wfile.flush()
            for start in range(0, len(answer.body), size):
                self.wfile.write(answer.body[start : start + size])
                self.wfile.flush()
                time.sleep(interval_s)
        except OSError:
            pass  # the client gave up: that is what a drip is for

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle
