"""The HTTP/1.1 server: an asyncio protocol on httptools that calls `App.handle` inline.

`App.handle` is synchronous and takes tens of microseconds, so each request is answered straight from
the parser callback: no ASGI messages, no task per request. That keeps the server's cost per request
close to the handler's own (uvicorn's ASGI cycle cost several times the handler; see bench/results.md).
HTTP/1.1 keep-alive and pipelining (answers in order), chunked request bodies and `Expect: 100-continue`
are handled here, and so is what production servers guard against: request heads over the limits (414,
431), bodies over the limit (413), malformed requests (400) and stalled ones (408) are refused with a
problem, then the connection is drained and closed (a lingering close, so the client reads the answer
instead of a reset); idle connections are closed; a client that does not read its answers stops being
read (back-pressure), so no connection holds more than a bounded amount of memory. Injected faults are
carried out here too: a delay holds the connection's answers (in order) on a timer, never the event loop;
`reset` aborts the connection with a TCP reset, `close` closes it, `truncate` sends half an answer first.
"""

import asyncio
import logging
import resource
import signal
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from http import HTTPStatus
from typing import Any

import httptools

from ..contract.problems import HeaderFieldsTooLarge, MalformedHttp, Problem, RequestTimeout, UriTooLong
from ..sim.app import MAX_BODY, App
from ..sim.faults import Fault
from ..sim.reply import Reply

log = logging.getLogger("tryvox_sim")
IDLE_TIMEOUT = 30.0  # seconds a keep-alive connection may sit idle
REQUEST_TIMEOUT = 10.0  # seconds a started request may take to arrive in full (then 408)
SWEEP_EVERY = 1.0  # seconds between looks for idle, stalled or lingering connections
SETTLE_EVERY = 0.1  # seconds between background settles (timed rules and webhooks fire without a request)
# Request head limits, as production servers set them (nginx's large_client_header_buffers is 8 KiB per line).
MAX_TARGET = 8 * 1024  # bytes of request target; over it, 414
MAX_HEADERS = 16 * 1024  # bytes of header block (each field counted as `name: value\r\n`); over it, 431
MAX_FIELDS = 100  # header fields; over it, 431
# httptools holds a header name or value whole until it ends, so a head spanning reads is also capped by
# the bytes read for it: a head within the limits above stays under this.
MAX_HEAD_READ = MAX_TARGET + MAX_HEADERS + 1024
# After a refusal, what the client still sends is read and dropped for this long or this much, then the
# connection closes (nginx's lingering close): closing with unread bytes would reset it before the client
# reads the answer.
LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
# Header names as sent -> lower case: one str per name for every request, not one per request (the request journal
# keeps 10,000 requests' headers), and cheaper than decoding. Bounded: names past the first 1,000 are decoded.
HEADER_NAMES: dict[bytes, str] = {}
MAX_HEADER_NAMES = 1000


def encode(status: int, headers: Sequence[tuple[str, str]], data: bytes, keep_alive: bool, head: bool = False) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Unknown"))]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers]
    lines.append(b"content-length: %d" % len(data))
    if not keep_alive:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else data)


def problem_response(problem: Problem) -> bytes:
    """A refusal made by the server itself (the request never reached `App.handle`); the connection closes."""
    status, headers, body, _ = Reply.problem(problem).encode()
    return encode(status, headers, body, keep_alive=False)


class Refused(Exception):
    """Raised in a parser callback to stop parsing at once; `answer()` makes the refusal's response."""

    def __init__(self, answer: "Answering") -> None:
        self.answer = answer


class Faulty:
    """An answer an injected fault changes: sent late, cut short, or never (the connection breaks)."""

    __slots__ = ("response", "fault")

    def __init__(self, response: bytes, fault: Fault) -> None:
        self.response = response
        self.fault = fault


Answering = Callable[[], "bytes | Faulty"]  # makes an answer when its turn comes


