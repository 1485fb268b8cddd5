"""`make interop`: every tool that reads the specs, at its pinned version, run against them and, where it talks to an
API, against the simulator; one table of what each checked and its verdict, docs/interop.md.

    python -m tools.interop [--write docs/interop.md] [--check]

The tools run at once (each in its own process; the simulator, Prism and Respect together). A tool that disagrees
with the spec or with the others fails the run, in its own words. `--write` writes the table when it changed;
`--check` writes nothing and fails when the committed table is not what the pinned versions give
(tests/test_interop.py does the same without running anything).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "call-actions.yaml"
SIM_SPEC = ROOT / "openapi" / "simulator.yaml"
ARAZZO = ROOT / "openapi" / "call-actions.arazzo.yaml"
FORMS = ROOT / "openapi" / "forms.spectral.yaml"
TABLE = ROOT / "docs" / "interop.md"
NPX = ROOT / "node_modules" / ".bin"
SDK_NPX = ROOT / "typescript-sdk" / "node_modules" / ".bin"
METHODS = ("get", "put", "post", "delete", "patch")
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
READY_S = 180.0  # a bound against a hang: Prism took over 60 s to start on a machine running two make tests at once
PRISM_READY = re.compile(r"Prism is listening on (http://127\.0\.0\.1:\d+)")
PRISM_VIOLATION = re.compile(r"Violation: (response\S*) (.*)$", re.MULTILINE)


class Disagrees(Exception):
    """A tool read the specs otherwise, or could not run; the message is its own words."""


# ------------------------------------------------------------------------------------------------ the spec's facts


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _pointer(doc: dict, ref: str) -> Any:
    node: Any = doc
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


@dataclass(frozen=True)
class Answer:
    """One documented response of one operation."""

    op_id: str
    status: int
    schema_ref: str | None  # a success body's component schema
    codes: tuple[str, ...]  # a problem's codes, as its schema narrows them
    examples: dict[str, Any]  # example name -> value
    headers: tuple[str, ...]  # the headers it must carry


def answers(doc: dict) -> list[Answer]:
    """Every documented response of every operation of the API's spec, in the spec's order."""
    found = []
    for item in doc["paths"].values():
        for operation in (item[method] for method in METHODS if method in item):
            for status, response in operation["responses"].items():
                response = _deref(doc, response)
                [content] = response["content"].values()
                code = content["schema"].get("properties", {}).get("code", {})
                codes = tuple(code["enum"]) if "enum" in code else (code["const"],) if "const" in code else ()
                examples = {name: _deref(doc, ex)["value"] for name, ex in content.get("examples", {}).items()}
                required = tuple(name for name, header in response.get("headers", {}).items()
                                 if _deref(doc, header).get("required"))  # fmt: skip
                found.append(Answer(operation["operationId"], int(status), content["schema"].get("$ref"), codes,
                                    examples, required))  # fmt: skip
    return found


def _deref(doc: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = _pointer(doc, node["$ref"])
    return node


def request_example(doc: dict, op_id: str) -> tuple[str, str, Any]:
    """(method, path with the example parameters, the docs example body or None) of an operation."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation and operation["operationId"] == op_id:
                for parameter in item.get("parameters", []):
                    parameter = _deref(doc, parameter)
                    path = path.replace("{" + parameter["name"] + "}", str(parameter["example"]))
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                example = body.get("examples", {}).get("docs", {}).get("value")
                return method, path, example
    raise KeyError(op_id)


def workflow_steps(arazzo: dict, name: str, source: str = "") -> int:
    """The operation steps a workflow runs (of one source description, if given), those of the workflows it runs
    included."""
    workflows = {workflow["workflowId"]: workflow for workflow in arazzo["workflows"]}
    return sum(
        workflow_steps(arazzo, step["workflowId"], source) if "workflowId" in step
        else int(step["operationId"].startswith(f"$sourceDescriptions.{source}"))
        for step in workflows[name]["steps"]
    )  # fmt: skip


def pascal(op_id: str) -> str:
    return op_id[0].upper() + op_id[1:]


