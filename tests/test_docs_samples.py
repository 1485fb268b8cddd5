"""Every code sample of the rendered docs runs, as a reader copies it from a served simulator's /docs.

The simulator is started with an account, token and seeded call that differ from the spec's examples,
so a sample only works if /docs put this simulator's own values into it. Each sample runs the way a
reader runs it: curl through a shell, Python in a fresh interpreter with the installed client,
JavaScript with Node, TypeScript compiled by strict tsc against the SDK (`make ts-build`) and run with
Node; each must get the operation's documented success status and a body that
validates against the documented response schema. `make docs-test` runs this file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
import yaml

from tools.breaking import resolve
from tools.code_samples import LANGUAGES, page_samples
from tryvox_sim.sim.docs import METHODS, sample_values
from tryvox_sim.testing import served

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
OPERATIONS = {
    op["operationId"]: (path, m, op) for path, item in SPEC["paths"].items() for m, op in item.items() if m in METHODS
}
# Values unlike the spec's examples: a sample that still carried those would get 401/403/404.
SIMULATOR = {
    "TVX_AUTH_ID": "docs_reader",
    "TVX_API_TOKEN": "tvx_sk_test_docs_reader_0000000000",
    "TVX_CALL_UUID": "7c9e6679-7425-40de-944b-e07fc1f90ae6",
}
# Nothing from the test's environment (no TVX_* variables): the sample must work on its own.
READER_ENV = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
RUNNERS = {  # how a reader runs each sample; the source goes in on stdin
    "curl": ["sh"],
    "Python": [sys.executable, "-I", "-"],  # -I: a fresh interpreter that sees only the installed packages
    "Python (async)": [sys.executable, "-I", "-"],
    "JavaScript": ["node", "--input-type=module", "-"],
}
TYPESCRIPT_SDK = ROOT / "typescript-sdk"


def success(operation: dict) -> tuple[int, jsonschema_rs.Validator]:
    """The operation's documented success status and a validator of its JSON body."""
    (status,) = [code for code in operation["responses"] if code.startswith("2")]
    response = resolve(operation["responses"][status], SPEC)
    return int(status), jsonschema_rs.validator_for(
        response["content"]["application/json"]["schema"], validate_formats=True
    )


def status_and_body(label: str, output: str) -> tuple[int, object]:
    """curl -i prints the status line, headers and body; the Python and JS samples print `STATUS JSON`."""
    if label == "curl":
        head, _, body = output.replace("\r\n", "\n").partition("\n\n")
        return int(head.split()[1]), json.loads(body)
    status, _, body = output.strip().partition(" ")
    return int(status), json.loads(body)


@pytest.fixture(scope="module")
def simulator():
    built = subprocess.run(["make", "-s", "docs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    with served("--self-check", env=SIMULATOR) as found:
        with httpx.Client(base_url=found["TVX_BASE_URL"], timeout=10) as http:
            yield found, http


@pytest.fixture(scope="module")
def served_samples(simulator) -> dict[tuple[str, str], str]:
    """{(operationId, label): source} as the served /docs page carries them."""
    _, http = simulator
    page = http.get("/docs")
    assert page.status_code == 200
    return page_samples(page.text)


def test_every_operation_has_one_sample_per_language_with_the_simulators_values(simulator, served_samples):
    found, _ = simulator
    labels = [label for label, _, _ in LANGUAGES]
    assert sorted(served_samples) == sorted((op_id, label) for op_id in OPERATIONS for label in labels)
    placeholders = sample_values(SPEC)
    for (op_id, label), source in served_samples.items():
        assert found["TVX_BASE_URL"] in source and found["TVX_API_TOKEN"] in source, (op_id, label)
        assert found["TVX_AUTH_ID"] in source and found["TVX_CALL_UUID"] in source, (op_id, label)
        left = [value for value in placeholders.values() if value in source]
        assert not left, f"{op_id} {label}: still carries {left}"


@pytest.fixture(scope="module")
def typescript_samples(served_samples, tmp_path_factory) -> Path:
    """A reader's Node project with the SDK installed, and the served TypeScript samples in it, compiled at once by
    strict tsc (one compiler run for all six: it takes seconds)."""
    home = tmp_path_factory.mktemp("typescript-reader")
    (home / "node_modules" / "@tryvox").mkdir(parents=True)
    (home / "node_modules" / "@tryvox" / "call-actions").symlink_to(TYPESCRIPT_SDK, target_is_directory=True)
    (home / "package.json").write_text(json.dumps({"type": "module"}))
    options = {"strict": True, "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext"}
    (home / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "include": ["*.ts"]}))
    for (op_id, label), source in served_samples.items():
        if label == "TypeScript":
            (home / f"{op_id}.ts").write_text(source)
    tsc = ["node", str(TYPESCRIPT_SDK / "node_modules" / "typescript" / "bin" / "tsc"), "-p", str(home)]
    compiled = subprocess.run(tsc, capture_output=True, text=True, timeout=120, env=READER_ENV)
    assert compiled.returncode == 0, f"strict tsc refused the TypeScript samples:\n{compiled.stdout}{compiled.stderr}"
    return home


def arrange(http: httpx.Client, found: dict, op_id: str) -> None:
    """A fresh seeded world (the call in-progress again) plus what the operation needs on it."""
    assert http.post("/_sim/reset").status_code == 200
    if op_id == "stopRecording":  # needs a running recording; started as any client would
        path = OPERATIONS["startRecording"][0].format(auth_id=found["TVX_AUTH_ID"], call_uuid=found["TVX_CALL_UUID"])
        started = http.post(path, headers={"Authorization": f"Bearer {found['TVX_API_TOKEN']}"})
        assert started.status_code == 202, started.text


@pytest.mark.parametrize("label", [label for label, _, _ in LANGUAGES])
@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_sample_runs_as_copied_and_gets_the_documented_answer(
    simulator, served_samples, tmp_path, op_id, label, request
):
    found, http = simulator
    source = served_samples[(op_id, label)]
    runner = RUNNERS.get(label)
    if label == "TypeScript":  # compiled from `source` by the fixture
        runner = ["node", str(request.getfixturevalue("typescript_samples") / f"{op_id}.js")]
    arrange(http, found, op_id)
    ran = subprocess.run(runner, input=source, cwd=tmp_path, capture_output=True, text=True, timeout=60, env=READER_ENV)
    assert ran.returncode == 0, f"{label} sample of {op_id} failed:\n{source}\n{ran.stdout}\n{ran.stderr}"
    status, body = status_and_body(label, ran.stdout)
    expected, validator = success(OPERATIONS[op_id][2])
    assert status == expected, f"{op_id} {label}: {status} {body}"
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, f"{op_id} {label}: body {body} breaks the documented schema: {errors}"
