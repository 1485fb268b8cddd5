"""The one client of the control plane (tryvox_sim/control_client.py) and the one reader of the export lines."""

import inspect

import pytest

import tryvox_sim.sim.control
from tryvox_sim.sim.app import handler_name
from tryvox_sim.sim.seed import DEFAULT_CALL_UUID, OTHER_AUTH_ID
from tryvox_sim.testing import shared_spec, simulated_api
from tryvox_sim.testing.control_client import (
    EXPORTS,
    ControlClient,
    ControlPlaneError,
    format_exports,
    parse_exports,
    ready,
)


def test_one_method_per_control_plane_operation_named_after_it():
    operations = {handler_name(op.op_id) for op in shared_spec().operations.values() if op.source == "control"}
    methods = {name for name, _ in inspect.getmembers(ControlClient, inspect.isfunction) if not name.startswith("_")}
    assert methods - {"close"} == operations


def test_export_lines_read_back_what_was_printed():
    printed = format_exports("http://127.0.0.1:4010", "acme", "tvx_sk_test_acme_1", DEFAULT_CALL_UUID)
    assert printed.splitlines() == [
        "export TVX_BASE_URL=http://127.0.0.1:4010",
        "export TVX_AUTH_ID=acme",
        "export TVX_API_TOKEN=tvx_sk_test_acme_1",
        f"export TVX_CALL_UUID={DEFAULT_CALL_UUID}",
    ]
    found = parse_exports("INFO starting\n" + printed)
    assert list(found) == list(EXPORTS) and found["TVX_AUTH_ID"] == "acme" and ready(found)


def test_a_line_still_being_written_is_not_read():
    found = parse_exports("export TVX_BASE_URL=http://127.0.0.1:4010\nexport TVX_CALL_UUID=650e84")
    assert found == {"TVX_BASE_URL": "http://127.0.0.1:4010"} and not ready(found)


def test_every_operation_in_process(monkeypatch, tmp_path):
    (tmp_path / "index.html").write_text("<html>docs</html>")
    monkeypatch.setattr(tryvox_sim.sim.control, "DOCS_HTML", tmp_path / "index.html")
    with simulated_api() as sim:
        control = sim.control
        assert control.get_health() == {"status": "ok"} and control.get_docs() == "<html>docs</html>"
        assert control.get_spec_json()["openapi"] == "3.1.0" and "operationId: sendDtmf" in control.get_spec_yaml()
        ringing = control.create_call(status="ringing", from_="+14155550111")
        assert (ringing["status"], ringing["from"]) == ("ringing", "+14155550111")
        assert [c["call_uuid"] for c in control.list_calls(status="ringing")] == [ringing["call_uuid"]]
        assert control.answer_call(ringing["call_uuid"])["status"] == "in-progress"
        assert control.press_digits(ringing["call_uuid"], "1")["call_uuid"] == ringing["call_uuid"]
        assert control.hangup_call(ringing["call_uuid"])["status"] == "completed"
        events = [e["type"] for e in control.get_call_events(ringing["call_uuid"])]
        assert events == ["call.created", "call.answered", "dtmf.input", "call.completed"]
        assert control.get_call(sim.call_uuid)["call_uuid"] == sim.call_uuid
        assert control.advance_clock(5)["epoch"] == control.get_clock()["epoch"]
        account = control.create_account("acme", numbers=["+14155550111"])
        assert account["token"].startswith("tvx_sk_test_") and "acme" in {a["auth_id"] for a in control.list_accounts()}
        assert control.list_webhooks() == []
        assert control.reset_world() == {"status": "reset"}
        assert [c["call_uuid"] for c in control.list_calls()] == [sim.call_uuid]


def test_a_default_account_for_new_calls_and_a_clear_error_when_refused():
    with simulated_api() as sim:
        theirs = ControlClient(sim.base_url, transport=sim.transport, auth_id=OTHER_AUTH_ID)
        with theirs:
            assert theirs.create_call()["auth_id"] == OTHER_AUTH_ID
            with pytest.raises(ControlPlaneError, match=r"POST /_sim/calls -> 404: .*account_not_found"):
                theirs.create_call(auth_id="nobody")
        assert theirs.http.is_closed
