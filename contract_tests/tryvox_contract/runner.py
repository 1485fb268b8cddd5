"""The contract run: check the target, run the suite against it, measure what it reached, summarise.

`tryvox-contract` (cli.py) reads its flags and environment and calls `run`; `make contract` is a thin call of
`tryvox-contract`. So there is one runner, wherever the suite is installed.

The target and the gate are read from the environment, which the suite's own processes (schemathesis and its
hooks, pytest and its fixtures) inherit: TVX_BASE_URL (unset: a simulator is started here), TVX_API_TOKEN,
TVX_AUTH_ID, TVX_CALL_UUID or TVX_CALL_COMMAND with TVX_CALL_TIMEOUT (deployment only: its one call, or a command
that starts each call: live_call.py), TVX_CONTROL_URL (the target is a simulator with its control plane there;
unset, GET /_sim/health on the target decides, asked again for up to 30 s while it gets no answer), TVX_ALLOW_LIVE=1
(accept a live key), TVX_SAFE_TRANSFER_TO (a number a transfer may dial), TVX_RATE_LIMIT (requests per second the
suite may send), MIN_COVERAGE (percent each coverage dimension must reach), TVX_WORKFLOWS=1 (run the Arazzo
workflows against a deployment too; against a simulator they always run: workflows.py), GITHUB_STEP_SUMMARY (CI:
the summary and the coverage table are appended to it). The run's own shape (seed, examples per operation, phases,
report folder, the spec to test: specs.py) comes as arguments.
Behaviour (checks, phases, tuning) is in schemathesis.toml; what coverage must reach in coverage.toml; the
behaviour tests' pytest settings in pytest.ini: all beside this file.

The stages run in turn: schemathesis, the behaviour tests, the workflows. Against a deployment with one call
(TVX_CALL_UUID, no call command) and a safe number to transfer to, what ends that call comes last: schemathesis'
transfers are a stage of their own after the rest (the first accepted one ends the call; what follows it is
answered a documented 409), and the behaviour tests and workflow that would end it are left out, each named. With a
call command, every stage gets a fresh call whenever the one in use has ended.

Exit 2: the run could not start (bad input, the preflight found the target unusable, or its kind is unknown), or
could not go on (the call command failed midway); 1: a check or test failed, or coverage is below what is
required; 0: passed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tryvox_contract import (
    HERE,
    PYTEST_CONFIG,
    SCHEMATHESIS_CONFIG,
    SPEC_ENV,
    coverage,
    html_report,
    journal,
    spec_file,
    specs,
)
from tryvox_contract import summary as summaries
from tryvox_contract import workflows as arazzo
from tryvox_contract.live_call import (
    COMMAND_ENV,
    STATE_ENV,
    TIMEOUT_ENV,
    CallCommandFailed,
    LiveCall,
    in_use,
    parse_timeout,
)
from tryvox_contract.polite import RATE_ENV, parse_rate
from tryvox_contract.preflight import PreflightFailed, preflight, ready_probe
from tryvox_contract.summary import read_junit, read_schemathesis  # noqa: F401  (the runner's, as before)
from tryvox_contract.target import Target, TargetError, identify, open_target
from tryvox_sim.contract.spec import Spec

SCHEMA_TEST = HERE / "test_schema.py"  # the pytest twin of the schemathesis run below
PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAIN, TRANSFERS = html_report.STAGES  # schemathesis' runs: the main one, and the transfers when they must come last
# What a run writes; each is removed first, so a report never describes an earlier run.
OUTPUTS = (*(f"{stage}{end}" for stage in html_report.STAGES for end in ("-junit.xml", ".har", ".json")),
           "behaviour-junit.xml", "traffic.jsonl", "coverage.json", "coverage.md", "contract.html", specs.FROM_GIT,
           *arazzo.OUTPUTS)  # fmt: skip


def fresh_calls(target: Target) -> bool:
    """Whether the target gives a call whenever one ends: the simulator's control plane, or a call command."""
    return target.is_simulator or bool(target.env.get(COMMAND_ENV))


def transfers_last(target: Target) -> bool:
    """A deployment with one call and a safe number: schema-valid transfers end that call, so they come last."""
    return not fresh_calls(target) and bool(target.env.get("TVX_SAFE_TRANSFER_TO"))


def transfer_phases(phases: str | None) -> str:
    """The phases of the transfers' own stage: those asked for, but the stateful one ("" when nothing is left)."""
    return ",".join(phase for phase in (phases or ",".join(PHASES)).split(",") if phase != "stateful")


