"""Answers lost after the action ran (a fault's `after: "action"`): the request is carried out on the simulated call
first (its state, details, timeline and webhooks show it), then the connection breaks over the real answer or the
answer comes late; the journal marks the entry `carried_out` with `response_lost`. Without `after`, a fault still
acts before the action. In-process and served (tests/test_faults.py has the definitions refused)."""

import time

import httpx
import pytest
from tryvox_call_actions_client import AuthenticatedClient, errors
from tryvox_call_actions_client.api.call_actions import send_dtmf, transfer_call
from tryvox_call_actions_client.models import DtmfRequest, TransferRequest

from tryvox_sim.testing import served, simulated_api
from tryvox_sim.testing.control_client import ControlClient

ANSWERED = "+15005550001"  # answered after 1 s


@pytest.fixture
def sim():
    with simulated_api() as s:
        yield s


def transfer(sim, client=None, call_uuid=None):
    client = client or sim.client_for(sim.token, raise_on_error=True)
    body = TransferRequest(to=ANSWERED, answer_url="http://127.0.0.1:9/answered")
    return transfer_call.sync(sim.auth_id, call_uuid or sim.call_uuid, client=client, body=body)


@pytest.mark.parametrize("kind", ["reset", "close", "truncate"])
def test_after_the_action_the_transfer_happens_and_only_its_answer_is_lost(sim, kind):
    call_uuid = sim.new_call(hangup_url="http://127.0.0.1:9/hangup")
    fault = sim.inject("transferCall", fault=kind, after="action")
    assert fault["after"] == "action"
    with pytest.raises(errors.APIConnectionError) as raised:
        transfer(sim, call_uuid=call_uuid)
    assert raised.value.request_sent is True
    [entry] = sim.requests(operation="transferCall")
    assert entry["carried_out"] is True and entry["response_lost"] is True
    assert entry["fault"] == {"id": fault["id"], "status": None, "delay_ms": 0, "fault": kind, "after": "action"}
    assert entry["response"]["status"] == "transferring"  # the answer the app never read whole
    assert entry["status"] == (202 if kind == "truncate" else None)
    details = sim.call(call_uuid)
    assert details["status"] == "transferring"
    assert details["transfer"]["transfer_uuid"] == entry["response"]["transfer_uuid"]
    assert [e["type"] for e in sim.events(call_uuid)][-1] == "transfer.started"
    sim.clock.advance(1)  # the transfer is answered: its webhooks go out as for any transfer
    assert [w["event"] for w in sim.webhooks] == ["transferAnswered", "callHangup"]
    assert sim.call(call_uuid)["hangup_cause"] == "transferred"


@pytest.mark.parametrize("kind", ["reset", "close", "truncate"])
def test_without_after_a_broken_connection_still_comes_before_the_action(sim, kind):
    sim.inject("transferCall", fault=kind)
    with pytest.raises(errors.APIConnectionError):
        transfer(sim)
    [entry] = sim.requests(operation="transferCall")
    assert entry["carried_out"] is False and entry["response_lost"] is True and entry["fault"]["after"] is None
    assert sim.call()["status"] == "in-progress" and sim.call()["transfer"] is None


def test_a_late_answer_after_the_action_past_the_clients_timeout_is_lost_with_the_action_done(sim):
    sim.inject("sendDtmf", delay_ms=5000, after="action")
    client = sim.client_for(sim.token, raise_on_error=True, timeout=httpx.Timeout(1.0))
    with pytest.raises(errors.APITimeoutError) as raised:
        send_dtmf.sync(sim.auth_id, sim.call_uuid, client=client, body=DtmfRequest(digits="12"))
    assert raised.value.request_sent is True
    [entry] = sim.requests(operation="sendDtmf")
    assert (entry["status"], entry["carried_out"], entry["response_lost"]) == (202, True, True)
    assert sim.call()["dtmf"][0]["digits"] == "12"  # the keys are being pressed


def test_a_late_answer_within_the_timeout_is_carried_out_and_not_lost(sim):
    sim.inject("sendDtmf", delay_ms=500, after="action")
    sent = send_dtmf.sync(sim.auth_id, sim.call_uuid, client=sim.client, body=DtmfRequest(digits="1"))
    assert sent.digits == "1"
    [entry] = sim.requests(operation="sendDtmf")
    assert (entry["carried_out"], entry["response_lost"]) == (True, False)


def test_carried_out_marks_only_what_the_calls_did(sim):
    sim.inject("sendDtmf", status=409)  # answered from the examples: nothing done
    for _ in range(2):
        send_dtmf.sync(sim.auth_id, sim.call_uuid, client=sim.client, body=DtmfRequest(digits="1"))
    sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers={"Authorization": f"Bearer {sim.token}",
                                                                   "Prefer": "code=202"})  # fmt: skip
    sim.http.post(sim.path("dtmf"), json={"digits": "x"}, headers={"Authorization": f"Bearer {sim.token}"})
    assert [(e["status"], e["carried_out"]) for e in sim.requests()] == [(409, False), (202, True), (202, False),
                                                                         (422, False)]  # fmt: skip
    assert not any(e["response_lost"] for e in sim.requests())


# -- served: real sockets


@pytest.fixture(scope="module")
def served_sim():
    with served("--self-check", "--manual-clock") as env, ControlClient(env["TVX_BASE_URL"]) as control:
        yield env, control


def test_served_a_reset_after_the_transfer_the_self_check_follows_what_was_done(served_sim):
    env, control = served_sim
    control.reset_world()
    control.create_fault("transferCall", fault="reset", after="action")
    with AuthenticatedClient(base_url=env["TVX_BASE_URL"], token=env["TVX_API_TOKEN"], raise_on_error=True) as client:
        with pytest.raises(errors.APIConnectionError) as raised:
            body = TransferRequest(to=ANSWERED)
            transfer_call.sync(env["TVX_AUTH_ID"], env["TVX_CALL_UUID"], client=client, body=body)
        assert raised.value.request_sent is True
        # The call is transferring: the next action is refused, and the self-check (which saw the lost 202) agrees.
        with pytest.raises(errors.ConflictError) as refused:
            send_dtmf.sync(env["TVX_AUTH_ID"], env["TVX_CALL_UUID"], client=client, body=DtmfRequest(digits="1"))
        assert refused.value.code == "call_not_in_progress"
    entries = control.list_requests()
    assert [(e["operation"], e["status"], e["carried_out"], e["response_lost"]) for e in entries] == [
        ("transferCall", None, True, True), ("sendDtmf", 409, False, False),
    ]  # fmt: skip
    assert control.get_call(env["TVX_CALL_UUID"])["status"] == "transferring"


def test_served_a_client_that_gives_up_on_a_late_answer_is_seen_to_have_lost_it(served_sim):
    env, control = served_sim
    control.reset_world()
    control.create_fault("sendDtmf", delay_ms=30_000, after="action")
    url = f"{env['TVX_BASE_URL']}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"
    with pytest.raises(httpx.ReadTimeout):  # httpx closes the connection when it gives up
        httpx.post(url, json={"digits": "5"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}, timeout=0.5)
    deadline = time.monotonic() + 10  # the server looks at held answers once a second
    while not (entry := control.list_requests(operation="sendDtmf")[0])["response_lost"]:
        assert time.monotonic() < deadline, entry
        time.sleep(0.05)
    assert entry["carried_out"] is True and control.get_call(env["TVX_CALL_UUID"])["dtmf"][0]["digits"] == "5"
