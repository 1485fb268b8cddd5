"""The invariants of the whole run: which action each id was answered for, and each token's rate-limit window.

`RunMemory` remembers the last `max_ids` ids (the oldest forgotten first) and each token's last rate-limit window
(`MAX_TOKENS` tokens, the first seen forgotten first). Times are on the clock of `now`, as `CallMemory`'s. It runs on
every exchange the validating proxy relays: written for speed (bench/proxy_rules.py measures it).

Two answers of a token are known to share a window when the later was counted before the earlier's window can
have ended (its Reset, rounded up, less a second). With windows of a second (`50/s`, RateLimit-Reset always 1) that
never holds, so a second way: a window lasts a second at least (RateLimit-Reset counts whole seconds), so at most one
window ends in any second. When two answers disagree as one window's never would (Remaining not lower, another
Limit, a later Reset), a window ended between them; every answer counted within a second of the earlier one's
request is then in the later one's window, and is held to it. Had no window ended there, that pair broke a rule
itself: what is found is a broken promise either way.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from sys import intern

from ..violations import Rule, Violation
from .declared import ACTION_IDS, DOCS, RUN, SPEC, Exchange, invariant, reading

MAX_IDS = 50_000  # action ids remembered: five for each call CallMemory keeps; 170 bytes an id, 8.1 MiB in all
MAX_TOKENS = 10_000  # rate-limit windows remembered, one per API token
# Seconds of slack when comparing times: rounding, and a send time taken from the answer's elapsed time (the
# contract suite's clients) may be a few milliseconds late.
SLACK = 0.05
MIN_WINDOW = 1.0  # seconds a rate-limit window lasts at least: RateLimit-Reset counts whole seconds


@dataclass(slots=True)
class Seen:
    """The last answer with RateLimit headers for one token: the headers as sent (read only when compared), and
    when its request was sent and its answer seen."""

    limit: str | None
    remaining: str | None
    reset: str | None
    sent: float
    received: float
    # When a window is known to have ended between the answer before and this one: when the request of the answer
    # before was sent. Answers counted within MIN_WINDOW of it are in this one's window.
    ended_after: float | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """An answer and the one before it for the same token, counted after it and before that one's window can have
    ended (that is before last.sent + Reset - 1, since Reset is rounded up): the two share one window."""

    last: Seen
    limit: int | None
    remaining: int
    reset: int | None
    last_limit: int | None
    last_remaining: int
    last_reset: int
    now: float
    after_an_end: bool = False  # known to share a window only as a window ended just before (see the docstring)

    @property
    def earlier(self) -> str:
        if self.after_an_end:
            return "earlier in the window: a window lasts a second at least, and one had just ended"
        return "earlier in the window"


def _number(value: str | None) -> int | None:
    """A header's whole number (None: absent, or not one)."""
    value = value.strip() if value is not None else ""
    return int(value) if value.isdigit() else None


def _action_id(ex: Exchange) -> str | None:
    if ex.operation not in ACTION_IDS or not 200 <= ex.status < 300 or not isinstance(ex.body, dict):
        return None
    value = ex.body.get(ACTION_IDS[ex.operation])
    return value if isinstance(value, str) else None


@invariant(
    Rule.FRESH_ACTION_ID,
    reads=RUN,
    source=f"{DOCS}: each action answers its own *_uuid; {SPEC} info.description (the POSTs answer 202 once "
    "the action has started; stop answers the call's running recording)",
    promise="an action id (transfer_uuid, recording_uuid, play_uuid, speak_uuid, dtmf_uuid) is never answered "
    "for two different actions: an accepted action's id is new, a stop names a recording of its call",
    applies=lambda run, ex, window: _action_id(ex) is not None,
)
def _fresh_action_id(run: RunMemory, ex: Exchange, window: Window | None) -> Violation | None:
    value = _action_id(ex)
    assert value is not None
    seen = run.ids.get(value.lower())
    if seen is None:
        return None
    key = ACTION_IDS[ex.operation]
    got = "{}, answered before as {} on call {}".format(value, *seen.split(" "))
    if ex.operation != "stopRecording":
        return Violation(Rule.FRESH_ACTION_ID, f"a new {key}", got)
    if seen != run.action(ex):
        return Violation(Rule.FRESH_ACTION_ID, "a recording_uuid started on this call", got)
    return None  # the recording started on this call


def _windowed(run: RunMemory, ex: Exchange, window: Window | None) -> bool:
    return window is not None


@invariant(
    Rule.RATE_LIMIT_CONSTANT,
    reads=RUN,
    source=f"{SPEC} components.headers RateLimit-Limit (requests allowed per window for this API token)",
    promise="within one window of a token, RateLimit-Limit stays the same (a window lasts a second at least)",
    applies=_windowed,
)
def _rate_limit_constant(run: RunMemory, ex: Exchange, w: Window) -> Violation | None:
    if w.limit is not None and w.last_limit is not None and w.limit != w.last_limit:
        return Violation(Rule.RATE_LIMIT_CONSTANT, f"RateLimit-Limit {w.last_limit} as {w.earlier}", str(w.limit))
    return None


@invariant(
    Rule.RATE_LIMIT_DECREASING,
    reads=RUN,
    source=f"{SPEC} components.headers RateLimit-Remaining (requests left in the current window); "
    "info.description (Rate limits: requests are limited per API token)",
    promise="within one window of a token, each later answer's RateLimit-Remaining is lower by one at least, down to 0 "
    "(a window lasts a second at least)",
    applies=_windowed,
)
def _rate_limit_decreasing(run: RunMemory, ex: Exchange, w: Window) -> Violation | None:
    most = max(w.last_remaining - 1, 0)
    if w.remaining > most:
        expected = f"RateLimit-Remaining at most {most} ({w.last_remaining} {w.earlier})"
        return Violation(Rule.RATE_LIMIT_DECREASING, expected, str(w.remaining))
    return None


