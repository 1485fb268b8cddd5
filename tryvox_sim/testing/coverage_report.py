"""Integration coverage, rendered: the JSON of `GET /_sim/coverage` (sim/coverage.py) as text, Markdown, JSON or HTML,
and the gate (`--fail-under`). Used by `tryvox-sim coverage` and by the pytest plugin's `--tryvox-coverage`."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMATS = ("text", "md", "json", "html")
Report = dict[str, Any]


def percentage(text: str) -> float:
    """A gate from the command line: a number from 0 to 100 (ValueError naming it otherwise)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise ValueError(f"must be a percentage from 0 to 100, not {text!r}")
    return value


def passed(report: Report, fail_under: float | None) -> bool:
    return fail_under is None or report["percent"] >= fail_under


def _headline(report: Report) -> str:
    return (f"tryvox integration coverage: {report['met']} of {report['total']} met ({report['percent']:.1f}%); "
            f"requests: {report['requests']}, webhook deliveries: {report['webhooks']}")  # fmt: skip


def _per_operation(report: Report) -> list[tuple[str, str, str, bool]]:
    """(operation, answers met/total, faults met/total, called) in the spec's order."""
    rows: dict[str, list[int]] = {}
    for item in report["items"]:
        if item["operation"] is not None:
            row = rows.setdefault(item["operation"], [0, 0, 0, 0])
            at = 0 if item["dimension"] == "answers" else 2
            row[at] += bool(item["met"])
            row[at + 1] += 1
    called = set(rows) - set(report["not_called"])
    return [(op, f"{r[0]}/{r[1]}", f"{r[2]}/{r[3]}", op in called) for op, r in rows.items()]


def text(report: Report, fail_under: float | None = None) -> str:
    """For a terminal: the figures per dimension and per operation, then what was never met (as pytest-cov's table)."""
    dims = report["dimensions"]
    width = max([len(d["title"]) for d in dims.values()] + [14])
    lines = [_headline(report), "", f"{'':<{width}}  {'met':>5} {'total':>6} {'%':>6}"]
    for d in dims.values():
        lines.append(f"{d['title']:<{width}}  {d['met']:>5} {d['total']:>6} {d['percent']:>6.1f}")
    lines.append(f"{'TOTAL':<{width}}  {report['met']:>5} {report['total']:>6} {report['percent']:>6.1f}")
    lines += ["", f"{'operation':<{width}}  {'answers':>8} {'faults':>7}"]
    for op, answers, faults, called in _per_operation(report):
        lines.append(f"{op:<{width}}  {answers:>8} {faults:>7}" + ("" if called else "  (never called)"))
    if report["never_met"]:
        lines += ["", "never met:"] + [f"  {item}" for item in report["never_met"]]
    lines += _gate_lines(report, fail_under)
    return "\n".join(lines) + "\n"


def _gate_lines(report: Report, fail_under: float | None) -> list[str]:
    if fail_under is None:
        return []
    verdict = "passed" if passed(report, fail_under) else "FAILED"
    return ["", f"gate: {verdict} ({report['percent']:.1f}% against --fail-under {fail_under:g})"]


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def markdown(report: Report, fail_under: float | None = None) -> str:
    lines = [f"## {_headline(report)}", "", "| dimension | met | total | % |", "|---|---:|---:|---:|"]
    for d in report["dimensions"].values():
        lines.append(f"| {d['title']} | {d['met']} | {d['total']} | {d['percent']:.1f} |")
    lines += [f"| **total** | {report['met']} | {report['total']} | {report['percent']:.1f} |", "",
              "| operation | answers | faults |", "|---|---:|---:|"]  # fmt: skip
    for op, answers, faults, called in _per_operation(report):
        lines.append(f"| `{op}`{'' if called else ' (never called)'} | {answers} | {faults} |")
    lines += ["", "| | item | met | detail |", "|---|---|---:|---|"]
    for item in report["items"]:
        mark = "✓" if item["met"] else "✗" if item["counted"] else "–"
        lines.append(f"| {mark} | `{_cell(item['id'])}` | {item['met']} | {_cell(item['detail'])} |")
    return "\n".join(lines + _gate_lines(report, fail_under)) + "\n"


def as_json(report: Report, fail_under: float | None = None) -> str:
    shown = report if fail_under is None else {**report, "fail_under": fail_under, "passed": passed(report, fail_under)}
    return json.dumps(shown, indent=2, ensure_ascii=False) + "\n"


def as_html(report: Report, fail_under: float | None = None) -> str:
    e = html.escape
    rows = "".join(
        f"<tr class={'met' if item['met'] else 'missed' if item['counted'] else 'uncounted'}><td>{e(item['id'])}</td>"
        f"<td>{item['met']}</td><td>{e(item['detail'])}</td></tr>"
        for item in report["items"]
    )
    dims = "".join(
        f"<tr><td>{e(d['title'])}</td><td>{d['met']}</td><td>{d['total']}</td><td>{d['percent']:.1f}</td></tr>"
        for d in report["dimensions"].values()
    )
    gate = "".join(f"<p>{e(line)}</p>" for line in _gate_lines(report, fail_under) if line)
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>tryvox integration coverage</title>"
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:left}.met td:first-child{color:#080}.missed td:first-child"
        "{color:#b00}.uncounted{color:#888}</style>"
        f"<h1>{e(_headline(report))}</h1>{gate}"
        f"<table><tr><th>dimension<th>met<th>total<th>%</tr>{dims}</table>"
        f"<h2>Items</h2><table><tr><th>item<th>met<th>detail</tr>{rows}</table></html>\n"
    )


RENDER: dict[str, Callable[[Report, float | None], str]] = {
    "text": text, "md": markdown, "json": as_json, "html": as_html,
}  # fmt: skip
SUFFIX = {"text": "txt", "md": "md", "json": "json", "html": "html"}


def write(report: Report, folder: Path, fail_under: float | None = None) -> list[Path]:
    """coverage.json, coverage.md and coverage.html in `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("json", "md", "html"):
        path = folder / f"coverage.{SUFFIX[name]}"
        path.write_text(RENDER[name](report, fail_under), encoding="utf-8")
        written.append(path)
    return written