def schemathesis_command(
    target: Target, reports: Path, seed: int, max_examples: int | None = None, phases: str | None = None,
    stage: str = MAIN,
) -> list[str]:  # fmt: skip
    """Schemathesis' command for a stage: MAIN (transferCall left out unless the target gives fresh calls and may be
    transferred), or TRANSFERS (transferCall alone, the last stage of a one-call deployment run)."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",  # the one installed beside this package, whatever the layout of the install
        "--config-file",
        str(SCHEMATHESIS_CONFIG),
        "run",
        str(spec_file()),
        "--seed",
        str(seed),
        # No example database: cases replayed from earlier runs would make a seeded run differ.
        "--generation-database",
        "none",
        # A 429 is waited out (Retry-After) and sent again instead of failing; the pace (TVX_RATE_LIMIT) is kept by
        # hooks.py, since the option takes a pace or `auto`, not both.
        "--rate-limit",
        "auto",
        "--report",
        "junit,har,json",
        "--report-dir",
        str(reports),
        "--report-junit-path",
        str(reports / f"{stage}-junit.xml"),
        "--report-har-path",
        str(reports / f"{stage}.har"),
        "--report-json-path",
        str(reports / f"{stage}.json"),
    ]
    if max_examples:
        command += ["--max-examples", str(max_examples)]
    if phases and stage == MAIN:
        command += ["--phases", phases]
    if stage == TRANSFERS:  # one operation alone follows no link: no stateful phase
        command += ["--include-operation-id", "transferCall", "--phases", transfer_phases(phases)]
    elif not target.is_simulator and (not target.env.get("TVX_SAFE_TRANSFER_TO") or transfers_last(target)):
        command += ["--exclude-operation-id", "transferCall"]
    return command


def behaviour_command(reports: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        # The suite's own settings, and nothing of the folder the command runs in or the install lives in.
        "-c",
        str(PYTEST_CONFIG),
        "--rootdir",
        str(HERE),
        str(HERE),
        "--ignore",
        str(SCHEMA_TEST),
        "-q",
        "-rs",
        "--tb=short",  # a long traceback prints the fixtures' values, the API token among them
        "-p",
        "no:cacheprovider",
        f"--junitxml={reports / 'behaviour-junit.xml'}",
    ]


def hypothesis_home() -> str:
    """Hypothesis' cache (its Unicode tables) goes to the user's cache folder, not into the folder the command runs
    in (a CI checkout); where that cannot be written (a container's user with no home), Hypothesis does without."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tryvox-contract", "hypothesis")


class NotStarted(Exception):
    """The run could not start (exit status 2); the message says why and what to do."""


def run(
    reports: Path, seed: int | None = None, max_examples: int | None = None, phases: str | None = None,
    wait_for: float = 0.0, spec: str | None = None, spec_ref: str | None = None,
) -> int:  # fmt: skip
    """One contract run, its reports written to `reports`; returns the exit status (0, 1 or 2, as above).
    `wait_for`: seconds the preflight may wait for a target that is still starting; `spec` / `spec_ref`: another
    version of the spec to test (specs.py)."""
    try:
        with tempfile.TemporaryDirectory(prefix="tryvox-contract-") as scratch:
            return checked_run(reports.resolve(), seed, max_examples, phases, wait_for, spec, spec_ref, Path(scratch))
    except NotStarted as exc:
        print(f"contract: {exc}", file=sys.stderr)
        summaries.append(f"## Contract suite: could not start\n\n```\n{exc}\n```")
        return 2


def checked_run(
    reports: Path, seed: int | None, max_examples: int | None, phases: str | None, wait_for: float,
    spec: str | None, spec_ref: str | None, scratch: Path,
) -> int:  # fmt: skip
    reports.mkdir(parents=True, exist_ok=True)
    config = coverage.load_config()
    try:
        parse_rate(os.environ.get(RATE_ENV, ""))
        parse_timeout(os.environ.get(TIMEOUT_ENV, ""))
        coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=True)
    except ValueError as exc:
        raise NotStarted(exc) from None
    for name in OUTPUTS:
        (reports / name).unlink(missing_ok=True)
    try:
        chosen = specs.choose(spec, spec_ref, reports)
    except specs.SpecUnusable as exc:
        raise NotStarted(exc) from None
    os.environ[SPEC_ENV] = str(chosen.path)  # the suite's processes test this spec (tryvox_contract.spec_file)
    os.environ[journal.ENV] = str(reports / "traffic.jsonl")  # the preflight, schemathesis and pytest write to it
    seed = seed if seed is not None else random.randrange(1, 2**31)
    try:
        target = open_target(seed=seed)
    except TargetError as exc:
        raise NotStarted(exc) from None
    started = time.monotonic()
    live: LiveCall | None = None
    stopped, st_code, bt_code, flows = "", 0, 0, arazzo.Outcome(False, "not run: the run stopped before them")
    try:
        if not target.process:  # a deployment's call, or a simulator named by TVX_BASE_URL (it needs none)
            live = open_live_call(target, scratch)
        proved = preflight(target, wait_for)
        identify(target)  # after the preflight: an unreachable target is told so at once
        if target.is_simulator:
            live = None  # its control plane makes each test a call
            os.environ.pop(STATE_ENV, None)
        arazzo.unavailable(target)  # --workflows that cannot run stop the run here, before anything is sent
        # Plugins installed beside the suite (a user's pytest-randomly, pytest-django, …) stay out of its run.
        env = {**os.environ, **target.env, "PYTHONHASHSEED": "0", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        env.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", hypothesis_home())
        print(f"contract: testing {target.base_url}, a {target.kind} ({target.why}); {proved}", flush=True)
        st_code = subprocess.call(schemathesis_command(target, reports, seed, max_examples, phases), env=env)
        stopped = call_failure(live)
        if not stopped:
            bt_code = subprocess.call(behaviour_command(reports), env=env)
            stopped = call_failure(live)
        if not stopped and live is not None and arazzo.wanted(target):
            try:
                target.env["TVX_CALL_UUID"] = live.current()  # the workflows' call
            except CallCommandFailed:
                stopped = call_failure(live)
        if not stopped:
            flows = arazzo.run(target, reports, fresh_calls=fresh_calls(target))
        if not stopped and transfers_last(target) and transfer_phases(phases):
            command = schemathesis_command(target, reports, seed, max_examples, phases, stage=TRANSFERS)
            st_code = subprocess.call(command, env=env) or st_code
    except PreflightFailed as exc:
        raise NotStarted(f"preflight: {exc}") from None
    except (TargetError, arazzo.WorkflowsUnavailable, CallCommandFailed) as exc:
        raise NotStarted(exc) from None
    finally:
        target.stop()
    if not flows.ran:
        target.skipped.append(f"Arazzo workflows: {flows.why}")
    if transfers_last(target):
        target.skipped.append(
            "schema-valid transfers (transferCall) ran last, on the run's one call: the first accepted ends it, "
            "and the rest are answered 409 (give --call-command for a fresh call after each)"
        )
    return report(target, reports, seed, chosen, proved, st_code, bt_code, flows, live, stopped, config, started)


def open_live_call(target: Target, scratch: Path) -> LiveCall:
    """The deployment's calls (live_call.py), shared with the suite's processes through a file of this run; with a
    command, its first call, which the preflight then checks."""
    os.environ[STATE_ENV] = str(scratch / "call.json")
    in_use.cache_clear()
    command, timeout = target.env.get(COMMAND_ENV), parse_timeout(target.env.get(TIMEOUT_ENV, ""))
    live = LiveCall(scratch / "call.json", command, timeout, ready_probe(target))
    try:
        target.env["TVX_CALL_UUID"] = live.begin(target.env.get("TVX_CALL_UUID"))
    except CallCommandFailed as exc:
        raise NotStarted(f"preflight: {exc}") from None
    return live


def call_failure(live: LiveCall | None) -> str:
    """The call command's failure midway, if it failed: the run cannot go on without a call."""
    return f"the call command failed: {live.state().failed}" if live is not None and live.state().failed else ""


def calls_line(target: Target, live: LiveCall | None, reports: Path) -> str:
    """Where a deployment's calls came from, and what ended them (the journal's `call` lines)."""
    if live is None:
        return ""
    if not live.fresh_calls:
        ended = live.state().ended
        return f"one, TVX_CALL_UUID {target.env['TVX_CALL_UUID']}" + (f" (ended: {ended})" if ended else "")
    entries = [e for e in journal.read(reports / "traffic.jsonl") if e["by"] == "call"]
    started = [e for e in entries if e.get("event") == "started"]
    ends = Counter(e.get("why", "") for e in entries if e.get("event") == "ended")
    took = sum(e.get("seconds", 0) for e in started) / len(started) if started else 0
    why = "; ".join(f"{n} as {reason}" for reason, n in ends.most_common())
    return f"{len(started)} from --call-command ({took:.1f} s each on average)" + (f"; ended: {why}" if why else "")


def report(
    target: Target, reports: Path, seed: int, chosen: specs.Chosen, proved: str, st_code: int, bt_code: int,
    flows: arazzo.Outcome, live: LiveCall | None, stopped: str, config: dict, started: float,
) -> int:  # fmt: skip
    spec = Spec(chosen.path)
    required = coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=target.is_simulator)
    cov = coverage.build(reports, spec, simulator=target.is_simulator, required=required, config=config)
    coverage.write(cov, reports)
    title = f"Contract run against {target.base_url} (seed {seed})"
    secrets = (target.env["TVX_API_TOKEN"],)
    html_report.write(reports, cov, title, secrets=secrets)
    outcome = summaries.Outcome(
        target, seed, reports, cov, proved, chosen.line(),
        st=read_schemathesis(*(reports / f"{stage}.json" for stage in html_report.STAGES)), st_code=st_code,
        bt=read_junit(reports / "behaviour-junit.xml"), bt_code=bt_code, flows=flows,
        calls=calls_line(target, live, reports), stopped=stopped,
    )  # fmt: skip
    summaries.append(summaries.job(outcome, secrets) + "\n" + coverage.markdown(cov))
    print(summaries.console(outcome, coverage.text_table(cov, spec)))
    print(f"Wall time:   {time.monotonic() - started:.1f} s")
    return 2 if stopped else 1 if outcome.failed else 0
