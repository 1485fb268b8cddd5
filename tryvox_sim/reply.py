"""What a handler answers: a `Reply` (status, JSON data or raw bytes, media type, extra headers).

`Reply.problem` is the one way a `Problem` becomes an answer, for `App.handle` and for server.py's
answers to requests that never reach it; `Reply.encode` is the one way an answer becomes bytes.
"""

from collections.abc import Sequence
from typing import Any

import orjson

from .problems import Header, Problem

JSON = "application/json"
PROBLEM = "application/problem+json"
Response = tuple[int, list[Header], bytes]  # status, headers, body: what App.handle returns


class Reply:
    __slots__ = ("status", "data", "ctype", "headers")

    def __init__(self, status: int, data: Any, ctype: str = JSON, headers: list[Header] | None = None) -> None:
        self.status = status
        self.data = data  # JSON-serialisable, or bytes sent as they are
        self.ctype = ctype
        self.headers = headers if headers is not None else []

    @classmethod
    def problem(cls, problem: Problem, extra: Sequence[Header] = ()) -> "Reply":
        """The RFC 9457 answer to `problem`; `extra` headers (rate-limit ones) go out too."""
        return cls(problem.status, problem.body(), PROBLEM, [*problem.headers, *extra])

    def encode(self) -> Response:
        data = self.data if isinstance(self.data, bytes) else orjson.dumps(self.data)
        return self.status, [("content-type", self.ctype), *self.headers], data
