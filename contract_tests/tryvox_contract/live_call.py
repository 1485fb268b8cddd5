"""The in-progress call a deployment run acts on: TVX_CALL_UUID, or a fresh one from TVX_CALL_COMMAND whenever the
call in use has ended.

A deployment has no control plane to make calls with. TVX_CALL_COMMAND (`--call-command`) is a shell command the
API's team writes with whatever its platform offers to start a test call; it prints the call's uuid (the last line
of its stdout) once the call is in progress. It runs before the run (the preflight's call) and again whenever the
call in use has ended: a transfer was accepted on it (the call ends once the transfer completes), or it answered
`409 call_not_in_progress` (hung up, or ended some other way). Each run of it gets TVX_CALL_TIMEOUT seconds
(default 60), and the environment of the run plus TVX_ENDED_CALL_UUID, the call it replaces (none the first time).
A command that fails, runs out of time or prints no uuid stops the run, exit status 2, with what it wrote to stderr.
A fresh call answering `409 call_not_in_progress` (still ringing) is asked again until that time is up.

Without a command the run has one call, TVX_CALL_UUID: once it has ended nothing replaces it, and the runner puts
what would end it last (runner.py).

The run's processes (the runner, schemathesis' hooks, the behaviour tests) share the call in use through a small
JSON file, TVX_CALL_STATE, under a lock: the first to see the call ended marks it, the next to need a call starts one.
Each call started, and each end seen, is journalled (`by: call`): the summary counts them.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tryvox_contract import journal

COMMAND_ENV = "TVX_CALL_COMMAND"
TIMEOUT_ENV = "TVX_CALL_TIMEOUT"
STATE_ENV = "TVX_CALL_STATE"
ENDED_ENV = "TVX_ENDED_CALL_UUID"  # given to the command: the call it replaces
DEFAULT_TIMEOUT_S = 60.0
READY_PAUSE_S = 1.0
STDERR_SHOWN = 1500  # characters of the command's stderr a failure shows (its end)
CALL_IN_PATH = re.compile(r"/calls/([^/]+)/")


class CallCommandFailed(Exception):
    """The call command gave no in-progress call; the message says what it printed."""


def parse_timeout(text: str) -> float:
    """TVX_CALL_TIMEOUT (--call-timeout) as seconds; ValueError names what is wrong."""
    if not text.strip():
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise ValueError(f"{TIMEOUT_ENV} (--call-timeout) must be seconds above 0 and at most 3600, not {text!r}")
    return seconds


def _said(stderr: str | bytes | None) -> str:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
    text = text.strip()
    return f": {text[-STDERR_SHOWN:]}" if text else " (nothing on stderr)"


def start_call(command: str, timeout: float, env: dict[str, str]) -> str:
    """Run the call command (`sh -c`); the uuid its stdout ends with, lower case."""
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CallCommandFailed(f"the call command did not finish within {timeout:g} s{_said(exc.stderr)}") from None
    except OSError as exc:
        raise CallCommandFailed(f"the call command could not start: {exc}") from None
    if done.returncode != 0:
        raise CallCommandFailed(f"the call command failed with exit status {done.returncode}{_said(done.stderr)}")
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    try:
        return str(uuid.UUID(lines[-1]))
    except (IndexError, ValueError):
        printed = repr(lines[-1][:200]) if lines else "nothing"
        raise CallCommandFailed(
            f"the call command printed {printed} as its last line, not a call uuid{_said(done.stderr)}"
        ) from None


@dataclass
class State:
    call: str  # the call in use, lower case
    ended: str = ""  # why it is known to have ended ("" while in use)
    started: int = 0  # calls the command started in this run
    seconds: float = 0.0  # the time those took, readiness included
    failed: str = ""  # the command's failure, once it failed: every later need of a call meets it


class LiveCall:
    """The call in use, shared by the run's processes (see the module's docstring). `ready(call)` asks the target
    whether a call is in progress: an answer's (status, problem code)."""

    def __init__(
        self, path: Path, command: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
        ready: Callable[[str], tuple[int, str]] | None = None,
    ) -> None:  # fmt: skip
        self.path, self.command, self.timeout, self.ready = path, command or None, timeout, ready

    @classmethod
    def from_environment(cls, ready: Callable[[str], tuple[int, str]] | None = None) -> LiveCall | None:
        """The run's live call (TVX_CALL_STATE), or None outside a deployment run (a simulator, plain pytest)."""
        path = os.environ.get(STATE_ENV)
        if not path:
            return None
        return cls(Path(path), os.environ.get(COMMAND_ENV), parse_timeout(os.environ.get(TIMEOUT_ENV, "")), ready)

    @property
    def fresh_calls(self) -> bool:
        """Whether a call that ends is replaced (a command gives calls)."""
        return self.command is not None

    def begin(self, call: str | None) -> str:
        """Start the run's state: the command's first call, or `call` (TVX_CALL_UUID) without a command."""
        with self._locked() as state:
            state.clear()
            if self.command is None:
                assert call, "a run without a call command has TVX_CALL_UUID"
                state.update(asdict(State(call.lower())))
                return state["call"]
            state.update(asdict(State("", ended="the run starts")))
        return self.current()

    def current(self) -> str:
        """The call in use: a fresh one from the command when the last has ended. Raises CallCommandFailed, and
        keeps the failure for every later need of a call (in any of the run's processes)."""
        with self._locked() as data:
            state = State(**data)
            if state.failed:
                raise CallCommandFailed(state.failed)
            if not state.ended or self.command is None:
                return state.call
            started = time.monotonic()
            try:
                call = self._fresh(state.call)
            except CallCommandFailed as exc:
                data["failed"] = failure = str(exc)  # written back as the block ends: raised after it
            else:
                took = time.monotonic() - started
                data.update(call=call, ended="", started=state.started + 1, seconds=state.seconds + took)
                journal.record(
                    by="call", event="started", call=call, seconds=round(took, 3), replaces=state.call or None
                )
                return call
        raise CallCommandFailed(failure)

    def saw(self, method: str, path: str, status: int, body: Any) -> None:
        """An answer the run got: the call in use has ended when a transfer was accepted on it, or it answered 409
        call_not_in_progress."""
        if status == 202 and method.upper() == "POST" and path.endswith("/transfer"):
            why = "a transfer was accepted on it"
        elif status == 409 and _code(body) == "call_not_in_progress":
            why = "it answered 409 call_not_in_progress"
        else:
            return
        found = CALL_IN_PATH.search(path)
        if found:
            self.ended(found[1], why)

    def ended(self, call: str, why: str) -> None:
        """`call` has ended (`why`): if it is the one in use, the next need of a call starts another."""
        with self._locked() as state:
            if state.get("call") == call.lower() and not state.get("ended"):
                state["ended"] = why
                journal.record(by="call", event="ended", call=call.lower(), why=why)

    def state(self) -> State:
        with self._locked() as data:
            return State(**data) if data else State("")

    def _fresh(self, ended: str) -> str:
        """A call from the command, once it answers as in progress (within the timeout)."""
        env = {**os.environ, ENDED_ENV: ended} if ended else {k: v for k, v in os.environ.items() if k != ENDED_ENV}
        deadline = time.monotonic() + self.timeout
        call = start_call(self.command or "", self.timeout, env)
        while self.ready is not None:
            status, code = self.ready(call)
            if not (status == 409 and code == "call_not_in_progress"):
                break
            if time.monotonic() + READY_PAUSE_S >= deadline:
                raise CallCommandFailed(
                    f"the call command printed {call}, but that call is still not in progress after {self.timeout:g} "
                    "s (409 call_not_in_progress): print the uuid once the call is answered"
                )
            time.sleep(READY_PAUSE_S)
        return call

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The state file's content, held under an exclusive lock and written back when changed."""
        with open(self.path, "a+", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            try:
                file.seek(0)
                text = file.read()
                data = json.loads(text) if text.strip() else {}
                before = dict(data)
                yield data
                if data != before:
                    file.seek(0)
                    file.truncate()
                    file.write(json.dumps(data))
                    file.flush()
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)


def _code(body: Any) -> str:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


@cache
def in_use() -> LiveCall | None:
    """This process's view of the run's live call (None outside a deployment run), its fresh calls checked by the
    preflight's request on the target of the environment."""
    from tryvox_contract.preflight import ready_probe  # preflight reads the target: imported when a run has one
    from tryvox_contract.target import Target

    env = {name: os.environ.get(name, "") for name in ("TVX_BASE_URL", "TVX_API_TOKEN", "TVX_AUTH_ID")}
    return LiveCall.from_environment(ready_probe(Target(env=env)))
