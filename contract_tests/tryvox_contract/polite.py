"""Polite runs: TVX_RATE_LIMIT (requests per second) caps what the suite sends, and a 429 is waited out.

Schemathesis 4.32.5's `--rate-limit` takes either a pace (`10/s`) or `auto` (retry a 429 after its
Retry-After), not both, so the runner asks it for `auto` and the pace comes from here: its `before_call`
hook (hooks.py) and the behaviour tests' transport call `pace()`. The behaviour tests'
clients retry a 429 the same way schemathesis does (at most 3 times, each wait at most 60 s), and each retry
is written to the run's journal, so the summary can count them.
"""

from __future__ import annotations

import os
import threading
import time
from functools import cache

import httpx

from tryvox_contract import journal

RATE_ENV = "TVX_RATE_LIMIT"
MAX_RETRIES = 3  # as schemathesis' `--rate-limit auto`
MAX_WAIT_S = 60.0


def parse_rate(text: str) -> float | None:
    """TVX_RATE_LIMIT as requests per second (None: no cap); ValueError names what is wrong."""
    if not text.strip():
        return None
    wrong = f"{RATE_ENV} (--rate-limit) must be"
    try:
        rate = float(text)
    except ValueError:
        raise ValueError(f"{wrong} a number of requests per second, not {text!r}") from None
    if not 0 < rate <= 10_000:
        raise ValueError(f"{wrong} above 0 and at most 10000 requests per second, not {text!r}")
    return rate


class Pacer:
    """Spaces requests at least 1/rate seconds apart (one per process, shared by every client in it)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@cache
def pacer() -> Pacer:
    return Pacer(parse_rate(os.environ.get(RATE_ENV, "")))


def pace() -> None:
    pacer().wait()


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429 asks to wait (Retry-After in seconds), capped; None when it says nothing usable."""
    value = response.headers.get("retry-after", "").strip()
    try:
        return min(max(float(value), 0.0), MAX_WAIT_S)
    except ValueError:
        return None


class PoliteTransport(httpx.BaseTransport):
    """httpx transport that keeps the pace and, with `retry`, sends a request again after a 429's Retry-After."""

    def __init__(self, retry: bool = True, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.retry = retry

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(MAX_RETRIES + 1):
            pace()
            response = self.inner.handle_request(request)
            delay = retry_after(response) if response.status_code == 429 and self.retry else None
            if delay is None or attempt == MAX_RETRIES:
                return response
            response.close()
            journal.record(by="retry", method=request.method, path=request.url.path, wait=delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns on its last attempt

    def close(self) -> None:
        self.inner.close()
