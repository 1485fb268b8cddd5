"""`tryvox-sim proxy --upstream URL`: a validating proxy that checks real traffic against the spec, call by call.

Put it between an application and a deployment of the API (or a simulator): each request goes upstream as it
came (method, raw path and query, headers, body; only the hop-by-hop headers and `Host` are the proxy's own)
over kept-alive connections, and the upstream's answer comes back as it was, plus a `tvx-contract-violations`
header when the exchange broke a rule (`2 api:echo,client:request-body`). verifier.py says which rules; this
module only moves bytes (httptools on asyncio, as server.py) and proxy_report.py keeps and writes what was seen.

When the upstream cannot be reached or fails mid-answer, the proxy answers a 502 problem of its own: code
`upstream_unreachable` / `upstream_failed` / `upstream_timeout`, a type outside the API's error URIs, and a
`tvx-proxy-error` header, so it is never taken for an answer of the API. `GET /_tvx/violations` lists the
violations so far. On SIGINT or SIGTERM it writes its reports (`--report DIR`) and, with `--fail-on-violation`,
exits 1 when anything broke a rule (or the upstream failed, so the traffic could not be checked).
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

import httptools
import orjson

from ..contract.spec import CALL_ACTIONS_SPEC, SIMULATOR_SPEC, Spec
from ..sim.reply import PROBLEM
from ..wire.server import listen
from .report import Report, Traffic
from .verifier import API, CLIENT, Verifier, decode_body

Header = tuple[str, str]
VIOLATIONS_HEADER = "tvx-contract-violations"
ERROR_HEADER = "tvx-proxy-error"
ERROR_TYPE = "urn:tryvox-sim:proxy:"  # not https://docs.tryvox.io/errors/: these are the proxy's, not the API's
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "host", "expect"})  # fmt: skip
MAX_HEAD = 64 * 1024  # bytes of request line and headers; above it the proxy answers 431 itself
MAX_REQUEST = 1024 * 1024  # bytes of request body the proxy forwards; above it the proxy answers 413 itself
MAX_ANSWER = 16 * 1024 * 1024  # bytes of answer body it relays; above it the upstream counts as failed
MAX_QUEUED = 32  # pipelined requests waiting on one connection before it stops being read
UPSTREAM_TIMEOUT = 30.0  # seconds to connect, and for a whole answer
UPSTREAM_IDLE = 4.0  # seconds an idle upstream connection is reused (servers close theirs after 5 s or more)
CLIENT_IDLE = 75.0  # seconds an idle client connection is kept
REASONS = {status.value: status.phrase for status in HTTPStatus}


class UpstreamError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(slots=True)
class Answer:
    status: int
    reason: str
    headers: list[Header]
    body: bytes
    keep_alive: bool
    own: str | None = None  # the code, when the proxy answered itself (the API did not)
    detail: str = ""


def head(status: int, reason: str, headers: list[Header], length: int, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    if status not in (204, 304):  # answers that never have a body carry no length either
        lines.append(f"content-length: {length}")
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def own_answer(status: int, code: str, detail: str) -> Answer:
    """An answer of the proxy itself: a problem+json whose type and header say it is not the API's."""
    body = {"type": ERROR_TYPE + code.replace("_", "-"), "title": code.replace("_", " ").capitalize(),
            "status": status, "code": code, "detail": detail[:4000]}  # fmt: skip
    headers = [("content-type", PROBLEM), (ERROR_HEADER, code)]
    return Answer(status, REASONS.get(status, ""), headers, orjson.dumps(body), True, code, detail)


# ------------------------------------------------------------------------------ upstream side


