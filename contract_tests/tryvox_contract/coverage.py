"""What a contract run reached, measured against what the spec and the docs declare (`make contract`).

Five dimensions, each a list of items reached or not, one figure each and a total:
- statuses: each documented response status of each operation, answered, and by which phase or test;
- notes: each row of coverage.toml (the docs page's Notes, then the spec's own rules): its contract tests
  passed, failed, or were skipped and why; a row no test can observe is listed as untestable, not counted;
- links: each `links` entry of the spec's responses, followed by the stateful phase or by
  test_behaviour_spec.py (which follows each one on purpose: the stateful phase follows most, by chance);
- constraints: each request constraint the spec declares (minLength/maxLength, minimum/maximum, pattern,
  enum, format, required, unknown field; body fields and path parameters), broken by a request the API refused;
- invariants: each invariant of tryvox_sim/contract/invariants/, on how many answers it was checked and broken.

Against a deployment, what only the simulator can show is counted apart, with the reason, not as a promise the
deployment failed: an invariant declared with `needs` (what it reads that the API's answers never carry), a Note
whose every test needs the simulator (skipped for it: its clock, its control plane), and a status never answered whose
on-purpose test needs it (429: an account limited to a request a minute). A Note whose other tests
passed is reached, the tests that need the simulator named beside it.

Read from the run's journal (journal.py), the behaviour tests' JUnit XML, the spec and
coverage.toml. Against the simulator every dimension must be at 100%; against a deployment at the
`min-coverage` of coverage.toml; MIN_COVERAGE=… sets it for any target.

    python -m tryvox_contract.coverage --readme README.md   # rewrite a README's Note-to-test table from coverage.toml
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs

from tryvox_contract import journal
from tryvox_sim.contract.documented import actions, documented_statuses
from tryvox_sim.contract.invariants import INVARIANTS, Invariant
from tryvox_sim.contract.spec import Operation, Spec

CONFIG = Path(__file__).with_name("coverage.toml")
TABLE_START = "<!-- notes-table: generated from contract_tests/tryvox_contract/coverage.toml -->"
TABLE_END = "<!-- notes-table end -->"
SENDERS = ("preflight", "examples", "coverage", "fuzzing", "stateful")  # who sent a request, besides tests
KEYWORDS = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern",
            "enum", "format")  # fmt: skip
SIZE_FORMATS = {"int32", "int64", "float", "double"}  # OpenAPI size hints: no validator checks them
# A request refused for its data: body constraints answer 400/422, path parameters 403/404 too. A 401, 409, 413,
# 415 or 429 says nothing about the constraint the request broke.
REFUSED = {"body": {400, 422}, "path": {400, 403, 404, 422}}
# The start of the reason a behaviour test gives when it is skipped because only the simulator can show what it
# checks (conftest.NEEDS_CONTROL_PLANE and the like): such a test is counted apart against a deployment.
SIMULATOR_ONLY = "needs the simulator"
STATUS_TEST = "test_behaviour_spec.py::test_every_documented_status_is_reached"  # reaches each status on purpose
_Required = jsonschema_rs.ValidationErrorKind.Required
_Additional = jsonschema_rs.ValidationErrorKind.AdditionalProperties


# ------------------------------------------------------------------------------ what the spec declares
# (the operations and their statuses: tryvox_sim.contract.documented, shared with the simulator's integration
# coverage)


def _operation_doc(spec: Spec, op: Operation) -> dict[str, Any]:
    return spec.actions_doc["paths"][op.template][op.method.lower()]


@dataclass(frozen=True)
class Link:
    source: Operation
    status: int
    name: str
    target: Operation
    parameters: dict[str, str]  # target parameter -> runtime expression ($request.path.call_uuid, ...)

    @property
    def label(self) -> str:
        return f"{self.source.op_id} {self.status} → {self.name} ({self.target.op_id})"

    @property
    def id(self) -> str:
        """As schemathesis names a transition, so the stateful phase's journal lines match."""
        return (f"{self.source.method} {self.source.template} -> [{self.status}] {self.name} -> "
                f"{self.target.method} {self.target.template}")  # fmt: skip


