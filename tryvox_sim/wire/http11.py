"""The HTTP/1.1 connection core, written once for every server of the package (the simulator, the proxy).

An asyncio protocol on httptools. A handler takes a `Request` and gives a `Response`, at once (the simulator's
`App.respond` takes tens of microseconds, so it is called straight from the parser callback: no task per request)
or as an awaitable (the proxy waits for its upstream). Keep-alive and pipelining (answers in request order),
chunked bodies and `Expect: 100-continue` are handled here, and so is what production servers guard against:
request heads over the limits (414, 431), bodies over the limit (the handler is told, and answers 413), malformed
requests (400) and stalled ones (408) are refused, then the connection is drained and closed (a lingering close,
so the client reads the answer instead of a reset); idle connections are closed; a client that does not read its
answers stops being read (back-pressure), so no connection holds more than a bounded amount of memory. A response
with a `fault` is carried out here too: a delay holds the connection's answers (in order) on a timer, never the
event loop; `reset` aborts the connection with a TCP reset, `close` closes it, `truncate` sends half an answer first.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httptools

from ..contract.problems import (
    HeaderFieldsTooLarge,
    InternalError,
    MalformedHttp,
    Problem,
    RequestTimeout,
    UriTooLong,
)
from .response import Header, Response

log = logging.getLogger("tryvox_sim")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may hold, and how long a connection may wait. Head limits as production servers set them
    (nginx's large_client_header_buffers is 8 KiB per line)."""

    max_body: int = 64 * 1024  # bytes of body; over it the handler gets the request marked `too_large`
    max_target: int = 8 * 1024  # bytes of request target; over it, 414
    max_headers: int = 16 * 1024  # bytes of header block (each field counted as `name: value\r\n`); over it, 431
    max_fields: int = 100  # header fields; over it, 431
    max_queued: int = 32  # complete requests waiting for their turn on one connection before it stops being read
    idle_timeout: float = 30.0  # seconds a keep-alive connection may sit idle
    request_timeout: float = 10.0  # seconds a started request may take to arrive in full (then 408)
    # After a refusal, what the client still sends is read and dropped for this long or this much, then the
    # connection closes (nginx's lingering close): closing with unread bytes would reset it before the client
    # reads the answer.
    linger_seconds: float = 5.0
    linger_bytes: int = 64 * 1024 * 1024

    @property
    def max_head_read(self) -> int:
        """httptools holds a header name or value whole until it ends, so a head spanning reads is also capped by
        the bytes read for it: a head within the limits above stays under this."""
        return self.max_target + self.max_headers + 1024


REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
# Header names as sent -> lower case: one str per name for every request, not one per request (the simulator's
# journal keeps 10,000 requests' headers), and cheaper than decoding. Bounded: names past the first 1,000 are decoded.
HEADER_NAMES: dict[bytes, str] = {}
MAX_HEADER_NAMES = 1000
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")  # request headers never kept or shown


class Request:
    """One request as it arrived. `headers`: lower-case names, repeated fields joined by ", " (a dict made for this
    request: a handler may keep it); `fields`: every header as sent, when the server keeps them (the proxy
    forwards them unchanged), else empty. `too_large`: the body went over the limit; `body` holds its first
    `max_body + 1` bytes."""

    __slots__ = ("method", "target", "path", "query", "headers", "fields", "body", "keep_alive", "framed",
                 "too_large")  # fmt: skip

    def __init__(
        self, method: str, target: bytes, path: str, query: str, headers: dict[str, str], fields: list[Header],
        body: bytes, keep_alive: bool, too_large: bool = False,
    ) -> None:  # fmt: skip
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.fields = fields
        self.body = body
        self.keep_alive = keep_alive and not too_large
        self.framed = "content-length" in headers or "transfer-encoding" in headers
        self.too_large = too_large


Handler = Callable[[Request], "Response | Awaitable[Response]"]


def problem_response(problem: Problem) -> Response:
    """The default words of a refusal the wire makes itself: the problem, as the API words its own."""
    return Response.problem(problem)


