"""The six call actions through the generated client, plus helpers the behaviour tests share."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tryvox_call_actions_client import AuthenticatedClient
from tryvox_call_actions_client.api.call_actions import (
    play_audio,
    send_dtmf,
    speak_text,
    start_recording,
    stop_recording,
    transfer_call,
)
from tryvox_call_actions_client.models import (
    DtmfRequest,
    PlayRequest,
    RecordRequest,
    RecordRequestFormat,
    SpeakRequest,
    TransferRequest,
)
from tryvox_call_actions_client.types import UNSET

HOLD_MUSIC = "https://example.com/hold-music.mp3"
# Transfer test numbers of the simulator (README): answered after 1 s, busy, no answer after 30 s.
ANSWERS = "+15005550001"
BUSY = "+15005550002"
NO_ANSWER = "+15005550003"


def transfer(api: AuthenticatedClient, auth_id: str, call: str, to: str, caller_id=UNSET, answer_url=UNSET):
    body = TransferRequest(to=to, caller_id=caller_id, answer_url=answer_url)
    return transfer_call.sync_detailed(auth_id, UUID(call), client=api, body=body)


def record(api: AuthenticatedClient, auth_id: str, call: str, format=UNSET, max_length=UNSET, trim_silence=UNSET):
    fmt = RecordRequestFormat(format) if isinstance(format, str) else format
    body = RecordRequest(format_=fmt, max_length=max_length, trim_silence=trim_silence)
    return start_recording.sync_detailed(auth_id, UUID(call), client=api, body=body)


def stop(api: AuthenticatedClient, auth_id: str, call: str):
    return stop_recording.sync_detailed(auth_id, UUID(call), client=api)


def play(api: AuthenticatedClient, auth_id: str, call: str, url: str = HOLD_MUSIC, loop=UNSET):
    return play_audio.sync_detailed(auth_id, UUID(call), client=api, body=PlayRequest(url=url, loop=loop))


def speak(api: AuthenticatedClient, auth_id: str, call: str, text: str = "Please hold.", **fields):
    return speak_text.sync_detailed(auth_id, UUID(call), client=api, body=SpeakRequest(text=text, **fields))


def dtmf(api: AuthenticatedClient, auth_id: str, call: str, digits: str):
    return send_dtmf.sync_detailed(auth_id, UUID(call), client=api, body=DtmfRequest(digits=digits))


def every_action(api: AuthenticatedClient, auth_id: str, call: str, transfer_to: str = NO_ANSWER):
    """One request per operation, each schema-valid (transfer to `transfer_to`: the simulator's number that never
    answers, unless a deployment's safe number is given)."""
    return {
        "transferCall": lambda: transfer(api, auth_id, call, transfer_to),
        "startRecording": lambda: record(api, auth_id, call),
        "stopRecording": lambda: stop(api, auth_id, call),
        "playAudio": lambda: play(api, auth_id, call),
        "speakText": lambda: speak(api, auth_id, call),
        "sendDtmf": lambda: dtmf(api, auth_id, call, "1"),
    }


def expect(response, status: int, code: str | None = None, pointer: str | None = None):
    """Assert the status (and, for problems, the machine code and field pointer); return the parsed body."""
    where = f"{response.status_code} {response.content[:300]!r}"
    assert response.status_code == status, f"expected {status}, got {where}"
    parsed = response.parsed
    if code is not None:
        assert response.headers.get("content-type", "").startswith("application/problem+json"), where
        assert parsed.code == code, f"expected code {code}, got {where}"
    if pointer is not None:
        pointers = [error.pointer for error in (parsed.errors or [])]
        assert pointer in pointers, f"expected an error at {pointer}, got {pointers}"
    return parsed


def parse_time(timestamp: str) -> datetime:
    """An RFC 3339 timestamp of the API (`2025-01-01T00:00:00.000Z`) as an aware datetime."""
    return datetime.fromisoformat(timestamp)  # Python 3.11 reads the `Z` suffix


def when(event: dict) -> datetime:
    return parse_time(event["at"])


def events_of(events: list[dict], kind: str) -> list[dict]:
    return [event for event in events if event["type"] == kind]
