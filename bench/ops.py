"""The six Call Actions operations as raw, schema-valid HTTP/1.1 requests.

Bodies are the docs' examples, except transfer, which dials the simulator's busy test number
(+15005550002): it fails at once and the call is in-progress again, so it can be repeated.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass

BUSY_NUMBER = "+15005550002"


@dataclass(frozen=True)
class Operation:
    name: str  # the spec's operationId
    method: str
    action: str  # last path segment
    body: dict | None
    expected: int


OPERATIONS = {
    op.name: op
    for op in (
        Operation("transferCall", "POST", "transfer", {"to": BUSY_NUMBER}, 202),
        Operation("startRecording", "POST", "record", {"format": "mp3", "max_length": 3600}, 202),
        Operation("stopRecording", "DELETE", "record", None, 200),
        Operation("playAudio", "POST", "play", {"url": "https://example.com/hold-music.mp3", "loop": 0}, 202),
        Operation(
            "speakText",
            "POST",
            "speak",
            {"text": "Thank you for calling. Please hold while we connect you.", "engine": "neural"},
            202,
        ),
        Operation("sendDtmf", "POST", "dtmf", {"digits": "1234*#"}, 202),
    )
}

# A load cell drives one of these sequences per connection, each on the connection's own call.
# Recording is a pair: a second start on one call is 409, so start and stop alternate.
CELLS = {
    "transfer": ("transferCall",),
    "record": ("startRecording", "stopRecording"),
    "play": ("playAudio",),
    "speak": ("speakText",),
    "dtmf": ("sendDtmf",),
}

# The mix used for the million-action memory run: every operation, recordings left stopped.
MIX = ("playAudio", "speakText", "sendDtmf", "transferCall", "startRecording", "stopRecording")


@dataclass(frozen=True)
class Target:
    """Where requests go and who sends them."""

    host: str
    port: int
    auth_id: str
    token: str


Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers (lower-case names), body


def request(op: Operation, target: Target, call_uuid: str) -> Request:
    """The parts of one request, as `App.handle` takes them (bench/memory.py replays them in-process)."""
    path = f"/v1/voice/accounts/{target.auth_id}/calls/{call_uuid}/{op.action}"
    headers = {"host": f"{target.host}:{target.port}", "authorization": f"Bearer {target.token}",
               "accept": "application/json"}  # fmt: skip
    body = b""
    if op.body is not None:
        body = json.dumps(op.body, separators=(",", ":")).encode()
        headers |= {"content-type": "application/json", "content-length": str(len(body))}
    return op.method, path, headers, body


def hangup(target: Target, call_uuid: str) -> Request:
    """The simulator's control plane: the caller hangs up."""
    return "POST", f"/_sim/calls/{call_uuid}/hangup", {"host": f"{target.host}:{target.port}"}, b""


def raw(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def encode(op: Operation, target: Target, call_uuid: str) -> bytes:
    return raw(*request(op, target, call_uuid))


def cycle(names: tuple[str, ...], target: Target, call_uuid: str) -> Iterator[tuple[str, bytes]]:
    """Endless (name, request) pairs for one connection; the load generator bounds it."""
    encoded = [(name, encode(OPERATIONS[name], target, call_uuid)) for name in names]
    while True:
        yield from encoded


def script(names: tuple[str, ...], target: Target, call_uuids: list[str], per_call: int):
    """Exactly `per_call` requests on each call in turn, cycling through `names`."""
    for uuid in call_uuids:
        encoded = [(name, encode(OPERATIONS[name], target, uuid)) for name in names]
        for i in range(per_call):
            yield encoded[i % len(encoded)]