class _UpstreamConnection(asyncio.Protocol):
    """One kept-alive connection to the upstream; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Answer] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False
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

    def request(self, raw: bytes, head_only: bool, timeout: float) -> asyncio.Future[Answer]:
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
        if self.waiter is not None and not self.waiter.done():
            status = self.parser.get_status_code()
            answer = Answer(status, self.reason.decode("latin-1"), self.headers, b"".join(self.body), keep_alive)
            self.waiter.set_result(answer)
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
        if self.size > MAX_ANSWER:
            self._fail("upstream_failed", f"the upstream's answer is over {MAX_ANSWER} bytes")
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

    async def send(self, method: str, raw: bytes) -> Answer:
        conn = self._take() or await self._connect()
        answer = await conn.request(raw, method == "HEAD", self.timeout)
        if answer.keep_alive and not conn.closed:
            conn.idle_since = time.monotonic()
            self.idle.append(conn)
        else:
            conn.close()
        return answer

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


# ------------------------------------------------------------------------------ client side


@dataclass(slots=True)
class _Request:
    method: str
    target: bytes
    headers: list[Header]
    body: bytes
    framed: bool  # the client sent Content-Length or Transfer-Encoding
    keep_alive: bool
    too_large: bool


class _ClientConnection(asyncio.Protocol):
    """One application connection: requests are parsed here and answered in order by `Proxy.exchange`."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.queue: deque[_Request] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.last_active = time.monotonic()
        self.url, self.headers, self.body, self.size, self.head_size = b"", list[Header](), list[bytes](), 0, 0
        self.refusal: bytes | None = None  # the answer to a malformed request, owed after those before it
        self.writable = asyncio.Event()  # cleared while the client does not read its answers
        self.writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes
        self.proxy.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.proxy.connections.discard(self)
        self.queue.clear()
        self.writable.set()  # a worker waiting to write ends

    def pause_writing(self) -> None:  # the client does not read: no more answers are made, then no more reading
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    @property
    def busy(self) -> bool:
        return self.worker is not None and not self.worker.done()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no other protocol is relayed: answer the request, then close
            if self.queue:
                self.queue[-1].keep_alive = False
            if self.transport is not None:
                self.transport.pause_reading()
        except httptools.HttpParserError as exc:  # answered after the requests before it, then closed
            if self.head_size > MAX_HEAD:
                answer = own_answer(
                    431, "request_head_too_large", f"The proxy takes heads of at most {MAX_HEAD} bytes."
                )
            else:
                answer = own_answer(400, "malformed_request", f"The request is not valid HTTP/1.1: {exc}")
            self.refusal = head(answer.status, answer.reason, answer.headers, len(answer.body), False) + answer.body
            if self.transport is not None:
                self.transport.pause_reading()
            if not self.busy:
                self._write(self.refusal, keep_alive=False)

    def _write(self, data: bytes, keep_alive: bool) -> None:
        assert self.transport is not None
        if not self.transport.is_closing():
            self.transport.write(data)
            if not keep_alive:
                self.transport.close()

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        self.url, self.headers, self.body, self.size, self.head_size = b"", [], [], 0, 0

    def _count_head(self, size: int) -> None:
        self.head_size += size
        if self.head_size > MAX_HEAD:
            raise ValueError("request head too large")  # stops the parser: data_received answers 431

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        expect = next((v for n, v in self.headers if n.lower() == "expect"), "")
        if expect.lower() == "100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= MAX_REQUEST:
            self.body.append(chunk)

    def on_message_complete(self) -> None:
        framed = any(n.lower() in ("content-length", "transfer-encoding") for n, _ in self.headers)
        method = self.parser.get_method().decode("latin-1")
        request = _Request(method, self.url, self.headers, b"".join(self.body), framed,
                           self.parser.should_keep_alive(), self.size > MAX_REQUEST)  # fmt: skip
        self.queue.append(request)
        if len(self.queue) > MAX_QUEUED and self.transport is not None:
            self.transport.pause_reading()
        if not self.busy:
            self.worker = asyncio.get_running_loop().create_task(self._answer_queued())

    async def _answer_queued(self) -> None:
        while self.queue:
            if not self.writable.is_set():
                await self.writable.wait()
                if not self.queue:  # the connection was lost meanwhile
                    return
            data, keep_alive = await self.proxy.exchange(self.queue.popleft())
            self.last_active = time.monotonic()
            self._write(data, keep_alive)
            if not keep_alive:
                return
            if self.transport is not None and self.refusal is None and len(self.queue) <= MAX_QUEUED // 2:
                self.transport.resume_reading()
        if self.refusal is not None:
            self._write(self.refusal, keep_alive=False)


# ------------------------------------------------------------------------------ the proxy