def spec_links(spec: Spec) -> list[Link]:
    resolve, uri = spec.documents.resolve, spec.actions_uri
    links = []
    for op in actions(spec):
        for status, response in _operation_doc(spec, op).get("responses", {}).items():
            response, response_uri, _ = resolve(response, uri, "")
            for name, link in response.get("links", {}).items():
                link, _, _ = resolve(link, response_uri, "")
                target = spec.operations[link["operationId"]]
                links.append(Link(op, int(status), name, target, dict(link.get("parameters", {}))))
    return links


@dataclass(frozen=True)
class Constraint:
    operation: str
    where: str  # "body" or "path"
    field: str  # the body field or path parameter ("*" for any field the schema does not name)
    keyword: str  # a JSON Schema keyword, "required" or "additionalProperties"
    value: Any = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.operation, self.where, self.field, self.keyword

    @property
    def id(self) -> str:
        if self.keyword == "additionalProperties":
            return f"{self.operation} {self.where}: unknown field"
        if self.keyword == "required":
            return f"{self.operation} {self.where} {self.field}: required"
        value = json.dumps(self.value) if isinstance(self.value, list) else self.value
        return f"{self.operation} {self.where} {self.field}: {self.keyword} {value}"


def _schema_constraints(op_id: str, where: str, name: str, schema: dict[str, Any]) -> Iterator[Constraint]:
    for keyword in KEYWORDS:
        if keyword in schema and not (keyword == "format" and schema[keyword] in SIZE_FORMATS):
            yield Constraint(op_id, where, name, keyword, schema[keyword])


def request_constraints(spec: Spec) -> list[Constraint]:
    resolve, uri = spec.documents.resolve, spec.actions_uri
    found: list[Constraint] = []
    for op in actions(spec):
        doc = _operation_doc(spec, op)
        path_item = spec.actions_doc["paths"][op.template]
        for param in [*path_item.get("parameters", []), *doc.get("parameters", [])]:
            param, param_uri, _ = resolve(param, uri, "")
            if param["in"] == "path":
                schema, _, _ = resolve(param["schema"], param_uri, "")
                found += _schema_constraints(op.op_id, "path", param["name"], schema)
        body = resolve(doc["requestBody"], uri, "")[0] if "requestBody" in doc else {}
        schema_doc = body.get("content", {}).get("application/json", {}).get("schema")
        if schema_doc is None:
            continue
        schema, schema_uri, _ = resolve(schema_doc, uri, "")
        for name, prop in schema.get("properties", {}).items():
            found += _schema_constraints(op.op_id, "body", name, resolve(prop, schema_uri, "")[0])
        found += [Constraint(op.op_id, "body", name, "required") for name in schema.get("required", [])]
        if schema.get("additionalProperties") is False:
            found.append(Constraint(op.op_id, "body", "*", "additionalProperties"))
    return found


def load_config(path: Path = CONFIG) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


# ------------------------------------------------------------------------------ what the run did


@dataclass
class Item:
    id: str
    reached: bool
    detail: str = ""
    counted: bool = True  # an untestable Note is listed, not counted
    needs: str = ""  # what only the simulator shows: against a deployment, counted apart (not counted)


@dataclass
class Dimension:
    name: str
    title: str
    items: list[Item]

    @property
    def reached(self) -> int:
        return sum(1 for item in self.items if item.counted and item.reached)

    @property
    def total(self) -> int:
        return sum(1 for item in self.items if item.counted)

    @property
    def percent(self) -> float:
        return 100.0 * self.reached / self.total if self.total else 100.0

    @property
    def apart(self) -> int:
        """Items only the simulator can show, not counted against this deployment."""
        return sum(1 for item in self.items if item.needs and not item.counted)

    def missing(self) -> list[Item]:
        return [item for item in self.items if item.counted and not item.reached]


