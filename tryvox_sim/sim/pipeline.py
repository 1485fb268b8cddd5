"""The request pipeline: small steps, each wrapping the next, the way Starlette composes middleware.

    Routing -> RequestLog -> Journaling -> CrossOrigin -> Outbox -> Failures -> SelfCheck -> Problems -> Dispatch

Each step does one thing before or after the next: find the operation, log one line per request (only when asked),
record the exchange, answer a browser's
preflight and let it read the answer, send the webhooks the world queued, turn an unexpected failure into a 500 (or
let it reach an in-process test), refuse to send an answer that breaks the spec, turn a `Problem` into its answer,
hand the request to the operation's handler. A step that is off (the request log, CORS, self-check) is left out of
the chain, so it costs nothing. The App (app.py) builds the chain once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sized
from itertools import islice
from typing import Protocol

from ..contract.conformance import NO_BODY, response_violations
from ..contract.invariants import Observer
from ..contract.problems import (
    CrossSiteControl,
    InternalError,
    MethodNotAllowed,
    Problem,
    RouteNotFound,
    SelfCheckFailed,
)
from ..contract.spec import Operation, Route, Spec
from ..wire.http11 import Request
from ..wire.response import MODELLED, OUTSIDE_CONTRACT, Response
from .clock import Clock
from .cors import Cors
from .journal import Journal

log = logging.getLogger("tryvox_sim")
request_log = logging.getLogger("tryvox_sim.requests")


class SelfCheckError(AssertionError):
    """A response the simulator produced does not match the spec."""


class Routed:
    """A request and where the spec routes it: `op` is None when there is no route or no such method on it;
    `journaled` whether the journal keeps it (the API's requests and unknown paths, not the control plane's)."""

    __slots__ = ("request", "route", "op", "params", "journaled")

    def __init__(self, request: Request, route: Route | None, op: Operation | None, params: dict[str, str]) -> None:
        self.request = request
        self.route = route
        self.op = op
        self.params = params
        self.journaled = op.source == "actions" if op is not None else not request.path.startswith("/_sim/")


Step = Callable[[Routed], Response]


class Operations(Protocol):
    """The handler of one side of the spec: the Call Actions (actions.py) or the control plane (control_plane.py)."""

    def __call__(self, op: Operation, params: dict[str, str], request: Request) -> Response: ...


class Routing:
    def __init__(self, inner: Step, spec: Spec) -> None:
        self.inner, self.spec = inner, spec

    def __call__(self, request: Request) -> Response:
        route, params = self.spec.match(request.path)
        op = route.operations.get(request.method) if route is not None else None
        return self.inner(Routed(request, route, op, params))


class RequestLog:
    """`serve --log-level info`: one line per request, as Prism prints them: method, path, status, problem code,
    fault, and the milliseconds the simulator took to answer (a fault's delay comes after, and is named)."""

    def __init__(self, inner: Step) -> None:
        self.inner = inner

    def __call__(self, routed: Routed) -> Response:
        started = time.perf_counter()
        response = self.inner(routed)
        took = (time.perf_counter() - started) * 1000
        r, data = routed.request, response.data
        code = data.get("code") if response.status >= 400 and isinstance(data, dict) else None
        path = f"{r.path}?{r.query}" if r.query else r.path
        request_log.info("%s %s %d %s %s %.1f ms", r.method[:20], path[:300], response.status, code or "-",
                         describe(response.fault), took)  # fmt: skip
        return response


def describe(fault: object) -> str:
    """A fault as the request log names it: `fault f2 (reset, after action)`, `fault f1 (delay 500 ms)`, or `-`."""
    definition = getattr(fault, "definition", None)
    if definition is None:
        return "-"
    what = [definition.fault] if definition.fault else []
    what += [f"status {definition.status}"] if definition.status is not None else []
    what += [f"delay {definition.delay_ms} ms"] if definition.delay_ms else []
    what += ["after action"] if definition.after else []
    return f"fault {definition.id} ({', '.join(what)})"


class Journaling:
    def __init__(self, inner: Step, journal: Journal, clock: Clock) -> None:
        self.inner, self.journal, self.clock = inner, journal, clock

    def __call__(self, routed: Routed) -> Response:
        response = self.inner(routed)
        if routed.journaled and self.journal.size:
            r, op = routed.request, routed.op
            op_id = op.op_id if op is not None else None
            self.journal.record(self.clock.now(), r.method, r.path, r.query, op_id, r.headers, r.body, response)
        return response


class CrossOrigin:
    """Browser pages of the origins let in (serve --cors) may call the API: a preflight is answered here (it is no
    API request: not journaled), and every answer of the API says which origin may read it."""

    def __init__(self, inner: Step, cors: Cors) -> None:
        self.inner, self.cors = inner, cors

    def __call__(self, routed: Routed) -> Response:
        route, headers = routed.route, routed.request.headers
        if route is None or route.source != "actions":
            return self.inner(routed)
        if routed.op is None and routed.request.method == "OPTIONS":
            preflight = self.cors.preflight(headers, route.allow)
            if preflight is not None:
                routed.journaled = False
                return preflight
        response = self.inner(routed)
        response.headers.extend(self.cors.headers(headers))
        return response


class Outbox:
    """The webhooks the world queued while answering go out (checked, when self-check is on) once it is made."""

    def __init__(self, inner: Step, outbox: Callable[[], Sized], flush: Callable[[], None]) -> None:
        self.inner, self.outbox, self.flush = inner, outbox, flush

    def __call__(self, routed: Routed) -> Response:
        response = self.inner(routed)
        if self.outbox():
            self.flush()
        return response


class Failures:
    """In-process, an exception inside the simulator (a failed self-check too) reaches the caller, as Starlette's test
    client does; served, it is logged and answered with a 500 problem."""

    def __init__(self, inner: Step, raise_server_exceptions: bool) -> None:
        self.inner, self.raise_server_exceptions = inner, raise_server_exceptions
        self.unexpected = 0  # unexpected errors so far

    def __call__(self, routed: Routed) -> Response:
        try:
            return self.inner(routed)
        except SelfCheckError as exc:
            if self.raise_server_exceptions:
                raise
            log.error("self-check failed: %s", exc)
            return Response.problem(SelfCheckFailed(str(exc)))
        except Exception:
            self.unexpected += 1
            if self.raise_server_exceptions:
                raise
            r = routed.request
            log.exception("unexpected error on %s %s", r.method[:20], r.path[:200])
            return Response.problem(InternalError("The simulator failed; see its log."))


class SelfCheck:
    """Every response must be one the spec declares for its operation; an answer the simulated calls made must also
    keep the API's invariants (followed on the simulator's own clock). Documented examples given without the calls
    (Prefer, faults) are checked against the schema only; the simulator's own extensions not at all."""

    def __init__(self, inner: Step, observer: Observer, clock: Clock) -> None:
        self.inner, self.observer, self.clock = inner, observer, clock

    def __call__(self, routed: Routed) -> Response:
        sent = self.clock.now()  # for the invariants' rate-limit windows
        response = self.inner(routed)
        op = routed.op
        if op is None or response.origin == OUTSIDE_CONTRACT:
            return response
        headers = {name.lower(): value for name, value in response.headers}
        data = NO_BODY if response.data is None else response.data
        media = (response.media_type or "").split(";", 1)[0]
        violations = response_violations(op, response.status, media, data, headers)
        if violations:
            raise SelfCheckError(f"{op.op_id} -> {response.status}: {violations[0]}")
        if response.origin == MODELLED:  # canned examples (Prefer, faults) say nothing of the calls
            r = routed.request
            found = self.observer.observe(
                r.method, r.path, r.body, response.status, headers, response.body,
                authorization=r.headers.get("authorization"), sent=sent,
            )  # fmt: skip
            if found:
                raise SelfCheckError(f"{op.op_id} -> {response.status}: " + "; ".join(f"invariant {v}" for v in found))
        return response

    def webhook(self, spec: Spec, event: str, payload: object, raise_errors: bool) -> None:
        """A webhook the world sends: valid against its schema, and saying what the answers said."""
        validator = spec.webhooks.get(event)
        if validator is not None and not validator.is_valid(payload):
            messages = [e.message for e in islice(validator.iter_errors(payload), 5)]
            log.error("self-check failed: %s webhook payload: %s", event, messages)
            if raise_errors:
                raise SelfCheckError(f"{event} webhook payload breaks the spec: {messages}")
        if found := self.observer.webhook(event, payload):
            text = "; ".join(f"invariant {v}" for v in found)
            log.error("self-check failed: %s webhook: %s", event, text)
            if raise_errors:
                raise SelfCheckError(f"{event} webhook: {text}")


class Problems:
    """A `Problem` raised anywhere below becomes its RFC 9457 answer (the one serialiser: Response.problem)."""

    def __init__(self, inner: Step) -> None:
        self.inner = inner

    def __call__(self, routed: Routed) -> Response:
        try:
            return self.inner(routed)
        except Problem as problem:
            return Response.problem(problem)


class Dispatch:
    """The operation's handler: the Call Actions' or the control plane's; 404 and 405 when there is none."""

    def __init__(self, actions: Operations, control: Operations) -> None:
        self.actions, self.control = actions, control

    def __call__(self, routed: Routed) -> Response:
        op, request = routed.op, routed.request
        if op is None:
            route = routed.route
            if route is None:
                raise RouteNotFound(f"No route {request.path[:200]}.")
            raise MethodNotAllowed(
                f"{request.method[:20]} is not allowed on {route.template}; use {route.allow}.",
                headers=[("Allow", route.allow)],
            )
        if op.source == "actions":
            return self.actions(op, routed.params, request)
        if "origin" in request.headers or "sec-fetch-site" in request.headers:  # only browsers send these
            refuse_other_sites(request.headers)
        return self.control(op, routed.params, request)


def refuse_other_sites(headers: Mapping[str, str]) -> None:
    """The control plane has no CORS, but a browser still carries out a cross-site POST that needs no preflight
    (a form, or fetch with a simple body): any page the reader opens could reset the world. So a request a
    browser sends for a page of another origin is refused before it does anything."""
    origin = headers.get("origin")
    if headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and origin.partition("://")[2] != headers.get("host")
    ):
        raise CrossSiteControl(
            f"The control plane only answers requests from its own origin, not from {(origin or 'another site')[:200]}."
        )
