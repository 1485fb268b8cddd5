"""The import paths of tryvox-sim 1.1, before its modules moved into layer packages (1.2): each old path still
imports, as the module it became, with a DeprecationWarning naming the new one. They go in 2.0."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

REMOVED_IN = "2.0"
MOVED = {
    f"tryvox_sim.{old}": f"tryvox_sim.{new}"
    for old, new in {
        "calls": "sim.calls",
        "canned": "sim.canned",
        "clock": "sim.clock",
        "control": "sim.control",
        "control_client": "testing.control_client",
        "cors": "sim.cors",
        "docs": "sim.docs",
        "domain": "sim.world",
        "faults": "sim.faults",
        "http": "sim.app",
        "invariants": "contract.invariants",
        "journal": "sim.journal",
        "problems": "contract.problems",
        "proxy_report": "proxy.report",
        "pytest_plugin": "testing.pytest_plugin",
        "ratelimit": "sim.ratelimit",
        "reply": "wire.response",
        "server": "wire.server",
        "spec": "contract.spec",
        "timeline": "sim.timeline",
        "transport": "wire.inprocess",
        "trim": "sim.trim",
        "verifier": "proxy.verifier",
        "webhooks": "sim.webhooks",
    }.items()
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and loads it as the module it moved to (the same module object, so state is shared)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there (the old path goes in tryvox-sim {REMOVED_IN})",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """The module it moved to is already executed."""


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