class Routes:
    """(method, path) -> the Call Actions operation and its path parameters; an empty segment matches too, so a
    request with an empty auth_id is still counted against its operation."""

    def __init__(self, spec: Spec) -> None:
        self.routes = []
        for op in actions(spec):
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]*)", re.escape(op.template))
            self.routes.append((op, re.compile(f"^{pattern}$")))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op, regex in self.routes:
            m = regex.match(path)
            if m and op.method == method.upper():
                return op, {name: unquote(value) for name, value in m.groupdict().items()}
        return None


def source_of(entry: dict[str, Any]) -> str:
    """Who sent a journalled request: a schemathesis phase, the preflight, or a behaviour test's id."""
    if entry["by"] == "behaviour":
        return entry.get("test") or "behaviour"
    return entry["by"]


def broken_constraints(op: Operation, params: dict[str, str], body: str | None) -> set[tuple[str, str, str, str]]:
    """The (operation, where, field, keyword) of each declared constraint this request breaks."""
    keys = set()
    for name, value in params.items():
        validator = op.params.get(name)
        for error in validator.iter_errors(value) if validator is not None else ():
            keys.add((op.op_id, "path", name, str(error.schema_path[-1])))
    if body is None or op.body is None:
        return keys
    try:
        data = json.loads(body)
    except ValueError:
        return keys
    for error in op.body.iter_errors(data):
        kind = error.kind
        if isinstance(kind, _Required):
            keys.add((op.op_id, "body", kind.property, "required"))
        elif isinstance(kind, _Additional):
            keys.add((op.op_id, "body", "*", "additionalProperties"))
        elif len(error.instance_path) == 1:  # a top-level field: request bodies are flat
            keys.add((op.op_id, "body", str(error.instance_path[0]), str(error.schema_path[-1])))
    return keys


@dataclass
class JunitCase:
    test: str  # file.py::name (parameters dropped)
    outcome: str  # passed, failed, skipped
    message: str = ""
    id: str = ""  # file.py::name[parameters], as the journal names the test
    text: str = ""  # the failure's traceback


def read_junit_cases(path: Path) -> list[JunitCase]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    cases = []
    for case in root.iter("testcase"):
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        test_id = f"{module}.py::{case.get('name') or ''}"
        test = test_id.split("[", 1)[0]
        failed = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if failed is not None:
            cases.append(JunitCase(test, "failed", failed.get("message", ""), test_id, failed.text or ""))
        elif skipped is not None:
            cases.append(JunitCase(test, "skipped", skipped.get("message", ""), test_id))
        else:
            cases.append(JunitCase(test, "passed", id=test_id))
    return cases


def _by(sources: Counter[str]) -> str:
    phases = [f"{name} {sources[name]}" for name in SENDERS if sources[name]]
    tests = sorted(name for name in sources if name not in SENDERS)
    if tests:
        shown = ", ".join(tests[:2]) + (f" (+{len(tests) - 2} more)" if len(tests) > 2 else "")
        phases.append(f"tests: {shown}")
    return "; ".join(phases)


