"""Injected faults, Prism's `Prefer` header and the request journal, in-process (tests/test_server.py has the
same faults over real sockets). Self-check is on throughout: documented answers are held to the spec."""

import tracemalloc

import httpx
import pytest
from tryvox_call_actions_client.api.call_actions import send_dtmf, start_recording, transfer_call
from tryvox_call_actions_client.models import DtmfRequest, Problem, RecordRequest, TransferRequest

from tryvox_sim.testing import simulated_api
from tryvox_sim.testing.control_client import ControlPlaneError

OTHER_CALL = "750e8400-e29b-41d4-a716-446655440000"


@pytest.fixture
def sim():
    with simulated_api() as s:
        yield s


def auth(sim) -> dict:
    return {"Authorization": f"Bearer {sim.token}"}


def dtmf(sim, digits="1", call_uuid=None, headers=None, **kw):
    headers = {**auth(sim), **(headers or {})}
    return sim.http.post(sim.path("dtmf", call_uuid), json={"digits": digits}, headers=headers, **kw)


# -- defining faults


def test_a_fault_is_created_listed_and_removed(sim):
    fault = sim.control.create_fault("sendDtmf", status=429)
    assert fault == {"id": fault["id"], "operation": "sendDtmf", "status": 429, "delay_ms": 0, "times": 1,
                     "probability": 1.0, "applied": 0}  # fmt: skip
    other = sim.control.create_fault("*", delay_ms=10, times=0)
    assert [f["id"] for f in sim.control.list_faults()] == [fault["id"], other["id"]]
    assert sim.control.delete_fault(fault["id"])["id"] == fault["id"]
    with pytest.raises(ControlPlaneError, match="404.*fault_not_found"):
        sim.control.delete_fault(fault["id"])
    assert sim.control.clear_faults() == {"removed": 1} and sim.control.list_faults() == []


@pytest.mark.parametrize(
    ("definition", "pointer"),
    [
        ({"operation": "holdCall"}, "/operation"),
        ({}, "/operation"),
        ({"operation": "sendDtmf", "status": 418}, "/status"),  # not documented for sendDtmf
        ({"operation": "stopRecording", "status": 422}, "/status"),  # stopRecording takes no body
        ({"operation": "*", "status": 415}, "/status"),  # not documented for every operation
        ({"operation": "sendDtmf", "status": 200}, "/status"),
        ({"operation": "sendDtmf", "status": 409, "example": "nope"}, "/example"),
        ({"operation": "sendDtmf", "example": "rate_limited"}, "/example"),
        ({"operation": "sendDtmf", "status": 502, "example": "x"}, "/example"),
        ({"operation": "sendDtmf", "delay_ms": 60001}, "/delay_ms"),
        ({"operation": "sendDtmf", "probability": 1.5}, "/probability"),
        ({"operation": "sendDtmf", "fault": "explode"}, "/fault"),
        ({"operation": "sendDtmf", "times": -1}, "/times"),
        ({"operation": "sendDtmf", "call_uuid": "not-a-uuid"}, "/call_uuid"),
        ({"operation": "sendDtmf", "colour": "red"}, "/colour"),
        ({"operation": "sendDtmf", "after": "action"}, "/after"),  # neither a connection fault nor a delay
        ({"operation": "sendDtmf", "after": "action", "delay_ms": 0}, "/after"),
        ({"operation": "sendDtmf", "after": "action", "status": 429, "delay_ms": 10}, "/after"),  # a status replaces
        ({"operation": "sendDtmf", "after": "request", "fault": "reset"}, "/after"),
    ],
)
def test_a_bad_fault_definition_is_422_naming_the_field(sim, definition, pointer):
    response = sim.http.post("/_sim/faults", json=definition)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]], response.text
    assert sim.control.list_faults() == []


# -- what a fault does


def test_an_injected_status_is_the_documented_example_with_its_headers_and_changes_nothing(sim):
    sim.inject("transferCall", status=429)
    body, once = TransferRequest(to="+15005550001"), sim.client_for(sim.token, max_retries=0)  # see each answer
    response = transfer_call.sync_detailed(sim.auth_id, sim.call_uuid, client=once, body=body)
    assert response.status_code == 429 and isinstance(response.parsed, Problem)
    assert (response.parsed.code, response.parsed.status) == ("rate_limited", 429)
    assert response.headers["Retry-After"] == "1" and response.headers["tvx-sim-fault"] == "f1"
    assert sim.call()["status"] == "in-progress" and sim.call()["transfer"] is None  # nothing happened
    retried = transfer_call.sync_detailed(sim.auth_id, sim.call_uuid, client=once, body=body)
    assert retried.status_code == 202  # times defaults to 1


