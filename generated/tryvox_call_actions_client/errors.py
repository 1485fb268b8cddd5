"""Errors the client raises.

`APIError` is the base of all of them. A client made with ``raise_on_error=True`` raises an `APIStatusError`
subclass for every error answer instead of returning its `Problem`. Network failures raise `APIConnectionError`
(or `APITimeoutError`) whatever the setting; their ``request_sent`` says whether any of the request was written,
that is whether the call action may have been carried out. They are also httpx's `TransportError` (and
`TimeoutException`), so code written for the plain httpx exceptions keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from .models.field_error import FieldError
    from .models.problem import Problem


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class APIError(Exception):
    """Anything this client raises for a request that did not succeed."""


class APIStatusError(APIError):
    """The API answered with an error status. ``problem`` is the RFC 9457 body when there is one."""

    status: int
    code: str | None
    problem: Problem | None
    response: httpx.Response

    def __init__(self, response: httpx.Response, problem: Problem | None) -> None:
        self.response = response
        self.status = response.status_code
        self.problem = problem
        self.code = problem.code if problem is not None else None
        detail = problem.detail if problem is not None and isinstance(problem.detail, str) else None
        text = " ".join(part for part in (self.code, detail or (problem.title if problem else None)) if part)
        super().__init__(f"{self.status} {text}".rstrip())


class _WithFieldErrors(APIStatusError):
    """The logic of a status whose problem lists field errors (422: UnprocessableEntityError)."""

    @property
    def errors(self) -> list[FieldError]:
        errors = self.problem.errors if self.problem is not None else None
        return list(errors) if errors else []


class _WithRetryAfter(APIStatusError):
    """The logic of a status that says when to come back (429: RateLimitError)."""

    @property
    def retry_after(self) -> float | None:
        from ._retries import retry_after

        return retry_after(self.response.headers)


def status_error(response: httpx.Response) -> APIStatusError:
    """The error for an answer of status >= 400; its body must have been read."""
    from .models.problem import Problem

    problem = None
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = Problem.from_dict(body)
    except (ValueError, KeyError, TypeError):  # not JSON, or not a problem: the status still says what happened
        problem = None
    return STATUS_ERRORS.get(response.status_code, APIStatusError)(response, problem)


class APIConnectionError(APIError, httpx.TransportError):
    """The request got no answer. ``request_sent`` is False when nothing was written (the API cannot have
    processed it, and the client retries it), True when some or all of it was: the action may have been
    carried out, so the client never retries it."""

    def __init__(self, message: str, *, request: httpx.Request, request_sent: bool) -> None:
        super().__init__(message, request=request)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError, httpx.TimeoutException):
    """The request timed out (connect, write, read or waiting for a pooled connection)."""


# The per-status classes (their names, statuses and codes) are written from the spec and openapi/client-facts.yaml by
# tools/client_facts.py. They extend the bases above, and are this module's: imported from it, shown in tracebacks.
from . import _status_errors  # noqa: E402
from ._status_errors import *  # noqa: E402, F403

for _status_error in _status_errors.STATUS_ERRORS.values():
    _status_error.__module__ = __name__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "UnexpectedStatus",
    "status_error",
]
__all__ += _status_errors.__all__
