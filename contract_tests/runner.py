"""`make contract`: check the target, run the contract suite against it, measure what it reached, summarise.

    python -m contract_tests.runner            # start the simulator, test it, stop it
    TVX_BASE_URL=https://… python -m contract_tests.runner   # test a deployment

Environment: TVX_BASE_URL, TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID (deployment only),
TVX_CONTROL_URL (the target is a simulator with its control plane there; unset, GET /_sim/health on the target
decides, asked again for up to 30 s while it gets no answer), TVX_ALLOW_LIVE=1 (accept a live key),
TVX_SAFE_TRANSFER_TO (a number a transfer may dial), TVX_RATE_LIMIT (requests per second the suite may send),
MIN_COVERAGE (percent each coverage dimension must reach), SEED (reproduce a run), MAX_EXAMPLES (cases per
operation and phase), PHASES (schemathesis phases, e.g. `examples,coverage`: a shorter run, which reaches less),
REPORT_DIR (default reports), GITHUB_STEP_SUMMARY (CI: the coverage table is appended to it).
Behaviour (checks, phases, tuning) is in schemathesis.toml; what coverage must reach in
contract_tests/coverage.toml; only the run's inputs are environment variables.

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

from contract_tests import coverage, html_report, journal
from contract_tests.polite import RATE_ENV, parse_rate
from contract_tests.preflight import PreflightFailed, preflight
from contract_tests.target import ROOT, Target, TargetError, identify, open_target
from tryvox_sim.spec import Spec

SPEC = ROOT / "openapi" / "call-actions.yaml"
BIN = Path(sys.executable).parent
SCHEMA_TEST = "contract_tests/test_schema.py"  # the pytest twin of the schemathesis run below
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# What a run writes; each is removed first, so a report never describes an earlier run.
OUTPUTS = ("schemathesis-junit.xml", "schemathesis.har", "schemathesis.json", "behaviour-junit.xml", "traffic.jsonl",
           "coverage.json", "coverage.md", "contract.html")  # fmt: skip


def schemathesis_command(
    target: Target, reports: Path, seed: int, max_examples: str | None, phases: str | None = None
) -> list[str]:
    command = [
        str(BIN / "schemathesis"),
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
        command += ["--max-examples", max_examples]
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
        "contract_tests",
        "--ignore",
        SCHEMA_TEST,
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
    counts["failed_tests"] = [
        f"{case.get('classname')}::{case.get('name')}"
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return counts


def summary(
    target: Target, seed: int, st: dict, st_code: int, bt: dict, bt_code: int, reports: Path, cov: coverage.Coverage,
    table: str, proved: str,
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
    lines.append("             schemathesis.json, behaviour-junit.xml, traffic.jsonl")
    lines.append(f"Seed:        {seed}   (reproduce: make contract SEED={seed})")
    failed = [name for name, code in (("schemathesis", st_code), ("behaviour tests", bt_code)) if code]
    failed += [f"coverage of {d.name} {d.percent:.1f}% < {cov.required:g}%" for d in cov.below()]
    lines.append(f"Result:      {'FAILED: ' + '; '.join(failed) if failed else 'PASSED'}")
    return "\n".join(lines)


def append_step_summary(markdown: str) -> None:
    """In GitHub Actions, the coverage table goes to the job's summary page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(markdown + "\n")
    except OSError as exc:
        print(f"contract: cannot append to GITHUB_STEP_SUMMARY {path}: {exc}", file=sys.stderr)


def main() -> int:
    reports = (ROOT / os.environ.get("REPORT_DIR", "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    seed_text = os.environ.get("SEED", "").strip()
    max_examples = os.environ.get("MAX_EXAMPLES", "").strip() or None
    phases = os.environ.get("PHASES", "").strip() or None
    if (seed_text and not seed_text.isdigit()) or (max_examples and not max_examples.isdigit()):
        print("contract: SEED and MAX_EXAMPLES must be whole numbers", file=sys.stderr)
        return 2
    if phases and not set(phases.split(",")) <= set(PHASES):
        print(f"contract: PHASES is a comma-separated list of {', '.join(PHASES)}, not {phases!r}", file=sys.stderr)
        return 2
    config = coverage.load_config()
    try:
        parse_rate(os.environ.get(RATE_ENV, ""))
        coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=True)
    except ValueError as exc:
        print(f"contract: {exc}", file=sys.stderr)
        return 2
    for name in OUTPUTS:
        (reports / name).unlink(missing_ok=True)
    os.environ[journal.ENV] = str(reports / "traffic.jsonl")  # the preflight, schemathesis and pytest write to it
    seed = int(seed_text) if seed_text else random.randrange(1, 2**31)
    try:
        target = open_target(seed=seed)
    except TargetError as exc:
        print(f"contract: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        proved = preflight(target)
        identify(target)  # after the preflight: an unreachable target is told so at once
        env = {**os.environ, **target.env, "PYTHONHASHSEED": "0"}
        print(f"contract: testing {target.base_url}, a {target.kind} ({target.why}); {proved}", flush=True)
        command = schemathesis_command(target, reports, seed, max_examples, phases)
        st_code = subprocess.call(command, cwd=ROOT, env=env)
        bt_code = subprocess.call(behaviour_command(reports), cwd=ROOT, env=env)
    except PreflightFailed as exc:
        print(f"contract: preflight: {exc}", file=sys.stderr)
        return 2
    except TargetError as exc:
        print(f"contract: {exc}", file=sys.stderr)
        return 2
    finally:
        target.stop()
    spec = Spec()
    required = coverage.required_percent(os.environ.get("MIN_COVERAGE", ""), config, simulator=target.is_simulator)
    cov = coverage.build(reports, spec, simulator=target.is_simulator, required=required, config=config)
    coverage.write(cov, reports)
    title = f"Contract run against {target.base_url} (seed {seed})"
    html_report.write(reports, cov, title, secrets=(target.env["TVX_API_TOKEN"],))
    append_step_summary(coverage.markdown(cov))
    st = read_schemathesis(reports / "schemathesis.json")
    bt = read_junit(reports / "behaviour-junit.xml")
    print(summary(target, seed, st, st_code, bt, bt_code, reports, cov, coverage.text_table(cov, spec), proved))
    print(f"Wall time:   {time.monotonic() - started:.1f} s")
    return 0 if st_code == 0 and bt_code == 0 and cov.passed else 1


if __name__ == "__main__":
    sys.exit(main())
