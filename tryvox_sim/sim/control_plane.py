"""The control plane's step of the pipeline: its path and query parameters and body checked against
openapi/simulator.yaml, then the function of control.py named after the operation, under the world's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from ..contract.conformance import validated_body
from ..contract.problems import CallNotFound, FieldError, ValidationFailed
from ..contract.spec import Operation
from ..wire.http11 import Request
from ..wire.response import Response
from .simulation import Simulation


class ControlPlane:
    def __init__(self, sim: Simulation, handlers: dict[str, Callable[..., Any]]) -> None:
        self.sim = sim
        self.handlers = handlers  # operationId -> function of control.py

    def __call__(self, op: Operation, params: dict[str, str], request: Request) -> Response:
        for name, value in params.items():
            if not op.params[name].is_valid(value):
                raise CallNotFound(f"No call {value[:64]}.")
        args = {}
        for name, value in parse_qsl(request.query or "", keep_blank_values=True):
            if name in op.query:
                if not op.query[name].is_valid(value):
                    message = f"query parameter {name[:50]}: {value[:100]!r} is invalid"
                    raise ValidationFailed(
                        f"Query parameter {name} is invalid.", errors=[FieldError(pointer="", message=message)]
                    )
                args[name] = value
        data = validated_body(op, request.headers, request.body) if op.body_types else {}
        with self.sim.world.lock:
            response: Response = self.handlers[op.op_id](self.sim, params, args, data)
        return response
