"""The control plane under /_sim/ (described in openapi/simulator.yaml): drive the simulated world.

One function per operation, named after its operationId (`createCall` -> `create_call`): the request pipeline
finds each by that name at start-up. Each takes the `Simulation` (the state it drives, not the HTTP shell), the path
parameters, the valid query parameters and the valid body, runs under the world's lock, and returns a `Response`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contract.problems import DocsNotBuilt, FaultNotFound, ValidationFailed
from ..contract.spec import OPENAPI_DIR
from ..wire.response import Response
from . import canned, coverage, faults
from .clock import iso
from .docs import served_page
from .seed import DEFAULT_FROM
from .simulation import Simulation


def _docs_page() -> Path:
    """The rendered docs: packaged in the wheel beside the spec files (hatch_build.py), or `make docs`'s."""
    packaged = OPENAPI_DIR / "call-actions.html"
    return packaged if packaged.is_file() else Path(__file__).resolve().parents[2] / "build" / "docs" / "index.html"


DOCS_HTML = _docs_page()
Params = dict[str, str]
Body = dict[str, Any]


def get_health(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"status": "ok"})


def get_spec_yaml(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response(200, sim.spec_yaml, "application/yaml")


def get_spec_json(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response(200, sim.spec_json)


def get_docs(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    try:
        page = served_page(DOCS_HTML, sim.spec.actions_doc, sim.base_url, sim.world.seed)
        return Response(200, page, "text/html; charset=utf-8")
    except OSError:
        raise DocsNotBuilt("build/docs/index.html is missing: run `make docs` first.") from None


def create_call(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    world = sim.world
    call = world.new_call(
        body.get("auth_id", world.seed[0]),
        body.get("from", DEFAULT_FROM),
        body.get("to"),
        body.get("status", "in-progress"),
        body.get("hangup_url"),
    )
    return Response.json(201, world.call_view(call))


def list_calls(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    world = sim.world
    world.settle_all()
    auth_id, status = query.get("auth_id"), query.get("status")
    calls = [
        world.call_view(c)
        for c in world.every_call()
        if (auth_id is None or c.auth_id == auth_id) and (status is None or c.status == status)
    ]
    return Response.json(200, {"calls": calls})


def get_call(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, sim.world.call_view(sim.world.find_call(params["call_uuid"])))


def get_call_events(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"events": sim.world.find_call(params["call_uuid"]).timeline()})


def answer_call(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, sim.world.call_view(sim.world.answer(params["call_uuid"])))


def hangup_call(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, sim.world.call_view(sim.world.hangup(params["call_uuid"])))


def trigger_webhook(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    world = sim.world
    queued = len(world.outbox)  # what the event adds goes out through the pipeline's Outbox once this is answered
    call = world.webhook_now(params["call_uuid"], body["event"], body.get("url"))
    sent = [{"event": event, "url": url} for url, event, _ in world.outbox[queued:]]
    return Response.json(200, {"call": world.call_view(call), "webhooks": sent})


def press_digits(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, sim.world.call_view(sim.world.caller_presses(params["call_uuid"], body["digits"])))


def _clock(sim: Simulation) -> Response:
    now = sim.world.clock.now()
    return Response.json(200, {"now": iso(now), "epoch": now, "mode": sim.world.clock.mode})


def get_clock(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return _clock(sim)


def advance_clock(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    sim.world.advance(body["seconds"])
    sim.give_back_memory()  # the clock may have carried many calls past their retention
    return _clock(sim)


def list_accounts(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"accounts": [a.details() for a in sim.world.accounts.values()]})


def create_account(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    account = sim.world.add_account(body["auth_id"], body.get("token"), body.get("numbers", ()), body.get("rate_limit"))
    return Response.json(201, account.details())


def list_webhooks(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"webhooks": sim.webhooks.list()})


def reset_world(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    sim.reset()
    return Response.json(200, {"status": "reset"})


# -- faults (faults.py): the API misbehaving on demand
def list_faults(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"faults": [fault.view() for fault in sim.faults.list()]})


def create_fault(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    operation = body["operation"]
    ops = sim.actions if operation == "*" else [sim.spec.operations[operation]]
    refused = faults.refused(body) or canned.check_fault(ops, body.get("status"), body.get("example"))
    if refused is not None:
        pointer, why = refused
        raise ValidationFailed(f"The fault cannot be answered: {why}.", pointer=pointer)
    return Response.json(201, sim.faults.add(body).view())


def clear_faults(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"removed": sim.faults.clear()})


def delete_fault(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    fault = sim.faults.remove(params["fault_id"])
    if fault is None:
        raise FaultNotFound(f"No fault {params['fault_id']}.")
    return Response.json(200, fault.view())


# -- integration coverage (coverage.py): what the application's tests met
def get_coverage(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, coverage.report(sim.spec, sim.coverage.tally()))


def reset_coverage(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    sim.coverage.reset()
    return Response.json(200, {"status": "reset"})


# -- the request journal (journal.py)
def list_requests(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    status, limit = query.get("status"), query.get("limit")
    found = sim.journal.entries(
        operation=query.get("operation"), auth_id=query.get("auth_id"), call_uuid=query.get("call_uuid"),
        status=int(status) if status else None, limit=int(limit) if limit else None,
    )  # fmt: skip
    return Response.json(200, {"requests": found, "size": sim.journal.size, "dropped": sim.journal.dropped})


def clear_requests(sim: Simulation, params: Params, query: Params, body: Body) -> Response:
    return Response.json(200, {"removed": sim.journal.clear()})