@dataclass(slots=True)
class Site:
    """What one listening server does with its connections: its handler, its limits, how it words the refusals the
    wire makes itself, whether handlers see the header fields as sent; and the connections it has open."""

    handler: Handler
    limits: Limits = Limits()
    refusal: Callable[[Problem], Response] = problem_response
    keep_fields: bool = False
    connections: set[Connection] = field(default_factory=set)


# What a connection owes, in request order: a request to answer, or a refusal (None: close, nothing to say).
Owed = Request | Problem | None


def encode(response: Response, keep_alive: bool, head: bool = False) -> bytes:
    """The response on the wire. Answers that never have a body (1xx, 204, 304) carry no length either."""
    status, body = response.status, response.body
    reason = (
        REASONS.get(status, b"Unknown") if response.reason is None else response.reason.encode("latin-1", "replace")
    )
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    lines += [f"{name}: {value}".encode("latin-1", "replace") for name, value in response.headers]
    if status >= 200 and status not in (204, 304):
        lines.append(b"content-length: %d" % (len(body) if response.length is None else response.length))
    if not keep_alive:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else body)


class Refused(Exception):
    """Raised in a parser callback to stop parsing at once; `owed` is answered when its turn comes: the wire's own
    refusal, or a request over the body limit, which its handler answers (413)."""

    def __init__(self, owed: Owed) -> None:
        self.owed = owed


