"""The API under test: a simulator started here, or a deployment named by the environment.

Both the runner (`tryvox-contract`, `make contract`) and `pytest contract_tests` use this module, so they agree on
what the target is. The target is described by environment variables, the same ones
`tryvox-sim serve` prints: TVX_BASE_URL, TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID, plus
TVX_CONTROL_URL when the simulator's control plane (`/_sim/...`) is reachable. A deployment's calls may come from a
command instead of TVX_CALL_UUID (TVX_CALL_COMMAND, live_call.py).

Whether a target named by TVX_BASE_URL is a simulator (its control plane makes fresh calls, moves the clock) or a
deployment is decided once, by `identify`, and said in `Target.why`: TVX_CONTROL_URL set says a simulator (and
its control plane must answer); otherwise GET /_sim/health on the target decides, asked again while it gets no
answer, a 429 or a 5xx, so a busy simulator never passes for a deployment.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tryvox_sim.testing import start_server, stop_server
from tryvox_sim.testing.control_client import ControlClient

REQUIRED = ("TVX_API_TOKEN", "TVX_AUTH_ID", "TVX_CALL_UUID")
LIVE_TOKEN_PREFIX = "tvx_sk_live_"
START_TIMEOUT_S = 30.0
IDENTIFY_WITHIN_S = 30.0  # a busy machine gets as long to answer GET /_sim/health as a simulator gets to start
PROBE_TIMEOUT_S = 5.0
PROBE_PAUSE_S = 0.5


class TargetError(Exception):
    """The target cannot be used; the message says what to do."""


@dataclass
class Target:
    env: dict[str, str]
    process: subprocess.Popen | None = None
    skipped: list[str] = field(default_factory=list)
    why: str = ""  # why it is a simulator or a deployment (`identify`); the summary prints it
    _control: ControlClient | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return self.env["TVX_BASE_URL"]

    @property
    def is_simulator(self) -> bool:
        return bool(self.env.get("TVX_CONTROL_URL"))

    @property
    def kind(self) -> str:
        return "simulator" if self.is_simulator else "deployment"

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
    return Target(env=env, process=process, why="started for this run")


def probe_health(url: str, within: float = IDENTIFY_WITHIN_S, **client: Any) -> tuple[bool, str]:
    """(whether `url` serves the simulator's control plane, what it answered), from GET /_sim/health, asked
    until an answer decides: {"status": "ok"} yes, any other answer but a 429 or a 5xx no. With no such answer
    within `within` seconds: TargetError. `client`: arguments of httpx.Client (tests pass a transport)."""
    deadline, tries, last = time.monotonic() + within, 0, ""
    with httpx.Client(base_url=url, timeout=PROBE_TIMEOUT_S, **client) as http:
        while True:
            tries += 1
            try:
                response = http.get("/_sim/health")
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                answer = f"GET /_sim/health answered {response.status_code}" + (f" on try {tries}" if tries > 1 else "")
                if response.status_code == 200 and _json(response) == {"status": "ok"}:
                    return True, answer + ' {"status": "ok"}'
                if response.status_code != 429 and response.status_code < 500:
                    return False, answer
                last = f"{response.status_code}"
            if time.monotonic() + PROBE_PAUSE_S >= deadline:
                tried = f"{tries} tries, the last: {last}"
                raise TargetError(f"{url} gave no answer to GET /_sim/health in {within:.0f} s ({tried})")
            time.sleep(PROBE_PAUSE_S)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def identify(target: Target, within: float = IDENTIFY_WITHIN_S, **client: Any) -> None:
    """Decide, once, whether a target named by the environment is a simulator or a deployment; say why."""
    if target.why:
        return
    env = target.env
    if env.get("TVX_CONTROL_URL"):
        try:
            found, answer = probe_health(env["TVX_CONTROL_URL"], within, **client)
        except TargetError as exc:
            raise TargetError(f"TVX_CONTROL_URL is set, but {exc}: is the simulator running there?") from None
        if not found:
            raise TargetError(f"TVX_CONTROL_URL={env['TVX_CONTROL_URL']} is not a simulator's control plane ({answer})")
        target.why = f"TVX_CONTROL_URL is set, and its {answer}"
        return
    try:
        found, answer = probe_health(target.base_url, within, **client)
    except TargetError as exc:
        raise TargetError(
            f"{exc}, so whether it is a simulator or a deployment is unknown; set TVX_CONTROL_URL to a simulator's URL"
        ) from None
    target.why = f"control plane found, {answer}" if found else f"no control plane, {answer}"
    if found:
        env["TVX_CONTROL_URL"] = target.base_url
    elif not env.get("TVX_SAFE_TRANSFER_TO"):
        target.skipped.append(
            "schema-valid transfers (transferCall): they would dial a real number and end the call; "
            "set TVX_SAFE_TRANSFER_TO to a number that may be called"
        )


def from_environment(environ: dict[str, str] | None = None) -> Target:
    """Describe a deployment named by TVX_BASE_URL, refusing what is unsafe or incomplete. With a call command
    (TVX_CALL_COMMAND) the calls come from it, and TVX_CALL_UUID is not needed (live_call.py)."""
    environ = dict(os.environ if environ is None else environ)
    base_url = environ.get("TVX_BASE_URL", "").rstrip("/")
    command = environ.get("TVX_CALL_COMMAND", "").strip()
    missing = [name for name in REQUIRED if not environ.get(name) and not (name == "TVX_CALL_UUID" and command)]
    if missing:
        raise TargetError(
            f"testing {base_url} needs {', '.join(missing)} in the environment "
            "(TVX_CALL_UUID: an in-progress call of the account TVX_AUTH_ID, or TVX_CALL_COMMAND: a command that "
            "starts one and prints its uuid)"
        )
    token = environ["TVX_API_TOKEN"]
    if token.startswith(LIVE_TOKEN_PREFIX) and environ.get("TVX_ALLOW_LIVE") != "1":
        raise TargetError(
            "TVX_API_TOKEN is a live key (tvx_sk_live_...): the suite acts on a real call. "
            "Use a test key, or set TVX_ALLOW_LIVE=1 to run against production on purpose."
        )
    env = {name: environ.get(name, "") for name in REQUIRED}
    env["TVX_BASE_URL"] = base_url
    for name in ("TVX_SAFE_TRANSFER_TO", "TVX_CALL_COMMAND", "TVX_CALL_TIMEOUT"):
        if environ.get(name, "").strip():
            env[name] = environ[name]
    if environ.get("TVX_CONTROL_URL"):
        env["TVX_CONTROL_URL"] = environ["TVX_CONTROL_URL"].rstrip("/")
    return Target(env=env)  # its kind: `identify`


def open_target(environ: dict[str, str] | None = None, seed: int | None = None) -> Target:
    """The target named by TVX_BASE_URL (`identify` then tells its kind), or a simulator started here when it is
    unset (with `seed`, its generated ids repeat, so a seeded run sends the same requests)."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get("TVX_BASE_URL"):
        return from_environment(environ)
    return start_simulator(*(["--seed", str(seed)] if seed is not None else []))
