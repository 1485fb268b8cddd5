"""Webhooks on demand (`POST /_sim/calls/{uuid}/webhooks`, `tryvox-sim trigger`) and the request log of
`tryvox-sim serve --log-level info`."""

import http.server
import re
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tryvox_sim.testing import served, simulated_api
from tryvox_sim.testing.control_client import ControlClient, ControlPlaneError

RINGS = "+15005550003"  # rings 30 s, then fails: a transfer that stays under way


@pytest.fixture
def sim():
    with simulated_api() as s:
        yield s


def start_transfer(sim, call_uuid, answer_url=None):
    body = {"to": RINGS, **({"answer_url": answer_url} if answer_url else {})}
    headers = {"Authorization": f"Bearer {sim.token}"}
    response = sim.http.post(sim.path("transfer", call_uuid), json=body, headers=headers)
    assert response.status_code == 202, response.text


def test_hangup_now_ends_the_call_and_sends_its_webhook_to_the_url_given(sim):
    call_uuid = sim.new_call()
    done = sim.trigger("callHangup", call_uuid, url="http://127.0.0.1:9/hangup")
    assert done["call"]["status"] == "completed" and done["call"]["hangup_cause"] == "normal_hangup"
    assert done["webhooks"] == [{"event": "callHangup", "url": "http://127.0.0.1:9/hangup"}]
    [delivery] = sim.webhooks
    assert (delivery["event"], delivery["url"], delivery["payload"]["call_uuid"]) == (
        "callHangup", "http://127.0.0.1:9/hangup", call_uuid,
    )  # fmt: skip


def test_transfer_answered_now_answers_the_transfer_under_way(sim):
    call_uuid = sim.new_call(hangup_url="http://127.0.0.1:9/hangup")
    start_transfer(sim, call_uuid, answer_url="http://127.0.0.1:9/answered")
    done = sim.trigger("transferAnswered", call_uuid)
    assert done["webhooks"] == [
        {"event": "transferAnswered", "url": "http://127.0.0.1:9/answered"},
        {"event": "callHangup", "url": "http://127.0.0.1:9/hangup"},
    ]
    assert done["call"]["hangup_cause"] == "transferred"
    assert sim.webhooks[0]["payload"]["to"] == RINGS and sim.webhooks[0]["payload"]["status"] == "answered"


@pytest.mark.parametrize(
    ("arrange", "event", "url", "expected"),
    [
        ("ended", "callHangup", "http://127.0.0.1:9/h", "409.*call_completed"),
        ("in-progress", "transferAnswered", "http://127.0.0.1:9/h", "409.*no_transfer"),
        ("in-progress", "callHangup", None, "422.*/url"),  # no hangup_url and none given: nowhere to go
        ("transferring", "transferAnswered", None, "422.*/url"),
        ("in-progress", "callAnswered", "http://127.0.0.1:9/h", "422.*/event"),
        ("in-progress", "callHangup", "ftp://127.0.0.1/h", "422.*/url"),
    ],
)
def test_what_cannot_happen_is_refused_and_changes_nothing(sim, arrange, event, url, expected):
    call_uuid = sim.new_call()
    if arrange == "ended":
        sim.trigger("callHangup", call_uuid, url="http://127.0.0.1:9/h")
    if arrange == "transferring":
        start_transfer(sim, call_uuid)
    before, webhooks = sim.call(call_uuid), len(sim.webhooks)
    with pytest.raises(ControlPlaneError, match=expected):
        sim.trigger(event, call_uuid, url=url)
    assert sim.call(call_uuid) == before and len(sim.webhooks) == webhooks


def test_an_unknown_call_is_404(sim):
    with pytest.raises(ControlPlaneError, match="404.*call_not_found"):
        sim.trigger("callHangup", "750e8400-e29b-41d4-a716-446655440099", url="http://127.0.0.1:9/h")


# -- served: `tryvox-sim trigger` against a receiver, and the request log


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        Receiver.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def trigger(*args):
    return subprocess.run([sys.executable, "-m", "tryvox_sim.cli", "trigger", *args], capture_output=True, text=True)


def test_served_trigger_delivers_through_the_normal_path_and_logs_each_request(receiver):
    with served("--log-level", "info", "--self-check") as env, ControlClient(env["TVX_BASE_URL"]) as control:
        base = ("--base-url", env["TVX_BASE_URL"])
        call_uuid = control.create_call()["call_uuid"]
        done = trigger("hangup", "--call", call_uuid, "--to", receiver, *base)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"call {call_uuid}: completed (normal_hangup)",
            f"callHangup -> {receiver}: delivered, receiver answered 204",
        ]
        assert b'"hangup_cause":"normal_hangup"' in Receiver.received[-1]
        assert control.get_coverage()["webhooks"] == 1
        for args, says in [
            (("hangup", "--call", call_uuid), "409 Call " + call_uuid + " has already ended."),
            (("hangup", "--call", "750e8400-e29b-41d4-a716-446655440099", "--to", receiver), "404 No call"),
            (("hangup", "--call", "not-a-call", "--to", receiver), "404 No call not-a-call."),
            (("answer", "--call", call_uuid), "invalid choice: 'answer'"),
        ]:
            refused = trigger(*args, *base)
            assert refused.returncode == 2 and says in refused.stderr and refused.stderr.count("\n") == 1, refused
        # One line per request: method, path, status, problem code, fault, milliseconds.
        control.create_fault("sendDtmf", fault="reset", after="action")
        url = f"{env['TVX_BASE_URL']}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"
        with pytest.raises(httpx.TransportError):
            httpx.post(url, json={"digits": "1"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"})
        httpx.post(url, json={"digits": "x"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"})
        path = f"/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"
        expected = [
            rf"tryvox_sim.requests: POST {path} 202 - fault f1 \(reset, after action\) \d+\.\d ms$",
            rf"tryvox_sim.requests: POST {path} 422 validation_failed - \d+\.\d ms$",
        ]
        deadline = time.monotonic() + 10
        while True:
            lines = [line for line in open(env["log"]).read().splitlines() if f"POST {path}" in line]
            if len(lines) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(lines) == 2 and all(re.search(p, line) for p, line in zip(expected, lines, strict=True)), lines
        assert env["TVX_API_TOKEN"] not in open(env["log"]).read()


def test_a_simulator_out_of_reach_is_one_line_and_exit_2(refused_url):
    done = trigger("hangup", "--call", "650e8400-e29b-41d4-a716-446655440000", "--base-url", refused_url)
    assert done.returncode == 2 and done.stderr.startswith("tryvox-sim trigger: ") and done.stderr.count("\n") == 1
