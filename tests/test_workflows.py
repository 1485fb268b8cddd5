"""The spec's Arazzo workflows (openapi/call-actions.arazzo.yaml) as the contract run runs them with Redocly Respect
(tryvox_contract/workflows.py): they pass against the simulator, fail naming the step against a drifting one, and
keep the suite's safety rules against a deployment."""

from __future__ import annotations

import json
import os
import shlex
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from fault_proxy import FaultProxy, Relayed
from tryvox_contract import cli
from tryvox_contract import workflows as arazzo
from tryvox_contract.target import Target, start_simulator

ARAZZO = yaml.safe_load((Path(__file__).resolve().parent.parent / "openapi" / "call-actions.arazzo.yaml").read_text())
WORKFLOWS = {workflow["workflowId"]: workflow for workflow in ARAZZO["workflows"]}
WORKFLOWS_ORDER = list(WORKFLOWS)  # Respect runs them in the file's order
SAFE_NUMBER = "+15005550001"  # the simulator's test number that answers after 1 s (its clock is manual here)


def steps_run(name: str) -> int:
    """The operation steps a workflow runs, its child workflows' included."""
    return sum(steps_run(step["workflowId"]) if "workflowId" in step else 1 for step in WORKFLOWS[name]["steps"])


@pytest.fixture(scope="module")
def simulator():
    target = start_simulator()
    yield target
    target.stop()


def test_the_workflows_pass_against_the_simulator(simulator, tmp_path):
    outcome = arazzo.run(simulator, tmp_path)
    assert outcome.failures == [] and outcome.error == ""
    assert outcome.passed
    assert outcome.workflows == [(name, True) for name in arazzo.SIMULATOR_WORKFLOWS]
    assert outcome.steps == sum(steps_run(name) for name in arazzo.SIMULATOR_WORKFLOWS)
    assert outcome.why.startswith("Redocly Respect 2.")
    log = (tmp_path / "workflows.json").read_text()
    assert simulator.env["TVX_API_TOKEN"] not in log + (tmp_path / "workflows.log").read_text()
    codes = [step["response"]["statusCode"] for step in steps(json.loads(log))]
    assert {202, 200, 409, 401, 404, 422, 429} <= set(codes)  # the flows and the errors an integrator must handle


def steps(log: dict):
    for file in log["files"].values():
        stack = list(file["executedWorkflows"])
        while stack:
            item = stack.pop(0)
            if item.get("type") == "workflow" or "executedSteps" in item:
                stack[:0] = item.get("executedSteps", [])
            else:
                yield item


def second_stop_accepted(ex: Relayed) -> None:
    """The drift: stopping a call with no running recording answers 200 with a made-up recording."""
    if ex.method == "DELETE" and ex.status == 409:
        recording = str(uuid.uuid4())
        ex.status, ex.headers["content-type"] = 200, "application/json"
        ex.body = json.dumps({"recording_uuid": recording, "status": "stopped", "duration": 0,
                              "url": f"https://recordings.tryvox.io/{recording}.wav"}).encode()  # fmt: skip


def test_a_drifting_api_fails_the_workflow_naming_the_step(simulator, tmp_path, monkeypatch):
    monkeypatch.setattr(arazzo, "SIMULATOR_WORKFLOWS", ("simulator-recording-life",))
    with FaultProxy(simulator.base_url, after=second_stop_accepted) as url:
        drifting = Target(env={**simulator.env, "TVX_BASE_URL": url, "TVX_CONTROL_URL": url}, why="test")
        outcome = arazzo.run(drifting, tmp_path)
    assert not outcome.passed
    assert outcome.workflows == [("simulator-recording-life", False)]
    assert outcome.failures == [
        "simulator-recording-life › recording-life › stopAgain: success criteria check ($statusCode == 409)",
        "simulator-recording-life › recording-life › stopAgain: success criteria check "
        "($response.body#/code == 'no_active_recording')",
    ]


def deployment(simulator, **extra: str) -> Target:
    """The simulator seen as a deployment: no control plane (TVX_CONTROL_URL unset), one in-progress call of its own."""
    call = simulator.control.create_call()["call_uuid"]
    env = {key: value for key, value in simulator.env.items() if key != "TVX_CONTROL_URL"}
    return Target(env={**env, "TVX_CALL_UUID": call, **extra}, why="test")


def test_turned_off_they_are_left_out_even_against_a_simulator(simulator, monkeypatch):
    target = Target(env={**simulator.env, "TVX_BASE_URL": simulator.base_url})
    monkeypatch.delenv(arazzo.ENV, raising=False)
    assert arazzo.wanted(target) and arazzo.unavailable(target) == ""
    monkeypatch.setenv(arazzo.ENV, "0")
    assert not arazzo.wanted(target) and arazzo.unavailable(target) == "turned off (TVX_WORKFLOWS=0)"


def test_a_deployment_gets_them_only_when_asked_and_transfers_only_to_the_safe_number(simulator, monkeypatch):
    monkeypatch.delenv(arazzo.ENV, raising=False)
    target = deployment(simulator)
    assert arazzo.unavailable(target) == "against a deployment only with --workflows (TVX_WORKFLOWS=1)"
    names, inputs, servers, left_out = arazzo.plan(target)
    assert names == list(arazzo.DEPLOYMENT_WORKFLOWS) and "transfer_to" not in inputs
    assert left_out == [f"workflow {arazzo.TRANSFER_WORKFLOW}: it dials a number and ends the call; set "
                        "TVX_SAFE_TRANSFER_TO"]  # fmt: skip
    names, inputs, servers, left_out = arazzo.plan(deployment(simulator, TVX_SAFE_TRANSFER_TO=SAFE_NUMBER))
    assert names[-1] == arazzo.TRANSFER_WORKFLOW and inputs["transfer_to"] == SAFE_NUMBER and left_out == []
    assert servers == {"callActions": simulator.base_url}
    assert simulator.env["TVX_API_TOKEN"] not in json.dumps(inputs)  # the token goes by the environment only