def test_an_injected_401_carries_its_challenge_and_a_chosen_example(sim):
    sim.inject("startRecording", status=409, example="recording_already_running")
    conflict = start_recording.sync(sim.auth_id, sim.call_uuid, client=sim.client, body=RecordRequest())
    assert isinstance(conflict, Problem) and conflict.code == "recording_already_running"
    assert sim.call()["recordings"] == []  # no recording was started
    sim.inject("sendDtmf", status=401)
    response = dtmf(sim)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


SERVER_ERRORS = [(500, "internal_error"), (502, "bad_gateway"), (503, "service_unavailable"), (504, "gateway_timeout")]


@pytest.mark.parametrize(("status", "code"), SERVER_ERRORS)
def test_server_errors_can_be_injected_outside_the_contract(sim, status, code):
    sim.inject("sendDtmf", status=status)
    response = dtmf(sim)  # self-check is on and raises in-process: it leaves these alone
    assert response.status_code == status and response.json()["code"] == code
    assert ("Retry-After" in response.headers) == (status == 503)


def test_times_and_until_removed(sim):
    sim.inject("sendDtmf", status=409, times=3)
    assert [dtmf(sim).status_code for _ in range(4)] == [409, 409, 409, 202]
    with sim.inject("sendDtmf", status=404, times=0) as fault:
        assert [dtmf(sim).status_code for _ in range(5)] == [404] * 5
        assert sim.faults[0]["applied"] == 5
    assert sim.faults == [] and dtmf(sim).status_code == 202
    fault.remove()  # already gone: nothing to do


def test_probability_repeats_under_a_seed():
    def pattern(seed):
        with simulated_api(seed=seed) as sim:
            sim.inject("sendDtmf", status=429, probability=0.5, times=0)
            return [dtmf(sim).status_code for _ in range(40)]

    first = pattern(7)
    assert first == pattern(7) and 5 < first.count(429) < 35
    with simulated_api() as sim:
        sim.inject("sendDtmf", status=429, probability=0, times=0)
        assert {dtmf(sim).status_code for _ in range(20)} == {202}


def test_scoping_leaves_other_calls_and_accounts_alone(sim):
    other = sim.new_call()
    sim.inject("*", status=409, call_uuid=sim.call_uuid.upper(), times=0)
    assert dtmf(sim).status_code == 409
    assert dtmf(sim, call_uuid=other).status_code == 202
    sim.control.clear_faults()
    theirs = sim.new_call(auth_id="other_account")
    sim.inject("*", status=403, auth_id="other_account", times=0)
    assert dtmf(sim).status_code == 202
    other_client = sim.client_for("tvx_sk_test_other_000000000000000")
    response = send_dtmf.sync_detailed("other_account", theirs, client=other_client, body=DtmfRequest(digits="1"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        ("reset", httpx.ReadError, "Connection reset by peer"),
        ("close", httpx.RemoteProtocolError, "without sending a response"),
        ("truncate", httpx.RemoteProtocolError, "without sending complete message body"),
    ],
)
def test_broken_connections_raise_what_a_socket_would(sim, kind, error, message):
    sim.inject("sendDtmf", fault=kind)
    with pytest.raises(httpx.TransportError) as raised:  # the client's APIConnectionError, caused by httpx's error
        send_dtmf.sync_detailed(sim.auth_id, sim.call_uuid, client=sim.client, body=DtmfRequest(digits="1"))
    assert type(raised.value.__cause__) is error and message in str(raised.value.__cause__)
    assert [e["type"] for e in sim.events() if e["type"].startswith("dtmf")] == []  # it never reached the call


def test_a_delay_longer_than_the_read_timeout_times_out_at_once_and_moves_no_clock(sim):
    before = sim.clock.now()
    sim.inject("sendDtmf", delay_ms=5000)
    with pytest.raises(httpx.ReadTimeout):
        dtmf(sim, timeout=1.0)
    assert sim.clock.now() == before
    sim.inject("sendDtmf", delay_ms=500)
    assert dtmf(sim, timeout=1.0).status_code == 202  # a delay alone: the real answer, late


# -- Prefer (Prism's header)


def test_prefer_code_and_example_answer_a_documented_response_and_change_nothing(sim):
    response = sim.http.post(sim.path("record"), headers={**auth(sim), "Prefer": "code=409"})
    assert response.status_code == 409 and response.json()["code"] == "call_not_in_progress"
    assert response.headers["Preference-Applied"] == "code=409"
    response = sim.http.post(sim.path("record"), headers={**auth(sim), "Prefer": "example=recording_already_running"})
    assert response.status_code == 409 and response.json()["code"] == "recording_already_running"
    both = 'code=409, example="recording_already_running"'
    assert sim.http.post(sim.path("record"), headers={**auth(sim), "Prefer": both}).json()["code"] == (
        "recording_already_running"
    )
    ok = sim.http.post(sim.path("record"), headers={"Prefer": "code=202"})  # no token needed for a canned answer
    assert ok.status_code == 202 and ok.json()["recording_uuid"] == "950e8400-e29b-41d4-a716-446655440000"
    assert sim.call()["recordings"] == []
    assert sim.http.post(sim.path("record"), headers={**auth(sim), "Prefer": "respond-async"}).status_code == 202


