"""The client's errors and retry decisions, beside the scenarios of test_client_behaviour.py: the classes against
the spec's documented statuses (both ways), every documented error answer of every operation as its class, and
the pieces (Retry-After, backoff, the User-Agent, the timeout) on their own."""

from __future__ import annotations

import email.utils
import importlib
import json
import time
from pathlib import Path

import httpx
import pytest
import yaml
from tryvox_call_actions_client import AuthenticatedClient, Client, errors
from tryvox_call_actions_client._retries import RetryPolicy, backoff, retry_after
from tryvox_call_actions_client.api.call_actions import send_dtmf, stop_recording
from tryvox_call_actions_client.models import DtmfRequest, Problem

from tryvox_sim.testing import simulated_api
from tryvox_sim.wire.inprocess import InProcessTransport

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
BEHAVIOUR = json.loads((ROOT / "tests" / "client_behaviour.json").read_text())
OPERATIONS = [op for item in SPEC["paths"].values() for method, op in item.items() if method in ("post", "delete")]
DOCUMENTED = sorted({(op["operationId"], int(status)) for op in OPERATIONS for status in op["responses"]})


def test_one_class_per_documented_error_status_both_ways() -> None:
    documented = {status for _, status in DOCUMENTED if status >= 400}
    assert set(errors.STATUS_ERRORS) == documented
    assert {str(status): cls.__name__ for status, cls in errors.STATUS_ERRORS.items()} == BEHAVIOUR["status_errors"]
    for cls in errors.STATUS_ERRORS.values():
        assert issubclass(cls, errors.APIStatusError) and issubclass(cls, errors.APIError)


@pytest.mark.parametrize(("operation", "status"), [(o, s) for o, s in DOCUMENTED if s >= 400])
def test_every_documented_error_answer_raises_its_class(operation: str, status: int) -> None:
    module = importlib.import_module(f"tryvox_call_actions_client.api.call_actions.{_snake(operation)}")
    with simulated_api() as sim:
        sim.inject(operation, status=status, times=0)  # every try, so retries end in the error too
        client = sim.client_for(sim.token, raise_on_error=True)
        kwargs = {"body": _body(operation)} if operation != "stopRecording" else {}
        with pytest.raises(errors.STATUS_ERRORS[status]) as raised:
            module.sync(sim.auth_id, sim.call_uuid, client=client, **kwargs)
        error = raised.value
        assert error.status == status == error.response.status_code
        assert isinstance(error.problem, Problem) and error.problem.status == status
        assert error.code == error.problem.code
        assert error.code in str(error)
        tries = 1 + (2 if status == 429 else 0)  # only a 429 is sent again
        assert len(sim.requests(operation=operation)) == tries


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _body(operation: str):
    from tryvox_call_actions_client import models

    return {
        "transferCall": lambda: models.TransferRequest(to="+14155559999"),
        "startRecording": lambda: models.RecordRequest(),
        "playAudio": lambda: models.PlayRequest(url="https://example.com/a.mp3"),
        "speakText": lambda: models.SpeakRequest(text="Hello"),
        "sendDtmf": lambda: models.DtmfRequest(digits="1"),
    }[operation]()


def test_a_validation_error_lists_its_fields() -> None:
    with simulated_api() as sim:
        client = sim.client_for(sim.token, raise_on_error=True)
        with pytest.raises(errors.UnprocessableEntityError) as raised:
            send_dtmf.sync(sim.auth_id, sim.call_uuid, client=client, body=DtmfRequest(digits="12a"))
    assert raised.value.code == "validation_failed"
    assert [field.pointer for field in raised.value.errors] == ["/digits"]


def test_a_state_conflict_from_the_simulator_is_a_conflict_error() -> None:
    with simulated_api() as sim:
        client = sim.client_for(sim.token, raise_on_error=True)
        with pytest.raises(errors.ConflictError) as raised:
            stop_recording.sync(sim.auth_id, sim.call_uuid, client=client)
        assert raised.value.code == "no_active_recording"
        assert stop_recording.sync(sim.auth_id, sim.call_uuid, client=sim.client).code == "no_active_recording"


def mock_client(handler, **options) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url="https://api.tryvox.io", token="tvx_sk_test_x", httpx_args={"transport": httpx.MockTransport(handler)},
        **options,
    )  # fmt: skip


def test_an_error_answer_that_is_not_a_problem_still_raises_by_status() -> None:
    client = mock_client(lambda request: httpx.Response(502, text="<html>Bad gateway</html>"), raise_on_error=True)
    with pytest.raises(errors.APIStatusError) as raised:
        send_dtmf.sync("a", "650e8400-e29b-41d4-a716-446655440000", client=client, body=DtmfRequest(digits="1"))
    assert type(raised.value) is errors.APIStatusError
    assert (raised.value.status, raised.value.code, raised.value.problem) == (502, None, None)


def test_network_errors_are_still_httpx_errors_for_code_written_before_them() -> None:
    assert issubclass(errors.APIConnectionError, httpx.TransportError)
    assert issubclass(errors.APITimeoutError, httpx.TimeoutException)
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    with simulated_api() as sim:
        sim.inject("sendDtmf", delay_ms=5000)
        client = sim.client_for(sim.token).with_timeout(httpx.Timeout(1.0))
        with pytest.raises(httpx.TimeoutException) as raised:  # in-process: the delay outlasts the timeout at once
            send_dtmf.sync(sim.auth_id, sim.call_uuid, client=client, body=DtmfRequest(digits="1"))
        assert isinstance(raised.value, errors.APITimeoutError) and raised.value.request_sent is True
        assert raised.value.request.url.path.endswith("/dtmf")


