"""The control plane under /_sim/ (described in openapi/simulator.yaml): drive the simulated world.

One function per operation, named after its operationId (`createCall` -> `create_call`): the HTTP shell
finds each by that name at start-up. Each takes the app, the path parameters, the valid query parameters
and the valid body, runs under the world's lock, and returns a `Reply`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contract.problems import DocsNotBuilt, FaultNotFound, ValidationFailed
from ..contract.spec import OPENAPI_DIR
from . import canned
from .clock import iso
from .docs import served_page
from .reply import Reply
from .seed import DEFAULT_FROM

if TYPE_CHECKING:  # the shell calls these functions; they only read and drive what it holds
    from .app import App


def _docs_page() -> Path:
    """The rendered docs: packaged in the wheel beside the spec files (hatch_build.py), or `make docs`'s."""
    packaged = OPENAPI_DIR / "call-actions.html"
    return packaged if packaged.is_file() else Path(__file__).resolve().parents[2] / "build" / "docs" / "index.html"


DOCS_HTML = _docs_page()
Params = dict[str, str]
Body = dict[str, Any]


def get_health(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"status": "ok"})


def get_spec_yaml(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.spec_yaml, "application/yaml")


def get_spec_json(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.spec_json)


def get_docs(app: App, params: Params, query: Params, body: Body) -> Reply:
    try:
        return Reply(200, served_page(DOCS_HTML, app), "text/html; charset=utf-8")
    except OSError:
        raise DocsNotBuilt("build/docs/index.html is missing: run `make docs` first.") from None


def create_call(app: App, params: Params, query: Params, body: Body) -> Reply:
    world = app.world
    call = world.new_call(
        body.get("auth_id", world.seed[0]),
        body.get("from", DEFAULT_FROM),
        body.get("to"),
        body.get("status", "in-progress"),
        body.get("hangup_url"),
    )
    return Reply(201, world.call_view(call))


def list_calls(app: App, params: Params, query: Params, body: Body) -> Reply:
    world = app.world
    world.settle_all()
    auth_id, status = query.get("auth_id"), query.get("status")
    calls = [
        world.call_view(c)
        for c in world.every_call()
        if (auth_id is None or c.auth_id == auth_id) and (status is None or c.status == status)
    ]
    return Reply(200, {"calls": calls})


def get_call(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.world.call_view(app.world.find_call(params["call_uuid"])))


def get_call_events(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"events": app.world.find_call(params["call_uuid"]).timeline()})


def answer_call(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.world.call_view(app.world.answer(params["call_uuid"])))


def hangup_call(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.world.call_view(app.world.hangup(params["call_uuid"])))


def press_digits(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, app.world.call_view(app.world.caller_presses(params["call_uuid"], body["digits"])))


def _clock(app: App) -> Reply:
    now = app.world.clock.now()
    return Reply(200, {"now": iso(now), "epoch": now, "mode": app.world.clock.mode})


def get_clock(app: App, params: Params, query: Params, body: Body) -> Reply:
    return _clock(app)


def advance_clock(app: App, params: Params, query: Params, body: Body) -> Reply:
    app.world.advance(body["seconds"])
    app.give_back_memory()  # the clock may have carried many calls past their retention
    return _clock(app)


def list_accounts(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"accounts": [a.details() for a in app.world.accounts.values()]})


def create_account(app: App, params: Params, query: Params, body: Body) -> Reply:
    account = app.world.add_account(body["auth_id"], body.get("token"), body.get("numbers", ()), body.get("rate_limit"))
    return Reply(201, account.details())


def list_webhooks(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"webhooks": app.webhooks.list()})


def reset_world(app: App, params: Params, query: Params, body: Body) -> Reply:
    app.reset()
    return Reply(200, {"status": "reset"})


# -- faults (tryvox_sim/faults.py): the API misbehaving on demand
def list_faults(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"faults": [fault.view() for fault in app.faults.list()]})


def create_fault(app: App, params: Params, query: Params, body: Body) -> Reply:
    operation = body["operation"]
    actions = [op for op in app.spec.operations.values() if op.source == "actions"]
    ops = actions if operation == "*" else [app.spec.operations[operation]]
    refused = canned.check_fault(ops, body.get("status"), body.get("example"))
    if refused is not None:
        pointer, why = refused
        raise ValidationFailed(f"The fault cannot be answered: {why}.", pointer=pointer)
    return Reply(201, app.faults.add(body).view())


def clear_faults(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"removed": app.faults.clear()})


def delete_fault(app: App, params: Params, query: Params, body: Body) -> Reply:
    fault = app.faults.remove(params["fault_id"])
    if fault is None:
        raise FaultNotFound(f"No fault {params['fault_id']}.")
    return Reply(200, fault.view())


# -- the request journal (tryvox_sim/journal.py)
def list_requests(app: App, params: Params, query: Params, body: Body) -> Reply:
    status, limit = query.get("status"), query.get("limit")
    found = app.journal.entries(
        operation=query.get("operation"), auth_id=query.get("auth_id"), call_uuid=query.get("call_uuid"),
        status=int(status) if status else None, limit=int(limit) if limit else None,
    )  # fmt: skip
    return Reply(200, {"requests": found, "size": app.journal.size, "dropped": app.journal.dropped})


def clear_requests(app: App, params: Params, query: Params, body: Body) -> Reply:
    return Reply(200, {"removed": app.journal.clear()})
