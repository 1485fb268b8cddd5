"""What the spec documents, as lists to measure against: the denominators of every coverage report.

The contract suite's coverage (tryvox_contract/coverage.py: what a contract run reached) and the simulator's
integration coverage (sim/coverage.py: what an application's tests met) both count against these lists, read from
the two specs and never written by hand: the operations, each documented status and problem `code`, the kinds of
fault the control plane can inject (from its `FaultDefinition`), and the webhooks.
"""

from __future__ import annotations

from typing import Any

from .spec import Operation, Spec


def actions(spec: Spec) -> list[Operation]:
    """The Call Actions operations, in the spec's order."""
    return [op for op in spec.operations.values() if op.source == "actions"]


def documented_statuses(spec: Spec) -> list[tuple[Operation, int]]:
    return [(op, status) for op in actions(spec) for status in sorted(op.responses)]


def problem_codes(op: Operation, status: int) -> list[str]:
    """The problem `code`s the examples of one documented status name, in the spec's order (none for a success)."""
    codes: list[str] = []
    for _, value in op.responses[status].examples.values():
        code = value.get("code") if isinstance(value, dict) else None
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return codes


def documented_answers(spec: Spec) -> list[tuple[Operation, int, str | None]]:
    """Each documented status of each operation, once per problem code its examples name (None: no code)."""
    found: list[tuple[Operation, int, str | None]] = []
    for op, status in documented_statuses(spec):
        codes: list[str | None] = [*problem_codes(op, status)] or [None]
        found += [(op, status, code) for code in codes]
    return found


def _fault_fields(spec: Spec) -> dict[str, Any]:
    fields: dict[str, Any] = spec.control_doc["components"]["schemas"]["FaultFields"]["properties"]
    return fields


def fault_kinds(spec: Spec, op: Operation) -> list[tuple[str, str]]:
    """(kind, what it is) of each fault an application can meet on `op`, from what the control plane's
    FaultDefinition can inject and what the operation documents."""
    fields, kinds = _fault_fields(spec), []
    limited = op.responses.get(429)
    if limited is not None and limited.headers.get("retry-after", (False,))[0]:
        kinds.append(("retried_after_429", "sent again after a 429 with Retry-After"))
    if fields.get("status", {}).get("maximum", 0) >= 500:
        kinds.append(("server_error", "a 5xx answered"))
    broken = fields.get("fault", {}).get("enum", [])
    if broken:
        kinds.append(("broken_before", f"connection broken before the action ({', '.join(broken)})"))
    if "action" in fields.get("after", {}).get("enum", []):
        kinds.append(("lost_after", "answer lost after the action ran"))
    if "delay_ms" in fields:
        kinds.append(("timed_out", "answer later than the client waited (delay_ms)"))
    return kinds


def webhook_events(spec: Spec) -> list[str]:
    return list(spec.actions_doc.get("webhooks", {}))