@invariant(
    Rule.RATE_LIMIT_RESET,
    reads=RUN,
    source=f"{SPEC} components.headers RateLimit-Reset (seconds until the current window resets)",
    promise="within one window of a token, RateLimit-Reset counts down to one end: never later than an "
    "earlier answer gave it, never sooner (a window lasts a second at least)",
    applies=_windowed,
)
def _rate_limit_reset(run: RunMemory, ex: Exchange, w: Window) -> Violation | None:
    earliest = w.last.sent + w.last_reset - 1 - w.now  # the window ends after this many seconds from now
    if w.reset is not None and (w.reset > w.last_reset or w.reset <= earliest - SLACK):
        expected = f"RateLimit-Reset above {earliest:.1f} and at most {w.last_reset} ({w.earlier})"
        return Violation(Rule.RATE_LIMIT_RESET, expected, str(w.reset))
    return None


ON_RUN = reading(RUN)


class RunMemory:
    """What the whole run showed: which action each id was answered for and each token's last rate-limit window."""

    def __init__(self, now: Callable[[], float] = time.time, max_ids: int = MAX_IDS) -> None:
        self.now, self.max_ids = now, max_ids
        self.ids: dict[str, str] = {}  # id, lower case -> "<its field> <its call>", e.g. "play_uuid 650e…"
        self.order: deque[str] = deque()  # the ids, oldest first
        self.windows: dict[int, Seen] = {}  # hash of the request's Authorization header -> its last window

    @staticmethod
    def action(ex: Exchange) -> str:
        """What an id is answered for, as one string shared by every id of that call and field: no object of its
        own (a tuple per id, a container the garbage collector tracks, cost the proxy about 3% more CPU)."""
        return intern(f"{ACTION_IDS[ex.operation]} {(ex.call_uuid or '').lower()}")

    def observe(self, ex: Exchange, authorization: str | None, sent: float, checked: Counter[str]) -> list[Violation]:
        """Check `ex` against the run so far, then remember it; `sent`: when its request was sent."""
        now = self.now()
        token = hash(authorization) if authorization is not None and "ratelimit-remaining" in ex.headers else None
        window = self._window(ex, token, sent, now) if token is not None else None
        found = []
        for inv in ON_RUN:
            if inv.applies(self, ex, window):
                checked[inv.rule] += 1
                if (violation := inv.check(self, ex, window)) is not None:
                    found.append(violation)
        self._learn(ex, token, sent, now, window)
        return found

    def forget(self) -> None:
        self.ids.clear()
        self.order.clear()
        self.windows.clear()

    def clock_moved(self) -> None:
        """The API's clock jumped: any window may have ended."""
        self.windows.clear()

    def _window(self, ex: Exchange, token: int, sent: float, now: float) -> Window | None:
        last = self.windows.get(token)
        if last is None or sent < last.received:  # with requests in flight, not counted after it: nothing to read
            return None
        last_remaining, last_reset = _number(last.remaining), _number(last.reset)
        remaining = _number(ex.headers.get("ratelimit-remaining"))
        if last_reset is None or last_remaining is None or remaining is None:
            return None
        after_an_end = False
        if now >= last.sent + last_reset - 1 - SLACK:
            if last.ended_after is None or now >= last.ended_after + MIN_WINDOW - SLACK:
                return None  # the window may have ended: this is a new one
            after_an_end = True  # a window ended just before the last answer: no other can have ended since
        limit, reset = _number(ex.headers.get("ratelimit-limit")), _number(ex.headers.get("ratelimit-reset"))
        return Window(last, limit, remaining, reset, _number(last.limit), last_remaining, last_reset, now, after_an_end)

    @staticmethod
    def _ended_between(last: Seen, headers: Mapping[str, str]) -> bool:
        """Whether these headers disagree with the last answer's as no two answers of one window can: one ended."""
        remaining, last_remaining = _number(headers.get("ratelimit-remaining")), _number(last.remaining)
        limit, last_limit = _number(headers.get("ratelimit-limit")), _number(last.limit)
        reset, last_reset = _number(headers.get("ratelimit-reset")), _number(last.reset)
        return (
            (remaining is not None and last_remaining is not None and remaining > max(last_remaining - 1, 0))
            or (limit is not None and last_limit is not None and limit != last_limit)
            or (reset is not None and last_reset is not None and reset > last_reset)
        )

    def _learn(self, ex: Exchange, token: int | None, sent: float, now: float, window: Window | None = None) -> None:
        value = _action_id(ex)
        if value is not None and (uuid := value.lower()) not in self.ids:
            self.ids[uuid] = self.action(ex)
            self.order.append(uuid)
            if len(self.order) > self.max_ids:
                del self.ids[self.order.popleft()]
        if token is None:
            return
        headers = ex.headers
        limit, remaining, reset = (
            headers.get("ratelimit-limit"),
            headers.get("ratelimit-remaining"),
            headers.get("ratelimit-reset"),
        )
        last = self.windows.get(token)
        if last is None:
            if len(self.windows) >= MAX_TOKENS:
                del self.windows[next(iter(self.windows))]  # the token seen first
            self.windows[token] = Seen(limit, remaining, reset, sent, now)
            return
        if window is not None:
            ended_after = last.ended_after  # the same window: what is known of when it began still holds
        elif sent >= last.received and self._ended_between(last, headers):
            ended_after = last.sent
        else:
            ended_after = None
        last.limit, last.remaining, last.reset, last.sent, last.received = limit, remaining, reset, sent, now
        last.ended_after = ended_after
