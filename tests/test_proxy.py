"""`tryvox-sim proxy`: the verifier's rules on single exchanges, the proxy in front of a served simulator (answers
relayed unchanged, violations named and blamed on the right party, upstream failures told apart from the API),
every fault of tests/fault_proxy.py reported under its rule, tokens kept out of everything it writes,
bounded memory, and the command's reports and exit codes."""

from __future__ import annotations

import asyncio
import io
import json
import queue
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from fault_proxy import INVARIANT_FAULTS, FaultProxy, Relayed, rewrite

from tryvox_sim.contract.invariants import INVARIANTS
from tryvox_sim.contract.problems import (
    CallNotFound,
    InvalidJson,
    PayloadTooLarge,
    Problem,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from tryvox_sim.proxy.forward import ERROR_HEADER, VIOLATIONS_HEADER, Proxy, serve
from tryvox_sim.proxy.report import MARK, TOKEN, Report, Traffic
from tryvox_sim.proxy.verifier import API, API_RULES, CLIENT, CLIENT_RULES, Verifier, decode_body, line, party_of
from tryvox_sim.testing import shared_spec, start_proxy, start_server, stop_server
from tryvox_sim.testing.control_client import ControlClient

CALL = "650e8400-e29b-41d4-a716-446655440000"
REC = "950e8400-e29b-41d4-a716-446655440000"
ACTIONS = f"/v1/voice/accounts/sim_account/calls/{CALL}"
AUTH = {"authorization": "Bearer tvx_sk_test_sim_0000000000000000"}
JSON = {"content-type": "application/json"}
PROBLEM = {"content-type": "application/problem+json"}


def problem(kind: type[Problem], **options) -> bytes:
    """The body the simulator answers for this problem (the titles and types the spec documents)."""
    return orjson.dumps(kind("detail", **options).body())


# -- the verifier on single exchanges (no sockets) ----------------------------------------------------------


def check(verifier, method, path, status, answer, answer_headers=JSON, body=b"", headers=None):
    headers = {**AUTH, **JSON, **({} if headers is None else headers)}
    return verifier.check(1, method, path, headers, body, status, answer_headers, answer)


def rules(found) -> set[tuple[str, str]]:
    return {(party_of(v), v.rule) for v in found[1]}


DTMF_OK = orjson.dumps({"dtmf_uuid": REC, "status": "sent", "digits": "12"})
DTMF, DIGITS = ACTIONS + "/dtmf", b'{"digits":"12"}'
BAD_DIGITS = b'{"digits":"1x"}'
CASES = [  # (what, method, path, request body, request headers, status, answer, answer headers, rules broken)
    ("good", "POST", DTMF, DIGITS, {}, 202, DTMF_OK, JSON, set()),
    ("undeclared status", "POST", DTMF, DIGITS, {}, 201, DTMF_OK, JSON, {(API, "response-status")}),
    ("wrong media", "POST", DTMF, DIGITS, {}, 202, DTMF_OK, {"content-type": "text/plain"},
     {(API, "response-content-type")}),
    ("body breaks schema", "POST", DTMF, DIGITS, {}, 202, DIGITS, JSON, {(API, "response-body")}),
    ("not JSON", "POST", DTMF, DIGITS, {}, 202, b"{", JSON, {(API, "response-body")}),
    ("required header missing", "POST", DTMF, DIGITS, {"authorization": ""}, 401, problem(Unauthorized), PROBLEM,
     {(CLIENT, "request-auth"), (API, "response-header"), (API, "auth-challenge")}),
    ("undeclared error, not a problem", "POST", DTMF, DIGITS, {}, 502, b"<html>bad gateway</html>",
     {"content-type": "text/html"}, {(API, "response-status"), (API, "problem-json")}),
    ("undeclared error, bad problem", "POST", DTMF, DIGITS, {}, 500, b'{"title":"x"}', PROBLEM,
     {(API, "response-status"), (API, "problem-json")}),
    ("invalid request accepted", "POST", DTMF, BAD_DIGITS, {}, 202, DTMF_OK, JSON,
     {(CLIENT, "request-body"), (API, "accepts-invalid"), (API, "echo")}),
    ("invalid request refused", "POST", DTMF, BAD_DIGITS, {}, 422,
     problem(ValidationFailed, pointer="/digits"), PROBLEM, {(CLIENT, "request-body")}),
    ("not JSON sent", "POST", DTMF, b"{", {}, 400, problem(InvalidJson), PROBLEM, {(CLIENT, "request-json")}),
    ("wrong media sent", "POST", DTMF, b"digits=1", {"content-type": "text/plain"}, 415,
     problem(UnsupportedMediaType), PROBLEM, {(CLIENT, "request-content-type")}),
    ("body too large", "POST", ACTIONS + "/speak", b"x" * 70_000, {}, 413, problem(PayloadTooLarge), PROBLEM,
     {(CLIENT, "request-size")}),
    ("call id not a uuid", "POST", DTMF.replace(CALL, "not-a-uuid"), DIGITS, {}, 404, problem(CallNotFound),
     PROBLEM, {(CLIENT, "request-path")}),
    ("undeclared method", "PATCH", DTMF, b"", {}, 405, b"", JSON, {(CLIENT, "request-method")}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "answer", "answer_headers", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_rule_is_named_and_blamed_on_its_party(method, path, body, headers, status, answer, answer_headers,
                                                    expected):  # fmt: skip
    found = check(Verifier(shared_spec()), method, path, status, answer, answer_headers, body, headers)
    assert rules(found) == expected, [line(v) for v in found[1]]


def test_every_rule_is_proved_here_or_by_an_invariant_test():
    proved = {rule for case in CASES for _, rule in case[-1]}
    conformance = (set(API_RULES) - set(INVARIANTS)) | set(CLIENT_RULES)
    assert conformance <= proved, conformance - proved  # the invariants are proved in tests/test_invariants.py


def test_the_state_is_learned_from_the_traffic_and_the_control_plane():
    verifier = Verifier(shared_spec())
    first, second, third = (str(uuid.uuid4()) for _ in range(3))

    def start(rec: str) -> tuple[str | None, list]:
        answer = orjson.dumps({"recording_uuid": rec, "status": "recording", "format": "mp3"})
        return check(verifier, "POST", ACTIONS + "/record", 202, answer, body=b"{}")

    stopped = {"recording_uuid": first, "status": "stopped", "url": f"https://r.example/{first}.mp3", "duration": 1}
    assert check(verifier, "DELETE", ACTIONS + "/record", 200, orjson.dumps(stopped)) == ("stopRecording", [])
    assert start(second) == ("startRecording", [])  # the stop came from a state it did not see: no violation
    assert rules(start(third)) == {(API, "start-while-recording")}
    view = {"call_uuid": CALL, "status": "completed", "recordings": [stopped]}
    assert check(verifier, "POST", f"/_sim/calls/{CALL}/hangup", 200, orjson.dumps(view)) == (None, [])  # learned
    assert rules(check(verifier, "POST", ACTIONS + "/dtmf", 202, DTMF_OK, body=b'{"digits":"12"}')) == {
        (API, "completed-call")
    }
    view["recordings"] = []  # the call's details no longer list the recording the API stopped: the API's violation
    [violation] = check(verifier, "GET", f"/_sim/calls/{CALL}", 200, orjson.dumps(view))[1]
    assert (party_of(violation), violation.context["operation"], violation.rule) == (
        API,
        "getCall",
        "recording-details",
    )
    assert check(verifier, "GET", "/elsewhere", 500, b"") == (None, [])  # not the API's: passed through


def test_compressed_answers_are_checked_once_decoded():
    gzip = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    assert decode_body(gzip.compress(DTMF_OK) + gzip.flush(), "gzip") == DTMF_OK
    assert decode_body(zlib.compress(DTMF_OK), "deflate") == DTMF_OK
    assert decode_body(DTMF_OK, "") == DTMF_OK
    assert decode_body(DTMF_OK, "br") is None and decode_body(b"not gzip", "gzip") is None  # left unchecked
    assert decode_body(zlib.compress(b"0" * (17 * 1024 * 1024)), "deflate") is None  # too large once decoded


# -- redaction and bounded memory ------------------------------------------------------------------------


def traffic(number: int, headers=(), body=b"", answer=b"{}", answer_headers=(("content-type", "application/json"),)):
    return Traffic(number, time.time(), "POST", f"http://api.test{ACTIONS}/dtmf", list(headers), body, 202,
                   "Accepted", list(answer_headers), answer, 1.0)  # fmt: skip


def test_tokens_are_redacted_from_headers_bodies_and_violations(tmp_path):
    report = Report("http://api.test", "1.1.0")
    verifier = Verifier(shared_spec())
    secret = "s3cr3t-bearer-value"  # not in the API's token format: known because it was sent as a bearer token
    accounts = orjson.dumps({"accounts": [{"auth_id": "a", "token": "opaque-account-token"}]})
    body = orjson.dumps({"digits": secret})  # echoed in the violation's message
    refused = problem(ValidationFailed, pointer="/digits")
    _, found = verifier.check(7, "POST", DTMF, {"authorization": f"Bearer {secret}", **JSON}, body, 422, PROBLEM,
                              refused)  # fmt: skip
    printed = report.add(traffic(7, [("Authorization", f"Bearer {secret}")], body, refused), "sendDtmf", found)
    report.add(traffic(8, [("Cookie", "session=abc")], b'{"note":"tvx_sk_live_abcdef123456"}', accounts), None, [])
    late = b'{"pad": "' + b"x" * 70_000 + b'", "token": "late-secret-123"}'  # its secret lies past the cut
    report.add(traffic(9, [], b'{"text": "late-secret-123"}', late, [("content-type", "application/json")]), None, [])
    assert any(v.rule == "request-body" for v in printed) and all(secret not in line(v) for v in printed)
    written = b"".join(path.read_bytes() for path in report.write(tmp_path))
    for token in (secret, "opaque-account-token", "tvx_sk_live_abcdef123456", "session=abc", "late-secret-123"):
        assert token.encode() not in written
    har = json.loads((tmp_path / "proxy.har").read_text())
    headers = har["log"]["entries"][0]["request"]["headers"]
    assert headers == [{"name": "Authorization", "value": f"Bearer {MARK}"}]
    assert MARK in har["log"]["entries"][1]["response"]["content"]["text"]
    cut = har["log"]["entries"][2]
    assert cut["response"]["bodySize"] == len(late) and len(cut["response"]["content"]["text"]) == 64 * 1024
    assert f"response body cut to its first 65536 bytes (of {len(late)})" in cut["comment"]
    assert cut["request"]["postData"]["text"] == f'{{"text": "{MARK}"}}'  # learned from the whole answer


def test_memory_is_bounded_and_the_reports_say_what_was_left_out(tmp_path):
    report = Report("http://api.test", "1.1.0", keep_exchanges=3, keep_violations=2)
    verifier = Verifier(shared_spec())
    bad = problem(CallNotFound)
    for n in range(1, 21):
        broken = n % 2 == 0
        path = ACTIONS.replace(CALL, "nope") + "/dtmf" if broken else ACTIONS + "/dtmf"
        op, found = verifier.check(n, "POST", path, {**AUTH, **JSON}, b'{"digits":"12"}', 404, PROBLEM, bad)
        report.add(traffic(n), op, found)
    assert report.exchanges == 20 and report.total == 10 and len(report.violations) == 2
    assert [traffic.number for traffic, _, _ in report.kept] == [1, 2, 3, 4, 6, 8]  # 3, then 3 that broke a rule
    notes = report.notes()
    assert "14 of 20 exchanges were left out" in notes[0] and "8 more were counted" in notes[1]
    report.write(tmp_path)
    suite = ET.parse(tmp_path / "proxy-junit.xml").getroot()
    failure = suite.find("testcase[@name='request-path']/failure")
    assert failure.get("message") == "10 violation(s) of request-path by client"
    assert "... and 8 more, counted but not listed" in failure.text
    assert json.loads((tmp_path / "proxy.har").read_text())["log"]["comment"] == " ".join(notes)


# -- the proxy, served, in front of a simulator -----------------------------------------------------------


@pytest.fixture(scope="module")
def simulator():
    process, found = start_server("--self-check", "--manual-clock")
    yield found
    stop_server(process)


@contextmanager
def running(upstream: str, **options) -> Iterator[tuple[str, Proxy, io.StringIO]]:
    """The proxy in a thread of this process, on a free port; yields (its URL, the Proxy, what it printed)."""
    out = io.StringIO()
    proxy = Proxy(upstream, shared_spec(), out=out, **options)
    started: queue.Queue = queue.Queue()

    async def main():
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        await serve(proxy, "127.0.0.1", 0, lambda host, port: started.put((f"http://{host}:{port}", loop, stop)), stop)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    url, loop, stop = started.get(timeout=10)
    try:
        yield url, proxy, out
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def api_client(base: str, env: dict) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}, timeout=10)


def test_answers_come_back_unchanged_over_kept_alive_connections(simulator, monkeypatch):
    monkeypatch.setattr(
        "tryvox_sim.proxy.upstream.UPSTREAM_IDLE", 600.0
    )  # a slow machine must not expire the connection
    direct, base = simulator["TVX_BASE_URL"], simulator["TVX_BASE_URL"]
    path = f"/v1/voice/accounts/{simulator['TVX_AUTH_ID']}/calls/{{}}/speak"
    with running(base) as (url, proxy, out), api_client(url, simulator) as through, api_client(direct, simulator) as d:
        connects = 0
        connect = proxy.upstream._connect

        async def counting():
            nonlocal connects
            connects += 1
            return await connect()

        proxy.upstream._connect = counting
        control = ControlClient(url)
        calls = [control.create_call()["call_uuid"] for _ in range(2)]
        for _ in range(10):
            a = through.post(path.format(calls[0]), json={"text": "Hello"})
            b = d.post(path.format(calls[1]), json={"text": "Hello"})
            assert (a.status_code, a.headers["content-type"], set(a.json())) == (b.status_code,
                    b.headers["content-type"], set(b.json()))  # fmt: skip
            assert a.json()["text"] == "Hello" and VIOLATIONS_HEADER not in a.headers
        control.close()
        assert connects == 1  # one upstream connection, kept alive for every request
        summary = through.get("/_tvx/violations").json()
    assert summary["exchanges"] == 12 and summary["violations_total"] == 0 and out.getvalue() == ""


def test_a_clients_invalid_request_is_the_clients_violation(simulator):
    with running(simulator["TVX_BASE_URL"]) as (url, proxy, out), api_client(url, simulator) as client:
        path = f"/v1/voice/accounts/{simulator['TVX_AUTH_ID']}/calls/{simulator['TVX_CALL_UUID']}/dtmf"
        response = client.post(path, json={"digits": "12a"})
        assert response.status_code == 422 and response.json()["code"] == "validation_failed"  # the API's answer
        assert response.headers[VIOLATIONS_HEADER] == "1 client:request-body"
        listed = client.get("/_tvx/violations").json()
    assert (listed["api"], listed["client"]) == (0, 1)
    (violation,) = listed["violations"]
    assert violation["party"] == "client" and violation["operation"] == "sendDtmf" and violation["request"] == 1
    assert '/digits: "12a" does not match' in violation["got"] and violation["status"] == 422
    assert out.getvalue().startswith("tvx-proxy: violation by the client in sendDtmf, rule request-body: expected ")


def raw_exchange(url: str, data: bytes, answers: int) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes to the proxy; read `answers` answers (status, lower-case headers, body), in order."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    out, buffer = [], b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        while len(out) < answers:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed after {len(out)} answers"
                buffer += chunk
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.lower().split(": ", 1) for line in lines[1:])
            if lines[0].startswith("HTTP/1.1 100"):
                continue
            length = int(headers.get("content-length", 0))
            while len(buffer) < length:
                buffer += sock.recv(65536)
            out.append((int(lines[0].split()[1]), headers, buffer[:length]))
            buffer = buffer[length:]
    return out


