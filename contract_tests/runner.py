"""`make contract`: run the contract suite against the simulator or a deployment, then summarise.

    python -m contract_tests.runner            # start the simulator, test it, stop it
    TVX_BASE_URL=https://… python -m contract_tests.runner   # test a deployment

Environment: TVX_BASE_URL, TVX_API_TOKEN, TVX_AUTH_ID, TVX_CALL_UUID (deployment only),
TVX_ALLOW_LIVE=1 (accept a live key), TVX_SAFE_TRANSFER_TO (a number a transfer may dial),
SEED (reproduce a run), MAX_EXAMPLES (cases per operation and phase), REPORT_DIR (default reports).
Behaviour (checks, phases, tuning) is in schemathesis.toml; only the run's inputs are flags here.
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

from contract_tests.target import ROOT, Target, TargetError, open_target

SPEC = ROOT / "openapi" / "call-actions.yaml"
BIN = Path(sys.executable).parent
SCHEMA_TEST = "contract_tests/test_schema.py"  # the pytest twin of the schemathesis run below


def schemathesis_command(target: Target, reports: Path, seed: int, max_examples: str | None) -> list[str]:
    command = [
        str(BIN / "schemathesis"),
        "run",
        str(SPEC),
        "--seed",
        str(seed),
        # No example database: cases replayed from earlier runs would make a seeded run differ.
        "--generation-database",
        "none",
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


def summary(target: Target, seed: int, st: dict, st_code: int, bt: dict, bt_code: int, reports: Path) -> str:
    lines = ["", "=" * 72, "Contract suite summary", "=" * 72]
    kind = (
        "simulator started by the runner"
        if target.process
        else ("simulator (control plane found)" if target.is_simulator else "deployment (no control plane)")
    )
    lines.append(f"Target:      {target.base_url}  [{kind}]")
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
    lines.append(f"Reports:     {reports}/ (schemathesis-junit.xml, schemathesis.har, schemathesis.json,")
    lines.append("             behaviour-junit.xml); failures above show a curl line per request")
    lines.append(f"Seed:        {seed}   (reproduce: make contract SEED={seed})")
    ok = st_code == 0 and bt_code == 0
    lines.append(f"Result:      {'PASSED' if ok else 'FAILED'}")
    return "\n".join(lines)


def main() -> int:
    reports = (ROOT / os.environ.get("REPORT_DIR", "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    seed_text = os.environ.get("SEED", "").strip()
    max_examples = os.environ.get("MAX_EXAMPLES", "").strip() or None
    if (seed_text and not seed_text.isdigit()) or (max_examples and not max_examples.isdigit()):
        print("contract: SEED and MAX_EXAMPLES must be whole numbers", file=sys.stderr)
        return 2
    seed = int(seed_text) if seed_text else random.randrange(1, 2**31)
    try:
        target = open_target(seed=seed)
    except TargetError as exc:
        print(f"contract: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        env = {**os.environ, **target.env, "PYTHONHASHSEED": "0"}
        print(f"contract: testing {target.base_url}", flush=True)
        st_code = subprocess.call(schemathesis_command(target, reports, seed, max_examples), cwd=ROOT, env=env)
        bt_code = subprocess.call(behaviour_command(reports), cwd=ROOT, env=env)
    finally:
        target.stop()
    st = read_schemathesis(reports / "schemathesis.json")
    bt = read_junit(reports / "behaviour-junit.xml")
    print(summary(target, seed, st, st_code, bt, bt_code, reports))
    print(f"Wall time:   {time.monotonic() - started:.1f} s")
    return 0 if st_code == 0 and bt_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
