"""A call and what runs on it: recording, playback (play or speak), DTMF sends, a transfer.

Timed rules are settled lazily: `Call.settle(now)` applies every due change in time order, so a
manual clock needs no threads. Conventions (documented in the README):
- an audio file lasts 30 s (so `loop: n` ends after 30n s; `loop: 0` plays until stopped);
- speech lasts 60 ms per character; n DTMF digits take 400n - 200 ms;
- transfer test numbers: +15005550001 answers after 1 s, +15005550002 is busy (fails at once),
  +15005550003 rings 30 s then fails (no answer); any other number answers after 5 s.
"""

import heapq
import marshal
import struct
import uuid as uuidlib
import zlib
from typing import Any

from .clock import iso
from .timeline import Timeline

Outbox = list[tuple[str, str, dict[str, Any]]]  # webhooks waiting to be sent: (url, webhook name, payload)

AUDIO_SECONDS = 30.0
SPEECH_SECONDS_PER_CHAR = 0.060
RECORDING_TTL = 30 * 86400.0
CALL_TTL = 3600.0
TIMELINE_LEN = 50  # events kept per call; small so 10k busy calls stay well under 100 MB
# Stopped recordings kept per call, the oldest dropped first: with a running one, the 1000 the spec allows in a
# call's details (a call recorded again and again within 30 days would break the spec, and memory, without it).
MAX_RECORDINGS = 999
MAX_DTMF_PENDING = 100  # DTMF sends in flight per call; beyond it the earliest is cut short (bounds memory)
TRANSFER_OUTCOMES = {
    "+15005550001": (1.0, "answered"),
    "+15005550002": (0.0, "busy"),
    "+15005550003": (30.0, "no_answer"),
}
DEFAULT_TRANSFER_OUTCOME = (5.0, "answered")
NEVER = float("inf")
EPS = 1e-6  # float slack when turning clock differences into whole seconds


def dtmf_seconds(digits: str) -> float:
    return (400 * len(digits) - 200) / 1000


_PACKED_RECORDING = struct.Struct("<16sddI??")  # uuid, started, stopped, max_length, is wav, trim silence
RECORDING_SIZE = _PACKED_RECORDING.size
_STOPPED_AT = struct.Struct("<d")  # offset 24 in a packed recording


def stopped_at(packed: bytes, index: int) -> float:
    """When the `index`-th of the recordings packed back to back in `packed` stopped."""
    return _STOPPED_AT.unpack_from(packed, index * RECORDING_SIZE + 24)[0]


class Recording:
    """A running recording; stopped ones are kept packed (38 bytes each, back to back in one bytes object per
    call) for their 30 days."""

    __slots__ = ("uuid", "format", "max_length", "trim_silence", "started_at", "stopped_at")

    def pack(self) -> bytes:
        return _PACKED_RECORDING.pack(uuidlib.UUID(self.uuid).bytes, self.started_at, self.stopped_at,
                                      self.max_length, self.format == "wav", self.trim_silence)  # fmt: skip

    @classmethod
    def unpack(cls, packed: bytes, index: int) -> "Recording":
        raw, started, stopped, max_length, wav, trim = _PACKED_RECORDING.unpack_from(packed, index * RECORDING_SIZE)
        rec = cls(str(uuidlib.UUID(bytes=raw)), "wav" if wav else "mp3", max_length, trim, started)
        rec.stopped_at = stopped
        return rec

    def __init__(self, uuid: str, fmt: str, max_length: int, trim_silence: bool, started_at: float) -> None:
        self.uuid = uuid
        self.format = fmt
        self.max_length = max_length
        self.trim_silence = trim_silence
        self.started_at = started_at
        self.stopped_at: float | None = None

    @property
    def url(self) -> str:
        return f"https://recordings.tryvox.io/{self.uuid}.{self.format}"

    @property
    def ends_at(self) -> float:
        return self.started_at + self.max_length

    def duration(self, now: float) -> int:
        end = self.stopped_at if self.stopped_at is not None else now
        return min(int(end - self.started_at + EPS), self.max_length)

    def details(self, now: float) -> dict[str, Any]:
        stopped = self.stopped_at is not None
        return {
            "recording_uuid": self.uuid,
            "status": "stopped" if stopped else "recording",
            "format": self.format,
            "url": self.url if stopped else None,
            "duration": self.duration(now) if stopped else None,
            "expires_at": iso(self.stopped_at + RECORDING_TTL) if self.stopped_at is not None else None,
            "channels": "both",  # both sides of the call are recorded
            "max_length": self.max_length,
            "trim_silence": self.trim_silence,
            "started_at": iso(self.started_at),
        }


