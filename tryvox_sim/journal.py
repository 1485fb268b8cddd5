"""The request journal: what the API received and answered, so a test can check what its application sent.

A bounded ring (`--journal-size`, default 10,000; 0 turns it off), oldest first. Recording happens on
every API request, so it only keeps references and right-sized copies (bench/journal.py measures it);
entries become JSON when read. Secrets are never kept: the Authorization, Cookie and Proxy-Authorization
headers are left out before anything is stored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from .clock import iso

if TYPE_CHECKING:
    from .faults import Fault
    from .reply import Reply

DEFAULT_SIZE = 10_000
BODY_LIMIT = 8 * 1024  # request bodies are kept up to this many bytes


# One entry: a tuple, fields in this order. It keeps objects the request already made (the path parameters,
# the body, the answer's data, the fault applied) and the request's headers without the secrets; it becomes
# JSON only when read. (Not orjson's bytes of the answer: each holds a 4 KiB buffer.)
FIELDS = ("seq", "at", "wall", "method", "path", "query", "operation", "params", "headers", "body", "status",
          "response", "fault", "prefer")  # fmt: skip
Entry = tuple[int, float, float, str, str, str, str | None, Mapping[str, str], dict[str, str], bytes, int | None, Any,
              "Fault | None", str | None]  # fmt: skip


def view(entry: Entry) -> dict[str, Any]:
    seq, at, wall, method, path, query, operation, params, headers, body, status, response, fault, prefer = entry
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
        "status": status,
        "response": _decoded(response, False) if isinstance(response, bytes) else response,
        "fault": None
        if fault is None
        else {"id": fault.id, "status": fault.status, "delay_ms": fault.delay_ms, "fault": fault.fault},
        "prefer": prefer,
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
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 (off) or more")
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size or 1)
        self._seq = 0
        self.dropped = 0

    def record(
        self, at: float, method: str, path: str, query: str, operation: str | None, params: Mapping[str, str],
        headers: dict[str, str], body: bytes, reply: Reply,
    ) -> None:  # fmt: skip
        """Called on every API request: keep it cheap (bench/journal.py measures it, make bench reports it)."""
        if not self.size:
            return
        if len(self._entries) == self.size:
            self.dropped += 1
        headers.pop("authorization", None)  # the secrets are never stored (the dict is the request's own)
        headers.pop("cookie", None)
        headers.pop("proxy-authorization", None)
        fault = reply.fault
        prefer = None
        if "prefer" in headers:
            prefer = next((value for name, value in reply.headers if name == "Preference-Applied"), None)
        self._seq += 1
        self._entries.append((
            self._seq, at, time.time(), method, path, query, operation, params, headers,
            body if len(body) <= BODY_LIMIT else body[: BODY_LIMIT + 1],  # one byte over: "truncated"
            None if fault is not None and fault.fault in ("reset", "close") else reply.status,  # none was sent
            reply.data,  # the answer's JSON data as the handler made it (or bytes), serialised when read
            fault, prefer,
        ))  # fmt: skip

    def entries(
        self, operation: str | None = None, auth_id: str | None = None, call_uuid: str | None = None,
        status: int | None = None, limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Oldest first; `limit` keeps the most recent matching entries."""
        call_uuid = call_uuid.lower() if call_uuid else None
        found = [
            entry
            for entry in self._entries
            if (operation is None or entry[6] == operation)
            and (auth_id is None or entry[7].get("auth_id") == auth_id)
            and (call_uuid is None or entry[7].get("call_uuid", "").lower() == call_uuid)
            and (status is None or entry[10] == status)
        ]
        if limit is not None:
            found = found[-limit:] if limit else []
        return [view(entry) for entry in found]

    def clear(self) -> int:
        removed = len(self._entries)
        self._entries.clear()
        self.dropped = 0
        return removed