def _note_item(note: dict[str, Any], results: dict[str, list[JunitCase]]) -> Item:
    name = f"{note['section']}: {note['note']}"
    if "untestable" in note:
        return Item(name, False, f"untestable: {note['untestable']}", counted=False)
    failed, skipped, simulator_only, passed = [], [], [], []
    for test in note["tests"]:
        outcomes = results.get(test, [])
        if any(case.outcome == "failed" for case in outcomes):
            failed.append(test)
        elif any(case.outcome == "passed" for case in outcomes):
            passed.append(test)
        else:
            reasons = sorted({case.message for case in outcomes if case.message}) or ["not run"]
            shown = f"{test} ({'; '.join(reasons)})"
            only = all(SIMULATOR_ONLY in reason for reason in reasons)
            (simulator_only if only else skipped).append(shown)
    if failed:
        return Item(name, False, "failed: " + ", ".join(failed))
    if skipped:
        return Item(name, False, "skipped: " + ", ".join(skipped + simulator_only))
    if not passed:  # every test needs the simulator: nothing a deployment can show
        reasons = ", ".join(simulator_only)
        return Item(name, False, f"needs the simulator: {reasons}", counted=False, needs=reasons)
    beside = f"; needs the simulator: {', '.join(simulator_only)}" if simulator_only else ""
    return Item(name, True, "passed: " + ", ".join(passed) + beside)


@dataclass
class Coverage:
    target: str  # "simulator" or "deployment"
    dimensions: list[Dimension]
    retries: int
    required: float  # percent every dimension must reach

    @property
    def reached(self) -> int:
        return sum(d.reached for d in self.dimensions)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.dimensions)

    @property
    def percent(self) -> float:
        return 100.0 * self.reached / self.total if self.total else 100.0

    def below(self) -> list[Dimension]:
        """The dimensions under the required percentage."""
        return [d for d in self.dimensions if d.percent < self.required]

    @property
    def passed(self) -> bool:
        return not self.below()

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "required_percent": self.required,
            "passed": self.passed,
            "total": {"reached": self.reached, "total": self.total, "percent": round(self.percent, 1)},
            "retries_after_429": self.retries,
            "dimensions": {
                d.name: {
                    "title": d.title,
                    "reached": d.reached,
                    "total": d.total,
                    "percent": round(d.percent, 1),
                    "simulator_only": d.apart,
                    "items": [asdict(item) for item in d.items],
                }
                for d in self.dimensions
            },  # fmt: skip
        }


def count_retries(entries: Iterable[dict[str, Any]]) -> int:
    """429s sent again: journalled by the behaviour tests' transport, seen as a repeated case for schemathesis."""
    retries, last_status = 0, {}
    for entry in entries:
        if entry["by"] == "retry":
            retries += 1
        elif entry.get("case") and "status" in entry:
            retries += last_status.get(entry["case"]) == 429
            last_status[entry["case"]] = entry["status"]
    return retries


def measure(
    spec: Spec, entries: list[dict[str, Any]], junit: list[JunitCase], config: dict[str, Any], *, simulator: bool,
    required: float,
) -> Coverage:  # fmt: skip
    routes = Routes(spec)
    answered: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    refused: dict[tuple[str, str, str, str], Counter[str]] = defaultdict(Counter)
    followed: dict[str, Counter[str]] = defaultdict(Counter)
    checked: Counter[str] = Counter()
    broken: Counter[str] = Counter()
    for entry in entries:
        kind = entry["by"]
        if kind == "link":
            followed[entry["link"]]["stateful" if entry.get("case") else entry.get("test", "test")] += 1
        elif kind == "invariants":
            checked.update(entry.get("checked", {}))
            broken.update(entry.get("broken", {}))
        elif "status" in entry and (found := routes.match(entry["method"], entry["path"])):
            op, params = found
            who = source_of(entry)
            answered[(op.op_id, entry["status"])][who] += 1
            for key in broken_constraints(op, params, entry.get("body")):
                if entry["status"] in REFUSED[key[1]]:
                    refused[key][who] += 1

    skipped = {case.id: case.message for case in junit if case.outcome == "skipped"}
    statuses = [_status_item(op, status, answered[(op.op_id, status)], skipped, simulator)
                for op, status in documented_statuses(spec)]  # fmt: skip
    results: dict[str, list[JunitCase]] = defaultdict(list)
    for case in junit:
        results[case.test].append(case)
    notes = [_note_item(note, results) for note in config.get("notes", [])]
    links = [Item(link.label, bool(followed[link.id]), _by(followed[link.id])) for link in spec_links(spec)]
    constraints = [Item(c.id, bool(refused[c.key]), _by(refused[c.key])) for c in request_constraints(spec)]
    invariants = [invariant_item(inv, checked[inv.name], broken[inv.name], simulator) for inv in INVARIANTS.values()]
    return Coverage(
        "simulator" if simulator else "deployment",
        [
            Dimension("statuses", "Documented statuses answered", statuses),
            Dimension("notes", "Docs Notes and spec rules proved", notes),
            Dimension("links", "Spec links followed", links),
            Dimension("constraints", "Request constraints refused when broken", constraints),
            Dimension("invariants", "Invariants checked, none broken", invariants),
        ],
        count_retries(entries),
        required,
    )


