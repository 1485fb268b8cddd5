"""The control plane (/_sim/...) and the moto-style helpers, in-process."""

import pytest

from tryvox_sim.sim import control
from tryvox_sim.sim.seed import DEFAULT_TOKEN, OTHER_AUTH_ID
from tryvox_sim.testing import simulated_api

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


@pytest.fixture
def sim():
    with simulated_api() as s:
        yield s


def test_health_and_specs(sim):
    assert sim.http.get("/_sim/health").json() == {"status": "ok"}
    assert sim.http.get("/openapi.json").json()["openapi"] == "3.1.0"
    response = sim.http.get("/openapi.yaml")
    assert response.headers["content-type"] == "application/yaml" and b"operationId: transferCall" in response.content


def test_docs_serves_the_rendered_page(sim, monkeypatch, tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<html>Call Actions</html>")
    monkeypatch.setattr(control, "DOCS_HTML", page)
    response = sim.http.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.text == "<html>Call Actions</html>"


def test_docs_not_built_says_how_to_build_them(sim, monkeypatch, tmp_path):
    monkeypatch.setattr(control, "DOCS_HTML", tmp_path / "missing.html")
    response = sim.http.get("/docs")
    assert response.status_code == 404 and "make docs" in response.json()["detail"]


def test_seeded_state(sim):
    """The seeded values the README documents (the rest of the tests import them from tryvox_sim.sim.world)."""
    accounts = {a["auth_id"]: a for a in sim.http.get("/_sim/accounts").json()["accounts"]}
    assert accounts["sim_account"]["numbers"] == ["+14155551234", "+14155550100"]
    assert accounts["sim_account"]["token"] == "tvx_sk_test_sim_0000000000000000"
    assert accounts["other_account"]["numbers"] == ["+14155550199"]
    assert accounts["other_account"]["token"] == "tvx_sk_test_other_000000000000000"
    call = sim.call()
    assert (call["call_uuid"], call["status"], call["from"], call["to"]) == (
        "650e8400-e29b-41d4-a716-446655440000", "in-progress", "+14155550123", "+14155551234",
    )  # fmt: skip


def test_ringing_call_is_answered_then_hung_up(sim):
    uuid = sim.new_call(status="ringing", to="+14155550100")
    response = sim.http.post(sim.path("dtmf", uuid), json={"digits": "1"}, headers=AUTH)
    assert response.json()["code"] == "call_not_in_progress"
    assert sim.answer(uuid)["status"] == "in-progress"
    assert sim.http.post(f"/_sim/calls/{uuid}/answer").json()["code"] == "call_not_ringing"
    assert sim.hangup(uuid)["hangup_cause"] == "normal_hangup"
    assert sim.http.post(f"/_sim/calls/{uuid}/hangup").status_code == 409
    assert [e["type"] for e in sim.events(uuid)] == ["call.created", "call.answered", "call.completed"]


def test_an_ended_calls_views_stay_as_they_were_at_the_hang_up(sim):
    uuid = sim.new_call(hangup_url="https://example.com/hangup")
    assert sim.http.post(sim.path("record", uuid), json={"format": "wav"}, headers=AUTH).status_code == 202
    assert sim.http.post(sim.path("dtmf", uuid), json={"digits": "1"}, headers=AUTH).status_code == 202
    hung_up, events = sim.hangup(uuid), sim.events(uuid)
    later = sim.new_call()
    sim.control.advance_clock(60)  # the ended call is kept packed: only what these views show
    assert sim.http.get(f"/_sim/calls/{uuid}").json() == hung_up
    assert sim.events(uuid) == events
    assert [c["call_uuid"] for c in sim.control.list_calls()] == [sim.call_uuid, uuid, later]  # oldest first
    assert sim.http.post(sim.path("dtmf", uuid), json={"digits": "1"}, headers=AUTH).status_code == 409


def test_list_calls_filters(sim):
    ringing = sim.new_call(status="ringing")
    theirs = sim.new_call(auth_id=OTHER_AUTH_ID)
    calls = sim.http.get("/_sim/calls", params={"status": "ringing"}).json()["calls"]
    assert [c["call_uuid"] for c in calls] == [ringing]
    calls = sim.http.get("/_sim/calls", params={"auth_id": OTHER_AUTH_ID}).json()["calls"]
    assert [c["call_uuid"] for c in calls] == [theirs]
    response = sim.http.get("/_sim/calls", params={"status": "dancing"})
    assert response.status_code == 422 and "status" in response.json()["detail"]


def test_clock_reads_and_advances(sim):
    clock = sim.http.get("/_sim/clock").json()
    assert (clock["now"], clock["mode"]) == ("2025-01-01T00:00:00.000Z", "manual")
    advanced = sim.http.post("/_sim/clock/advance", json={"seconds": 90.5}).json()
    assert advanced["epoch"] == clock["epoch"] + 90.5
    for bad in (0, -1, 31 * 86400 + 1, "1"):
        response = sim.http.post("/_sim/clock/advance", json={"seconds": bad})
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/seconds"


def test_advancing_the_clock_fires_webhooks_without_a_request(sim):
    uuid = sim.new_call(hangup_url="https://example.com/hangup")
    sim.http.post(sim.path("transfer", uuid), json={"to": "+15005550001", "answer_url": "https://example.com/a"},
                  headers=AUTH)  # fmt: skip
    assert sim.webhooks == []
    sim.http.post("/_sim/clock/advance", json={"seconds": 1})
    hooks = sim.http.get("/_sim/webhooks").json()["webhooks"]
    assert [(h["event"], h["url"], h["status"]) for h in hooks] == [
        ("transferAnswered", "https://example.com/a", "recorded"),
        ("callHangup", "https://example.com/hangup", "recorded"),
    ]
    assert hooks[0]["payload"]["caller_id"] is None and hooks[1]["payload"]["hangup_cause"] == "transferred"


def test_caller_dtmf_input_interrupts_speech(sim):
    sim.http.post(sim.path("speak"), json={"text": "Press one"}, headers=AUTH)
    assert sim.call()["playback"]["kind"] == "speak"
    assert sim.press(sim.call_uuid, "1")["playback"] is None
    response = sim.http.post(f"/_sim/calls/{sim.call_uuid}/dtmf-input", json={"digits": "x"})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/digits"


def test_accounts_can_be_added_and_used(sim):
    created = sim.http.post("/_sim/accounts", json={"auth_id": "acme", "numbers": ["+14155550111"]})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("tvx_sk_test_")
    uuid = sim.new_call(auth_id="acme")
    body = {"to": "+15005550002", "caller_id": "+14155550111"}
    headers = {"Authorization": f"Bearer {token}"}
    response = sim.http.post(sim.path("transfer", uuid, "acme"), json=body, headers=headers)
    assert response.status_code == 202
    assert sim.http.post("/_sim/accounts", json={"auth_id": "acme"}).status_code == 409
    assert sim.http.post("/_sim/accounts", json={"auth_id": "bad id"}).status_code == 422


def test_an_account_can_have_its_own_rate_limit(sim):
    created = sim.http.post("/_sim/accounts", json={"auth_id": "slow", "rate_limit": "2/min"}).json()
    assert created["rate_limit"] == "2/min"
    headers = {"Authorization": f"Bearer {created['token']}"}
    call = sim.new_call(auth_id="slow")  # an account with no number gets calls too
    answers = [sim.http.post(sim.path("dtmf", call, "slow"), json={"digits": "1"}, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[0].headers["RateLimit-Limit"] == "2" and answers[2].headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers=AUTH).status_code == 202, "others unlimited"
    assert "ratelimit-limit" not in sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers=AUTH).headers
    sim.clock.advance(60)  # the next window
    assert sim.http.post(sim.path("dtmf", call, "slow"), json={"digits": "1"}, headers=headers).status_code == 202
    accounts = {a["auth_id"]: a["rate_limit"] for a in sim.http.get("/_sim/accounts").json()["accounts"]}
    assert accounts == {"sim_account": None, "other_account": None, "slow": "2/min"}


@pytest.mark.parametrize("rate", ["0/s", "2/hour", "2", "-1/s", "1000000/s"])
def test_a_rate_limit_out_of_its_schema_is_refused(sim, rate):
    response = sim.http.post("/_sim/accounts", json={"auth_id": "slow", "rate_limit": rate})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/rate_limit"


def test_reset_gives_fresh_seeded_state(sim):
    sim.new_call()
    sim.hangup()
    assert sim.http.post("/_sim/reset").json() == {"status": "reset"}
    assert [c["call_uuid"] for c in sim.http.get("/_sim/calls").json()["calls"]] == [sim.call_uuid]
    assert sim.call()["status"] == "in-progress" and sim.webhooks == []


@pytest.mark.parametrize("path", ["/_sim/calls/nope", "/_sim/calls/750e8400-e29b-41d4-a716-446655440000/events"])
def test_unknown_calls_are_404(sim, path):
    assert sim.http.get(path).json()["code"] == "call_not_found"


def test_control_bodies_are_validated_like_the_api(sim):
    assert sim.http.post("/_sim/calls", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert sim.http.post("/_sim/calls", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    errors = sim.http.post("/_sim/calls", json={"status": "completed", "colour": 1}).json()["errors"]
    assert {e["pointer"] for e in errors} == {"/status", "/colour"}
    assert sim.http.post("/_sim/calls", json={"auth_id": "nobody"}).json()["code"] == "account_not_found"
    assert sim.http.delete("/_sim/calls").headers["Allow"] == "GET, POST"


def test_pytest_plugin_fixture(tryvox_sim):
    assert tryvox_sim.call()["status"] == "in-progress"
    assert tryvox_sim.clock.mode == "manual"
