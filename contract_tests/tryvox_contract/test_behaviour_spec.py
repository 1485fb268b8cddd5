"""Every documented status of every operation, every link and every request constraint of the spec, reached
on purpose.

The operations, their statuses, request examples, links and constraints are read from the spec
(coverage.py); how to make an operation answer a status is one recipe per status here, and a
status the spec gains without a recipe fails (so does a constraint `breaking` has no value for). The coverage
gate needs each reached: schemathesis reaches most by chance, these reach them every run.
On a deployment, a transfer is sent only to TVX_SAFE_TRANSFER_TO, and one the API would accept (it ends the call)
only on a call the test may end (conftest.ending_call: fresh calls from --call-command); a 409 for an action is
asked on a call transferred for it (conftest.transferred_call).
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

from tryvox_contract import journal, spec_file
from tryvox_contract.checks import client_args, current_test
from tryvox_contract.conftest import NEEDS_CONTROL_PLANE, NO_TRANSFER
from tryvox_contract.coverage import Constraint, documented_statuses, request_constraints, spec_links
from tryvox_sim.contract.spec import Operation, Spec

SPEC = Spec(spec_file())  # the spec this run tests (--spec, --spec-ref), else the suite's own
OTHER_ACCOUNT = "not_my_account_42"
MAX_BODY = 64 * 1024  # the spec's PayloadTooLarge: bodies over 64 KiB


def example(op: Operation) -> dict | None:
    """The operation's request example from the docs page, as the spec holds it (None: no body)."""
    body = SPEC.actions_doc["paths"][op.template][op.method.lower()].get("requestBody")
    return body["content"]["application/json"]["examples"]["docs"]["value"] if body else None


class Caller:
    """Raw requests to the API (wrong content types, oversized bodies), checked and journalled like the rest."""

    def __init__(self, target, http: httpx.Client):
        self.target, self.http = target, http
        self.auth_id, self.token = target.env["TVX_AUTH_ID"], target.env["TVX_API_TOKEN"]

    def send(self, op: Operation, call: str, *, auth_id=None, token=None, body=None, content=None, ctype=None):
        path = op.template.format(auth_id=self.auth_id if auth_id is None else auth_id, call_uuid=call)
        headers = {} if token == "" else {"Authorization": f"Bearer {token or self.token}"}
        body = example(op) if body is None and content is None else body
        if body is not None and op.op_id == "transferCall" and not self.target.is_simulator:
            body = self.safe_transfer(body)
        if body is not None:
            content, ctype = json.dumps(body).encode(), "application/json"
        if ctype:
            headers["Content-Type"] = ctype
        return self.http.request(op.method, self.target.base_url + path, content=content, headers=headers)

    def safe_transfer(self, body: dict) -> dict:
        """On a deployment a transfer body, even one the API should refuse, dials only TVX_SAFE_TRANSFER_TO."""
        safe = self.target.env.get("TVX_SAFE_TRANSFER_TO")
        if not safe:
            pytest.skip(NO_TRANSFER)
        return {**body, "to": safe} if body.get("to") == example(SPEC.operations["transferCall"])["to"] else body

    def start_recording(self, call: str) -> None:
        assert self.send(SPEC.operations["startRecording"], call).status_code == 202


@pytest.fixture(scope="module")
def caller(target):
    with httpx.Client(timeout=10, **client_args()) as http:
        yield Caller(target, http)


def ended_call(control) -> str:
    call = control.create_call()["call_uuid"]
    control.hangup_call(call)
    return call


def status_answer(status: int, op: Operation, caller: Caller, call: str, request):
    """Make `op` answer `status` on `call` (an in-progress call of the account, no recording running)."""
    if 200 <= status < 300:
        if op.op_id == "stopRecording":
            caller.start_recording(call)
        return caller.send(op, call)
    if status == 400:
        return caller.send(op, call, content=b'{"digits": ', ctype="application/json")
    if status == 401:
        return caller.send(op, call, token="")
    if status == 403:
        return caller.send(op, call, auth_id=OTHER_ACCOUNT)
    if status == 404:
        return caller.send(op, str(uuid.uuid4()))
    if status == 409:
        if op.op_id == "stopRecording":
            return caller.send(op, call)  # nothing to stop: no_active_recording, on any target
        if caller.target.is_simulator:
            return caller.send(op, ended_call(request.getfixturevalue("control")))
        return caller.send(op, request.getfixturevalue("transferred_call"))  # what a deployment can show
    if status == 413:
        return caller.send(op, call, body={**example(op), "padding": "x" * MAX_BODY})
    if status == 415:
        return caller.send(op, call, content=b"digits=1", ctype="text/plain")
    if status == 422:
        return caller.send(op, call, body={**example(op), "unknown_field": 1})
    if status == 429:
        return rate_limited(op, caller, request.getfixturevalue("control"))
    raise AssertionError(f"no recipe for status {status} of {op.op_id}: add one to status_answer")