def _status_item(op: Operation, status: int, sources: Counter[str], skipped: dict[str, str], simulator: bool) -> Item:
    """A documented status: reached when answered; against a deployment, one never answered whose on-purpose test
    needs the simulator (a 429 needs an account limited to a request a minute) is counted apart, with that reason."""
    name = f"{op.op_id} {status}"
    reason = skipped.get(f"{STATUS_TEST}[{op.op_id}-{status}]", "")
    if sources or simulator or SIMULATOR_ONLY not in reason:
        return Item(name, bool(sources), _by(sources))
    return Item(name, False, f"needs the simulator: {reason}", counted=False, needs=reason)


def invariant_item(inv: Invariant, checked: int, broken: int, simulator: bool) -> Item:
    """An invariant's line: reached when checked and never broken; against a deployment, one that reads what only
    the simulator shows (its declared `needs`) is counted apart, with that reason."""
    detail = f"checked on {checked}, broken by {broken}"
    if inv.needs is None:
        return Item(inv.name, checked > 0 and not broken, detail)
    if simulator or broken:  # a broken promise counts wherever it was seen
        return Item(inv.name, checked > 0 and not broken, detail, needs=inv.needs)
    return Item(inv.name, checked > 0, f"{detail}; needs the simulator: {inv.needs}", counted=False, needs=inv.needs)


def required_percent(min_coverage: str, config: dict[str, Any], *, simulator: bool) -> float:
    """MIN_COVERAGE when set, else 100 against the simulator and coverage.toml's min-coverage against a deployment."""
    text = min_coverage.strip()
    wrong = f"MIN_COVERAGE (--min-coverage) must be a percentage from 0 to 100, not {text!r}"
    try:
        value = float(text) if text else 100.0 if simulator else float(config.get("min-coverage", 0))
    except ValueError:
        raise ValueError(wrong) from None
    if not 0 <= value <= 100:
        raise ValueError(wrong)
    return value


# ------------------------------------------------------------------------------ reports


