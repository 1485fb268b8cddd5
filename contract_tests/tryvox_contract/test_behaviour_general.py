"""Notes, General: actions need an in-progress call; several actions on one call; async (202)."""

import pytest

from tryvox_contract.actions import HOLD_MUSIC, dtmf, every_action, expect, play, record, speak, stop
from tryvox_contract.conftest import transfer_to


@pytest.mark.parametrize("status", ["ringing", "completed"])
def test_every_action_needs_an_in_progress_call(api, auth_id, control, status):
    call = control.create_call(status="ringing")["call_uuid"]
    if status == "completed":
        control.hangup_call(call)
    for operation, send in every_action(api, auth_id, call).items():
        response = send()
        assert response.status_code == 409, f"{operation} on a {status} call: {response.status_code}"
        expect(response, 409, code="call_not_in_progress")


def test_every_action_on_a_transferred_call_is_refused(api, auth_id, target, transferred_call):
    """What a deployment shows too: once a transfer is accepted the call is no longer in progress (transferring, then
    ended), and every action on it answers 409."""
    for operation, send in every_action(api, auth_id, transferred_call, transfer_to(target)).items():
        response = send()
        assert response.status_code == 409, f"{operation} on a transferred call: {response.status_code}"
        expect(response, 409, code="call_not_in_progress")


def test_an_answered_call_accepts_actions(api, auth_id, control):
    call = control.create_call(status="ringing")["call_uuid"]
    control.answer_call(call)
    expect(play(api, auth_id, call), 202)


def test_several_actions_run_on_one_call(api, auth_id, call_uuid, control):
    started = expect(record(api, auth_id, call_uuid), 202)
    expect(play(api, auth_id, call_uuid), 202)
    expect(dtmf(api, auth_id, call_uuid, "12"), 202)
    details = control.get_call(call_uuid)
    assert details["status"] == "in-progress"
    assert details["playback"]["url"] == HOLD_MUSIC, "audio plays while the recording runs"
    running = [r for r in details["recordings"] if r["status"] == "recording"]
    assert [r["recording_uuid"] for r in running] == [str(started.recording_uuid)]
    expect(stop(api, auth_id, call_uuid), 200)


def test_actions_answer_202_accepted_at_once(api, auth_id, call_uuid):
    """Asynchronous: the POSTs answer 202 with the action started, not finished."""
    assert expect(play(api, auth_id, call_uuid), 202).status == "playing"
    assert expect(speak(api, auth_id, call_uuid), 202).status == "speaking"
    assert expect(record(api, auth_id, call_uuid), 202).status == "recording"
    assert expect(dtmf(api, auth_id, call_uuid, "5"), 202).status == "sent"
    assert expect(stop(api, auth_id, call_uuid), 200).status == "stopped"
