"""Testing with the simulator: in-process, moto-style (`with simulated_api() as sim:`, simulated.py), or served in a
process of its own (`served()`, processes.py); the pytest fixture `tryvox_sim` (pytest_plugin.py); and the client of
the control plane (control_client.py).

The names are loaded when first used: the control-plane client and the process helpers (what the contract suite
takes) never load the simulator itself.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "BASE_URL": "simulated", "InjectedFault": "simulated", "SimClock": "simulated", "SimulatedAPI": "simulated",
    "shared_spec": "simulated", "simulated_api": "simulated",
    "served": "processes", "start_proxy": "processes", "start_server": "processes", "stop_server": "processes",
    "ControlClient": "control_client", "ControlPlaneError": "control_client", "parse_exports": "control_client",
}  # fmt: skip
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)


def __dir__() -> list[str]:
    return __all__