def rate_limited(op: Operation, caller: Caller, control):
    """A 429: an account whose own limit is 1 request a minute, asked again (the limit is per token)."""
    account = control.create_account(f"limited_{uuid.uuid4().hex[:12]}", rate_limit="1/min")
    call = control.create_call(auth_id=account["auth_id"])["call_uuid"]
    with httpx.Client(timeout=10, **client_args(retry=False)) as http:  # the 429 is what this test wants
        limited = Caller(caller.target, http)
        limited.auth_id, limited.token = account["auth_id"], account["token"]
        for _ in range(3):  # on a real clock the minute may turn between two requests: the third is refused then
            response = limited.send(op, call)
            if response.status_code == 429:
                break
    assert int(response.headers.get("retry-after", "0")) >= 1, "a 429 says when to retry"
    return response


@pytest.mark.parametrize(
    ("op", "status"),
    documented_statuses(SPEC),
    ids=[f"{op.op_id}-{status}" for op, status in documented_statuses(SPEC)],
)
def test_every_documented_status_is_reached(target, caller, call_uuid, request, op, status):
    if op.op_id == "transferCall" and status < 300:
        call_uuid = request.getfixturevalue("ending_call")  # an accepted transfer ends the call
    if status == 429 and not target.is_simulator:
        pytest.skip(f"429 needs an account with a tiny rate limit: {NEEDS_CONTROL_PLANE}")
    response = status_answer(status, op, caller, call_uuid, request)
    assert response.status_code == status, f"{op.op_id}: expected {status}, got {response.status_code} {response.text}"
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "link", spec_links(SPEC), ids=[f"{link.source.op_id}-{link.name}" for link in spec_links(SPEC)]
)
def test_every_link_leads_to_an_accepted_request(target, caller, call_uuid, link, request):
    """Answer the link's status, then send its target with the parameters the link names."""
    if link.target.op_id == "transferCall":
        call_uuid = request.getfixturevalue("ending_call")  # an accepted transfer ends the call
    if link.source.op_id == "stopRecording":
        caller.start_recording(call_uuid)
    first = caller.send(link.source, call_uuid)
    assert first.status_code == link.status, first.text
    path = {"auth_id": caller.auth_id, "call_uuid": call_uuid}  # what $request.path.<name> reads
    values = {}
    for name, expression in link.parameters.items():
        m = re.fullmatch(r"\$request\.path\.(\w+)", expression)
        assert m, f"{link.id}: only $request.path expressions are followed here, not {expression}"
        values[name] = path[m[1]]
    if link.target.op_id == "stopRecording" and link.source.op_id != "startRecording":
        caller.start_recording(values["call_uuid"])
    second = caller.send(link.target, values["call_uuid"], auth_id=values["auth_id"])
    assert second.status_code == link.target.success, f"{link.id}: {second.status_code} {second.text}"
    journal.record(by="link", link=link.id, test=current_test())


CONSTRAINTS = request_constraints(SPEC)
PATH_CONSTRAINTS = [c for c in CONSTRAINTS if c.where == "path"]
BODY_CONSTRAINTS = [c for c in CONSTRAINTS if c.where == "body"]


def breaking(constraint: Constraint):
    """A value of the field that breaks this constraint of the spec (it may break others of the field too)."""
    keyword, value = constraint.keyword, constraint.value
    if keyword == "minLength":
        return "a" * (value - 1)
    if keyword == "maxLength":
        return "a" * (value + 1)
    if keyword in ("minimum", "exclusiveMinimum"):
        return value - 1 if keyword == "minimum" else value
    if keyword in ("maximum", "exclusiveMaximum"):
        return value + 1 if keyword == "maximum" else value
    if keyword == "pattern":
        return next(c for c in ("not.an.id!", "white space", "A", "") if not re.search(value, c))
    if keyword == "enum":
        return "not-one-of-" + "-".join(map(str, value))
    if keyword == "format" and value in ("uuid", "uri"):
        return f"not a {value}"
    raise AssertionError(f"no value breaking {constraint.id}: add one to breaking()")


@pytest.mark.parametrize("constraint", PATH_CONSTRAINTS, ids=[c.id.replace(" ", "-") for c in PATH_CONSTRAINTS])
def test_path_parameters_outside_their_schema_are_refused(caller, call_uuid, constraint):
    op = SPEC.operations[constraint.operation]
    bad = breaking(constraint)
    kwargs = {"auth_id": bad} if constraint.field == "auth_id" else {}
    response = caller.send(op, bad if constraint.field == "call_uuid" else call_uuid, **kwargs)
    assert response.status_code in {400, 403, 404, 422}, f"{constraint.id}: {response.status_code} {response.text}"


@pytest.mark.parametrize("constraint", BODY_CONSTRAINTS, ids=[c.id.replace(" ", "-") for c in BODY_CONSTRAINTS])
def test_each_body_constraint_broken_is_a_422_naming_the_field(caller, call_uuid, constraint):
    """The docs example with one field made to break one constraint (schemathesis' coverage phase breaks each
    too, but on a random call id now and then, which answers 404 before the body is read)."""
    op = SPEC.operations[constraint.operation]
    body = dict(example(op))
    if constraint.keyword == "required":
        del body[constraint.field]
    elif constraint.keyword == "additionalProperties":
        body["unknown_field"] = 1
    else:
        body[constraint.field] = breaking(constraint)
    response = caller.send(op, call_uuid, body=body)
    assert response.status_code == 422, f"{constraint.id}: {response.status_code} {response.text}"
    field = "unknown_field" if constraint.keyword == "additionalProperties" else constraint.field
    assert f"/{field}" in {error["pointer"] for error in response.json()["errors"]}, response.text
