"""The HTTP shell: a plain function (method, path, query, headers, body) -> (status, headers, body).

It only translates HTTP to `World` calls (moto's `responses.py`). Order of checks: route (404/405),
bearer token (401), rate limit (429), account (403), call (404), body size/type/JSON/schema
(413/415/400/422), then the domain rules (409/422). Used by the ASGI app and the in-process transport.
"""

import json
import logging
import math
from itertools import islice
from urllib.parse import parse_qsl

import jsonschema_rs
import orjson

from . import control
from .domain import World
from .errors import DOCS_ERRORS, DomainError
from .ratelimit import RateLimiter, parse_rate
from .spec import Spec, escape
from .webhooks import Webhooks

log = logging.getLogger("tryvox_sim")
MAX_BODY = 64 * 1024
MAX_ERRORS = 20
JSON = "application/json"
PROBLEM = "application/problem+json"
_Required = jsonschema_rs.ValidationErrorKind.Required
_Additional = jsonschema_rs.ValidationErrorKind.AdditionalProperties


class SelfCheckError(AssertionError):
    """A response the simulator produced does not match the spec."""


ACTIONS = {
    "transferCall": lambda w, a, c, body: w.transfer(a, c, **body),
    "startRecording": lambda w, a, c, body: w.start_recording(a, c, **body),
    "stopRecording": lambda w, a, c, body: w.stop_recording(a, c),
    "playAudio": lambda w, a, c, body: w.play(a, c, **body),
    "speakText": lambda w, a, c, body: w.speak(a, c, **body),
    "sendDtmf": lambda w, a, c, body: w.send_dtmf(a, c, **body),
}


def problem(status: int, code: str, title: str, detail: str, errors=None) -> dict:
    body = {
        "type": DOCS_ERRORS + code.replace("_", "-"),
        "title": title,
        "status": status,
        "code": code,
        "detail": detail[:4000],
    }
    if errors is not None:
        body["errors"] = errors
    return body


class Reply:
    __slots__ = ("status", "data", "ctype", "headers")

    def __init__(self, status, data, ctype=JSON, headers=None):
        self.status = status
        self.data = data
        self.ctype = ctype
        self.headers = headers if headers is not None else []


def fail(status, code, title, detail, errors=None, headers=None) -> Reply:
    return Reply(status, problem(status, code, title, detail, errors), PROBLEM, headers)


def field_errors(errors) -> list[dict]:
    """jsonschema-rs errors -> [{pointer, message}], pointing at the missing or unexpected field itself."""
    out = []
    for err in errors:
        base = "".join("/" + escape(str(p)) for p in err.instance_path)
        kind = err.kind
        if isinstance(kind, _Required):
            names = [kind.property]
        elif isinstance(kind, _Additional):
            names = kind.unexpected
        else:
            names = [None]
        message = err.message if len(err.message) <= 1000 else err.message[:997] + "..."
        for name in names:
            pointer = base if name is None else f"{base}/{escape(name)}"
            out.append({"pointer": pointer[:512], "message": message})
    return out[:MAX_ERRORS]


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def parse_json(body: bytes):
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


