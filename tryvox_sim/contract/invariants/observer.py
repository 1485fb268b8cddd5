"""Every invariant, on exchanges given as HTTP: method, path, bodies as bytes, lower-case headers.

The one entry the consumers use: the simulator's self-check, the validating proxy and the contract suite. Call
Actions operations are checked; the simulator's control plane (when the traffic has it) teaches the memory (a call
view with status `completed`, the clock moved, a reset, a new call) and its call details and webhook deliveries are
checked against what the API answered. It counts, per invariant, the answers it applied to and the answers that
broke it (the contract suite's coverage).

Answers the simulator gives from the spec's examples (`Prefer`, an injected fault: marked `Preference-Applied` or
`tvx-sim-fault`) reuse the examples' ids and change no call: they are checked one by one, never remembered.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..conformance import NO_BODY, parsed_or_none
from ..violations import Violation
from .calls import CallMemory
from .declared import Contract, Exchange
from .exchange import exchange_violations
from .run import RunMemory

if TYPE_CHECKING:
    from ..spec import Operation, Spec


class Observer:
    def __init__(self, spec: Spec, now: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.memory = CallMemory(Contract.from_spec(spec), now)
        self.run: RunMemory | None = RunMemory(now)  # None leaves the run-wide rules out (bench/proxy_rules.py)
        self.checked: Counter[str] = Counter()  # invariant -> answers it applied to
        self.broken: Counter[str] = Counter()  # invariant -> answers that broke it

    @property
    def contract(self) -> Contract:
        return self.memory.contract

    def observe(
        self, method: str, path: str, request_body: bytes | None, status: int, headers: Mapping[str, str],
        body: bytes | None, *, authorization: str | None = None, sent: float | None = None,
    ) -> list[Violation]:  # fmt: skip
        route, params = self.spec.match(path)
        op = route.operations.get(method.upper()) if route is not None else None
        if op is None:
            return []
        response = parsed_or_none(body) if "json" in headers.get("content-type", "") else None
        return self.observe_operation(
            op, params, request_body, status, headers, None if response is NO_BODY else response,
            authorization=authorization, sent=sent,
        )  # fmt: skip

    def observe_operation(
        self, op: Operation, params: Mapping[str, str], request_body: bytes | None, status: int,
        headers: Mapping[str, str], response: Any, *, authorization: str | None = None, sent: float | None = None,
    ) -> list[Violation]:  # fmt: skip
        """`observe` once the operation is known and the answer parsed (None: no JSON answer); the validating
        proxy has both already. `authorization` is the request's header (rate limits are per token); `sent` when
        the request was sent, on the clock of `now` (default: now). Each violation's context names the operation,
        the call and the status."""
        if op.source != "actions":
            found = self._control(op.op_id, status, response)
        else:
            ex = Exchange(op.op_id, params.get("call_uuid"), parsed_or_none(request_body), status, headers, response)
            found = exchange_violations(ex, self.contract, self.checked)
            # An answer given from the spec's examples (Prefer, an injected fault) reuses their ids and changes no
            # call: it says nothing of the calls or of the run.
            if "preference-applied" not in headers and "tvx-sim-fault" not in headers:
                sent = self.memory.now() if sent is None else sent
                found += self.memory.observe(ex, self.checked, sent)
                if self.run is not None:
                    found += self.run.observe(ex, authorization, sent, self.checked)
        if not found:
            return found
        self.broken.update(violation.rule for violation in found)
        where = {"operation": op.op_id, "call_uuid": params.get("call_uuid"), "status": status}
        return [violation.at(**where) for violation in found]

    def webhook(self, event: str, payload: Any) -> list[Violation]:
        """A webhook the API sent (the simulator's own, as it sends it): checked against what the API answered."""
        found = self._webhook(event, payload)
        self.broken.update(violation.rule for violation in found)
        return [violation.at(webhook=event) for violation in found]

    def forget(self) -> None:
        """Start over (the world was reset, or the API behind started over)."""
        self.memory.calls.clear()
        if self.run is not None:
            self.run.forget()

    def _webhook(self, event: Any, payload: Any) -> list[Violation]:
        if not isinstance(payload, dict):
            return []
        if event == "callHangup":
            return self.memory.details(payload, self.checked)
        if event == "transferAnswered":
            return self.memory.transfer_answered(payload, self.checked)
        return []

    def _control(self, op_id: str, status: int, response: Any) -> list[Violation]:
        if status >= 300 or not isinstance(response, dict):
            return []
        if op_id == "advanceClock":
            self.memory.clock_moved()
            if self.run is not None:
                self.run.clock_moved()
        elif op_id == "resetWorld":
            self.forget()
        elif op_id == "listCalls" and isinstance(response.get("calls"), list):
            views = [view for view in response["calls"] if isinstance(view, dict)]
            return [violation for view in views for violation in self.memory.details(view, self.checked)]
        elif op_id == "listWebhooks" and isinstance(response.get("webhooks"), list):
            deliveries = [d for d in response["webhooks"] if isinstance(d, dict)]
            return [violation for d in deliveries for violation in self._webhook(d.get("event"), d.get("payload"))]
        elif isinstance(uuid := response.get("call_uuid"), str):  # one call's view
            if op_id == "createCall" and self._known(uuid):
                self.forget()  # a new call with an id seen before: the API behind started over (a seeded restart)
            self.memory.call_seen(uuid, str(response.get("status")))
            return self.memory.details(response, self.checked)
        return []

    def _known(self, uuid: str) -> bool:
        key = uuid.lower()
        return key in self.memory.calls or (self.run is not None and key in self.run.ids)
