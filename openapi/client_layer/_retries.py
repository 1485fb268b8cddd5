"""Retries that never repeat a call action, and errors instead of problems on request.

Hand-written (openapi/client_layer/, copied into the package by `make client`). The policy is the table
"Retries and timeouts" in the project's README. Every call action is non-idempotent (DTMF sent twice presses
the keys twice, a transfer sent twice dials twice) and the API has no idempotency key, so only what the API
cannot have processed is sent again: a 429, after its Retry-After and up to a cap, and a connection that failed
before any of the request was written. Anything else is returned or raised at once.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from .errors import APIConnectionError, APITimeoutError, status_error

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is the caller's decision, not the client's
BACKOFF_INITIAL, BACKOFF_MAX, BACKOFF_JITTER = 0.5, 8.0, 0.25

# Raised before any byte of the request was written: the API cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)
# Of those, the ones worth trying again (the others are configuration errors that would fail the same way).
RETRIED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Sleep = Callable[[float], Any]  # returns None, or an awaitable in async code


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date), None when absent or unusable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (ValueError, TypeError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is unusable


def backoff(retries_done: int) -> float:
    """Exponential, capped, with jitter so that clients that failed together do not come back together."""
    return min(BACKOFF_INITIAL * 2**retries_done, BACKOFF_MAX) * (1 - BACKOFF_JITTER * random.random())


class RetryPolicy:
    """What to do after an attempt: the seconds to wait before sending it again, or None to stop there."""

    def __init__(self, max_retries: int, max_retry_after: float) -> None:
        if max_retries < 0 or max_retry_after < 0:
            raise ValueError("max_retries and max_retry_after must be 0 or more")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after

    def after_answer(self, response: httpx.Response, retries_done: int) -> float | None:
        if response.status_code != 429 or retries_done >= self.max_retries:
            return None
        wait = retry_after(response.headers)
        if wait is None:  # a 429 was not processed: safe to send again, at the backoff's pace
            return backoff(retries_done)
        return wait if wait <= self.max_retry_after else None

    def after_failure(self, error: httpx.TransportError, retries_done: int) -> float | None:
        if not isinstance(error, RETRIED) or retries_done >= self.max_retries:
            return None
        return backoff(retries_done)


def connection_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    sent = not isinstance(error, NOT_SENT)
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    consequence = "the action may have been carried out" if sent else "nothing was sent"
    message = f"{type(error).__name__}: {error or 'no detail'} ({consequence})"
    return kind(message, request=request, request_sent=sent)


class _Retrying:
    """What RetryingClient and AsyncRetryingClient share: the decision after each attempt."""

    policy: RetryPolicy
    raise_on_error: bool

    def _after_failure(self, request: httpx.Request, retries_done: int, error: httpx.TransportError) -> float:
        """Seconds to wait before sending again, or raise the error the caller gets."""
        wait = self.policy.after_failure(error, retries_done)
        if wait is None:
            raise connection_error(error, request) from error
        return wait

    def _after_answer(self, response: httpx.Response, retries_done: int) -> float | None:
        """Seconds to wait before sending again; None when `response` is the answer (or raise its error)."""
        wait = self.policy.after_answer(response, retries_done)
        if wait is None and self.raise_on_error and response.status_code >= 400:
            raise status_error(response)
        return wait


class RetryingClient(_Retrying, httpx.Client):
    """httpx.Client whose `send` follows the policy; with raise_on_error, an error status raises. It reads every
    answer's body before returning it (the API's answers are small JSON), so that a body cut short is a failure
    after writing, like a reset."""

    def __init__(self, *, policy: RetryPolicy, raise_on_error: bool, sleep: Sleep | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy, self.raise_on_error, self._sleep = policy, raise_on_error, sleep or time.sleep

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        retries_done = 0
        while True:
            try:
                response = super().send(request, **kwargs)
                response.read()
            except httpx.TransportError as error:
                wait = self._after_failure(request, retries_done, error)
            else:
                answered = self._after_answer(response, retries_done)
                if answered is None:
                    return response
                wait = answered
                response.close()
            self._sleep(wait)
            retries_done += 1


class AsyncRetryingClient(_Retrying, httpx.AsyncClient):
    """RetryingClient for asyncio. A `sleep` given by the caller may return an awaitable or not."""

    def __init__(self, *, policy: RetryPolicy, raise_on_error: bool, sleep: Sleep | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy, self.raise_on_error, self._sleep = policy, raise_on_error, sleep or asyncio.sleep

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        retries_done = 0
        while True:
            try:
                response = await super().send(request, **kwargs)
                await response.aread()
            except httpx.TransportError as error:
                wait = self._after_failure(request, retries_done, error)
            else:
                answered = self._after_answer(response, retries_done)
                if answered is None:
                    return response
                wait = answered
                await response.aclose()
            slept = self._sleep(wait)
            if inspect.isawaitable(slept):
                await slept
            retries_done += 1


__all__ = ["AsyncRetryingClient", "RetryPolicy", "RetryingClient", "backoff", "retry_after"]
