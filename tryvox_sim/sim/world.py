"""The simulator's state and rules, with no HTTP in it (moto's `models.py`).

`World` holds accounts and calls; one method per action. Each method takes the lock, settles the
call against the clock, checks the rules, changes state and returns the documented response body.
The six action methods are named after the spec's operationIds (`transferCall` -> `transfer_call`): the
HTTP shell finds them by that name at start-up. Rule violations raise a `Problem` (problems.py).
Webhooks to send are appended to `World.outbox`.
"""

import os
import random
import secrets
import threading
from collections.abc import Iterable
from typing import Any

from ..contract.problems import (
    AccountExists,
    AccountNotFound,
    CallCompleted,
    CallerIdNotOwned,
    CallNotFound,
    CallNotInProgress,
    CallNotRinging,
    NoActiveRecording,
    NoTransfer,
    RecordingAlreadyRunning,
    TokenInUse,
    ValidationFailed,
)
from .calls import (
    AUDIO_SECONDS,
    NEVER,
    SPEECH_SECONDS_PER_CHAR,
    Call,
    Outbox,
    Playback,
    Recording,
    Transfer,
    packed_next_due,
)
from .clock import Clock, iso
from .ratelimit import parse_rate
from .seed import (
    DEFAULT_AUTH_ID,
    DEFAULT_CALL_UUID,
    DEFAULT_FROM,
    DEFAULT_NUMBERS,
    DEFAULT_TOKEN,
    OTHER_AUTH_ID,
    OTHER_NUMBERS,
    OTHER_TOKEN,
)

# RFC 4122 version 4: the variant bits 10, the version bits 0100 (as uuid.UUID(..., version=4) sets them).
VERSION_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
VERSION_4 = (0x8000 << 48) | (4 << 76)


class Ids:
    """New uuid4s; seeded, they repeat run to run (so a seeded contract run sends the same requests)."""

    __slots__ = ("_random",)

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None

    def __call__(self) -> str:
        """uuid.uuid4()'s string, or seeded uuid.UUID(int=…, version=4)'s, made without uuid.UUID (it costs 2 µs of the
        20 µs an action takes; there are one to three a request)."""
        bits = int.from_bytes(os.urandom(16)) if self._random is None else self._random.getrandbits(128)
        bits = bits & VERSION_CLEAR | VERSION_4
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Account:
    __slots__ = ("auth_id", "token", "numbers", "rate_limit")

    def __init__(self, auth_id: str, token: str, numbers: Iterable[str], rate_limit: str | None = None) -> None:
        self.auth_id = auth_id
        self.token = token
        self.numbers = list(numbers)
        self.rate_limit = parse_rate(rate_limit) if rate_limit else None  # its own, instead of the server's

    def details(self) -> dict[str, Any]:
        rate = f"{self.rate_limit[0]}/{'s' if self.rate_limit[1] == 1 else 'min'}" if self.rate_limit else None
        return {"auth_id": self.auth_id, "token": self.token, "numbers": list(self.numbers), "rate_limit": rate}


def call_not_found(auth_id: str, call_uuid: str) -> CallNotFound:
    return CallNotFound(f"No call {call_uuid} in account {auth_id}.")


