"""Threaded loopback HTTP server shared by the Plex and Stash emulators.

It owns transport and the fault knobs (latency, down, status bursts, hangs, resets, 414, bad
bodies) and the request log; an `App` owns the routes and answers parsed `Request`s.

Just over ~400 lines on purpose: every fault a test can inject is applied at the transport in
this one file, next to the request log that records it.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

# Headers worth keeping in the request log (never the token: the log is test data, but tests
# print it on failure and the project's rule is that secrets never reach output).
_LOGGED_HEADERS = (
    "X-Plex-Container-Start",
    "X-Plex-Container-Size",
    "X-Plex-Client-Identifier",
    "X-Plex-Product",
    "Content-Type",
)


_SECRET_PARAMS = {"x-plex-token", "apikey"}


@dataclass
class Request:
    method: str
    target: str  # raw request target, path plus query as sent
    path: str  # decoded path without the query
    query: list[tuple[str, str]]  # decoded pairs in order, blanks kept
    headers: dict[str, str]  # header names as sent; use header() for lookups
    body: bytes
    host: str  # the Host header as sent

    def param(self, name: str, default: str | None = None) -> str | None:
        """Last value of a query parameter (PMS and Go both let a later value win)."""
        for key, value in reversed(self.query):
            if key == name:
                return value
        return default

    def header(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def cookie(self, name: str) -> str | None:
        raw = self.header("Cookie") or ""
        for part in raw.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class App(Protocol):
    def dispatch(self, request: Request) -> tuple[str, Response]:
        """Return a route label (for request counts) and the response."""


@dataclass
class RequestRecord:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body_sha1: str | None
    route: str
    status: int


class RequestLog:
    """Every request the server answered (or refused by a fault), in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def counts(self) -> Counter[str]:
        """Requests per route label."""
        with self._lock:
            return Counter(r.route for r in self._records)

    def count(self, route: str | None = None, method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._records
                if (route is None or r.route == route) and (method is None or r.method == method)
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


@dataclass
class Fault:
    """One injected failure. `action`: status | hang | reset | body.

    `count` is how many matching requests it still affects (None = all); `skip` lets the
    first N matching requests through untouched (a fault "after N requests").
    For `body`: `length` is the Content-Length declared (None: the body's; -1: none, the body
    ends when the connection closes; larger than the body: a truncated body, then close),
    `drip_s` a pause between 64 KiB chunks (a slow body), and `sent` counts the body bytes
    the client's socket took (a client that stops reading early keeps it low).
    """

    action: str
    status: int = 503
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    hang_s: float = 60.0
    method: str | None = None
    path_regex: str | None = None
    count: int | None = 1
    skip: int = 0
    length: int | None = None
    drip_s: float = 0.0
    sent: int = 0

    def matches(self, request: Request) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        return self.path_regex is None or re.search(self.path_regex, request.path) is not None


@dataclass
class Knobs:
    """Fault and timing switches shared by both emulators; mutate them from tests."""

    latency_s: float = 0.0
    max_url_length: int | None = None  # longer request targets get 414
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_fault(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if not fault.matches(request):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PMS and Go's net/http
    disable_nagle_algorithm = True  # otherwise each keep-alive request stalls ~40 ms
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request log is the record; stderr noise would drown test output

    def setup(self) -> None:
        super().setup()
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the client or go_down() closed the socket first

    def _read_request(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        return Request(
            method=self.command,
            target=self.path,
            path=unquote(split.path),
            query=parse_qsl(split.query, keep_blank_values=True),
            headers={k: v for k, v in self.headers.items()},
            body=body,
            host=self.headers.get("Host", ""),
        )

    def _handle(self) -> None:
        request = self._read_request()
        srv = self.server
        knobs = srv.knobs
        if knobs.latency_s:
            time.sleep(knobs.latency_s)
        fault = knobs.take_fault(request)
        if fault is not None:
            self._apply_fault(request, fault)
            return
        if knobs.max_url_length is not None and len(request.target) > knobs.max_url_length:
            response = Response(414, b"<html><body><h1>414 Request-URI Too Long</h1></body></html>")
            response.content_type = "text/html"
            self._record(request, "414", response.status)
            self._send(response)
            return
        try:
            route, response = srv.app.dispatch(request)
        except Exception as exc:  # an emulator bug must show up as a 500, not a hung client
            route = "error"
            response = Response(500, f"emulator error: {type(exc).__name__}: {exc}".encode())
        self._record(request, route, response.status)
        self._send(response)

    def _apply_fault(self, request: Request, fault: Fault) -> None:
        self._record(request, f"fault:{fault.action}", fault.status)
        if fault.action == "hang":
            time.sleep(fault.hang_s)
            self.close_connection = True
            return
        if fault.action == "reset":
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            except OSError:
                pass
            return
        if fault.action == "body":
            self._stream_body(fault)
            return
        self._send(Response(fault.status, fault.body, fault.content_type))

    def _stream_body(self, fault: Fault) -> None:
        """A 200 with `fault.body` in 64 KiB chunks, as `length` and `drip_s` say."""
        body = fault.body
        declared = len(body) if fault.length is None else fault.length
        self.send_response(200)
        self.send_header("Content-Type", fault.content_type)
        if declared >= 0:
            self.send_header("Content-Length", str(declared))
        if declared != len(body):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            for start in range(0, len(body), 65536):
                if start and fault.drip_s:
                    time.sleep(fault.drip_s)
                chunk = body[start : start + 65536]
                self.wfile.write(chunk)
                fault.sent += len(chunk)
        except OSError:  # the client stopped reading and closed
            self.close_connection = True

    def _record(self, request: Request, route: str, status: int) -> None:
        self.server.log.add(
            RequestRecord(
                method=request.method,
                path=request.path,
                # image URLs carry the Plex token in the query; the log never keeps secrets
                query=[(k, v) for k, v in request.query if k.lower() not in _SECRET_PARAMS],
                headers={
                    k: v
                    for k in _LOGGED_HEADERS
                    if (v := request.header(k)) is not None  # type: ignore[misc]
                },
                body_sha1=hashlib.sha1(request.body).hexdigest() if request.body else None,
                route=route,
                status=status,
            )
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, app: App, knobs: Knobs, log: RequestLog) -> None:
        self.app = app
        self.knobs = knobs
        self.log = log
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients closing keep-alive connections (or go_down) are normal, not tracebacks."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_connections(self) -> None:
        """Drop open keep-alive connections, so a 'down' server really answers nothing."""
        with self.conn_lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class LoopbackServer:
    """An `App` served on 127.0.0.1 in a background thread; can go down and come back."""

    def __init__(self, app: App, port: int = 0, knobs: Knobs | None = None) -> None:
        self.app = app
        self.knobs = knobs or Knobs()
        self.log = RequestLog()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> LoopbackServer:
        if self._server is not None:
            return self
        self._server = _Server(self._port, self.app, self.knobs, self.log)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: new connections are refused, as when the server is down."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def go_down(self) -> None:
        self.stop()

    def come_up(self) -> None:
        self.start()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> bool:
    """Poll `predicate` until true or `timeout`; tests use it instead of fixed sleeps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
