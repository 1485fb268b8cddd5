"""The HTTP shell of the simulator: `App.handle(method, path, query, headers, body)` -> `Response`.

It only translates HTTP to domain calls (moto's `responses.py`), through the request pipeline (pipeline.py). Each
operation of the two specs is handled by the function named after its operationId: a `World` method for the Call
Actions (`transferCall` -> `World.transfer_call`, carried out by actions.py), a function of control.py for the
control plane; all are found once, when the `App` is built, which fails if one is missing. Served by wire/ (served.py),
or in-process through wire/inprocess.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..contract.invariants import Observer
from ..contract.spec import Spec
from ..wire.http11 import Request
from ..wire.response import Response
from . import control
from .actions import CallActions
from .control_plane import ControlPlane
from .cors import Cors
from .journal import DEFAULT_SIZE
from .pipeline import (
    CrossOrigin,
    Dispatch,
    Failures,
    Journaling,
    Outbox,
    Problems,
    RequestLog,
    Routing,
    SelfCheck,
    SelfCheckError,
    Step,
)
from .ratelimit import parse_rate
from .simulation import Simulation
from .webhooks import Webhooks
from .world import World

__all__ = ["App", "MissingHandler", "SelfCheckError", "handler_name", "handlers"]


class MissingHandler(LookupError):
    """An operation of a spec has nothing to handle it (raised when the App is built)."""


def handler_name(op_id: str) -> str:
    """The name of the function that handles an operation: its operationId in snake_case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op_id).lower()


def handlers(spec: Spec, world: World) -> dict[str, Callable[..., Any]]:
    """operationId -> its handler, for every operation of both specs; MissingHandler names any missing one."""
    owners: dict[str, tuple[object, str]] = {
        "actions": (world, "World"),
        "control": (control, "tryvox_sim.sim.control"),
    }
    found = {}
    for op in spec.operations.values():
        owner, owner_name = owners[op.source]
        name = handler_name(op.op_id)
        handler = getattr(owner, name, None)
        if not callable(handler) or isinstance(handler, type):
            raise MissingHandler(
                f"operation {op.op_id} ({op.method} {op.template}) has no handler: add {owner_name}.{name}"
            )
        found[op.op_id] = handler
    return found


class App:
    def __init__(
        self,
        world: World | None = None,
        spec: Spec | None = None,
        *,
        self_check: bool = True,
        raise_server_exceptions: bool = True,
        rate_limit: str | None = None,
        webhooks: Webhooks | None = None,
        journal_size: int = DEFAULT_SIZE,
        seed: int | None = None,
        cors: Sequence[str] = (),
        log_requests: bool = False,
    ) -> None:
        spec = spec or Spec()
        world = world or World()
        self.sim = Simulation(world, spec, webhooks or Webhooks(), journal_size, seed)
        self.handlers = handlers(spec, world)
        self.raise_server_exceptions = raise_server_exceptions
        # Origins whose pages may call the API from a browser (serve --cors); None, the default, is no step at all.
        self.cors = Cors(cors, self._api_headers()) if cors else None
        # Self-check refuses answers that break the spec or an invariant (the call state followed on the
        # simulator's own clock); None, when off, is no step at all.
        self.observer = Observer(spec, now=world.clock.now) if self_check else None
        if self.observer is not None:
            self.sim.on_reset.append(self.observer.forget)

        actions = CallActions(self.sim, self.handlers, parse_rate(rate_limit) if rate_limit else None)
        step: Step = Problems(Dispatch(actions, ControlPlane(self.sim, self.handlers)))
        self.self_check = SelfCheck(step, self.observer, world.clock) if self.observer is not None else None
        step = self.self_check or step
        self.failures = Failures(step, raise_server_exceptions)
        step = Outbox(self.failures, lambda: world.outbox, self.flush_outbox)
        if self.cors is not None:
            step = CrossOrigin(step, self.cors)
        step = Journaling(step, self.sim.journal, world.clock)
        if log_requests:  # serve --log-level info: one line per request
            step = RequestLog(step)
        self.respond = Routing(step, spec)

    # What the simulation holds, as the App's own (tests, testing.SimulatedAPI and the bench read them here).
    @property
    def world(self) -> World:
        return self.sim.world

    @property
    def spec(self) -> Spec:
        return self.sim.spec

    @property
    def webhooks(self) -> Webhooks:
        return self.sim.webhooks

    @property
    def faults(self) -> Any:
        return self.sim.faults

    @property
    def journal(self) -> Any:
        return self.sim.journal

    @property
    def limiter(self) -> Any:
        return self.sim.limiter

    @property
    def trimmer(self) -> Any:
        return self.sim.trimmer

    @property
    def base_url(self) -> str | None:
        return self.sim.base_url

    @base_url.setter
    def base_url(self, url: str | None) -> None:
        self.sim.base_url = url

    @property
    def unexpected_errors(self) -> int:
        return self.failures.unexpected

    def _api_headers(self) -> set[str]:
        """Every response header the API declares: a page on another origin may read them (CORS)."""
        return {name for op in self.sim.actions for response in op.responses.values() for name in response.headers}

    def reset(self) -> None:
        self.sim.reset()

    def give_back_memory(self, reset: bool = False) -> None:
        self.sim.give_back_memory(reset)

    # -- entry points
    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Response:
        """One request, in-process: `headers` has lower-case names, in a dict made for this request (the journal
        keeps it, the secret headers taken out: a copy would cost every request)."""
        return self.respond(Request(method, b"", path, query, headers, [], body, True))

    def flush_outbox(self) -> None:
        """Send the webhooks the world queued (checked first, when self-check is on)."""
        now = self.world.clock.now()
        for url, event, payload in self.world.take_outbox():
            if self.self_check is not None:
                self.self_check.webhook(self.spec, event, payload, self.raise_server_exceptions)
            self.webhooks.dispatch(url, event, payload, now)

    def housekeeping(self) -> None:
        """Served, every tenth of a second: timed rules fire (and their webhooks go) without a request; memory freed
        by the retention sweep goes back to the system."""
        world = self.world
        if world.next_due() <= world.clock.now():
            world.settle_all()
        if world.outbox:
            self.flush_outbox()
        self.give_back_memory()
