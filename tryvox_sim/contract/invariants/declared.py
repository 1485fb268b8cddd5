"""The one way to declare an invariant: its id, what it reads, where the spec makes the promise, what it applies
to, what it needs besides the API's answers, and its check.

    @invariant(Rule.ECHO, reads=EXCHANGE, source="…", promise="…", applies=_echoes)
    def _echo(ex: Exchange, contract: Contract) -> Violation | None: ...

What it reads decides its arguments:
- EXCHANGE, one request and its answer: `(ex: Exchange, contract: Contract)`;
- CALL, one call's history as the traffic showed it (calls.py): `(call: CallHistory, seen: Exchange | Sighting,
  now: float)`;
- RUN, the whole run (run.py): `(run: RunMemory, ex: Exchange, window: Window | None)`.
`applies` takes the same arguments and says whether the check has anything to look at: a check that ran is told
from one that had nothing to look at (the contract suite's coverage counts both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..violations import Rule, Violation

if TYPE_CHECKING:
    from ..spec import Spec

SPEC = "openapi/call-actions.yaml"
DOCS = "docs page (openapi/source/public-docs-page.txt)"
ECHOES = {"transferCall": "to", "playAudio": "url", "speakText": "text", "sendDtmf": "digits"}
ACTION_IDS = {
    "transferCall": "transfer_uuid",
    "startRecording": "recording_uuid",
    "stopRecording": "recording_uuid",
    "playAudio": "play_uuid",
    "speakText": "speak_uuid",
    "sendDtmf": "dtmf_uuid",
}
KEPT_FOR = 30 * 86400.0  # seconds a stopped recording is kept, and listed in its call's details (the spec)


class Scope(StrEnum):
    """What an invariant reads."""

    EXCHANGE = "one exchange"
    CALL = "one call's history"
    RUN = "the run"


EXCHANGE, CALL, RUN = Scope.EXCHANGE, Scope.CALL, Scope.RUN


@dataclass(frozen=True, slots=True)
class Invariant:
    rule: Rule
    reads: Scope
    source: str  # where in the spec or the docs the promise is made
    promise: str
    applies: Callable[..., bool]
    check: Callable[..., Violation | None]
    needs: str | None = None  # what only the simulator shows, when the API's answers never feed the check

    @property
    def name(self) -> str:
        return str(self.rule)


INVARIANTS: dict[Rule, Invariant] = {}  # every invariant, in the order of `Rule`: exchange, call, run
_ORDER = {rule: position for position, rule in enumerate(Rule)}


def invariant(
    rule: Rule, *, reads: Scope, source: str, promise: str, applies: Callable[..., bool], needs: str | None = None
) -> Callable[[Callable[..., Violation | None]], Callable[..., Violation | None]]:
    """Declare an invariant (see the module's docstring)."""

    def declare(check: Callable[..., Violation | None]) -> Callable[..., Violation | None]:
        if rule in INVARIANTS:
            raise ValueError(f"invariant {rule} is declared twice")
        INVARIANTS[rule] = Invariant(rule, reads, source, promise, applies, check, needs)
        declared = sorted(INVARIANTS.items(), key=lambda item: _ORDER[item[0]])
        INVARIANTS.clear()
        INVARIANTS.update(declared)
        return check

    return declare


def reading(scope: Scope) -> tuple[Invariant, ...]:
    return tuple(inv for inv in INVARIANTS.values() if inv.reads is scope)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request of an operation and its answer, as plain data."""

    operation: str  # operationId
    call_uuid: str | None
    request: Any  # the parsed JSON request body, or NO_BODY
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any  # the parsed JSON answer, or None


@dataclass(frozen=True)
class Contract:
    """What the invariants read from the spec: documented problem codes and titles, request defaults."""

    codes: Mapping[tuple[str, int], frozenset[str]]  # (operationId, status) -> codes its examples use
    titles: Mapping[str, str]  # code -> title of its examples
    defaults: Mapping[str, Mapping[str, Any]]  # operationId -> request body field -> spec default

    @classmethod
    def from_spec(cls, spec: Spec) -> Contract:
        """Built from a compiled `Spec` (its resolved documents and operations)."""
        codes: dict[tuple[str, int], set[str]] = {}
        titles: dict[str, str] = {}
        defaults: dict[str, Mapping[str, Any]] = {}
        resolve = spec.documents.resolve
        for op in spec.operations.values():
            if op.source != "actions":
                continue
            defaults[op.op_id] = dict(op.defaults)
            op_doc = spec.actions_doc["paths"][op.template][op.method.lower()]
            for status, resp in op_doc.get("responses", {}).items():
                resp, _, _ = resolve(resp, spec.actions_uri, "")
                media = resp.get("content", {}).get("application/problem+json", {})
                for example in media.get("examples", {}).values():
                    value = resolve(example, spec.actions_uri, "")[0].get("value", {})
                    codes.setdefault((op.op_id, int(status)), set()).add(value["code"])
                    titles.setdefault(value["code"], value["title"])
        return cls({k: frozenset(v) for k, v in codes.items()}, titles, defaults)