@pytest.mark.parametrize("prefer", ["code=418", "code=abc", "example=nope", "code=409, example=invalid_digits"])
def test_prefer_for_what_is_not_documented_is_a_400_listing_what_is(sim, prefer):
    response = dtmf(sim, headers={"Prefer": prefer})
    assert response.status_code == 400 and response.json()["code"] == "prefer_not_available"
    assert "Codes: 202, 400, 401" in response.json()["detail"] and "422 invalid_digits" in response.json()["detail"]


# -- the request journal


def test_the_journal_keeps_what_the_app_sent_and_never_the_token(sim):
    sim.inject("sendDtmf", status=429)
    dtmf(sim, "12")
    dtmf(sim, "34")
    sim.http.post("/v1/voice/accounts/sim_account/calls/nope", headers={**auth(sim), "Cookie": "s=1"})
    sim.control.create_call()  # the control plane is not journaled
    first, second, stray = sim.requests()
    assert (first["operation"], first["status"], first["body"]) == ("sendDtmf", 429, {"digits": "12"})
    assert first["fault"] == {"id": "f1", "status": 429, "delay_ms": 0, "fault": None, "after": None}
    assert (second["status"], second["response"]["digits"], second["fault"]) == (202, "34", None)
    assert (second["auth_id"], second["call_uuid"], second["method"]) == (sim.auth_id, sim.call_uuid, "POST")
    assert second["headers"]["content-type"] == "application/json" and second["seq"] == first["seq"] + 1
    assert stray["operation"] is None and stray["status"] == 404
    everything = repr(sim.requests())
    assert sim.token not in everything and "authorization" not in everything.lower() and "s=1" not in everything


def test_the_journal_filters_and_limits(sim):
    other = sim.new_call()
    for call in (sim.call_uuid, other, sim.call_uuid):
        dtmf(sim, call_uuid=call)
    sim.http.delete(sim.path("record"), headers=auth(sim))
    assert len(sim.requests(operation="sendDtmf")) == 3
    assert [r["call_uuid"] for r in sim.requests(call_uuid=other)] == [other]
    assert [r["operation"] for r in sim.requests(status=409)] == ["stopRecording"]
    assert [r["seq"] for r in sim.requests(limit=2)] == [3, 4]
    assert sim.control.clear_requests() == {"removed": 4} and sim.requests() == []


def test_the_journal_is_a_bounded_ring_and_can_be_off():
    with simulated_api(journal_size=3) as sim:
        for digits in "12345":
            dtmf(sim, digits)
        assert [(r["seq"], r["body"]["digits"]) for r in sim.requests()] == [(3, "3"), (4, "4"), (5, "5")]
        assert sim.http.get("/_sim/requests").json()["dropped"] == 2
    with simulated_api(journal_size=0) as sim:
        dtmf(sim)
        assert sim.requests() == [] and sim.http.get("/_sim/requests").json()["size"] == 0


def test_a_journal_entry_keeps_the_answer_right_sized():
    """orjson's bytes hold a 4 KiB buffer each: kept as they are, a DTMF request's entry would take over 5 KiB."""

    def held_after(journal_size: int, requests: int = 1000) -> int:
        with simulated_api(journal_size=journal_size) as sim:
            for i in range(50):
                dtmf(sim, str(i % 10))
            tracemalloc.start()
            try:
                for i in range(requests):
                    dtmf(sim, str(i % 10))
                return tracemalloc.get_traced_memory()[0]
            finally:
                tracemalloc.stop()

    assert 300 < (held_after(1000) - held_after(0)) / 1000 < 2048


def test_the_journal_reproduces_a_scenario_exactly(sim):
    sent = [("POST", "record", {"format": "wav"}), ("POST", "dtmf", {"digits": "9"}), ("DELETE", "record", None),
            ("POST", "speak", {"text": "Bye"})]  # fmt: skip
    for method, action, body in sent:
        sim.http.request(method, sim.path(action), json=body, headers=auth(sim))
    assert [(r["method"], r["path"].rsplit("/", 1)[1], r["body"]) for r in sim.requests()] == sent


def test_a_reset_clears_faults_and_the_journal(sim):
    sim.inject("*", status=404, times=0)
    dtmf(sim)
    sim.control.reset_world()
    assert sim.faults == [] and sim.requests() == [] and dtmf(sim).status_code == 202
