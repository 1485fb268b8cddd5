"""The resource clients, TryvoxClient and AsyncTryvoxClient (generated through openapi/templates/endpoint_init.py.jinja
and package_init.py.jinja, their settings in openapi/client_layer/_resource_client.py): settings from the environment,
each operation's success model or a typed error, the configured copy, closing; and what both forms of the client log.
The shared retry scenarios run through them in test_client_behaviour.py."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from uuid import UUID

import pytest
import yaml
from tryvox_call_actions_client import AsyncTryvoxClient, TryvoxClient, _facts, errors, models
from tryvox_call_actions_client.api.call_actions import AsyncCallActions, CallActions

from tryvox_sim.testing import BASE_URL, SimulatedAPI, served, simulated_api

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
VARIABLES = ("TVX_API_TOKEN", "TVX_BASE_URL", "TVX_AUTH_ID", "TVX_LOG")
OPERATIONS = ("transfer_call", "start_recording", "stop_recording", "play_audio", "speak_text", "send_dtmf")


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim() -> typing.Iterator[SimulatedAPI]:
    with simulated_api() as simulated:
        yield simulated


def client_for(sim: SimulatedAPI, **options: typing.Any) -> TryvoxClient:
    return TryvoxClient(sim.token, BASE_URL, sim.auth_id, httpx_args={"transport": sim.transport},
                        sleep=sim.clock.advance, **options)  # fmt: skip


def test_settings_come_from_the_environment_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TVX_API_TOKEN", "tvx_sk_test_from_env")
    monkeypatch.setenv("TVX_BASE_URL", "http://127.0.0.1:4010")
    monkeypatch.setenv("TVX_AUTH_ID", "env_account")
    client = TryvoxClient()
    assert (client.base_url, client.auth_id, client.http.token) == ("http://127.0.0.1:4010", "env_account",
                                                                    "tvx_sk_test_from_env")  # fmt: skip
    given = AsyncTryvoxClient("tvx_sk_test_given", "https://staging.example.com", "given_account")
    assert (given.base_url, given.auth_id, given.http.token) == ("https://staging.example.com", "given_account",
                                                                 "tvx_sk_test_given")  # fmt: skip


def test_production_is_the_default_and_the_token_is_required() -> None:
    client = TryvoxClient("tvx_sk_test_x")
    assert client.base_url == _facts.DEFAULT_BASE_URL == SPEC["servers"][0]["url"] == "https://api.tryvox.io"
    assert client.auth_id is None
    for cls in (TryvoxClient, AsyncTryvoxClient):
        for token in (None, ""):
            with pytest.raises(ValueError, match="TVX_API_TOKEN"):
                cls(token)


def test_the_token_is_in_no_repr() -> None:
    client = TryvoxClient("tvx_sk_test_secret_0001", auth_id="acct")
    assert "secret" not in repr(client) and "secret" not in repr(client.with_options(max_retries=0))
    assert repr(client) == "TryvoxClient(base_url='https://api.tryvox.io', auth_id='acct')"


def test_each_operation_returns_its_model_statically_and_at_run_time(sim: SimulatedAPI) -> None:
    for resource in (CallActions, AsyncCallActions):
        for name in OPERATIONS:
            hints = typing.get_type_hints(getattr(resource, name))
            assert inspect.isclass(hints["return"]) and hints["return"].__module__.startswith(models.__name__), name
            assert hints["call_uuid"] == str | UUID and hints["auth_id"] == str | None
    with client_for(sim) as client:
        started = client.calls.start_recording(sim.call_uuid, format_=models.RecordRequestFormat.WAV)
        played = client.calls.play_audio(UUID(sim.call_uuid), url="https://cdn.example.com/hold.mp3", loop=2)
        spoken = client.calls.speak_text(sim.call_uuid, text="Please hold.")
        pressed = client.calls.send_dtmf(sim.call_uuid, digits="1234#")
        sim.clock.advance(5)
        stopped = client.calls.stop_recording(sim.call_uuid)
        transfer = client.calls.transfer_call(sim.call_uuid, to="+15005550001", caller_id="+14155551234")
    assert isinstance(started, models.RecordingStartedResponse) and started.format_.value == "wav"
    assert isinstance(played, models.PlayResponse) and played.status == "playing"
    assert isinstance(spoken, models.SpeakResponse) and spoken.text == "Please hold."
    assert isinstance(pressed, models.DtmfResponse) and pressed.digits == "1234#"
    assert isinstance(stopped, models.RecordingStoppedResponse) and stopped.duration == 5
    assert isinstance(transfer, models.TransferResponse) and transfer.to == "+15005550001"
    sent = {entry["operation"]: entry["body"] for entry in sim.requests()}
    assert sent["playAudio"] == {"url": "https://cdn.example.com/hold.mp3", "loop": 2}
    assert sent["speakText"] == {"text": "Please hold.", "voice": "en-US-Standard-A", "language": "en-US",
                                 "engine": "neural"}  # fmt: skip


def test_keyword_arguments_are_the_request_schemas_fields_with_their_defaults_and_docs() -> None:
    schemas = SPEC["components"]["schemas"]
    for name, schema in [("start_recording", "RecordRequest"), ("speak_text", "SpeakRequest"),
                         ("play_audio", "PlayRequest"), ("transfer_call", "TransferRequest")]:  # fmt: skip
        parameters = inspect.signature(getattr(CallActions, name)).parameters
        fields = schemas[schema]["properties"]
        keywords = {p.name.rstrip("_"): p for p in parameters.values() if p.kind is p.KEYWORD_ONLY}
        assert set(keywords) == {*fields, "auth_id"}, name
        method_doc = " ".join((getattr(CallActions, name).__doc__ or "").split())
        model_doc = " ".join((getattr(models, schema).__doc__ or "").split())
        for field, declared in fields.items():
            default = keywords[field].default
            if "default" in declared:
                assert getattr(default, "value", default) == declared["default"], (name, field)
            elif field in schemas[schema].get("required", []):
                assert default is inspect.Parameter.empty, (name, field)
            # Each field's doc as the generator reads it from the spec: the model's, word for word.
            line = re.search(rf"{keywords[field].name} \(.*?(?= \w+ \(|$)", model_doc)
            assert line is not None and line[0] in method_doc, (name, field)


def test_every_error_answer_raises_nothing_is_returned(sim: SimulatedAPI) -> None:
    with client_for(sim, max_retries=0) as client:
        with pytest.raises(errors.ConflictError) as conflict:
            client.calls.stop_recording(sim.call_uuid)
        assert conflict.value.code == "no_active_recording"
        with pytest.raises(errors.UnprocessableEntityError) as invalid:
            client.calls.send_dtmf(sim.call_uuid, digits="12a")
        assert [field.pointer for field in invalid.value.errors] == ["/digits"]
        with pytest.raises(errors.NotFoundError):
            client.calls.send_dtmf("650e8400-e29b-41d4-a716-000000000000", digits="1")
        sim.inject("sendDtmf", status=429)
        with pytest.raises(errors.RateLimitError) as limited:
            client.calls.send_dtmf(sim.call_uuid, digits="1")
        assert limited.value.retry_after == 1


def test_auth_id_is_the_clients_unless_the_call_gives_one(sim: SimulatedAPI) -> None:
    other = sim.control.create_account(auth_id="second_account")
    other_call = sim.new_call(auth_id="second_account")
    with client_for(sim) as client:
        with pytest.raises(errors.PermissionDeniedError):  # this token is not the other account's
            client.calls.send_dtmf(other_call, digits="1", auth_id="second_account")
    with TryvoxClient(other["token"], BASE_URL, httpx_args={"transport": sim.transport}) as unbound:
        assert unbound.calls.send_dtmf(other_call, digits="2", auth_id="second_account").digits == "2"
        with pytest.raises(ValueError, match="TVX_AUTH_ID"):
            unbound.calls.send_dtmf(other_call, digits="3")
    assert [entry["auth_id"] for entry in sim.requests(operation="sendDtmf")] == ["second_account", "second_account"]


def test_a_call_uuid_that_is_not_a_uuid_is_refused_unsent(sim: SimulatedAPI) -> None:
    with client_for(sim) as client, pytest.raises(ValueError, match="call_uuid 'call-1' is not a UUID"):
        client.calls.send_dtmf("call-1", digits="1")
    assert sim.requests(operation="sendDtmf") == []


def test_with_options_returns_a_configured_copy_and_leaves_the_client_as_it_was(sim: SimulatedAPI) -> None:
    client = client_for(sim)
    once = client.with_options(max_retries=0, timeout=3.0)
    assert (once.max_retries, client.max_retries) == (0, _facts.DEFAULT_MAX_RETRIES)
    assert (once.timeout.read, once.timeout.connect) == (3.0, 3.0) and client.timeout.read == _facts.TIMEOUT
    assert once.http is not client.http and (once.base_url, once.auth_id) == (client.base_url, client.auth_id)
    assert client.with_options(auth_id="another").auth_id == "another"
    sim.inject("sendDtmf", status=429, times=0)
    with pytest.raises(errors.RateLimitError):
        once.calls.send_dtmf(sim.call_uuid, digits="1")
    with pytest.raises(errors.RateLimitError):
        client.calls.send_dtmf(sim.call_uuid, digits="1")
    assert [entry["status"] for entry in sim.requests(operation="sendDtmf")] == [429, 429, 429, 429]


def test_both_are_context_managers_that_close_their_connections(sim: SimulatedAPI) -> None:
    with client_for(sim) as client:
        client.calls.send_dtmf(sim.call_uuid, digits="1")
    assert client.http.get_httpx_client().is_closed

    async def use() -> AsyncTryvoxClient:
        async with AsyncTryvoxClient(
            sim.token, BASE_URL, sim.auth_id, httpx_args={"transport": sim.transport}
        ) as aclient:
            pressed, spoken = await asyncio.gather(aclient.calls.send_dtmf(sim.call_uuid, digits="2"),
                                                   aclient.calls.speak_text(sim.call_uuid, text="Hi"))  # fmt: skip
            assert (pressed.digits, spoken.text) == ("2", "Hi")
        return aclient

    assert asyncio.run(use()).http.get_async_httpx_client().is_closed


def test_the_log_of_a_rate_limited_call_request_wait_retry_success_and_no_token(
    sim: SimulatedAPI, caplog: pytest.LogCaptureFixture
) -> None:
    sim.inject("sendDtmf", status=429)
    caplog.set_level(logging.DEBUG, logger="tryvox_call_actions_client")
    with client_for(sim) as client:
        client.calls.send_dtmf(sim.call_uuid, digits="42#")
    ours = [record for record in caplog.records if record.name == "tryvox_call_actions_client"]
    info = [record.getMessage() for record in ours if record.levelno == logging.INFO]
    path = f"/v1/voice/accounts/{sim.auth_id}/calls/{sim.call_uuid}/dtmf"
    assert len(info) == 3, info
    assert re.fullmatch(rf"POST {path}: 429 in \d+ ms \(attempt 1\)", info[0])
    assert info[1] == "retrying in 1 s (retry 1 of 2): 429 with Retry-After 1 s"
    assert re.fullmatch(rf"POST {path}: 202 in \d+ ms \(attempt 2\)", info[2])
    debug = [record.getMessage() for record in ours if record.levelno == logging.DEBUG]
    assert debug[0] == f'POST {path}: sent {{"digits":"42#"}}' and any("rate_limited" in line for line in debug)
    assert not any("42#" in line for line in info), "bodies only at DEBUG"
    assert not any(sim.token in record.getMessage() for record in caplog.records)


def test_a_connection_failure_and_the_decision_not_to_retry_are_logged(
    refused_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tryvox_call_actions_client")
    client = TryvoxClient("tvx_sk_test_x", refused_url, "acct", max_retries=1, sleep=lambda seconds: None)
    with pytest.raises(errors.APIConnectionError):
        client.calls.send_dtmf("650e8400-e29b-41d4-a716-446655440000", digits="1")
    lines = [record.getMessage() for record in caplog.records if record.name == "tryvox_call_actions_client"]
    assert re.fullmatch(r"POST /\S+: no answer, ConnectError \(nothing was sent\) in \d+ ms \(attempt 1\)", lines[0])
    assert re.fullmatch(r"retrying in 0\.\d+ s \(retry 1 of 1\): ConnectError, no connection: the backoff", lines[1])
    assert lines[3] == "not retrying: ConnectError, no connection, after 1 of 1 retries" and len(lines) == 4


LOGGED = """
from tryvox_call_actions_client import TryvoxClient
from tryvox_sim.testing import BASE_URL, simulated_api