class Drain:
    """Takes the parser's place once a request is refused: what the client still sends is counted and dropped,
    up to LINGER_BYTES, for LINGER_SECONDS (the sweep closes it then)."""

    __slots__ = ("transport", "left", "until")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.left = LINGER_BYTES
        self.until = time.monotonic() + LINGER_SECONDS

    def feed_data(self, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            self.transport.close()


class Connection(asyncio.Protocol):
    __slots__ = ("app", "connections", "transport", "parser", "url", "headers", "body", "size", "fields",
                 "header_bytes", "head_read", "started", "last_active", "paused", "waiting", "ended",
                 "held")  # fmt: skip

    def __init__(self, app: App, connections: set["Connection"]) -> None:
        self.app = app
        self.connections = connections
        self.transport: Any = None  # an asyncio (or uvloop) transport, set by connection_made
        self.parser: Any = httptools.HttpRequestParser(self)  # or a Drain once a request is refused
        self.started: float | None = None  # monotonic time the current request began, None between requests
        self.head_read: int | None = None  # bytes read for a head that spans reads; None when none is read
        self.paused = False  # the client is not reading its answers: stop reading its requests
        self.waiting: deque[tuple[Answering, bool]] = deque()  # answers owed, in request order
        self.ended = False  # the answer that ends the connection was sent: nothing more is
        self.held: asyncio.TimerHandle | None = None  # a delayed answer's timer (a fault): later ones wait

    # -- asyncio.Protocol
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.last_active = time.monotonic()
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.waiting.clear()
        if self.held is not None:
            self.held.cancel()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        if self.head_read is not None:  # a head began in an earlier read: count this read towards it
            self.head_read += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no protocol upgrades here: answer the request, drop the rest
            self._refuse(lambda: b"")
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, Refused):
                self._refuse(exc.__context__.answer)
            else:
                detail = f"The request is not valid HTTP/1.1: {str(exc)[:200]}"
                self._refuse(partial(problem_response, MalformedHttp(detail)))
        else:
            if self.head_read is not None and self.head_read > MAX_HEAD_READ:
                self._refuse(partial(head_too_large, f"The header block is over {MAX_HEADERS} bytes."))

    def pause_writing(self) -> None:  # the answers pile up unread: read no more requests until they drain
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.paused = False
        self._catch_up()

    def _catch_up(self) -> None:
        """Answer what waited (for the client to read, or behind a delayed answer), then read again."""
        while self.waiting and not self.paused and self.held is None:
            make, keep_alive = self.waiting.popleft()
            self._send(make(), keep_alive)
        if not self.paused and self.held is None and not self.transport.is_closing():
            self.transport.resume_reading()

    # -- httptools callbacks (a callback that raises Refused stops the parser at once)
    def on_message_begin(self) -> None:
        self.url, self.size, self.fields, self.header_bytes = b"", 0, 0, 0
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.started = time.monotonic()
        self.head_read = 0

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > MAX_TARGET:
            detail = f"The request target is over {MAX_TARGET} bytes."
            raise Refused(partial(problem_response, UriTooLong(detail)))
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields += 1
        self.header_bytes += len(name) + len(value) + 4
        if self.fields > MAX_FIELDS or self.header_bytes > MAX_HEADERS:
            detail = f"The header block is over {MAX_HEADERS} bytes."
            if self.fields > MAX_FIELDS:
                detail = f"The request has over {MAX_FIELDS} header fields."
            raise Refused(partial(head_too_large, detail))
        key = HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(HEADER_NAMES) < MAX_HEADER_NAMES:
                HEADER_NAMES[name] = key
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        self.head_read = None
        length = self.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:  # the handler says 413 from the header: read no body
            raise Refused(self._request(keep_alive=False))
        if self.headers.get("expect", "").lower() == "100-continue" and not self.waiting:  # never ahead of owed answers
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_BODY:  # chunked, so no Content-Length said so: the handler sees one byte too many
            self.body.append(chunk[: MAX_BODY + 1 - (self.size - len(chunk))])
            raise Refused(self._request(keep_alive=False))
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.started = None
        keep_alive = self.parser.should_keep_alive()
        if self.paused or self.waiting or self.held:  # answer once the earlier answers are out
            self.waiting.append((self._request(keep_alive), keep_alive))
        else:
            method = self.parser.get_method().decode("latin-1")
            self._send(self._answer(method, self._target(), self.headers, self.body, keep_alive), keep_alive)

    def _target(self) -> Any:
        try:
            return httptools.parse_url(self.url)
        except httptools.HttpParserInvalidURLError:
            detail = "The request target is invalid."
            raise Refused(partial(problem_response, MalformedHttp(detail))) from None

    def _request(self, keep_alive: bool) -> "Answering":
        """The request read so far, as the call that answers it when its turn comes."""
        url, method = self._target(), self.parser.get_method().decode("latin-1")
        return partial(self._answer, method, url, self.headers, self.body, keep_alive)

    # -- answering: every response leaves through _send, in request order
    def _answer(
        self, method: str, url: Any, headers: dict[str, str], body: list[bytes], keep_alive: bool
    ) -> bytes | Faulty:
        path = url.path.decode("latin-1")
        query = (url.query or b"").decode("latin-1")
        status, out_headers, data, fault = self.app.handle(method, path, query, headers, b"".join(body))
        response = encode(status, out_headers, data, keep_alive, head=method == "HEAD")
        return response if fault is None else Faulty(response, fault)

    def _send(self, response: bytes | Faulty, keep_alive: bool) -> None:
        if self.ended or self.transport.is_closing():
            return
        if isinstance(response, Faulty):
            if response.fault.delay_ms:  # hold this answer and every later one; go on serving other connections
                self.transport.pause_reading()
                delay = response.fault.delay_ms / 1000
                self.held = asyncio.get_running_loop().call_later(delay, self._release, response, keep_alive)
            else:
                self._break(response, keep_alive)
            return
        self.transport.write(response)
        if keep_alive:
            return
        self.ended = True
        if isinstance(self.parser, Drain):  # the request may still be arriving: send FIN, read on, then close
            self.transport.write_eof()
        else:
            self.transport.close()

    def _release(self, faulty: Faulty, keep_alive: bool) -> None:
        self.held = None
        if not self.transport.is_closing():
            self._break(faulty, keep_alive)
            self._catch_up()

    def _break(self, faulty: Faulty, keep_alive: bool) -> None:
        """Send a faulted answer as its fault says: whole (a delay alone), cut short, or not at all."""
        kind = faulty.fault.fault
        if kind is None:
            self._send(faulty.response, keep_alive)
            return
        self.ended = True
        if kind == "reset":  # SO_LINGER with a zero timeout: closing sends RST instead of FIN
            sock = self.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
            return
        if kind == "truncate":  # the status line, the headers (with the full length) and half the body
            head = faulty.response.index(b"\r\n\r\n") + 4
            self.transport.write(faulty.response[: head + (len(faulty.response) - head) // 2])
        self.transport.close()

    def _refuse(self, answer: "Answering") -> None:
        """Stop parsing and keeping this connection's input; answer once earlier answers are out, then drain."""
        self.parser = Drain(self.transport)
        self.started = self.head_read = None
        self.url, self.headers, self.body = b"", {}, []
        if self.paused or self.waiting or self.held:
            self.waiting.append((answer, False))
        else:
            self._send(answer(), False)


def head_too_large(detail: str) -> bytes:
    return problem_response(HeaderFieldsTooLarge(detail))


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard one (each connection holds a descriptor); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # e.g. a sandbox refusing it: serve with the soft limit
            pass
    return soft


async def _housekeeping(app: App, connections: set[Connection]) -> None:
    """Settle due timers (so webhooks fire without a request); close idle, stalled or drained connections."""
    world, last_sweep = app.world, 0.0
    while True:  # ends when the server stops (task cancelled)
        await asyncio.sleep(SETTLE_EVERY)
        try:
            if world.next_due() <= world.clock.now():
                world.settle_all()
            if world.outbox:
                app.flush_outbox()
            app.give_back_memory()  # when the sweep dropped many calls (or a trim is owed)
        except Exception:
            log.exception("background settle failed")
        now = time.monotonic()
        if now - last_sweep >= SWEEP_EVERY:
            last_sweep = now
            for conn in list(connections):
                if conn.started is not None and now - conn.started > REQUEST_TIMEOUT:
                    detail = f"The request did not arrive in full within {REQUEST_TIMEOUT:g} s."
                    conn._refuse(partial(problem_response, RequestTimeout(detail)))
                elif isinstance(conn.parser, Drain):
                    if now > conn.parser.until:
                        conn.transport.close()
                elif conn.started is None and conn.held is None and now - conn.last_active > IDLE_TIMEOUT:
                    conn.transport.close()


OnReady = Callable[[str, int], None]


async def listen(
    protocol: Callable[[], asyncio.Protocol], host: str, port: int, backlog: int, stop: asyncio.Event | None,
    on_ready: OnReady | None,
) -> tuple[asyncio.Server, asyncio.Event]:  # fmt: skip
    """Listen (the simulator and the proxy alike); `stop` is set by SIGINT or SIGTERM when in the main thread;
    `on_ready(host, port)` runs once the socket listens."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, host, port, backlog=backlog)
    stop = stop or asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    if on_ready:
        on_ready(*server.sockets[0].getsockname()[:2])
    return server, stop


async def serve(
    app: App, host: str, port: int, on_ready: OnReady | None = None, stop: asyncio.Event | None = None
) -> None:
    """Serve until `stop` is set or, in the main thread, SIGINT or SIGTERM; `on_ready(host, port)` runs once
    the socket listens."""
    connections: set[Connection] = set()
    server, stop = await listen(lambda: Connection(app, connections), host, port, 4096, stop, on_ready)
    housekeeping = asyncio.create_task(_housekeeping(app, connections))
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


def run(app: App, host: str, port: int, on_ready: OnReady | None = None) -> None:
    log.info("up to %d open files (connections and the rest)", raise_fd_limit())
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but the server works without it
        asyncio.run(serve(app, host, port, on_ready))
    else:
        uvloop.run(serve(app, host, port, on_ready))
