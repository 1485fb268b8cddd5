"""The request journal: what the API received and answered, so a test can check what its application sent.

A bounded ring (`--journal-size`, default 10,000; 0 turns it off), oldest first. Recording happens on
every API request, so it only keeps references and right-sized copies (bench/journal.py measures it);
entries become JSON when read. Secrets are never kept: the Authorization, Cookie and Proxy-Authorization
headers are left out before anything is stored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import orjson

from ..wire.http11 import SECRET_HEADERS
from .clock import iso

if TYPE_CHECKING:
    from ..wire.response import Response
    from .faults import Applied

DEFAULT_SIZE = 10_000
BODY_LIMIT = 8 * 1024  # request bodies are kept up to this many bytes


# One entry: a tuple, fields in this order. What an entry keeps costs about as much as the code that builds it:
# each object in it lives through 10,000 later requests, so its memory is cold when the ring frees it and a
# later request reuses it (bench/journal.py). So an entry holds few objects, all the request's own: the path,
# the headers dict (secrets popped), the body, a right-sized copy of the answer's bytes (orjson's own carry a
# 4 KiB buffer), the two times. The sequence number follows from the position, the path parameters from the
# path (read again when the journal is read).
FIELDS = ("at", "wall", "method", "path", "query", "operation", "headers", "body", "status", "response", "fault",
          "prefer")  # fmt: skip
Entry = tuple[float, float, str, str, str, str | None, dict[str, str], bytes, int, bytes, "Applied | None",
              str | None]  # fmt: skip
Params = Callable[[str], Mapping[str, str]]  # a path's parameters (auth_id, call_uuid) by the spec's routes


def sent_status(entry: Entry) -> int | None:
    """The status the client got: none when a fault broke the connection before any byte (`reset`, `close`)."""
    applied = entry[10]
    return None if applied is not None and applied.fault in ("reset", "close") else entry[8]


def carried_out(entry: Entry) -> bool:
    """The action was carried out on the simulated call: a success the calls made (no `Prefer`, and no fault that
    answered in its place)."""
    applied, status = entry[10], entry[8]
    return 200 <= status < 300 and entry[11] is None and (applied is None or applied.carried_out)


def view(seq: int, entry: Entry, params: Mapping[str, str]) -> dict[str, Any]:
    at, wall, method, path, query, operation, headers, body, status, response, applied, prefer = entry
    fault = None if applied is None else applied.definition
    return {
        "seq": seq,
        "at": iso(at),
        "wall_time": iso(wall),
        "method": method,
        "path": f"{path}?{query}" if query else path,
        "operation": operation,
        "auth_id": params.get("auth_id"),
        "call_uuid": params.get("call_uuid"),
        "headers": dict(headers),
        "body": _decoded(body[:BODY_LIMIT], len(body) > BODY_LIMIT),
        "body_truncated": len(body) > BODY_LIMIT,
        "status": sent_status(entry),
        "response": _decoded(response, False),
        "fault": None
        if fault is None
        else {
            "id": fault.id,
            "status": fault.status,
            "delay_ms": fault.delay_ms,
            "fault": fault.fault,
            "after": fault.after,
        },
        "prefer": prefer,
        "carried_out": operation is not None and carried_out(entry),
        "response_lost": applied is not None and applied.lost,
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


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE, params: Params = lambda path: {}) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 (off) or more")
        self.size = size
        self.params = params
        self._entries: deque[Entry] = deque(maxlen=size or 1)
        self._seq = 0  # entries ever recorded: the newest entry's number
        self._cleared = 0  # self._seq when last cleared
        self.leaving: Callable[[int, Entry], None] | None = None  # told of each entry the ring lets go (coverage.py)

    @property
    def dropped(self) -> int:
        """Entries the ring let go since the last clear (counted here, not on every request)."""
        return self._seq - self._cleared - len(self._entries)

    def record(
        self, at: float, method: str, path: str, query: str, operation: str | None, headers: dict[str, str],
        body: bytes, response: Response,
    ) -> None:  # fmt: skip
        """Called on every API request: keep it cheap (bench/journal.py measures it, make bench reports it)."""
        if not self.size:
            return
        for name in SECRET_HEADERS:  # never stored (the dict is the request's own)
            headers.pop(name, None)
        fault = cast("Applied | None", response.fault)  # the simulator's own faults (faults.py)
        prefer = None
        if "prefer" in headers:
            prefer = next((value for name, value in response.headers if name == "Preference-Applied"), None)
        if len(self._entries) == self.size and self.leaving is not None:  # the oldest is about to go
            self.leaving(self._seq - self.size + 1, self._entries[0])
        self._seq += 1
        self._entries.append((
            at, time.time(), method, path, query, operation, headers,
            body if len(body) <= BODY_LIMIT else body[: BODY_LIMIT + 1],  # one byte over: "truncated"
            response.status,  # as made: `sent_status` says what the client got
            b"".join((response.body, b"")),  # a right-sized copy, the cheapest there is
            fault, prefer,
        ))  # fmt: skip

    def entries(
        self, operation: str | None = None, auth_id: str | None = None, call_uuid: str | None = None,
        status: int | None = None, limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Oldest first; `limit` keeps the most recent matching entries."""
        call_uuid = call_uuid.lower() if call_uuid else None
        first = self._seq - len(self._entries) + 1
        found = []
        for seq, entry in enumerate(self._entries, first):
            if operation is not None and entry[5] != operation:
                continue
            if status is not None and sent_status(entry) != status:
                continue
            params = self.params(entry[3])
            if (auth_id is None or params.get("auth_id") == auth_id) and (
                call_uuid is None or params.get("call_uuid", "").lower() == call_uuid
            ):
                found.append((seq, entry, params))
        if limit is not None:
            found = found[-limit:] if limit else []
        return [view(*item) for item in found]

    @property
    def last_seq(self) -> int:
        """The newest entry's number (entries ever recorded)."""
        return self._seq

    def numbered(self) -> list[tuple[int, Entry]]:
        """The entries as kept, oldest first, with their numbers."""
        return list(enumerate(self._entries, self._seq - len(self._entries) + 1))

    def clear(self) -> int:
        removed = len(self._entries)
        if self.leaving is not None:
            for seq, entry in self.numbered():
                self.leaving(seq, entry)
        self._entries.clear()
        self._cleared = self._seq
        return removed
