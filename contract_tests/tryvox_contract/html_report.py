"""reports/contract.html: the one page a person opens after a failing contract run.

Self-contained (inline style, no script, nothing fetched): each failure with the check that failed, the
request as a curl line and the response, then the coverage table with what was not reached. Built from the run's files:
schemathesis.json (phases, counts, errors), schemathesis.har (each response, found by the
X-Schemathesis-TestCaseId header), the journal (each failed check with its curl line; the behaviour tests'
requests and answers) and behaviour-junit.xml (the failed tests).
"""

from __future__ import annotations

import json
import shlex
from html import escape
from pathlib import Path
from typing import Any

from tryvox_contract import journal
from tryvox_contract.coverage import Coverage, JunitCase, mark, read_junit_cases

CASE_HEADER = "x-schemathesis-testcaseid"
# Schemathesis' runs, each with its reports (<stage>.json, .har, -junit.xml): the main one, and the transfers when
# they must come last (runner.py).
STAGES = ("schemathesis", "schemathesis-transfers")
EXCHANGES_SHOWN = 3  # a failed behaviour test's last requests
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: .2em .6em; border: 1px solid #ddd;
  text-align: left; vertical-align: top; } th { background: #f4f4f4; }
.num { text-align: right; } .bad { color: #b00020; font-weight: 600; } .ok { color: #1b7f3b; }
td code { white-space: nowrap; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.failure { border-left: 4px solid #b00020; padding-left: 1em; margin: 1.5em 0; }
summary { cursor: pointer; }
"""


def _json_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def har_by_case(path: Path) -> dict[str, dict[str, Any]]:
    """The last HAR entry of each schemathesis test case (a retried 429 comes before the final answer)."""
    entries = _json_file(path).get("log", {}).get("entries", [])
    found = {}
    for entry in entries:
        for header in entry.get("request", {}).get("headers", []):
            if header.get("name", "").lower() == CASE_HEADER:
                found[header.get("value")] = entry
    return found


def curl(method: str, url: str, headers: dict[str, str], body: str | None) -> str:
    parts = ["curl", "-X", method]
    for name, value in headers.items():
        if name.lower() not in {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}:
            parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["-d", body]
    return " ".join(shlex.quote(part) for part in [*parts, url])


def _pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def _answer(status: Any, headers: str, body: str) -> str:
    return _pre(f"HTTP {status}\n{headers}\n\n{body}".strip())


def _har_answer(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "<p>No response in schemathesis.har for this case.</p>"
    response = entry.get("response", {})
    headers = "\n".join(f"{h['name']}: {h['value']}" for h in response.get("headers", []))
    return _answer(response.get("status"), headers, response.get("content", {}).get("text", ""))


def coverage_section(coverage: Coverage) -> str:
    rows = "".join(
        f"<tr><td>{escape(d.title)}</td><td class=num>{d.reached}</td><td class=num>{d.total}</td>"
        f"<td class='num {'ok' if d.percent >= coverage.required else 'bad'}'>{d.percent:.1f}</td>"
        f"<td class=num>{d.apart or ''}</td></tr>"
        for d in coverage.dimensions
    )
    apart = sum(d.apart for d in coverage.dimensions)
    rows += (f"<tr><th>total</th><th class=num>{coverage.reached}</th><th class=num>{coverage.total}</th>"
             f"<th class=num>{coverage.percent:.1f}</th><th class=num>{apart or ''}</th></tr>")  # fmt: skip
    parts = [
        "<h2>Coverage</h2>",
        f"<p>Every dimension must reach {coverage.required:g}% ({escape(coverage.target)}); requests retried after a "
        f"429: {coverage.retries}.</p>",
        "<table><tr><th>dimension</th><th>reached</th><th>total</th><th>%</th><th>simulator only</th></tr>"
        f"{rows}</table>",
    ]
    if apart:
        parts.append(f"<p>Simulator only (◌): {apart} not counted against this deployment; each says why.</p>")
    for d in coverage.dimensions:
        items = "".join(
            f"<tr><td class={'ok' if i.reached else 'bad' if i.counted else ''}>"
            f"{mark(i)}</td><td><code>{escape(i.id)}</code></td>"
            f"<td>{escape(i.detail)}</td></tr>"
            for i in d.items
        )
        missing = len(d.missing())
        opened = " open" if missing else ""
        parts.append(
            f"<details{opened}><summary>{escape(d.title)}: {d.reached}/{d.total}"
            f"{f' — {missing} not reached' if missing else ''}</summary><table>{items}</table></details>"
        )
    return "\n".join(parts)


def schemathesis_section(run: dict[str, Any], failures: list[dict[str, Any]], har: dict[str, Any]) -> str:
    cases = run.get("test_cases", {})
    phases = ", ".join(f"{name}: {info.get('status')}" for name, info in run.get("phases", {}).items())
    parts = [
        "<h2>Schemathesis</h2>",
        f"<p>{cases.get('generated', '?')} cases, {cases.get('with_failures', '?')} with failures, "
        f"{cases.get('errored', '?')} errored. Phases: {escape(phases or 'no JSON report')}. "
        f"Seed {escape(str(run.get('seed', '?')))}.</p>",
    ]
    for error in run.get("errors", []):
        parts.append(f"<p class=bad>Error: {escape(str(error.get('title')))} ({error.get('count')})</p>")
    for failure in failures:
        parts.append(
            f"<div class=failure><h3>{escape(failure.get('code', ''))} {escape(failure.get('title', ''))} — "
            f"check <code>{escape(failure.get('check', ''))}</code></h3>"
            f"<p>{escape(failure.get('operation') or '')} · test case {escape(failure.get('case', ''))}</p>"
            f"{_pre(failure.get('message', ''))}<p>Request:</p>{_pre(failure.get('curl', ''))}"
            f"<p>Response:</p>{_har_answer(har.get(failure.get('case')))}</div>"
        )
    if not failures:
        parts.append("<p class=ok>No failed check.</p>")
    return "\n".join(parts)


def _exchange(e: dict[str, Any]) -> str:
    """A journalled request of a behaviour test, as a curl line, and its answer."""
    request = curl(e["method"], e.get("url", e["path"]), e.get("headers", {}), e.get("body"))
    answer = _answer(e["status"], "content-type: " + e.get("answer_type", ""), e.get("answer") or "")
    return f"<p>Request:</p>{_pre(request)}<p>Response:</p>{answer}"


def behaviour_section(failed: list[JunitCase], exchanges: dict[str, list[dict[str, Any]]]) -> str:
    parts = ["<h2>Behaviour tests</h2>"]
    for case in failed:
        sent = exchanges.get(case.id, [])[-EXCHANGES_SHOWN:]
        shown = "".join(_exchange(e) for e in sent)
        parts.append(
            f"<div class=failure><h3>{escape(case.id)}</h3>{_pre(case.text or case.message)}"
            f"{f'<p>Its last {len(sent)} request(s):</p>' + shown if sent else '<p>No request recorded.</p>'}</div>"
        )
    if not failed:
        parts.append("<p class=ok>No failed test.</p>")
    return "\n".join(parts)


def render(reports: Path, coverage: Coverage, title: str, secrets: tuple[str, ...] = ()) -> str:
    """The page; each of `secrets` (the API token) is shown as [Filtered] wherever a report holds it."""
    entries = list(journal.read(reports / "traffic.jsonl"))
    failures = [entry for entry in entries if entry["by"] == "failure"]
    exchanges: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["by"] == "behaviour":
            exchanges.setdefault(entry.get("test", ""), []).append(entry)
    failed = [case for case in read_junit_cases(reports / "behaviour-junit.xml") if case.outcome == "failed"]
    run, har = _json_file(reports / "schemathesis.json"), {}
    for stage in STAGES:
        har |= har_by_case(reports / f"{stage}.har")
    verdict = "passed" if coverage.passed and not failures and not failed else "failed"
    sections = [
        f"<h1>{escape(title)}: {verdict}</h1>",
        schemathesis_section(run, failures, har),
        behaviour_section(failed, exchanges),
        coverage_section(coverage),
    ]
    body = "\n".join(sections)
    for secret in filter(None, secrets):
        body = body.replace(escape(secret), "[Filtered]")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")  # fmt: skip


def write(reports: Path, coverage: Coverage, title: str, secrets: tuple[str, ...] = ()) -> Path:
    path = reports / "contract.html"
    path.write_text(render(reports, coverage, title, secrets))
    return path
