"""Giving freed memory back to the system after large releases: the retention sweep, a reset.

Memory the simulator frees stays with the process: glibc's malloc gives back only the free top of its heap, so
after a sweep that dropped thousands of calls RSS stays at its peak (bench/results.md, "Where the memory goes").
glibc's `malloc_trim(0)` gives back every free page of the heap. It walks the whole heap (a few ms for 100 MB),
so it runs after large releases only, at most once per MIN_INTERVAL seconds, never per request. Where the C
library has no `malloc_trim` (musl, macOS, Windows) nothing is trimmed and nothing else changes.
"""

import ctypes
import time
from collections.abc import Callable

MANY_CALLS = 1000  # calls dropped since the last trim that make one worth its cost
MIN_INTERVAL = 1.0  # seconds between two trims


def malloc_trim() -> Callable[[], object] | None:
    """glibc's `malloc_trim(0)`, or None where the C library has none."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # no such function (musl, macOS) or no dlopen(NULL) (Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class Trimmer:
    """Trims once enough was released, and not sooner than MIN_INTERVAL after the last trim (a trim owed then
    is made by a later call: the server's housekeeping makes one every tenth of a second)."""

    def __init__(self, trim: Callable[[], object] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.trim = trim
        self.clock = clock
        self.trims = 0  # trims made
        self._owed = False
        self._dropped = 0  # calls dropped up to the last trim
        self._last = -MIN_INTERVAL

    def after(self, dropped: int, reset: bool = False) -> bool:
        """`dropped`: calls dropped by retention so far (a running count); `reset`: everything was let go.
        True when it trimmed."""
        if reset or dropped - self._dropped >= MANY_CALLS:
            self._owed = True
        now = self.clock()
        if not self._owed or now - self._last < MIN_INTERVAL or self.trim is None:
            return False
        self.trim()
        self._owed, self._dropped, self._last = False, dropped, now
        self.trims += 1
        return True
