"""The spec checks itself: every example fits its schema, and the docs' examples are in it verbatim."""

import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from tryvox_sim.contract.spec import METHODS, unescape

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
DOCS_PAGE = (ROOT / "openapi" / "source" / "public-docs-page.txt").read_text()


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[unescape(part)]
        node = target
    return node


def operations():
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def media_types():
    """Every (where, media type object) pair that can hold examples."""
    for path, method, op in operations():
        body = resolve(op.get("requestBody", {}))
        for ctype, media in body.get("content", {}).items():
            yield f"{method.upper()} {path} request {ctype}", media
        for status, response in op["responses"].items():
            for ctype, media in resolve(response).get("content", {}).items():
                yield f"{method.upper()} {path} {status} {ctype}", media


def validator(schema):
    # Embedding the components lets local "#/components/..." references resolve.
    return jsonschema_rs.validator_for({**schema, "components": SPEC["components"]}, validate_formats=True)


EXAMPLES = [
    pytest.param(media["schema"], name, example, id=f"{where} {name}")
    for where, media in media_types()
    for name, example in media.get("examples", {}).items()
]


def test_every_media_type_has_examples():
    missing = [where for where, media in media_types() if not media.get("examples")]
    assert not missing


@pytest.mark.parametrize(("schema", "name", "example"), EXAMPLES)
def test_example_fits_its_schema(schema, name, example):
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in validator(schema).iter_errors(resolve(example)["value"])
    ]
    assert errors == [], f"example {name!r} breaks its schema"


def test_schemas_reject_what_the_docs_forbid():
    schemas = SPEC["components"]["schemas"]
    assert not validator(schemas["DtmfRequest"]).is_valid({"digits": "12A4"})
    assert not validator(schemas["SpeakRequest"]).is_valid({"text": "x" * 3001})
    assert validator(schemas["SpeakRequest"]).is_valid({"text": "x" * 3000})
    assert not validator(schemas["RecordRequest"]).is_valid({"format": "ogg"})
    assert not validator(schemas["PlayRequest"]).is_valid({"url": "https://example.com/a.ogg"})
    assert not validator(schemas["TransferRequest"]).is_valid({"to": "4155559999"})
    assert not validator(schemas["TransferRequest"]).is_valid({"to": "+14155559999", "colour": "red"})


def docs_examples():
    """(section title, request JSON or None, response JSON) for each operation on the docs page."""
    # A section starts with its title, a one-line summary and "Endpoint" (titles follow the last "}" directly).
    titled = re.split(
        r"(Transfer Call|Start Recording|Stop Recording|Play Audio|Speak Text|Send DTMF)(?=\n[^\n]*\nEndpoint)",
        DOCS_PAGE.split("\nNotes\n")[0],
    )
    found = []
    for title, section in zip(titled[1::2], titled[2::2], strict=True):
        request = re.search(r"-d '(\{.*?\})'", section, re.S)
        response = re.search(r"Response\n(\{.*?\n\})", section, re.S)
        found.append((title, request and json.loads(request.group(1)), json.loads(response.group(1))))
    return found


SUMMARY_TO_OPERATION = {op["summary"]: (path, method, op) for path, method, op in operations()}


def test_docs_page_yields_six_operations():
    assert [title for title, _, _ in docs_examples()] == [
        "Transfer Call",
        "Start Recording",
        "Stop Recording",
        "Play Audio",
        "Speak Text",
        "Send DTMF",
    ]


@pytest.mark.parametrize(("title", "request_body", "response_body"), docs_examples(), ids=lambda v: str(v)[:20])
def test_docs_examples_are_in_the_spec_verbatim(title, request_body, response_body):
    path, method, op = SUMMARY_TO_OPERATION[title]
    if request_body is not None:
        media = resolve(op["requestBody"])["content"]["application/json"]
        assert resolve(media["examples"]["docs"])["value"] == request_body
    success = next(status for status in op["responses"] if status.startswith("2"))
    media = resolve(op["responses"][success])["content"]["application/json"]
    assert resolve(media["examples"]["docs"])["value"] == response_body


def test_docs_paths_and_methods_match_the_spec():
    documented = set(re.findall(r"\n(POST|DELETE) https://api\.tryvox\.io(\S+?)(?:Request|Example|\n)", DOCS_PAGE))
    in_spec = {(method.upper(), path) for path, method, _ in operations()}
    assert documented == in_spec


def test_every_operation_declares_security_and_no_default_response():
    for path, method, op in operations():
        assert op.get("security") == [{"bearerAuth": []}], (method, path)
        assert "default" not in op["responses"], (method, path)
        assert op.get("operationId") and op.get("tags") and op.get("summary") and op.get("description")
        assert {"401", "403", "404", "409", "429"} <= set(op["responses"]), (method, path)


def test_every_error_status_has_a_named_problem_example():
    for path, method, op in operations():
        for status, response in op["responses"].items():
            if status.startswith("4"):
                media = resolve(response)["content"]["application/problem+json"]
                assert media["examples"], (method, path, status)
                assert all(resolve(e)["value"]["status"] == int(status) for e in media["examples"].values())


def test_rate_limited_responses_carry_retry_after():
    too_many = SPEC["components"]["responses"]["TooManyRequests"]
    assert resolve(too_many["headers"]["Retry-After"])["required"] is True


def test_links_chain_actions_on_the_same_call():
    links = SPEC["components"]["responses"]["RecordingStarted"]["links"]
    assert resolve(links["StopRecording"])["operationId"] == "stopRecording"
    for link in SPEC["components"]["links"].values():
        assert link["parameters"] == {
            "auth_id": "$request.path.auth_id",
            "call_uuid": "$request.path.call_uuid",
        }


def test_webhooks_cover_hangup_and_transfer_answer():
    assert set(SPEC["webhooks"]) == {"callHangup", "transferAnswered"}
    details = SPEC["components"]["schemas"]["CallDetails"]
    assert "recordings" in details["required"]
