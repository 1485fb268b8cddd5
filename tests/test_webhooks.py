"""The client's webhook parsers: the shared cases of tests/client_behaviour.json, the simulator's own deliveries,
and the checker held to a full JSON Schema validator (jsonschema-rs, the simulator's) on hundreds of payloads
made by breaking each field of the valid ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from tryvox_call_actions_client import webhooks
from tryvox_call_actions_client._webhook_schemas import SCHEMAS, WEBHOOKS
from tryvox_call_actions_client.api.call_actions import start_recording, stop_recording, transfer_call
from tryvox_call_actions_client.models import CallDetails, RecordRequest, TransferAnsweredEvent, TransferRequest
from tryvox_call_actions_client.webhooks import WebhookPayloadError, parse_call_hangup, parse_transfer_answered

from tools.client_facts import payload_schemas
from tryvox_sim.testing import simulated_api

ROOT = Path(__file__).resolve().parents[1]
CASES = {case["name"]: case for case in json.loads((ROOT / "tests" / "client_behaviour.json").read_text())["webhooks"]}
PARSERS = {"callHangup": (parse_call_hangup, CallDetails), "transferAnswered": (parse_transfer_answered,
                                                                                 TransferAnsweredEvent)}  # fmt: skip


def _tokens(pointer: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def _parent(payload: Any, pointer: str) -> tuple[Any, str | int]:
    *path, last = _tokens(pointer)
    for token in path:
        payload = payload[int(token) if isinstance(payload, list) else token]
    return payload, int(last) if isinstance(payload, list) else last


def body_of(case: dict[str, Any]) -> Any:
    """The case's payload: its own, or another case's with fields set or removed (by JSON pointer)."""
    if "raw" in case:
        return case["raw"]
    payload = copy.deepcopy(case["payload"] if "payload" in case else CASES[case["base"]]["payload"])
    for pointer, value in case.get("set", {}).items():
        parent, key = _parent(payload, pointer)
        parent[key] = value
    if "remove" in case:
        parent, key = _parent(payload, case["remove"])
        del parent[key]
    return payload


@pytest.mark.parametrize("name", CASES)
def test_shared_case(name: str) -> None:
    case = CASES[name]
    parse, model = PARSERS[case["webhook"]]
    body = body_of(case)
    if "error_pointer" not in case:
        parsed = parse(body)
        assert isinstance(parsed, model) and set(parsed.to_dict()) == set(body)  # unknown fields kept too
        return
    for form in (body, json.dumps(body), json.dumps(body).encode()) if not isinstance(body, str) else (body,):
        with pytest.raises(WebhookPayloadError) as raised:
            parse(form)
        assert raised.value.pointer == case["error_pointer"], raised.value.errors
        assert str(raised.value).startswith(case["error_pointer"] or "/")


def test_a_valid_payload_parses_from_bytes_str_and_dict_alike() -> None:
    payload = CASES["hangup"]["payload"]
    forms = [payload, json.dumps(payload), json.dumps(payload).encode()]
    parsed = [parse_call_hangup(form) for form in forms]
    assert parsed[0] == parsed[1] == parsed[2]
    assert parsed[0].recordings[0].url.endswith(".mp3") and str(parsed[0].call_uuid) == payload["call_uuid"]


def test_what_the_simulator_sends_parses() -> None:
    """The simulator's own webhooks, made by real calls: a recorded call hung up, a transfer answered."""
    with simulated_api() as sim:
        recorded = sim.new_call(hangup_url="https://app.example.com/hangup")
        start_recording.sync(sim.auth_id, recorded, client=sim.client, body=RecordRequest())
        sim.clock.advance(5)
        stop_recording.sync(sim.auth_id, recorded, client=sim.client)
        sim.hangup(recorded)
        transferred = sim.new_call(hangup_url="https://app.example.com/hangup")
        transfer = TransferRequest(to="+14155559999", answer_url="https://app.example.com/answered")
        transfer_call.sync(sim.auth_id, transferred, client=sim.client, body=transfer)
        sim.clock.advance(10)  # the destination answers: transferAnswered, then the original call ends
        deliveries = sim.webhooks
    parsed = [PARSERS[delivery["event"]][0](delivery["payload"]) for delivery in deliveries]
    assert [type(event) for event in parsed] == [CallDetails, TransferAnsweredEvent, CallDetails]
    assert parsed[0].recordings[0].duration == 5 and str(parsed[1].call_uuid) == transferred


def test_the_schemas_in_the_package_are_the_specs() -> None:
    import yaml

    spec = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
    assert (WEBHOOKS, SCHEMAS) == payload_schemas(spec)
    assert set(WEBHOOKS) == set(spec["webhooks"]) == set(PARSERS)


def test_a_keyword_the_checker_does_not_know_is_refused_not_ignored() -> None:
    with pytest.raises(NotImplementedError, match="uniqueItems"):
        list(webhooks.violations([1, 1], {"type": "array", "uniqueItems": True}))
    with pytest.raises(NotImplementedError, match="hostname"):
        list(webhooks.violations("example.com", {"type": "string", "format": "hostname"}))


# -- the checker against jsonschema-rs, on payloads made by breaking the valid ones field by field
ODD_VALUES = [
    None, True, 0, -1, 1.5, 125.0, 14401, "", " ", "x", "+14155550000", "2026-12-26T10:02:05Z", "2026-13-40T10:02:05Z",
    "https://example.com/a.mp3", "not a uri", "650e8400-e29b-41d4-a716-446655440000", "ringing", "mp3", "answered",
    "a" * 70, [], {}, ["x"],
]  # fmt: skip


def _leaves(value: Any, pointer: str = "") -> list[str]:
    if isinstance(value, dict):
        return [pointer] + [leaf for key, item in value.items() for leaf in _leaves(item, f"{pointer}/{key}")]
    if isinstance(value, list):
        return [pointer] + [leaf for index, item in enumerate(value) for leaf in _leaves(item, f"{pointer}/{index}")]
    return [pointer]


def _variants() -> list[tuple[str, str, Any]]:
    found = []
    for name in ("hangup", "transfer-answered", "hangup-with-a-running-recording-and-an-unknown-field",
                 "transfer-answered-without-caller-id"):  # fmt: skip
        case = CASES[name]
        for pointer in _leaves(case["payload"])[1:]:
            for index, value in enumerate(ODD_VALUES):
                found.append((case["webhook"], f"{name} {pointer}={index}", {"base": name, "set": {pointer: value}}))
            found.append((case["webhook"], f"{name} -{pointer}", {"base": name, "remove": pointer}))
    return found


VARIANTS = _variants()


def test_the_checker_agrees_with_a_full_validator_on_every_variant() -> None:
    assert len(VARIANTS) > 500
    oracles = {
        webhook: jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{schema}", "components": {"schemas": SCHEMAS}}, validate_formats=True
        )
        for webhook, schema in WEBHOOKS.items()
    }
    disagreements, unnamed = [], []
    for webhook, label, case in VARIANTS:
        payload = body_of(case)
        ours = list(webhooks.violations(payload, {"$ref": f"#/components/schemas/{WEBHOOKS[webhook]}"}))
        if bool(ours) != (not oracles[webhook].is_valid(payload)):
            disagreements.append((label, ours))
        changed = next(iter(case.get("set", {})), case.get("remove"))
        if ours and not any(p and (changed.startswith(p) or p.startswith(changed)) for p, _ in ours):
            unnamed.append((label, ours))
    assert not disagreements
    assert not unnamed  # every error names the field that was broken (or what holds it, or what it holds)
