"""The HTTP/1.1 connection core (tryvox_sim/wire/http11.py) over raw sockets: what curl, proxies and bad clients
send. The hardening tests run against both servers built on it: the simulator, and the validating proxy (in front
of a simulator), which words the wire's refusals in its own codes."""

import asyncio
import io
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import httptools
import httpx
import orjson
import pytest
import requests
import uvloop

from bench import bad_inputs
from bench.ops import Target
from bench.targets import proc_rss_kib
from tryvox_sim.proxy.forward import MAX_REQUEST, Proxy
from tryvox_sim.proxy.forward import serve as serve_proxy
from tryvox_sim.sim import served
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from tryvox_sim.testing import SimulatedAPI, shared_spec, start_proxy, stop_server
from tryvox_sim.testing import served as served_process
from tryvox_sim.wire import server
from tryvox_sim.wire.http11 import Limits

# The site's page of the simulator's behaviour, whose bad-input matrix these tests hold to the server.
BEHAVIOUR = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "simulator.md").read_text()
PATH = f"/v1/voice/accounts/{DEFAULT_AUTH_ID}/calls/{DEFAULT_CALL_UUID}"
SIDES = ["simulator", "proxy"]
# The wire's refusals as the proxy words them (its own codes: they are not the API's answers).
PROXY_CODES = {"bad_request": "malformed_request", "header_fields_too_large": "request_head_too_large",
               "uri_too_long": "request_target_too_long", "request_timeout": "request_timeout"}  # fmt: skip
DEFAULT, SHORT = Limits(), Limits(request_timeout=0.3, idle_timeout=0.3)


def code(side: str, code: str) -> str:
    return PROXY_CODES.get(code, code) if side == "proxy" else code


@pytest.fixture
def simulator_address(monkeypatch):
    """A simulator on a free loopback port in a thread (on uvloop, as served)."""
    with in_thread(monkeypatch, "simulator") as bound:
        yield bound


@pytest.fixture
def simulator_address_short(monkeypatch):
    """The same with its request and idle timeouts cut to 0.3 s (looked at every 0.1 s), for the tests of those
    timeouts only: elsewhere a pause of a busy machine would become a 408 or a closed connection."""
    with in_thread(monkeypatch, "simulator", SHORT) as bound:
        yield bound


@pytest.fixture(params=SIDES)
def address(request, monkeypatch):
    """The simulator, or the proxy in front of one, on free loopback ports in a thread (on uvloop, as served); stopped
    after the test. `address.side` says which."""
    with in_thread(monkeypatch, request.param) as bound:
        yield bound


@pytest.fixture(params=SIDES)
def short_address(request, monkeypatch):
    """`address` with the request and idle timeouts cut to 0.3 s, for the tests of those timeouts."""
    with in_thread(monkeypatch, request.param, SHORT) as bound:
        yield bound


class Address(tuple):
    side: str


class in_thread:
    def __init__(self, monkeypatch, side: str, limits: Limits = DEFAULT):
        monkeypatch.setattr(server, "SWEEP_EVERY", 0.1)
        self.side, self.limits, self.loop, self.stop = side, limits, uvloop.new_event_loop(), asyncio.Event()
        self.thread: threading.Thread | None = None

    async def main(self, ready):
        bound = {}
        sim_ready = asyncio.Event()

        def on_sim(host, port):
            bound["sim"] = (host, port)
            sim_ready.set()

        sim = asyncio.ensure_future(served.serve(SimulatedAPI().app, "127.0.0.1", 0, on_sim, self.stop, self.limits))
        await sim_ready.wait()
        if self.side == "simulator":
            ready(bound["sim"])
            await sim
            return
        proxy = Proxy("http://{}:{}".format(*bound["sim"]), shared_spec(), out=io.StringIO())
        proxy.site.limits = replace(self.limits, max_body=MAX_REQUEST, idle_timeout=min(self.limits.idle_timeout, 75))
        await asyncio.gather(sim, serve_proxy(proxy, "127.0.0.1", 0, lambda host, port: ready((host, port)), self.stop))

    def __enter__(self):
        got, ready = {}, threading.Event()

        def on_ready(address):
            got["address"] = address
            ready.set()

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.main(on_ready),))
        self.thread.start()
        assert ready.wait(10)
        address = Address(got["address"])
        address.side = self.side
        return address

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)
        self.loop.close()


