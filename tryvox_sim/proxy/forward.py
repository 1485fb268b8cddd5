"""The validating proxy: relays real traffic to the API and checks it against the spec, call by call.

Put it between an application and a deployment of the API (or a simulator): each request goes upstream as it came
(method, raw path and query, headers, body; only the hop-by-hop headers and `Host` are the proxy's own) over
kept-alive connections (upstream.py), and the upstream's answer comes back as it was, plus a
`tvx-contract-violations` header when the exchange broke a rule (`2 api:echo,client:request-body`). verifier.py says
which rules; report.py keeps and writes what was seen. The application's side is the wire's one HTTP/1.1 core
(wire/http11.py), the simulator's too, with a body limit of its own.

When the upstream cannot be reached or fails mid-answer, the proxy answers a 502 problem of its own: code
`upstream_unreachable` / `upstream_failed` / `upstream_timeout`, a type outside the API's error URIs, and a
`tvx-proxy-error` header, so it is never taken for an answer of the API. A request it cannot forward is refused the
same way (`malformed_request`, `request_head_too_large`, `request_target_too_long`, `request_too_large`,
`request_timeout`). `GET /_tvx/violations` lists the violations so far.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TextIO

from ..contract.problems import (
    HeaderFieldsTooLarge,
    InternalError,
    MalformedHttp,
    Problem,
    RequestTimeout,
    UriTooLong,
)
from ..contract.spec import Spec
from ..wire import server
from ..wire.http11 import Limits, Request, Site, headers_dict
from ..wire.response import PROBLEM, Response
from .report import Report, Traffic
from .upstream import HOP_BY_HOP, UPSTREAM_TIMEOUT, Upstream, UpstreamError
from .verifier import API, CLIENT, Verifier, decode_body, line, party_of

VIOLATIONS_HEADER = "tvx-contract-violations"
ERROR_HEADER = "tvx-proxy-error"
ERROR_TYPE = "urn:tryvox-sim:proxy:"  # not https://docs.tryvox.io/errors/: these are the proxy's, not the API's
MAX_REQUEST = 1024 * 1024  # bytes of request body the proxy forwards; above it the proxy answers 413 itself
CLIENT_IDLE = 75.0  # seconds an idle application connection is kept
PRUNE_EVERY = 1.0  # seconds between looks for upstream connections kept idle too long
# The refusals of the wire, in the proxy's own words (codes of its own: they are not the API's answers).
REFUSALS: dict[type[Problem], str] = {
    MalformedHttp: "malformed_request",
    HeaderFieldsTooLarge: "request_head_too_large",
    UriTooLong: "request_target_too_long",
    RequestTimeout: "request_timeout",
    InternalError: "proxy_failed",
}


def own_response(status: int, code: str, detail: str) -> Response:
    """An answer of the proxy itself: a problem+json whose type and header say it is not the API's."""
    body = {"type": ERROR_TYPE + code.replace("_", "-"), "title": code.replace("_", " ").capitalize(),
            "status": status, "code": code, "detail": detail[:4000]}  # fmt: skip
    return Response.json(status, body, [(ERROR_HEADER, code)], PROBLEM)


def refusal(problem: Problem) -> Response:
    return own_response(problem.status, REFUSALS.get(type(problem), "malformed_request"), problem.detail)


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
        self.site = Site(self.exchange, Limits(max_body=MAX_REQUEST, idle_timeout=CLIENT_IDLE), refusal, True)
        self.number = 0

    @property
    def connections(self) -> set[object]:
        return self.site.connections  # type: ignore[return-value]

    def say(self, line: str) -> None:
        print(f"tvx-proxy: {line}", file=self.out, flush=True)

    async def exchange(self, request: Request) -> Response:
        """The answer to one request: the upstream's, checked, or the proxy's own."""
        if request.target.startswith(b"/"):
            target = request.target.decode("latin-1")  # as it came
        else:  # an absolute URL (a client configured with the proxy as its HTTP proxy): its path and query
            target = request.path + (f"?{request.query}" if request.query else "")
        if request.method == "GET" and request.path == "/_tvx/violations":
            return Response.json(200, self.report.summary())
        self.number += 1
        number, started, clock = self.number, time.time(), time.perf_counter()
        own: str | None = None
        if request.too_large:
            detail = f"The proxy forwards bodies of at most {MAX_REQUEST} bytes."
            response = own_response(413, "request_too_large", detail)
            own = "request_too_large"
        else:
            raw = self.upstream.encode(request.method, target, request.fields, request.body, request.framed)
            try:
                response = await self.upstream.send(request.method, raw)
            except UpstreamError as exc:
                response = own_response(502, exc.code, f"tryvox-sim proxy: {exc.detail}")
                own, detail = exc.code, exc.detail
        traffic = Traffic(
            number, started, request.method, self.upstream.url + target, request.fields, request.body,
            response.status, response.reason or "", response.headers, response.body,
            (time.perf_counter() - clock) * 1000, own,
        )  # fmt: skip
        if own is None:
            response = self._check(traffic, request, response)
        else:  # the API did not answer: nothing to check
            self.report.add(traffic, None, [])
            self.say(f"request #{number} ({request.method} {request.path}) got no answer from the API: {detail}")
        return response

    def _check(self, traffic: Traffic, request: Request, response: Response) -> Response:
        """Check the exchange, keep it, print its violations; the answer to relay (with the verdict)."""
        response_headers = headers_dict(response.headers)
        decoded = decode_body(response.body, response_headers.get("content-encoding", ""))
        if decoded is not None:
            traffic.response = decoded
        operation, violations = self.verifier.check(
            traffic.number, traffic.method, request.path, request.headers, traffic.body, response.status,
            response_headers, decoded, traffic.started,
        )  # fmt: skip
        relayed_headers = [(name, value) for name, value in response.headers if name.lower() not in HOP_BY_HOP]
        relayed = Response(response.status, response.body, None, relayed_headers, reason=response.reason)
        if request.method == "HEAD":  # no body came; the length is the one the upstream announced
            announced = response_headers.get("content-length", "")
            relayed.length = int(announced) if announced.isdigit() else 0
        if violations:
            codes = ",".join(dict.fromkeys(f"{party_of(v)}:{v.rule}" for v in violations))
            relayed.headers.append((VIOLATIONS_HEADER, f"{len(violations)} {codes}"))
        for violation in self.report.add(traffic, operation, violations):
            self.say(line(violation))
        return relayed

    def failed(self, parties: tuple[str, ...]) -> bool:
        """Did anything break a rule of these parties, or go unanswered by the API (so it went unchecked)?"""
        return any(self.report.by_party(party) for party in parties) or bool(self.report.own_responses)

    def closing_line(self) -> str:
        r = self.report
        return (
            f"{r.exchanges} exchanges ({sum(r.operations.values())} checked), {r.by_party(API)} API violations, "
            f"{r.by_party(CLIENT)} client violations, {sum(r.own_responses.values())} answered by the proxy itself"
        )


async def serve(
    proxy: Proxy, host: str, port: int, on_ready: Callable[[str, int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:  # fmt: skip
    """Serve until `stop` is set or, in the main thread, SIGINT or SIGTERM; exchanges under way are finished."""
    try:
        await server.serve(proxy.site, host, port, on_ready=on_ready, stop=stop, tick=proxy.upstream.prune,
                           tick_every=PRUNE_EVERY)  # fmt: skip
    finally:
        proxy.upstream.close()
