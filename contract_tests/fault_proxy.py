"""A fault-injecting HTTP proxy: forwards to a real API and bends one thing on the way back.

Used by tests/test_drift.py to prove the contract suite fails when an API drifts from the spec.
The control plane (`/_sim/...`) passes through untouched, so the hooks still create fresh calls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@dataclass
class Exchange:
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
    """`with FaultProxy(upstream, before=..., after=...) as url:`; both hooks take an Exchange."""

    def __init__(self, upstream: str, before=None, after=None):
        self.upstream = upstream.rstrip("/")
        self.before = before or (lambda exchange: None)
        self.after = after or (lambda exchange: None)
        self.client = httpx.Client(timeout=15)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except ConnectionError:
                    self.close_connection = True

            def _relay(self):
                length = int(self.headers.get("content-length") or 0)
                exchange = Exchange(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
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

    def forward(self, exchange: Exchange) -> None:
        api = exchange.path.startswith("/v1/")
        if api:
            self.before(exchange)
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
