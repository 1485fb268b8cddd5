"""The service of app.py against the simulator, in-process: the pytest fixture `tryvox_sim` (registered when
tryvox-sim is installed) is the API, and its webhooks are delivered to the service through Starlette's TestClient.
Run with `pytest --tryvox-coverage` to see what these tests met of the API, and what they never did."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from tryvox_call_actions_client import AsyncTryvoxClient

from app import create_app

AGENT = "+15005550001"  # the simulator answers a transfer to this number after 1 s
HANGUP_URL = "http://app.test/webhooks/hangup"


@pytest.fixture
def app(tryvox_sim) -> Iterator[TestClient]:
    """The service on the simulator: its waits (a 429's Retry-After) move the simulator's clock, not yours."""
    client = AsyncTryvoxClient(
        tryvox_sim.token, tryvox_sim.base_url, tryvox_sim.auth_id,
        httpx_args={"transport": tryvox_sim.transport}, sleep=tryvox_sim.clock.advance,
    )  # fmt: skip
    with TestClient(create_app(client)) as service:
        tryvox_sim.deliver_webhooks_to(service)  # each webhook reaches the service at once
        yield service


def transfer(app: TestClient, call_uuid: str) -> dict:
    response = app.post(f"/calls/{call_uuid}/transfer", json={"to": AGENT})
    assert response.status_code == 202, response.text
    return response.json()


def test_a_transfer_is_accepted_and_the_hangup_webhook_says_it_completed(app, tryvox_sim):
    call_uuid = tryvox_sim.new_call(hangup_url=HANGUP_URL)
    assert transfer(app, call_uuid)["transfer"] == "transferring"
    tryvox_sim.clock.advance(1)  # the agent answers: the caller's call ends, transferred
    assert app.get(f"/calls/{call_uuid}").json() == {"call_uuid": call_uuid, "transfer": "transferred",
                                                     "ended": "transferred"}  # fmt: skip
    assert [w["status"] for w in tryvox_sim.webhooks] == ["delivered"]


def test_a_rate_limited_transfer_is_sent_again_after_retry_after(app, tryvox_sim):
    call_uuid = tryvox_sim.new_call(hangup_url=HANGUP_URL)
    tryvox_sim.inject("transferCall", status=429)
    started = tryvox_sim.clock.now()
    assert transfer(app, call_uuid)["transfer"] == "transferring"
    assert [r["status"] for r in tryvox_sim.requests(operation="transferCall")] == [429, 202]
    assert tryvox_sim.clock.now() - started == 1  # Retry-After: 1, on the simulator's clock


def test_an_answer_lost_after_the_transfer_is_reconciled_never_sent_again(app, tryvox_sim):
    call_uuid = tryvox_sim.new_call(hangup_url=HANGUP_URL)
    tryvox_sim.inject("transferCall", fault="reset", after="action")  # transferred, then the connection breaks
    assert transfer(app, call_uuid)["transfer"] == "unconfirmed"
    assert app.post(f"/calls/{call_uuid}/transfer", json={"to": AGENT}).status_code == 409  # not twice
    [sent] = tryvox_sim.requests(operation="transferCall")
    assert sent["carried_out"] and sent["response_lost"]
    tryvox_sim.clock.advance(1)  # the call's details arrive in the hangup webhook: it was carried out
    assert app.get(f"/calls/{call_uuid}").json()["transfer"] == "transferred"
    assert len(tryvox_sim.requests(operation="transferCall")) == 1


def test_the_hangup_webhook_is_handled_and_a_bad_one_refused(app, tryvox_sim):
    call_uuid = tryvox_sim.new_call(hangup_url=HANGUP_URL)
    tryvox_sim.trigger("callHangup", call_uuid)  # the caller hangs up now
    assert app.get(f"/calls/{call_uuid}").json()["ended"] == "normal_hangup"
    [delivery] = tryvox_sim.webhooks
    assert (delivery["status"], delivery["response_status"]) == ("delivered", 204)
    refused = app.post("/webhooks/hangup", json={**delivery["payload"], "status": "hung-up"})  # not the spec's
    assert refused.status_code == 400 and refused.json()["error"].startswith("/status")
