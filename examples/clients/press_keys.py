"""A program using the Python client as an integrator writes one: its settings from the environment (TVX_API_TOKEN,
TVX_BASE_URL, TVX_AUTH_ID), the operations' results typed, every error a typed exception. `make client-examples`
type-checks it with mypy --strict (no cast, no isinstance after a call); tests/test_client_resource.py runs it.

    python examples/clients/press_keys.py CALL_UUID [DIGITS]
"""

from __future__ import annotations

import asyncio
import sys
from uuid import UUID

from tryvox_call_actions_client import AsyncTryvoxClient, TryvoxClient, errors
from tryvox_call_actions_client.models import DtmfResponse, RecordingStoppedResponse, RecordRequestFormat


def press(client: TryvoxClient, call_uuid: str, digits: str) -> str:
    """Send the keys once: never twice, since DTMF sent twice presses them twice."""
    try:
        sent: DtmfResponse = client.calls.send_dtmf(call_uuid, digits=digits)
    except errors.RateLimitError as error:  # still limited after the client's retries
        return f"rate limited: try again in {error.retry_after} s"
    except errors.APIConnectionError as error:  # request_sent: the keys may have been pressed
        return "unknown outcome" if error.request_sent else "not sent"
    return f"{sent.status} {sent.digits}"


def record_a_greeting(client: TryvoxClient, call_uuid: UUID) -> RecordingStoppedResponse:
    """Record while the greeting plays; the answer of each operation is its model, never a Problem or None."""
    started = client.calls.start_recording(call_uuid, format_=RecordRequestFormat.WAV)
    assert started.status == "recording"
    client.calls.speak_text(call_uuid, text="This call is recorded.")
    return client.calls.stop_recording(call_uuid)


async def announce(call_uuid: str) -> str:
    """The same client for asyncio, with a shorter timeout for this one call."""
    async with AsyncTryvoxClient() as client:
        spoken = await client.with_options(timeout=10.0).calls.speak_text(call_uuid, text="Connecting you now.")
    return spoken.text


def main(argv: list[str]) -> int:
    call_uuid, digits = argv[1], argv[2] if len(argv) > 2 else "1234#"
    with TryvoxClient() as client:
        print(press(client, call_uuid, digits))
        try:
            stopped = record_a_greeting(client, UUID(call_uuid))
        except errors.ConflictError as error:  # the call is not in progress, or a recording already runs
            print(f"not recorded: {error.code}")
        else:
            print(f"recorded {stopped.url}")
    print(asyncio.run(announce(call_uuid)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
