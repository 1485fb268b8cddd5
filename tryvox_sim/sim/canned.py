"""Answers the spec documents, given without touching the simulated calls: for `Prefer` and for faults.

`Prefer: code=409, example=recording_already_running` (RFC 7240 syntax, as Prism users write it) picks an
operation's documented response and example; a fault with `status` answers that status's documented
example. Either way the answer is the spec's example with the headers the spec requires for it, and the
request changes no state.
"""

from __future__ import annotations

from ..contract.problems import (
    BadGateway,
    GatewayTimeout,
    InternalError,
    PreferNotAvailable,
    Problem,
    ServiceUnavailable,
)
from ..contract.spec import Operation
from ..wire.response import CANNED, OUTSIDE_CONTRACT, Response
from .faults import Fault

SERVER_ERRORS: dict[int, type[Problem]] = {
    500: InternalError, 502: BadGateway, 503: ServiceUnavailable, 504: GatewayTimeout,
}  # fmt: skip
RETRY_AFTER = "1"  # seconds, on an injected 503 (the spec documents no 503 to take it from)


def parse_prefer(value: str) -> dict[str, str]:
    """`code=409, example="x"; wait=5` -> {"code": "409", "example": "x", "wait": "5"} (names lower-cased)."""
    found: dict[str, str] = {}
    for part in value.replace(";", ",").split(","):
        name, _, raw = part.partition("=")
        if name.strip():
            found.setdefault(name.strip().lower(), raw.strip().strip('"'))
    return found


def available(op: Operation) -> str:
    codes = ", ".join(str(status) for status in sorted(op.responses))
    examples = "; ".join(f"{status} {' '.join(declared.examples)}" for status, declared in sorted(op.responses.items()))
    return f"Codes: {codes}. Examples: {examples}."


def documented(op: Operation, status: int, example: str | None = None) -> Response:
    """The documented `status` answer of `op`, with its example (`example`, or the first) and the headers the
    spec requires for it. LookupError when the operation documents no such status or example."""
    declared = op.responses.get(status)
    if declared is None:
        raise LookupError(f"{op.op_id} documents no {status} response")
    if not declared.examples:
        raise LookupError(f"{op.op_id} documents no example for {status}")
    name = example if example is not None else next(iter(declared.examples))
    if name not in declared.examples:
        raise LookupError(f"{op.op_id} documents no example {name} for {status}")
    media, body = declared.examples[name]
    headers = [
        (header, example)
        for header, example in declared.header_examples.items()
        if declared.headers[header.lower()][0]  # required
    ]
    return Response.json(status, body, headers, media)


def preferred(op: Operation, prefer: str) -> Response | None:
    """The answer a `Prefer` header asks for, or None when it asks for nothing this simulator knows."""
    wanted = parse_prefer(prefer)
    code, example = wanted.get("code"), wanted.get("example")
    if code is None and example is None:
        return None
    try:
        if code is not None:
            if not code.isdigit():
                raise LookupError(f"code={code[:20]} is not a status code")
            response = documented(op, int(code), example)
        else:  # the example wherever it is documented, the success response first
            statuses = sorted(op.responses, key=lambda status: (status != op.success, status))
            status = next((s for s in statuses if example in op.responses[s].examples), None)
            if status is None:
                raise LookupError(f"{op.op_id} documents no example {str(example)[:100]}")
            response = documented(op, status, example)
    except LookupError as exc:
        raise PreferNotAvailable(f"{exc}. {available(op)}") from None
    applied = ", ".join(f"{name}={value}" for name, value in (("code", code), ("example", example)) if value)
    response.headers.append(("Preference-Applied", applied))
    response.origin = CANNED
    return response


def faulted(op: Operation, fault: Fault) -> Response:
    """The answer a fault gives in place of the operation's: its status (documented example, or an injected
    server error), else the documented success example (which `truncate` cuts; `reset`/`close` send nothing)."""
    status = fault.status if fault.status is not None else op.success
    if status in SERVER_ERRORS and status not in op.responses:
        problem = SERVER_ERRORS[status](f"Injected by the simulator (fault {fault.id}).")
        response = Response.problem(problem, [("Retry-After", RETRY_AFTER)] if status == 503 else ())
        response.origin = OUTSIDE_CONTRACT
    else:
        response = documented(op, status, fault.example)
        response.origin = CANNED
    response.headers.append(("tvx-sim-fault", fault.id))
    return response


def check_fault(ops: list[Operation], status: int | None, example: str | None) -> tuple[str, str] | None:
    """(pointer, why) when a fault's status or example cannot be answered on every operation it takes."""
    if status is None:
        return ("/example", "an example needs a status") if example is not None else None
    for op in ops:
        if status in SERVER_ERRORS and status not in op.responses:
            if example is not None:
                return "/example", f"an injected {status} is a plain problem: it has no examples"
            continue
        if status < 400 or status not in op.responses:
            errors = sorted(s for s in op.responses if s >= 400)
            return "/status", f"{op.op_id} documents no {status} response; its errors: {errors}, or 500, 502, 503, 504"
        if example is not None and example not in op.responses[status].examples:
            names = list(op.responses[status].examples)
            return "/example", f"{op.op_id} documents no example {example} for {status}: {names}"
    return None