class Playback:
    """Audio (`play`) or speech (`speak`) heard by the caller; one at a time per call."""

    __slots__ = ("uuid", "kind", "subject", "loop", "started_at", "ends_at")

    def __init__(self, uuid: str, kind: str, subject: str, loop: int, started_at: float, ends_at: float) -> None:
        self.uuid = uuid
        self.kind = kind
        self.subject = subject
        self.loop = loop
        self.started_at = started_at
        self.ends_at = ends_at

    def details(self) -> dict[str, Any]:
        key = "url" if self.kind == "play" else "text"
        out: dict[str, Any] = {f"{self.kind}_uuid": self.uuid, "kind": self.kind, key: self.subject}
        if self.kind == "play":
            out["loop"] = self.loop
        out["started_at"] = iso(self.started_at)
        out["ends_at"] = None if self.ends_at == NEVER else iso(self.ends_at)
        return out


class Transfer:
    __slots__ = ("uuid", "to", "caller_id", "answer_url", "started_at", "due_at", "outcome")

    def __init__(self, uuid: str, to: str, caller_id: str | None, answer_url: str | None, started_at: float) -> None:
        self.uuid = uuid
        self.to = to
        self.caller_id = caller_id
        self.answer_url = answer_url
        self.started_at = started_at
        delay, self.outcome = TRANSFER_OUTCOMES.get(to, DEFAULT_TRANSFER_OUTCOME)
        self.due_at = started_at + delay

    def details(self) -> dict[str, Any]:
        return {
            "transfer_uuid": self.uuid,
            "to": self.to,
            "caller_id": self.caller_id,
            "answer_url": self.answer_url,
            "started_at": iso(self.started_at),
            "due_at": iso(self.due_at),
            "expected_outcome": self.outcome,
        }


_NEXT_DUE = struct.Struct("<d")  # a packed call begins with its next_due, read without unpacking the rest


def packed_next_due(packed: bytes) -> float:
    return _NEXT_DUE.unpack_from(packed)[0]


