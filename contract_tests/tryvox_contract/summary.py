"""What a contract run says at its end: the console summary and, in GitHub Actions, the job summary.

Both are read from the run's files (schemathesis' JSON reports, the behaviour tests' JUnit XML, the journal) and the
coverage measured from them. The job summary names each failure with the request that shows it as a curl line (a
failed schemathesis check's own, a failed test's last request), the token filtered out, then the coverage table;
the page with every failure and its response is contract.html, in the report folder (the GitHub Action links its
artifact).
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tryvox_contract import __version__, coverage, journal
from tryvox_contract import workflows as arazzo
from tryvox_contract.html_report import curl
from tryvox_contract.polite import RATE_ENV
from tryvox_contract.target import Target

FAILURES_SHOWN = 12  # failures the job summary shows with their curl line; contract.html has them all
CURL_SHOWN = 1500  # characters of a curl line the job summary shows (a 413's body is 64 KiB)
NAMES_SHOWN = 8  # tests a "Left out" reason names


def read_schemathesis(*paths: Path) -> dict:
    """Schemathesis' JSON report, or several runs' added up (the run's main stage and its transfers last)."""
    found = []
    for path in paths:
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    if len(found) < 2:
        return found[0] if found else {}
    first, *rest = found
    merged = {**first, "failures": list(first.get("failures", [])), "errors": list(first.get("errors", []))}
    cases = Counter(first.get("test_cases", {}))
    for other in rest:
        cases.update(other.get("test_cases", {}))
        merged["failures"] += other.get("failures", [])
        merged["errors"] += other.get("errors", [])
        ops, more = dict(merged.get("operations", {})), other.get("operations", {})
        ops["tested"] = ops.get("tested", 0) + more.get("tested", 0)
        merged["operations"] = ops
    merged["test_cases"] = dict(cases)
    return merged


def read_junit(path: Path) -> dict:
    """Counts, skip reasons (each with the tests it left out) and failed tests from a pytest JUnit XML file."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return {}
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts: dict[str, Any] = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    left_out: dict[str, list[str]] = defaultdict(list)
    for case in suite.iter("testcase"):
        skip = case.find("skipped")
        if skip is not None and skip.get("message"):
            left_out[skip.get("message", "")].append(_name(case))
    counts["skip_reasons"] = [_reason(reason, names) for reason, names in sorted(left_out.items())]
    counts["failed_tests"] = [  # as `file.py::name`, the names coverage.toml and the HTML page use
        _name(case)
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return counts


def _name(case: ET.Element) -> str:
    return f"{(case.get('classname') or '').rsplit('.', 1)[-1]}.py::{case.get('name')}"


def _reason(reason: str, names: list[str]) -> str:
    """A skip reason and how many tests it left out; named, when a user can lift it (not the simulator's own)."""
    counted = f"{reason} ({len(names)} tests)" if len(names) > 1 else reason
    if coverage.SIMULATOR_ONLY in reason:
        return counted
    tests = sorted({name.split("[", 1)[0] for name in names})
    shown = ", ".join(tests[:NAMES_SHOWN]) + (
        f", and {len(tests) - NAMES_SHOWN} more" if len(tests) > NAMES_SHOWN else ""
    )
    return f"{counted}: {shown}"


@dataclass
class Outcome:
    """One run, as its summaries tell it."""

    target: Target
    seed: int
    reports: Path
    cov: coverage.Coverage
    proved: str  # what the preflight proved
    spec: str  # which spec was tested, and how it was chosen
    st: dict = field(default_factory=dict)  # schemathesis' JSON report(s)
    st_code: int = 0
    bt: dict = field(default_factory=dict)  # the behaviour tests' JUnit counts
    bt_code: int = 0
    flows: arazzo.Outcome | None = None
    calls: str = ""  # where a deployment's calls came from, and how many
    stopped: str = ""  # why the run could not go on (the call command failed midway)

    @property
    def failed(self) -> list[str]:
        """What failed the run, in the words of the Result line; empty when it passed."""
        found = [name for name, code in (("schemathesis", self.st_code), ("behaviour tests", self.bt_code)) if code]
        found += [f"coverage of {d.name} {d.percent:.1f}% < {self.cov.required:g}%" for d in self.cov.below()]
        if self.flows is not None and self.flows.ran and not self.flows.passed:
            found.append("Arazzo workflows")
        return ([f"could not go on: {self.stopped}"] if self.stopped else []) + found


def console(run: Outcome, table: str) -> str:
    st, bt, cov = run.st, run.bt, run.cov
    lines = ["", "=" * 72, "Contract suite summary", "=" * 72]
    lines.append(f"Target:      {run.target.base_url}  [{run.target.kind}: {run.target.why}]")
    lines.append(f"Spec:        {run.spec}")
    lines.append(f"Preflight:   {run.proved}")
    if run.calls:
        lines.append(f"Calls:       {run.calls}")
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
        lines.append(f"             no JSON report (schemathesis exit code {run.st_code})")
    lines.append(
        f"Behaviour:   {bt.get('tests', '?')} tests, {bt.get('failures', '?')} failed, "
        f"{bt.get('errors', '?')} errors, {bt.get('skipped', '?')} skipped"
    )
    lines.extend(f"             FAIL {name}" for name in bt.get("failed_tests", []))
    if run.flows is not None and run.flows.ran:
        lines.append(f"Workflows:   {run.flows.line()}")
        lines.extend(f"             FAIL {failure}" for failure in run.flows.failures)
    skipped = list(run.target.skipped) + list(bt.get("skip_reasons", []))
    if skipped:
        lines.append("Left out:")
        lines.extend(f"  - {reason}" for reason in skipped)
    lines.append(
        f"Coverage:    {cov.percent:.1f}% in total; every dimension must reach {cov.required:g}% ({cov.target})"
    )
    lines.append(table)
    lines.append(f"Reports:     {run.reports}/contract.html (open it after a failure: coverage, each failure as curl")
    lines.append("             and response), coverage.json, coverage.md, schemathesis-junit.xml, schemathesis.har,")
    lines.append("             schemathesis.json, behaviour-junit.xml, traffic.jsonl, workflows.json (Respect's log)")
    lines.append(f"Seed:        {run.seed}   (reproduce: tryvox-contract --seed {run.seed})")
    failed = run.failed
    lines.append(f"Result:      {'FAILED: ' + '; '.join(failed) if failed else 'PASSED'}")
    return "\n".join(lines)


def job(run: Outcome, secrets: tuple[str, ...] = ()) -> str:
    """The job summary (GitHub Actions): the result, what failed, each failure with its curl line, then the
    coverage table. Each of `secrets` (the API token) is shown as [Filtered]."""
    failed, st, bt, flows = run.failed, run.st, run.bt, run.flows
    lines = [
        f"## Contract suite: {'FAILED' if failed else 'passed'}",
        "",
        f"Target `{run.target.base_url}` ({run.target.kind}), {run.spec}, seed `{run.seed}`, tryvox-contract "
        f"{__version__}.",
    ]
    if run.calls:
        lines += ["", f"Calls: {run.calls}."]
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
    shown = failures_with_curl(run.reports, tests)
    if shown:
        lines += ["", "### Each failure with the request that shows it", ""] + shown
    lines += [
        "",
        "Reports: `contract.html` (each failure as curl and response), JUnit XML, HAR, `coverage.json`, in the "
        "report folder.",
    ]
    text = "\n".join(lines) + "\n"
    for secret in filter(None, secrets):
        text = text.replace(secret, "[Filtered]")
    return text


def failures_with_curl(reports: Path, failed_tests: list[str]) -> list[str]:
    """Markdown: each failed schemathesis check (one per check and operation) with its curl line, and each failed
    behaviour test with its last request as one, at most FAILURES_SHOWN in all."""
    entries = list(journal.read(reports / "traffic.jsonl"))
    blocks, seen = [], set()
    for entry in entries:
        if entry["by"] != "failure" or (entry.get("check"), entry.get("operation")) in seen:
            continue
        seen.add((entry.get("check"), entry.get("operation")))
        message = (entry.get("message") or "").strip().splitlines()[:1]
        blocks.append(
            (f"**{entry.get('code', '')} {entry.get('title', '')}** (`{entry.get('check', '')}`) on "
             f"`{entry.get('operation', '')}`" + (f": {message[0]}" if message else ""), entry.get("curl") or "")
        )  # fmt: skip
    last: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["by"] == "behaviour":
            last[entry.get("test", "")] = entry
    said = {case.id: case.message for case in coverage.read_junit_cases(reports / "behaviour-junit.xml")}
    for name in failed_tests:
        sent, message = last.get(name), (said.get(name) or "").strip().splitlines()[:1]
        why = f": {message[0][:300]}" if message else ""
        if sent is None:
            blocks.append((f"**`{name}`**{why} (no request recorded)", ""))
            continue
        request = curl(sent["method"], sent.get("url", sent["path"]), sent.get("headers", {}), sent.get("body"))
        blocks.append((f"**`{name}`**{why}; its last request, answered {sent['status']}:", request))
    lines = []
    for title, request in blocks[:FAILURES_SHOWN]:
        lines.append(f"- {title}")
        if request:
            cut = request if len(request) <= CURL_SHOWN else request[:CURL_SHOWN] + " …"
            lines += ["", "  ```sh", f"  {cut}", "  ```"]
    if len(blocks) > FAILURES_SHOWN:
        lines.append(f"- … and {len(blocks) - FAILURES_SHOWN} more in `contract.html`")
    return lines


def append(markdown: str) -> None:
    """In GitHub Actions, the run's summary goes to the job's summary page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(markdown + "\n")
    except OSError as exc:
        print(f"contract: cannot append to GITHUB_STEP_SUMMARY {path}: {exc}", file=sys.stderr)
