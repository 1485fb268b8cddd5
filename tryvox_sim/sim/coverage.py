"""Integration coverage: what an application's tests met, against what the spec documents (no HTTP in here).

Counted from the request journal and the webhook log, as facts: an answer (operation, status, problem code), a fault
met on an operation (a 429 sent again, a 5xx, a connection broken before the action, an answer lost after it, an
answer later than the client waited), a webhook delivery and how its receiver answered. The journal and the log are
rings that `POST /_sim/reset` clears: what leaves them is folded into `Coverage.folded` first, so coverage sees every
request since its own reset (`DELETE /_sim/coverage`), whatever the ring size and however often a suite resets.
The denominators come from the specs (contract/documented.py); `report` turns the facts into the JSON of
`GET /_sim/coverage` (openapi/simulator.yaml `Coverage`), which tools render (testing/coverage_report.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from ..contract.documented import actions, documented_answers, fault_kinds, webhook_events
from ..contract.spec import Spec
from .journal import Entry, Journal, carried_out
from .webhooks import Webhooks

Fact = tuple[Any, ...]
DIMENSIONS = {"answers": "Documented answers met", "faults": "Faults met", "webhooks": "Webhooks delivered"}


class Tally:
    """Facts and how often each was met; `last` remembers, per operation and call, whether the last answer was a
    429 (the next request on it is the application sending again)."""

    def __init__(self) -> None:
        self._facts: Counter[Fact] = Counter()
        self._plain: Counter[tuple[str, int]] = Counter()  # (operation, status) of plain answers, not yet facts
        self.last: dict[tuple[str, str], bool] = {}

    @property
    def facts(self) -> Counter[Fact]:
        """Every fact and how often it was met (the plain answers counted in one go, when they are read)."""
        if self._plain:
            for (operation, status), times in self._plain.items():
                self._facts[("requests",)] += times
                self._facts[("called", operation)] += times
                self._facts[("answer", operation, status, None)] += times
            self._plain.clear()
        return self._facts

    def copy(self) -> Tally:
        tally = Tally()
        tally._facts, tally.last = Counter(self.facts), dict(self.last)
        return tally

    def merge(self, other: Tally) -> None:
        """Another simulator's facts (the pytest plugin adds up every simulator of a run)."""
        self.facts.update(other.facts)

    def add_request(self, entry: Entry, params: Callable[[str], Mapping[str, str]]) -> None:
        """Count one journal entry; `params` gives a path's parameters. This runs for every request once the journal
        is full (the entry it lets go is folded in), so a plain answer is one count, and the path is matched only when
        a 429 is in play."""
        operation, status = entry[5], entry[8]
        if operation is not None and status < 400 and entry[10] is None and not self.last:
            self._plain[(operation, status)] += 1
            return
        facts = self.facts
        facts[("requests",)] += 1
        if operation is None:
            return
        facts[("called", operation)] += 1
        applied = entry[10]
        lost = applied is not None and applied.lost
        if not lost:
            facts[("answer", operation, status, _code(entry[9]) if status >= 400 else None)] += 1
            if status >= 500:
                facts[("fault", operation, "server_error")] += 1
        if applied is not None:
            done = carried_out(entry)
            if applied.fault is not None and not done:  # nothing was done (refused, or a fault before the action)
                facts[("fault", operation, "broken_before")] += 1
            if done and lost:
                facts[("fault", operation, "lost_after")] += 1
            if applied.delay_ms and applied.abandoned:
                facts[("fault", operation, "timed_out")] += 1
        refused = status == 429 and not lost
        if not self.last and not refused:
            return
        key = (operation, params(entry[3]).get("call_uuid", "").lower())
        if self.last.pop(key, False):
            facts[("fault", operation, "retried_after_429")] += 1
        if refused:
            if len(self.last) >= 10_000:  # bounded: forget the oldest call
                self.last.pop(next(iter(self.last)))
            self.last[key] = True

    def add_webhook(self, record: Mapping[str, Any]) -> None:
        self.facts[("webhooks",)] += 1
        self.facts[("webhook", record["event"], record["status"], record.get("response_status"))] += 1


def _code(response: bytes) -> str | None:
    try:
        body = orjson.loads(response)
    except orjson.JSONDecodeError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


