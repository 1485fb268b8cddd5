"""A `Response`: what a handler gives the wire, and the wire sends. One class for every response of the package.

Made from JSON data (`Response.json`), from a `Problem` (`Response.problem`, the one RFC 9457 serialiser) or from
bytes as they are. The body is encoded once, when the response is made; `data` keeps the value it was encoded from,
so a check of the answer (the simulator's self-check) reads it without parsing the bytes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from ..contract.problems import Header, Problem

JSON = "application/json"
PROBLEM = "application/problem+json"
# How a response came to be, so a check knows how far to follow it: the simulated calls made it (schema and
# invariants), it is a documented example given without them (Prefer, a fault: schema only), or it is outside the
# contract (the simulator's own extensions: never checked against the spec).
MODELLED, CANNED, OUTSIDE_CONTRACT = 0, 1, 2


class Disruption(Protocol):
    """What the wire carries out instead of sending a response as it is: a delay, a broken connection. The wire sets
    `abandoned` when the client left before a delayed answer was sent."""

    abandoned: bool

    @property
    def delay_ms(self) -> int: ...

    @property
    def fault(self) -> str | None: ...  # reset | close | truncate


class Response:
    """`headers` are sent as they are, the media type first; `reason` is the status line's phrase (None: the
    standard one); `length` the Content-Length of an answer to HEAD (None: the body's own)."""

    __slots__ = ("status", "headers", "body", "data", "media_type", "fault", "origin", "reason", "length")

    def __init__(
        self, status: int, body: bytes, media_type: str | None = JSON, headers: Sequence[Header] = (),
        *, data: Any = None, reason: str | None = None,
    ) -> None:  # fmt: skip
        self.status = status
        self.body = body
        self.data = data  # the JSON value `body` encodes; None when the body was given as bytes
        self.media_type = media_type
        self.headers: list[Header] = [("content-type", media_type), *headers] if media_type else [*headers]
        self.fault: Disruption | None = None  # set by a handler that wants the answer delayed or the connection broken
        self.origin = MODELLED
        self.reason = reason
        self.length: int | None = None

    @classmethod
    def json(cls, status: int, data: Any, headers: Sequence[Header] = (), media_type: str = JSON) -> Response:
        return cls(status, orjson.dumps(data), media_type, headers, data=data)

    @classmethod
    def problem(cls, problem: Problem, extra: Sequence[Header] = ()) -> Response:
        """The RFC 9457 answer to `problem`; `extra` headers (rate-limit ones) go out too."""
        response = cls.json(problem.status, problem.body(), [*problem.headers, *extra], PROBLEM)
        if problem.outside_contract:
            response.origin = OUTSIDE_CONTRACT
        return response

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)
