"""Injected faults: the API misbehaving on demand (WireMock's fault simulation, tied to the simulated calls).

A `Fault` says which requests it takes (operation, account, call, probability, how many times) and what it
does to them: answer a documented error `status`, wait `delay_ms`, or break the connection (`reset`,
`close`, `truncate`); with `after="action"` the request is carried out first and then its own answer is lost or
late. `Faults` keeps them in the order they were added; the first that matches applies, as an `Applied` of that
request. Nothing here knows HTTP: the request pipeline (actions.py, canned.py) builds the response, the wire or the
in-process transport carries out the delay and the broken connection.
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
    after: str | None = None  # "action": carried out first, then the answer lost or late
    times: int = 1  # 0: until removed
    probability: float = 1.0
    auth_id: str | None = None
    call_uuid: str | None = None
    applied: int = 0

    @property
    def answers(self) -> bool:
        """Does it replace the answer (so the request must not reach the simulated calls)?"""
        return self.after is None and (self.status is not None or self.fault is not None)

    def takes(self, operation: str, auth_id: str | None, call_uuid: str | None) -> bool:
        return (
            self.operation in ("*", operation)
            and (self.auth_id is None or self.auth_id == auth_id)
            and (self.call_uuid is None or self.call_uuid == (call_uuid or "").lower())
        )

    def view(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


def refused(definition: dict[str, Any]) -> tuple[str, str] | None:
    """(pointer, why) when a schema-valid definition asks for what no request can get: `after` loses or delays the
    action's own answer, so it needs a `fault` or a `delay_ms`, and takes no `status` to answer instead."""
    if definition.get("after") is None:
        return None
    if definition.get("status") is not None or definition.get("example") is not None:
        return "/after", "after: action loses or delays the action's own answer; it takes no status or example"
    if definition.get("fault") is None and not definition.get("delay_ms"):
        return "/after", "after: action needs a connection fault (reset, close, truncate) or a delay_ms above 0"
    return None


class Applied:
    """One request's fault, as the wire carries it out (a `Disruption`: `delay_ms` and `fault`) and the journal
    keeps it. `abandoned` is set by the wire when the client left before a delayed answer was sent: that answer was
    lost too."""

    __slots__ = ("definition", "abandoned")

    def __init__(self, definition: Fault) -> None:
        self.definition = definition
        self.abandoned = False

    @property
    def delay_ms(self) -> int:
        return self.definition.delay_ms

    @property
    def fault(self) -> str | None:  # reset | close | truncate
        return self.definition.fault

    @property
    def carried_out(self) -> bool:
        """The request reached the simulated calls: a delay alone, or `after: action`."""
        return not self.definition.answers

    @property
    def lost(self) -> bool:
        """The answer never reached the client whole."""
        return self.definition.fault is not None or self.abandoned


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

    def match(self, operation: str, auth_id: str | None, call_uuid: str | None) -> Applied | None:
        """The first fault that takes this request, counted as applied (and removed once used up)."""
        for fault in self._faults.values():
            if not fault.takes(operation, auth_id, call_uuid):
                continue
            if fault.probability < 1 and self._random.random() >= fault.probability:
                continue
            fault.applied += 1
            if fault.times and fault.applied >= fault.times:
                del self._faults[fault.id]
            return Applied(fault)
        return None