def request(method, path, body=None, headers=()):
    data = orjson.dumps(body) if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: sim", f"Authorization: Bearer {DEFAULT_TOKEN}", *headers]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def exchange(address, payload: bytes, expect_close=True) -> bytes:
    """Send `payload`, read until the server closes (bounded by a socket timeout)."""
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(payload)
        if not expect_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_pipelined_requests_are_answered_in_order(address):
    both = request("POST", f"{PATH}/dtmf", {"digits": "1"}) + request("POST", f"{PATH}/dtmf", {"digits": "99"})
    answer = exchange(address, both, expect_close=False)
    assert answer.count(b"HTTP/1.1 202 Accepted") == 2
    assert answer.index(b'"digits":"1"') < answer.index(b'"digits":"99"')


def test_malformed_request_gets_a_400_problem_and_the_connection_closes(address):
    answer = exchange(address, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request")
    assert (
        b"application/problem+json" in answer and b'"code":"%s"' % code(address.side, "bad_request").encode() in answer
    )


def test_body_over_the_limit_is_refused_without_reading_it(address):
    head = request("POST", f"{PATH}/speak", headers=["Content-Type: application/json", "Content-Length: 10000000"])
    answer = exchange(address, head)  # the 10 MB body is never sent: the server must answer anyway
    assert answer.startswith(b"HTTP/1.1 413 ")
    refused = "request_too_large" if address.side == "proxy" else "payload_too_large"  # the proxy's own limit: 1 MiB
    assert b"connection: close" in answer and b'"code":"%s"' % refused.encode() in answer


def test_expect_100_continue_gets_an_interim_answer(address):
    with socket.create_connection(address, timeout=5) as sock:
        body = orjson.dumps({"text": "Hello"})
        sock.sendall(
            request("POST", f"{PATH}/speak", headers=["Expect: 100-continue"])[:-2]
            + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 202 Accepted")


def test_chunked_request_body_is_read(address):
    body = b'{"digits": "12#"}'
    head = request("POST", f"{PATH}/dtmf", headers=["Content-Type: application/json", "Transfer-Encoding: chunked"])
    chunked = head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = exchange(address, chunked, expect_close=False)
    assert answer.startswith(b"HTTP/1.1 202 Accepted") and b'"digits":"12#"' in answer


def test_head_answers_without_a_body(address):
    answer = exchange(address, request("HEAD", f"{PATH}/dtmf"), expect_close=False)
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ") and b"Allow: POST" in head
    assert rest == b""


def test_stalled_requests_get_a_408_and_idle_connections_are_closed(short_address):
    address = short_address
    with socket.create_connection(address, timeout=5) as stalled, socket.create_connection(address, timeout=5) as idle:
        stalled.sendall(b"POST " + PATH.encode() + b"/dtmf HTTP/1.1\r\nHost: sim\r\n")  # never finishes
        answer = stalled.recv(65536)  # a 5 s socket timeout would raise
        assert (
            answer.startswith(b"HTTP/1.1 408 ")
            and b'"code":"%s"' % code(address.side, "request_timeout").encode() in answer
        )
        assert stalled.recv(100) == b""  # then closed
        assert idle.recv(100) == b""  # closed without a word


# -- the documented bad-input matrix (bench/bad_inputs.py holds the requests; make soak sends them too)
def readme_matrix() -> list[tuple]:
    section = BEHAVIOUR.split("## Bad input", 1)[1].split("\n#", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")][1:]
    out = []
    for kind, status, code, connection in (map(str.strip, row) for row in rows):
        code = re.match(r"`([a-z_]+)`", code)
        out.append((kind, None if status == "none" else int(status), code and code[1], "closed" in connection))
    return out


def test_the_readme_matrix_lists_exactly_the_tested_cases():
    assert readme_matrix() == [(case.kind, case.status, case.code, case.closes) for case in bad_inputs.CASES]


@pytest.mark.parametrize("case", bad_inputs.CASES, ids=lambda case: case.kind)
def test_each_bad_input_gets_the_answer_the_readme_gives(case, request):
    # answered by the request or idle timeout: shortened, for such a case only
    address = request.getfixturevalue("simulator_address_short" if case.waits else "simulator_address")
    target = Target(*address, DEFAULT_AUTH_ID, DEFAULT_TOKEN)
    got = asyncio.run(bad_inputs.send(*address, case.request(target, DEFAULT_CALL_UUID), timeout=5))
    assert bad_inputs.mismatch(case, got) is None


# -- bodies over the limit: every client reads the 413, not a reset (the server drains, then closes)
def over_the_limit(size: int) -> bytes:
    return b'{"text": "' + b"a" * size + b'"}'


def with_curl(url, headers, body, tmp_path):
    assert shutil.which("curl"), "curl is needed for this test"
    (tmp_path / "body.json").write_bytes(body)
    command = ["curl", "-s", "-X", "POST", url, "--data-binary", f"@{tmp_path / 'body.json'}"]
    command += ["-o", str(tmp_path / "answer"), "-w", "%{http_code} %{content_type}", "-H", "Expect:"]
    command += [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    status, ctype = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    return int(status), ctype, orjson.loads((tmp_path / "answer").read_bytes())["code"]


def with_httpx(url, headers, body, tmp_path):
    response = httpx.post(url, content=body, headers=headers, timeout=30)
    return response.status_code, response.headers["content-type"], response.json()["code"]


def with_httpx_async(url, headers, body, tmp_path):
    async def post():
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(url, content=body, headers=headers)

    response = asyncio.run(post())
    return response.status_code, response.headers["content-type"], response.json()["code"]


def with_requests(url, headers, body, tmp_path):
    response = requests.post(url, data=body, headers=headers, timeout=30)
    return response.status_code, response.headers["content-type"], response.json()["code"]


def with_urllib(url, headers, body, tmp_path):
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"), timeout=30)
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], orjson.loads(error.read())["code"]
    raise AssertionError("no error status")


@pytest.mark.parametrize("expect", [False, True], ids=["plain", "expect-100-continue"])
@pytest.mark.parametrize("size", [1_000_000, 20_000_000], ids=["1MB", "20MB"])
@pytest.mark.parametrize("client", [with_curl, with_httpx, with_httpx_async, with_requests, with_urllib])
def test_every_client_reads_the_413_problem_for_a_body_over_the_limit(address, tmp_path, client, size, expect):
    url = f"http://{address[0]}:{address[1]}{PATH}/speak"
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/json"}
    if expect:
        headers["Expect"] = "100-continue"
    refused = "request_too_large" if address.side == "proxy" and size > MAX_REQUEST else "payload_too_large"
    assert client(url, headers, over_the_limit(size), tmp_path) == (413, "application/problem+json", refused)


# -- memory: a served simulator, or the proxy in front of one (subprocesses, as users run them), RSS read from /proc
@pytest.fixture(params=SIDES)
def served_sim(request):
    with served_process() as env:
        if request.param == "simulator":
            host, port = env["TVX_BASE_URL"].removeprefix("http://").rsplit(":", 1)
            yield (host, int(port)), env["process"].pid
            return
        process, url, _ = start_proxy(env["TVX_BASE_URL"])
        try:
            host, port = url.removeprefix("http://").rsplit(":", 1)
            yield (host, int(port)), process.pid
        finally:
            stop_server(process)


def rss_mib(pid: int) -> float:
    return proc_rss_kib(pid) / 1024


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_refused_request_heads_leave_nothing_behind(served_sim):
    address, pid = served_sim
    giants = [
        (b"GET /_sim/health HTTP/1.1\r\nX-Big: " + b"b" * 20_000_000 + b"\r\n\r\n", 431),
        (b"GET /_sim/health HTTP/1.1\r\n" + b"X-A: b\r\n" * 200_000 + b"\r\n", 431),
    ]
    others = [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /_sim/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n", 431),
        (b"GET /_sim/health HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
    ]
    refused = giants + [others[i % 3] for i in range(198)]
    before = rss_mib(pid)
    statuses = [status_of(exchange(address, payload)) for payload, _ in refused]
    after = rss_mib(pid)
    print(f"RSS before {before:.1f} MiB, after 200 refused heads {after:.1f} MiB")
    assert statuses == [status for _, status in refused]
    assert after - before < 4


class Answers:
    """httptools response-parser protocol: the status and body length of each answer, in order."""

    def __init__(self):
        self.parser, self.got, self.size = httptools.HttpResponseParser(self), [], 0

    def on_body(self, chunk):
        self.size += len(chunk)

    def on_message_complete(self):
        self.got.append((self.parser.get_status_code(), self.size))
        self.size = 0


def test_a_pipelined_burst_is_answered_in_order_in_bounded_memory(served_sim):
    address, pid = served_sim
    spec, health = b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n"
    n = 6000  # one read's worth: answered at once, the answers (about 300 MB of spec) would all be held
    before = rss_mib(pid)
    with socket.create_connection(address, timeout=10) as burst:
        burst.sendall((spec + health) * (n // 2))
        assert status_of(exchange(address, health, expect_close=False)) == 200  # another client is served meanwhile
        time.sleep(0.2)
        during = rss_mib(pid)
        answers = Answers()
        while len(answers.got) < n:  # ends when all are read; a 10 s socket timeout bounds each read
            chunk = burst.recv(1 << 20)
            assert chunk, f"closed after {len(answers.got)} answers"
            answers.parser.feed_data(chunk)
    print(f"RSS before {before:.1f} MiB, with {n} pipelined requests unread {during:.1f} MiB")
    assert during - before < 32
    sizes = [size for status, size in answers.got if status == 200]
    assert len(sizes) == n and sizes[0] > 10_000 and sizes == [sizes[0], len(b'{"status":"ok"}')] * (n // 2)


def test_a_refusal_behind_unread_answers_comes_after_them(address):
    spec = b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n"  # 200 of these fill the write buffer many times
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(spec * 200 + b"NOT HTTP\r\n\r\n")
        time.sleep(0.2)  # the server has read it all before this client reads a byte
        answers = Answers()
        while chunk := sock.recv(1 << 20):  # until the server closes
            answers.parser.feed_data(chunk)
    assert [status for status, _ in answers.got] == [200] * 200 + [400]


def test_a_client_that_never_reads_stops_being_read(served_sim):
    address, pid = served_sim
    requests_ = b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n" * 1000
    before = rss_mib(pid)
    with socket.create_connection(address, timeout=10) as slow:
        slow.setblocking(False)
        sent, last_progress, deadline = 0, time.monotonic(), time.monotonic() + 30
        while sent < 256 * 2**20 and time.monotonic() < deadline:  # stops once sending stalls for 1 s
            try:
                sent += slow.send(requests_)
                last_progress = time.monotonic()
            except BlockingIOError:
                if time.monotonic() - last_progress > 1:
                    break
                time.sleep(0.01)
        during = rss_mib(pid)
        assert status_of(exchange(address, b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n", expect_close=False)) == 200
    print(f"RSS before {before:.1f} MiB, with {sent / 2**20:.1f} MiB of requests sent and no answer read {during:.1f}")
    assert sent < 256 * 2**20  # the server stopped reading: the kernel's buffers filled up
    assert during - before < 32


# -- many clients
def test_5000_concurrent_connections_are_each_answered(served_sim):
    address, pid = served_sim
    n = 5000
    limit = server.raise_fd_limit()  # this process holds the client ends; the server raised its own limit
    if limit < n + 200:
        pytest.skip(f"the hard limit on open files here is {limit}; this test needs {n + 200}")
    before = rss_mib(pid)

    async def clients():
        opening = asyncio.Semaphore(256)  # the listen backlog is bounded: connect in waves, keep all open

        async def connect():
            async with opening:
                return await asyncio.open_connection(*address)

        conns = await asyncio.gather(*(connect() for _ in range(n)))
        during = rss_mib(pid)
        for _, writer in conns:
            writer.write(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n")
        heads = await asyncio.wait_for(asyncio.gather(*(reader.readuntil(b"\r\n\r\n") for reader, _ in conns)), 60)
        for _, writer in conns:
            writer.close()
        return during, [status_of(head) for head in heads]

    during, statuses = uvloop.run(clients())
    print(f"RSS before {before:.1f} MiB, with {n} connections open {during:.1f} MiB")
    assert statuses == [200] * n
