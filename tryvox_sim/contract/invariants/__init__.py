"""Promises of the Call Actions API that tie fields together, beyond what one JSON Schema per response says.

Each invariant is declared once, the same way (declared.py): its id (`Rule`), what it reads (one exchange, one
call's history, the run), the place in the spec or the docs page the promise comes from, and its check. Three
consumers run them, through `Observer` only: the simulator's self-check (it refuses to send an answer that breaks
one), the validating proxy (`tryvox-sim proxy`, on real traffic) and the contract suite (a schemathesis check per
invariant, and its behaviour tests). They take plain data, so they know nothing of HTTP servers or clients.
"""

from ..conformance import NO_BODY
from ..violations import Rule, Violation
from .calls import CallHistory, CallMemory, Sighting
from .declared import (
    ACTION_IDS,
    CALL,
    ECHOES,
    EXCHANGE,
    INVARIANTS,
    RUN,
    Contract,
    Exchange,
    Invariant,
    Scope,
    invariant,
)
from .exchange import exchange_violations
from .observer import Observer
from .run import MAX_IDS, RunMemory

__all__ = [
    "ACTION_IDS", "CALL", "ECHOES", "EXCHANGE", "INVARIANTS", "MAX_IDS", "NO_BODY", "RUN", "CallHistory", "CallMemory",
    "Contract", "Exchange", "Invariant", "Observer", "Rule", "RunMemory", "Scope", "Sighting", "Violation",
    "exchange_violations", "invariant",
]  # fmt: skip
