"""The App as a whole: each operation dispatched by its operationId and checked at start-up, failures that
reach the test in-process (or a 500 problem when asked), and a checkout path with a space in it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tryvox_sim.contract.spec import CALL_ACTIONS_SPEC, SIMULATOR_SPEC, Spec
from tryvox_sim.sim import control
from tryvox_sim.sim.app import App, MissingHandler, SelfCheckError, handler_name
from tryvox_sim.sim.world import World
from tryvox_sim.testing import shared_spec, simulated_api

ROOT = Path(__file__).resolve().parents[1]
DTMF = "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/dtmf"


@pytest.mark.parametrize(
    ("op_id", "name"),
    [("transferCall", "transfer_call"), ("sendDtmf", "send_dtmf"), ("getSpecYaml", "get_spec_yaml"),
     ("getHealth", "get_health"), ("resetWorld", "reset_world")],
)  # fmt: skip
def test_handler_names_are_the_operation_ids_in_snake_case(op_id, name):
    assert handler_name(op_id) == name


def test_every_operation_of_both_specs_has_its_handler():
    app = App(World(), shared_spec())
    assert set(app.handlers) == set(shared_spec().operations)
    assert app.handlers["transferCall"] == app.world.transfer_call
    assert app.handlers["createCall"] is control.create_call


def spec_with_an_extra_operation(tmp_path: Path, which: str, path: str, op_id: str) -> Spec:
    """Copies of both specs, one of them with a new operation (a copy of an existing one)."""
    docs = {p.name: yaml.safe_load(p.read_text()) for p in (CALL_ACTIONS_SPEC, SIMULATOR_SPEC)}
    source = DTMF if which == "call-actions.yaml" else "/_sim/health"
    method = "post" if which == "call-actions.yaml" else "get"
    extra = {**docs[which]["paths"][source][method], "operationId": op_id}
    docs[which]["paths"][path] = {**docs[which]["paths"][source], method: extra}
    for name, doc in docs.items():
        (tmp_path / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    return Spec(tmp_path / "call-actions.yaml", tmp_path / "simulator.yaml")


@pytest.mark.parametrize(
    ("which", "path", "op_id", "message"),
    [
        (
            "call-actions.yaml",
            DTMF.replace("dtmf", "hold"),
            "holdCall",
            r"holdCall \(POST .*/hold\) has no handler: add World\.hold_call",
        ),
        (
            "simulator.yaml",
            "/_sim/snapshots",
            "listSnapshots",
            r"listSnapshots \(GET /_sim/snapshots\) has no handler: add tryvox_sim\.sim\.control\.list_snapshots",
        ),
    ],
)
def test_an_operation_without_a_handler_fails_at_start_up(tmp_path, which, path, op_id, message):
    spec = spec_with_an_extra_operation(tmp_path, which, path, op_id)
    with pytest.raises(MissingHandler, match=message):
        App(World(), spec)


# -- failures do not hide in tests
def boom(*args, **kwargs):
    raise RuntimeError("a bug in the domain")


def test_an_exception_inside_the_simulator_reaches_the_test(monkeypatch):
    with simulated_api() as sim:
        monkeypatch.setattr(sim.world, "check_call", boom)
        with pytest.raises(RuntimeError, match="a bug in the domain"):
            sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers={"Authorization": f"Bearer {sim.token}"})


def test_without_raising_an_exception_is_a_500_internal_error(monkeypatch):
    with simulated_api(raise_server_exceptions=False) as sim:
        monkeypatch.setattr(sim.world, "check_call", boom)
        response = sim.http.post(
            sim.path("dtmf"), json={"digits": "1"}, headers={"Authorization": f"Bearer {sim.token}"}
        )
        assert response.status_code == 500 and response.json()["code"] == "internal_error"
        assert sim.app.unexpected_errors == 1
        assert sim.http.get("/_sim/health").status_code == 200  # and it keeps serving


def test_a_response_that_breaks_the_spec_raises_or_is_a_500_self_check_failed(monkeypatch):
    monkeypatch.setattr(World, "call_view", lambda self, call: {"call_uuid": call.uuid})
    with (
        simulated_api() as sim,
        pytest.raises(SelfCheckError, match="getCall -> 200: response-body: expected a body valid against the schema"),
    ):
        sim.http.get(f"/_sim/calls/{sim.call_uuid}")
    with simulated_api(raise_server_exceptions=False) as sim:
        response = sim.http.get(f"/_sim/calls/{sim.call_uuid}")
        assert response.status_code == 500 and response.json()["code"] == "self_check_failed"
        assert "getCall -> 200" in response.json()["detail"]


@pytest.mark.tryvox_sim(raise_server_exceptions=False, rate_limit="1/s")
def test_the_fixture_takes_options_from_its_marker(tryvox_sim, monkeypatch):
    monkeypatch.setattr(tryvox_sim.world, "check_call", boom)
    headers = {"Authorization": f"Bearer {tryvox_sim.token}"}
    assert tryvox_sim.http.post(tryvox_sim.path("dtmf"), json={"digits": "1"}, headers=headers).status_code == 500
    assert tryvox_sim.http.post(tryvox_sim.path("dtmf"), json={"digits": "1"}, headers=headers).status_code == 429


def test_closing_the_simulator_closes_its_clients():
    with simulated_api() as sim:
        other = sim.client_for(sim.token)
        sim.call()  # opens the control plane's connection pool
    assert sim.http.is_closed and sim.control.http.is_closed
    assert sim.client.get_httpx_client().is_closed and other.get_httpx_client().is_closed


# -- a checkout whose path holds a space and a non-ASCII letter
def test_a_checkout_path_with_a_space_and_a_non_ascii_letter(tmp_path):
    checkout = tmp_path / "my checkout ü"
    shutil.copytree(ROOT / "tryvox_sim", checkout / "tryvox_sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "openapi", checkout / "openapi")
    script = (
        "import tryvox_sim.contract.spec\n"
        "from tryvox_sim.testing import simulated_api\n"
        "print(tryvox_sim.contract.spec.OPENAPI_DIR)\n"
        "with simulated_api() as sim:\n"
        "    assert sim.http.get('/openapi.yaml').content.startswith(b'openapi: 3.1.0')\n"
        "    assert sim.call()['status'] == 'in-progress'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=checkout, env={"PYTHONPATH": str(checkout)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(checkout / "openapi")
