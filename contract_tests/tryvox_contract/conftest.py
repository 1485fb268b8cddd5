"""Fixtures of the contract suite: the target (simulator or deployment), the generated client,
the simulator's control plane, and the calls the tests act on. See target.py for how the target is chosen, and
live_call.py for a deployment's calls."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from tryvox_call_actions_client import AuthenticatedClient

from tryvox_contract import SCHEMATHESIS_CONFIG, live_call, spec_file
from tryvox_contract.actions import NO_ANSWER, expect, stop, transfer
from tryvox_contract.checks import client_args
from tryvox_contract.coverage import SIMULATOR_ONLY
from tryvox_contract.target import Target, TargetError, identify, open_target
from tryvox_sim.testing.control_client import ControlClient

NEEDS_CONTROL_PLANE = f"{SIMULATOR_ONLY}'s control plane (/_sim), which a deployment does not have"
NO_TRANSFER = "a transfer dials a real number on a deployment: set TVX_SAFE_TRANSFER_TO"
ENDS_THE_CALL = (
    "it ends the call in use, the run's only one (TVX_CALL_UUID): give --call-command (TVX_CALL_COMMAND) for fresh "
    "calls"
)


@pytest.fixture(scope="session")
def target():
    try:
        tgt = open_target()
        identify(tgt)
    except TargetError as exc:
        pytest.exit(f"contract: {exc}", returncode=2)
    # schemathesis.toml and hooks.py read the target from the environment.
    saved = {name: os.environ.get(name) for name in (*tgt.env, live_call.STATE_ENV)}
    os.environ.update(tgt.env)
    if not tgt.is_simulator and not os.environ.get(live_call.STATE_ENV):  # plain `pytest contract_tests`
        begin_live_call(tgt)
    yield tgt
    tgt.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def begin_live_call(target: Target) -> None:
    """A deployment run through plain pytest: the calls it acts on, as the runner would set them up."""
    state = Path(tempfile.mkdtemp(prefix="tryvox-contract-")) / "call.json"
    os.environ[live_call.STATE_ENV] = str(state)
    live_call.in_use.cache_clear()
    live = live_call.in_use()
    assert live is not None
    try:
        live.begin(target.env.get("TVX_CALL_UUID"))
    except live_call.CallCommandFailed as exc:
        pytest.exit(f"contract: {exc}", returncode=2)


@pytest.fixture(scope="session")
def contract_schema(target: Target):
    """The spec with schemathesis.toml's configuration, for test_schema.py."""
    config = SchemathesisConfig.from_path(SCHEMATHESIS_CONFIG)
    return schemathesis.openapi.from_path(spec_file(), config=config)


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
    """An in-progress call: a fresh one on the simulator; on a deployment the call in use (TVX_CALL_UUID, or the call
    command's latest, replaced once it has ended: live_call.py)."""
    if target.is_simulator:
        yield target.control.create_call()["call_uuid"]
        return
    # Leave the call with no recording running, before and after. The stop also tells whether the call in use has
    # ended (409 call_not_in_progress: the client's hook marks it), and then the command gives another.
    auth_id, live = target.env["TVX_AUTH_ID"], live_call.in_use()
    try:
        call = target.env["TVX_CALL_UUID"] if live is None else live.current()
        if stop(api, auth_id, call).status_code == 409 and live is not None and live.fresh_calls:
            call = live.current()
            stop(api, auth_id, call)
    except live_call.CallCommandFailed as exc:  # no call, no test: the run stops, and says why
        pytest.exit(f"contract: {exc}", returncode=2)
    yield call
    stop(api, auth_id, call)


def transfer_to(target: Target) -> str:
    """A number a test may transfer to: one that never answers on the simulator (the call stays transferring for
    30 s), TVX_SAFE_TRANSFER_TO on a deployment."""
    return NO_ANSWER if target.is_simulator else target.env.get("TVX_SAFE_TRANSFER_TO", "")


@pytest.fixture
def ending_call(target: Target, request) -> str:
    """An in-progress call the test may end (an accepted transfer ends it): on a deployment only with fresh calls
    (a call command) and a safe number to transfer to; otherwise the test is skipped, saying which."""
    if not target.is_simulator:
        if not target.env.get("TVX_SAFE_TRANSFER_TO"):
            pytest.skip(NO_TRANSFER)
        live = live_call.in_use()
        if live is None or not live.fresh_calls:
            pytest.skip(ENDS_THE_CALL)
    return request.getfixturevalue("call_uuid")


@pytest.fixture
def transferred_call(target: Target, api, auth_id: str, ending_call: str) -> str:
    """A call no longer in progress: transferred (to transfer_to), so every action on it is refused."""
    expect(transfer(api, auth_id, ending_call, transfer_to(target)), 202)
    return ending_call