class Proxy:
    """Forwards to `upstream`, checks each exchange with a `Verifier`, keeps it in a `Report`, prints violations."""

    def __init__(
        self, upstream: str, spec: Spec | None = None, *, out: TextIO | None = None,
        timeout: float = UPSTREAM_TIMEOUT, **keep: int,
    ) -> None:  # fmt: skip
        self.upstream = Upstream(upstream, timeout)
        self.spec = spec or Spec()
        self.verifier = Verifier(self.spec)
        self.report = Report(self.upstream.url, str(self.spec.actions_doc["info"]["version"]), **keep)
        self.out = out or sys.stdout
        self.connections: set[_ClientConnection] = set()
        self.number = 0

    def say(self, line: str) -> None:
        print(f"tvx-proxy: {line}", file=self.out, flush=True)

    async def exchange(self, request: _Request) -> tuple[bytes, bool]:
        """The answer to one request, as bytes, and whether the connection stays open after it."""
        keep_alive = request.keep_alive and not request.too_large
        try:
            url = httptools.parse_url(request.target)
        except httptools.HttpParserInvalidURLError:
            answer = own_answer(400, "malformed_request", "The request target is invalid.")
            return head(400, answer.reason, answer.headers, len(answer.body), False) + answer.body, False
        path = url.path.decode("latin-1")
        if request.target.startswith(b"/"):
            target = request.target.decode("latin-1")  # as it came
        else:  # an absolute URL (a client configured with the proxy as its HTTP proxy): its path and query
            target = path + (f"?{url.query.decode('latin-1')}" if url.query else "")
        if request.method == "GET" and path == "/_tvx/violations":
            body = orjson.dumps(self.report.summary())
            return head(200, "OK", [("content-type", "application/json")], len(body), keep_alive) + body, keep_alive
        self.number += 1
        number, started, clock = self.number, time.time(), time.perf_counter()
        answer = await self._forward(request, target)
        traffic = Traffic(
            number, started, request.method, self.upstream.url + target, request.headers, request.body,
            answer.status, answer.reason, answer.headers, answer.body, (time.perf_counter() - clock) * 1000, answer.own,
        )  # fmt: skip
        if answer.own is None:
            headers = self._check(traffic, path, answer)
        else:  # the API did not answer: nothing to check
            headers = answer.headers
            self.report.add(traffic, None, [])
            self.say(f"request #{number} ({request.method} {path}) got no answer from the API: {answer.detail}")
        length = len(answer.body)
        if request.method == "HEAD":  # no body came; the length is the one the upstream announced
            announced = next((v for n, v in answer.headers if n.lower() == "content-length"), "")
            length = int(announced) if announced.isdigit() else 0
        return head(answer.status, answer.reason, headers, length, keep_alive) + answer.body, keep_alive

    async def _forward(self, request: _Request, target: str) -> Answer:
        if request.too_large:
            return own_answer(413, "request_too_large", f"The proxy forwards bodies of at most {MAX_REQUEST} bytes.")
        raw = self.upstream.encode(request.method, target, request.headers, request.body, request.framed)
        try:
            return await self.upstream.send(request.method, raw)
        except UpstreamError as exc:
            return own_answer(502, exc.code, f"tryvox-sim proxy: {exc.detail}")

    def _check(self, traffic: Traffic, path: str, answer: Answer) -> list[Header]:
        """Check the exchange, keep it, print its violations; returns the headers to relay (with the verdict)."""
        answer_headers = _lower(answer.headers)
        decoded = decode_body(answer.body, answer_headers.get("content-encoding", ""))
        if decoded is not None:
            traffic.answer = decoded
        operation, violations = self.verifier.check(
            traffic.number, traffic.method, path, _lower(traffic.headers), traffic.body, answer.status,
            answer_headers, decoded, traffic.started,
        )  # fmt: skip
        headers = [(name, value) for name, value in answer.headers if name.lower() not in HOP_BY_HOP]
        if violations:
            codes = ",".join(dict.fromkeys(f"{v.party}:{v.rule}" for v in violations))
            headers.append((VIOLATIONS_HEADER, f"{len(violations)} {codes}"))
        for violation in self.report.add(traffic, operation, violations):
            self.say(violation.line())
        return headers

    def failed(self, parties: tuple[str, ...]) -> bool:
        """Did anything break a rule of these parties, or go unanswered by the API (so it went unchecked)?"""
        return any(self.report.by_party(party) for party in parties) or bool(self.report.proxy_answers)

    def closing_line(self) -> str:
        r = self.report
        return (
            f"{r.exchanges} exchanges ({sum(r.operations.values())} checked), {r.by_party(API)} API violations, "
            f"{r.by_party(CLIENT)} client violations, {sum(r.proxy_answers.values())} answered by the proxy itself"
        )