class World:
    def __init__(
        self,
        clock: Clock | None = None,
        auth_id: str = DEFAULT_AUTH_ID,
        token: str = DEFAULT_TOKEN,
        call_uuid: str = DEFAULT_CALL_UUID,
        id_seed: int | None = None,
    ) -> None:
        self.clock = clock or Clock(manual=True)
        self.new_uuid = Ids(id_seed)
        self.seed = (auth_id, token, call_uuid.lower())
        self.lock = threading.RLock()
        self.dropped = 0  # calls dropped past their retention, so far
        self.reset()

    # -- seeding
    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, Account] = {}
            self.tokens: dict[str, Account] = {}
            # Calls by uuid, oldest first. An ended call is kept packed (Call.pack) until its retention passes:
            # only what its details and timeline show, in one bytes object (bench/results.md, "Where the memory goes").
            self.calls: dict[str, Call | bytes] = {}
            self.packed_due = NEVER  # no packed call has a change due before this
            self.outbox: Outbox = []
            auth_id, token, call_uuid = self.seed
            self.add_account(auth_id, token, DEFAULT_NUMBERS)
            self.add_account(OTHER_AUTH_ID, OTHER_TOKEN, OTHER_NUMBERS)
            self.new_call(auth_id, DEFAULT_FROM, DEFAULT_NUMBERS[0], call_uuid=call_uuid)

    def add_account(
        self, auth_id: str, token: str | None = None, numbers: Iterable[str] = (), rate_limit: str | None = None
    ) -> Account:
        with self.lock:
            if auth_id in self.accounts:
                raise AccountExists(f"Account {auth_id} exists.", pointer="/auth_id")
            token = token or "tvx_sk_test_" + secrets.token_hex(12)
            if token in self.tokens:
                raise TokenInUse("Another account has this token.", pointer="/token")
            account = Account(auth_id, token, numbers, rate_limit)
            self.accounts[auth_id] = account
            self.tokens[token] = account
            return account

    def account_for_token(self, token: str) -> Account | None:
        return self.tokens.get(token)

    # -- calls
    def new_call(
        self,
        auth_id: str,
        from_: str = DEFAULT_FROM,
        to: str | None = None,
        status: str = "in-progress",
        hangup_url: str | None = None,
        call_uuid: str | None = None,
    ) -> Call:
        with self.lock:
            account = self.accounts.get(auth_id)
            if account is None:
                raise AccountNotFound(f"No account {auth_id}.", pointer="/auth_id")
            to = to or (account.numbers or DEFAULT_NUMBERS)[0]  # an account may own no number
            now = self.clock.now()
            call = Call(call_uuid or self.new_uuid(), account.auth_id, from_, to, status, hangup_url, now)
            self.calls[call.uuid] = call
            return call

    def _call(self, auth_id: str | None, call_uuid: str, now: float) -> Call:
        """The account's call (None: any account's), settled to `now`; 404 for unknown, expired or other
        accounts' calls. An ended call comes unpacked: a copy, packed again by `_keep` when it changes."""
        key = call_uuid.lower()
        kept = self.calls.get(key)
        call = Call.unpack(key, kept) if isinstance(kept, bytes) else kept
        if call is None or (auth_id is not None and call.auth_id != auth_id):
            raise call_not_found(auth_id or "any", call_uuid)
        if call.next_due <= now:
            call.settle(now, self.outbox)
            if not self._keep(call, now):
                raise call_not_found(auth_id or call.auth_id, call_uuid)
        return call

    def _keep(self, call: Call, now: float) -> bool:
        """After `call` settled: drop it past its retention (False), or keep it packed if it has ended."""
        if call.retained_until() <= now:
            del self.calls[call.uuid]
            self.dropped += 1
            return False
        if call.ended_at is not None:
            self.calls[call.uuid] = call.pack()  # what ran on it (recording, playback, DTMF, transfer) is let go
            self.packed_due = min(self.packed_due, call.next_due)
        return True

    def _active_call(self, auth_id: str, call_uuid: str, now: float) -> Call:
        call = self._call(auth_id, call_uuid, now)
        if call.status != "in-progress":
            raise CallNotInProgress(f"Call {call.uuid} is {call.status}; actions need an in-progress call.")
        return call

    def check_call(self, auth_id: str, call_uuid: str) -> None:
        """404 unless the account has this call (checked before the body is read)."""
        with self.lock:
            self._call(auth_id, call_uuid, self.clock.now())

    def find_call(self, call_uuid: str) -> Call:
        """Any account's call (control plane)."""
        with self.lock:
            return self._call(None, call_uuid, self.clock.now())

    def every_call(self) -> list[Call]:
        """Every retained call, oldest first (ended ones unpacked: copies)."""
        with self.lock:
            return [Call.unpack(uuid, kept) if isinstance(kept, bytes) else kept for uuid, kept in self.calls.items()]

    def settle_all(self) -> None:
        """Apply due timers on every call and drop calls past retention (serve mode: periodic)."""
        with self.lock:
            now = self.clock.now()
            dropped, sweep = self.dropped, self.packed_due <= now  # sweep: some packed call has a change due
            due: list[Call] = []
            for uuid, kept in self.calls.items():
                if not isinstance(kept, bytes):
                    if kept.next_due <= now:
                        due.append(kept)
                elif sweep and packed_next_due(kept) <= now:
                    due.append(Call.unpack(uuid, kept))
            for call in due:
                call.settle(now, self.outbox)
                self._keep(call, now)
            if sweep:
                packed = (packed_next_due(kept) for kept in self.calls.values() if isinstance(kept, bytes))
                self.packed_due = min(packed, default=NEVER)
            if self.dropped - dropped > len(self.calls):  # a dict keeps the table of its largest size: copy it
                self.calls = dict(self.calls)

    def next_due(self) -> float:
        with self.lock:
            live = (kept.next_due for kept in self.calls.values() if not isinstance(kept, bytes))
            return min(min(live, default=NEVER), self.packed_due)

    def take_outbox(self) -> Outbox:
        with self.lock:
            out, self.outbox = self.outbox, []
            return out

    def _reschedule(self, call: Call, now: float) -> Call:
        call.settle(now, self.outbox)  # recompute next_due (and apply zero-delay rules next request)
        self._keep(call, now)
        return call

    # -- the six Call Actions, named after their operationIds
    def transfer_call(
        self, auth_id: str, call_uuid: str, to: str, caller_id: str | None = None, answer_url: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            if caller_id is not None and caller_id not in self.accounts[auth_id].numbers:
                raise CallerIdNotOwned(f"{caller_id} is not a number owned by account {auth_id}.", pointer="/caller_id")
            tr = Transfer(self.new_uuid(), to, caller_id, answer_url, now)
            call.transfer = tr
            call.status = "transferring"
            call.log(now, "transfer.started", tr.uuid, to)
            call.next_due = min(call.next_due, tr.due_at)  # a busy number fails on the next access
            return {"transfer_uuid": tr.uuid, "status": "transferring", "to": to}

    def start_recording(
        self, auth_id: str, call_uuid: str, *, format: str, max_length: int, trim_silence: bool
    ) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            if call.recording is not None:
                raise RecordingAlreadyRunning(f"Recording {call.recording.uuid} is already running on this call.")
            rec = Recording(self.new_uuid(), format, int(max_length), bool(trim_silence), now)
            call.recording = rec
            call.log(now, "recording.started", rec.uuid, format)
            call.next_due = min(call.next_due, rec.ends_at)
            return {"recording_uuid": rec.uuid, "status": "recording", "format": format}

    def stop_recording(self, auth_id: str, call_uuid: str) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            if call.recording is None:
                raise NoActiveRecording(f"No recording is running on call {call.uuid}.")
            rec = call.stop_recording(now, reason="stopped")
            self._reschedule(call, now)
            return {"recording_uuid": rec.uuid, "status": "stopped", "url": rec.url, "duration": rec.duration(now)}

    def _start_playback(self, call: Call, kind: str, subject: str, loop: int, seconds: float, now: float) -> Playback:
        pb = Playback(self.new_uuid(), kind, subject, loop, now, now + seconds)
        call.interrupt_playback(now, by=pb.uuid)  # play and speak interrupt each other
        call.playback = pb
        call.log(now, f"{kind}.started", pb.uuid)
        call.next_due = min(call.next_due, pb.ends_at)
        return pb

    def play_audio(self, auth_id: str, call_uuid: str, url: str, *, loop: int) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            loop = int(loop)
            seconds = AUDIO_SECONDS * loop if loop else NEVER
            pb = self._start_playback(call, "play", url, loop, seconds, now)
            return {"play_uuid": pb.uuid, "status": "playing", "url": url}

    def speak_text(
        self, auth_id: str, call_uuid: str, text: str, *, voice: str, language: str, engine: str
    ) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            pb = self._start_playback(call, "speak", text, 1, SPEECH_SECONDS_PER_CHAR * len(text), now)
            return {"speak_uuid": pb.uuid, "status": "speaking", "text": text}

    def send_dtmf(self, auth_id: str, call_uuid: str, digits: str) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            call = self._active_call(auth_id, call_uuid, now)
            dtmf_uuid = self.new_uuid()
            call.send_dtmf(dtmf_uuid, digits, now)
            return {"dtmf_uuid": dtmf_uuid, "status": "sent", "digits": digits}

    # -- what the caller or the network does (control plane)
    def answer(self, call_uuid: str) -> Call:
        with self.lock:
            call = self.find_call(call_uuid)
            if call.status != "ringing":
                raise CallNotRinging(f"Call {call.uuid} is {call.status}.")
            call.status = "in-progress"
            call.log(self.clock.now(), "call.answered")
            return call

    def hangup(self, call_uuid: str, cause: str = "normal_hangup") -> Call:
        with self.lock:
            call = self.find_call(call_uuid)
            if call.status == "completed":
                raise CallCompleted(f"Call {call.uuid} has already ended.")
            now = self.clock.now()
            call.end(now, cause, self.outbox)
            return self._reschedule(call, now)

    def webhook_now(self, call_uuid: str, event: str, url: str | None = None) -> Call:
        """The call's event happens now: `callHangup` ends the call, `transferAnswered` answers its transfer (which
        ends the call too); `url` replaces the receiver first. Refused with nothing changed when the call has ended,
        has no transfer under way, or the webhook would have nowhere to go."""
        with self.lock:
            call = self.find_call(call_uuid)
            if call.status == "completed":
                raise CallCompleted(f"Call {call.uuid} has already ended.")
            now = self.clock.now()
            if event == "transferAnswered":
                transfer = call.transfer
                if transfer is None:
                    raise NoTransfer(f"Call {call.uuid} has no transfer under way.")
                if (url or transfer.answer_url) is None:
                    detail = f"The transfer of call {call.uuid} has no answer_url: give a url."
                    raise ValidationFailed(detail, pointer="/url")
                transfer.answer_url = url or transfer.answer_url
                transfer.outcome, transfer.due_at = "answered", now
            else:
                if (url or call.hangup_url) is None:
                    raise ValidationFailed(f"Call {call.uuid} has no hangup_url: give a url.", pointer="/url")
                call.hangup_url = url or call.hangup_url
                call.end(now, "normal_hangup", self.outbox)
            return self._reschedule(call, now)  # a transfer answered now is carried out here

    def caller_presses(self, call_uuid: str, digits: str) -> Call:
        with self.lock:
            call = self.find_call(call_uuid)
            now = self.clock.now()
            if call.status != "in-progress":
                raise CallNotInProgress(f"Call {call.uuid} is {call.status}; the caller cannot press keys.")
            call.log(now, "dtmf.input", text=digits)
            if call.playback is not None and call.playback.kind == "speak":
                call.interrupt_playback(now, by="dtmf_input")  # DTMF input interrupts speech, not audio
            return call

    def advance(self, seconds: float) -> float:
        with self.lock:
            self.clock.advance(seconds)
        self.settle_all()
        return self.clock.now()

    def call_view(self, call: Call) -> dict[str, Any]:
        """CallDetails plus what is running now (control plane)."""
        now = self.clock.now()
        out = call.details(now)
        out["hangup_url"] = call.hangup_url
        out["created_at"] = iso(call.created_at)
        out["ended_at"] = iso(call.ended_at) if call.ended_at is not None else None
        out["playback"] = call.playback.details() if call.playback else None
        out["transfer"] = call.transfer.details() if call.transfer else None
        out["dtmf"] = [{"dtmf_uuid": u, "digits": d, "ends_at": iso(e)} for e, u, d in sorted(call.dtmf)]
        return out
