"""The proxy's side toward the upstream: a pool of kept-alive HTTP/1.1 connections (httptools' response parser).

`Upstream.send` writes a request and gives back the upstream's answer as a `Response`, or raises `UpstreamError`
(`upstream_unreachable`, `upstream_failed`, `upstream_timeout`) when there is no whole answer to relay.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import cast
from urllib.parse import urlsplit

import httptools

from ..wire.response import Header, Response

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "host", "expect"})  # fmt: skip
MAX_RESPONSE = 16 * 1024 * 1024  # bytes of answer body it relays; above it the upstream counts as failed
UPSTREAM_TIMEOUT = 30.0  # seconds to connect, and for a whole answer
UPSTREAM_IDLE = 4.0  # seconds an idle upstream connection is reused (servers close theirs after 5 s or more)


class UpstreamError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


class _UpstreamConnection(asyncio.Protocol):
    """One kept-alive connection to the upstream; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False
        self.reusable = False  # the upstream keeps the connection open after its last answer
        self.head_only = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.reason, self.headers, self.body, self.size = b"", list[Header](), list[bytes](), 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail("upstream_failed", f"the upstream closed the connection before answering ({exc or 'EOF'})")

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail("upstream_failed", f"the upstream's answer is not valid HTTP/1.1: {exc}")
            self.close()

    def request(self, raw: bytes, head_only: bool, timeout: float) -> asyncio.Future[Response]:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self.waiter, self.head_only = loop.create_future(), head_only
        self.timer = loop.call_later(timeout, self._fail, "upstream_timeout", f"no whole answer within {timeout:g} s")
        self.transport.write(raw)
        return self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, code: str, detail: str) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(UpstreamError(code, detail))
            self.close()
        if self.timer is not None:
            self.timer.cancel()

    def _done(self, keep_alive: bool) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.reusable = keep_alive
        if self.waiter is not None and not self.waiter.done():
            status, reason = self.parser.get_status_code(), self.reason.decode("latin-1")
            self.waiter.set_result(Response(status, b"".join(self.body), None, self.headers, reason=reason))
        self._reset()

    # -- httptools callbacks
    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self.head_only and self.parser.get_status_code() >= 200:  # an answer to HEAD has no body to wait for
            self._done(keep_alive=False)

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_RESPONSE:
            self._fail("upstream_failed", f"the upstream's answer is over {MAX_RESPONSE} bytes")
        else:
            self.body.append(chunk)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() < 200:  # 1xx: an interim answer; the real one follows
            self._reset()
            return
        self._done(self.parser.should_keep_alive())


class Upstream:
    """Where requests go: `http(s)://host[:port][/prefix]`, over a pool of kept-alive connections."""

    def __init__(self, url: str, timeout: float = UPSTREAM_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"an http:// or https:// URL is needed, not {url!r}")
        if parts.username or parts.password:
            raise ValueError("the URL must not hold credentials: the application sends its own token")
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.authority = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.timeout = timeout
        self.idle: list[_UpstreamConnection] = []

    def encode(self, method: str, target: str, headers: list[Header], body: bytes, framed: bool) -> bytes:
        lines = [f"{method} {self.prefix}{target} HTTP/1.1", f"Host: {self.authority}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP]
        if body or framed:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body

    async def send(self, method: str, raw: bytes) -> Response:
        conn = self._take() or await self._connect()
        response = await conn.request(raw, method == "HEAD", self.timeout)
        if conn.reusable and not conn.closed:
            conn.idle_since = time.monotonic()
            self.idle.append(conn)
        else:
            conn.close()
        return response

    async def _connect(self) -> _UpstreamConnection:
        loop = asyncio.get_running_loop()
        server_hostname = self.host if self.ssl else None
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_UpstreamConnection, self.host, self.port, ssl=self.ssl,
                                       server_hostname=server_hostname),
                self.timeout,
            )  # fmt: skip
        except (OSError, TimeoutError) as exc:
            raise UpstreamError("upstream_unreachable", f"cannot connect to {self.url}: {exc or 'timed out'}") from None
        return conn

    def _take(self) -> _UpstreamConnection | None:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and now - conn.idle_since < UPSTREAM_IDLE:
                return conn
            conn.close()
        return None

    def prune(self) -> None:
        """Close idle connections kept too long, and forget those the upstream closed."""
        now = time.monotonic()
        for conn in [c for c in self.idle if c.closed or now - c.idle_since >= UPSTREAM_IDLE]:
            self.idle.remove(conn)
            conn.close()

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()