RETRY_AFTER = BEHAVIOUR["retry_after"]


@pytest.mark.parametrize("case", RETRY_AFTER["cases"], ids=lambda case: repr(case["value"]))
def test_retry_after_the_cases_both_clients_share(case: dict) -> None:
    headers = httpx.Headers({} if case["value"] is None else {"Retry-After": case["value"]})
    assert retry_after(headers, now=RETRY_AFTER["now"]) == case["seconds"]


def test_retry_after_as_an_http_date() -> None:
    before = time.time()
    when = email.utils.formatdate(before + 30, usegmt=True)  # whole seconds: int(before) + 30
    seconds = retry_after(httpx.Headers({"Retry-After": when}))
    assert int(before) + 30 - time.time() <= seconds <= 30  # however long a busy machine took to get here


def test_the_policy_alone() -> None:
    policy = RetryPolicy(max_retries=2, max_retry_after=60)
    limited = httpx.Response(429, headers={"Retry-After": "7"})
    assert policy.after_answer(limited, 0) == (7, "429 with Retry-After 7 s")
    assert policy.after_answer(limited, 2) == (None, "429 after 2 of 2 retries")
    too_long = policy.after_answer(httpx.Response(429, headers={"Retry-After": "61"}), 0)
    assert too_long == (None, "429 with Retry-After 61 s, longer than the 60 s waited")
    wait, why = policy.after_answer(httpx.Response(429), 0)  # no Retry-After: backoff
    assert wait is not None and 0.375 <= wait <= 0.5 and why == "429 without a usable Retry-After: the backoff"
    for status in (200, 202, 408, 409, 500, 503):
        assert policy.after_answer(httpx.Response(status, headers={"Retry-After": "1"}), 0) == (None, "")
    for error in (httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")):
        assert policy.after_failure(error, 0).wait is not None and policy.after_failure(error, 2).wait is None
    assert (
        policy.after_failure(httpx.ConnectError("refused"), 2).why
        == "ConnectError, no connection, after 2 of 2 retries"
    )
    sent = [httpx.ReadError("reset"), httpx.RemoteProtocolError("closed"), httpx.ReadTimeout("slow"),
            httpx.WriteError("broken"), httpx.WriteTimeout("slow")]  # fmt: skip
    for error in [*sent, httpx.UnsupportedProtocol("ftp")]:  # written already, or would fail the same way again
        assert policy.after_failure(error, 0).wait is None, error
    assert "the action may have been carried out" in policy.after_failure(httpx.ReadError("reset"), 0).why
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1, max_retry_after=60)


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        waits = [backoff(attempt) for _ in range(200)]
        assert all(0.75 * ceiling <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered


def test_user_agent_names_the_client_python_and_httpx() -> None:
    seen = []
    client = mock_client(lambda request: seen.append(request.headers["User-Agent"]) or httpx.Response(500))
    send_dtmf.sync_detailed("a", "650e8400-e29b-41d4-a716-446655440000", client=client, body=DtmfRequest(digits="1"))
    version = yaml.safe_load((ROOT / "openapi" / "client-config.yaml").read_text())["package_version_override"]
    python, http = ".".join(map(str, __import__("sys").version_info[:2])), ".".join(httpx.__version__.split(".")[:2])
    assert seen == [f"tryvox-call-actions-client/{version} python/{python} httpx/{http}"]
    mine = mock_client(lambda r: seen.append(r.headers["User-Agent"]) or httpx.Response(500),
                       headers={"user-agent": "my-app/2"})  # fmt: skip
    send_dtmf.sync_detailed("a", "650e8400-e29b-41d4-a716-446655440000", client=mine, body=DtmfRequest(digits="1"))
    assert seen[-1] == "my-app/2"


def test_timeouts_finite_by_default_none_when_asked() -> None:
    for cls in (Client, AuthenticatedClient):
        kwargs = {"token": "t"} if cls is AuthenticatedClient else {}
        assert cls(base_url="http://x", **kwargs).get_httpx_client().timeout == httpx.Timeout(30.0, connect=5.0)
        assert cls(base_url="http://x", timeout=None, **kwargs).get_httpx_client().timeout == httpx.Timeout(None)


def test_with_max_retries_leaves_the_client_in_use_as_it_was() -> None:
    with simulated_api() as sim:
        client = sim.client_for(sim.token)
        send_dtmf.sync(
            sim.auth_id, sim.call_uuid, client=client, body=DtmfRequest(digits="1")
        )  # the httpx client exists
        sim.inject("sendDtmf", status=429, times=0)
        fewer = client.with_max_retries(0)
        assert fewer.max_retries == 0 and client.max_retries == 2
        assert send_dtmf.sync(sim.auth_id, sim.call_uuid, client=fewer, body=DtmfRequest(digits="1")).status == 429
        assert send_dtmf.sync(sim.auth_id, sim.call_uuid, client=client, body=DtmfRequest(digits="1")).status == 429
        assert [e["status"] for e in sim.requests(operation="sendDtmf")] == [202, 429, 429, 429, 429]


def test_a_plain_client_retries_too() -> None:
    with simulated_api() as sim:
        sim.inject("sendDtmf", status=429)
        waits: list[float] = []
        client = Client(base_url="http://tryvox.test", httpx_args={"transport": InProcessTransport(sim.app.respond)},
                        headers={"Authorization": f"Bearer {sim.token}"}, sleep=waits.append)  # fmt: skip
        response = client.get_httpx_client().post(sim.path("dtmf"), json={"digits": "1"})
        assert response.status_code == 202 and waits == [1.0]
