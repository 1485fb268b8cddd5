"""Webhook deliveries: recorded always, POSTed by a background thread when delivery is on.

By default only loopback receivers (localhost, 127.0.0.0/8, ::1) get a POST: a simulator must not call
hosts named in fuzzed or example requests. `--deliver-webhooks all` lifts that for a deliberate setup.
In-process, `receiver` (an HTTP client of the application: Starlette's TestClient, an httpx.Client over a transport)
gets every delivery at once, in the thread that made it, whatever its URL: the client decides where it goes.
"""

import ipaddress
import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from .clock import iso

log = logging.getLogger("tryvox_sim.webhooks")
KEEP = 1000
JSON = {"content-type": "application/json"}
POLICIES = ("none", "loopback", "all")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost: never resolved, never called


class Receiver(Protocol):
    """What delivers a webhook: an httpx (or httpx2) client's `post`, answering with a `status_code`."""

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> Any: ...


class Webhooks:
    def __init__(self, deliver: bool | str = False, timeout: float = 2.0) -> None:
        """deliver: "none" (record only), "loopback" (POST to loopback receivers only) or "all";
        True means "loopback"."""
        policy = deliver if isinstance(deliver, str) else "loopback" if deliver else "none"
        if policy not in POLICIES:
            raise ValueError(f"deliver must be one of {POLICIES}")
        self.policy = policy
        self.deliver = policy != "none"
        self.timeout = timeout
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=KEEP)
        self._ids = itertools.count(1)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=KEEP)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.receiver: Receiver | None = None
        self.leaving: Callable[[dict[str, Any]], None] | None = None  # told of each record the log lets go

    def dispatch(self, url: str, event: str, payload: dict[str, Any], now: float) -> dict[str, Any]:
        record = {
            "id": next(self._ids),
            "url": url,
            "event": event,
            "at": iso(now),
            "status": "pending" if self.deliver or self.receiver is not None else "recorded",
            "response_status": None,
            "error": None,
            # As JSON, in bytes of its own size: half a dict's (a hangup payload lists every recording), and not
            # orjson's own bytes either, each of which keeps a buffer of 4 KiB or more.
            "payload": memoryview(orjson.dumps(payload)).tobytes(),
        }
        if self.receiver is None and self.policy == "loopback" and not is_loopback(url):
            record["status"] = "skipped"
            record["error"] = "not a loopback receiver; serve with --deliver-webhooks all to send it"
        with self._lock:
            if self.leaving is not None and len(self.deliveries) == KEEP:
                self.leaving(self.deliveries[0])
            self.deliveries.append(record)
        if self.receiver is not None:
            self._post(self.receiver, record)
        elif record["status"] == "pending":
            self._start()
            try:
                self._queue.put_nowait(record)
            except queue.Full:  # never block a request on a slow receiver
                record["status"], record["error"] = "dropped", "delivery queue full"
                log.warning("webhook %s to %s dropped: queue full", event, url)
        return record

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**record, "payload": orjson.loads(record["payload"])} for record in self.deliveries]

    def clear(self) -> None:
        with self._lock:
            if self.leaving is not None:
                for record in self.deliveries:
                    self.leaving(record)
            self.deliveries.clear()

    def close(self, wait: float = 2.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(wait)
            self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tryvox-sim-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        import httpx  # only a serving simulator delivers: keep start-up light

        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while (record := self._queue.get()) is not None:
                self._post(client, record)

    def _post(self, client: Receiver, record: dict[str, Any]) -> None:
        try:
            status = client.post(record["url"], content=record["payload"], headers=JSON).status_code
            record["response_status"] = status
            record["status"] = "delivered" if 200 <= status < 300 else "failed"
            if record["status"] == "failed":
                record["error"] = f"receiver answered {status}"
        except Exception as exc:  # any network failure (or a receiver's own error) is recorded, never raised
            record["status"], record["error"] = "failed", f"{type(exc).__name__}: {exc}"[:500]
        if record["status"] == "failed":
            log.warning("webhook %s to %s failed: %s", record["event"], record["url"], record["error"])
