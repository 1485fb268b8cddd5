"""The HTTP shell: a plain function `App.handle(method, path, query, headers, body)` -> (status, headers, body).

It only translates HTTP to domain calls (moto's `responses.py`). Each operation of the two specs is
handled by the function named after its operationId: a `World` method for the Call Actions
(`transferCall` -> `World.transfer_call`), a function of control.py for the control plane; all are found
once, when the `App` is built, which fails if one is missing. Order of checks: route (404/405), bearer
token (401), rate limit (429), account (403), call (404), body size/type/JSON/schema (413/415/400/422),
then the domain rules (409/422). Every refusal is a `Problem` raised where it is found and answered by
`Reply.problem`. Called by server.py (served) and transport.py (in-process).
"""

import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
import orjson

from ..contract.invariants import NO_BODY, Breach, Observer
from ..contract.problems import (
    CallNotFound,
    CrossSiteControl,
    FieldError,
    Forbidden,
    Header,
    InternalError,
    InvalidJson,
    MethodNotAllowed,
    PayloadTooLarge,
    Problem,
    RateLimited,
    RouteNotFound,
    SelfCheckFailed,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..contract.spec import Operation, Spec, escape
from . import canned, control
from .cors import Cors
from .faults import Faults
from .journal import DEFAULT_SIZE, Journal
from .ratelimit import RateLimiter, parse_rate
from .reply import JSON, MODELLED, OUTSIDE_CONTRACT, Answer, Reply
from .trim import Trimmer, malloc_trim
from .webhooks import Webhooks
from .world import World

log = logging.getLogger("tryvox_sim")
MAX_BODY = 64 * 1024
MAX_ERRORS = 20
_Required = jsonschema_rs.ValidationErrorKind.Required
_Unexpected = (
    jsonschema_rs.ValidationErrorKind.AdditionalProperties,
    jsonschema_rs.ValidationErrorKind.UnevaluatedProperties,
)


class SelfCheckError(AssertionError):
    """A response the simulator produced does not match the spec."""


class MissingHandler(LookupError):
    """An operation of a spec has nothing to handle it (raised when the App is built)."""


def handler_name(op_id: str) -> str:
    """The name of the function that handles an operation: its operationId in snake_case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op_id).lower()


def handlers(spec: Spec, world: World) -> dict[str, Callable[..., Any]]:
    """operationId -> its handler, for every operation of both specs; MissingHandler names any missing one."""
    owners: dict[str, tuple[object, str]] = {"actions": (world, "World"), "control": (control, "tryvox_sim.control")}
    found = {}
    for op in spec.operations.values():
        owner, owner_name = owners[op.source]
        name = handler_name(op.op_id)
        handler = getattr(owner, name, None)
        if not callable(handler) or isinstance(handler, type):
            raise MissingHandler(
                f"operation {op.op_id} ({op.method} {op.template}) has no handler: add {owner_name}.{name}"
            )
        found[op.op_id] = handler
    return found


def field_errors(errors: Any) -> list[FieldError]:
    """jsonschema-rs errors -> [{pointer, message}], pointing at the missing or unexpected field itself."""
    out: list[FieldError] = []
    for err in errors:
        base = "".join("/" + escape(str(p)) for p in err.instance_path)
        kind = err.kind
        names: list[str | None]
        if isinstance(kind, _Required):
            names = [kind.property]
        elif isinstance(kind, _Unexpected):
            names = list(kind.unexpected)
        else:
            names = [None]
        message = err.message if len(err.message) <= 1000 else err.message[:997] + "..."
        for name in names:
            pointer = base if name is None else f"{base}/{escape(name)}"
            out.append(FieldError(pointer=pointer[:512], message=message))
    return out[:MAX_ERRORS]


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson refuses integers past 64 bits ("infinity" past a double's range); the stdlib parser takes them
        if "64-bit" not in str(exc) and "infinity" not in str(exc):
            raise ValueError(str(exc)) from None
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_body(op: Operation, headers: Mapping[str, str], body: bytes) -> Any:
    """The parsed, schema-valid request body ({} when an optional body is absent), or the Problem it breaks
    (413/415/400/422). The simulator answers with it; the validating proxy (verifier.py) reports it."""
    length = headers.get("content-length", "")
    if len(body) > MAX_BODY or (length.isdigit() and int(length) > MAX_BODY):
        size = length if length.isdigit() else f"over {MAX_BODY}"
        raise PayloadTooLarge(f"The body is {size} bytes; the limit is {MAX_BODY}.")
    if not body and not op.body_required:
        return {}
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != JSON:
        raise UnsupportedMediaType(f"Send the body as application/json, not {media[:100] or 'without a Content-Type'}.")
    try:
        data = parse_json(body)
    except ValueError as exc:  # also invalid UTF-8
        raise InvalidJson(f"The body is not valid JSON: {str(exc)[:300]}") from None
    if op.body is not None and not op.body.is_valid(data):
        raise ValidationFailed("The request body is invalid.", errors=field_errors(op.body.iter_errors(data)))
    return data


def response_breaches(op: Operation, status: int, media: str, data: Any, headers: Mapping[str, str]) -> list[Breach]:
    """What the spec declares of an answer of `op` that this one breaks: its status, media type, body schema and
    headers. `data` is the parsed body, or NO_BODY to leave the body unchecked; `headers` has lower-case names.
    The simulator's self-check raises the first; the validating proxy (verifier.py) reports them all."""
    declared = op.responses.get(status)
    if declared is None:
        return [Breach("response-status", f"a status the spec declares ({sorted(op.responses)})", str(status))]
    found: list[Breach] = []
    if declared.content:
        if media not in declared.content:
            found.append(Breach("response-content-type", f"one of {list(declared.content)}", media or "none"))
        elif (
            (validator := declared.content[media]) is not None and data is not NO_BODY and not validator.is_valid(data)
        ):
            messages = [e.message[:300] for e in islice(validator.iter_errors(data), 5)]
            found.append(Breach("response-body", "a body valid against the schema", "; ".join(messages)))
    for name, (required, validator) in declared.headers.items():
        if name not in headers:
            if required:
                found.append(Breach("response-header", f"required header {name}", "missing"))
            continue
        value = headers[name]
        if not (validator.is_valid(value) or (value.lstrip("-").isdigit() and validator.is_valid(int(value)))):
            found.append(Breach("response-header", f"header {name} valid against its schema", repr(value[:200])))
    return found


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


class App:
    def __init__(
        self,
        world: World | None = None,
        spec: Spec | None = None,
        *,
        self_check: bool = True,
        raise_server_exceptions: bool = True,
        rate_limit: str | None = None,
        webhooks: Webhooks | None = None,
        journal_size: int = DEFAULT_SIZE,
        seed: int | None = None,
        cors: Sequence[str] = (),
    ) -> None:
        self.spec = spec or Spec()
        self.world = world or World()
        self.handlers = handlers(self.spec, self.world)
        self.webhooks = webhooks or Webhooks()
        self.faults = Faults(seed)
        self.journal = Journal(journal_size, params=lambda path: self.spec.match(path)[1])
        self.self_check = self_check
        # Self-check also refuses answers that break an invariant across fields (tryvox_sim/invariants.py),
        # with the call state followed on the simulator's own clock.
        self.observer = Observer(self.spec, now=self.world.clock.now) if self_check else None
        # In-process, an exception inside the simulator (a failed self-check too) reaches the caller,
        # as Starlette's test client does; served, it is logged and answered with a 500 problem.
        self.raise_server_exceptions = raise_server_exceptions
        self.rate_limit = parse_rate(rate_limit) if rate_limit else None  # per token; an account may set its own
        self.limiter = RateLimiter(self.world.clock)
        self.spec_json = orjson.dumps(self.spec.actions_doc)
        self.spec_yaml = self.spec.actions_path.read_bytes()
        self.unexpected_errors = 0
        self.base_url: str | None = None  # where clients reach it, once served: /docs fills its samples with it
        self.trimmer = Trimmer(malloc_trim())
        # Origins whose pages may call the API from a browser (serve --cors); None, the default, costs one check.
        self.cors = Cors(cors, self._api_headers()) if cors else None

    def _api_headers(self) -> set[str]:
        """Every response header the API declares: a page on another origin may read them (CORS)."""
        ops = [op for op in self.spec.operations.values() if op.source == "actions"]
        return {name for op in ops for response in op.responses.values() for name in response.headers}

    def reset(self) -> None:
        self.world.reset()
        self.webhooks.clear()
        self.faults.clear()
        self.journal.clear()
        if self.observer is not None:
            self.observer.forget()
        self.limiter = RateLimiter(self.world.clock)
        self.give_back_memory(reset=True)

    def give_back_memory(self, reset: bool = False) -> None:
        """After a large release (the retention sweep dropped many calls, a reset) hand freed memory back to the
        system (tryvox_sim/trim.py). Called by the server's housekeeping and the control plane, never per request."""
        self.trimmer.after(self.world.dropped, reset)

    # -- entry point
    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        """headers: lower-case names, a dict made for this request: the journal keeps it, the secret headers
        taken out (a copy would cost every request). Returns (status, [(name, value)], body, fault to carry out)."""
        op, route, params = None, None, dict[str, str]()
        sent = self.world.clock.now() if self.observer is not None else 0.0  # for the invariants' rate-limit windows
        try:
            try:
                route, params = self.spec.match(path)
                if route is None:
                    raise RouteNotFound(f"No route {path[:200]}.")
                op = route.operations.get(method)
                if op is None:
                    if method == "OPTIONS" and self.cors is not None and route.source == "actions":
                        preflight = self.cors.preflight(headers, route.allow)
                        if preflight is not None:  # a browser asking first: not an API request, not journaled
                            return preflight
                    raise MethodNotAllowed(
                        f"{method[:20]} is not allowed on {route.template}; use {route.allow}.",
                        headers=[("Allow", route.allow)],
                    )
                if op.source == "actions":
                    reply = self._action(op, params, headers, body)
                else:
                    if "origin" in headers or "sec-fetch-site" in headers:  # only browsers send these
                        refuse_other_sites(headers)
                    reply = self._control(op, params, query, headers, body)
            except Problem as problem:
                reply = Reply.problem(problem)
            if op is not None and self.self_check and reply.origin != OUTSIDE_CONTRACT:
                self._check(op, reply)
                if reply.origin == MODELLED:  # canned examples (Prefer, faults) say nothing of the calls
                    self._check_invariants(op, method, path, headers, body, reply, sent)
        except SelfCheckError as exc:
            if self.raise_server_exceptions:
                raise
            log.error("self-check failed: %s", exc)
            reply = Reply.problem(SelfCheckFailed(str(exc)))
        except Exception:
            self.unexpected_errors += 1
            if self.raise_server_exceptions:
                raise
            log.exception("unexpected error on %s %s", method[:20], path[:200])
            reply = Reply.problem(InternalError("The simulator failed; see its log."))
        if self.world.outbox:
            self.flush_outbox()
        answer = reply.encode()
        if self.cors is not None and route is not None and route.source == "actions":
            answer.headers.extend(self.cors.headers(headers))
        if self.journal.size and (op.source == "actions" if op is not None else not path.startswith("/_sim/")):
            op_id = op.op_id if op is not None else None
            self.journal.record(self.world.clock.now(), method, path, query, op_id, headers, body, reply, answer.body)
        return answer

    def flush_outbox(self) -> None:
        now = self.world.clock.now()
        for url, event, payload in self.world.take_outbox():
            validator = self.spec.webhooks.get(event)
            if self.self_check and validator is not None and not validator.is_valid(payload):
                messages = [e.message for e in islice(validator.iter_errors(payload), 5)]
                log.error("self-check failed: %s webhook payload: %s", event, messages)
                if self.raise_server_exceptions:
                    raise SelfCheckError(f"{event} webhook payload breaks the spec: {messages}")
            if self.observer is not None and (breaches := self.observer.webhook(event, payload)):
                found = "; ".join(f"invariant {b}" for b in breaches)
                log.error("self-check failed: %s webhook: %s", event, found)
                if self.raise_server_exceptions:
                    raise SelfCheckError(f"{event} webhook: {found}")
            self.webhooks.dispatch(url, event, payload, now)

    # -- Call Actions
    def _action(self, op: Operation, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        """`Prefer` and faults first (neither touches the simulated calls), then the operation itself."""
        prefer = headers.get("prefer")
        if prefer is not None and (reply := canned.preferred(op, prefer)) is not None:
            return reply
        if self.faults:
            fault = self.faults.match(op.op_id, params.get("auth_id"), params.get("call_uuid"))
            if fault is not None:
                reply = canned.faulted(op, fault) if fault.answers else self._operation(op, params, headers, body)
                reply.fault = fault
                return reply
        return self._operation(op, params, headers, body)

    def _operation(self, op: Operation, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        token = bearer(headers.get("authorization"))
        account = self.world.account_for_token(token) if token else None
        if token is None or account is None:
            detail = "Send an API token as Authorization: Bearer tvx_sk_live_... or tvx_sk_test_..."
            if token:
                detail = "The API token is not valid."
            challenge = 'Bearer realm="tryvox"' + (', error="invalid_token"' if token else "")
            raise Unauthorized(detail, headers=[("WWW-Authenticate", challenge)])
        limits: list[Header] = []
        rate = account.rate_limit or self.rate_limit
        if rate is not None:
            allowed, limits = self.limiter.check(token, *rate)
            if not allowed:
                raise RateLimited(
                    f"Rate limit of {rate[0]} requests per {rate[1]} s reached; retry after {limits[-1][1]} s.",
                    headers=limits,
                )
        auth_id, call_uuid = params["auth_id"], params["call_uuid"]
        try:
            if auth_id != account.auth_id:
                raise Forbidden(f"This API token does not belong to account {auth_id[:64]}.")
            if not op.params["call_uuid"].is_valid(call_uuid):
                raise CallNotFound(f"No call {call_uuid[:64]} in account {auth_id}.")
            self.world.check_call(auth_id, call_uuid)
            data = {**op.defaults, **read_body(op, headers, body)} if op.body_types else {}  # defaults: the spec's
            result = self.handlers[op.op_id](auth_id, call_uuid, **data)
        except Problem as problem:
            return Reply.problem(problem, limits)
        return Reply(op.success, result, JSON, limits)

    # -- control plane
    def _control(
        self, op: Operation, params: dict[str, str], query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        for name, value in params.items():
            if not op.params[name].is_valid(value):
                raise CallNotFound(f"No call {value[:64]}.")
        args = {}
        for name, value in parse_qsl(query or "", keep_blank_values=True):
            if name in op.query:
                if not op.query[name].is_valid(value):
                    message = f"query parameter {name[:50]}: {value[:100]!r} is invalid"
                    raise ValidationFailed(
                        f"Query parameter {name} is invalid.", errors=[FieldError(pointer="", message=message)]
                    )
                args[name] = value
        data = read_body(op, headers, body) if op.body_types else {}
        with self.world.lock:
            reply: Reply = self.handlers[op.op_id](self, params, args, data)
        return reply

    # -- self-check: every response must be one the spec declares, keeping the API's invariants
    def _check_invariants(
        self, op: Operation, method: str, path: str, request: Mapping[str, str], body: bytes, reply: Reply, sent: float
    ) -> None:
        if self.observer is None:
            return
        data = reply.data if isinstance(reply.data, bytes) else orjson.dumps(reply.data)
        headers = {name.lower(): value for name, value in reply.headers}
        headers["content-type"] = reply.ctype
        breaches = self.observer.observe(
            method, path, body, reply.status, headers, data, authorization=request.get("authorization"), sent=sent
        )
        if breaches:
            raise SelfCheckError(f"{op.op_id} -> {reply.status}: " + "; ".join(f"invariant {b}" for b in breaches))

    def _check(self, op: Operation, reply: Reply) -> None:
        sent = {name.lower(): value for name, value in reply.headers}
        data = NO_BODY if isinstance(reply.data, bytes) else reply.data
        breaches = response_breaches(op, reply.status, reply.ctype.split(";", 1)[0], data, sent)
        if breaches:
            raise SelfCheckError(f"{op.op_id} -> {reply.status}: {breaches[0]}")
