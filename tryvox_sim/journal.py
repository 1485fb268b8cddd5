"""The request journal: what the API received and answered, so a test can check what its application sent.

A bounded ring (`--journal-size`, default 10,000; 0 turns it off), oldest first. Entries keep bytes and
are turned into JSON only when read, so recording one costs little on the hot path. Secrets are never
kept: the Authorization, Cookie and Proxy-Authorization headers are left out before anything is stored.
"""

from __future__ import annotations

import itertools
import sys
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .clock import iso

DEFAULT_SIZE = 10_000
BODY_LIMIT = 8 * 1024  # request bodies are kept up to this many bytes
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(slots=True)
class Entry:
    seq: int
    at: float  # the simulator's clock
    wall: float  # the machine's clock
    method: str
    path: str
    operation: str | None
    auth_id: str | None
    call_uuid: str | None
    headers: bytes  # "name: value\n" lines, secrets left out
    body: bytes
    truncated: bool
    status: int | None
    response: bytes
    fault: dict[str, Any] | None
    prefer: str | None

    def view(self) -> dict[str, Any]:
        headers = dict(line.split(": ", 1) for line in self.headers.decode("latin-1").splitlines())
        return {
            "seq": self.seq,
            "at": iso(self.at),
            "wall_time": iso(self.wall),
            "method": self.method,
            "path": self.path,
            "operation": self.operation,
            "auth_id": self.auth_id,
            "call_uuid": self.call_uuid,
            "headers": headers,
            "body": _decoded(self.body, self.truncated),
            "body_truncated": self.truncated,
            "status": self.status,
            "response": _decoded(self.response, False),
            "fault": self.fault,
            "prefer": self.prefer,
        }


def _decoded(raw: bytes, truncated: bool) -> Any:
    if not raw:
        return None
    if not truncated:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return raw.decode("utf-8", errors="replace")


def pack_headers(headers: Mapping[str, str]) -> bytes:
    return "".join(f"{k}: {v}\n" for k, v in headers.items() if k not in SECRET_HEADERS).encode("latin-1", "replace")


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 (off) or more")
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size or 1)
        self._seq = itertools.count(1)
        self.dropped = 0

    def record(
        self, *, at: float, wall: float, method: str, path: str, operation: str | None, auth_id: str | None,
        call_uuid: str | None, headers: Mapping[str, str], body: bytes, status: int | None, response: bytes,
        fault: dict[str, Any] | None = None, prefer: str | None = None,
    ) -> None:  # fmt: skip
        if not self.size:
            return
        if len(self._entries) == self.size:
            self.dropped += 1
        self._entries.append(
            Entry(
                next(self._seq),
                at,
                wall,
                method,
                path,
                operation,
                sys.intern(auth_id) if auth_id else None,
                sys.intern(call_uuid.lower()) if call_uuid else None,
                pack_headers(headers),
                body[:BODY_LIMIT],
                len(body) > BODY_LIMIT,
                status,
                response,
                fault,
                prefer,
            )  # fmt: skip
        )

    def entries(
        self, operation: str | None = None, auth_id: str | None = None, call_uuid: str | None = None,
        status: int | None = None, limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Oldest first; `limit` keeps the most recent matching entries."""
        call_uuid = call_uuid.lower() if call_uuid else None
        found = [
            entry
            for entry in self._entries
            if (operation is None or entry.operation == operation)
            and (auth_id is None or entry.auth_id == auth_id)
            and (call_uuid is None or entry.call_uuid == call_uuid)
            and (status is None or entry.status == status)
        ]
        if limit is not None:
            found = found[-limit:] if limit else []
        return [entry.view() for entry in found]

    def clear(self) -> int:
        removed = len(self._entries)
        self._entries.clear()
        self.dropped = 0
        return removed
