"""A call's event timeline, packed into one bytearray: per event a length byte, the time, a type code,
the uuid (16 bytes) and a short text, about 30 bytes in all; so 10,000 busy calls keep their recent
history in about 15 MB."""

import struct
import uuid
from typing import Any

from .clock import iso

# event type -> (name of its uuid field or None, name of its text field or None, constant fields)
KINDS = {
    "call.created": (None, "status", {}),
    "call.answered": (None, None, {}),
    "call.completed": (None, "hangup_cause", {}),
    "recording.started": ("recording_uuid", "format", {"channels": "both"}),  # both sides are recorded
    "recording.stopped": ("recording_uuid", "reason", {}),
    "recording.expired": ("recording_uuid", None, {}),
    "play.started": ("uuid", None, {}),
    "play.finished": ("uuid", None, {}),
    "play.interrupted": ("uuid", "by", {}),
    "speak.started": ("uuid", None, {}),
    "speak.finished": ("uuid", None, {}),
    "speak.interrupted": ("uuid", "by", {}),
    "dtmf.started": ("dtmf_uuid", "digits", {}),
    "dtmf.finished": ("dtmf_uuid", "digits", {}),
    "dtmf.cancelled": ("dtmf_uuid", None, {}),
    "dtmf.cut_short": ("dtmf_uuid", None, {}),
    "dtmf.input": (None, "digits", {}),
    "transfer.started": ("transfer_uuid", "to", {}),
    "transfer.answered": ("transfer_uuid", "to", {}),
    "transfer.failed": ("transfer_uuid", "reason", {}),
    "transfer.cancelled": ("transfer_uuid", None, {}),
}
_NAMES = list(KINDS)
_CODES = {name: code for code, name in enumerate(_NAMES)}
_HEAD = struct.Struct("<dB")  # epoch seconds, type code


class Timeline:
    __slots__ = ("_buf", "_count", "_size")

    def __init__(self, size: int):
        self._buf = bytearray()
        self._count = 0
        self._size = size

    def add(self, at: float, kind: str, ref: str | None = None, text: str | None = None) -> None:
        packed = _HEAD.pack(at, _CODES[kind])
        if ref is not None:
            packed += bytes.fromhex(ref.replace("-", ""))  # the uuid's 16 bytes (uuid.UUID() costs 5x more)
        if text is not None:
            packed += text.encode()[:200]
        if self._count == self._size:  # drop the oldest event
            del self._buf[: self._buf[0] + 1]
        else:
            self._count += 1
        self._buf.append(len(packed))
        self._buf += packed

    def packed(self) -> bytes:
        return bytes(self._buf)

    @classmethod
    def unpacked(cls, size: int, packed: bytes, count: int) -> "Timeline":
        """The timeline of `count` events `packed()` gave."""
        timeline = cls(size)
        timeline._buf += packed
        timeline._count = count
        return timeline

    def __len__(self) -> int:
        return self._count

    def render(self) -> list[dict[str, Any]]:
        out, buf, pos = [], bytes(self._buf), 0
        while pos < len(buf):
            end = pos + 1 + buf[pos]
            out.append(_event(buf[pos + 1 : end]))
            pos = end
        return out


def _event(packed: bytes) -> dict[str, Any]:
    at, code = _HEAD.unpack_from(packed)
    name = _NAMES[code]
    ref_field, text_field, constants = KINDS[name]
    event, pos = {"at": iso(at), "type": name}, _HEAD.size
    if ref_field:
        event[ref_field] = str(uuid.UUID(bytes=packed[pos : pos + 16]))
        pos += 16
    if text_field:
        event[text_field] = packed[pos:].decode(errors="replace")
    event.update(constants)
    return event
