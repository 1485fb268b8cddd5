"""The HTTP/1.1 server (tryvox_sim/server.py) over raw sockets: what curl, proxies and bad clients send."""

import asyncio
import socket
import threading

import orjson
import pytest

from tryvox_sim import server
from tryvox_sim.domain import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from tryvox_sim.testing import SimulatedAPI

PATH = f"/v1/voice/accounts/{DEFAULT_AUTH_ID}/calls/{DEFAULT_CALL_UUID}"


@pytest.fixture
def address(monkeypatch):
    """A server on a free loopback port in a thread, with short timeouts; stopped after the test."""
    monkeypatch.setattr(server, "REQUEST_TIMEOUT", 0.3)
    monkeypatch.setattr(server, "IDLE_TIMEOUT", 0.3)
    monkeypatch.setattr(server, "SWEEP_EVERY", 0.1)
    app = SimulatedAPI().app
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    bound = {}

    def on_ready(host, port):
        bound["address"] = (host, port)
        ready.set()

    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(app, "127.0.0.1", 0, on_ready, stop),))
    thread.start()
    assert ready.wait(10)
    yield bound["address"]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


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
    assert b"application/problem+json" in answer and b'"code":"bad_request"' in answer


def test_body_over_the_limit_is_refused_without_reading_it(address):
    head = request("POST", f"{PATH}/speak", headers=["Content-Type: application/json", "Content-Length: 10000000"])
    answer = exchange(address, head)  # the 10 MB body is never sent: the server must answer anyway
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in answer and b'"code":"payload_too_large"' in answer


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


def test_stalled_and_idle_connections_are_closed(address):
    with socket.create_connection(address, timeout=5) as stalled, socket.create_connection(address, timeout=5) as idle:
        stalled.sendall(b"POST " + PATH.encode() + b"/dtmf HTTP/1.1\r\nHost: sim\r\n")  # never finishes
        assert stalled.recv(100) == b""  # closed by the server (a 5 s socket timeout would raise)
        assert idle.recv(100) == b""
