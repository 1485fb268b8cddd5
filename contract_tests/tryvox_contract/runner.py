"""The contract run: check the target, run the suite against it, measure what it reached, summarise.

`tryvox-contract` (cli.py) reads its flags and environment and calls `run`; `make contract` is a thin call of
`tryvox-contract`. So there is one runner, wherever the suite is installed.

The target and the gate are read from the environment, which the suite's own processes (schemathesis and its
hooks, pytest and its fixtures) inherit: TVX_BASE_URL (unset: a simulator is started here), TVX_API_TOKEN,
TVX_AUTH_ID, TVX_CALL_UUID (deployment only), TVX_CONTROL_URL (the target is a simulator with its control plane
there; unset, GET /_sim/health on the target decides, asked again for up to 30 s while it gets no answer),
TVX_ALLOW_LIVE=1 (accept a live key), TVX_SAFE_TRANSFER_TO (a number a transfer may dial), TVX_RATE_LIMIT
(requests per second the suite may send), MIN_COVERAGE (percent each coverage dimension must reach), TVX_WORKFLOWS=1
(run the Arazzo workflows against a deployment too; against a simulator they always run: workflows.py),
GITHUB_STEP_SUMMARY (CI: the result and the coverage table are appended to it). The run's own shape (seed,
examples per operation, phases, report folder) comes as arguments.
Behaviour (checks, phases, tuning) is in schemathesis.toml; what coverage must reach in coverage.toml; the
behaviour tests' pytest settings in pytest.ini: all beside this file.

Exit 2: the run could not start (bad input, the preflight found the target unusable, or its kind is unknown);
1: a check or test failed, or coverage is below what is required; 0: passed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from tryvox_contract import HERE, PYTEST_CONFIG, SCHEMATHESIS_CONFIG, SPEC, __version__, coverage, html_report, journal
from tryvox_contract import workflows as arazzo
from tryvox_contract.polite import RATE_ENV, parse_rate
from tryvox_contract.preflight import PreflightFailed, preflight
from tryvox_contract.target import Target, TargetError, identify, open_target
from tryvox_sim.contract.spec import Spec

SCHEMA_TEST = HERE / "test_schema.py"  # the pytest twin of the schemathesis run below
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# What a run writes; each is removed first, so a report never describes an earlier run.
OUTPUTS = ("schemathesis-junit.xml", "schemathesis.har", "schemathesis.json", "behaviour-junit.xml", "traffic.jsonl",
           "coverage.json", "coverage.md", "contract.html", *arazzo.OUTPUTS)  # fmt: skip


def schemathesis_command(
    target: Target, reports: Path, seed: int, max_examples: int | None = None, phases: str | None = None
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",  # the one installed beside this package, whatever the layout of the install
        "--config-file",
        str(SCHEMATHESIS_CONFIG),
        "run",
        str(SPEC),
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
        str(reports / "schemathesis-junit.xml"),
        "--report-har-path",
        str(reports / "schemathesis.har"),
        "--report-json-path",
        str(reports / "schemathesis.json"),
    ]
    if max_examples:
        command += ["--max-examples", str(max_examples)]
    if phases:
        command += ["--phases", phases]
    if not target.is_simulator and not target.env.get("TVX_SAFE_TRANSFER_TO"):
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


def read_schemathesis(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def read_junit(path: Path) -> dict:
    """Counts and skip reasons from a pytest JUnit XML file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    reasons = Counter(skip.get("message", "") for skip in suite.iter("skipped") if skip.get("message"))
    counts["skip_reasons"] = [f"{reason} ({n} tests)" if n > 1 else reason for reason, n in sorted(reasons.items())]
    counts["failed_tests"] = [  # as `file.py::name`, the names coverage.toml and the HTML page use
        f"{(case.get('classname') or '').rsplit('.', 1)[-1]}.py::{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return counts


def failures(st_code: int, bt_code: int, cov: coverage.Coverage, flows: arazzo.Outcome | None = None) -> list[str]:
    """What failed the run, in the words of the summary's Result line; empty when it passed."""
    failed = [name for name, code in (("schemathesis", st_code), ("behaviour tests", bt_code)) if code]
    failed += [f"coverage of {d.name} {d.percent:.1f}% < {cov.required:g}%" for d in cov.below()]
    return failed + (["Arazzo workflows"] if flows is not None and flows.ran and not flows.passed else [])


def summary(
    target: Target, seed: int, st: dict, st_code: int, bt: dict, reports: Path, cov: coverage.Coverage, table: str,
    proved: str, failed: list[str], flows: arazzo.Outcome | None = None,
) -> str:  # fmt: skip
    lines = ["", "=" * 72, "Contract suite summary", "=" * 72]
    lines.append(f"Target:      {target.base_url}  [{target.kind}: {target.why}]")
    lines.append(f"Preflight:   {proved}")
    rate = os.environ.get(RATE_ENV, "").strip()
    lines.append(
        f"Pace:        {f'at most {rate} requests/s ({RATE_ENV})' if rate else f'unlimited ({RATE_ENV} unset)'}; "
        f"{cov.retries} requests retried after a 429 (Retry-After honoured)"
    )
    ops = st.get("operations", {})
    cases = st.get("test_cases", {})
    phases = ", ".join(f"{name} {info.get('status')}" for name, info in st.get("phases", {}).items())
    lines.append(
        f"Schemathesis: {ops.get('tested', '?')}/{ops.get('total', '?')} operations tested; phases: {phases or '?'}"
    )
    lines.append("             checks: all (schemathesis.toml [checks] enabled = true)")
    lines.append(
        f"             cases: {cases.get('generated', '?')} generated, "
        f"{cases.get('with_failures', '?')} with failures, {cases.get('errored', '?')} errored"
    )
    for failure in st.get("failures", []):
        lines.append(f"             FAIL {failure['code']} {failure['title']}: {failure['count']}")
        lines.extend(f"                  {op}" for op in failure.get("operations", []))
    for error in st.get("errors", []):
        lines.append(f"             ERROR {error.get('title')}: {error.get('count')}")
    if not st:
        lines.append(f"             no JSON report (schemathesis exit code {st_code})")
    lines.append(
        f"Behaviour:   {bt.get('tests', '?')} tests, {bt.get('failures', '?')} failed, "
        f"{bt.get('errors', '?')} errors, {bt.get('skipped', '?')} skipped"
    )
    lines.extend(f"             FAIL {name}" for name in bt.get("failed_tests", []))
    if flows is not None and flows.ran:
        lines.append(f"Workflows:   {flows.line()}")
        lines.extend(f"             FAIL {failure}" for failure in flows.failures)
    skipped = list(target.skipped) + [reason for reason in bt.get("skip_reasons", [])]
    if skipped:
        lines.append("Left out:")
        lines.extend(f"  - {reason}" for reason in skipped)
    lines.append(
        f"Coverage:    {cov.percent:.1f}% in total; every dimension must reach {cov.required:g}% ({cov.target})"
    )
    lines.append(table)
    lines.append(f"Reports:     {reports}/contract.html (open it after a failure: coverage, each failure as curl and")
    lines.append("             response), coverage.json, coverage.md, schemathesis-junit.xml, schemathesis.har,")
    lines.append("             schemathesis.json, behaviour-junit.xml, traffic.jsonl, workflows.json (Respect's log)")
    lines.append(f"Seed:        {seed}   (reproduce: tryvox-contract --seed {seed})")
    lines.append(f"Result:      {'FAILED: ' + '; '.join(failed) if failed else 'PASSED'}")
    return "\n".join(lines)


def step_summary(
    target: Target, seed: int, st: dict, bt: dict, failed: list[str], flows: arazzo.Outcome | None = None
) -> str:
    """The job summary's head (GitHub Actions): the result, what failed and where, before the coverage table."""
    lines = [
        f"## Contract suite: {'FAILED' if failed else 'passed'}",
        "",
        f"Target `{target.base_url}` ({target.kind}), seed `{seed}`, tryvox-contract {__version__}.",
    ]
    if failed:
        lines += ["", "Failed: " + "; ".join(failed) + "."]
    checks = [(f["code"], f["title"], f["count"], ", ".join(f.get("operations", []))) for f in st.get("failures", [])]
    if checks:
        lines += ["", "| schemathesis check | failures | operations |", "|---|---:|---|"]
        lines += [f"| {code} {title} | {count} | {ops} |" for code, title, count, ops in checks]
    tests = bt.get("failed_tests", [])
    if tests:
        lines += ["", "Behaviour tests failed:", ""] + [f"- `{name}`" for name in tests]
    if flows is not None and flows.ran and not flows.passed:
        lines += ["", "Arazzo workflows failed:", ""] + [f"- {failure}" for failure in flows.failures]
        lines += [f"- Respect: {flows.error}"] if flows.error else []
    lines += ["", "Reports: `contract.html` (each failure as curl and response), JUnit XML, HAR, `coverage.json`."]
    return "\n".join(lines) + "\n"


def append_step_summary(markdown: str) -> None:
    """In GitHub Actions, the result and the coverage table go to the job's summary page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(markdown + "\n")
    except OSError as exc:
        print(f"contract: cannot append to GITHUB_STEP_SUMMARY {path}: {exc}", file=sys.stderr)


def hypothesis_home() -> str:
    """Hypothesis' cache (its Unicode tables) goes to the user's cache folder, not into the folder the command runs
    in (a CI checkout); where that cannot be written (a container's user with no home), Hypothesis does without."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tryvox-contract", "hypothesis")


class NotStarted(Exception):
    """The run could not start (exit status 2); the message says why and what to do."""


def run(
    reports: Path, seed: int | None = None, max_examples: int | None = None, phases: str | None = None,
    wait_for: float = 0.0,
) -> int:  # fmt: skip
    """One contract run, its reports written to `reports`; returns the exit status (0, 1 or 2, as above).
    `wait_for`: seconds the preflight may wait for a target that is still starting."""
    try:
        return checked_run(reports.resolve(), seed, max_examples, phases, wait_for)
    except NotStarted as exc:
        print(f"contract: {exc}", file=sys.stderr)
        append_step_summary(f"## Contract suite: could not start\n\n```\n{exc}\n```")
        return 2


def checked_run(reports: Path, seed: int | None, max_examples: int | None, phases: str | None, wait_for: float) -> int:
    reports.mkdir(parents=True, exist_ok=True)
    config = coverage.load_config()
    try:
        parse_rate(os.environ.get(RATE_ENV, ""))
        coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=True)
    except ValueError as exc:
        raise NotStarted(exc) from None
    for name in OUTPUTS:
        (reports / name).unlink(missing_ok=True)
    os.environ[journal.ENV] = str(reports / "traffic.jsonl")  # the preflight, schemathesis and pytest write to it
    seed = seed if seed is not None else random.randrange(1, 2**31)
    try:
        target = open_target(seed=seed)
    except TargetError as exc:
        raise NotStarted(exc) from None
    started = time.monotonic()
    try:
        proved = preflight(target, wait_for)
        identify(target)  # after the preflight: an unreachable target is told so at once
        arazzo.unavailable(target)  # --workflows that cannot run stop the run here, before anything is sent
        # Plugins installed beside the suite (a user's pytest-randomly, pytest-django, …) stay out of its run.
        env = {**os.environ, **target.env, "PYTHONHASHSEED": "0", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        env.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", hypothesis_home())
        print(f"contract: testing {target.base_url}, a {target.kind} ({target.why}); {proved}", flush=True)
        command = schemathesis_command(target, reports, seed, max_examples, phases)
        st_code = subprocess.call(command, env=env)
        bt_code = subprocess.call(behaviour_command(reports), env=env)
        flows = arazzo.run(target, reports)
    except PreflightFailed as exc:
        raise NotStarted(f"preflight: {exc}") from None
    except (TargetError, arazzo.WorkflowsUnavailable) as exc:
        raise NotStarted(exc) from None
    finally:
        target.stop()
    if not flows.ran:
        target.skipped.append(f"Arazzo workflows: {flows.why}")
    spec = Spec()
    required = coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=target.is_simulator)
    cov = coverage.build(reports, spec, simulator=target.is_simulator, required=required, config=config)
    coverage.write(cov, reports)
    title = f"Contract run against {target.base_url} (seed {seed})"
    html_report.write(reports, cov, title, secrets=(target.env["TVX_API_TOKEN"],))
    st = read_schemathesis(reports / "schemathesis.json")
    bt = read_junit(reports / "behaviour-junit.xml")
    failed = failures(st_code, bt_code, cov, flows)
    append_step_summary(step_summary(target, seed, st, bt, failed, flows) + "\n" + coverage.markdown(cov))
    table = coverage.text_table(cov, spec)
    print(summary(target, seed, st, st_code, bt, reports, cov, table, proved, failed, flows))
    print(f"Wall time:   {time.monotonic() - started:.1f} s")
    return 1 if failed else 0
