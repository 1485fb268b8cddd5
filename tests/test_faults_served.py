"""Injected faults through real sockets, against a served simulator: the client-side errors are those of a
real outage, a delay holds one connection and no other, and pipelined answers keep their order."""

import asyncio
import socket
import time

import httpx
import pytest
from tryvox_call_actions_client import AuthenticatedClient
from tryvox_call_actions_client.api.call_actions import send_dtmf, transfer_call
from tryvox_call_actions_client.models import DtmfRequest, Problem, TransferRequest

from tryvox_sim.testing import served
from tryvox_sim.testing.control_client import ControlClient


@pytest.fixture(scope="module")
def sim():
    with served("--self-check", "--seed", "3") as env:
        with ControlClient(env["TVX_BASE_URL"]) as control:
            yield env, control


@pytest.fixture
def control(sim):
    env, control = sim
    control.reset_world()
    return control


@pytest.fixture
def client(sim):
    env, _ = sim
    # No retries: these tests look at each answer the simulator gives (tests/test_client_behaviour.py the retries).
    with AuthenticatedClient(
        base_url=env["TVX_BASE_URL"], token=env["TVX_API_TOKEN"], timeout=10, max_retries=0
    ) as api:
        yield api


def dtmf(env, client, digits="1", call_uuid=None):
    body = DtmfRequest(digits=digits)
    return send_dtmf.sync_detailed(env["TVX_AUTH_ID"], call_uuid or env["TVX_CALL_UUID"], client=client, body=body)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("reset", httpx.ReadError), ("close", httpx.RemoteProtocolError), ("truncate", httpx.RemoteProtocolError)],
)
def test_a_broken_connection_fails_the_client_as_an_outage_would(sim, control, client, kind, error):
    env, _ = sim
    control.create_fault("sendDtmf", fault=kind)
    with pytest.raises(httpx.TransportError) as raised:  # the client's APIConnectionError, caused by httpx's error
        dtmf(env, client)
    assert type(raised.value.__cause__) is error and raised.value.request_sent is True
    assert dtmf(env, client).status_code == 202  # the client reconnects; the fault was used up
    [broken, ok] = control.list_requests(operation="sendDtmf")
    assert broken["fault"]["fault"] == kind and ok["status"] == 202
    assert broken["status"] == (202 if kind == "truncate" else None)  # a truncated answer had its status line


def test_the_in_process_transport_raises_the_same_errors(sim, control, client):
    from tryvox_sim.testing import simulated_api

    env, _ = sim
    for kind in ("reset", "close", "truncate"):
        control.create_fault("sendDtmf", fault=kind)
        with pytest.raises(httpx.TransportError) as served_error:
            dtmf(env, client)
        with simulated_api() as local:
            local.inject("sendDtmf", fault=kind)
            with pytest.raises(httpx.TransportError) as local_error:
                send_dtmf.sync_detailed(
                    local.auth_id, local.call_uuid, client=local.client, body=DtmfRequest(digits="1")
                )
        assert type(local_error.value.__cause__) is type(served_error.value.__cause__), kind


def test_an_injected_status_parses_as_a_typed_problem(sim, control, client):
    env, _ = sim
    control.create_fault("transferCall", status=429)
    body = TransferRequest(to="+15005550001")
    response = transfer_call.sync_detailed(env["TVX_AUTH_ID"], env["TVX_CALL_UUID"], client=client, body=body)
    assert isinstance(response.parsed, Problem) and response.parsed.code == "rate_limited"
    assert response.headers["retry-after"] == "1"
    assert control.get_call(env["TVX_CALL_UUID"])["status"] == "in-progress"  # no state changed


def test_times_probability_and_scope_hold_when_served(sim, control, client):
    env, _ = sim
    other = control.create_call(auth_id=env["TVX_AUTH_ID"])["call_uuid"]
    control.create_fault("sendDtmf", status=409, call_uuid=env["TVX_CALL_UUID"], times=2)
    assert [dtmf(env, client).status_code for _ in range(3)] == [409, 409, 202]
    assert dtmf(env, client, call_uuid=other).status_code == 202
    control.create_fault("sendDtmf", status=404, probability=0.5, times=0)
    statuses = [dtmf(env, client).status_code for _ in range(30)]
    assert 0 < statuses.count(404) < 30 and set(statuses) == {202, 404}


def test_a_delayed_answer_holds_its_connection_and_no_other(sim, control):
    env, _ = sim
    control.create_fault("sendDtmf", call_uuid=env["TVX_CALL_UUID"], delay_ms=1500)
    other = control.create_call(auth_id=env["TVX_AUTH_ID"])["call_uuid"]
    url = f"{env['TVX_BASE_URL']}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{{}}/dtmf"
    headers = {"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}

    async def timed(http, call):
        began = time.perf_counter()
        response = await http.post(url.format(call), json={"digits": "1"}, headers=headers)
        return response.status_code, time.perf_counter() - began

    async def arrived(http, call):
        """Once the simulator holds the request on `call` (its journal records a request as it handles it)."""
        journal, deadline = f"{env['TVX_BASE_URL']}/_sim/requests", time.monotonic() + 10
        while not (await http.get(journal, params={"call_uuid": call})).json()["requests"]:
            assert time.monotonic() < deadline, "the delayed request did not reach the simulator within 10 s"
            await asyncio.sleep(0.01)

    async def both():
        async with httpx.AsyncClient(timeout=10) as slow, httpx.AsyncClient(timeout=10) as fast:
            delayed = asyncio.create_task(timed(slow, env["TVX_CALL_UUID"]))
            await arrived(fast, env["TVX_CALL_UUID"])
            quick = await timed(fast, other)
            held = not delayed.done()
            return await delayed, quick, held

    (slow_status, slow_s), (fast_status, fast_s), held = asyncio.run(both())
    assert (slow_status, fast_status) == (202, 202)
    assert slow_s >= 1.5, slow_s
    assert held, f"the other connection was answered only after the delayed one ({fast_s:.2f} s)"


def test_pipelined_answers_stay_in_order_behind_a_delay(sim, control):
    env, _ = sim
    control.create_fault("sendDtmf", delay_ms=300)
    host, port = env["TVX_BASE_URL"].removeprefix("http://").rsplit(":", 1)
    path = f"/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{env['TVX_CALL_UUID']}/dtmf"

    def request(digits: str) -> bytes:
        body = b'{"digits": "%s"}' % digits.encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer {env['TVX_API_TOKEN']}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
        return head.encode() + body

    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request("1") + request("22") + request("333"))
        received = b""
        while received.count(b"HTTP/1.1 202") < 3:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert received.index(b'"digits":"1"') < received.index(b'"digits":"22"') < received.index(b'"digits":"333"')