def _lower(headers: list[Header]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


async def _sweep(proxy: Proxy) -> None:
    while True:  # ends when the proxy stops (task cancelled)
        await asyncio.sleep(1.0)
        proxy.upstream.prune()
        now = time.monotonic()
        for conn in list(proxy.connections):
            if not conn.busy and not conn.queue and now - conn.last_active > CLIENT_IDLE and conn.transport:
                conn.transport.close()


async def serve(
    proxy: Proxy, host: str, port: int, on_ready: Callable[[str, int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:  # fmt: skip
    """Serve until `stop` is set or, in the main thread, SIGINT or SIGTERM; exchanges under way are finished."""
    server, stop = await listen(lambda: _ClientConnection(proxy), host, port, 1024, stop, on_ready)
    sweep = asyncio.get_running_loop().create_task(_sweep(proxy))
    try:
        await stop.wait()
    finally:
        sweep.cancel()
        server.close()
        deadline = time.monotonic() + 5.0
        while any(conn.busy for conn in proxy.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(proxy.connections):
            if conn.transport is not None:
                conn.transport.close()
        proxy.upstream.close()
        await server.wait_closed()


# ------------------------------------------------------------------------------ command line


def upstream_url(text: str) -> str:
    try:
        Upstream(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above 0")
        return value

    return parse


def add_parser(commands: Any) -> None:
    """`tryvox-sim proxy …` (cli.py adds it beside `serve`)."""
    parser = commands.add_parser("proxy", help="check real traffic against the spec, forwarding it to --upstream")
    add = parser.add_argument
    add("--upstream", required=True, type=upstream_url, help="the API to forward to, e.g. https://staging.example.com")
    add("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    add("--port", type=int, default=4011, help="0 picks a free port (default 4011)")
    add("--report", type=Path, help="write proxy-report.json, proxy-junit.xml and proxy.har here when stopped")
    add(
        "--fail-on-violation",
        nargs="?",
        const="any",
        choices=["any", "api"],
        help="exit 1 on any violation (only the API's, with `api`), or a request the API did not answer",
    )
    add("--keep-exchanges", type=positive(int), default=10_000, help="exchanges kept for the HAR (default 10000)")
    add("--timeout", type=positive(float), default=UPSTREAM_TIMEOUT, help="seconds to wait for an upstream answer")
    add("--spec", default=str(CALL_ACTIONS_SPEC), help="the Call Actions OpenAPI file")


def main(args: argparse.Namespace) -> int:
    spec = Spec(args.spec, SIMULATOR_SPEC)
    proxy = Proxy(args.upstream, spec, timeout=args.timeout, keep_exchanges=args.keep_exchanges)

    def ready(host: str, port: int) -> None:
        print(f"export TVX_BASE_URL=http://{host}:{port}", flush=True)
        print(f"tryvox-sim proxy: checking traffic to {proxy.upstream.url} on {host}:{port}", file=sys.stderr)

    try:
        _run(serve(proxy, args.host, args.port, on_ready=ready))
    except OSError as exc:
        print(f"tryvox-sim proxy: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    proxy.say(proxy.closing_line())
    for note in proxy.report.notes():
        proxy.say(note)
    if args.report is not None:
        paths = proxy.report.write(args.report)
        proxy.say("reports: " + ", ".join(str(path) for path in paths))
    parties = (API,) if args.fail_on_violation == "api" else (API, CLIENT)
    return 1 if args.fail_on_violation and proxy.failed(parties) else 0


def _run(coroutine: Any) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but the proxy works without it
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)
