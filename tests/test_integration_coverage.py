"""Integration coverage: what an application's tests met, against what the spec documents. In-process (the facts
counted), served (`GET /_sim/coverage`, `tryvox-sim coverage`), and the pytest plugin's `--tryvox-coverage`."""

import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest
from tryvox_call_actions_client import errors
from tryvox_call_actions_client.api.call_actions import send_dtmf
from tryvox_call_actions_client.models import DtmfRequest

from tryvox_sim.contract.documented import actions, documented_answers, fault_kinds, webhook_events
from tryvox_sim.testing import served, shared_spec, simulated_api
from tryvox_sim.testing.control_client import ControlClient

SPEC = shared_spec()


def met(report, item_id):
    return next(item["met"] for item in report["items"] if item["id"] == item_id)


def dtmf(sim, client=None, call_uuid=None):
    client = client or sim.client_for(sim.token, raise_on_error=True)
    return send_dtmf.sync(sim.auth_id, call_uuid or sim.call_uuid, client=client, body=DtmfRequest(digits="1"))


def test_the_denominators_are_the_specs():
    with simulated_api() as sim:
        report = sim.coverage()
    answers = [i for i in report["items"] if i["dimension"] == "answers"]
    assert len(answers) == len(documented_answers(SPEC)) > sum(len(op.responses) for op in actions(SPEC))
    assert {"sendDtmf 409 call_not_in_progress", "startRecording 409 recording_already_running"} <= {
        i["id"] for i in answers
    }
    faults = [i for i in report["items"] if i["dimension"] == "faults"]
    assert len(faults) == sum(len(fault_kinds(SPEC, op)) for op in actions(SPEC)) == 5 * 6
    assert [i["id"] for i in report["items"] if i["dimension"] == "webhooks"] == [
        f"webhook {event}: receiver answered 2xx" for event in webhook_events(SPEC)
    ]
    # Nothing called yet: everything listed, nothing counted.
    assert (report["met"], report["total"], report["percent"]) == (0, 0, 0.0)
    assert report["not_called"] == [op.op_id for op in actions(SPEC)] and report["never_met"] == []


def test_what_an_app_met_is_counted_per_operation_and_kind():
    with simulated_api() as sim:
        sim.inject("sendDtmf", status=429)
        dtmf(sim)  # a 429, then the client sends again: 202
        sim.inject("sendDtmf", status=503)
        with pytest.raises(errors.APIStatusError):
            dtmf(sim)
        for kind, after in (("close", None), ("reset", "action")):
            sim.inject("sendDtmf", fault=kind, **({"after": after} if after else {}))
            with pytest.raises(errors.APIConnectionError):
                dtmf(sim)
        sim.inject("sendDtmf", delay_ms=5000)
        with pytest.raises(errors.APITimeoutError):
            dtmf(sim, sim.client_for(sim.token, raise_on_error=True, timeout=httpx.Timeout(1.0)))
        report = sim.coverage()
    assert report["requests"] == 6 and report["not_called"] == [op.op_id for op in actions(SPEC)][:-1]
    assert (met(report, "sendDtmf 202"), met(report, "sendDtmf 429 rate_limited")) == (1, 1)
    for kind in ("sent again after a 429 with Retry-After", "a 5xx answered", "answer lost after the action ran",
                 "answer later than the client waited (delay_ms)"):  # fmt: skip
        assert met(report, f"sendDtmf: {kind}") == 1 + (kind.startswith("answer lost")), kind  # a late one is lost too
    assert met(report, "sendDtmf: connection broken before the action (reset, close, truncate)") == 1
    assert report["dimensions"]["faults"] == {"title": "Faults met", "met": 5, "total": 5, "percent": 100.0}
    assert "sendDtmf 400 invalid_json" in report["never_met"]
    assert not any(i["counted"] for i in report["items"] if i["operation"] == "transferCall")


def test_webhooks_count_once_delivered_and_say_how_the_receiver_answered():
    answers = iter([200, 500])
    receiver = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(next(answers))))
    with simulated_api() as sim:
        first, second = sim.new_call(hangup_url="http://app.test/hangup"), sim.new_call(hangup_url="http://app.test/h")
        sim.hangup(first)  # recorded only: nothing received it
        report = sim.coverage()
        assert met(report, "webhook callHangup: receiver answered 2xx") == 0
        sim.deliver_webhooks_to(receiver)
        dtmf(sim, call_uuid=second)
        sim.hangup(second)
        sim.trigger("callHangup", sim.new_call(), url="http://app.test/hangup")
        report = sim.coverage()
        assert [w["status"] for w in sim.webhooks] == ["recorded", "delivered", "failed"]
    [item] = [i for i in report["items"] if i["id"] == "webhook callHangup: receiver answered 2xx"]
    assert item["met"] == 1 and item["counted"]
    assert item["detail"] == "receiver answered 200 ×1, receiver answered 500 ×1, recorded ×1"
    assert not next(i for i in report["items"] if i["id"].startswith("webhook transferAnswered"))["counted"]


def test_coverage_outlives_a_reset_and_the_journals_ring_and_has_its_own_reset():
    with simulated_api(journal_size=2) as sim:
        for _ in range(5):  # the ring keeps 2
            dtmf(sim)
        sim.control.reset_world()  # a suite that resets between tests
        dtmf(sim)
        sim.control.clear_requests()
        assert met(sim.coverage(), "sendDtmf 202") == 6 and sim.coverage()["requests"] == 6
        assert sim.control.reset_coverage() == {"status": "reset"}
        assert sim.coverage()["requests"] == 0
        dtmf(sim)
        assert met(sim.coverage(), "sendDtmf 202") == 1