class Drain:
    """Takes the parser's place once a request is refused: what the client still sends is counted and dropped,
    up to `linger_bytes`, for `linger_seconds` (the sweep closes it then)."""

    __slots__ = ("transport", "left", "until")

    def __init__(self, transport: asyncio.Transport, limits: Limits) -> None:
        self.transport = transport
        self.left = limits.linger_bytes
        self.until = time.monotonic() + limits.linger_seconds

    def feed_data(self, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            self.transport.close()


class Connection(asyncio.Protocol):
    __slots__ = ("site", "limits", "transport", "parser", "url", "headers", "fields", "body", "size", "count",
                 "header_bytes", "head_read", "started", "last_active", "paused", "owed", "ended", "held",
                 "responding", "eof", "holding")  # fmt: skip

    def __init__(self, site: Site) -> None:
        self.site = site
        self.limits = site.limits
        self.transport: Any = None  # an asyncio (or uvloop) transport, set by connection_made
        self.parser: Any = httptools.HttpRequestParser(self)  # or a Drain once a request is refused
        self.started: float | None = None  # monotonic time the current request began, None between requests
        self.head_read: int | None = None  # bytes read for a head that spans reads; None when none is read
        self.paused = False  # the client is not reading its answers: stop reading its requests
        self.owed: deque[Owed] = deque()  # what waits for its turn to be answered
        self.ended = False  # the answer that ends the connection was sent: nothing more is
        self.held: asyncio.TimerHandle | None = None  # a delayed answer's timer (a fault): later ones wait
        self.holding: Response | None = None  # the delayed answer itself
        self.responding: asyncio.Future[Response] | None = None  # a handler's answer being awaited
        self.eof = False  # the client sent all it will send (a half-close): close once the owed answers are out
        self.url = b""
        self.headers: dict[str, str] = {}
        self.fields: list[Header] = []
        self.body: list[bytes] = []
        self.size = self.count = self.header_bytes = 0

    @property
    def busy(self) -> bool:
        """Something is under way: a request arriving, answers owed, held, or being made."""
        return self.started is not None or bool(self.owed) or self.held is not None or self.responding is not None

    # -- asyncio.Protocol
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.last_active = time.monotonic()
        self.site.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.site.connections.discard(self)
        self.owed.clear()
        if self.held is not None:
            self.held.cancel()
            self.gave_up()
        if self.responding is not None:
            self.responding.cancel()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        if self.head_read is not None:  # a head began in an earlier read: count this read towards it
            self.head_read += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no protocol upgrades here: answer the request, drop the rest
            self.refuse(None)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, Refused):
                self.refuse(exc.__context__.owed)
            else:
                self.refuse(MalformedHttp(f"The request is not valid HTTP/1.1: {str(exc)[:200]}"))
        else:
            if self.head_read is not None and self.head_read > self.limits.max_head_read:
                self.refuse(HeaderFieldsTooLarge(f"The header block is over {self.limits.max_headers} bytes."))

    def eof_received(self) -> bool:
        """Keep the connection half-open while answers are owed (a client may send its requests, then shut down its
        side, and still read the answers)."""
        self.eof = True
        return bool(self.owed) or self.held is not None or self.responding is not None

    def pause_writing(self) -> None:  # the answers pile up unread: read no more requests until they drain
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        self.last_active = time.monotonic()  # the client reads its answers: not idle, however slowly it reads
        self.catch_up()

    # -- httptools callbacks (a callback that raises Refused stops the parser at once)
    def on_message_begin(self) -> None:
        self.url, self.size, self.count, self.header_bytes = b"", 0, 0, 0
        self.headers, self.fields, self.body = {}, [], []
        self.started = time.monotonic()
        self.head_read = 0

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > self.limits.max_target:
            raise Refused(UriTooLong(f"The request target is over {self.limits.max_target} bytes."))
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.count += 1
        self.header_bytes += len(name) + len(value) + 4
        limits = self.limits
        if self.count > limits.max_fields or self.header_bytes > limits.max_headers:
            detail = f"The header block is over {limits.max_headers} bytes."
            if self.count > limits.max_fields:
                detail = f"The request has over {limits.max_fields} header fields."
            raise Refused(HeaderFieldsTooLarge(detail))
        key = HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(HEADER_NAMES) < MAX_HEADER_NAMES:
                HEADER_NAMES[name] = key
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text
        if self.site.keep_fields:
            self.fields.append((name.decode("latin-1"), text))

    def on_headers_complete(self) -> None:
        self.head_read = None
        length = self.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limits.max_body:  # the handler answers from the header: no body
            raise Refused(self.request(too_large=True))
        if self.headers.get("expect", "").lower() == "100-continue" and not self.owed and self.responding is None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # never ahead of owed answers

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limits.max_body:  # chunked, so no Content-Length said so: the handler sees one byte more
            self.body.append(chunk[: self.limits.max_body + 1 - (self.size - len(chunk))])
            raise Refused(self.request(too_large=True))
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.started = None
        self.take(self.request())

    # -- requests and their turn
    def request(self, too_large: bool = False) -> Request | Problem:
        """The request read so far, or the refusal its target earns."""
        try:
            url = httptools.parse_url(self.url)
        except httptools.HttpParserInvalidURLError:
            return MalformedHttp("The request target is invalid.")
        method = self.parser.get_method().decode("latin-1")
        path, query = url.path.decode("latin-1"), (url.query or b"").decode("latin-1")
        keep_alive = self.parser.should_keep_alive()
        return Request(method, self.url, path, query, self.headers, self.fields, b"".join(self.body), keep_alive,
                       too_large)  # fmt: skip

    def take(self, owed: Owed) -> None:
        """Answer now if nothing is ahead of it, else when its turn comes (reading stops while too much waits)."""
        if self.owed or self.paused or self.held is not None or self.responding is not None:
            self.owed.append(owed)
            if len(self.owed) > self.limits.max_queued:
                self.transport.pause_reading()
        else:
            self.respond(owed)

    def catch_up(self) -> None:
        """Answer what waited (for the client to read, behind a delayed answer or one being made), then read again."""
        while self.owed and not self.paused and self.held is None and self.responding is None:
            self.respond(self.owed.popleft())
        if self.paused or self.held is not None or self.responding is not None or self.transport.is_closing():
            return
        if self.eof and not self.owed:  # all answered that the half-closed client asked
            self.transport.close()
        elif len(self.owed) <= self.limits.max_queued // 2:
            self.transport.resume_reading()

    def respond(self, owed: Owed) -> None:
        if self.ended or self.transport.is_closing():
            return
        if not isinstance(owed, Request):  # a refusal: its answer, then the connection closes
            if owed is None:
                self.end()
            else:
                self.send(self.site.refusal(owed), False, False)
            return
        response = self.site.handler(owed)
        if isinstance(response, Response):
            self.send(response, owed.keep_alive, owed.method == "HEAD")
            return
        self.responding = future = asyncio.ensure_future(response)
        future.add_done_callback(lambda done: self.responded(done, owed))

    def responded(self, done: asyncio.Future[Response], request: Request) -> None:
        self.responding = None
        if done.cancelled():
            return
        self.last_active = time.monotonic()
        if done.exception() is not None:  # a handler's bug: a 500 and the connection closes, never a hang
            log.error("handler failed on %s %s", request.method[:20], request.path[:200], exc_info=done.exception())
            self.send(self.site.refusal(InternalError("The server failed; see its log.")), False, False)
            return
        self.send(done.result(), request.keep_alive, request.method == "HEAD")
        self.catch_up()

    # -- sending: every response leaves through send, in request order
    def send(self, response: Response, keep_alive: bool, head: bool) -> None:
        if self.ended or self.transport.is_closing():
            return
        fault = response.fault
        if fault is not None and (fault.delay_ms or fault.fault):
            if fault.delay_ms:  # hold this answer and every later one; go on serving other connections
                self.transport.pause_reading()
                delay = fault.delay_ms / 1000
                self.held = asyncio.get_running_loop().call_later(delay, self.release, response, keep_alive, head)
                self.holding = response
            else:
                self.disrupt(response, keep_alive, head)
            return
        self.transport.write(encode(response, keep_alive, head))
        if not keep_alive:
            self.end()

    def end(self) -> None:
        self.ended = True
        if isinstance(self.parser, Drain):  # the request may still be arriving: send FIN, read on, then close
            self.transport.write_eof()
        else:
            self.transport.close()

    def release(self, response: Response, keep_alive: bool, head: bool) -> None:
        if self.transport.is_closing() or self.client_left():
            self.gave_up()
        self.held = self.holding = None
        if not self.transport.is_closing():
            self.disrupt(response, keep_alive, head)
            self.catch_up()

    def client_left(self) -> bool:
        """Has the client closed its side (or reset) while an answer is held? Peeked at, nothing read. Clients that
        give up waiting close the connection; one that only half-closed still gets its answer all the same."""
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return False
        try:
            with socket.fromfd(sock.fileno(), socket.AF_INET, socket.SOCK_STREAM) as peer:  # a dup, closed after
                return peer.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:  # open, nothing sent: still waiting
            return False
        except OSError:  # reset
            return True

    def gave_up(self) -> None:
        """The client left before the held answer was sent: say so to whoever made it (the journal shows it lost)."""
        fault = self.holding.fault if self.holding is not None else None
        if fault is not None:
            fault.abandoned = True

    def disrupt(self, response: Response, keep_alive: bool, head: bool) -> None:
        """Send a response as its fault says: whole (a delay alone), cut short, or not at all."""
        assert response.fault is not None
        kind = response.fault.fault
        if kind is None:
            response.fault = None
            self.send(response, keep_alive, head)
            return
        self.ended = True
        if kind == "reset":  # SO_LINGER with a zero timeout: closing sends RST instead of FIN
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
            return
        if kind == "truncate":  # the status line, the headers (with the full length) and half the body
            data = encode(response, keep_alive, head)
            start = data.index(b"\r\n\r\n") + 4
            self.transport.write(data[: start + (len(data) - start) // 2])
        self.transport.close()

    def refuse(self, owed: Owed) -> None:
        """Stop parsing and keeping this connection's input; answer once earlier answers are out, then drain."""
        self.parser = Drain(self.transport, self.limits)
        self.started = self.head_read = None
        self.url, self.headers, self.fields, self.body = b"", {}, [], []
        if isinstance(owed, Request):
            owed.keep_alive = False
        self.take(owed)

    # -- the sweep (the server calls it every second)
    def sweep(self, now: float) -> None:
        """Refuse a request that stalled, close a drained or idle connection; note a held answer's client gone."""
        if self.held is not None and self.client_left():
            self.gave_up()  # marked only: the answer still goes out when due
        if self.started is not None and now - self.started > self.limits.request_timeout:
            self.refuse(RequestTimeout(f"The request did not arrive in full within {self.limits.request_timeout:g} s."))
        elif isinstance(self.parser, Drain):
            if now > self.parser.until:
                self.transport.close()
        elif not self.busy and now - self.last_active > self.limits.idle_timeout:
            self.transport.close()


def headers_dict(headers: Sequence[Header]) -> dict[str, str]:
    """Header fields as a dict of lower-case names, repeated fields joined by ", "."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