class App:
    def __init__(
        self,
        world: World | None = None,
        spec: Spec | None = None,
        *,
        self_check: bool = True,
        strict: bool = True,
        rate_limit: str | None = None,
        webhooks: Webhooks | None = None,
    ):
        self.spec = spec or Spec()
        self.world = world or World()
        self.webhooks = webhooks or Webhooks()
        self.self_check = self_check
        self.strict = strict  # raise SelfCheckError (in-process) instead of answering 500 (served)
        self.limiter = RateLimiter(*parse_rate(rate_limit), self.world.clock) if rate_limit else None
        self.spec_json = orjson.dumps(self.spec.actions_doc)
        self.spec_yaml = open(self.spec.actions_uri.removeprefix("file://"), "rb").read()
        self.unexpected_errors = 0

    def reset(self) -> None:
        self.world.reset()
        self.webhooks.clear()
        if self.limiter:
            self.limiter = RateLimiter(self.limiter.limit, self.limiter.window, self.world.clock)

    # -- entry point
    def handle(self, method: str, path: str, query: str, headers: dict, body: bytes):
        """headers: lower-case names. Returns (status, [(name, value)], body bytes)."""
        op = None
        try:
            route, params = self.spec.match(path)
            if route is None:
                reply = fail(404, "not_found", "Not found", f"No route {path[:200]}.")
            elif (op := route.operations.get(method)) is None:
                reply = fail(
                    405, "method_not_allowed", "Method not allowed",
                    f"{method[:20]} is not allowed on {route.template}; use {route.allow}.",
                    headers=[("Allow", route.allow)],
                )  # fmt: skip
            elif op.source == "actions":
                reply = self._action(op, params, headers, body)
            else:
                reply = self._control(op, params, query, headers, body)
            if op is not None and self.self_check:
                self._check(op, reply)
        except SelfCheckError as exc:
            if self.strict:
                raise
            log.error("self-check failed: %s", exc)
            reply = fail(500, "self_check_failed", "Self-check failed", str(exc))
        except Exception:
            self.unexpected_errors += 1
            log.exception("unexpected error on %s %s", method[:20], path[:200])
            reply = fail(500, "internal_error", "Internal error", "The simulator failed; see its log.")
        if self.world.outbox:
            self.flush_outbox()
        data = reply.data
        if not isinstance(data, bytes):
            data = orjson.dumps(data)
        return reply.status, [("content-type", reply.ctype), *reply.headers], data

    def flush_outbox(self) -> None:
        now = self.world.clock.now()
        for url, event, payload in self.world.take_outbox():
            validator = self.spec.webhooks.get(event)
            if self.self_check and validator is not None and not validator.is_valid(payload):
                messages = [e.message for e in islice(validator.iter_errors(payload), 5)]
                log.error("self-check failed: %s webhook payload: %s", event, messages)
                if self.strict:
                    raise SelfCheckError(f"{event} webhook payload breaks the spec: {messages}")
            self.webhooks.dispatch(url, event, payload, now)

    # -- Call Actions
    def _action(self, op, params, headers, body) -> Reply:
        token = bearer(headers.get("authorization"))
        account = self.world.account_for_token(token) if token else None
        if account is None:
            detail = "Send an API token as Authorization: Bearer tvx_sk_live_... or tvx_sk_test_..."
            if token:
                detail = "The API token is not valid."
            challenge = 'Bearer realm="tryvox"' + (', error="invalid_token"' if token else "")
            return fail(401, "unauthorized", "Unauthorized", detail, headers=[("WWW-Authenticate", challenge)])
        extra = []
        if self.limiter is not None:
            allowed, extra = self.limiter.check(token)
            if not allowed:
                limit = self.limiter.limit
                return fail(
                    429, "rate_limited", "Too many requests",
                    f"Rate limit of {limit} requests per {self.limiter.window} s reached; retry after "
                    f"{extra[-1][1]} s.", headers=extra,
                )  # fmt: skip
        auth_id, call_uuid = params["auth_id"], params["call_uuid"]
        try:
            if auth_id != account.auth_id:
                raise DomainError(
                    403, "forbidden", "Forbidden", f"This API token does not belong to account {auth_id[:64]}."
                )
            if not op.params["call_uuid"].is_valid(call_uuid):
                raise DomainError(
                    404, "call_not_found", "Call not found", f"No call {call_uuid[:64]} in account {auth_id}."
                )
            self.world.check_call(auth_id, call_uuid)
            data = {}
            if op.body_types:
                data = self._body(op, headers, body)
                if isinstance(data, Reply):
                    data.headers.extend(extra)
                    return data
                data = {**op.defaults, **data}  # defaults come from the spec, not from Python
            result = ACTIONS[op.op_id](self.world, auth_id, call_uuid, data)
        except DomainError as err:
            return Reply(err.status, err.problem(), PROBLEM, extra)
        return Reply(200 if op.method == "DELETE" else 202, result, JSON, extra)

    def _body(self, op, headers, body):
        """The parsed, schema-valid request body, or the error Reply."""
        length = headers.get("content-length", "")
        if len(body) > MAX_BODY or (length.isdigit() and int(length) > MAX_BODY):
            size = length if length.isdigit() else f"over {MAX_BODY}"
            return fail(
                413, "payload_too_large", "Payload too large", f"The body is {size} bytes; the limit is {MAX_BODY}."
            )
        if not body and not op.body_required:
            return {}
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != JSON:
            return fail(
                415, "unsupported_media_type", "Unsupported media type",
                f"Send the body as application/json, not {media[:100] or 'without a Content-Type'}.",
            )  # fmt: skip
        try:
            data = parse_json(body)
        except ValueError as exc:  # also invalid UTF-8
            return fail(400, "invalid_json", "Malformed JSON", f"The body is not valid JSON: {str(exc)[:300]}")
        if op.body is not None and not op.body.is_valid(data):
            errors = field_errors(op.body.iter_errors(data))
            return fail(422, "validation_failed", "Validation failed", "The request body is invalid.", errors)
        return data

    # -- control plane
    def _control(self, op, params, query, headers, body) -> Reply:
        try:
            for name, value in params.items():
                if not op.params[name].is_valid(value):
                    raise DomainError(404, "call_not_found", "Call not found", f"No call {value[:64]}.")
            args = {}
            for name, value in parse_qsl(query or "", keep_blank_values=True):
                if name in op.query:
                    if not op.query[name].is_valid(value):
                        errors = [
                            {"pointer": "", "message": f"query parameter {name[:50]}: {value[:100]!r} is invalid"}
                        ]
                        return fail(
                            422, "validation_failed", "Validation failed", f"Query parameter {name} is invalid.", errors
                        )
                    args[name] = value
            data = {}
            if op.body_types:
                data = self._body(op, headers, body)
                if isinstance(data, Reply):
                    return data
            with self.world.lock:
                status, payload, *ctype = control.HANDLERS[op.op_id](self, params, args, data)
        except DomainError as err:
            return Reply(err.status, err.problem(), PROBLEM)
        return Reply(status, payload, ctype[0] if ctype else JSON)

    # -- self-check: every response must be one the spec declares
    def _check(self, op, reply: Reply) -> None:
        declared = op.responses.get(reply.status)
        where = f"{op.op_id} -> {reply.status}"
        if declared is None:
            raise SelfCheckError(f"{where}: status not declared (declared: {sorted(op.responses)})")
        media = reply.ctype.split(";", 1)[0]
        if declared.content:
            if media not in declared.content:
                raise SelfCheckError(f"{where}: content type {media} not declared ({list(declared.content)})")
            validator = declared.content[media]
            if validator is not None and not isinstance(reply.data, bytes) and not validator.is_valid(reply.data):
                messages = [e.message for e in islice(validator.iter_errors(reply.data), 5)]
                raise SelfCheckError(f"{where}: body breaks the schema: {messages}")
        sent = {name.lower(): value for name, value in reply.headers}
        for name, (required, validator) in declared.headers.items():
            if name not in sent:
                if required:
                    raise SelfCheckError(f"{where}: required header {name} missing")
                continue
            value = sent[name]
            if not (validator.is_valid(value) or (value.lstrip("-").isdigit() and validator.is_valid(int(value)))):
                raise SelfCheckError(f"{where}: header {name}={value!r} breaks the schema")