class Call:
    __slots__ = (
        "uuid", "auth_id", "from_", "to", "status", "hangup_cause", "hangup_url",
        "created_at", "ended_at", "recording", "recordings", "playback", "dtmf", "transfer",
        "events", "next_due",
    )  # fmt: skip

    def __init__(
        self, uuid: str, auth_id: str, from_: str, to: str, status: str, hangup_url: str | None, now: float
    ) -> None:
        self.uuid = uuid
        self.auth_id = auth_id
        self.from_ = from_
        self.to = to
        self.status = status
        self.hangup_cause: str | None = None
        self.hangup_url = hangup_url
        self.created_at = now
        self.ended_at: float | None = None
        self.recording: Recording | None = None  # the running one
        self.recordings = b""  # stopped ones, packed back to back in stop order (so oldest expiry first)
        self.playback: Playback | None = None
        self.dtmf: list[tuple[float, str, str]] = []  # heap of (ends_at, dtmf_uuid, digits) still being sent
        self.transfer: Transfer | None = None
        self.events = Timeline(TIMELINE_LEN)
        self.next_due = NEVER
        self.log(now, "call.created", text=status)

    def pack(self) -> bytes:
        """An ended call as one bytes object, as the World keeps it until its retention passes: what its details
        and timeline show, compressed (a busy call's 2.5 KB take 1.5), and when it next changes (`packed_next_due`).
        Nothing runs on it any more. marshal gives back exactly the str, None, float and bytes it was given."""
        fields = (self.auth_id, self.from_, self.to, self.hangup_cause, self.hangup_url, self.created_at,
                  self.ended_at, self.recordings, self.events.packed(), len(self.events))  # fmt: skip
        return _NEXT_DUE.pack(self.next_due) + zlib.compress(marshal.dumps(fields))

    @classmethod
    def unpack(cls, uuid: str, packed: bytes) -> "Call":
        """The ended call `pack` made."""
        fields = marshal.loads(zlib.decompress(memoryview(packed)[_NEXT_DUE.size :]))
        auth_id, from_, to, hangup_cause, hangup_url, created_at, ended_at, recordings, events, count = fields
        call = cls(uuid, auth_id, from_, to, "completed", hangup_url, created_at)
        call.hangup_cause, call.ended_at, call.recordings = hangup_cause, ended_at, recordings
        call.events = Timeline.unpacked(TIMELINE_LEN, events, count)
        call.next_due = packed_next_due(packed)
        return call

    def log(self, at: float, kind: str, ref: str | None = None, text: str | None = None) -> None:
        self.events.add(at, kind, ref, text)

    def timeline(self) -> list[dict[str, Any]]:
        return self.events.render()

    # -- timed rules
    def _due(self) -> tuple[float, str]:
        """The earliest pending change and its kind."""
        best = (NEVER, "")
        if self.recording is not None:
            best = min(best, (self.recording.ends_at, "recording"))
        if self.playback is not None:
            best = min(best, (self.playback.ends_at, "playback"))
        if self.dtmf:
            best = min(best, (self.dtmf[0][0], "dtmf"))
        if self.transfer is not None:
            best = min(best, (self.transfer.due_at, "transfer"))
        return best

    def settle(self, now: float, outbox: Outbox) -> None:
        """Apply every change due by `now`, in time order; webhooks go to `outbox`."""
        while True:
            at, kind = self._due()
            if at > now:
                break
            if kind == "recording":
                self.stop_recording(at, reason="max_length")
            elif kind == "playback":
                pb = self.playback
                assert pb is not None  # _due() found it
                self.playback = None
                self.log(at, f"{pb.kind}.finished", pb.uuid)
            elif kind == "dtmf":
                _, dtmf_uuid, digits = heapq.heappop(self.dtmf)
                self.log(at, "dtmf.finished", dtmf_uuid, digits)
            else:
                self._finish_transfer(at, outbox)
        expired, kept = 0, len(self.recordings) // RECORDING_SIZE
        while expired < kept and stopped_at(self.recordings, expired) + RECORDING_TTL <= now:
            self.log(now, "recording.expired", Recording.unpack(self.recordings, expired).uuid)
            expired += 1
        if expired:
            self.recordings = self.recordings[expired * RECORDING_SIZE :]
        self.next_due = self._due()[0]
        if self.recordings:
            self.next_due = min(self.next_due, stopped_at(self.recordings, 0) + RECORDING_TTL)
        self.next_due = min(self.next_due, self.retained_until())

    def retained_until(self) -> float:
        """A completed call is dropped an hour after it ends, or when its last recording expires (30 days
        after it stopped): until then its recording URLs stay readable in the call details."""
        if self.ended_at is None:
            return NEVER
        until = self.ended_at + CALL_TTL
        if self.recordings:  # packed in the order they stopped: the last one expires last
            until = max(until, stopped_at(self.recordings, len(self.recordings) // RECORDING_SIZE - 1) + RECORDING_TTL)
        return until

    def _finish_transfer(self, at: float, outbox: Outbox) -> None:
        tr = self.transfer
        assert tr is not None  # _due() found it
        self.transfer = None
        if tr.outcome == "answered":
            self.log(at, "transfer.answered", tr.uuid, tr.to)
            if tr.answer_url:
                event = {
                    "transfer_uuid": tr.uuid,
                    "call_uuid": self.uuid,
                    "to": tr.to,
                    "caller_id": tr.caller_id,
                    "status": "answered",
                }
                outbox.append((tr.answer_url, "transferAnswered", event))
            self.end(at, "transferred", outbox)
        else:
            self.status = "in-progress"  # a failed transfer returns the caller to the call
            self.log(at, "transfer.failed", tr.uuid, tr.outcome)

    # -- state changes (callers check the rules first)
    def stop_recording(self, at: float, reason: str) -> Recording:
        rec = self.recording
        assert rec is not None  # callers check that a recording runs
        self.recording = None
        rec.stopped_at = min(at, rec.ends_at)
        self.recordings += rec.pack()
        if len(self.recordings) > MAX_RECORDINGS * RECORDING_SIZE:
            self.recordings = self.recordings[RECORDING_SIZE:]
        self.log(rec.stopped_at, "recording.stopped", rec.uuid, reason)
        return rec

    def interrupt_playback(self, at: float, by: str) -> None:
        pb = self.playback
        if pb is not None:
            self.playback = None
            self.log(at, f"{pb.kind}.interrupted", pb.uuid, by)

    def end(self, at: float, cause: str, outbox: Outbox) -> None:
        if self.recording is not None:
            self.stop_recording(at, reason="call_ended")
        self.interrupt_playback(at, by="hangup")
        for _, dtmf_uuid, _ in sorted(self.dtmf):
            self.log(at, "dtmf.cancelled", dtmf_uuid)
        self.dtmf = []
        if self.transfer is not None:
            self.log(at, "transfer.cancelled", self.transfer.uuid)
            self.transfer = None
        self.status = "completed"
        self.hangup_cause = cause
        self.ended_at = at
        self.log(at, "call.completed", text=cause)
        if self.hangup_url:
            outbox.append((self.hangup_url, "callHangup", self.details(at)))

    def send_dtmf(self, dtmf_uuid: str, digits: str, now: float) -> None:
        if len(self.dtmf) >= MAX_DTMF_PENDING:
            _, cut_uuid, _ = heapq.heappop(self.dtmf)
            self.log(now, "dtmf.cut_short", cut_uuid)
        ends_at = now + dtmf_seconds(digits)
        heapq.heappush(self.dtmf, (ends_at, dtmf_uuid, digits))
        self.log(now, "dtmf.started", dtmf_uuid, digits)
        self.next_due = min(self.next_due, ends_at)

    # -- views
    def details(self, now: float) -> dict[str, Any]:
        """The public CallDetails shape (as in the hangup webhook)."""
        recs = [
            Recording.unpack(self.recordings, i).details(now) for i in range(len(self.recordings) // RECORDING_SIZE)
        ]
        if self.recording is not None:
            recs.append(self.recording.details(now))
        return {
            "call_uuid": self.uuid,
            "auth_id": self.auth_id,
            "status": self.status,
            "from": self.from_,
            "to": self.to,
            "hangup_cause": self.hangup_cause,
            "recordings": recs,
        }
