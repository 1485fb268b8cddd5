"""Schemathesis hooks: give each case a live in-progress call, keep live targets safe, keep the pace, and
write what was sent and answered to the run's journal (journal.py, read by coverage.py).

schemathesis.toml binds `call_uuid` to a placeholder most of the time. Before a request goes out,
the placeholder is replaced by a call created just now through the simulator's control plane
(TVX_CONTROL_URL set), or by the call in use against a live target (no control plane there): TVX_CALL_UUID, or the
call command's latest (live_call.py), which each answer tells when it has ended.
Live targets: a schema-valid transfer dials a real number, so `to` is forced to TVX_SAFE_TRANSFER_TO
(the runner leaves transferCall out entirely when that is not set).
Every request waits for its turn under TVX_RATE_LIMIT (polite.py). Each answer, retried 429s
included, is journalled with the phase that sent it; a CLI event handler journals the links the stateful
phase followed and each failed check (its curl line), which the answers alone do not show.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import time
from urllib.parse import urlsplit

import schemathesis
from schemathesis import cli
from schemathesis.engine import events

import tryvox_contract.checks  # registers the invariant checks; keeps when each request went out
from tryvox_contract import journal, live_call
from tryvox_contract.polite import pace
from tryvox_sim.sim.seed import DEFAULT_CALL_UUID
from tryvox_sim.testing.control_client import ControlClient

CALL_PLACEHOLDER = "f7e5ca11-0000-4000-8000-000000000000"
# The spec's example call_uuid, which the examples and coverage phases send as is. On the simulator it is
# the one seeded call, shared by every case: it would soon be transferred and answer 409 to the rest. On a deployment
# it is no call at all (404): the call in use stands in for it, so the examples reach the API's behaviour.
EXAMPLE_CALL = DEFAULT_CALL_UUID
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


@functools.cache
def _control(control_url: str) -> ControlClient:
    """One client (one connection pool) per control plane for the whole run, closed when it ends."""
    client = ControlClient(control_url)
    atexit.register(client.close)
    return client


def fresh_call(control_url: str, auth_id: str) -> str:
    """Create an in-progress call owned by `auth_id` through the simulator's control plane."""
    return _control(control_url).create_call(auth_id=auth_id)["call_uuid"]


@schemathesis.hook
def before_call(context, case, kwargs):
    pace()
    tryvox_contract.checks.verdicts().sent.setdefault(case.id, time.time())  # a 429 sent again keeps the first
    params = case.path_parameters
    if params is None:
        return
    control_url = os.environ.get("TVX_CONTROL_URL")
    if params.get("call_uuid") in (CALL_PLACEHOLDER, EXAMPLE_CALL):
        if control_url:
            params["call_uuid"] = fresh_call(control_url, os.environ.get("TVX_AUTH_ID", ""))
        elif (live := live_call.in_use()) is not None:
            params["call_uuid"] = live.current()
        else:
            params["call_uuid"] = os.environ.get("TVX_CALL_UUID", CALL_PLACEHOLDER)
    if case.operation.definition.raw.get("operationId") == "transferCall":
        guard_transfer(case)


@schemathesis.hook
def after_call(context, case, response):
    request = response.request
    if (live := live_call.in_use()) is not None:
        live.saw(request.method, urlsplit(request.url).path, response.status_code, response.content)
    journal.record(
        by=case.meta.phase.name.value if case.meta else "schemathesis",
        case=case.id,
        method=request.method,
        path=urlsplit(request.url).path,
        body=journal.body_text(request.body),
        status=response.status_code,
    )


def guard_transfer(case) -> None:
    """Never let a transfer dial a real number on a live target."""
    if os.environ.get("TVX_CONTROL_URL"):
        return  # the simulator dials nobody
    safe_to = os.environ.get("TVX_SAFE_TRANSFER_TO")
    if not safe_to:
        # The runner leaves transferCall out on live targets; this is the safety net.
        raise RuntimeError("refusing to send a transfer to a live target: set TVX_SAFE_TRANSFER_TO")
    if isinstance(case.body, dict) and E164.match(str(case.body.get("to", ""))):
        case.body["to"] = safe_to


@cli.handler()
class JournalHandler(cli.EventHandler):
    """Journals what only schemathesis' engine knows: the links followed (stateful phase) and each failure."""

    def handle_event(self, ctx, event) -> None:
        if not isinstance(event, events.ScenarioFinished) or event.is_final:
            return  # a final scenario replays a failure already recorded
        recorder = event.recorder
        for case_id, node in recorder.cases.items():
            if node.transition is not None and node.is_transition_applied:
                journal.record(by="link", case=case_id, link=node.transition.id)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                info = check.failure_info
                if info is not None:
                    failure = info.failure
                    journal.record(
                        by="failure", case=case_id, check=check.name, code=failure.code, title=failure.title,
                        message=failure.message, operation=failure.operation, curl=info.code_sample,
                    )  # fmt: skip
