"""The simulator's clock: real time when serving, manual in tests; both can be advanced."""

import time
from datetime import UTC, datetime

# Manual clocks start at a fixed instant so test output is reproducible.
MANUAL_START = 1_735_689_600.0  # 2025-01-01T00:00:00Z


class Clock:
    __slots__ = ("mode", "_start", "_offset")

    def __init__(self, manual: bool = False, start: float = MANUAL_START):
        self.mode = "manual" if manual else "real"
        self._start = start
        self._offset = 0.0

    def now(self) -> float:
        base = self._start if self.mode == "manual" else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        if not seconds > 0:
            raise ValueError("seconds must be positive")
        self._offset += float(seconds)
        return self.now()


def iso(ts: float) -> str:
    """RFC 3339 timestamp in UTC with milliseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
