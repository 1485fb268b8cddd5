"""Check real traffic against the spec, one exchange at a time, following each call's state (`tryvox-sim proxy`).

An exchange is a request and its answer as they crossed the wire. `Verifier.check` says which rules it broke,
and whose fault each is:
- the client's (the application's request): a bearer token, path parameters valid against their schemas, the
  body as the simulator itself reads it (`http.read_body`: size, media type, JSON, schema), a declared method;
- the API's (the answer): status, media type, body schema and headers as declared (`http.response_breaches`, the
  simulator's own self-check), an error answer with an undeclared status as a problem+json, a 2xx to a request
  that breaks the spec, and every invariant of invariants.py through an `Observer`, which learns each call's
  state from the traffic it sees (a state it did not see is never a violation).
Traffic to the simulator's control plane (when a simulator is behind the proxy) teaches the Observer, which holds
the call details and webhook deliveries it lists to what the API answered; paths neither spec has pass unchecked.
Every schema is the compiled `Spec` the simulator uses: nothing is re-typed here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any

import orjson

from ..contract.invariants import INVARIANTS, NO_BODY, Breach, Invariant, Observer
from ..contract.problems import Problem
from ..contract.spec import Operation, Spec
from ..sim.app import bearer, read_body, response_breaches
from ..sim.reply import PROBLEM

CLIENT, API = "client", "api"
SPEC = "openapi/call-actions.yaml"
CLIENT_RULES = {
    invariant.name: invariant
    for invariant in (
        Invariant("request-method", f"{SPEC} paths", "the method is one the spec declares on the path"),
        Invariant("request-auth", f"{SPEC} security (bearerAuth) on every operation",
                  "the request carries Authorization: Bearer <token>"),
        Invariant("request-path", f"{SPEC} components.parameters", "path parameters are valid against their schemas"),
        Invariant("request-size", f"{SPEC} PayloadTooLarge (413)", "the body is at most 64 KiB"),
        Invariant("request-content-type", f"{SPEC} requestBody.content", "the body is sent as application/json"),
        Invariant("request-json", f"{SPEC} requestBody.content", "the body is valid JSON"),
        Invariant("request-body", f"{SPEC} requestBody schemas", "the body is valid against the operation's schema"),
    )
}  # fmt: skip
API_RULES = {
    invariant.name: invariant
    for invariant in (
        Invariant("response-status", f"{SPEC} responses", "the status is one the spec declares for the operation"),
        Invariant("response-content-type", f"{SPEC} responses.*.content", "the media type is the one declared"),
        Invariant("response-body", f"{SPEC} responses.*.content.*.schema", "the body is valid against its schema"),
        Invariant("response-header", f"{SPEC} responses.*.headers",
                  "the headers the spec declares required are sent, and each declared header is valid"),
        Invariant("problem-json", f"{SPEC} info.description (Errors); RFC 9457",
                  "an error with an undeclared status is still an application/problem+json Problem"),
        Invariant("accepts-invalid", f"{SPEC} requestBody schemas and security",
                  "a request that breaks the spec is refused (4xx), never accepted"),
        *INVARIANTS.values(),
    )
}  # fmt: skip
PROBLEM_RULES = {  # the problem http.read_body raises -> (the client's rule it breaks, what was expected)
    "payload_too_large": ("request-size", "a body of at most 64 KiB"),
    "unsupported_media_type": ("request-content-type", "a body sent as application/json"),
    "invalid_json": ("request-json", "a JSON body"),
    "validation_failed": ("request-body", "a body valid against the operation's schema"),
}
BODY_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_DECODED = 16 * 1024 * 1024  # a compressed answer is checked only up to this size once decoded


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule one exchange broke: whose fault (`party`), in which operation, and which request it was."""

    party: str  # CLIENT (the application's request) or API (the answer)
    operation: str  # operationId, or "METHOD /path template" when the method is not declared
    rule: str
    expected: str
    got: str
    request: int  # the exchange's number, as in the HAR (`_tvxRequest`) and the printed lines
    method: str
    path: str
    status: int

    def line(self) -> str:
        who = "the API" if self.party == API else "the client"
        return (
            f"violation by {who} in {self.operation}, rule {self.rule}: expected {self.expected}, got {self.got} "
            f"(request #{self.request}: {self.method} {self.path} -> {self.status})"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
        answer_headers: Mapping[str, str], answer: bytes | None, sent: float | None = None,
    ) -> tuple[str | None, list[Violation]]:  # fmt: skip
        """(the operationId, or None when the exchange is no operation of the spec; the rules it broke). Header
        names are lower case; `answer` is the decoded body (None: it could not be decoded, so it is not checked);
        `sent` is when the request went upstream (wall-clock seconds; default: now)."""
        route, params = self.spec.match(path)
        if route is None:
            return None, []
        op = route.operations.get(method)

        def violations(party: str, operation: str, breaches: Iterator[Breach] | list[Breach]) -> list[Violation]:
            return [
                Violation(party, operation, b.rule, b.expected, b.got, number, method, path, status) for b in breaches
            ]

        if op is None:
            if not any(other.source == "actions" for other in route.operations.values()):
                return None, []
            refused = Breach("request-method", f"one of {route.allow}", method[:20])
            return None, violations(CLIENT, f"{method[:20]} {route.template}", [refused])  # no operation to count
        if op.source != "actions":  # the simulator's control plane: it teaches the state, and what its call
            data = self._json(answer_headers, answer)[0]  # details and webhooks say is held to the API's answers
            breaches = self.observer.observe_operation(op, params, body, status, answer_headers,
                                                       None if data is NO_BODY else data)  # fmt: skip
            return None, violations(API, op.op_id, breaches)
        found = violations(CLIENT, op.op_id, self._request(op, params, headers, body))
        breaches, data = self._answer(op, status, answer_headers, answer, bool(found))
        data = None if data is NO_BODY else data
        breaches += self.observer.observe_operation(
            op, params, body, status, answer_headers, data, authorization=headers.get("authorization"), sent=sent
        )
        return op.op_id, found + violations(API, op.op_id, breaches)

    def _request(
        self, op: Operation, params: dict[str, str], headers: Mapping[str, str], body: bytes
    ) -> Iterator[Breach]:
        authorization = headers.get("authorization")
        if op.secured and bearer(authorization) is None:
            yield Breach(
                "request-auth", "Authorization: Bearer <token>", "a malformed one" if authorization else "none"
            )
        for name, validator in op.params.items():
            if not validator.is_valid(params.get(name, "")):
                yield Breach("request-path", f"{name} valid against its schema", repr(params.get(name, "")[:100]))
        if not op.body_types:
            return
        try:
            read_body(op, headers, body)
        except Problem as problem:
            if problem.errors:
                got = "; ".join(f"{e['pointer'] or '(the body)'}: {e['message']}" for e in problem.errors)
            else:
                got = problem.detail
            yield Breach(*PROBLEM_RULES[problem.code], got)

    @staticmethod
    def _json(headers: Mapping[str, str], answer: bytes | None) -> tuple[Any, str | None]:
        """The parsed answer (NO_BODY when it is not JSON, or not checked) and why it would not parse."""
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if answer is None or not (media.endswith("/json") or media.endswith("+json")):
            return NO_BODY, None
        try:
            return orjson.loads(answer), None
        except orjson.JSONDecodeError as exc:
            return NO_BODY, f"invalid JSON: {str(exc)[:200]}"

    def _answer(
        self, op: Operation, status: int, headers: Mapping[str, str], answer: bytes | None, request_broken: bool
    ) -> tuple[list[Breach], Any]:
        """The answer's breaches and its parsed body (NO_BODY when there is none to read)."""
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        data, unparsed = self._json(headers, answer)
        found = response_breaches(op, status, media, data, headers)
        if unparsed is not None and status in op.responses:
            found.append(Breach("response-body", f"a {media} body", unparsed))
        if status >= 400 and status not in op.responses:
            if media != PROBLEM:
                found.append(Breach("problem-json", f"an error answer as {PROBLEM}", media or "no content type"))
            elif data is not NO_BODY and not self.problem.is_valid(data):
                messages = [e.message[:300] for e in islice(self.problem.iter_errors(data), 5)]
                found.append(Breach("problem-json", "a body valid against the Problem schema", "; ".join(messages)))
        if request_broken and 200 <= status < 300:
            found.append(Breach("accepts-invalid", "a 4xx refusal: the request breaks the spec", str(status)))
        return found, data
