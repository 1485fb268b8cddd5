"""Per-token rate limits: a fixed window on the simulator clock. The limit is the server's (`--rate-limit`)
or the account's own (`POST /_sim/accounts {rate_limit}`)."""

import math

from .clock import Clock

UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}


def parse_rate(text: str) -> tuple[int, int]:
    """'50/s' -> (50, 1); '600/min' -> (600, 60). A bare number means per second."""
    count, _, unit = str(text).strip().partition("/")
    try:
        limit, window = int(count), UNITS[unit or "s"]
    except (ValueError, KeyError):
        raise ValueError(f"rate limit must look like 50/s or 600/min, not {text!r}") from None
    if not 1 <= limit <= 1_000_000:
        raise ValueError("rate limit must be between 1 and 1000000 requests per window")
    return limit, window


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._windows: dict[str, list[float]] = {}  # token -> [window start, count]

    def check(self, token: str, limit: int, window: int) -> tuple[bool, list[tuple[str, str]]]:
        """Count one request against `limit` per `window` seconds; returns (allowed, RateLimit-* headers, plus
        Retry-After when refused)."""
        now = self.clock.now()
        start = math.floor(now / window) * window
        slot = self._windows.get(token)
        if slot is None or slot[0] != start:
            if len(self._windows) > 10_000:  # bound memory: tokens are few in practice
                self._windows.clear()
            slot = self._windows[token] = [start, 0]
        slot[1] += 1
        reset = max(1, math.ceil(start + window - now))
        allowed = slot[1] <= limit
        headers = [
            ("RateLimit-Limit", str(limit)),
            ("RateLimit-Remaining", str(max(0, limit - slot[1]))),
            ("RateLimit-Reset", str(reset)),
        ]
        if not allowed:
            headers.append(("Retry-After", str(reset)))
        return allowed, headers