def request(method: str, path: str, token: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{extra}"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def test_pipelined_chunked_and_expect_continue_requests_are_answered_in_order(simulator):
    token, path = simulator["TVX_API_TOKEN"], f"/v1/voice/accounts/{simulator['TVX_AUTH_ID']}/calls/{{}}"
    with running(simulator["TVX_BASE_URL"]) as (url, _, _), ControlClient(url) as control:
        call = path.format(control.create_call()["call_uuid"])
        chunked = (f"POST {call}/dtmf HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                   '7\r\n{"digit\r\n8\r\ns": "9"}\r\n0\r\n\r\n').encode()  # fmt: skip
        data = (
            request("POST", f"{call}/record", token, b'{"format": "wav"}')
            + chunked
            + request("POST", f"{call}/speak", token, b'{"text": "hi"}', "Expect: 100-continue\r\n")
            + request("DELETE", f"{call}/record", token)
            + request("DELETE", f"{call}/record", token)
        )
        answers = raw_exchange(url, data, 5)
    assert [status for status, _, _ in answers] == [202, 202, 202, 200, 409]
    assert json.loads(answers[1][2])["digits"] == "9" and json.loads(answers[3][2])["url"].endswith(".wav")
    assert all(VIOLATIONS_HEADER not in headers for _, headers, _ in answers)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [(b"NOT HTTP AT ALL\r\n\r\n", 400, "malformed_request"),
     (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "request_head_too_large")],
    ids=["malformed", "head-too-large"],
)  # fmt: skip
def test_a_request_the_proxy_cannot_forward_is_refused_by_the_proxy(simulator, data, status, code):
    with running(simulator["TVX_BASE_URL"]) as (url, proxy, _):
        ((got, headers, body),) = raw_exchange(url, data, 1)
    assert (got, headers[ERROR_HEADER.lower()], json.loads(body)["code"]) == (status, code, code)
    assert headers["connection"] == "close" and proxy.report.exchanges == 0


class FakeUpstream:
    """A TCP server that reads one request per connection and then closes, or never answers."""

    def __init__(self, answer: bytes | None):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.answer = answer
        self.received: list[bytes] = []
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.received.append(conn.recv(65536))
            if self.answer is None:
                self.closed.wait(30)  # never answers: the connection is held until the test is done with it
            else:
                conn.sendall(self.answer)
            conn.close()

    def close(self):
        self.closed.set()
        self.sock.close()


def test_the_request_goes_upstream_unchanged_and_the_answer_comes_back_unchanged():
    answer = b"HTTP/1.1 418 I'm A Teapot\r\nX-Custom: One\r\nx-custom: two\r\nContent-Length: 5\r\n\r\nhello"
    fake = FakeUpstream(answer)
    sent = (b"PUT /some/where?a=1&b=%20&&c HTTP/1.1\r\nHost: proxy\r\nX-Trace: Abc\r\nx-trace: def\r\n"
            b"Content-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody")  # fmt: skip
    with running(fake.url + "/prefix") as (url, proxy, _):
        ((status, headers, body),) = raw_exchange(url, sent, 1)
    fake.close()
    head, _, forwarded_body = fake.received[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"PUT /prefix/some/where?a=1&b=%20&&c HTTP/1.1"  # raw target, under the upstream's path
    assert lines[1:] == [f"Host: {fake.url.removeprefix('http://')}".encode(), b"X-Trace: Abc", b"x-trace: def",
                         b"Content-Type: text/plain", b"Content-Length: 4"]  # fmt: skip
    assert forwarded_body == b"body"
    assert (status, body, headers["x-custom"]) == (418, b"hello", "two")  # (the helper keeps the last duplicate)
    assert proxy.report.unchecked == 1 and proxy.report.total == 0  # not an operation of the spec: not checked


@pytest.mark.parametrize(
    ("answer", "code"),
    [(None, "upstream_timeout"), (b"", "upstream_failed"), (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
     "upstream_failed"), (b"NOT HTTP\r\n\r\n", "upstream_failed"), ("refused", "upstream_unreachable")],
    ids=["timeout", "closed", "cut-short", "not-http", "unreachable"],
)  # fmt: skip
def test_a_failing_upstream_is_a_502_of_the_proxy_never_an_answer_of_the_api(answer, code):
    # Refused: a port bound but not listening, held for the whole test so no test running at once can take it.
    bound = socket.socket()
    if answer == "refused":
        bound.bind(("127.0.0.1", 0))
        upstream, fake = f"http://127.0.0.1:{bound.getsockname()[1]}", None
    else:
        fake = FakeUpstream(answer)
        upstream = fake.url
    # A short upstream timeout only where it is the point: a busy machine must not turn the others into timeouts.
    with bound, running(upstream, timeout=1.0 if answer is None else 30.0) as (url, proxy, out):
        response = httpx.post(f"{url}{ACTIONS}/dtmf", json={"digits": "1"}, headers=AUTH, timeout=60)
    if fake:
        fake.close()
    body = response.json()
    assert response.status_code == 502 and response.headers[ERROR_HEADER] == code
    assert body["code"] == code and body["type"] == "urn:tryvox-sim:proxy:" + code.replace("_", "-")
    assert not body["type"].startswith("https://docs.tryvox.io/")  # not one of the API's problems
    assert VIOLATIONS_HEADER not in response.headers and proxy.report.total == 0
    assert proxy.report.own_responses == {code: 1} and proxy.failed(("api",))
    assert f"request #1 (POST {ACTIONS}/dtmf) got no answer from the API" in out.getvalue()


# -- every fault of tests/fault_proxy.py, reported under its rule ---------------------------------


def drive(url: str, env: dict) -> None:
    """Traffic that gives each fault its chance: a client's invalid request (422), no token (401), two actions
    (202), a start, a second start (409), a stop, the call's details, a second stop (409), then an action on the
    call once it ended; a transfer answered (its webhook listed); three requests of a token limited to 5 a
    minute, in one window."""
    with ControlClient(url) as control, api_client(url, env) as client:
        call = control.create_call()["call_uuid"]
        path = f"/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{call}"
        client.post(f"{path}/dtmf", json={"digits": "1x"})
        httpx.post(f"{url}{path}/dtmf", json={"digits": "1"})
        client.post(f"{path}/dtmf", json={"digits": "12"})
        client.post(f"{path}/dtmf", json={"digits": "3"})
        client.post(f"{path}/record", json={"format": "wav", "max_length": 60})
        client.post(f"{path}/record", json={})
        client.delete(f"{path}/record")
        control.get_call(call)
        client.delete(f"{path}/record")
        control.hangup_call(call)
        client.post(f"{path}/dtmf", json={"digits": "1"})
        transferred = control.create_call()["call_uuid"]
        hook = f"https://example.com/answered/{transferred}"
        client.post(f"{path.replace(call, transferred)}/transfer", json={"to": "+15005550001", "answer_url": hook})
        control.advance_clock(2)
        control.list_webhooks()
        limited = control.create_account(f"limited_{uuid.uuid4().hex[:8]}", rate_limit="5/min")
        call = control.create_call(auth_id=limited["auth_id"])["call_uuid"]
        control.advance_clock(60 - control.get_clock()["epoch"] % 60 + 0.5)  # into a new window of 60 s
        headers = {"Authorization": f"Bearer {limited['token']}"}
        for _ in range(3):
            httpx.post(f"{url}/v1/voice/accounts/{limited['auth_id']}/calls/{call}/dtmf", json={"digits": "1"},
                       headers=headers, timeout=10)  # fmt: skip


def reported(simulator, after) -> tuple[set[str], set[str], int]:
    """(API rules, client rules) the proxy reported in front of a FaultProxy bending answers with `after`."""
    with FaultProxy(simulator["TVX_BASE_URL"], after=after) as faulty, running(faulty) as (url, proxy, _):
        drive(url, simulator)
        found = httpx.get(f"{url}/_tvx/violations").json()["violations"]
    api = {v["rule"] for v in found if v["party"] == API}
    client = {(v["rule"], v["status"]) for v in found if v["party"] == CLIENT}
    return api, client, len(found)


def test_honest_traffic_has_only_the_clients_deliberate_violation(simulator):
    api, client, _ = reported(simulator, None)
    assert api == set() and client == {("request-body", 422), ("request-auth", 401)}


@pytest.mark.parametrize("name", sorted(INVARIANT_FAULTS))
def test_each_fault_is_reported_under_its_rule(simulator, name):
    api, client, _ = reported(simulator, INVARIANT_FAULTS[name])
    assert name in api, f"{name} not among {sorted(api)}"
    assert {rule for rule, _ in client} == {"request-body", "request-auth"}  # still the client's, not the API's


def wrong_status(ex: Relayed):
    if ex.status == 202:
        ex.status = 201


def missing_field(ex: Relayed):
    if ex.status == 202:
        rewrite(ex, lambda body: body.pop("status", None))


def text_error(ex: Relayed):
    if ex.status == 409:
        ex.status, ex.headers["content-type"], ex.body = 503, "text/plain", b"try later"


def accepts_invalid(ex: Relayed):
    if ex.status == 422:
        ex.status, ex.headers["content-type"] = 202, "application/json"
        ex.body = b'{"dtmf_uuid": "950e8400-e29b-41d4-a716-446655440000", "status": "sent", "digits": "1x"}'


def plain_json(ex: Relayed):
    if ex.status == 202:
        ex.headers["content-type"] = "text/plain"


@pytest.mark.parametrize(
    ("after", "rules_expected"),
    [
        (wrong_status, {"response-status"}),
        (missing_field, {"response-body"}),
        (plain_json, {"response-content-type"}),
        (text_error, {"response-status", "problem-json"}),
        (accepts_invalid, {"accepts-invalid"}),
        (INVARIANT_FAULTS["auth-challenge"], {"response-header", "auth-challenge"}),
    ],
    ids=lambda value: getattr(value, "__name__", None) or "-".join(sorted(value)),
)
def test_each_drift_from_the_declared_answers_is_reported_under_its_rule(simulator, after, rules_expected):
    api, _, _ = reported(simulator, after)
    assert rules_expected <= api, f"{rules_expected} not all among {sorted(api)}"


# -- the command: reports on SIGTERM, exit codes, no token in its output -------------------------------------


def stop(process: subprocess.Popen) -> int:
    stop_server(process)
    return process.returncode


def test_the_command_writes_its_reports_and_fails_on_a_violation_of_the_api(simulator, tmp_path):
    token = simulator["TVX_API_TOKEN"]
    with FaultProxy(simulator["TVX_BASE_URL"], after=INVARIANT_FAULTS["echo"]) as faulty:
        process, url, out = start_proxy(faulty, "--report", str(tmp_path / "reports"), "--fail-on-violation")
        drive(url, simulator)
        httpx.get(f"{url}/_sim/accounts")  # the account list holds every token
        code = stop(process)
    printed = Path(out).read_text()
    assert code == 1, printed
    assert "violation by the API in sendDtmf, rule echo: expected digits '12' as sent, got '0'" in printed
    assert "violation by the client in sendDtmf, rule request-body" in printed
    assert "24 exchanges (13 checked), 5 API violations, 2 client violations" in printed  # 5 DTMFs accepted
    reports = tmp_path / "reports"
    data = json.loads((reports / "proxy-report.json").read_text())
    assert data["violations"] == {"total": 7, "api": 5, "client": 2}
    assert {(v["party"], v["rule"]) for v in data["list"]} == {("api", "echo"), ("client", "request-body"),
                                                              ("client", "request-auth")}  # fmt: skip
    suite = ET.parse(reports / "proxy-junit.xml").getroot()
    assert suite.get("failures") == "3"
    failing = {(case.get("classname"), case.get("name")) for case in suite.iter("testcase") if case.find("failure")
               is not None}  # fmt: skip
    assert failing == {("api.sendDtmf", "echo"), ("client.sendDtmf", "request-body"), ("client.sendDtmf",
                       "request-auth")}  # fmt: skip
    har = json.loads((reports / "proxy.har").read_text())
    assert len(har["log"]["entries"]) == 24
    api = [v["rule"] for e in har["log"]["entries"] for v in e["_tvxViolations"] if v["party"] == "api"]
    assert api == ["echo"] * 5
    everything = printed + "".join(path.read_text() for path in reports.iterdir())
    assert token not in everything and TOKEN.search(everything) is None  # ("tvx_sk_test_..." in a detail is no token)


def test_the_clients_violations_alone_do_not_fail_a_run_that_checks_the_api(simulator, tmp_path):
    process, url, out = start_proxy(simulator["TVX_BASE_URL"], "--fail-on-violation", "api")
    drive(url, simulator)
    assert stop(process) == 0, Path(out).read_text()
    assert "0 API violations, 2 client violations" in Path(out).read_text()


@pytest.mark.parametrize(
    "argv",
    [["--upstream", "ftp://x"], ["--upstream", "http://u:p@x"], ["--upstream", "http://x", "--keep-exchanges", "0"],
     ["--upstream", "http://x", "--fail-on-violation", "client"], []],
)  # fmt: skip
def test_bad_arguments_are_refused(argv, capsys):
    from tryvox_sim.cli import parse_args

    with pytest.raises(SystemExit) as info:
        parse_args(["proxy", *argv])
    assert info.value.code == 2 and "tryvox-sim proxy: error:" in capsys.readouterr().err


@pytest.mark.parametrize("document", ["docs/guides/proxy.md", "docs/tryvox-sim.md", ".github/workflows/contract.yml"])
def test_the_documented_commands_are_valid(document):
    from tryvox_sim.cli import parse_args

    text = (Path(__file__).resolve().parent.parent / document).read_text()
    commands = re.findall(r"tryvox-sim proxy (--(?:[^\n`\\]|\\\n)+)", text)
    assert commands, f"no tryvox-sim proxy command in {document}"
    for command in commands:
        argv = shlex.split(command.replace("\\\n", " ").replace("$TVX_STAGING_URL", "https://staging.example.com"))
        argv = argv[: next((i for i, arg in enumerate(argv) if arg.startswith(">")), len(argv))]
        args = parse_args(["proxy", *argv])
        assert args.upstream.startswith("https://") and args.fail_on_violation in ("any", "api")
