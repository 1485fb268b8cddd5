"""Injected faults: the API misbehaving on demand (WireMock's fault simulation, tied to the simulated calls).

A `Fault` says which requests it takes (operation, account, call, probability, how many times) and what it
does to them: answer a documented error `status`, wait `delay_ms`, or break the connection (`reset`,
`close`, `truncate`). `Faults` keeps them in the order they were added; the first that matches applies.
Nothing here knows HTTP: the request pipeline (actions.py) builds the response, the wire or the in-process transport
carries out the delay and the broken connection.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass
from typing import Any

CONNECTION_FAULTS = ("reset", "close", "truncate")
OUTSIDE_CONTRACT = (500, 502, 503, 504)  # allowed as injected statuses although no operation documents them


@dataclass(slots=True)
class Fault:
    id: str
    operation: str  # an operationId, or "*"
    status: int | None = None
    example: str | None = None
    delay_ms: int = 0
    fault: str | None = None  # reset | close | truncate
    times: int = 1  # 0: until removed
    probability: float = 1.0
    auth_id: str | None = None
    call_uuid: str | None = None
    applied: int = 0

    @property
    def answers(self) -> bool:
        """Does it replace the answer (so the request must not reach the simulated calls)?"""
        return self.status is not None or self.fault is not None

    def takes(self, operation: str, auth_id: str | None, call_uuid: str | None) -> bool:
        return (
            self.operation in ("*", operation)
            and (self.auth_id is None or self.auth_id == auth_id)
            and (self.call_uuid is None or self.call_uuid == (call_uuid or "").lower())
        )

    def view(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


class Faults:
    """The faults in force. `match` is called on every API request: with none defined it costs one test."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)
        self._random = random.Random(seed)  # probabilities repeat run to run under --seed

    def __bool__(self) -> bool:
        return bool(self._faults)

    def add(self, definition: dict[str, Any]) -> Fault:
        """`definition` is schema-valid (openapi/simulator.yaml FaultDefinition) and checked by the caller."""
        fault = Fault(id=f"f{next(self._ids)}", **definition)
        if fault.call_uuid is not None:
            fault.call_uuid = fault.call_uuid.lower()
        self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults.values())

    def remove(self, fault_id: str) -> Fault | None:
        return self._faults.pop(fault_id, None)

    def clear(self) -> int:
        removed = len(self._faults)
        self._faults.clear()
        return removed

    def match(self, operation: str, auth_id: str | None, call_uuid: str | None) -> Fault | None:
        """The first fault that takes this request, counted as applied (and removed once used up)."""
        for fault in self._faults.values():
            if not fault.takes(operation, auth_id, call_uuid):
                continue
            if fault.probability < 1 and self._random.random() >= fault.probability:
                continue
            fault.applied += 1
            if fault.times and fault.applied >= fault.times:
                del self._faults[fault.id]
            return fault
        return None