with simulated_api() as sim:
    sim.inject("sendDtmf", status=429)
    client = TryvoxClient(sim.token, BASE_URL, sim.auth_id, httpx_args={"transport": sim.transport},
                          sleep=sim.clock.advance)
    client.calls.send_dtmf(sim.call_uuid, digits="7")
    print(sim.token)
"""


@pytest.mark.parametrize("level", ["info", "debug", ""])
def test_tvx_log_turns_the_lines_on_without_code(level: str) -> None:
    env = {**os.environ, "TVX_LOG": level}
    done = subprocess.run([sys.executable, "-c", LOGGED], capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    lines = done.stderr.splitlines()
    token = done.stdout.strip()
    assert token.startswith("tvx_sk_") and not any(token in line for line in lines)
    if not level:
        assert lines == []
        return
    assert any(line.endswith("retrying in 1 s (retry 1 of 2): 429 with Retry-After 1 s") for line in lines), lines
    assert all(line.startswith("[") and " tryvox_call_actions_client " in line for line in lines)
    assert any('sent {"digits":"7"}' in line for line in lines) == (level == "debug")


def test_the_example_program_runs_against_a_served_simulator() -> None:
    with served() as found:
        env = {**os.environ, **{name: found[name] for name in ("TVX_API_TOKEN", "TVX_BASE_URL", "TVX_AUTH_ID")}}
        command = [sys.executable, str(ROOT / "examples" / "clients" / "press_keys.py"), found["TVX_CALL_UUID"], "9#"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert printed[0] == "sent 9#" and re.fullmatch(r"recorded https://recordings\.tryvox\.io/\S+\.wav", printed[1])
    assert printed[2] == "Connecting you now."


def test_the_sites_resource_client_block_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (ROOT / "docs" / "get-started" / "python.md").read_text()
    [block] = [code for code in re.findall(r"```python\n(.*?)```", page, re.S) if "TryvoxClient()" in code]
    with served() as found:
        for name in ("TVX_BASE_URL", "TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID"):
            monkeypatch.setenv(name, found[name])
        exec(compile(block, "docs/get-started/python.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out.splitlines()
    expected = [line.split("# ", 1)[1] for line in block.splitlines() if "print(" in line and "# " in line]
    assert len(printed) == len(expected) >= 2
    for want, got in zip(expected, printed, strict=True):
        assert re.fullmatch(".*".join(map(re.escape, want.split("…"))), got), (want, got)
