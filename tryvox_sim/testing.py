"""In-process use, moto-style: `with simulated_api() as sim:` gives a fresh simulator and clients.

No socket and no thread: requests go through an httpx transport straight into `App.handle`, the
clock is manual, and self-check is on (a response that breaks the spec raises SelfCheckError).
"""

from contextlib import contextmanager
from functools import lru_cache

import httpx

from .clock import Clock
from .domain import World
from .http import App
from .spec import Spec
from .transport import InProcessTransport
from .webhooks import Webhooks

BASE_URL = "http://tryvox.test"


@lru_cache(maxsize=1)
def shared_spec() -> Spec:
    """Compiled once per process: validators are read-only, so simulators can share them."""
    return Spec()


class SimClock:
    """The manual clock; `advance` also applies every timed rule that came due (and its webhooks)."""

    def __init__(self, app: App):
        self._app = app

    @property
    def mode(self) -> str:
        return self._app.world.clock.mode

    def now(self) -> float:
        return self._app.world.clock.now()

    def advance(self, seconds: float) -> float:
        now = self._app.world.advance(seconds)
        self._app.flush_outbox()
        return now


class SimulatedAPI:
    def __init__(self, *, rate_limit: str | None = None, deliver_webhooks: bool = False):
        self.world = World(Clock(manual=True))
        self.app = App(
            self.world, shared_spec(), self_check=True, strict=True, rate_limit=rate_limit,
            webhooks=Webhooks(deliver=deliver_webhooks),
        )  # fmt: skip
        self.transport = InProcessTransport(self.app)
        self.clock = SimClock(self.app)
        self.auth_id, self.token, self.call_uuid = self.world.seed
        self.base_url = BASE_URL
        self.http = httpx.Client(transport=self.transport, base_url=BASE_URL)
        self.client = self.client_for(self.token)

    def client_for(self, token: str):
        """A generated-client AuthenticatedClient on this simulator, using `token`."""
        from tryvox_call_actions_client import AuthenticatedClient

        return AuthenticatedClient(base_url=BASE_URL, token=token, httpx_args={"transport": self.transport})

    def path(self, action: str, call_uuid: str | None = None, auth_id: str | None = None) -> str:
        return f"/v1/voice/accounts/{auth_id or self.auth_id}/calls/{call_uuid or self.call_uuid}/{action}"

    # -- control plane shortcuts (through HTTP, so they are validated too)
    def _control(self, method: str, url: str, **kw) -> dict:
        response = self.http.request(method, url, **kw)
        if response.status_code >= 300:
            raise AssertionError(f"{method} {url} -> {response.status_code}: {response.text}")
        return response.json()

    def new_call(self, **fields) -> str:
        """Create a call (fields: auth_id, from_ or from, to, status, hangup_url); returns its uuid."""
        if "from_" in fields:
            fields["from"] = fields.pop("from_")
        return self._control("POST", "/_sim/calls", json=fields)["call_uuid"]

    def call(self, call_uuid: str | None = None) -> dict:
        return self._control("GET", f"/_sim/calls/{call_uuid or self.call_uuid}")

    def events(self, call_uuid: str | None = None) -> list[dict]:
        return self._control("GET", f"/_sim/calls/{call_uuid or self.call_uuid}/events")["events"]

    def press(self, call_uuid: str, digits: str) -> dict:
        return self._control("POST", f"/_sim/calls/{call_uuid}/dtmf-input", json={"digits": digits})

    def answer(self, call_uuid: str) -> dict:
        return self._control("POST", f"/_sim/calls/{call_uuid}/answer")

    def hangup(self, call_uuid: str | None = None) -> dict:
        return self._control("POST", f"/_sim/calls/{call_uuid or self.call_uuid}/hangup")

    @property
    def webhooks(self) -> list[dict]:
        return self.app.webhooks.list()

    def close(self) -> None:
        self.http.close()
        self.app.webhooks.close()


@contextmanager
def simulated_api(**options):
    sim = SimulatedAPI(**options)
    try:
        yield sim
    finally:
        sim.close()


def start_server(*args: str, timeout: float = 10.0, env: dict | None = None):
    """Start `tryvox-sim serve --host 127.0.0.1 --port 0 *args` in a subprocess and wait until it is ready.

    Returns (process, found): `found` holds its export lines as a dict (TVX_BASE_URL, TVX_AUTH_ID,
    TVX_API_TOKEN, TVX_CALL_UUID) plus `process` and `log`, the path of its stderr.
    """
    import os
    import subprocess
    import sys
    import tempfile
    import time

    log = tempfile.NamedTemporaryFile(prefix="tryvox-sim-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "tryvox_sim.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, env={**os.environ, **(env or {})})
    log.close()
    found: dict = {"process": process, "log": log.name}
    os.set_blocking(process.stdout.fileno(), False)
    deadline, buffer = time.monotonic() + timeout, b""
    while "TVX_CALL_UUID" not in found:
        if time.monotonic() > deadline or process.poll() is not None:
            stop_server(process)
            tail = open(log.name, errors="replace").read()[-2000:]
            raise RuntimeError(f"the simulator did not start within {timeout:.0f} s (log {log.name}):\n{tail}")
        chunk = process.stdout.read() or b""
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            name, _, value = line.decode().removeprefix("export ").strip().partition("=")
            found[name] = value
        if not chunk:
            time.sleep(0.02)
    return process, found


def stop_server(process, timeout: float = 10.0) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it has not exited within `timeout`."""
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
    if process.stdout:
        process.stdout.close()


@contextmanager
def served(*args: str, timeout: float = 10.0, env: dict | None = None):
    """`start_server` as a context manager: yields the export lines; stops the server on exit."""
    process, found = start_server(*args, timeout=timeout, env=env)
    try:
        yield found
    finally:
        stop_server(process, timeout)