def snake(op_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", op_id).lower()


# ---------------------------------------------------------------------------------------------------- the tools


def pinned(package: str) -> str:
    """The version a lock file pins: "pypi:<name>" requirements.lock, "npm:<name>" package-lock.json, "sdk:<name>"
    typescript-sdk/package-lock.json."""
    kind, name = package.split(":", 1)
    if kind == "pypi":
        for line in (ROOT / "requirements.lock").read_text().splitlines():
            if line.lower().startswith(name.lower() + "=="):
                return line.split("==", 1)[1].strip()
        raise KeyError(f"{name} is not in requirements.lock")
    lock = ROOT / ("typescript-sdk/package-lock.json" if kind == "sdk" else "package-lock.json")
    return json.loads(lock.read_text())["packages"][f"node_modules/{name}"]["version"]


def installed(package: str) -> str:
    kind, name = package.split(":", 1)
    if kind == "pypi":
        return metadata.version(name)
    modules = ROOT / ("typescript-sdk/node_modules" if kind == "sdk" else "node_modules")
    return json.loads((modules / name / "package.json").read_text())["version"]


def checked_texts() -> dict[str, str]:
    """What each tool checks, in the table's words, with the figures of the files as they are."""
    doc, arazzo = load(SPEC), load(ARAZZO)
    documented = answers(doc)
    errors = [a for a in documented if a.status >= 400]
    ops = sorted({a.op_id for a in documented})
    examples = sum(len(a.examples) for a in documented)
    sim_flows = [w["workflowId"] for w in arazzo["workflows"] if w["workflowId"].startswith("simulator-")]
    steps = sum(workflow_steps(arazzo, name) for name in sim_flows)
    api_steps = sum(workflow_steps(arazzo, name, "callActions") for name in sim_flows)
    return {
        "openapi-spec-validator": "Both specs are valid OpenAPI 3.1 (`simulator.yaml` with its references into "
        "`call-actions.yaml`).",
        "Redocly CLI (lint)": "Both specs and the Arazzo workflows pass the recommended rules with no error "
        "(`.redocly.lint-ignore.yaml` lists the unused-by-design examples).",
        "Redocly CLI (Respect)": f"The {len(sim_flows)} simulator workflows of `call-actions.arazzo.yaml` ({steps} "
        "steps) run through Prism's proxy in front of the simulator: every step's success criteria, and each answer's "
        "status, content type and schema as Respect reads the spec.",
        "Spectral": "No `$ref` with sibling keywords in either spec (rule `tryvox-ref-alone`); the Arazzo workflows "
        "pass `spectral:arazzo`. (`make lint` runs `spectral:oas` and the OWASP rules on the API's spec.)",
        "Prism (mock)": f"Loads the API's spec and answers each of its {examples} documented response examples "
        f"({len(documented)} responses of {len(ops)} operations, asked with `Prefer`) as written, with the headers "
        "the spec requires; refuses a transfer whose `to` breaks `E164Number` (read through `allOf`).",
        "Prism (validating proxy)": f"In front of the simulator while the workflows run: none of the {api_steps} "
        "answers of the API they get (every operation; 200, 202, 401, 404, 409, 422 and 429) breaks the spec as Prism "
        "reads it.",
        "schemathesis": "The examples phase with every check, against the simulator, with the contract suite's "
        "configuration (the full run, four phases: `make contract`).",
        "openapi-python-client": f"Generates the client with no warning; the {len(ops)} operations return `Problem` "
        f"for all {len(errors)} documented error answers, and the spec's model for each success answer.",
        "@hey-api/openapi-ts": f"Generates with no warning; each of the {len(errors)} error answers is a `Problem` "
        "narrowed to its status and codes, the same type as openapi-typescript's (tsc `--strict`).",
        "openapi-typescript": f"Generates the API's types; each of the {len(documented)} answers is the same type as "
        "@hey-api/openapi-ts's, every error a `Problem`, in a program tsc compiles with `--strict`.",
    }


TOOLS = [
    ("openapi-spec-validator", "pypi:openapi-spec-validator"),
    ("Redocly CLI (lint)", "npm:@redocly/cli"),
    ("Redocly CLI (Respect)", "npm:@redocly/cli"),
    ("Spectral", "npm:@stoplight/spectral-cli"),
    ("Prism (mock)", "npm:@stoplight/prism-cli"),
    ("Prism (validating proxy)", "npm:@stoplight/prism-cli"),
    ("schemathesis", "pypi:schemathesis"),
    ("openapi-python-client", "pypi:openapi-python-client"),
    ("@hey-api/openapi-ts", "sdk:@hey-api/openapi-ts"),
    ("openapi-typescript", "npm:openapi-typescript"),
]
TYPESCRIPT = "npm:typescript"  # compiles the TypeScript generators' types (tsc --strict)


# ------------------------------------------------------------------------------------------------ running things


def run(command: list[str], cwd: Path = ROOT, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, **QUIET}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def said(done: subprocess.CompletedProcess, lines: int = 12) -> str:
    """The end of what a tool printed, without its boxed notices."""
    text = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
    text = [line for line in text if line.strip() and not line.lstrip().startswith(("║", "╔", "╚"))]
    return "\n".join(text[-lines:])


@contextmanager
def served(command: list[str], ready: re.Pattern[str], log: Path) -> Iterator[tuple[str, Path]]:
    """Start a server whose output goes to `log`; yield (the URL its `ready` line names, the log) until done."""
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **QUIET})
    try:
        deadline = time.monotonic() + READY_S
        while not (found := ready.search(log.read_text(errors="replace"))):
            if process.poll() is not None or time.monotonic() > deadline:
                exited = process.poll() is not None
                how = f"exited with status {process.returncode}" if exited else f"in {READY_S:.0f} s"
                raise Disagrees(f"{command[0]} did not start ({how}):\n{log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.1)
        yield found.group(1), log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# ----------------------------------------------------------------------------------------------------- the checks


def check_spec_validator(_: Path) -> dict[str, list[str]]:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    problems = []
    for path in (SPEC, SIM_SPEC):
        spec, base_uri = read_from_filename(str(path))
        try:
            validate(spec, base_uri=base_uri)
        except Exception as exc:  # the validator's own error classes: its words are the verdict
            problems.append(f"{path.name}: {str(exc).splitlines()[0]}")
    return {"openapi-spec-validator": problems}


def check_redocly_lint(_: Path) -> dict[str, list[str]]:
    done = run([str(NPX / "redocly"), "lint", "--format=stylish", str(SPEC), str(SIM_SPEC), str(ARAZZO)])
    return {"Redocly CLI (lint)": [said(done)] if done.returncode else []}


def check_spectral(_: Path) -> dict[str, list[str]]:
    done = run([str(NPX / "spectral"), "lint", "--fail-severity=warn", "--ruleset", str(FORMS), str(SPEC),
                str(SIM_SPEC), str(ARAZZO)])  # fmt: skip
    return {"Spectral": [said(done)] if done.returncode else []}


def check_prism_mock(work: Path) -> dict[str, list[str]]:
    doc, problems = load(SPEC), []
    command = [str(NPX / "prism"), "mock", "-h", "127.0.0.1", "-p", "0", str(SPEC)]
    with (
        served(command, PRISM_READY, work / "prism-mock.log") as (url, _),
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        auth = {"Authorization": "Bearer tvx_sk_test_interop"}
        for answer in answers(doc):
            method, path, body = request_example(doc, answer.op_id)
            for name, value in answer.examples.items():
                prefer = {"Prefer": f"code={answer.status}, example={name}"}
                got = http.request(method, path, json=body, headers={**auth, **prefer})
                where = f"{answer.op_id} {answer.status} {name}"
                if got.status_code != answer.status or body_of(got) != value:
                    problems.append(f"{where}: Prism answered {got.status_code} {got.text[:200]}")
                missing = [header for header in answer.headers if header not in got.headers]
                if missing:
                    problems.append(f"{where}: no {', '.join(missing)} header")
        method, path, _ = request_example(doc, "transferCall")
        refused = http.request(method, path, json={"to": "4155559999"}, headers=auth)
        if refused.status_code != 422:
            problems.append(f"transferCall with to=4155559999: Prism answered {refused.status_code}, not 422")
    return {"Prism (mock)": problems}


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def response_violations(log: str) -> list[str]:
    """What Prism's proxy found wrong in the answers it relayed (not in the requests: the workflows send bad ones on
    purpose), from its log."""
    return [f"{m.group(1)}: {m.group(2).strip()}" for m in PRISM_VIOLATION.finditer(log)]


def check_through_prism(work: Path) -> dict[str, list[str]]:
    """The simulator with Prism's validating proxy in front: Respect's workflows through it, schemathesis' examples
    phase beside it; then what Prism found wrong in the simulator's answers."""
    from tryvox_contract import SCHEMATHESIS_CONFIG
    from tryvox_contract import workflows as arazzo
    from tryvox_contract.target import Target, start_simulator

    simulator = start_simulator("--seed", "1126")
    try:
        command = [str(NPX / "prism"), "proxy", "-h", "127.0.0.1", "-p", "0", "--cors=false", str(SPEC),
                   simulator.base_url]  # fmt: skip
        with served(command, PRISM_READY, work / "prism-proxy.log") as (url, log):
            through = Target(env={**simulator.env, "TVX_BASE_URL": url}, why="interop")
            schemathesis = subprocess.Popen(
                [sys.executable, "-m", "schemathesis.cli", "--config-file", str(SCHEMATHESIS_CONFIG), "run", str(SPEC),
                 "--phases", "examples", "--seed", "1126", "--generation-database", "none", "--no-shrink"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work,
                env={**os.environ, **simulator.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
            )  # fmt: skip
            try:
                flows = arazzo.run(through, work)
            finally:
                st_out, _ = schemathesis.communicate(timeout=300)
            text = log.read_text(errors="replace")
    finally:
        simulator.stop()
    respect = [*flows.failures, *([f"Respect: {flows.error}"] if flows.error else [])]
    if not flows.ran:
        respect.append(f"the workflows did not run: {flows.why}")
    violations = response_violations(text)
    answered = text.count("Received forward response")
    arazzo_doc = load(ARAZZO)
    expected = sum(workflow_steps(arazzo_doc, name, "callActions") for name in arazzo.SIMULATOR_WORKFLOWS)
    proxy = [f"{len(violations)} of {answered} answers: {'; '.join(sorted(set(violations))[:5])}"] if violations else []
    if answered < expected:
        proxy.append(f"only {answered} answers went through the proxy, not the workflows' {expected}")
    st_tail = "\n".join(st_out.strip().splitlines()[-15:])
    st = [st_tail] if schemathesis.returncode else []
    return {"Redocly CLI (Respect)": respect, "Prism (validating proxy)": proxy, "schemathesis": st}


def check_python_client(work: Path) -> dict[str, list[str]]:
    config = load(ROOT / "openapi" / "client-config.yaml")
    config["post_hooks"] = []  # the project's hooks format and copy files in; the code as generated is what is read
    (work / "opc.yaml").write_text(yaml.safe_dump(config))
    out = work / "opc"
    done = run([str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(SPEC),
                "--config", str(work / "opc.yaml"), "--meta", "none", "--output-path", str(out), "--overwrite",
                "--fail-on-warning"])  # fmt: skip
    if done.returncode:
        return {"openapi-python-client": [said(done)]}
    problems = []
    parsed = re.compile(r"if response\.status_code == (\d+):\n\s+response_\d+ = (\w+)\.from_dict")
    for answer in answers(load(SPEC)):
        module = out / "api" / "call_actions" / f"{snake(answer.op_id)}.py"
        models = dict(parsed.findall(module.read_text())) if module.is_file() else {}
        expected = "Problem" if answer.status >= 400 else pascal(answer.schema_ref.rsplit("/", 1)[-1])
        if models.get(str(answer.status)) != expected:
            got = models.get(str(answer.status), "nothing")
            problems.append(f"{answer.op_id} {answer.status}: parsed as {got}, not {expected}")
    return {"openapi-python-client": problems}


def typescript_program(doc: dict) -> tuple[str, str]:
    """Two strict programs: each error answer of hey-api's types is a Problem narrowed to its status and codes; each
    answer of openapi-typescript's is the same type as hey-api's."""
    head = "type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;\n"
    head += "type Holds<T extends true> = T;\n"
    hey = "import type * as Hey from './hey/types.gen.js';\n" + head
    oats = "import type * as Hey from './hey/types.gen.js';\nimport type { operations } from './oats.js';\n" + head
    oats += ("type Body<O extends keyof operations, S extends keyof operations[O]['responses']> =\n"
             "  operations[O]['responses'][S] extends { content: infer C } ? C[keyof C] : never;\n")  # fmt: skip
    for index, answer in enumerate(answers(doc)):
        name = f"{pascal(answer.op_id)}{'Errors' if answer.status >= 400 else 'Responses'}[{answer.status}]"
        oats += f"export type A{index} = Holds<Same<Body<'{answer.op_id}', {answer.status}>, Hey.{name}>>;\n"
        if answer.status < 400:
            continue
        union = " | ".join(f"'{code}'" for code in answer.codes)
        hey += f"export const p{index}: Hey.Problem = {{}} as Hey.{name};  // still a Problem\n"
        hey += f"export type S{index} = Holds<Same<Hey.{name}['status'], {answer.status}>>;\n"
        hey += f"export type C{index} = Holds<Same<Hey.{name}['code'], {union}>>;\n"
    return hey, oats


def check_typescript(work: Path) -> dict[str, list[str]]:
    folder = work / "ts"
    folder.mkdir()
    hey = run([str(SDK_NPX / "openapi-ts"), "-i", str(SPEC), "-o", str(folder / "hey"), "--silent", "--no-log-file"])
    oats = run([str(NPX / "openapi-typescript"), str(SPEC), "-o", str(folder / "oats.ts")])
    verdict: dict[str, list[str]] = {
        "@hey-api/openapi-ts": [said(hey)] if hey.returncode or "warn" in (hey.stdout + hey.stderr).lower() else [],
        "openapi-typescript": [said(oats)] if oats.returncode else [],
    }
    if hey.returncode or oats.returncode:
        return verdict
    programs = dict(zip(("hey_check.ts", "oats_check.ts"), typescript_program(load(SPEC)), strict=True))
    for name, text in programs.items():
        (folder / name).write_text(text)
    done = run([str(NPX / "tsc"), "--strict", "--noEmit", "--skipLibCheck", "--target", "es2022", "--module",
                "nodenext", "--moduleResolution", "nodenext", *programs], cwd=folder)  # fmt: skip
    for line in (done.stdout + done.stderr).splitlines():
        tool = "openapi-typescript" if line.startswith("oats") else "@hey-api/openapi-ts"
        if "error TS" in line:
            verdict[tool].append(f"tsc: {line}")
    if done.returncode and not any(verdict.values()):  # tsc failed without naming a line: both rows say so
        verdict = {tool: [f"tsc: {said(done)}"] for tool in verdict}
    return verdict


# Each check and the tools it gives a verdict for, the slowest first.
CHECKS: list[tuple[Callable[[Path], dict[str, list[str]]], tuple[str, ...]]] = [
    (check_through_prism, ("Redocly CLI (Respect)", "Prism (validating proxy)", "schemathesis")),
    (check_prism_mock, ("Prism (mock)",)),
    (check_typescript, ("@hey-api/openapi-ts", "openapi-typescript")),
    (check_python_client, ("openapi-python-client",)),
    (check_spectral, ("Spectral",)),
    (check_redocly_lint, ("Redocly CLI (lint)",)),
    (check_spec_validator, ("openapi-spec-validator",)),
]


# ---------------------------------------------------------------------------------------------------- the table


@dataclass
class Row:
    tool: str
    version: str
    checked: str
    problems: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.problems:
            return "agrees"
        first = self.problems[0].splitlines()[0][:160].replace("|", "\\|")
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"**disagrees**: {first}{more}"


HEAD = """# The spec in every tool that reads it

<!-- Written by `make interop` (tools/interop.py) from the pinned versions; tests/test_interop.py: never stale. -->

`openapi/call-actions.yaml` is the one source of truth, so every tool that reads it must see the same contract.
`make interop` (part of `make test`) runs each of them, at the version `requirements.lock`, `package-lock.json` or
`typescript-sdk/package-lock.json` pins, against the specs and, where it talks to an API, against the simulator
(`tryvox-sim`); a tool that disagrees fails the build with its own message. TypeScript types are compiled by
typescript {typescript} (`tsc --strict`).

| Tool | Version | What it checked | Verdict |
|---|---|---|---|
"""

NOTES = """
## What the tools read differently, and what the spec does about it

- **`$ref` with sibling keywords.** Legal in OpenAPI 3.1 (JSON Schema 2020-12 applies both), and jsonschema-rs,
  schemathesis and Prism read it so; Redocly Respect closed the siblings (`unevaluatedProperties must NOT have
  unevaluated properties: "type"` on every problem body), openapi-python-client dropped them. Since spec 1.1.2 every
  `$ref` stands alone: a schema that narrows `Problem` writes `allOf: [{$ref: Problem}]` with `properties` beside it,
  and `make lint` refuses the old form (Spectral rule `tryvox-ref-alone`). Not `allOf: [{$ref: Problem}, {properties:
  …}]`: openapi-python-client cannot merge a `const` into `Problem.status` (`int can't be merged with Literal[409]`)
  and leaves every error answer out of the client. openapi-python-client types the one-branch form as `Problem`
  (it does not type the narrowing); both TypeScript generators type it `Problem & {status?: 409; code?: …}`.
- **Undeclared properties.** Respect checks answers as if every object with `properties` were closed
  (`unevaluatedProperties: false`), where JSON Schema leaves them open. The API's answers carry only documented
  fields, so it agrees on them; the simulator's call details list recordings with fields of its own (`channels`,
  `max_length`, `trim_silence`, `started_at`), so the workflows read the control plane only where those are absent.
- **Prism's proxy and the whole contract run.** The suite's whole run through `prism proxy` took 345 s instead of
  20: Prism answers in about 40 ms, and never answers a request whose JSON body does not parse, so each such case
  waits out its timeout (related: stoplightio/prism#2664). Prism also matches a path with an empty parameter
  (`/v1/voice/accounts//calls/…`) to the operation, where the simulator answers that no route has it (`404
  not_found`). So the proxy watches the workflows, which reach every operation and the errors an integrator must
  handle, and the full run is `make contract`.
"""


def rows(problems: dict[str, list[str]] | None = None) -> list[Row]:
    texts = checked_texts()
    return [Row(name, pinned(package), texts[name], (problems or {}).get(name, [])) for name, package in TOOLS]


def render(table: list[Row]) -> str:
    lines = [HEAD.format(typescript=pinned(TYPESCRIPT))]
    lines += [f"| {row.tool} | {row.version} | {row.checked} | {row.verdict} |\n" for row in table]
    return "".join(lines) + NOTES


def stale_installs() -> list[str]:
    found = []
    for package in {package for _, package in TOOLS} | {TYPESCRIPT}:
        want, have = pinned(package), installed(package)
        if want != have:
            found.append(f"{package.split(':', 1)[1]} {have} is installed, the lock pins {want}: run make venv node")
    return found


def interop() -> tuple[list[Row], float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tryvox-interop-") as folder:
        work = Path(folder)
        found: dict[str, list[str]] = {}

        def each(entry: tuple[Callable[[Path], dict[str, list[str]]], tuple[str, ...]]) -> dict[str, list[str]]:
            check, tools = entry
            place = work / check.__name__
            place.mkdir()
            try:
                return check(place)
            except Exception as exc:  # it could not run to the end: each of its tools gets what stopped it
                return {tool: [f"{check.__name__}: {type(exc).__name__}: {exc}"] for tool in tools}

        with ThreadPoolExecutor(max_workers=4) as pool:
            for result in pool.map(each, CHECKS):
                found.update(result)
    return rows(found), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.interop", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", type=Path, help="write the table here when it changed (make interop: docs/interop.md)"
    )
    parser.add_argument("--check", action="store_true", help="run nothing: fail when docs/interop.md is stale")
    args = parser.parse_args(argv)
    if args.check:
        if TABLE.read_text() != render(rows()):
            print(f"{TABLE.relative_to(ROOT)} is stale: run make interop and commit it", file=sys.stderr)
            return 1
        return 0
    stale = stale_installs()
    if stale:
        print("\n".join(stale), file=sys.stderr)
        return 2
    table, seconds = interop()
    failed = [row for row in table if row.problems]
    for row in table:
        print(f"interop: {row.tool} {row.version}: {'agrees' if not row.problems else 'DISAGREES'}")
    for row in failed:
        print(f"\n{row.tool} {row.version} disagrees:", file=sys.stderr)
        for problem in row.problems:
            print("  " + problem.replace("\n", "\n  "), file=sys.stderr)
    if args.write:
        text = render(table)
        if not args.write.is_file() or args.write.read_text() != text:
            args.write.write_text(text)
            print(f"interop: wrote {args.write}")
    print(f"interop: {len(table) - len(failed)} of {len(table)} agree ({seconds:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
