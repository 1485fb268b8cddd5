"""The run's traffic journal: one JSON line per answer the suite got, for the coverage report.

`make contract` sets TVX_TRAFFIC_LOG to `reports/traffic.jsonl`; schemathesis' hooks (hooks.py)
and the behaviour tests' httpx hook (checks.py) append to it, each line saying who sent the
request (a schemathesis phase, or the behaviour test's id), the operation's method and path, the request body
and the status. Unset (plain `pytest contract_tests`), nothing is written.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV = "TVX_TRAFFIC_LOG"
MAX_BODY = 16 * 1024  # longer bodies are kept as their size only: no schema constraint needs more
_lock = threading.Lock()


def body_text(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bytes):
        if len(raw) > MAX_BODY:
            return None
        return raw.decode("utf-8", "replace")
    return raw if len(raw) <= MAX_BODY else None


def record(**entry: Any) -> None:
    """Append one line to the journal named by TVX_TRAFFIC_LOG (no-op when unset)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps(entry, default=str) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as out:
        out.write(line)


def read(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            yield json.loads(line)
        except ValueError:  # a line cut short by a killed process
            continue
