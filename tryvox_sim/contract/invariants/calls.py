"""The invariants of one call's history: what the traffic showed of a call, and what that state implies.

`CallMemory` learns each call's state from the exchanges it sees, and from the call seen elsewhere (`Sighting`: its
details on the simulator's control plane or in a hangup webhook, a transferAnswered webhook). It only asserts what
it saw: a state it does not know is never a violation. Bounded: the least recently seen calls are forgotten.
`now` is the API's clock in seconds: the simulator passes its own clock; a proxy uses wall time and calls
`clock_moved()` when it sees the simulator's clock advanced.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..violations import Rule, Violation
from .declared import CALL, DOCS, KEPT_FOR, SPEC, Contract, Exchange, invariant, reading

DETAILS, TRANSFER_ANSWERED = "details", "transfer-answered"


@dataclass(frozen=True, slots=True)
class Sighting:
    """A call seen elsewhere than in an answer of the API: its `details` (a call view of the control plane, a
    hangup webhook) or a `transfer-answered` webhook."""

    kind: str
    data: Mapping[str, Any]


@dataclass(slots=True)
class RecordingSeen:
    uuid: str
    format: str | None
    max_length: int | None
    started: float | None  # when its start was sent; None once the clock moved unseen (its age is unknown)
    certain: bool = True  # False once something unseen could have stopped it (clock moved, transfer)


@dataclass(slots=True)
class StopSeen:
    """A recording as a stop answered it: what its call's details and hangup webhook must list."""

    uuid: str  # lower case
    url: Any
    duration: Any
    listed_until: float | None  # listed at least until then; None once the clock moved unseen


@dataclass(slots=True)
class CallHistory:
    recording: RecordingSeen | None = None
    stopped: bool = False  # a stop was answered (or nothing ran) and no start was seen since
    completed: bool = False
    last_stop: StopSeen | None = None  # the recording the API last stopped on the call
    transfer: tuple[str, Any] | None = None  # the transfer last accepted on it: (transfer_uuid lower case, to)

    def running(self, now: float) -> RecordingSeen | None:
        """The recording known to run now (not one that may have stopped unseen, or by its max_length)."""
        rec = self.recording
        if rec is None or not rec.certain or rec.started is None:
            return None
        if rec.max_length is not None and now >= rec.started + rec.max_length:
            return None  # it may have stopped by itself
        return rec


def _ok(ex: Exchange) -> bool:
    return 200 <= ex.status < 300


