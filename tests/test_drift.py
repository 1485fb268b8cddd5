"""The contract suite must fail, naming the problem, when the API drifts from the spec.

Each case puts a fault-injecting proxy (tests/fault_proxy.py) in front of a real
simulator, bends one thing, and runs the suite's own configuration (schemathesis.toml, or the
behaviour tests) against the proxy with a fixed seed and few examples. schemathesis' command is called in this
process (its CLI, as `schemathesis run` would run it), and so are the behaviour tests for the invariants across
requests, with the suite's own clients (run_in_process): no process to start for either.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from schemathesis.cli import schemathesis as schemathesis_command
from tryvox_call_actions_client import AuthenticatedClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from fault_proxy import INVARIANT_FAULTS, FaultProxy, Relayed, rewrite
from tryvox_contract import HERE as SUITE
from tryvox_contract import SCHEMATHESIS_CONFIG, SPEC, checks
from tryvox_contract.target import Target, start_simulator

from tryvox_sim.contract.invariants import INVARIANTS
from tryvox_sim.testing.control_client import ControlClient

ROOT = Path(__file__).resolve().parent.parent
# No example database: runs at once (pytest-xdist) must not replay each other's failing cases.
NO_DATABASE = ("--generation-database", "none")


@pytest.fixture(scope="module")
def simulator():
    target = start_simulator()
    yield target
    target.stop()


def suite_env(simulator, proxy_url: str) -> dict[str, str]:
    return {**os.environ, **simulator.env, "TVX_BASE_URL": proxy_url, "TVX_CONTROL_URL": proxy_url}


def schemathesis(simulator, proxy_url: str, *args: str) -> tuple[int, str]:
    """`schemathesis --config-file … run SPEC *args` called in this process, as its command line would be, through
    the proxy at `proxy_url`: (exit code, output). The first run imports schemathesis and the suite's hooks; each
    later one costs a tenth of a new process. Each run starts with a fresh observer, as a process of its own would."""
    checks.verdicts.cache_clear()
    try:
        done = CliRunner().invoke(
            schemathesis_command, ["--config-file", str(SCHEMATHESIS_CONFIG), "run", str(SPEC), *args],
            env=suite_env(simulator, proxy_url), catch_exceptions=False,
        )  # fmt: skip
    finally:
        checks.verdicts.cache_clear()
    return done.exit_code, done.output


def run_schemathesis(simulator, proxy_url: str, operation: str, tmp_path: Path, phases: str) -> dict:
    """A small fixed-seed schemathesis run of one operation; returns failure title -> count."""
    report = tmp_path / "run.json"
    included = [arg for op in operation.split(",") for arg in ("--include-operation-id", op)]
    code, output = schemathesis(
        simulator, proxy_url, *included, "--phases", phases, "--seed", "7", "--max-examples", "5", *NO_DATABASE,
        "--report", "json", "--report-json-path", str(report), "--no-shrink",
    )  # fmt: skip
    data = json.loads(report.read_text())
    failures = {f"{failure['code']} {failure['title']}": failure["count"] for failure in data["failures"]}
    assert code != 0, "schemathesis passed against a drifting API"
    return failures | {"__output__": output}


def run_in_process(simulator, proxy_url: str, test_id: str) -> None:
    """One behaviour test, called here with the suite's own clients (whose hook checks every answer against the
    invariants) and a fresh observer: the failure a pytest run would report, without starting one."""
    file, name = test_id.split("::")
    test = getattr(importlib.import_module("tryvox_contract." + file.removesuffix(".py")), name)
    checks.verdicts.cache_clear()
    target = Target(env={**simulator.env, "TVX_BASE_URL": proxy_url, "TVX_CONTROL_URL": proxy_url})
    auth_id = target.env["TVX_AUTH_ID"]
    try:
        with (
            ControlClient(proxy_url, auth_id=auth_id, **checks.client_args()) as control,
            AuthenticatedClient(
                base_url=proxy_url, token=target.env["TVX_API_TOKEN"], timeout=10, httpx_args=checks.client_args()
            ) as api,
        ):
            fixtures = {"target": target, "control": control, "api": api, "auth_id": auth_id}
            if "call_uuid" in inspect.signature(test).parameters:  # as the suite's fixture makes it
                fixtures["call_uuid"] = target.control.create_call()["call_uuid"]
            test(**{param: fixtures[param] for param in inspect.signature(test).parameters})
    finally:
        target.stop()
        checks.verdicts.cache_clear()


def run_behaviour(simulator, proxy_url: str, test_id: str) -> str:
    """One behaviour test in a pytest of its own, as the suite's runner starts pytest: its own settings, no plugin
    autoloaded (the user's are none of its business, and loading schemathesis' costs a second a run)."""
    env = {**suite_env(simulator, proxy_url), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-m", "pytest", "-c", str(SUITE / "pytest.ini"), "--rootdir", str(SUITE), "-q",
               "-p", "no:cacheprovider", str(SUITE / test_id)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, f"behaviour test passed against a drifting API:\n{result.stdout[-2000:]}"
    return result.stdout


# -- faults: (operation, phases, after-hook or before-hook, expected failure title) ------------------


def wrong_status(ex: Relayed):
    if ex.status == 202:
        ex.status = 201  # the spec says 202 Accepted


def missing_field(ex: Relayed):
    if ex.status == 202:
        rewrite(ex, lambda body: body.pop("play_uuid", None))


def renamed_field(ex: Relayed):
    if ex.status == 202:
        rewrite(ex, lambda body: body.update(recordingUuid=body.pop("recording_uuid")))


def mistyped_field(ex: Relayed):
    if ex.status == 202:
        rewrite(ex, lambda body: body.update(text=len(body["text"])))


def wrong_content_type(ex: Relayed):
    if ex.status == 202:
        ex.headers["content-type"] = "text/plain"


def invalid_input_accepted(ex: Relayed):
    if ex.status == 422:
        ex.status, ex.headers["content-type"] = 202, "application/json"
        ex.body = json.dumps({"dtmf_uuid": str(uuid.uuid4()), "status": "sent", "digits": "1"}).encode()


def server_error_on_hash(ex: Relayed):
    if b"#" in ex.request_body:
        ex.status, ex.headers["content-type"] = 500, "application/problem+json"
        ex.body = b'{"type":"about:blank","title":"Internal error","status":500,"code":"internal"}'


def auth_ignored(ex: Relayed):
    """Before forwarding: any credentials (or none) become the valid token."""
    ex.request_headers = {k: v for k, v in ex.request_headers.items() if k.lower() != "authorization"}
    ex.request_headers["Authorization"] = f"Bearer {os.environ['DRIFT_TOKEN']}"


# Schemathesis names each failure by a code (`st explain ST103`); the check behind it is named here.
SCHEMATHESIS_CASES = [
    pytest.param("playAudio", "examples,fuzzing", None, wrong_status, "ST103", id="wrong-status"),
    pytest.param("playAudio", "examples,fuzzing", None, missing_field, "ST108", id="missing-field"),
    pytest.param("startRecording", "examples", None, renamed_field, "ST108", id="renamed-field"),
    pytest.param("speakText", "examples", None, mistyped_field, "ST108", id="mistyped-field"),
    pytest.param("playAudio", "examples", None, wrong_content_type, "ST105", id="wrong-content-type"),
    pytest.param("sendDtmf", "coverage", None, invalid_input_accepted, "ST201", id="invalid-input-accepted"),
    pytest.param("sendDtmf", "examples", None, server_error_on_hash, "ST101", id="server-error"),
    pytest.param("sendDtmf", "examples", auth_ignored, None, "ST401", id="auth-ignored"),
]
CHECKS = {
    "ST101": "not_a_server_error",
    "ST103": "status_code_conformance",
    "ST105": "content_type_conformance",
    "ST108": "response_schema_conformance",
    "ST201": "negative_data_rejection",
    "ST401": "ignored_auth",
}


@pytest.mark.parametrize(("operation", "phases", "before", "after", "code"), SCHEMATHESIS_CASES)
def test_schemathesis_names_the_drift(simulator, tmp_path, monkeypatch, operation, phases, before, after, code):
    monkeypatch.setenv("DRIFT_TOKEN", simulator.env["TVX_API_TOKEN"])
    with FaultProxy(simulator.base_url, before=before, after=after) as url:
        failures = run_schemathesis(simulator, url, operation, tmp_path, phases)
    output = failures.pop("__output__")
    found = [name for name in failures if name.startswith(code + " ")]
    assert found, f"expected {code} ({CHECKS[code]}) to fail, got {sorted(failures)}\n{output[-3000:]}"
    assert f"- {code} " in output and "curl -X" in output, "the output names the check and shows a curl line"


def test_schemathesis_passes_through_an_honest_proxy(simulator, tmp_path):
    """The proxy itself bends nothing: the same small run passes when no fault is injected."""
    with FaultProxy(simulator.base_url) as url:
        code, output = schemathesis(
            simulator, url, "--include-operation-id", "sendDtmf", "--phases", "examples,coverage", "--seed", "7",
            "--max-examples", "5", *NO_DATABASE,
        )  # fmt: skip
    assert code == 0, output[-3000:]


# -- drift only the behaviour tests can see ----------------------------------------------------


def second_stop_accepted(ex: Relayed):
    if ex.method == "DELETE" and ex.status == 409:
        ex.status, ex.headers["content-type"] = 200, "application/json"
        rec = str(uuid.uuid4())
        ex.body = json.dumps(
            {
                "recording_uuid": rec,
                "status": "stopped",
                "url": f"https://recordings.tryvox.io/{rec}.mp3",
                "duration": 0,
            }
        ).encode()


def destination_not_echoed(ex: Relayed):
    if ex.status == 202 and ex.operation == "POST transfer":
        rewrite(ex, lambda body: body.update(to="+14155559999"))


def digits_not_echoed(ex: Relayed):
    if ex.status == 202 and ex.operation == "POST dtmf":
        rewrite(ex, lambda body: body.update(digits="1"))


BEHAVIOUR_CASES = [
    pytest.param(
        second_stop_accepted,
        "test_behaviour_recording.py::test_a_second_stop_is_a_conflict",
        "Invariant stop-after-stop:",
        id="second-stop-accepted",
    ),
    pytest.param(
        destination_not_echoed,
        "test_behaviour_transfer.py::test_transfer_echoes_the_destination_and_starts_transferring",
        "+14155559999",
        id="to-not-echoed",
    ),
    pytest.param(
        digits_not_echoed,
        "test_behaviour_dtmf.py::test_valid_digits_are_sent_and_echoed",
        "Invariant echo:",
        id="digits-not-echoed",
    ),
]


@pytest.mark.parametrize(("after", "test_id", "expected"), BEHAVIOUR_CASES)
def test_behaviour_tests_name_the_drift(simulator, after, test_id, expected):
    with FaultProxy(simulator.base_url, after=after) as url:
        output = run_behaviour(simulator, url, test_id)
    assert expected in output, output[-3000:]


def test_behaviour_tests_pass_through_an_honest_proxy(simulator):
    with FaultProxy(simulator.base_url) as url:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             str(SUITE / "test_behaviour_recording.py"), str(SUITE / "test_behaviour_dtmf.py")],
            cwd=ROOT, env=suite_env(simulator, url), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


# -- each invariant of tryvox_sim/invariants.py: a fault of tests/fault_proxy.py breaks it, and the
#    suite fails naming it (schemathesis as check `tvx_<name>`, the behaviour tests as `Invariant <name>:`)

RECORDING_URL = "test_behaviour_recording.py::test_the_url_has_the_format_extension"
HANGUP_URLS = "test_behaviour_recording.py::test_urls_are_in_the_call_details_and_the_hangup_webhook"
RATE_LIMITS = "test_behaviour_run.py::test_rate_limit_headers_count_down_within_one_window"
INVARIANT_RUNS = {
    "problem-status": ("schemathesis", "sendDtmf", "coverage"),
    "problem-type": ("schemathesis", "sendDtmf", "coverage"),
    "problem-code": ("schemathesis", "speakText", "coverage"),
    "problem-title": ("schemathesis", "sendDtmf", "coverage"),
    "validation-errors": ("schemathesis", "sendDtmf", "coverage"),
    "auth-challenge": ("behaviour", "test_behaviour_auth.py::test_no_valid_token_is_401"),
    "rate-limit-remaining": ("schemathesis", "sendDtmf", "examples"),
    "echo": ("schemathesis", "sendDtmf", "examples"),
    "recording-format": ("schemathesis", "startRecording", "examples"),
    "recording-url": ("behaviour", RECORDING_URL),
    "new-action-id": ("schemathesis", "playAudio", "examples"),
    "stop-names-recording": ("behaviour", RECORDING_URL),
    "stop-after-stop": ("behaviour", "test_behaviour_recording.py::test_a_second_stop_is_a_conflict"),
    "start-while-recording": ("behaviour", "test_behaviour_recording.py::test_one_recording_at_a_time"),
    "stop-url-format": ("behaviour", RECORDING_URL),
    "stop-duration": ("schemathesis", "startRecording,stopRecording", "stateful"),
    "completed-call": ("behaviour", "test_behaviour_general.py::test_every_action_needs_an_in_progress_call"),
    # the rules across requests and channels: behaviour tests called in-process (run_in_process)
    "stop-duration-elapsed": ("in-process", "test_behaviour_recording.py::test_a_second_stop_is_a_conflict"),
    "recording-details": ("in-process", HANGUP_URLS),
    "transfer-webhook": (
        "in-process",
        "test_behaviour_transfer.py::test_answer_url_receives_the_transfer_answered_webhook",
    ),
    "fresh-action-id": ("in-process", "test_behaviour_run.py::test_every_action_answers_an_id_of_its_own"),
    "rate-limit-constant": ("in-process", RATE_LIMITS),
    "rate-limit-decreasing": ("in-process", RATE_LIMITS),
    "rate-limit-reset": ("in-process", RATE_LIMITS),
}


def test_every_invariant_has_a_fault_and_a_drift_proof():
    assert set(INVARIANT_FAULTS) == set(INVARIANTS) == set(INVARIANT_RUNS)


@pytest.mark.parametrize("name", sorted(INVARIANT_RUNS))
def test_the_suite_names_each_broken_invariant(simulator, tmp_path, name):
    kind, *where = INVARIANT_RUNS[name]
    with FaultProxy(simulator.base_url, after=INVARIANT_FAULTS[name]) as url:
        if kind == "schemathesis":
            failures = run_schemathesis(simulator, url, where[0], tmp_path, where[1])
            output = failures.pop("__output__")
            check = "tvx_" + name.replace("-", "_")
            assert any(check in title for title in failures), f"{check} not among {sorted(failures)}\n{output[-3000:]}"
        elif kind == "in-process":
            with pytest.raises(checks.InvariantBroken, match=f"Invariant {name}:"):
                run_in_process(simulator, url, where[0])
        else:
            output = run_behaviour(simulator, url, where[0])
            assert f"Invariant {name}:" in output, output[-3000:]


@pytest.mark.parametrize(
    "test_id", sorted({where for kind, where, *_ in INVARIANT_RUNS.values() if kind == "in-process"})
)
def test_the_behaviour_tests_called_in_process_pass_through_an_honest_proxy(simulator, test_id):
    with FaultProxy(simulator.base_url) as url:
        run_in_process(simulator, url, test_id)
