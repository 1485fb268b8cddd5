"""HTTP shell through the in-process transport: every status and bad-input class. Self-check is on,
so every response here is also validated against the spec (a mismatch raises SelfCheckError)."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tryvox_sim.contract.spec import Spec
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID as ME
from tryvox_sim.sim.seed import DEFAULT_CALL_UUID, OTHER_AUTH_ID, OTHER_TOKEN
from tryvox_sim.sim.seed import DEFAULT_TOKEN as TOKEN
from tryvox_sim.testing import shared_spec, simulated_api

AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODIES = {  # a valid body per POST action
    "transfer": {
        "to": "+14155559999",
        "caller_id": "+14155551234",
        "answer_url": "https://example.com/transfer-answer",
    },
    "record": {"format": "wav", "max_length": 3600, "trim_silence": True},
    "play": {"url": "https://example.com/hold-music.mp3", "loop": 0},
    "speak": {"text": "Thank you for calling.", "voice": "en-US-Neural-Jenny", "language": "en-US", "engine": "neural"},
    "dtmf": {"digits": "1234*#"},
}
OPS = {"transfer": "transferCall", "record": "startRecording", "play": "playAudio", "speak": "speakText",
       "dtmf": "sendDtmf"}  # fmt: skip


@pytest.fixture
def sim():
    with simulated_api() as s:
        yield s


def post(sim, action, body=None, headers=AUTH, call_uuid=None, auth_id=None, **kw):
    return sim.http.post(sim.path(action, call_uuid, auth_id), json=body, headers=headers, **kw)


def problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


# -- success: the documented bodies, echoing the request
@pytest.mark.parametrize("action", list(BODIES))
def test_each_action_answers_202_with_the_documented_body(sim, action):
    response = post(sim, action, BODIES[action])
    assert response.status_code == 202, response.text
    body = response.json()
    uuid_key = {"transfer": "transfer_uuid", "record": "recording_uuid", "play": "play_uuid",
                "speak": "speak_uuid", "dtmf": "dtmf_uuid"}[action]  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", body[uuid_key])
    expected = {
        "transfer": {"status": "transferring", "to": "+14155559999"},
        "record": {"status": "recording", "format": "wav"},
        "play": {"status": "playing", "url": "https://example.com/hold-music.mp3"},
        "speak": {"status": "speaking", "text": "Thank you for calling."},
        "dtmf": {"status": "sent", "digits": "1234*#"},
    }[action]
    assert {k: v for k, v in body.items() if k != uuid_key} == expected


def test_uuids_are_new_each_time(sim):
    first = post(sim, "dtmf", {"digits": "1"}).json()["dtmf_uuid"]
    assert post(sim, "dtmf", {"digits": "1"}).json()["dtmf_uuid"] != first


@pytest.mark.parametrize(
    "headers", [AUTH, {**AUTH, "Content-Type": "application/json"}, {**AUTH, "Content-Type": "text/plain"}]
)
def test_start_recording_accepts_an_empty_body_with_defaults(sim, headers):
    response = sim.http.post(sim.path("record"), headers=headers)
    assert response.status_code == 202 and response.json()["format"] == "mp3"


def test_stop_recording_answers_200_and_ignores_a_body(sim):
    post(sim, "record", {})
    sim.clock.advance(125)
    response = sim.http.request("DELETE", sim.path("record"), headers=AUTH, content=b"junk")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["duration"]) == ("stopped", 125)
    assert body["url"] == f"https://recordings.tryvox.io/{body['recording_uuid']}.mp3"


def test_the_generated_client_works_against_the_simulator(sim):
    from tryvox_call_actions_client.api.call_actions import send_dtmf, start_recording
    from tryvox_call_actions_client.models import DtmfRequest, DtmfResponse, Problem, RecordRequest

    ok = send_dtmf.sync(auth_id=ME, call_uuid=sim.call_uuid, client=sim.client, body=DtmfRequest(digits="12#"))
    assert isinstance(ok, DtmfResponse) and ok.digits == "12#"
    start_recording.sync(auth_id=ME, call_uuid=sim.call_uuid, client=sim.client, body=RecordRequest())
    again = start_recording.sync(auth_id=ME, call_uuid=sim.call_uuid, client=sim.client, body=RecordRequest())
    assert isinstance(again, Problem) and again.code == "recording_already_running"


# -- 400
@pytest.mark.parametrize("raw", [b"{", b'{"digits": }', b"\xff\xfe", b"", b"NaN", b'{"digits": "1"} x'])
def test_bytes_that_are_not_json_are_400(sim, raw):
    response = sim.http.post(sim.path("dtmf"), content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert "not valid JSON" in problem(response, 400, "invalid_json")["detail"]


def test_huge_integers_are_a_validation_error_not_a_parse_error(sim):
    raw = b'{"max_length": 100000000000000000000000000000}'
    response = sim.http.post(sim.path("record"), content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert problem(response, 422, "validation_failed")["errors"][0]["pointer"] == "/max_length"


# -- 401
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": TOKEN}, {"Authorization": "Basic abc"},
     {"Authorization": "Bearer "}, {"Authorization": "Bearer tvx_sk_test_unknown"}, {"Authorization": "Bearer a b"}],
)  # fmt: skip
def test_missing_malformed_or_unknown_tokens_are_401(sim, headers):
    response = post(sim, "dtmf", BODIES["dtmf"], headers=headers)
    problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "RateLimit-Limit" not in response.headers


def test_token_scheme_is_case_insensitive(sim):
    assert post(sim, "dtmf", BODIES["dtmf"], headers={"Authorization": f"bearer {TOKEN}"}).status_code == 202


# -- 403
@pytest.mark.parametrize("auth_id", [OTHER_AUTH_ID, "nobody", "bad id!", "x" * 200])
def test_another_accounts_auth_id_is_403(sim, auth_id):
    problem(post(sim, "dtmf", BODIES["dtmf"], auth_id=auth_id), 403, "forbidden")


# -- 404
@pytest.mark.parametrize("call_uuid", ["not-a-uuid", DEFAULT_CALL_UUID[:-1], "750e8400-e29b-41d4-a716-446655440000"])
def test_bad_or_unknown_call_uuid_is_404(sim, call_uuid):
    problem(post(sim, "dtmf", BODIES["dtmf"], call_uuid=call_uuid), 404, "call_not_found")


def test_another_accounts_call_is_404(sim):
    theirs = sim.new_call(auth_id=OTHER_AUTH_ID)
    problem(post(sim, "dtmf", BODIES["dtmf"], call_uuid=theirs), 404, "call_not_found")
    response = sim.http.post(sim.path("dtmf", theirs, OTHER_AUTH_ID), json=BODIES["dtmf"],
                             headers={"Authorization": f"Bearer {OTHER_TOKEN}"})  # fmt: skip
    assert response.status_code == 202


def test_unknown_call_is_404_before_the_body_is_looked_at(sim):
    response = post(sim, "dtmf", {"digits": "bad"}, call_uuid="750e8400-e29b-41d4-a716-446655440000")
    problem(response, 404, "call_not_found")


@pytest.mark.parametrize("path", ["/", "/v1", f"/v1/voice/accounts/{ME}/calls", "/nope", "/_sim/nope"])
def test_unknown_paths_are_404(sim, path):
    problem(sim.http.get(path, headers=AUTH), 404, "not_found")


# -- 405
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "OPTIONS", "TRACE", "QUERY", "DELETE"])
def test_undeclared_methods_are_405_with_allow(sim, method):
    response = sim.http.request(method, sim.path("play"), headers=AUTH)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    if method != "HEAD":
        assert response.json()["code"] == "method_not_allowed"


def test_allow_lists_every_declared_method(sim):
    assert sim.http.request("PUT", sim.path("record"), headers=AUTH).headers["Allow"] == "DELETE, POST"


# -- 409
def test_each_conflict_code(sim):
    problem(sim.http.delete(sim.path("record"), headers=AUTH), 409, "no_active_recording")
    post(sim, "record", {})
    problem(post(sim, "record", {}), 409, "recording_already_running")
    post(sim, "transfer", {"to": "+15005550003"})
    for action in BODIES:
        problem(post(sim, action, BODIES[action]), 409, "call_not_in_progress")
    problem(sim.http.delete(sim.path("record"), headers=AUTH), 409, "call_not_in_progress")


# -- 413
def test_bodies_over_64_kib_are_413(sim):
    big = {"digits": "1" * 70_000}
    problem(post(sim, "dtmf", big), 413, "payload_too_large")
    headers = {**AUTH, "Content-Type": "application/json", "Content-Length": "70000"}
    problem(sim.http.post(sim.path("dtmf"), content=b"{}", headers=headers), 413, "payload_too_large")


def test_a_body_of_exactly_64_kib_is_read(sim):
    raw = b'{"digits": "1"}'.ljust(65536)
    response = sim.http.post(sim.path("dtmf"), content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 202


# -- 415
@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "application/problem+json",
                                   "application/merge-patch+json"])  # fmt: skip
def test_bodies_that_are_not_application_json_are_415(sim, ctype):
    headers = dict(AUTH) if ctype is None else {**AUTH, "Content-Type": ctype}
    problem(sim.http.post(sim.path("dtmf"), content=b'{"digits": "1"}', headers=headers), 415, "unsupported_media_type")


def test_content_type_parameters_are_ignored(sim):
    headers = {**AUTH, "Content-Type": "Application/JSON; charset=utf-8"}
    assert sim.http.post(sim.path("dtmf"), content=b'{"digits": "1"}', headers=headers).status_code == 202


# -- 422: cases derived from every constraint of every request schema in the spec
def bad_values(schema: dict) -> list:
    """Values that break exactly one kind of constraint of a property schema (from the spec)."""
    kind = schema.get("type")
    out = [{"string": 12, "integer": "12", "boolean": "yes"}[kind]] if kind else []
    if "enum" in schema:
        out.append("not-in-enum")
    if "minLength" in schema:
        out.append("")
    if "maxLength" in schema:
        out.append("1" * (schema["maxLength"] + 1))
    if "pattern" in schema:
        out.append(next(c for c in [" ", "-", "http://x y", "A"] if not re.search(schema["pattern"], c)))
    if schema.get("format") == "uri":
        out.append("no scheme")
    if "minimum" in schema:
        out.append(schema["minimum"] - 1)
    if "maximum" in schema:
        out.append(schema["maximum"] + 1)
    if kind == "integer":
        out.append(1.5)
    return out


def constraint_cases():
    spec: Spec = shared_spec()
    docs, uri = spec.documents, spec.actions_uri
    cases = []
    for action, op_id in OPS.items():
        schema, s_uri, _ = docs.resolve({"$ref": f"#/components/schemas/{op_id_schema(op_id)}"}, uri, "")
        for name, prop in schema["properties"].items():
            prop, _, _ = docs.resolve(prop, s_uri, "")
            for value in bad_values(prop):
                cases.append(
                    pytest.param(
                        action, {**BODIES[action], name: value}, f"/{name}", id=f"{action}-{name}-{value!r:.20}"
                    )
                )
        for name in schema.get("required", []):
            body = {k: v for k, v in BODIES[action].items() if k != name}
            cases.append(pytest.param(action, body, f"/{name}", id=f"{action}-missing-{name}"))
        cases.append(pytest.param(action, {**BODIES[action], "colour": "red"}, "/colour", id=f"{action}-unknown"))
    return cases


def op_id_schema(op_id):
    return {"transferCall": "TransferRequest", "startRecording": "RecordRequest", "playAudio": "PlayRequest",
            "speakText": "SpeakRequest", "sendDtmf": "DtmfRequest"}[op_id]  # fmt: skip


@pytest.mark.parametrize("action, body, pointer", constraint_cases())
def test_each_schema_constraint_is_a_422_naming_the_field(sim, action, body, pointer):
    errors = problem(post(sim, action, body), 422, "validation_failed")["errors"]
    assert errors and {e["pointer"] for e in errors} == {pointer}, errors


def test_every_error_is_listed(sim):
    body = {"to": "x", "caller_id": "y", "answer_url": "z", "colour": 1, "size": 2}
    pointers = {e["pointer"] for e in problem(post(sim, "transfer", body), 422, "validation_failed")["errors"]}
    assert pointers == {"/to", "/caller_id", "/answer_url", "/colour", "/size"}


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"1", b"true"])
def test_json_that_is_not_an_object_is_422_at_the_root(sim, raw):
    response = sim.http.post(sim.path("dtmf"), content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert [e["pointer"] for e in problem(response, 422, "validation_failed")["errors"]] == [""]


def test_unowned_caller_id_is_422_at_caller_id(sim):
    body = problem(
        post(sim, "transfer", {"to": "+14155559999", "caller_id": "+14155550000"}), 422, "caller_id_not_owned"
    )
    assert body["errors"][0]["pointer"] == "/caller_id"


def test_text_of_3000_characters_is_accepted_and_3001_refused(sim):
    assert post(sim, "speak", {"text": "a" * 3000}).status_code == 202
    problem(post(sim, "speak", {"text": "a" * 3001}), 422, "validation_failed")


# -- 429
def test_rate_limit_headers_and_429_with_retry_after():
    with simulated_api(rate_limit="3/s") as sim:
        responses = [post(sim, "dtmf", BODIES["dtmf"]) for _ in range(4)]
        assert [r.status_code for r in responses] == [202, 202, 202, 429]
        assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        assert responses[0].headers["RateLimit-Limit"] == "3"
        limited = responses[-1]
        problem(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        other = {"Authorization": f"Bearer {OTHER_TOKEN}"}  # each token has its own budget
        assert post(sim, "dtmf", BODIES["dtmf"], headers=other, auth_id=OTHER_AUTH_ID).status_code == 404
        sim.clock.advance(1)  # a new window
        forbidden = post(sim, "dtmf", BODIES["dtmf"], auth_id=OTHER_AUTH_ID)
        assert forbidden.status_code == 403 and forbidden.headers["RateLimit-Remaining"] == "2"
        assert post(sim, "dtmf", BODIES["dtmf"]).status_code == 202


# -- no input gives a 5xx (self-check also validates every response)

_fuzz_sim = None


def _fuzz_app():
    global _fuzz_sim
    if _fuzz_sim is None:
        from tryvox_sim.testing import SimulatedAPI

        _fuzz_sim = SimulatedAPI()
    return _fuzz_sim.app


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({}, optional={k: json_values for k in ["to", "caller_id", "url", "loop", "text",
                                                                "digits", "format", "max_length", "engine"]})
    .map(lambda v: json.dumps(v).encode()),
)  # fmt: skip


@settings(max_examples=250, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "QUERY", "PATCH"]),
    action=st.sampled_from(["transfer", "record", "play", "speak", "dtmf", "nope", ""]),
    auth_id=st.sampled_from([ME, OTHER_AUTH_ID, "", "x y", "%00"]),
    call_uuid=st.sampled_from([DEFAULT_CALL_UUID, "nope", DEFAULT_CALL_UUID.upper()]),
    token=st.sampled_from([TOKEN, OTHER_TOKEN, "", "tvx_sk_test_x"]),
    ctype=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]),
    body=bodies,
)
def test_no_input_gives_a_5xx(method, action, auth_id, call_uuid, token, ctype, body):
    app = _fuzz_app()
    headers = {"authorization": f"Bearer {token}", "content-type": ctype}
    response = app.handle(method, f"/v1/voice/accounts/{auth_id}/calls/{call_uuid}/{action}", "", headers, body)
    assert response.status < 500 and app.unexpected_errors == 0