def test_a_late_answer_counted_once_settled_keeps_the_order_of_what_followed_it_through_the_ring():
    """A delayed answer may still be abandoned after it is recorded, so it and what follows it wait until they leave
    the ring; a 429 after it, sent again, is still seen as sent again, and nothing is counted twice."""
    with simulated_api(journal_size=2) as sim:
        sim.inject("sendDtmf", delay_ms=5000)
        with pytest.raises(errors.APITimeoutError):
            dtmf(sim, sim.client_for(sim.token, raise_on_error=True, timeout=httpx.Timeout(1.0)))
        sim.inject("sendDtmf", status=429)
        dtmf(sim)  # a 429, then the client sends again: 202
        during = sim.coverage()  # the late answer and the two after it are still in the ring: counted as they are
        for _ in range(3):  # each leaves the ring of 2
            dtmf(sim)
        after_ring = sim.coverage()
        dtmf(sim)
        sim.control.clear_requests()
        cleared = sim.coverage()
    late, again = (
        "sendDtmf: answer later than the client waited (delay_ms)",
        "sendDtmf: sent again after a 429 with Retry-After",
    )
    assert (met(during, late), met(during, again), during["requests"]) == (1, 1, 3)
    assert (met(after_ring, late), met(after_ring, again), met(after_ring, "sendDtmf 202")) == (1, 1, 4)
    assert (met(cleared, late), met(cleared, again), cleared["requests"], met(cleared, "sendDtmf 202")) == (1, 1, 7, 5)


# -- served: the control plane and `tryvox-sim coverage`


@pytest.fixture(scope="module")
def served_sim():
    with served("--self-check") as env, ControlClient(env["TVX_BASE_URL"]) as control:
        yield env, control


def coverage_command(*args):
    return subprocess.run([sys.executable, "-m", "tryvox_sim.cli", "coverage", *args], capture_output=True, text=True)


def test_served_the_command_prints_each_format_and_gates(served_sim):
    env, control = served_sim
    control.reset_coverage()
    url = f"{env['TVX_BASE_URL']}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"
    assert httpx.post(url, json={"digits": "1"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}).is_success
    report = control.get_coverage()
    assert report["met"] == 1 and report["not_called"] == [op.op_id for op in actions(SPEC)][:-1]
    base = ("--base-url", env["TVX_BASE_URL"])
    shown = coverage_command(*base)
    assert shown.returncode == 0, shown.stderr
    assert f"1 of {report['total']} met" in shown.stdout and "sendDtmf 400 invalid_json" in shown.stdout
    as_json = coverage_command(*base, "--format", "json", "--fail-under", "50")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["passed"] is False
    assert coverage_command(*base, "--fail-under", "1").returncode == 0
    assert coverage_command(*base, "--format", "md").stdout.startswith("## tryvox integration coverage: 1 of")
    page = coverage_command(*base, "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "sendDtmf 202" in page


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--fail-under", "101"], "must be a percentage from 0 to 100, not '101'"),
        (["--fail-under", "lots"], "must be a percentage from 0 to 100, not 'lots'"),
        (["--base-url", "ftp://nowhere"], "tryvox-sim coverage: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, says):
    done = coverage_command(*args)
    assert done.returncode == 2 and says in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stdout == ""


def test_a_simulator_out_of_reach_is_one_line_and_exit_2(refused_url):
    done = coverage_command("--base-url", refused_url)
    assert done.returncode == 2 and done.stderr.startswith("tryvox-sim coverage: ") and done.stderr.count("\n") == 1


# -- the pytest plugin


APP_TESTS = textwrap.dedent(
    """
    from tryvox_call_actions_client.api.call_actions import send_dtmf
    from tryvox_call_actions_client.models import DtmfRequest


    def test_one(tryvox_sim):
        send_dtmf.sync(tryvox_sim.auth_id, tryvox_sim.call_uuid, client=tryvox_sim.client, body=DtmfRequest(digits="1"))


    def test_two(tryvox_sim):
        tryvox_sim.inject("sendDtmf", status=429)
        send_dtmf.sync(tryvox_sim.auth_id, tryvox_sim.call_uuid, client=tryvox_sim.client, body=DtmfRequest(digits="1"))
    """
)


def run_pytest(folder, *args):
    """pytest in `folder` with only the plugin (and xdist) loaded, as installed: its entry point's module."""
    (folder / "test_app.py").write_text(APP_TESTS)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tryvox_sim.testing.pytest_plugin",
               "-p", "xdist.plugin", *args]  # fmt: skip
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # schemathesis' and others' would cost seconds each
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)


def test_the_plugin_adds_up_every_simulator_prints_a_table_and_writes_reports(tmp_path):
    done = run_pytest(tmp_path, "--tryvox-coverage")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tryvox integration coverage" in done.stdout and "sendDtmf" in done.stdout
    report = json.loads((tmp_path / "tryvox-coverage" / "coverage.json").read_text())
    assert report["requests"] == 3 and met(report, "sendDtmf 202") == 2
    assert met(report, "sendDtmf 429 rate_limited") == 1
    assert (tmp_path / "tryvox-coverage" / "coverage.md").is_file()
    assert (tmp_path / "tryvox-coverage" / "coverage.html").is_file()


def test_the_plugin_gates_and_adds_up_xdist_workers(tmp_path):
    done = run_pytest(tmp_path, "-n", "2", "--tryvox-coverage=90", "--tryvox-coverage-dir", "out")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed" in done.stdout and "gate: FAILED" in done.stdout
    assert json.loads((tmp_path / "out" / "coverage.json").read_text())["requests"] == 3


def test_the_plugin_refuses_a_gate_out_of_range(tmp_path):
    done = run_pytest(tmp_path, "--tryvox-coverage=101")
    assert done.returncode == 4 and "must be a percentage from 0 to 100, not '101'" in done.stderr
