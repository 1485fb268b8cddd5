"""The simulated API's state, with no HTTP in it: the world, the faults in force, the request journal, the webhook
log, the integration coverage and the rate-limit windows; what the control plane drives (control.py takes a
`Simulation`, never the App). A reset starts the world over; coverage outlives it (it has its own reset)."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from ..contract.spec import Operation, Spec
from .coverage import Coverage
from .faults import Faults
from .journal import DEFAULT_SIZE, Journal
from .ratelimit import RateLimiter
from .trim import Trimmer, malloc_trim
from .webhooks import Webhooks
from .world import World


class Simulation:
    def __init__(
        self, world: World, spec: Spec, webhooks: Webhooks, journal_size: int = DEFAULT_SIZE, seed: int | None = None
    ) -> None:
        self.world = world
        self.spec = spec
        self.webhooks = webhooks
        self.faults = Faults(seed)
        self.journal = Journal(journal_size, params=lambda path: spec.match(path)[1])
        self.coverage = Coverage(self.journal, webhooks)
        self.limiter = RateLimiter(world.clock)
        self.trimmer = Trimmer(malloc_trim())
        self.spec_yaml = spec.actions_path.read_bytes()
        self.spec_json = orjson.dumps(spec.actions_doc)
        self.base_url: str | None = None  # where clients reach it, once served: /docs fills its samples with it
        self.on_reset: list[Callable[[], None]] = []  # what else starts over with the world

    @property
    def actions(self) -> list[Operation]:
        """The Call Actions operations (a fault may take any of them)."""
        return [op for op in self.spec.operations.values() if op.source == "actions"]

    def reset(self) -> None:
        self.world.reset()
        self.webhooks.clear()
        self.faults.clear()
        self.journal.clear()
        self.limiter = RateLimiter(self.world.clock)
        for start_over in self.on_reset:
            start_over()
        self.give_back_memory(reset=True)

    def give_back_memory(self, reset: bool = False) -> None:
        """After a large release (the retention sweep dropped many calls, a reset) hand freed memory back to the
        system (trim.py). Called by the server's housekeeping and the control plane, never per request."""
        self.trimmer.after(self.world.dropped, reset)
