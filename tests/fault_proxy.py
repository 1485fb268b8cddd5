"""A fault-injecting HTTP proxy: forwards to a real API and bends one thing on the way back.

Used by tests/test_drift.py to prove the contract suite fails when an API drifts from the spec.
The control plane (`/_sim/...`) passes through untouched, so the hooks still create fresh calls; with
`control_plane=False` it answers 404 instead, so the simulator behind looks like a deployment.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass
class Relayed:
    """One request and the upstream's answer, which a fault may change in place."""

    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path.split('?')[0].rsplit('/', 1)[-1]}"


class FaultProxy:
    """`with FaultProxy(upstream, before=..., after=...) as url:`; both hooks take an Relayed."""

    def __init__(self, upstream: str, before=None, after=None, control_plane: bool = True):
        self.upstream = upstream.rstrip("/")
        self.before = before or (lambda exchange: None)
        self.after = after or (lambda exchange: None)
        self.control_plane = control_plane
        self.client = httpx.Client(timeout=15)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, a kept-alive client's delayed ACK
            # holds the second for 40 ms, and a suite of a thousand requests takes 40 s instead of a few.
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output quiet
                pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except ConnectionError:
                    self.close_connection = True

            def _relay(self):
                length = int(self.headers.get("content-length") or 0)
                exchange = Relayed(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                proxy.forward(exchange)
                self.send_response(exchange.status)
                for name, value in exchange.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(exchange.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(exchange.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = do_QUERY = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, exchange: Relayed) -> None:
        api = exchange.path.startswith("/v1/")
        if api:
            self.before(exchange)
        elif not self.control_plane:
            exchange.status, exchange.headers, exchange.body = 404, {"content-type": "text/plain"}, b"Not Found"
        if not exchange.status:  # `before` may answer by itself
            headers = {k: v for k, v in exchange.request_headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                response = self.client.request(
                    exchange.method, self.upstream + exchange.path, headers=headers, content=exchange.request_body
                )
            except httpx.LocalProtocolError as exc:  # e.g. a NUL byte in a header: httpx will not send it
                exchange.status, exchange.headers = 400, {"content-type": "application/problem+json"}
                exchange.body = b'{"type":"about:blank","title":"Bad request","status":400,"code":"invalid_header"}'
                exchange.headers["x-fault-proxy"] = str(exc)[:100]
                return
            exchange.status, exchange.body = response.status_code, response.content
            exchange.headers = dict(response.headers.items())
        if api:
            self.after(exchange)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


# -- faults that each break one invariant of tryvox_sim/invariants.py (tests/test_drift.py proves the
#    suite names it); each changes a real answer of the simulator on its way back.


def json_body(exchange: Relayed) -> dict:
    return json.loads(exchange.body) if exchange.body else {}


def rewrite(exchange: Relayed, change) -> None:
    body = json_body(exchange)
    change(body)
    exchange.body = json.dumps(body).encode()


def answer(exchange: Relayed, status: int, body: dict) -> None:
    exchange.status, exchange.headers["content-type"] = status, "application/json"
    exchange.body = json.dumps(body).encode()


def is_problem(exchange: Relayed, code: str | None = None) -> bool:
    if not exchange.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    return code is None or json_body(exchange).get("code") == code


def on_problems(change):
    def fault(exchange: Relayed) -> None:
        if is_problem(exchange):
            rewrite(exchange, change)

    return fault


def status_not_http(body: dict) -> None:
    body["status"] = 418 if body["status"] != 418 else 400


def on_operation(operation: str, status: int, change):
    def fault(exchange: Relayed) -> None:
        if exchange.operation == operation and exchange.status == status:
            rewrite(exchange, change)

    return fault


def no_challenge(exchange: Relayed) -> None:
    if exchange.status == 401:
        exchange.headers = {k: v for k, v in exchange.headers.items() if k.lower() != "www-authenticate"}


def remaining_over_limit(exchange: Relayed) -> None:
    if exchange.status == 202:
        exchange.headers.update({"ratelimit-limit": "5", "ratelimit-remaining": "9", "ratelimit-reset": "1"})


def action_id_is_call_id(exchange: Relayed) -> None:
    if exchange.status == 202:
        call = exchange.path.split("/calls/")[1].split("/")[0]
        rewrite(exchange, lambda body: body.update({key: call for key in body if key.endswith("_uuid")}))


def other_recording(body: dict) -> None:
    other = str(uuid.uuid4())
    body["recording_uuid"], body["url"] = other, f"https://recordings.tryvox.io/{other}.{body['url'][-3:]}"


def other_extension(body: dict) -> None:
    body["url"] = body["url"][:-3] + ("wav" if body["url"].endswith("mp3") else "mp3")


def fake_stop(exchange: Relayed) -> None:
    if exchange.operation == "DELETE record" and is_problem(exchange, "no_active_recording"):
        rec = str(uuid.uuid4())
        url = f"https://recordings.tryvox.io/{rec}.mp3"
        answer(exchange, 200, {"recording_uuid": rec, "status": "stopped", "url": url, "duration": 0})


def fake_start(exchange: Relayed) -> None:
    if exchange.operation == "POST record" and is_problem(exchange, "recording_already_running"):
        answer(exchange, 202, {"recording_uuid": str(uuid.uuid4()), "status": "recording", "format": "mp3"})


def accepted_on_ended_call(exchange: Relayed) -> None:
    if exchange.operation == "POST dtmf" and is_problem(exchange, "call_not_in_progress"):
        answer(exchange, 202, {"dtmf_uuid": str(uuid.uuid4()), "status": "sent", "digits": "1"})


# The docs page's example ids, one per action: what a stub answering the examples says every time.
EXAMPLE_IDS = {
    "transfer": "850e8400-e29b-41d4-a716-446655440000",
    "record": "950e8400-e29b-41d4-a716-446655440000",
    "play": "a50e8400-e29b-41d4-a716-446655440000",
    "speak": "b50e8400-e29b-41d4-a716-446655440000",
    "dtmf": "c50e8400-e29b-41d4-a716-446655440000",
}


def example_ids(exchange: Relayed) -> None:
    if exchange.status == 202:
        example = EXAMPLE_IDS[exchange.operation.split()[1]]
        rewrite(exchange, lambda body: body.update({key: example for key in body if key.endswith("_uuid")}))


def on_rate_limits(change):
    """A fault on the RateLimit-* headers, given to `change` as a dict of ints (limit, remaining, reset)."""

    def fault(exchange: Relayed) -> None:
        if "ratelimit-remaining" in exchange.headers:
            values = {name: int(exchange.headers[f"ratelimit-{name}"]) for name in ("limit", "remaining", "reset")}
            change(values)
            exchange.headers.update({f"ratelimit-{name}": str(value) for name, value in values.items()})

    return fault


INVARIANT_FAULTS = {
    "problem-status": on_problems(status_not_http),
    "problem-type": on_problems(lambda body: body.update(type="about:blank")),
    "problem-code": on_problems(lambda body: body.update(code="something_else")),
    "problem-title": on_problems(lambda body: body.update(title="Oops")),
    "validation-errors": on_problems(lambda body: body.update(errors=[{"pointer": "/no/such", "message": "x"}])),
    "auth-challenge": no_challenge,
    "rate-limit-remaining": remaining_over_limit,
    "echo": on_operation("POST dtmf", 202, lambda body: body.update(digits="0" if body["digits"] != "0" else "1")),
    "recording-format": on_operation(
        "POST record", 202, lambda body: body.update(format="wav" if body["format"] == "mp3" else "mp3")
    ),
    "recording-url": on_operation("DELETE record", 200, lambda body: body.update(url=body["url"][:-40] + "x.mp3")),
    "new-action-id": action_id_is_call_id,
    "stop-names-recording": on_operation("DELETE record", 200, other_recording),
    "stop-after-stop": fake_stop,
    "start-while-recording": fake_start,
    "stop-url-format": on_operation("DELETE record", 200, other_extension),
    "stop-duration": on_operation("DELETE record", 200, lambda body: body.update(duration=14400)),
    "completed-call": accepted_on_ended_call,
    "stop-duration-elapsed": on_operation("DELETE record", 200, lambda body: body.update(duration=125)),
    "recording-details": on_operation(
        "DELETE record", 200, lambda body: body.update(url=body["url"].replace("recordings.", "cdn.", 1))
    ),
    "transfer-webhook": on_operation("POST transfer", 202, lambda body: body.update(transfer_uuid=str(uuid.uuid4()))),
    "fresh-action-id": example_ids,
    "rate-limit-constant": on_rate_limits(lambda h: h.update(limit=h["limit"] + h["remaining"])),
    "rate-limit-decreasing": on_rate_limits(lambda h: h.update(remaining=h["limit"] - 1)),
    "rate-limit-reset": on_rate_limits(lambda h: h.update(reset=h["reset"] + h["limit"] - h["remaining"])),
}
