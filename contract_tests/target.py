"""The API under test: a simulator started here, or a deployment named by the environment.

Both the runner (`make contract`) and `pytest contract_tests` use this module, so they agree on
what the target is. The target is described by environment variables, the same ones
`tryvox-sim serve` prints: TVX_BASE_URL, TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID, plus
TVX_CONTROL_URL when the simulator's control plane (`/_sim/...`) is reachable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

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
    output: list[str] = field(default_factory=list)  # what a simulator started here printed

    @property
    def base_url(self) -> str:
        return self.env["TVX_BASE_URL"]

    @property
    def is_simulator(self) -> bool:
        return bool(self.env.get("TVX_CONTROL_URL"))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def sim_command(*extra: str) -> list[str]:
    exe = shutil.which("tryvox-sim", path=str(Path(sys.executable).parent)) or shutil.which("tryvox-sim")
    base = [exe] if exe else [sys.executable, "-c", "from simulator.cli import main; main()"]
    return [*base, "serve", "--host", "127.0.0.1", "--port", "0", *extra]


def parse_exports(lines: list[str]) -> dict[str, str]:
    """Read `export NAME=value` lines as printed by `tryvox-sim serve`."""
    env = {}
    for line in lines:
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            name, _, value = line[len("export ") :].partition("=")
            env[name.strip()] = value.strip().strip("'\"")
    return env


def start_simulator(*extra: str, timeout: float = START_TIMEOUT_S) -> Target:
    """Start `tryvox-sim serve` on a free loopback port and wait until it has printed its exports."""
    process = subprocess.Popen(
        # Manual clock: nothing happens between requests unless a test advances it, so runs repeat.
        sim_command("--self-check", "--manual-clock", *extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    # Drain the output for the server's whole life, so a full pipe never blocks it.
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        env = parse_exports(list(lines))
        if "TVX_BASE_URL" in env and all(name in env for name in REQUIRED):
            env["TVX_CONTROL_URL"] = env["TVX_BASE_URL"]
            return Target(env=env, process=process, output=lines)
        if process.poll() is not None:
            raise TargetError("the simulator exited before it was ready:\n" + "".join(lines))
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=5)
    raise TargetError(f"the simulator was not ready after {timeout:.0f} s:\n" + "".join(lines))


def has_control_plane(base_url: str) -> bool:
    """A harmless probe: does the target answer the simulator's health endpoint?"""
    try:
        response = httpx.get(f"{base_url}/_sim/health", timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.headers.get("content-type", "").startswith("application/json")


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