FAKE_REDOCLY = """\
import json, os, sys
from pathlib import Path
Path(os.environ["FAKE_SEEN"]).write_text(json.dumps({"argv": sys.argv[1:], "token": os.environ.get("TVX_API_TOKEN")}))
log = sys.argv[sys.argv.index("--json-output") + 1]
Path(log).write_text(json.dumps({"files": {"call-actions.arazzo.yaml": {"executedWorkflows": []}}}))
"""


def test_a_deployment_run_sends_the_token_by_the_environment_and_transfers_to_the_safe_number(
    simulator, tmp_path, monkeypatch
):
    """What the runner hands Respect against a deployment, seen by a stand-in for the Redocly CLI."""
    fake, seen = tmp_path / "redocly.py", tmp_path / "seen.json"
    fake.write_text(FAKE_REDOCLY)
    monkeypatch.setenv(arazzo.REDOCLY_ENV, shlex.join([sys.executable, str(fake)]))
    monkeypatch.setenv("FAKE_SEEN", str(seen))
    monkeypatch.setenv(arazzo.ENV, "1")
    target = deployment(simulator, TVX_SAFE_TRANSFER_TO=SAFE_NUMBER)
    outcome = arazzo.run(target, tmp_path)
    argv, token = json.loads(seen.read_text()).values()
    assert token == target.env["TVX_API_TOKEN"] and token not in " ".join(argv)
    assert argv[:2] == ["respect", str(Path(argv[1]).parent / "call-actions.arazzo.yaml")]
    flags = list(zip(argv[2::2], argv[3::2], strict=True))
    workflows = [value for flag, value in flags if flag == "--workflow"]
    assert workflows == [*arazzo.DEPLOYMENT_WORKFLOWS, "transfer-ends-call"]
    inputs = {value.split("=", 1)[0]: value.split("=", 1)[1] for flag, value in flags if flag == "--input"}
    assert inputs == {"auth_id": target.env["TVX_AUTH_ID"], "call_uuid": target.env["TVX_CALL_UUID"],
                      "transfer_to": SAFE_NUMBER}  # fmt: skip
    [server] = [value for flag, value in flags if flag == "--server"]  # the API only: no control plane to reach
    assert server.startswith("callActions=http://127.0.0.1:") and target.base_url not in server  # through the relay
    assert WORKFLOWS_ORDER.index("transfer-ends-call") > max(map(WORKFLOWS_ORDER.index, arazzo.DEPLOYMENT_WORKFLOWS))
    assert outcome.error == "no workflow ran"  # the stand-in ran none: never taken for a pass
    assert not outcome.passed


def test_workflows_asked_for_but_impossible_stop_the_run_before_it_starts(simulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(arazzo, "redocly_command", lambda: None)
    monkeypatch.setenv(arazzo.ENV, "1")
    with pytest.raises(arazzo.WorkflowsUnavailable, match="the Redocly CLI was not found"):
        arazzo.unavailable(simulator)
    monkeypatch.delenv(arazzo.ENV)
    assert arazzo.unavailable(simulator).startswith("the Redocly CLI was not found")  # the simulator: left out, said
    saved = dict(os.environ)  # cli.main writes os.environ itself
    try:
        os.environ.pop("TVX_ALLOW_LIVE", None)
        os.environ["TVX_API_TOKEN"] = "tvx_sk_live_0123456789abcdef"
        argv = ["--workflows", "--base-url", "http://127.0.0.1:9", "--auth-id", "acme",
                "--call-uuid", str(uuid.uuid4()), "--report-dir", str(tmp_path)]  # fmt: skip
        assert cli.main(argv) == 2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert "live key" in capsys.readouterr().err


def test_the_relay_waits_out_the_suites_429s_and_passes_on_anothers(simulator):
    """Respect keeps no pace and waits out no 429: its relay does, as the suite's own clients do (polite.py), but
    only for the suite's token, so the rate-limited workflow still sees its account's 429."""
    refused = []

    def first_request_of_each_token_is_429(ex: Relayed) -> None:
        token = ex.request_headers.get("Authorization", "")
        if token not in refused:
            refused.append(token)
            ex.status, ex.headers = 429, {"content-type": "application/problem+json", "retry-after": "0"}
            ex.body = json.dumps({"type": "https://docs.tryvox.io/errors/rate-limited", "title": "Too many requests",
                                  "status": 429, "code": "rate_limited"}).encode()  # fmt: skip

    dtmf = f"/v1/voice/accounts/{simulator.env['TVX_AUTH_ID']}/calls/{simulator.env['TVX_CALL_UUID']}/dtmf"
    with FaultProxy(simulator.base_url, before=first_request_of_each_token_is_429) as upstream:
        with arazzo.relay(upstream, simulator.env["TVX_API_TOKEN"]) as url:
            ours = httpx.post(
                url + dtmf, json={"digits": "1"}, headers={"Authorization": f"Bearer {simulator.env['TVX_API_TOKEN']}"}
            )
            theirs = httpx.post(
                url + dtmf, json={"digits": "1"}, headers={"Authorization": "Bearer tvx_sk_test_another"}
            )
    assert (ours.status_code, ours.json()["digits"]) == (202, "1")  # sent again after Retry-After
    assert theirs.status_code == 429 and theirs.headers["retry-after"] == "0"
