"""What a handler answers: a `Reply` (status, JSON data or raw bytes, media type, extra headers).

`Reply.problem` is the one way a `Problem` becomes an answer, for `App.handle` and for server.py's
answers to requests that never reach it; `Reply.encode` is the one way an answer becomes an `Answer`
(status, headers, body bytes, and the fault the server or transport must carry out, if any).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from ..contract.problems import Header, Problem

if TYPE_CHECKING:
    from .faults import Fault

JSON = "application/json"
PROBLEM = "application/problem+json"
# How far the self-check follows an answer: the simulated calls made it (schema and invariants), it is a
# documented example given without them (Prefer, a fault: schema only), or it is outside the contract.
MODELLED, CANNED, OUTSIDE_CONTRACT = 0, 1, 2


class Answer(NamedTuple):
    """What App.handle returns; `fault` is for the server or transport to carry out (delay, broken connection)."""

    status: int
    headers: list[Header]
    body: bytes
    fault: "Fault | None" = None


class Reply:
    __slots__ = ("status", "data", "ctype", "headers", "origin", "fault")

    def __init__(self, status: int, data: Any, ctype: str = JSON, headers: list[Header] | None = None) -> None:
        self.status = status
        self.data = data  # JSON-serialisable, or bytes sent as they are
        self.ctype = ctype
        self.headers = headers if headers is not None else []
        self.origin = MODELLED
        self.fault: Fault | None = None

    @classmethod
    def problem(cls, problem: Problem, extra: Sequence[Header] = ()) -> "Reply":
        """The RFC 9457 answer to `problem`; `extra` headers (rate-limit ones) go out too."""
        reply = cls(problem.status, problem.body(), PROBLEM, [*problem.headers, *extra])
        if problem.outside_contract:
            reply.origin = OUTSIDE_CONTRACT
        return reply

    def encode(self) -> Answer:
        data = self.data if isinstance(self.data, bytes) else orjson.dumps(self.data)
        return Answer(self.status, [("content-type", self.ctype), *self.headers], data, self.fault)
