"""The spec's Arazzo workflows (call-actions.arazzo.yaml), run by Redocly Respect against the target.

A third reader of the spec beside schemathesis and the behaviour tests: Respect runs each workflow step by step and
checks every answer against the spec itself (status, content type, schema) and against the step's success criteria.

Against a simulator the `simulator-*` workflows run, each on a fresh call of the control plane (TVX_CONTROL_URL).
Against a deployment only when asked (`tryvox-contract --workflows`, TVX_WORKFLOWS=1), and with the suite's safety
rules: the target was already refused if its key is live without TVX_ALLOW_LIVE=1 (target.py), the workflows act on
the call in use (TVX_CALL_UUID, or the call command's latest), and the transfer (it dials a number and ends the call)
runs last, only to TVX_SAFE_TRANSFER_TO and only with fresh calls (a call command): with one call, what ends it is
schemathesis' last stage (runner.py).

Respect is the Redocly CLI's command: TVX_REDOCLY (a command line) if set, else `redocly` on PATH, else the pinned
one of this repository's node_modules (a checkout). The API token reaches it through the environment
(`$inputs.env.TVX_API_TOKEN` in the workflows), never its command line; its JSON log (reports/workflows.json) has
the token masked, and the run filters it out of the log it keeps as well.

Respect keeps no pace and waits out no 429, so it talks to the target through a loopback relay that does what the
suite's own clients do (polite.py): each request waits its turn under TVX_RATE_LIMIT, and a 429 answered to the
suite's token is sent again after its Retry-After (a 429 to another account's token, as the rate-limited workflow
expects, is passed on).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tryvox_contract import HERE, SPEC, spec_file
from tryvox_contract.polite import PoliteTransport
from tryvox_contract.target import Target

ARAZZO = "call-actions.arazzo.yaml"
ENV = "TVX_WORKFLOWS"  # "1": run the workflows against a deployment too (--workflows); "0": not even a simulator's
REDOCLY_ENV = "TVX_REDOCLY"
REDOCLY_PINNED = "2.77.0"  # package.json's @redocly/cli
# Respect runs the workflows it is given in the order of the file, whatever the order of its --workflow flags.
SIMULATOR_WORKFLOWS = (
    "simulator-recording-life", "simulator-media-actions", "simulator-transfer-ends-call", "simulator-errors",
    "simulator-rate-limited",
)  # fmt: skip
DEPLOYMENT_WORKFLOWS = ("recording-life", "media-actions", "errors")
TRANSFER_WORKFLOW = "transfer-ends-call"  # against a deployment only to TVX_SAFE_TRANSFER_TO; the file puts it last
RUN_TIMEOUT_S = 300
STEP_TIMEOUT_MS = 15_000
OUTPUTS = ("workflows.json", "workflows.log")
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}


class WorkflowsUnavailable(Exception):
    """The workflows cannot run here; the message says why and what to do."""


@dataclass
class Outcome:
    """What a run of the workflows showed: `ran` False means they were left out (`why`)."""

    ran: bool
    why: str = ""
    workflows: list[tuple[str, bool]] = field(default_factory=list)  # (workflowId, passed), in run order
    steps: int = 0
    checks: int = 0
    failures: list[str] = field(default_factory=list)  # "workflow › step: check (condition)", one per failed check
    error: str = ""  # Respect did not run to the end: what it said

    @property
    def passed(self) -> bool:
        return self.ran and not self.error and not self.failures and all(ok for _, ok in self.workflows)

    def line(self) -> str:
        if not self.ran:
            return f"left out: {self.why}"
        passed = sum(ok for _, ok in self.workflows)
        text = f"{len(self.workflows)} workflows, {passed} passed; {self.steps} steps, {self.checks} checks"
        return f"{text} ({self.why})" + (f"; Respect failed: {self.error}" if self.error else "")


def arazzo_file() -> Path | None:
    """The workflows: packaged beside this module in a wheel, or openapi/ of a checkout."""
    for path in (HERE / ARAZZO, HERE.parent.parent / "openapi" / ARAZZO):
        if path.is_file():
            return path
    return None


def redocly_command() -> list[str] | None:
    """How to start the Redocly CLI here, or None."""
    if os.environ.get(REDOCLY_ENV, "").strip():
        return shlex.split(os.environ[REDOCLY_ENV])
    on_path = shutil.which("redocly")
    if on_path:
        return [on_path]
    checkout = HERE.parent.parent / "node_modules" / ".bin" / "redocly"
    return [str(checkout)] if checkout.is_file() else None


def wanted(target: Target) -> bool:
    if os.environ.get(ENV) == "0":  # turned off: a run that proves something else (the repository's own tests)
        return False
    return target.is_simulator or os.environ.get(ENV) == "1"


def plan(target: Target, fresh_calls: bool = True) -> tuple[list[str], dict[str, str], dict[str, str], list[str]]:
    """(workflows in run order, inputs, servers, what is left out and why) for this target; `fresh_calls`: a call
    that ends is replaced (the transfer may end the one it is given)."""
    env = target.env
    servers = {"callActions": target.base_url}
    if target.is_simulator:
        servers["simulator"] = env["TVX_CONTROL_URL"]
        # A new account per run: the rate-limited workflow creates it, and a simulator keeps its accounts.
        inputs = {"auth_id": env["TVX_AUTH_ID"], "limited_auth_id": f"wf_{secrets.token_hex(6)}"}
        return list(SIMULATOR_WORKFLOWS), inputs, servers, []
    inputs = {"auth_id": env["TVX_AUTH_ID"], "call_uuid": env["TVX_CALL_UUID"]}
    names, left_out = list(DEPLOYMENT_WORKFLOWS), []
    if not env.get("TVX_SAFE_TRANSFER_TO"):
        left_out.append(f"workflow {TRANSFER_WORKFLOW}: it dials a number and ends the call; set TVX_SAFE_TRANSFER_TO")
    elif not fresh_calls:
        left_out.append(
            f"workflow {TRANSFER_WORKFLOW}: it ends the call in use, the run's only one (schemathesis' transfers, "
            "last, end it instead): give --call-command for fresh calls"
        )
    else:
        names.append(TRANSFER_WORKFLOW)
        inputs["transfer_to"] = env["TVX_SAFE_TRANSFER_TO"]
    return names, inputs, servers, left_out


def respect_command(redocly: list[str], arazzo: Path, names: list[str], inputs: dict, servers: dict, log: Path):
    command = [*redocly, "respect", str(arazzo)]
    for name in names:
        command += ["--workflow", name]
    for key, value in inputs.items():
        command += ["--input", f"{key}={value}"]
    for key, value in servers.items():
        command += ["--server", f"{key}={value}"]
    return command + ["--json-output", str(log), "--max-fetch-timeout", str(STEP_TIMEOUT_MS)]


def unavailable(target: Target) -> str:
    """Why the workflows cannot run here ("" when they can). Raises WorkflowsUnavailable when they were asked for
    (--workflows), so the run stops before anything is sent."""
    if not wanted(target):
        if os.environ.get(ENV) == "0":
            return "turned off (TVX_WORKFLOWS=0)"
        return "against a deployment only with --workflows (TVX_WORKFLOWS=1)"
    if arazzo_file() is None:
        missing = f"{ARAZZO} is not installed with tryvox-contract"
    elif redocly_command() is None:
        missing = (
            f"the Redocly CLI was not found: `npm install -g @redocly/cli@{REDOCLY_PINNED}`, or set {REDOCLY_ENV} to "
            "a command that starts it"
        )
    else:
        return ""
    if os.environ.get(ENV) == "1":
        raise WorkflowsUnavailable(f"--workflows: {missing}")
    return missing


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


@contextmanager
def relay(upstream: str, token: str) -> Iterator[str]:
    """A loopback HTTP relay to `upstream` keeping the suite's pace and waiting out its token's 429s; yields its URL."""
    upstream = upstream.rstrip("/")
    waits = httpx.Client(transport=PoliteTransport(retry=True), timeout=30)
    passes = httpx.Client(transport=PoliteTransport(retry=False), timeout=30)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms wait for the client's ACK

        def log_message(self, *args: Any) -> None:
            pass

        def relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            client = waits if self.headers.get("authorization") == f"Bearer {token}" else passes
            try:
                answer = client.request(self.command, upstream + self.path, headers=headers, content=body)
            except httpx.HTTPError as exc:
                self.send_error(502, f"relay: {type(exc).__name__}")
                return
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        waits.close()
        passes.close()


def run(target: Target, reports: Path, fresh_calls: bool = True) -> Outcome:
    """Run the workflows this target gets (see the module's docstring); reports/workflows.{json,log} keep what
    Respect wrote. Raises WorkflowsUnavailable when they were asked for and cannot run."""
    for name in OUTPUTS:
        (reports / name).unlink(missing_ok=True)
    why_not = unavailable(target)
    arazzo, redocly = arazzo_file(), redocly_command()
    if why_not or arazzo is None or redocly is None:
        return Outcome(False, why_not)
    names, inputs, servers, left_out = plan(target, fresh_calls)
    target.skipped.extend(left_out)
    token = target.env["TVX_API_TOKEN"]
    with tempfile.TemporaryDirectory(prefix="tryvox-workflows-") as folder, ExitStack() as relays:
        # The workflows beside the specs they name (./call-actions.yaml, ./simulator.yaml: tryvox-sim carries both,
        # side by side), wherever those live.
        here = Path(folder)
        for source, name in (
            (arazzo, ARAZZO),
            (spec_file(), "call-actions.yaml"),
            (SPEC.parent / "simulator.yaml", "simulator.yaml"),
        ):
            shutil.copyfile(source, here / name)
        through = {url: relays.enter_context(relay(url, token)) for url in set(servers.values())}
        log = reports / "workflows.json"
        relayed = {name: through[url] for name, url in servers.items()}
        command = respect_command(redocly, here / ARAZZO, names, inputs, relayed, log)
        env = {**os.environ, **QUIET, "TVX_API_TOKEN": token}
        try:
            done = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
            said = done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            said = f"{exc.stdout or ''}{exc.stderr or ''}\nRespect did not finish within {RUN_TIMEOUT_S} s"
            done = None
        except OSError as exc:
            raise WorkflowsUnavailable(f"cannot start the Redocly CLI ({shlex.join(redocly)}): {exc}") from None
    (reports / "workflows.log").write_text(said.replace(token, "***"))
    if log.is_file():
        log.write_text(log.read_text().replace(token, "***"))
    version = _version(redocly)
    outcome = read(log, version)
    if done is None or (done.returncode != 0 and not outcome.failures):
        outcome.error = _last_words(said)
    if outcome.ran and not outcome.workflows and not outcome.error:
        outcome.error = "no workflow ran"
    return outcome


def read(log: Path, version: str = "") -> Outcome:
    """An outcome from Respect's JSON log (`--json-output`)."""
    outcome = Outcome(True, f"Redocly Respect {version}".strip())
    try:
        data = json.loads(log.read_text())
    except (OSError, ValueError):
        return outcome
    for file in (data.get("files") or {}).values():
        for workflow in file.get("executedWorkflows") or []:
            failed_before = len(outcome.failures)
            _walk(workflow, [workflow.get("workflowId", "?")], outcome)
            ok = workflow.get("status") == "success" and len(outcome.failures) == failed_before
            outcome.workflows.append((workflow.get("workflowId", "?"), ok))
    return outcome


def _walk(workflow: dict[str, Any], path: list[str], outcome: Outcome) -> None:
    for step in workflow.get("executedSteps") or []:
        if step.get("type") == "workflow":  # a step that runs another workflow
            _walk(step, [*path, step.get("workflowId", "?")], outcome)
            continue
        outcome.steps += 1
        for check in step.get("checks") or []:
            outcome.checks += 1
            if not check.get("passed"):
                what = check.get("condition") or (check.get("message") or "").strip().splitlines()[0:1]
                detail = what if isinstance(what, str) else "".join(what)
                outcome.failures.append(
                    f"{' › '.join(path)} › {step.get('stepId', '?')}: {check.get('name', 'check')}"
                    + (f" ({detail})" if detail else "")
                )


def _version(redocly: list[str]) -> str:
    """The Redocly CLI's version, from the package.json of the file that starts it (no second Node start)."""
    start = Path(redocly[0]).resolve()
    for folder in start.parents:
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                found = json.loads(manifest.read_text())
            except ValueError:
                return ""
            return str(found.get("version", "")) if found.get("name") == "@redocly/cli" else ""
    return ""


def _last_words(said: str) -> str:
    """The last lines Respect printed, without its boxed notices."""
    lines = [line.strip() for line in said.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("║", "╔", "╚"))]
    return " / ".join(lines[-3:]) or "no output"
