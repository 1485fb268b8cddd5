"""Notes, Transfer: transferring state, the original call ends on completion, a failed transfer
returns the caller, caller_id must be owned, answer_url gets the transferAnswered webhook.

On a deployment a transfer dials TVX_SAFE_TRANSFER_TO (a number that answers, or rings: a busy one gives the caller
back at once) and ends the call in use, so it needs fresh calls (conftest.ending_call)."""

import pytest

from tryvox_contract.actions import ANSWERS, BUSY, NO_ANSWER, expect, play, transfer
from tryvox_contract.conftest import transfer_to
from tryvox_sim.sim.seed import DEFAULT_NUMBERS, OTHER_NUMBERS

OWNED = DEFAULT_NUMBERS[0]  # seeded: owned by the simulator's account
OTHERS = OTHER_NUMBERS[0]  # seeded: owned by its other account


def test_transfer_echoes_the_destination_and_starts_transferring(api, auth_id, target, ending_call, request):
    number = transfer_to(target)
    started = expect(transfer(api, auth_id, ending_call, number), 202)
    assert (started.status, started.to) == ("transferring", number)
    if target.is_simulator:  # its control plane shows the state; a deployment's answers below show it too
        assert request.getfixturevalue("control").get_call(ending_call)["status"] == "transferring"
    expect(play(api, auth_id, ending_call), 409, code="call_not_in_progress")
    expect(transfer(api, auth_id, ending_call, number), 409, code="call_not_in_progress")


def test_the_original_call_ends_when_the_transfer_completes(api, auth_id, call_uuid, control):
    expect(transfer(api, auth_id, call_uuid, ANSWERS), 202)
    control.advance_clock(2)
    details = control.get_call(call_uuid)
    assert (details["status"], details["hangup_cause"]) == ("completed", "transferred")
    expect(play(api, auth_id, call_uuid), 409, code="call_not_in_progress")


@pytest.mark.parametrize(("number", "wait"), [(BUSY, 0.5), (NO_ANSWER, 31)])
def test_a_failed_transfer_returns_the_caller(api, auth_id, call_uuid, control, number, wait):
    expect(transfer(api, auth_id, call_uuid, number), 202)
    control.advance_clock(wait)
    assert control.get_call(call_uuid)["status"] == "in-progress"
    expect(play(api, auth_id, call_uuid), 202)


def test_an_owned_caller_id_is_accepted(api, auth_id, call_uuid, control):
    expect(transfer(api, auth_id, call_uuid, NO_ANSWER, caller_id=OWNED), 202)
    assert control.get_call(call_uuid)["transfer"]["caller_id"] == OWNED


@pytest.mark.parametrize("number", ["+14155550000", OTHERS])
def test_a_caller_id_the_account_does_not_own_is_refused(api, auth_id, call_uuid, control, number):
    expect(transfer(api, auth_id, call_uuid, NO_ANSWER, caller_id=number), 422, "caller_id_not_owned", "/caller_id")
    assert control.get_call(call_uuid)["status"] == "in-progress", "a refused transfer changes nothing"


def test_destination_must_be_e164(api, auth_id, call_uuid, control):
    expect(transfer(api, auth_id, call_uuid, "4155559999"), 422, code="validation_failed", pointer="/to")


def test_answer_url_receives_the_transfer_answered_webhook(api, auth_id, call_uuid, control):
    hook = f"https://example.com/transfer-answer/{call_uuid}"
    started = expect(transfer(api, auth_id, call_uuid, ANSWERS, caller_id=OWNED, answer_url=hook), 202)
    control.advance_clock(2)
    [delivery] = [w for w in control.list_webhooks() if w["url"] == hook]
    assert delivery["event"] == "transferAnswered"
    payload = delivery["payload"]
    assert payload["transfer_uuid"] == str(started.transfer_uuid)
    assert (payload["call_uuid"], payload["to"], payload["status"]) == (call_uuid, ANSWERS, "answered")
