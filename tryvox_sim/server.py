"""The HTTP/1.1 server: an asyncio protocol on httptools that calls `App.handle` inline.

`App.handle` is synchronous and takes tens of microseconds, so each request is answered straight from
the parser callback: no ASGI messages, no task per request. That keeps the server's cost per request
close to the handler's own (uvicorn's ASGI cycle cost several times the handler; see bench/results.md).
HTTP/1.1 keep-alive and pipelining (answers in order), chunked request bodies, `Expect: 100-continue`,
bodies over the limit (413 without reading them), malformed requests (400, then close), idle and slow
connections (closed by a sweep), and back-pressure from slow readers are handled here.
"""

import asyncio
import logging
import signal
import threading
import time
from http import HTTPStatus

import httptools

from .http import MAX_BODY, App
from .problems import MalformedHttp, Problem
from .reply import Reply

log = logging.getLogger("tryvox_sim")
IDLE_TIMEOUT = 30.0  # seconds a keep-alive connection may sit idle
REQUEST_TIMEOUT = 10.0  # seconds a started request may take to arrive in full
SWEEP_EVERY = 1.0  # seconds between looks for idle or stalled connections
SETTLE_EVERY = 0.1  # seconds between background settles (timed rules and webhooks fire without a request)
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}


def encode(status: int, headers, data: bytes, keep_alive: bool, head: bool = False) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Unknown"))]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    lines.append(b"content-length: %d" % len(data))
    if not keep_alive:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else data)


def problem_response(problem: Problem) -> bytes:
    return encode(*Reply.problem(problem).encode(), keep_alive=False)


class Connection(asyncio.Protocol):
    __slots__ = ("app", "connections", "transport", "parser", "url", "headers", "body", "size", "skip",
                 "started", "last_active", "paused")  # fmt: skip

    def __init__(self, app: App, connections: set):
        self.app = app
        self.connections = connections
        self.transport = None
        self.parser = httptools.HttpRequestParser(self)
        self.started = None  # monotonic time the current request began, None between requests
        self.paused = False

    # -- asyncio.Protocol
    def connection_made(self, transport):
        self.transport = transport
        self.last_active = time.monotonic()
        self.connections.add(self)

    def connection_lost(self, exc):
        self.connections.discard(self)

    def data_received(self, data):
        self.last_active = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.transport.close()  # no protocol upgrades here; the request itself was answered
        except httptools.HttpParserError as exc:
            if not self.transport.is_closing():
                detail = f"The request is not valid HTTP/1.1: {str(exc)[:200]}"
                self.transport.write(problem_response(MalformedHttp(detail)))
                self.transport.close()

    def pause_writing(self):  # a client that does not read its answers stops being read
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self):
        self.paused = False
        self.transport.resume_reading()

    # -- httptools callbacks
    def on_message_begin(self):
        self.url, self.headers, self.body, self.size, self.skip = b"", {}, [], 0, False
        self.started = time.monotonic()

    def on_url(self, url):
        self.url += url

    def on_header(self, name, value):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self):
        length = self.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            self.skip = True  # answer 413 now, never read the body
            self._respond(keep_alive=False)
        elif self.headers.get("expect", "").lower() == "100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk):
        if self.size <= MAX_BODY:  # keep at most MAX_BODY + 1 bytes: enough for the handler to say 413
            self.body.append(chunk)
        self.size += len(chunk)

    def on_message_complete(self):
        if not self.skip:
            self._respond(keep_alive=self.parser.should_keep_alive())
        self.started = None

    # -- answering
    def _respond(self, keep_alive: bool):
        if self.transport.is_closing():
            return
        method = self.parser.get_method().decode("latin-1")
        try:
            url = httptools.parse_url(self.url)
            path = url.path.decode("latin-1")
            query = (url.query or b"").decode("latin-1")
        except httptools.HttpParserInvalidURLError:
            self.transport.write(problem_response(MalformedHttp("The request target is invalid.")))
            self.transport.close()
            return
        # With `skip` the body stays unread: the handler answers 413 from the Content-Length header.
        body = b"".join(self.body)[: MAX_BODY + 1]
        status, headers, data = self.app.handle(method, path, query, self.headers, body)
        self.transport.write(encode(status, headers, data, keep_alive, head=method == "HEAD"))
        if not keep_alive:
            self.transport.close()


async def _housekeeping(app: App, connections: set):
    """Settle due timers (so webhooks fire without a request) and close idle or stalled connections."""
    world, last_sweep = app.world, 0.0
    while True:  # ends when the server stops (task cancelled)
        await asyncio.sleep(SETTLE_EVERY)
        try:
            if world.next_due() <= world.clock.now():
                world.settle_all()
            if world.outbox:
                app.flush_outbox()
        except Exception:
            log.exception("background settle failed")
        now = time.monotonic()
        if now - last_sweep >= SWEEP_EVERY:
            last_sweep = now
            for conn in list(connections):
                stalled = conn.started is not None and now - conn.started > REQUEST_TIMEOUT
                if stalled or (conn.started is None and now - conn.last_active > IDLE_TIMEOUT):
                    conn.transport.close()


async def serve(app: App, host: str, port: int, on_ready=None, stop: asyncio.Event | None = None) -> None:
    """Serve until `stop` is set or, in the main thread, SIGINT or SIGTERM; `on_ready(host, port)` runs once
    the socket listens."""
    loop = asyncio.get_running_loop()
    connections: set = set()
    server = await loop.create_server(lambda: Connection(app, connections), host, port, backlog=1024)
    stop = stop or asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    housekeeping = asyncio.create_task(_housekeeping(app, connections))
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    if on_ready:
        on_ready(bound_host, bound_port)
    try:
        await stop.wait()
    finally:
        housekeeping.cancel()
        server.close()
        for conn in list(connections):
            conn.transport.close()
        await server.wait_closed()
        app.webhooks.close()
        log.info("simulator stopped")


def run(app: App, host: str, port: int, on_ready=None) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but the server works without it
        asyncio.run(serve(app, host, port, on_ready))
    else:
        uvloop.run(serve(app, host, port, on_ready))