class Coverage:
    """The facts of one simulator since its coverage was last reset: those folded from what left the journal and the
    webhook log, plus what they hold now."""

    def __init__(self, journal: Journal, webhooks: Webhooks) -> None:
        self.journal, self.webhooks = journal, webhooks
        self.folded = Tally()
        self.since_request = 0  # journal entries up to this number are not counted
        self.since_webhook = 0  # nor webhook records up to this id
        journal.leaving = self._request_leaves
        webhooks.leaving = self._webhook_leaves

    def _request_leaves(self, seq: int, entry: Entry) -> None:
        if seq > self.since_request:
            self.folded.add_request(entry, self.journal.params)

    def _webhook_leaves(self, record: Mapping[str, Any]) -> None:
        if record["id"] > self.since_webhook:
            self.folded.add_webhook(record)

    def tally(self) -> Tally:
        tally = self.folded.copy()
        for seq, entry in self.journal.numbered():
            if seq > self.since_request:
                tally.add_request(entry, self.journal.params)
        for record in self.webhooks.list():
            if record["id"] > self.since_webhook:
                tally.add_webhook(record)
        return tally

    def reset(self) -> None:
        self.folded = Tally()
        self.since_request = self.journal.last_seq
        self.since_webhook = max((record["id"] for record in self.webhooks.list()), default=self.since_webhook)


def _item(item_id: str, dimension: str, operation: str | None, met: int, counted: bool, detail: str) -> dict[str, Any]:
    return {"id": item_id, "dimension": dimension, "operation": operation, "met": met, "counted": counted,
            "detail": detail}  # fmt: skip


def _receivers(facts: Counter[Fact], event: str) -> tuple[int, str]:
    """(deliveries the receiver answered 2xx, how every delivery of `event` went)."""
    outcomes: Counter[str] = Counter()
    for (kind, *rest), times in facts.items():
        if kind == "webhook" and rest[0] == event:
            status, answered = rest[1], rest[2]
            outcomes[f"receiver answered {answered}" if answered is not None else status] += times
    delivered = sum(times for (kind, *rest), times in facts.items()
                    if kind == "webhook" and rest[0] == event and rest[1] == "delivered")  # fmt: skip
    return delivered, ", ".join(f"{what} ×{times}" for what, times in sorted(outcomes.items()))


def report(spec: Spec, tally: Tally) -> dict[str, Any]:
    """The JSON of `GET /_sim/coverage` for these facts."""
    facts = tally.facts
    answered: Counter[tuple[str, int, str | None]] = Counter()
    called: set[str] = set()
    for (kind, *rest), times in facts.items():
        if kind == "answer":
            answered[(rest[0], rest[1], rest[2])] += times
        elif kind == "called":
            called.add(rest[0])
    items: list[dict[str, Any]] = []
    answers = documented_answers(spec)
    for op in actions(spec):
        counted = op.op_id in called
        for answer_op, status, code in answers:
            if answer_op is op:
                met = answered[(op.op_id, status, code)]
                label = f"{op.op_id} {status}" + (f" {code}" if code else "")
                items.append(_item(label, "answers", op.op_id, met, counted, ""))
        for kind, title in fault_kinds(spec, op):
            met = facts[("fault", op.op_id, kind)]
            items.append(_item(f"{op.op_id}: {title}", "faults", op.op_id, met, counted, kind))
    for event in webhook_events(spec):
        delivered, detail = _receivers(facts, event)
        seen = bool(detail)
        detail = detail or "no delivery recorded (no call gave a URL for it)"
        items.append(_item(f"webhook {event}: receiver answered 2xx", "webhooks", None, delivered, seen, detail))
    return summary(items, facts[("requests",)], facts[("webhooks",)], [op.op_id for op in actions(spec)], called)


def summary(items: list[dict[str, Any]], requests: int, webhooks: int, operations: Iterable[str],
            called: set[str]) -> dict[str, Any]:  # fmt: skip
    counted = [item for item in items if item["counted"]]
    met = sum(1 for item in counted if item["met"])
    dimensions = {}
    for name, title in DIMENSIONS.items():
        mine = [item for item in counted if item["dimension"] == name]
        mine_met = sum(1 for item in mine if item["met"])
        percent = _percent(mine_met, len(mine))
        dimensions[name] = {"title": title, "met": mine_met, "total": len(mine), "percent": percent}
    return {
        "requests": requests,
        "webhooks": webhooks,
        "met": met,
        "total": len(counted),
        "percent": _percent(met, len(counted)),
        "dimensions": dimensions,
        "items": items,
        "never_met": [item["id"] for item in counted if not item["met"]],
        "not_called": [name for name in operations if name not in called],
    }


def _percent(met: int, total: int) -> float:
    return round(100.0 * met / total, 1) if total else 0.0
