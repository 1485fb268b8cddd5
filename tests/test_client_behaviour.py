"""The Python client against the shared scenario list (tests/client_behaviour.json), counted by the simulator.

Every retry scenario runs eight ways: through the functional API and the resource client (TryvoxClient,
AsyncTryvoxClient), blocking and asyncio, against a served simulator and in-process. Each gets a
call of its own, its faults scoped to that call, and a client whose waits are recorded and move the simulator's
clock (served with --manual-clock), so the rate-limit window really passes and no test sleeps. What the client
sent is read back from the simulator's request journal, not from the client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tryvox_call_actions_client import AsyncTryvoxClient, AuthenticatedClient, TryvoxClient, errors
from tryvox_call_actions_client.api.call_actions import send_dtmf
from tryvox_call_actions_client.models import DtmfRequest, DtmfResponse, Problem

from tryvox_sim.testing import BASE_URL, served, simulated_api
from tryvox_sim.testing.control_client import ControlClient

ROOT = Path(__file__).resolve().parents[1]
BEHAVIOUR = json.loads((ROOT / "tests" / "client_behaviour.json").read_text())
SCENARIOS = {scenario["name"]: scenario for scenario in BEHAVIOUR["retries"]}
BACKOFF = BEHAVIOUR["defaults"]["backoff"]
_accounts = itertools.count(1)


@dataclass
class Simulator:
    """What a scenario needs of a simulator, served or in-process."""

    base_url: str
    auth_id: str
    token: str
    control: ControlClient
    httpx_args: dict[str, Any]
    advance: Callable[[float], Any]


@pytest.fixture(scope="module")
def served_simulator() -> Iterator[Simulator]:
    with served("--manual-clock") as found, ControlClient(found["TVX_BASE_URL"]) as control:
        yield Simulator(
            found["TVX_BASE_URL"], found["TVX_AUTH_ID"], found["TVX_API_TOKEN"], control, {}, control.advance_clock
        )


@pytest.fixture
def in_process_simulator() -> Iterator[Simulator]:
    with simulated_api() as sim:
        yield Simulator(BASE_URL, sim.auth_id, sim.token, sim.control, {"transport": sim.transport}, sim.clock.advance)


def run(simulator: Simulator, scenario: dict[str, Any], asynchronous: bool, refused_url: str, form: str) -> None:
    """One scenario through one form: the functional API (`send_dtmf.sync(..., client=AuthenticatedClient)`) or the
    resource client (`TryvoxClient().calls.send_dtmf(...)`, which always raises: a returned problem is its error)."""
    auth_id, token = simulator.auth_id, simulator.token
    if "account_rate_limit" in scenario:  # an account of its own, limited by the simulator itself
        auth_id = f"client_behaviour_{next(_accounts)}"
        token = simulator.control.create_account(auth_id=auth_id, rate_limit=scenario["account_rate_limit"])["token"]
    call_uuid = simulator.control.create_call(auth_id=auth_id)["call_uuid"]
    for fault in scenario.get("faults", []):
        simulator.control.create_fault("sendDtmf", call_uuid=call_uuid, **fault)

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        simulator.advance(seconds)

    options = {"raise_on_error": True, **scenario.get("client", {})}
    unreachable = scenario.get("unreachable", False)
    base_url, httpx_args = (refused_url, {}) if unreachable else (simulator.base_url, simulator.httpx_args)
    if form == "resource":
        del options["raise_on_error"]
        resource = (AsyncTryvoxClient if asynchronous else TryvoxClient)(
            token, base_url, auth_id, httpx_args=httpx_args, sleep=sleep, **options
        )
        send = resource_sender(resource, call_uuid, scenario.get("sends", 1))
    else:
        if "timeout" in options:
            options["timeout"] = httpx.Timeout(options["timeout"], connect=BEHAVIOUR["defaults"]["connect_timeout"])
        client = AuthenticatedClient(base_url=base_url, token=token, httpx_args=httpx_args, sleep=sleep, **options)
        send = functional_sender(client, auth_id, call_uuid, scenario.get("sends", 1), asynchronous)

    expect = dict(scenario["expect"])
    if form == "resource" and expect["outcome"] == "problem":  # what the functional API returns, raised
        expect.update(outcome="error", error=errors.STATUS_ERRORS[expect["status"]].__name__)
    if expect["outcome"] == "error":
        with pytest.raises(getattr(errors, expect["error"])) as raised:
            send()
        error = raised.value
        assert type(error) is getattr(errors, expect["error"])
        for name in ("request_sent", "retry_after", "status", "code"):
            if name in expect:
                assert getattr(error, name) == expect[name], name
        if isinstance(error, errors.APIStatusError):
            assert error.problem is not None and error.code == error.problem.code
    else:
        result = send()
        if expect["outcome"] == "ok":
            assert isinstance(result, DtmfResponse) and result.digits == "1#"
        else:
            assert isinstance(result, Problem) and (result.status, result.code) == (expect["status"], expect["code"])

    journal = simulator.control.list_requests(operation="sendDtmf", call_uuid=call_uuid)
    assert [entry["status"] for entry in journal] == expect["statuses"], "what the simulator received"
    if "carried_out" in expect:  # what the simulator did with each: an answer lost after the keys were pressed
        assert [entry["carried_out"] for entry in journal] == expect["carried_out"]
    if "actions_on_the_call" in expect:
        events = simulator.control.get_call_events(call_uuid)
        assert sum(event["type"] == "dtmf.started" for event in events) == expect["actions_on_the_call"], events
    assert len(waits) == len(expect["waits"]), waits
    for attempt, (waited, expected) in enumerate(zip(waits, expect["waits"], strict=True)):
        if expected == "backoff":
            ceiling = min(BACKOFF["initial"] * 2**attempt, BACKOFF["max"])
            assert ceiling * (1 - BACKOFF["jitter"]) <= waited <= ceiling, (attempt, waited)
        else:
            assert waited == expected


def functional_sender(
    client: AuthenticatedClient, auth_id: str, call_uuid: str, sends: int, asynchronous: bool
) -> Callable[[], DtmfResponse | Problem | None]:
    body = DtmfRequest(digits="1#")

    async def send_async() -> DtmfResponse | Problem | None:
        async with client:
            for _ in range(sends - 1):
                await send_dtmf.asyncio(auth_id, call_uuid, client=client, body=body)
            return await send_dtmf.asyncio(auth_id, call_uuid, client=client, body=body)

    def send() -> DtmfResponse | Problem | None:
        if asynchronous:
            return asyncio.run(send_async())
        with client:
            for _ in range(sends - 1):
                send_dtmf.sync(auth_id, call_uuid, client=client, body=body)
            return send_dtmf.sync(auth_id, call_uuid, client=client, body=body)

    return send


def resource_sender(
    resource: TryvoxClient | AsyncTryvoxClient, call_uuid: str, sends: int
) -> Callable[[], DtmfResponse]:
    async def send_async(client: AsyncTryvoxClient) -> DtmfResponse:
        async with client:
            for _ in range(sends - 1):
                await client.calls.send_dtmf(call_uuid, digits="1#")
            return await client.calls.send_dtmf(call_uuid, digits="1#")

    def send() -> DtmfResponse:
        if isinstance(resource, AsyncTryvoxClient):
            return asyncio.run(send_async(resource))
        with resource as client:
            for _ in range(sends - 1):
                client.calls.send_dtmf(call_uuid, digits="1#")
            return client.calls.send_dtmf(call_uuid, digits="1#")

    return send


FORMS = ["functional", "resource"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "asyncio"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_served(served_simulator: Simulator, name: str, asynchronous: bool, form: str, refused_url: str) -> None:
    run(served_simulator, SCENARIOS[name], asynchronous, refused_url, form)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "asyncio"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_in_process(
    in_process_simulator: Simulator, name: str, asynchronous: bool, form: str, refused_url: str
) -> None:
    run(in_process_simulator, SCENARIOS[name], asynchronous, refused_url, form)


def test_every_rule_of_the_policy_table_has_a_scenario_and_every_scenario_a_rule() -> None:
    section = (ROOT / "docs" / "guides" / "retries.md").read_text()  # the page "Retries and timeouts"
    table = section[section.index("| rule |") : section.index("\n\n", section.index("| rule |"))]
    rules = {re.split(r"\s*\|\s*", row)[1].replace("`", "") for row in table.splitlines()[2:]}
    assert rules == {scenario["rule"] for scenario in SCENARIOS.values()}


def test_the_defaults_of_the_list_are_the_clients() -> None:
    defaults, client = BEHAVIOUR["defaults"], AuthenticatedClient(base_url="http://127.0.0.1", token="t")
    assert (client.max_retries, client.max_retry_after) == (defaults["max_retries"], defaults["max_retry_after"])
    timeout = client.get_httpx_client().timeout
    assert (timeout.read, timeout.write, timeout.pool) == (defaults["timeout"],) * 3
    assert timeout.connect == defaults["connect_timeout"]
    assert client.raise_on_error is False  # today's behaviour stays the default: a Problem comes back


def test_without_a_sleep_of_its_own_the_client_really_waits_retry_after(served_simulator: Simulator) -> None:
    call_uuid = served_simulator.control.create_call()["call_uuid"]
    served_simulator.control.create_fault("sendDtmf", call_uuid=call_uuid, status=429)
    client = AuthenticatedClient(base_url=served_simulator.base_url, token=served_simulator.token)
    started = time.monotonic()
    sent = send_dtmf.sync(served_simulator.auth_id, call_uuid, client=client, body=DtmfRequest(digits="1"))
    assert isinstance(sent, DtmfResponse) and time.monotonic() - started >= 1.0  # Retry-After: 1