@invariant(
    Rule.COMPLETED_CALL,
    reads=CALL,
    source=f"{DOCS} Notes, General (actions need an in-progress call)",
    promise="once a call is seen completed, every action on it is refused",
    applies=lambda call, seen, now: isinstance(seen, Exchange) and call.completed,
    needs="a call's status: the API's answers never say that a call has ended (a 409 call_not_in_progress is also "
    "a call ringing or being transferred); the simulator's control plane shows it",
)
def _completed_call(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    return Violation(Rule.COMPLETED_CALL, "a 409: the call was seen completed", f"{ex.status}") if _ok(ex) else None


@invariant(
    Rule.START_WHILE_RECORDING,
    reads=CALL,
    source=f"{SPEC} RecordingConflict (recording_already_running)",
    promise="a start while a recording still runs is a 409, not a 202",
    applies=lambda call, seen, now: (
        isinstance(seen, Exchange) and seen.operation == "startRecording" and call.running(now) is not None
    ),
)
def _start_while_recording(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    rec = call.running(now)
    assert rec is not None
    if _ok(ex):
        return Violation(Rule.START_WHILE_RECORDING, f"a 409: recording {rec.uuid} still runs", f"{ex.status}")
    return None


def _stopping(call: CallHistory, seen: Any) -> bool:
    return isinstance(seen, Exchange) and seen.operation == "stopRecording"


@invariant(
    Rule.STOP_AFTER_STOP,
    reads=CALL,
    source=f"{SPEC} StopRecordingConflict (no_active_recording)",
    promise="a stop right after a successful stop is a 409, not a 200",
    applies=lambda call, seen, now: _stopping(call, seen) and call.recording is None and call.stopped,
)
def _stop_after_stop(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    return Violation(Rule.STOP_AFTER_STOP, "a 409 no_active_recording", "200") if ex.status == 200 else None


def _stop_answered(call: CallHistory, seen: Any) -> bool:
    """A 200 to a stop while a recording was seen started: the rules below compare the two."""
    return _stopping(call, seen) and call.recording is not None and seen.status == 200 and isinstance(seen.body, dict)


@invariant(
    Rule.STOP_NAMES_RECORDING,
    reads=CALL,
    source=f"{DOCS} Stop Recording; {SPEC} stopRecording",
    promise="stop recording answers the recording_uuid of the recording last started on the call",
    applies=lambda call, seen, now: _stop_answered(call, seen),
)
def _stop_names_recording(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    assert call.recording is not None
    if ex.body.get("recording_uuid") != call.recording.uuid:
        return Violation(
            Rule.STOP_NAMES_RECORDING, f"recording_uuid {call.recording.uuid}", repr(ex.body.get("recording_uuid"))
        )
    return None


@invariant(
    Rule.STOP_URL_FORMAT,
    reads=CALL,
    source=f"{DOCS} Notes, Recording; {SPEC} stopRecording description",
    promise="a stopped recording's URL ends with the extension of the format it was started with",
    applies=lambda call, seen, now: _stop_answered(call, seen) and call.recording.format is not None,
)
def _stop_url_format(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    assert call.recording is not None
    url = ex.body.get("url")
    if isinstance(url, str) and not url.endswith("." + str(call.recording.format)):
        return Violation(Rule.STOP_URL_FORMAT, f"a URL ending in .{call.recording.format}", repr(url))
    return None


@invariant(
    Rule.STOP_DURATION,
    reads=CALL,
    source=f"{DOCS} Start Recording (max_length); {SPEC} RecordRequest.max_length",
    promise="a stopped recording's duration never exceeds the max_length it was started with",
    applies=lambda call, seen, now: _stop_answered(call, seen) and call.recording.max_length is not None,
)
def _stop_duration(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    assert call.recording is not None and call.recording.max_length is not None
    duration = ex.body.get("duration")
    if isinstance(duration, int) and duration > call.recording.max_length:
        return Violation(Rule.STOP_DURATION, f"duration <= max_length {call.recording.max_length}", str(duration))
    return None


@invariant(
    Rule.STOP_DURATION_ELAPSED,
    reads=CALL,
    source=f"{DOCS} Notes, Recording (recording starts from the moment the API is called); "
    f"{SPEC} RecordingStoppedResponse.duration (whole seconds)",
    promise="a stopped recording's duration is at most the time since its start was sent, plus 1 s of rounding",
    applies=lambda call, seen, now: (
        _stop_answered(call, seen) and call.recording.started is not None and isinstance(seen.body.get("duration"), int)
    ),
)
def _stop_duration_elapsed(call: CallHistory, ex: Exchange, now: float) -> Violation | None:
    assert call.recording is not None and call.recording.started is not None
    elapsed = now - call.recording.started
    if ex.body["duration"] > elapsed + 1:
        return Violation(
            Rule.STOP_DURATION_ELAPSED,
            f"duration <= {elapsed:.1f} s since the start was sent, + 1",
            str(ex.body["duration"]),
        )
    return None


@invariant(
    Rule.RECORDING_DETAILS,
    reads=CALL,
    source=f"{DOCS} Notes, Recording (recording URLs in the call details and hangup webhook; available "
    f"30 days); {SPEC} info.description (Recording), CallDetails, webhooks.callHangup",
    promise="the recording a stop answered is listed in its call's details and hangup webhook for 30 days, "
    "stopped, with the URL and duration the stop answered",
    applies=lambda call, seen, now: isinstance(seen, Sighting) and seen.kind == DETAILS and call.last_stop is not None,
    needs="the call's details and its hangup webhook, which the simulator's control plane shows; the API has no "
    "operation that reads a call",
)
def _recording_details(call: CallHistory, seen: Sighting, now: float) -> Violation | None:
    stop = call.last_stop
    assert stop is not None
    recordings = seen.data.get("recordings")
    listed = [
        r for r in (recordings if isinstance(recordings, list) else ())
        if isinstance(r, dict) and str(r.get("recording_uuid", "")).lower() == stop.uuid
    ]  # fmt: skip
    if not listed:
        if stop.listed_until is not None and now < stop.listed_until:
            return Violation(Rule.RECORDING_DETAILS, f"recording {stop.uuid} listed (stopped, kept 30 days)", "absent")
        return None
    shown = (listed[0].get("status"), listed[0].get("url"), listed[0].get("duration"))
    if shown != ("stopped", stop.url, stop.duration):
        expected = f"recording {stop.uuid} stopped, url {stop.url}, duration {stop.duration} (as the stop answered)"
        return Violation(Rule.RECORDING_DETAILS, expected, "{}, url {}, duration {}".format(*shown))
    return None


@invariant(
    Rule.TRANSFER_WEBHOOK,
    reads=CALL,
    source=f"{SPEC} webhooks.transferAnswered (TransferAnsweredEvent); {DOCS} Transfer Call (answer_url)",
    promise="the transferAnswered webhook names the transfer the API last accepted on that call: its "
    "transfer_uuid and its destination",
    applies=lambda call, seen, now: (
        isinstance(seen, Sighting) and seen.kind == TRANSFER_ANSWERED and call.transfer is not None
    ),
    needs="the transferAnswered webhook, which a deployment sends to the answer_url and the simulator's control "
    "plane records",
)
def _transfer_webhook(call: CallHistory, seen: Sighting, now: float) -> Violation | None:
    assert call.transfer is not None
    named = (str(seen.data.get("transfer_uuid", "")).lower(), seen.data.get("to"))
    if named != call.transfer:
        expected = "transfer {} to {} (the one last accepted on the call)".format(*call.transfer)
        return Violation(Rule.TRANSFER_WEBHOOK, expected, "transfer {} to {}".format(*named))
    return None


ON_CALLS = reading(CALL)


@dataclass
class CallMemory:
    """What the traffic showed of each call, bounded (least recently seen calls are forgotten)."""

    contract: Contract
    now: Callable[[], float] = time.time
    max_calls: int = 10_000
    calls: OrderedDict[str, CallHistory] = field(default_factory=OrderedDict)

    def observe(self, ex: Exchange, checked: Counter[str] | None = None, sent: float | None = None) -> list[Violation]:
        """Check `ex` against what was learned of its call, then learn from it; `checked` counts the invariants
        whose situation it was (a start while a recording runs, a stop after a stop, ...). `sent`: when its
        request was sent, on the clock of `now` (default: now)."""
        if ex.call_uuid is None:
            return []
        call = self._call(ex.call_uuid)
        found = self._check(call, ex, checked)
        self._learn(call, ex, self.now() if sent is None else sent)
        return found

    def details(self, view: Mapping[str, Any], checked: Counter[str] | None = None) -> list[Violation]:
        """A call's details seen elsewhere (a call view of the control plane, a hangup webhook): do they list the
        recording the API last stopped on that call as the stop answered it?"""
        return self._sighted(view.get("call_uuid"), Sighting(DETAILS, view), checked)

    def transfer_answered(self, event: Mapping[str, Any], checked: Counter[str] | None = None) -> list[Violation]:
        """A transferAnswered webhook: does it name the transfer the API last accepted on its call?"""
        return self._sighted(event.get("call_uuid"), Sighting(TRANSFER_ANSWERED, event), checked)

    def call_seen(self, call_uuid: str, status: str) -> None:
        """A call's status seen elsewhere (call details of the control plane, a hangup webhook)."""
        if status == "completed":
            call = self._call(call_uuid)
            call.completed, call.recording = True, None

    def clock_moved(self) -> None:
        """Timed rules (max_length, retention) may have fired unseen: what they change is no longer known."""
        for call in self.calls.values():
            if call.recording is not None:
                call.recording.certain, call.recording.started = False, None
            if call.last_stop is not None:
                call.last_stop.listed_until = None

    def _sighted(self, uuid: Any, seen: Sighting, checked: Counter[str] | None) -> list[Violation]:
        call = self.calls.get(uuid.lower()) if isinstance(uuid, str) else None
        return [] if call is None else self._check(call, seen, checked)

    def _check(self, call: CallHistory, seen: Exchange | Sighting, checked: Counter[str] | None) -> list[Violation]:
        now, found = self.now(), []
        for inv in ON_CALLS:
            if inv.applies(call, seen, now):
                if checked is not None:
                    checked[inv.rule] += 1
                if (violation := inv.check(call, seen, now)) is not None:
                    found.append(violation)
        return found

    def _call(self, call_uuid: str) -> CallHistory:
        key = call_uuid.lower()
        call = self.calls.get(key)
        if call is None:
            call = self.calls[key] = CallHistory()
            if len(self.calls) > self.max_calls:
                self.calls.popitem(last=False)
        else:
            self.calls.move_to_end(key)
        return call

    def _learn(self, call: CallHistory, ex: Exchange, sent: float) -> None:
        body = ex.body if isinstance(ex.body, dict) else {}
        request = ex.request if isinstance(ex.request, dict) else {}
        code = body.get("code")
        if ex.operation == "startRecording" and ex.status == 202:
            defaults = self.contract.defaults.get("startRecording", {})
            max_length = request.get("max_length", defaults.get("max_length"))
            call.recording = RecordingSeen(
                str(body.get("recording_uuid")),
                body.get("format") or request.get("format"),
                max_length if isinstance(max_length, int) else None,
                sent,
            )
            call.stopped = False
        elif ex.operation == "stopRecording" and (ex.status == 200 or code == "no_active_recording"):
            call.recording, call.stopped = None, True
            if ex.status == 200:  # kept from when it stopped (at the latest): listed until at least then + 30 days
                uuid = str(body.get("recording_uuid")).lower()
                call.last_stop = StopSeen(uuid, body.get("url"), body.get("duration"), sent + KEPT_FOR)
        elif ex.operation == "transferCall" and ex.status == 202:
            call.transfer = (str(body.get("transfer_uuid")).lower(), request.get("to"))
            if call.recording is not None:
                call.recording.certain = False  # the transfer may end the call, and the recording with it
