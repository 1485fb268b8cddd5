"""Retries that never repeat a call action, and errors instead of problems on request.

Hand-written (openapi/client_layer/, copied into the package by `make client`). The policy is the table
"Retries and timeouts" in the project's README. Every call action is non-idempotent (DTMF sent twice presses
the keys twice, a transfer sent twice dials twice) and the API has no idempotency key, so only what the API
cannot have processed is sent again: a 429, after its Retry-After and up to a cap, and a connection that failed
before any of the request was written. Anything else is returned or raised at once.
"""

from __future__ import annotations

import asyncio
import calendar
import inspect
import random
import re
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import httpx

from . import _logs

# The figures (openapi/client-facts.yaml, written into _facts.py by tools/client_facts.py) are the TypeScript SDK's too.
from ._facts import BACKOFF_INITIAL, BACKOFF_JITTER, BACKOFF_MAX
from .errors import APIConnectionError, APITimeoutError, status_error

# Raised before any byte of the request was written: the API cannot have acted on it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError, httpx.UnsupportedProtocol)
# Of those, the ones worth trying again (the others are configuration errors that would fail the same way).
RETRIED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Sleep = Callable[[float], Any]  # returns None, or an awaitable in async code


# Retry-After (RFC 9110 10.2.3) is delay-seconds (a fraction is accepted too) or an HTTP-date in any of its three
# forms (5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime ones a recipient must still read. Anything else is
# unusable. tests/client_behaviour.json "retry_after" holds this and the TypeScript SDK's retries.ts to the same cases.
DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")
HTTP_DATES = (  # (day, month, year, time) in the order each form writes them
    re.compile(r"[A-Z][a-z]{2}, (?P<day>\d\d) (?P<month>\w{3}) (?P<year>\d{4}) (?P<time>\d\d:\d\d:\d\d) GMT"),
    re.compile(r"[A-Z][a-z]{5,8}, (?P<day>\d\d)-(?P<month>\w{3})-(?P<year>\d\d) (?P<time>\d\d:\d\d:\d\d) GMT"),
    re.compile(r"[A-Z][a-z]{2} (?P<month>\w{3}) (?P<day>[ \d]\d) (?P<time>\d\d:\d\d:\d\d) (?P<year>\d{4})"),
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait from `now` (Unix seconds, default the clock's), None when absent
    or unusable; a date in the past is 0."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if DELAY_SECONDS.fullmatch(value):
        return float(value)
    now = time.time() if now is None else now
    when = http_date(value, now)
    return None if when is None else max(when - now, 0.0)


def http_date(value: str, now: float) -> float | None:
    """The Unix time of an HTTP-date, None when it is not one (a day that does not exist included)."""
    for form in HTTP_DATES:
        found = form.fullmatch(value)
        if found is None or found["month"] not in MONTHS:
            continue
        year, month, day = int(found["year"]), MONTHS.index(found["month"]) + 1, int(found["day"])
        hour, minute, second = (int(part) for part in found["time"].split(":"))
        if year < 100:  # RFC 850's two digits: the century that puts it no more than 50 years ahead
            year += 2000 if year + 2000 <= time.gmtime(now).tm_year + 50 else 1900
        if day > calendar.monthrange(year, month)[1] or day < 1 or hour > 23 or minute > 59 or second > 59:
            return None
        return float(calendar.timegm((year, month, day, hour, minute, second)))
    return None


def backoff(retries_done: int) -> float:
    """Exponential, capped, with jitter so that clients that failed together do not come back together."""
    return min(BACKOFF_INITIAL * 2**retries_done, BACKOFF_MAX) * (1 - BACKOFF_JITTER * random.random())


class Decision(NamedTuple):
    """After an attempt: the seconds to wait before sending it again (None: stop there), and why (logged)."""

    wait: float | None
    why: str


class RetryPolicy:
    """What to do after an attempt: send it again after a wait, or stop there."""

    def __init__(self, max_retries: int, max_retry_after: float) -> None:
        if max_retries < 0 or max_retry_after < 0:
            raise ValueError("max_retries and max_retry_after must be 0 or more")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after

    def after_answer(self, response: httpx.Response, retries_done: int) -> Decision:
        if response.status_code != 429:
            return Decision(None, "")  # the answer the caller gets: nothing to decide
        asked = retry_after(response.headers)
        if retries_done >= self.max_retries:
            return Decision(None, f"429 after {retries_done} of {self.max_retries} retries")
        if asked is None:  # a 429 was not processed: safe to send again, at the backoff's pace
            return Decision(backoff(retries_done), "429 without a usable Retry-After: the backoff")
        if asked > self.max_retry_after:
            longer = f"429 with Retry-After {asked:g} s, longer than the {self.max_retry_after:g} s waited"
            return Decision(None, longer)
        return Decision(asked, f"429 with Retry-After {asked:g} s")

    def after_failure(self, error: httpx.TransportError, retries_done: int) -> Decision:
        name = type(error).__name__
        if not isinstance(error, NOT_SENT):
            return Decision(None, f"{name} after the request was written: the action may have been carried out")
        if not isinstance(error, RETRIED):
            return Decision(None, f"{name}: it would fail the same way again")
        if retries_done >= self.max_retries:
            return Decision(None, f"{name}, no connection, after {retries_done} of {self.max_retries} retries")
        return Decision(backoff(retries_done), f"{name}, no connection: the backoff")


def connection_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    sent = not isinstance(error, NOT_SENT)
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    consequence = "the action may have been carried out" if sent else "nothing was sent"
    message = f"{type(error).__name__}: {error or 'no detail'} ({consequence})"
    return kind(message, request=request, request_sent=sent)


class _Retrying:
    """What RetryingClient and AsyncRetryingClient share: the decision after each attempt, and its log lines."""

    policy: RetryPolicy
    raise_on_error: bool

    def _after_failure(
        self, request: httpx.Request, retries_done: int, error: httpx.TransportError, started: float
    ) -> float:
        """Seconds to wait before sending again, or raise the error the caller gets."""
        sent = "nothing was sent" if isinstance(error, NOT_SENT) else "the action may have been carried out"
        outcome = f"no answer, {type(error).__name__} ({sent})"
        _logs.attempt(request, outcome, started, time.monotonic(), retries_done + 1)
        wait, why = self.policy.after_failure(error, retries_done)
        _logs.decision(wait, why, retries_done, self.policy.max_retries)
        if wait is None:
            raise connection_error(error, request) from error
        return wait

    def _after_answer(self, response: httpx.Response, retries_done: int, started: float) -> float | None:
        """Seconds to wait before sending again; None when `response` is the answer (or raise its error)."""
        _logs.attempt(response.request, str(response.status_code), started, time.monotonic(), retries_done + 1)
        _logs.body("received", response.request, response.content)
        wait, why = self.policy.after_answer(response, retries_done)
        if why:
            _logs.decision(wait, why, retries_done, self.policy.max_retries)
        if wait is None and self.raise_on_error and response.status_code >= 400:
            raise status_error(response)
        return wait


def _log_sent(request: httpx.Request) -> None:
    try:
        _logs.body("sent", request, request.content)
    except httpx.RequestNotRead:  # a streamed body, which the API never takes: nothing to show
        pass


class RetryingClient(_Retrying, httpx.Client):
    """httpx.Client whose `send` follows the policy; with raise_on_error, an error status raises. It reads every
    answer's body before returning it (the API's answers are small JSON), so that a body cut short is a failure
    after writing, like a reset."""

    def __init__(self, *, policy: RetryPolicy, raise_on_error: bool, sleep: Sleep | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy, self.raise_on_error, self._sleep = policy, raise_on_error, sleep or time.sleep
        _logs.setup_logging()

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        _log_sent(request)
        retries_done = 0
        while True:
            started = time.monotonic()
            try:
                response = super().send(request, **kwargs)
                response.read()
            except httpx.TransportError as error:
                wait = self._after_failure(request, retries_done, error, started)
            else:
                answered = self._after_answer(response, retries_done, started)
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
        _logs.setup_logging()

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        _log_sent(request)
        retries_done = 0
        while True:
            started = time.monotonic()
            try:
                response = await super().send(request, **kwargs)
                await response.aread()
            except httpx.TransportError as error:
                wait = self._after_failure(request, retries_done, error, started)
            else:
                answered = self._after_answer(response, retries_done, started)
                if answered is None:
                    return response
                wait = answered
                await response.aclose()
            slept = self._sleep(wait)
            if inspect.isawaitable(slept):
                await slept
            retries_done += 1


__all__ = ["AsyncRetryingClient", "Decision", "RetryPolicy", "RetryingClient", "backoff", "retry_after"]
