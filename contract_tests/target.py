"""The API under test: a simulator started here, or a deployment named by the environment.

Both the runner (`make contract`) and `pytest contract_tests` use this module, so they agree on
what the target is. The target is described by environment variables, the same ones
`tryvox-sim serve` prints: TVX_BASE_URL, TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID, plus
TVX_CONTROL_URL when the simulator's control plane (`/_sim/...`) is reachable.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tryvox_sim.control_client import ControlClient, ControlPlaneError
from tryvox_sim.testing import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("TVX_API_TOKEN", "TVX_AUTH_ID", "TVX_CALL_UUID")
LIVE_TOKEN_PREFIX = "tvx_sk_live_"
START_TIMEOUT_S = 30.0


class TargetError(Exception):
    """The target cannot be used; the message says what to do."""


@dataclass
class Target:
    env: dict[str, str]
    process: subprocess.Popen | None = None
    skipped: list[str] = field(default_factory=list)
    _control: ControlClient | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return self.env["TVX_BASE_URL"]

    @property
    def is_simulator(self) -> bool:
        return bool(self.env.get("TVX_CONTROL_URL"))

    @property
    def control(self) -> ControlClient:
        """The simulator's control plane (TVX_CONTROL_URL), opened on first use and closed by `stop`."""
        if self._control is None:
            self._control = ControlClient(self.env["TVX_CONTROL_URL"], auth_id=self.env["TVX_AUTH_ID"])
        return self._control

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self.process:
            stop_server(self.process)


def start_simulator(*extra: str, timeout: float = START_TIMEOUT_S) -> Target:
    """Start `tryvox-sim serve` on a free loopback port and wait until it has printed its exports."""
    try:
        # Manual clock: nothing happens between requests unless a test advances it, so runs repeat.
        process, found = start_server("--self-check", "--manual-clock", *extra, timeout=timeout)
    except RuntimeError as exc:
        raise TargetError(str(exc)) from None
    env = {name: found[name] for name in ("TVX_BASE_URL", *REQUIRED)}
    env["TVX_CONTROL_URL"] = env["TVX_BASE_URL"]
    return Target(env=env, process=process)


def has_control_plane(base_url: str) -> bool:
    """A harmless probe: does the target answer the simulator's health endpoint?"""
    with ControlClient(base_url, timeout=5) as control:
        try:
            return control.get_health() == {"status": "ok"}
        except (httpx.HTTPError, ControlPlaneError, ValueError):  # unreachable, refused, or not JSON
            return False


def from_environment(environ: dict[str, str] | None = None) -> Target:
    """Describe a deployment named by TVX_BASE_URL, refusing what is unsafe or incomplete."""
    environ = dict(os.environ if environ is None else environ)
    base_url = environ.get("TVX_BASE_URL", "").rstrip("/")
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise TargetError(
            f"testing {base_url} needs {', '.join(missing)} in the environment "
            "(TVX_CALL_UUID: an in-progress call of the account TVX_AUTH_ID)"
        )
    token = environ["TVX_API_TOKEN"]
    if token.startswith(LIVE_TOKEN_PREFIX) and environ.get("TVX_ALLOW_LIVE") != "1":
        raise TargetError(
            "TVX_API_TOKEN is a live key (tvx_sk_live_...): the suite acts on a real call. "
            "Use a test key, or set TVX_ALLOW_LIVE=1 to run against production on purpose."
        )
    env = {name: environ[name] for name in REQUIRED}
    env["TVX_BASE_URL"] = base_url
    if environ.get("TVX_SAFE_TRANSFER_TO"):
        env["TVX_SAFE_TRANSFER_TO"] = environ["TVX_SAFE_TRANSFER_TO"]
    target = Target(env=env)
    if has_control_plane(base_url):
        env["TVX_CONTROL_URL"] = base_url
    elif not env.get("TVX_SAFE_TRANSFER_TO"):
        target.skipped.append(
            "schema-valid transfers (transferCall): they would dial a real number and end the call; "
            "set TVX_SAFE_TRANSFER_TO to a number that may be called"
        )
    return target


def open_target(environ: dict[str, str] | None = None, seed: int | None = None) -> Target:
    """The target named by TVX_BASE_URL, or a simulator started here when it is unset (with `seed`, its
    generated ids repeat, so a seeded run sends the same requests)."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get("TVX_BASE_URL"):
        return from_environment(environ)
    return start_simulator(*(["--seed", str(seed)] if seed is not None else []))
