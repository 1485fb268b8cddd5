"""The six Call Actions, as the API answers them: the step of the pipeline that carries out an operation.

`Prefer` and faults come first: a documented example answers (canned.py) and the simulated calls are not touched;
a fault with `after: "action"` (or a delay alone) lets the request be carried out, then acts on its answer (which
carries no `tvx-sim-fault` header: observers must remember what it says, as for any answer the calls made).
Otherwise the request is checked in the order the API checks it: bearer token (401), rate limit (429), account
(403), call (404), body (413/415/400/422, with the spec's defaults filled in), then the `World` method named after
the operation, whose rules answer 409 and 422. Every refusal is a `Problem`, answered with the rate-limit headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..contract.conformance import bearer, validated_body
from ..contract.problems import CallNotFound, Forbidden, Header, Problem, RateLimited, Unauthorized
from ..contract.spec import Operation
from ..wire.http11 import Request
from ..wire.response import Response
from . import canned
from .simulation import Simulation


class CallActions:
    def __init__(
        self, sim: Simulation, handlers: dict[str, Callable[..., Any]], rate_limit: tuple[int, int] | None
    ) -> None:
        self.sim = sim
        self.handlers = handlers  # operationId -> World method (a dict tests may patch)
        self.rate_limit = rate_limit  # per token, the server's; an account may set its own

    def __call__(self, op: Operation, params: dict[str, str], request: Request) -> Response:
        prefer = request.headers.get("prefer")
        if prefer is not None and (response := canned.preferred(op, prefer)) is not None:
            return response
        faults = self.sim.faults
        if faults:
            applied = faults.match(op.op_id, params.get("auth_id"), params.get("call_uuid"))
            if applied is not None:
                fault = applied.definition
                response = canned.faulted(op, fault) if fault.answers else self.carry_out(op, params, request)
                response.fault = applied
                return response
        return self.carry_out(op, params, request)

    def carry_out(self, op: Operation, params: dict[str, str], request: Request) -> Response:
        world, headers = self.sim.world, request.headers
        token = bearer(headers.get("authorization"))
        account = world.account_for_token(token) if token else None
        if token is None or account is None:
            detail = "Send an API token as Authorization: Bearer tvx_sk_live_... or tvx_sk_test_..."
            if token:
                detail = "The API token is not valid."
            challenge = 'Bearer realm="tryvox"' + (', error="invalid_token"' if token else "")
            raise Unauthorized(detail, headers=[("WWW-Authenticate", challenge)])
        limits: list[Header] = []
        rate = account.rate_limit or self.rate_limit
        if rate is not None:
            allowed, limits = self.sim.limiter.check(token, *rate)
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
            world.check_call(auth_id, call_uuid)
            data = {**op.defaults, **validated_body(op, headers, request.body)} if op.body_types else {}
            result = self.handlers[op.op_id](auth_id, call_uuid, **data)
        except Problem as problem:
            return Response.problem(problem, limits)
        return Response.json(op.success, result, limits)