def mark(item: Item) -> str:
    """✓ reached, ✗ not, ◌ counted apart (only the simulator can show it), – untestable."""
    if item.reached:
        return "✓"
    return "✗" if item.counted else "◌" if item.needs else "–"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(coverage: Coverage) -> str:
    lines = [
        f"## Contract coverage ({coverage.target})",
        "",
        "| dimension | reached | total | % | required | simulator only |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for d in coverage.dimensions:
        lines.append(
            f"| {d.title} | {d.reached} | {d.total} | {d.percent:.1f} | {coverage.required:g} | {d.apart or ''} |"
        )
    apart = sum(d.apart for d in coverage.dimensions)
    lines.append(f"| **total** | {coverage.reached} | {coverage.total} | {coverage.percent:.1f} | | {apart or ''} |")
    verdict = "passed" if coverage.passed else "FAILED: " + ", ".join(d.name for d in coverage.below())
    lines += ["", f"Gate: {verdict}. Requests retried after a 429: {coverage.retries}."]
    if apart:
        lines.append(f"Simulator only: {apart} not counted against this deployment (◌: only the simulator shows them).")
    lines.append("")
    for d in coverage.dimensions:
        lines += [f"<details><summary>{d.title}: {d.reached}/{d.total}</summary>", "", "| | item | detail |",
                  "|---|---|---|"]  # fmt: skip
        lines += [f"| {mark(i)} | `{i.id}` | {_cell(i.detail)} |" for i in d.items]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def text_table(coverage: Coverage, spec: Spec) -> str:
    """For the console: the figures, the statuses per operation, and every item not reached."""
    width = max(len(d.title) for d in coverage.dimensions)
    apart = sum(d.apart for d in coverage.dimensions)
    head = f"  {'dimension':<{width}}  reached   total       %  required"
    lines = [head + ("  simulator only" if apart else "")]
    for d in coverage.dimensions:
        row = f"  {d.title:<{width}}  {d.reached:>7} {d.total:>7} {d.percent:>7.1f}  {coverage.required:>8g}"
        lines.append(row + (f"  {d.apart:>14}" if apart else ""))
    total = f"  {'total':<{width}}  {coverage.reached:>7} {coverage.total:>7} {coverage.percent:>7.1f}"
    lines.append(total + (f"  {apart:>24}" if apart else ""))
    statuses = {item.id: item for d in coverage.dimensions if d.name == "statuses" for item in d.items}
    columns = sorted({status for op in actions(spec) for status in op.responses})
    lines += [
        "",
        "  statuses (✓ answered, ✗ not, · not documented)",
        " " * 16 + "".join(f"{s:>5}" for s in columns),
    ]
    for op in actions(spec):
        marks = [mark(statuses[f"{op.op_id} {s}"]) if s in op.responses else "·" for s in columns]
        lines.append(f"  {op.op_id:<14}" + "".join(f"{m:>5}" for m in marks))
    for d in coverage.dimensions:
        for item in d.missing():
            lines.append(f"  not reached: {d.name}: {item.id}" + (f" ({item.detail})" if item.detail else ""))
    for d in coverage.dimensions:
        for item in d.items:
            if item.needs and not item.counted:
                lines.append(f"  simulator only: {d.name}: {item.id} ({item.detail})")
    return "\n".join(lines)


def write(coverage: Coverage, reports: Path) -> None:
    (reports / "coverage.json").write_text(json.dumps(coverage.as_json(), indent=2) + "\n")
    (reports / "coverage.md").write_text(markdown(coverage) + "\n")


def build(reports: Path, spec: Spec, *, simulator: bool, required: float, config: dict[str, Any]) -> Coverage:
    entries = list(journal.read(reports / "traffic.jsonl"))
    junit = read_junit_cases(reports / "behaviour-junit.xml")
    return measure(spec, entries, junit, config, simulator=simulator, required=required)


# ------------------------------------------------------------------------------ README's Note-to-test table


def _tests(names: list[str]) -> str:
    return ", ".join(f"`{name.replace('.py::', '::')}`" for name in names)


def notes_table(config: dict[str, Any]) -> str:
    lines = [
        TABLE_START,
        "| Docs section | Note (or spec rule) | Contract test (`tryvox_contract/`) | Simulator unit test (`tests/`) |",
        "|---|---|---|---|",
    ]
    for note in config["notes"]:
        tests = _tests(note.get("tests", [])) or f"untestable: {note['untestable']}"
        lines.append(f"| {note['section']} | {note['note']} | {tests} | {_tests(note.get('unit', []))} |")
    return "\n".join([*lines, TABLE_END])


def readme_with_table(readme: str, config: dict[str, Any]) -> str:
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    return readme[:start] + notes_table(config) + readme[end:]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "--readme":
        print("usage: python -m tryvox_contract.coverage --readme README.md", file=sys.stderr)
        return 2
    readme = Path(argv[1])
    readme.write_text(readme_with_table(readme.read_text(), load_config()))
    print(f"{readme}: Note-to-test table rewritten from {CONFIG.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
