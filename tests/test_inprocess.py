"""The moto-style in-process API, as shown in the README."""

from tryvox_call_actions_client.api.call_actions import start_recording, stop_recording, transfer_call
from tryvox_call_actions_client.models import RecordingStoppedResponse, RecordRequest, TransferRequest

from tryvox_sim.sim.seed import OTHER_TOKEN
from tryvox_sim.testing import simulated_api


def test_readme_example():
    with simulated_api() as sim:
        start_recording.sync(auth_id=sim.auth_id, call_uuid=sim.call_uuid, client=sim.client, body=RecordRequest())
        sim.clock.advance(125)
        stopped = stop_recording.sync(auth_id=sim.auth_id, call_uuid=sim.call_uuid, client=sim.client)
        assert isinstance(stopped, RecordingStoppedResponse) and stopped.duration == 125
        assert sim.call()["recordings"][0]["url"] == stopped.url


def test_transfer_webhooks_are_recorded_not_sent():
    with simulated_api() as sim:
        call = sim.new_call(hangup_url="https://example.com/hangup")
        body = TransferRequest(to="+15005550001", answer_url="https://example.com/answer")
        transfer_call.sync(auth_id=sim.auth_id, call_uuid=call, client=sim.client, body=body)
        sim.clock.advance(1)
        assert [(w["event"], w["status"]) for w in sim.webhooks] == [
            ("transferAnswered", "recorded"),
            ("callHangup", "recorded"),
        ]
        assert sim.call(call)["hangup_cause"] == "transferred"


def test_client_for_another_token_sees_403():
    with simulated_api() as sim:
        other = sim.client_for(OTHER_TOKEN)
        response = start_recording.sync_detailed(auth_id=sim.auth_id, call_uuid=sim.call_uuid, client=other)
        assert response.status_code == 403


def test_simulators_are_independent():
    with simulated_api() as a, simulated_api() as b:
        a.hangup()
        assert b.call()["status"] == "in-progress"
