"""Check real traffic against the spec, one exchange at a time, following each call's state (`tryvox-sim proxy`).

An exchange is a request and its answer as they crossed the wire. `Verifier.check` says which rules it broke,
and whose fault each is (its violation's context: `party`, `operation`, and which exchange it was):
- the client's (the application's request): a bearer token, path parameters valid against their schemas, the
  body as the simulator itself reads it (`conformance.validated_body`: size, media type, JSON, schema), a declared
  method;
- the API's (the answer): status, media type, body schema and headers as declared (`conformance.response_violations`,
  the simulator's own self-check), an error answer with an undeclared status as a problem+json, a 2xx to a request
  that breaks the spec, and every invariant through an `Observer`, which learns each call's state from the traffic
  it sees (a state it did not see is never a violation).
Traffic to the simulator's control plane (when a simulator is behind the proxy) teaches the Observer, which holds
the call details and webhook deliveries it lists to what the API answered; paths neither spec has pass unchecked.
Every schema is the compiled `Spec` the simulator uses: nothing is re-typed here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

import orjson

from ..contract.conformance import NO_BODY, bearer, response_violations, validated_body
from ..contract.invariants import INVARIANTS, Observer
from ..contract.problems import Problem
from ..contract.spec import Operation, Spec
from ..contract.violations import Rule, Violation
from ..wire.response import PROBLEM

CLIENT, API = "client", "api"
SPEC = "openapi/call-actions.yaml"


@dataclass(frozen=True, slots=True)
class Checked:
    """A rule the proxy checks that is no invariant: where the spec states it, and what it promises."""

    rule: Rule
    source: str
    promise: str


CLIENT_RULES = {
    checked.rule: checked
    for checked in (
        Checked(Rule.REQUEST_METHOD, f"{SPEC} paths", "the method is one the spec declares on the path"),
        Checked(Rule.REQUEST_AUTH, f"{SPEC} security (bearerAuth) on every operation",
                "the request carries Authorization: Bearer <token>"),
        Checked(Rule.REQUEST_PATH, f"{SPEC} components.parameters", "path parameters are valid against their schemas"),
        Checked(Rule.REQUEST_SIZE, f"{SPEC} PayloadTooLarge (413)", "the body is at most 64 KiB"),
        Checked(Rule.REQUEST_CONTENT_TYPE, f"{SPEC} requestBody.content", "the body is sent as application/json"),
        Checked(Rule.REQUEST_JSON, f"{SPEC} requestBody.content", "the body is valid JSON"),
        Checked(Rule.REQUEST_BODY, f"{SPEC} requestBody schemas", "the body is valid against the operation's schema"),
    )
}  # fmt: skip
API_RULES: dict[Rule, Any] = {
    **{
        checked.rule: checked
        for checked in (
            Checked(Rule.RESPONSE_STATUS, f"{SPEC} responses", "the status is one the spec declares for the operation"),
            Checked(Rule.RESPONSE_CONTENT_TYPE, f"{SPEC} responses.*.content", "the media type is the one declared"),
            Checked(Rule.RESPONSE_BODY, f"{SPEC} responses.*.content.*.schema", "the body is valid against its schema"),
            Checked(Rule.RESPONSE_HEADER, f"{SPEC} responses.*.headers",
                    "the headers the spec declares required are sent, and each declared header is valid"),
            Checked(Rule.PROBLEM_JSON, f"{SPEC} info.description (Errors); RFC 9457",
                    "an error with an undeclared status is still an application/problem+json Problem"),
            Checked(Rule.ACCEPTS_INVALID, f"{SPEC} requestBody schemas and security",
                    "a request that breaks the spec is refused (4xx), never accepted"),
        )
    },
    **INVARIANTS,
}  # fmt: skip
PROBLEM_RULES = {  # the problem validated_body raises -> (the client's rule it breaks, what was expected)
    "payload_too_large": (Rule.REQUEST_SIZE, "a body of at most 64 KiB"),
    "unsupported_media_type": (Rule.REQUEST_CONTENT_TYPE, "a body sent as application/json"),
    "invalid_json": (Rule.REQUEST_JSON, "a JSON body"),
    "validation_failed": (Rule.REQUEST_BODY, "a body valid against the operation's schema"),
}
BODY_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_DECODED = 16 * 1024 * 1024  # a compressed answer is checked only up to this size once decoded


def party_of(violation: Violation) -> str:
    """Whose fault a violation the verifier found is: CLIENT (the application's request) or API (the answer)."""
    return str(violation.context["party"])


def as_dict(violation: Violation) -> dict[str, Any]:
    """A violation as the proxy's reports write it."""
    c = violation.context
    return {"party": c["party"], "operation": c["operation"], "rule": str(violation.rule),
            "expected": violation.expected, "got": violation.got, "request": c["request"], "method": c["method"],
            "path": c["path"], "status": c["status"]}  # fmt: skip


def line(violation: Violation) -> str:
    """How the proxy prints a violation: whose fault, where, and which exchange."""
    c = violation.context
    who = "the API" if c["party"] == API else "the client"
    return (
        f"violation by {who} in {c['operation']}, rule {violation.rule}: expected {violation.expected}, got "
        f"{violation.got} (request #{c['request']}: {c['method']} {c['path']} -> {c['status']})"
    )


def decode_body(body: bytes, content_encoding: str) -> bytes | None:
    """The body as sent before `Content-Encoding` (gzip, deflate); None when it cannot be decoded here."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    wbits = BODY_ENCODINGS.get(encoding)
    if wbits is None:
        return None
    decoder = zlib.decompressobj(wbits)
    try:
        decoded = decoder.decompress(body, MAX_DECODED)
    except zlib.error:
        return None
    return None if decoder.unconsumed_tail else decoded  # larger than MAX_DECODED: left unchecked


class Verifier:
    """Checks exchanges of the Call Actions API against `spec`; holds the calls' state learned so far."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.observer = Observer(spec)
        self.problem = spec.documents.validator(spec.actions_uri, "/components/schemas/Problem")

    def check(
        self, number: int, method: str, path: str, headers: Mapping[str, str], body: bytes, status: int,
        response_headers: Mapping[str, str], response: bytes | None, sent: float | None = None,
    ) -> tuple[str | None, list[Violation]]:  # fmt: skip
        """(the operationId, or None when the exchange is no operation of the spec; the rules it broke). Header
        names are lower case; `answer` is the decoded body (None: it could not be decoded, so it is not checked);
        `sent` is when the request went upstream (wall-clock seconds; default: now)."""
        route, params = self.spec.match(path)
        if route is None:
            return None, []
        op = route.operations.get(method)

        def blamed(party: str, operation: str, found: Iterator[Violation] | list[Violation]) -> list[Violation]:
            where = {"party": party, "operation": operation, "request": number, "method": method, "path": path,
                     "status": status}  # fmt: skip
            return [violation.at(**where) for violation in found]

        if op is None:
            if not any(other.source == "actions" for other in route.operations.values()):
                return None, []
            refused = Violation(Rule.REQUEST_METHOD, f"one of {route.allow}", method[:20])
            return None, blamed(CLIENT, f"{method[:20]} {route.template}", [refused])  # no operation to count
        if op.source != "actions":  # the simulator's control plane: it teaches the state, and what its call
            data = self._json(response_headers, response)[0]  # details and webhooks say is held to the API's answers
            found = self.observer.observe_operation(op, params, body, status, response_headers,
                                                    None if data is NO_BODY else data)  # fmt: skip
            return None, blamed(API, op.op_id, found)
        client = blamed(CLIENT, op.op_id, self._request(op, params, headers, body))
        api, data = self._response(op, status, response_headers, response, bool(client))
        data = None if data is NO_BODY else data
        api += self.observer.observe_operation(
            op, params, body, status, response_headers, data, authorization=headers.get("authorization"), sent=sent
        )
        return op.op_id, client + blamed(API, op.op_id, api)

    def _request(
        self, op: Operation, params: dict[str, str], headers: Mapping[str, str], body: bytes
    ) -> Iterator[Violation]:
        authorization = headers.get("authorization")
        if op.secured and bearer(authorization) is None:
            got = "a malformed one" if authorization else "none"
            yield Violation(Rule.REQUEST_AUTH, "Authorization: Bearer <token>", got)
        for name, validator in op.params.items():
            if not validator.is_valid(params.get(name, "")):
                yield Violation(Rule.REQUEST_PATH, f"{name} valid against its schema", repr(params.get(name, "")[:100]))
        if not op.body_types:
            return
        try:
            validated_body(op, headers, body)
        except Problem as problem:
            if problem.errors:
                got = "; ".join(f"{e['pointer'] or '(the body)'}: {e['message']}" for e in problem.errors)
            else:
                got = problem.detail
            yield Violation(*PROBLEM_RULES[problem.code], got)

    @staticmethod
    def _json(headers: Mapping[str, str], response: bytes | None) -> tuple[Any, str | None]:
        """The parsed answer (NO_BODY when it is not JSON, or not checked) and why it would not parse."""
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if response is None or not (media.endswith("/json") or media.endswith("+json")):
            return NO_BODY, None
        try:
            return orjson.loads(response), None
        except orjson.JSONDecodeError as exc:
            return NO_BODY, f"invalid JSON: {str(exc)[:200]}"

    def _response(
        self, op: Operation, status: int, headers: Mapping[str, str], response: bytes | None, request_broken: bool
    ) -> tuple[list[Violation], Any]:
        """The answer's violations and its parsed body (NO_BODY when there is none to read)."""
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        data, unparsed = self._json(headers, response)
        found = response_violations(op, status, media, data, headers)
        if unparsed is not None and status in op.responses:
            found.append(Violation(Rule.RESPONSE_BODY, f"a {media} body", unparsed))
        if status >= 400 and status not in op.responses:
            if media != PROBLEM:
                found.append(Violation(Rule.PROBLEM_JSON, f"an error answer as {PROBLEM}", media or "no content type"))
            elif data is not NO_BODY and not self.problem.is_valid(data):
                messages = [e.message[:300] for e in islice(self.problem.iter_errors(data), 5)]
                found.append(
                    Violation(Rule.PROBLEM_JSON, "a body valid against the Problem schema", "; ".join(messages))
                )
        if request_broken and 200 <= status < 300:
            found.append(Violation(Rule.ACCEPTS_INVALID, "a 4xx refusal: the request breaks the spec", str(status)))
        return found, data
