"""The breaking-change comparator: each rule with a breaking edit and a compatible one, on the real spec."""

import copy
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tools` lives at the repo root

from tools.breaking import SpecError, compare, main, resolve  # noqa: E402

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi" / "call-actions.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text())
CALL = "/v1/voice/accounts/{auth_id}/calls/{call_uuid}"


def schema(doc, name):
    return doc["components"]["schemas"][name]


def prop(doc, name, field):
    return schema(doc, name)["properties"][field]


def op(doc, action, method="post"):
    return doc["paths"][f"{CALL}/{action}"][method]


def problem_schema(doc, response):
    return doc["components"]["responses"][response]["content"]["application/problem+json"]["schema"]


def www_authenticate(doc):
    return doc["components"]["responses"]["Unauthorized"]["headers"]["WWW-Authenticate"]


def add_query(required):
    def edit(doc):
        op(doc, "dtmf").setdefault("parameters", []).append(
            {"name": "verbose", "in": "query", "required": required, "schema": {"type": "boolean"}}
        )

    return edit


def also(*edits):
    def edit(doc):
        for each in edits:
            each(doc)

    return edit


def nothing(doc):
    pass


# (id, edit of the old copy, edit of the new copy, text expected in a breaking change)
BREAKING = [
    ("removed operation", nothing, lambda d: d["paths"][f"{CALL}/dtmf"].pop("post"), "operation removed"),
    ("removed parameter", add_query(False), nothing, "query parameter 'verbose' removed"),
    ("parameter became required", add_query(False), add_query(True), "'verbose' became required"),
    ("new required parameter", nothing, add_query(True), "required query parameter 'verbose' added"),
    (
        "removed request field",
        nothing,
        lambda d: schema(d, "PlayRequest")["properties"].pop("loop"),
        "request field 'loop' removed",
    ),
    (
        "removed enum value",
        nothing,
        lambda d: prop(d, "RecordRequest", "format").update(enum=["mp3"]),
        "enum value(s) removed: ['wav']",
    ),
    (
        "new required field",
        nothing,
        lambda d: (
            schema(d, "SpeakRequest")["properties"].update(ssml={"type": "boolean"}),
            schema(d, "SpeakRequest")["required"].append("ssml"),
        ),
        "request field 'ssml' added as required",
    ),
    (
        "field became required",
        nothing,
        lambda d: schema(d, "SpeakRequest")["required"].append("voice"),
        "request field 'voice' became required",
    ),
    (
        "pattern changed",
        nothing,
        lambda d: prop(d, "DtmfRequest", "digits").update(pattern="^[0-9]+$"),
        "pattern changed from '^[0-9*#]+$' to '^[0-9]+$'",
    ),
    (
        "pattern added",
        nothing,
        lambda d: prop(d, "RecordRequest", "format").update(pattern="^mp3$"),
        "pattern '^mp3$' added",
    ),
    (
        "maxLength lowered",
        nothing,
        lambda d: prop(d, "SpeakRequest", "text").update(maxLength=2000),
        "maxLength lowered from 3000 to 2000",
    ),
    (
        "maximum lowered",
        nothing,
        lambda d: prop(d, "RecordRequest", "max_length").update(maximum=3600),
        "maximum lowered from 14400 to 3600",
    ),
    (
        "maxLength added",
        lambda d: prop(d, "TransferRequest", "answer_url").pop("maxLength"),
        nothing,
        "maxLength 2048 added",
    ),
    (
        "minLength raised",
        nothing,
        lambda d: prop(d, "DtmfRequest", "digits").update(minLength=2),
        "minLength raised from 1 to 2",
    ),
    (
        "minimum raised",
        nothing,
        lambda d: prop(d, "PlayRequest", "loop").update(minimum=1),
        "minimum raised from 0 to 1",
    ),
    (
        "new enum restriction",
        nothing,
        lambda d: prop(d, "SpeakRequest", "voice").update(enum=["en-US-Neural-Jenny"]),
        "new enum restriction",
    ),
    (
        "additionalProperties closed",
        lambda d: schema(d, "PlayRequest").update(additionalProperties=True),
        nothing,
        "additionalProperties closed",
    ),
    (
        "format added",
        nothing,
        lambda d: prop(d, "SpeakRequest", "voice").update(format="email"),
        "format 'email' added",
    ),
    (
        "request type changed",
        nothing,
        lambda d: prop(d, "RecordRequest", "max_length").update(type="string"),
        "type changed from integer to string",
    ),
    (
        "request body became required",
        nothing,
        lambda d: op(d, "record")["requestBody"].update(required=True),
        "request body became required",
    ),
    (
        "removed response field",
        nothing,
        lambda d: schema(d, "TransferResponse")["properties"].pop("to"),
        "response field 'to' removed",
    ),
    (
        "response field may be absent",
        nothing,
        lambda d: schema(d, "DtmfResponse")["required"].remove("digits"),
        "response field 'digits' is no longer always present",
    ),
    (
        "response type changed",
        nothing,
        lambda d: prop(d, "RecordingStoppedResponse", "duration").update(type="string"),
        "type changed from integer to string",
    ),
    (
        "response type widened to null",
        nothing,
        lambda d: prop(d, "RecordingStoppedResponse", "url").update(type=["string", "null"]),
        "type changed from string to null|string",
    ),
    (
        "response enum value added",
        nothing,
        lambda d: prop(d, "RecordingStartedResponse", "format").update(enum=["mp3", "wav", "ogg"]),
        "new enum value(s) ['ogg']",
    ),
    (
        "response const changed",
        nothing,
        lambda d: prop(d, "PlayResponse", "status").update(const="queued"),
        "new enum value(s) ['queued']",
    ),
    (
        "success status changed",
        nothing,
        lambda d: op(d, "dtmf")["responses"].update({"200": op(d, "dtmf")["responses"].pop("202")}),
        "success status changed from 202 to 200",
    ),
    (
        "response header removed",
        nothing,
        lambda d: d["components"]["responses"]["TooManyRequests"]["headers"].pop("Retry-After"),
        "header Retry-After removed",
    ),
    ("security removed", nothing, lambda d: op(d, "play").update(security=[]), "security changed"),
    (
        "security scheme changed",
        nothing,
        lambda d: d["components"]["securitySchemes"].update(
            bearerAuth={"type": "apiKey", "in": "header", "name": "X-Key"}
        ),
        "security scheme 'bearerAuth' changed",
    ),
    (
        "response header no longer always sent",
        nothing,
        lambda d: www_authenticate(d).update(required=False),
        "header WWW-Authenticate is no longer always sent",
    ),
    (
        "a $ref sibling widens a response enum",
        nothing,
        lambda d: problem_schema(d, "RecordingConflict")["properties"]["code"].update(
            enum=["call_not_in_progress", "recording_already_running", "quota_exceeded"]
        ),
        "response may now hold new enum value(s) ['quota_exceeded']",
    ),
    ("webhook removed", nothing, lambda d: d["webhooks"].pop("transferAnswered"), "webhook removed"),
    (
        "webhook payload removed",
        nothing,
        lambda d: d["webhooks"]["callHangup"]["post"].pop("requestBody"),
        "webhook callHangup POST payload: payload removed",
    ),
    (
        "webhook payload field removed",
        nothing,
        lambda d: schema(d, "CallDetails")["properties"].pop("hangup_cause"),
        "response field 'hangup_cause' removed",
    ),
    (
        "media type removed",
        nothing,
        lambda d: op(d, "speak")["requestBody"]["content"].update(
            {"application/vnd.tryvox+json": op(d, "speak")["requestBody"]["content"].pop("application/json")}
        ),
        "media type application/json removed",
    ),
]

COMPATIBLE = [
    (
        "added operation",
        nothing,
        lambda d: d["paths"].update({f"{CALL}/hold": {"post": copy.deepcopy(op(d, "dtmf"))}}),
        "operation added",
    ),
    ("added optional parameter", nothing, add_query(False), "optional query parameter 'verbose' added"),
    ("parameter no longer required", add_query(True), add_query(False), None),
    (
        "added optional request field",
        nothing,
        lambda d: schema(d, "SpeakRequest")["properties"].update(ssml={"type": "boolean"}),
        "optional request field 'ssml' added",
    ),
    (
        "field no longer required",
        nothing,
        lambda d: schema(d, "TransferRequest").update(required=[]),
        "request field 'to' no longer required",
    ),
    (
        "enum value added",
        nothing,
        lambda d: prop(d, "RecordRequest", "format").update(enum=["mp3", "wav", "ogg"]),
        "enum value(s) added: ['ogg']",
    ),
    (
        "enum restriction removed",
        nothing,
        lambda d: prop(d, "SpeakRequest", "engine").pop("enum"),
        "enum restriction removed",
    ),
    (
        "pattern removed",
        nothing,
        lambda d: prop(d, "DtmfRequest", "digits").pop("pattern"),
        "pattern '^[0-9*#]+$' removed",
    ),
    (
        "maxLength raised",
        nothing,
        lambda d: prop(d, "SpeakRequest", "text").update(maxLength=4000),
        "maxLength raised from 3000 to 4000",
    ),
    (
        "maximum raised",
        nothing,
        lambda d: prop(d, "RecordRequest", "max_length").update(maximum=28800),
        "maximum raised from 14400 to 28800",
    ),
    (
        "maxLength removed",
        nothing,
        lambda d: prop(d, "TransferRequest", "answer_url").pop("maxLength"),
        "maxLength raised from 2048 to None",
    ),
    (
        "minLength lowered",
        nothing,
        lambda d: prop(d, "DtmfRequest", "digits").update(minLength=0),
        "minLength lowered from 1 to 0",
    ),
    ("minimum removed", nothing, lambda d: prop(d, "PlayRequest", "loop").pop("minimum"), "minimum lowered from 0"),
    (
        "additionalProperties opened",
        nothing,
        lambda d: schema(d, "PlayRequest").update(additionalProperties=True),
        "additionalProperties opened",
    ),
    (
        "format removed",
        nothing,
        lambda d: prop(d, "TransferRequest", "answer_url").pop("format"),
        "format 'uri' removed",
    ),
    (
        "request type widened",
        nothing,
        lambda d: prop(d, "RecordRequest", "max_length").update(type="number"),
        "type widened from integer to number",
    ),
    (
        "added response field",
        nothing,
        lambda d: schema(d, "DtmfResponse")["properties"].update(duration_ms={"type": "integer"}),
        "response field 'duration_ms' added",
    ),
    (
        "response type narrowed",
        nothing,
        lambda d: prop(d, "RecordingDetails", "url").update(type="string"),
        "type narrowed from null|string to string",
    ),
    (
        "response enum value removed",
        nothing,
        lambda d: prop(d, "RecordingStartedResponse", "format").update(enum=["mp3"]),
        "response values narrowed",
    ),
    ("response constraint changed", nothing, lambda d: prop(d, "SpeakResponse", "text").update(maxLength=10), None),
    (
        "a $ref sibling narrows an error response",
        lambda d: problem_schema(d, "CallNotFound").pop("properties"),
        nothing,
        "response values narrowed to [404]",
    ),
    (
        "response header now always sent",
        lambda d: www_authenticate(d).update(required=False),
        nothing,
        "header WWW-Authenticate is now always sent",
    ),
    (
        "error response added",
        nothing,
        lambda d: op(d, "dtmf")["responses"].update({"503": copy.deepcopy(op(d, "dtmf")["responses"]["429"])}),
        "response 503 added",
    ),
    (
        "descriptions and examples edited",
        nothing,
        lambda d: (
            d["info"].update(description="New words."),
            op(d, "dtmf").update(summary="Press keys", description="Sends tones."),
            prop(d, "SpeakRequest", "text").update(description="What to say", examples=["Hi"]),
            d["components"]["securitySchemes"]["bearerAuth"].update(description="A token."),
        ),
        None,
    ),
]


def run(edit_old, edit_new):
    old, new = copy.deepcopy(SPEC), copy.deepcopy(SPEC)
    edit_old(old)
    edit_new(new)
    return compare(old, new)


@pytest.mark.parametrize(("edit_old", "edit_new", "expected"), [c[1:] for c in BREAKING], ids=[c[0] for c in BREAKING])
def test_breaking_edit_is_reported(edit_old, edit_new, expected):
    changes = run(edit_old, edit_new)
    messages = [str(c) for c in changes.breaking_changes]
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(
    ("edit_old", "edit_new", "expected"), [c[1:] for c in COMPATIBLE], ids=[c[0] for c in COMPATIBLE]
)
def test_compatible_edit_is_not_breaking(edit_old, edit_new, expected):
    changes = run(edit_old, edit_new)
    assert changes.breaking_changes == []
    if expected is not None:
        assert any(expected in str(c) for c in changes.compatible_changes), changes.compatible_changes


def test_identical_specs_have_no_changes():
    assert run(nothing, nothing).items == []


def test_a_shared_schema_change_is_reported_where_clients_meet_it():
    changes = run(nothing, lambda d: schema(d, "E164Number").update(maxLength=12))
    places = {c.where for c in changes.breaking_changes}
    assert places == {f"POST {CALL}/transfer request body.to", f"POST {CALL}/transfer request body.caller_id"}


def test_resolve_merges_ref_siblings_and_stops_on_recursion():
    doc = {
        "a": {"type": "string", "description": "A"},
        "tree": {"properties": {"child": {"$ref": "#/tree"}}},
        "use": {"$ref": "#/a", "description": "B"},
    }
    assert resolve(doc["use"], doc) == {"type": "string", "description": "B"}
    # siblings apply together with the target: a narrowed property keeps the target's other keywords
    doc["problem"] = {"required": ["status"], "properties": {"status": {"type": "integer"}, "code": {"type": "string"}}}
    doc["conflict"] = {"$ref": "#/problem", "required": ["code"], "properties": {"status": {"const": 409}}}
    assert resolve(doc["conflict"], doc) == {
        "required": ["status", "code"],
        "properties": {"status": {"type": "integer", "const": 409}, "code": {"type": "string"}},
    }
    assert resolve(doc["tree"], doc)["properties"]["child"]["properties"]["child"] == {"$ref": "#/tree"}


@pytest.mark.parametrize("ref", ["#/components/schemas/Missing", "other.yaml#/Thing"])
def test_unresolvable_refs_are_clear_errors(ref):
    new = copy.deepcopy(SPEC)
    prop(new, "DtmfRequest", "digits")["$ref"] = ref
    with pytest.raises(SpecError, match="ref"):
        compare(SPEC, new)


def test_cli_exit_codes_and_report(tmp_path, capsys):
    new = copy.deepcopy(SPEC)
    prop(new, "SpeakRequest", "text")["maxLength"] = 100
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new))
    (tmp_path / "bad.yaml").write_text("openapi: [unclosed")
    assert main([str(SPEC_PATH), str(SPEC_PATH)]) == 0
    assert main([str(SPEC_PATH), str(tmp_path / "new.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"BREAKING  POST {CALL}/speak request body.text: maxLength lowered from 3000 to 100" in out
    assert main([str(SPEC_PATH), str(tmp_path / "bad.yaml")]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_malformed_documents_are_clear_errors():
    broken = copy.deepcopy(SPEC)
    op(broken, "dtmf")["requestBody"] = "not a request body"
    with pytest.raises(SpecError, match="unexpected document structure"):
        compare(SPEC, broken)
    with pytest.raises(SpecError, match="unexpected document structure"):
        compare(SPEC, {"openapi": "3.1.0", "paths": ["not", "a", "mapping"]})
    with pytest.raises(SpecError, match="not an OpenAPI document"):
        compare(SPEC, {"info": {}})
