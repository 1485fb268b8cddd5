"""The control plane under /_sim/ (described in openapi/simulator.yaml): drive the simulated world."""

from pathlib import Path

from .clock import iso
from .docs import served_page
from .domain import DEFAULT_FROM
from .errors import DomainError

DOCS_HTML = Path(__file__).resolve().parent.parent / "build" / "docs" / "index.html"


def health(app, params, query, body):
    return 200, {"status": "ok"}


def spec_yaml(app, params, query, body):
    return 200, app.spec_yaml, "application/yaml"


def spec_json(app, params, query, body):
    return 200, app.spec_json, "application/json"


def docs(app, params, query, body):
    try:
        return 200, served_page(DOCS_HTML, app), "text/html; charset=utf-8"
    except OSError:
        raise DomainError(
            404, "docs_not_built", "Docs not built", "build/docs/index.html is missing: run `make docs` first."
        ) from None


def create_call(app, params, query, body):
    world = app.world
    call = world.new_call(
        body.get("auth_id", world.seed[0]),
        body.get("from", DEFAULT_FROM),
        body.get("to"),
        body.get("status", "in-progress"),
        body.get("hangup_url"),
    )
    return 201, world.call_view(call)


def list_calls(app, params, query, body):
    world = app.world
    world.settle_all()
    auth_id, status = query.get("auth_id"), query.get("status")
    calls = [
        world.call_view(c)
        for c in world.calls.values()
        if (auth_id is None or c.auth_id == auth_id) and (status is None or c.status == status)
    ]
    return 200, {"calls": calls}


def get_call(app, params, query, body):
    return 200, app.world.call_view(app.world.find_call(params["call_uuid"]))


def call_events(app, params, query, body):
    return 200, {"events": app.world.find_call(params["call_uuid"]).timeline()}


def answer(app, params, query, body):
    return 200, app.world.call_view(app.world.answer(params["call_uuid"]))


def hangup(app, params, query, body):
    return 200, app.world.call_view(app.world.hangup(params["call_uuid"]))


def press(app, params, query, body):
    return 200, app.world.call_view(app.world.caller_presses(params["call_uuid"], body["digits"]))


def clock_view(app) -> dict:
    now = app.world.clock.now()
    return {"now": iso(now), "epoch": now, "mode": app.world.clock.mode}


def get_clock(app, params, query, body):
    return 200, clock_view(app)


def advance_clock(app, params, query, body):
    app.world.advance(body["seconds"])
    return 200, clock_view(app)


def list_accounts(app, params, query, body):
    return 200, {"accounts": [a.details() for a in app.world.accounts.values()]}


def create_account(app, params, query, body):
    account = app.world.add_account(body["auth_id"], body.get("token"), body.get("numbers", ()))
    return 201, account.details()


def list_webhooks(app, params, query, body):
    return 200, {"webhooks": app.webhooks.list()}


def reset(app, params, query, body):
    app.reset()
    return 200, {"status": "reset"}


HANDLERS = {
    "getHealth": health,
    "getSpecYaml": spec_yaml,
    "getSpecJson": spec_json,
    "getDocs": docs,
    "createCall": create_call,
    "listCalls": list_calls,
    "getCall": get_call,
    "getCallEvents": call_events,
    "answerCall": answer,
    "hangupCall": hangup,
    "pressDigits": press,
    "getClock": get_clock,
    "advanceClock": advance_clock,
    "listAccounts": list_accounts,
    "createAccount": create_account,
    "listWebhooks": list_webhooks,
    "resetWorld": reset,
}
