"""`tryvox-contract --spec FILE` / `--spec-ref REF`: the contract clients already in the field were built on, run
against a new server. The new server is the simulator served from a new version of the spec (`tryvox-sim serve
--spec FILE`): a breaking change (a required request field added, a success status removed) fails the previous
contract naming each break; a compatible one (an optional field added) passes it."""

from __future__ import annotations

import copy
import html
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tryvox_contract.target import start_simulator

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "openapi" / "call-actions.yaml"
PLAY = "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/play"
SPEAK = "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/speak"


def breaking(doc: dict) -> None:
    """Two breaking changes: play needs a new field, speak answers 200 where it answered 202."""
    play = doc["components"]["schemas"]["PlayRequest"]
    play["properties"]["channel"] = {"type": "string", "enum": ["both", "caller", "callee"]}
    play["required"] = [*play["required"], "channel"]
    responses = doc["paths"][SPEAK]["post"]["responses"]
    doc["paths"][SPEAK]["post"]["responses"] = {("200" if code == "202" else code): r for code, r in responses.items()}


def compatible(doc: dict) -> None:
    """An optional field added to play."""
    doc["components"]["schemas"]["PlayRequest"]["properties"]["volume"] = {"type": "integer", "minimum": 0}


def new_server(tmp_path: Path, change, version: str):
    doc = copy.deepcopy(yaml.safe_load(CURRENT.read_text()))
    change(doc)
    doc["info"]["version"] = version
    path = tmp_path / "new-call-actions.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return start_simulator("--spec", str(path))


def previous_contract(server, reports: Path, *spec: str) -> subprocess.CompletedProcess:
    """The suite of `spec` against `server` (a short run: the examples, the playback tests, coverage reported)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVX_")} | server.env
    env |= {"MIN_COVERAGE": "0", "PYTEST_ADDOPTS": "-k test_behaviour_playback", "TVX_WORKFLOWS": "0"}
    command = [sys.executable, "-m", "tryvox_contract", "--base-url", server.base_url, *spec, "--seed", "3",
               "--phases", "examples", "--max-examples", "2", "--report-dir", str(reports)]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_the_previous_contract_fails_a_breaking_server_naming_each_break(tmp_path):
    server = new_server(tmp_path, breaking, "2.0.0")
    try:
        done = previous_contract(server, tmp_path / "reports", "--spec-ref", "HEAD")
    finally:
        server.stop()
    out = done.stdout
    assert done.returncode == 1, out[-4000:] + done.stderr[-2000:]
    # The spec read from git is what was tested, and the reports keep it.
    tested = subprocess.run(["git", "show", "HEAD:openapi/call-actions.yaml"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30, check=True).stdout  # fmt: skip
    assert (tmp_path / "reports" / "spec.yaml").read_text() == tested
    version = yaml.safe_load(tested)["info"]["version"]
    assert f"Spec:        spec {version} (HEAD:openapi/call-actions.yaml from git, --spec-ref)" in out
    summary = out.split("Contract suite summary", 1)[1]
    assert f"FAIL ST202 Schema-valid request rejected: 1\n                  POST {PLAY}" in summary
    assert f"FAIL ST103 Undocumented status code: 1\n                  POST {SPEAK}" in summary
    page = html.unescape((tmp_path / "reports" / "contract.html").read_text())
    assert '"pointer":"/channel"' in page, "the field the new server requires"
    assert "test_speak_echoes_the_text" in summary and "expected 202, got 200" in page


def test_the_previous_contract_passes_a_compatible_server(tmp_path):
    server = new_server(tmp_path, compatible, "1.2.0")
    try:
        done = previous_contract(server, tmp_path / "reports", "--spec", str(CURRENT))
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    current = yaml.safe_load(CURRENT.read_text())["info"]["version"]
    assert f"Spec:        spec {current} ({CURRENT}, --spec)" in done.stdout
    assert "Result:      PASSED" in done.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (("--spec", "no/such.yaml"), "contract: --spec no/such.yaml: no such file"),
        (
            ("--spec-ref", "no-such-ref"),
            "contract: --spec-ref no-such-ref: git show no-such-ref:openapi/call-actions.yaml",
        ),
        (("--spec", str(ROOT / "openapi" / "simulator.yaml")), "not the Call Actions API"),
        (("--spec", str(ROOT / "README.md")), "not an OpenAPI document"),
        (("--spec", str(ROOT / "pyproject.toml")), "not an OpenAPI document"),
    ],
)
def test_a_spec_that_cannot_be_read_stops_the_run_saying_why(tmp_path, spec, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVX_")}
    done = subprocess.run([sys.executable, "-m", "tryvox_contract", *spec, "--report-dir", str(tmp_path)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert (
        len(done.stderr.strip().splitlines()) == 1
        and "Traceback" not in done.stderr
        and not (tmp_path / "schemathesis.json").exists()
    )
