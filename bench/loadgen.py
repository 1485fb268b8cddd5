"""A bounded closed-loop HTTP/1.1 load generator on uvloop + httptools.

Each connection sends one request, waits for the whole response, then sends the next one
(keep-alive, no pipelining), so per-connection state such as "start then stop recording on my
call" holds. A run ends at its deadline, when every connection's request iterator is exhausted,
or at `max_requests`, whichever comes first. Latency is measured per operation name.

All connections are opened before the clock starts, and each connection's first response is
left out of the figures unless it is an error: it carries the server's connection set-up (for
Prism at 128 connections, seconds), which is not the per-request cost being measured.
"""

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httptools
import uvloop


@dataclass
class OpStats:
    latencies_ns: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies_ns)

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


@dataclass
class RunStats:
    elapsed_s: float = 0.0
    responses: int = 0  # every response, the unmeasured first ones included
    errors: list[str] = field(default_factory=list)
    ops: dict[str, OpStats] = field(default_factory=dict)


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_ns:
        return 0.0
    rank = max(0, min(len(sorted_ns) - 1, int(round(q / 100 * len(sorted_ns))) - 1))
    return sorted_ns[rank] / 1e6


def summarise(stats: RunStats) -> dict:
    out = {}
    for name, op in stats.ops.items():
        lat = sorted(op.latencies_ns)
        out[name] = {
            "requests": op.count,
            "rps": round(op.count / stats.elapsed_s, 1) if stats.elapsed_s else 0.0,
            "p50_ms": round(percentile(lat, 50), 3),
            "p99_ms": round(percentile(lat, 99), 3),
            "non_2xx": op.non_2xx,
            "statuses": {str(k): v for k, v in sorted(op.statuses.items())},
        }
    return out


class _Connection(asyncio.Protocol):
    def __init__(self, requests: Iterator[tuple[str, bytes]], run: "_Run"):
        self.requests = requests
        self.run = run
        self.parser = httptools.HttpResponseParser(self)
        self.done = asyncio.get_running_loop().create_future()
        self.transport = None
        self.name = ""
        self.started = 0
        self.first = True

    def connection_made(self, transport):
        self.transport = transport

    def send_next(self):
        if not self.run.may_send():
            return self.finish()
        try:
            self.name, raw = next(self.requests)
        except StopIteration:
            return self.finish()
        self.started = time.perf_counter_ns()
        self.transport.write(raw)

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(f"bad response: {exc}")

    def on_message_complete(self):
        status = self.parser.get_status_code()
        self.run.stats.responses += 1
        if not self.first or not 200 <= status < 300:
            self.run.record(self.name, status, time.perf_counter_ns() - self.started)
        self.first = False
        if not self.parser.should_keep_alive():
            return self.fail("server closed the connection (no keep-alive)")
        self.send_next()

    def connection_lost(self, exc):
        if not self.done.done():
            self.fail(f"connection lost: {exc or 'closed by server'}")

    def fail(self, reason: str):
        self.run.errors.append(reason)
        self.finish()

    def finish(self):
        if not self.done.done():
            self.done.set_result(None)
        if self.transport and not self.transport.is_closing():
            self.transport.close()


# A run goes on past its deadline until this many answers are recorded (at most MIN_ANSWERS_WAIT seconds more): the
# smoke tests set it, so a bounded run on a busy machine measures something rather than nothing. 0 in make bench.
MIN_ANSWERS = int(os.environ.get("BENCH_MIN_ANSWERS", "0"))
MIN_ANSWERS_WAIT = 30.0


class _Run:
    def __init__(self, seconds: float, max_requests: int):
        self.deadline = time.perf_counter() + seconds
        self.budget = max_requests
        self.stats = RunStats()
        self.errors = self.stats.errors
        self.recorded = 0

    def may_send(self) -> bool:
        if self.budget <= 0:
            return False
        now = time.perf_counter()
        if now >= self.deadline and (self.recorded >= MIN_ANSWERS or now >= self.deadline + MIN_ANSWERS_WAIT):
            return False
        self.budget -= 1
        return True

    def record(self, name: str, status: int, latency_ns: int):
        self.recorded += 1
        op = self.stats.ops.get(name) or self.stats.ops.setdefault(name, OpStats())
        op.latencies_ns.append(latency_ns)
        op.statuses[status] = op.statuses.get(status, 0) + 1


async def drive(host, port, streams, seconds, max_requests=10_000_000) -> RunStats:
    """One closed-loop connection per request stream, for at most `seconds` and `max_requests`, as a coroutine
    (run_at_once drives several at once; make soak runs one beside other work on its event loop)."""
    loop = asyncio.get_running_loop()
    run = _Run(seconds, max_requests)
    conns = []
    for requests in streams:
        try:
            _, conn = await loop.create_connection(lambda r=requests: _Connection(r, run), host, port)
        except OSError as exc:
            run.errors.append(f"connect to {host}:{port} failed: {exc}")
            break
        conns.append(conn)
    begin = time.perf_counter()
    run.deadline = begin + seconds
    for conn in conns:
        conn.send_next()
    # Grace period for in-flight responses; a server that stops answering ends the run.
    try:
        await asyncio.wait_for(
            asyncio.gather(*(c.done for c in conns)), seconds + 10 + (MIN_ANSWERS_WAIT if MIN_ANSWERS else 0)
        )
    except TimeoutError:
        run.errors.append("server stopped answering")
        for c in conns:
            c.finish()
    run.stats.elapsed_s = time.perf_counter() - begin
    return run.stats


def run_at_once(loads: list[tuple[str, int, list[Iterator[tuple[str, bytes]]]]], seconds: float) -> list[RunStats]:
    """Several (host, port, streams) driven together from one event loop, for the same `seconds`."""

    async def together() -> list[RunStats]:
        return await asyncio.gather(*(drive(host, port, streams, seconds) for host, port, streams in loads))

    return uvloop.run(together())
