"""Fixtures of the contract suite: the target (simulator or deployment), the generated client and
the simulator's control plane. See target.py for how the target is chosen."""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from tryvox_call_actions_client import AuthenticatedClient

from tryvox_contract import SCHEMATHESIS_CONFIG, SPEC
from tryvox_contract.actions import stop
from tryvox_contract.checks import client_args
from tryvox_contract.target import Target, TargetError, identify, open_target
from tryvox_sim.testing.control_client import ControlClient

NEEDS_CONTROL_PLANE = "needs the simulator's control plane (/_sim), which a deployment does not have"


@pytest.fixture(scope="session")
def target():
    try:
        tgt = open_target()
        identify(tgt)
    except TargetError as exc:
        pytest.exit(f"contract: {exc}", returncode=2)
    # schemathesis.toml and hooks.py read the target from the environment.
    saved = {name: os.environ.get(name) for name in tgt.env}
    os.environ.update(tgt.env)
    yield tgt
    tgt.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def contract_schema(target: Target):
    """The spec with schemathesis.toml's configuration, for test_schema.py."""
    config = SchemathesisConfig.from_path(SCHEMATHESIS_CONFIG)
    return schemathesis.openapi.from_path(SPEC, config=config)


def transfers_allowed(target: Target) -> bool:
    """A schema-valid transfer dials a real number on a deployment: only to TVX_SAFE_TRANSFER_TO."""
    return target.is_simulator or bool(target.env.get("TVX_SAFE_TRANSFER_TO"))


@pytest.fixture(scope="session")
def control(target: Target):
    """The simulator's control plane (tryvox_sim.testing.control_client). Its answers pass the invariant checks'
    observer too: a call seen completed, or the clock moved, is what the state rules learn from."""
    if not target.is_simulator:
        pytest.skip(NEEDS_CONTROL_PLANE)
    env = target.env
    with ControlClient(env["TVX_CONTROL_URL"], auth_id=env["TVX_AUTH_ID"], **client_args()) as client:
        yield client


@pytest.fixture(scope="session")
def api(target: Target):
    """The generated client, authenticated as TVX_API_TOKEN (invariants checked, journalled, polite)."""
    with AuthenticatedClient(
        base_url=target.base_url, token=target.env["TVX_API_TOKEN"], timeout=10, httpx_args=client_args()
    ) as client:
        yield client


@pytest.fixture(scope="session")
def auth_id(target: Target) -> str:
    return target.env["TVX_AUTH_ID"]


@pytest.fixture
def call_uuid(target: Target, api):
    """An in-progress call: a fresh one on the simulator, TVX_CALL_UUID on a deployment."""
    if target.is_simulator:
        yield target.control.create_call()["call_uuid"]
        return
    # A deployment has one call for every test: leave it with no recording running, before and after.
    call = target.env["TVX_CALL_UUID"]
    stop(api, target.env["TVX_AUTH_ID"], call)
    yield call
    stop(api, target.env["TVX_AUTH_ID"], call)
