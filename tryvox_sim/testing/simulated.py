"""In-process use, moto-style: `with simulated_api() as sim:` gives a fresh simulator and clients.

No socket and no thread: requests go through an httpx transport straight into `App.respond`, the
clock is manual, and self-check is on. An exception inside the simulator (a response that breaks the
spec raises SelfCheckError) reaches the test, as with Starlette's test client; with
`raise_server_exceptions=False` it is answered `500 internal_error` (or `self_check_failed`) as when served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import httpx

from ..contract.spec import Spec
from ..sim.app import App
from ..sim.clock import Clock
from ..sim.coverage import Tally
from ..sim.journal import DEFAULT_SIZE
from ..sim.webhooks import Receiver, Webhooks
from ..sim.world import World
from ..wire.inprocess import InProcessTransport
from .control_client import JSON, ControlClient

if TYPE_CHECKING:  # the generated client is an optional dependency (extra `client`)
    from tryvox_call_actions_client import AuthenticatedClient

BASE_URL = "http://tryvox.test"
# Told of each simulator's integration coverage when it closes (the pytest plugin's --tryvox-coverage adds them up).
COVERAGE_COLLECTORS: list[Callable[[Tally], None]] = []


@lru_cache(maxsize=1)
def shared_spec() -> Spec:
    """Compiled once per process: validators are read-only, so simulators can share them."""
    return Spec()


class SimClock:
    """The manual clock; `advance` also applies every timed rule that came due (and its webhooks)."""

    def __init__(self, app: App) -> None:
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
    """A fresh simulator: `client` (the generated API client), `http` (raw httpx), `control` (the control
    plane), `clock`, `world`; plus shortcuts for what tests do most, on the seeded call by default."""

    def __init__(
        self, *, rate_limit: str | None = None, deliver_webhooks: bool = False, raise_server_exceptions: bool = True,
        journal_size: int = DEFAULT_SIZE, seed: int | None = None,
    ) -> None:  # fmt: skip
        self.world = World(Clock(manual=True), id_seed=seed)
        self.app = App(
            self.world, shared_spec(), self_check=True, raise_server_exceptions=raise_server_exceptions,
            rate_limit=rate_limit, webhooks=Webhooks(deliver=deliver_webhooks), journal_size=journal_size, seed=seed,
        )  # fmt: skip
        self.transport = InProcessTransport(self.app.respond)
        self.clock = SimClock(self.app)
        self.auth_id, self.token, self.call_uuid = self.world.seed
        self.base_url = BASE_URL
        self.control = ControlClient(BASE_URL, transport=self.transport)
        self.http: httpx.Client = self.control.http  # the same transport serves the API and the control plane
        self._clients: list[AuthenticatedClient] = []
        self.client = self.client_for(self.token)

    def client_for(self, token: str, **options: Any) -> AuthenticatedClient:
        """A generated-client AuthenticatedClient on this simulator, using `token` (closed with the simulator).
        `options` go to AuthenticatedClient (raise_on_error=True, max_retries=0, ...). Its waits between retries
        (a 429's Retry-After, backoff) advance the simulator's clock instead of sleeping."""
        from tryvox_call_actions_client import AuthenticatedClient

        options.setdefault("sleep", self.clock.advance)
        client = AuthenticatedClient(
            base_url=BASE_URL, token=token, httpx_args={"transport": self.transport}, **options
        )
        self._clients.append(client)
        return client

    def path(self, action: str, call_uuid: str | None = None, auth_id: str | None = None) -> str:
        return f"/v1/voice/accounts/{auth_id or self.auth_id}/calls/{call_uuid or self.call_uuid}/{action}"

    # -- shortcuts to the control plane (through HTTP, so they are validated too)
    def new_call(self, **fields: Any) -> str:
        """Create a call (fields: auth_id, from_ or from, to, status, hangup_url); returns its uuid."""
        return self.control.create_call(**fields)["call_uuid"]

    def call(self, call_uuid: str | None = None) -> JSON:
        return self.control.get_call(call_uuid or self.call_uuid)

    def events(self, call_uuid: str | None = None) -> list[JSON]:
        return self.control.get_call_events(call_uuid or self.call_uuid)

    def press(self, call_uuid: str, digits: str) -> JSON:
        return self.control.press_digits(call_uuid, digits)

    def answer(self, call_uuid: str) -> JSON:
        return self.control.answer_call(call_uuid)

    def hangup(self, call_uuid: str | None = None) -> JSON:
        return self.control.hangup_call(call_uuid or self.call_uuid)

    @property
    def webhooks(self) -> list[JSON]:
        return self.app.webhooks.list()

    def deliver_webhooks_to(self, receiver: Receiver | None) -> None:
        """Send every webhook from now on through `receiver` at once (an HTTP client of your application: Starlette's
        `TestClient(app)`, an httpx.Client over its transport), whatever its URL; how it answered goes into `webhooks`
        and the coverage. None goes back to recording them only."""
        self.app.webhooks.receiver = receiver

    def trigger(self, event: str, call_uuid: str | None = None, url: str | None = None) -> JSON:
        """`callHangup` or `transferAnswered` on the call now, its webhook sent (`POST /_sim/calls/{uuid}/webhooks`)."""
        return self.control.trigger_webhook(call_uuid or self.call_uuid, event, url)

    def coverage(self) -> JSON:
        """What this simulator's requests and webhooks met against the spec (`GET /_sim/coverage`)."""
        return self.control.get_coverage()

    # -- faults and the journal (the same control plane a served simulator has)
    def inject(self, operation: str = "*", **fields: Any) -> InjectedFault:
        """Make the API misbehave: `sim.inject("transferCall", status=429)`; fields as `POST /_sim/faults`
        (status, example, delay_ms, fault, after, times, probability, auth_id, call_uuid). Also a context manager
        that removes the fault on exit."""
        return InjectedFault(self.control, self.control.create_fault(operation, **fields))

    @property
    def faults(self) -> list[JSON]:
        return self.control.list_faults()

    def requests(self, **filters: Any) -> list[JSON]:
        """The request journal, oldest first (filters: operation, auth_id, call_uuid, status, limit)."""
        return self.control.list_requests(**filters)

    def close(self) -> None:
        if COVERAGE_COLLECTORS:
            tally = self.app.sim.coverage.tally()
            for collect in COVERAGE_COLLECTORS:
                collect(tally)
        for client in self._clients:
            client.__exit__()
        self.control.close()
        self.app.webhooks.close()


class InjectedFault(dict[str, Any]):
    """A fault in force (its JSON view); as a context manager it is removed on exit, if still there."""

    def __init__(self, control: ControlClient, view: JSON) -> None:
        super().__init__(view)
        self._control = control

    def remove(self) -> None:
        if any(fault["id"] == self["id"] for fault in self._control.list_faults()):
            self._control.delete_fault(self["id"])

    def __enter__(self) -> InjectedFault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


@contextmanager
def simulated_api(**options: Any) -> Iterator[SimulatedAPI]:
    """Options: rate_limit ("50/s"), deliver_webhooks, raise_server_exceptions (default True), journal_size,
    seed (ids and fault probabilities repeat run to run)."""
    sim = SimulatedAPI(**options)
    try:
        yield sim
    finally:
        sim.close()
