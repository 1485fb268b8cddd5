"""Every `$ref` stands alone: the specs say with `allOf: [{$ref: …}]` what they said with siblings of `$ref`.

Spec 1.1.2 rewrote each `$ref` that had sibling keywords (JSON Schema 2020-12 reads both the same, but Redocly
Respect closed the siblings and openapi-python-client dropped them). Here each rewritten schema is put back in its
old form, and both forms judge the same bodies alike under jsonschema-rs: every example of both specs, every value
inside them, and generated variants of each (a key dropped, a key added, each value replaced by values of other
kinds and by values from elsewhere). Then `make lint`'s rule refuses the old form, naming where it is.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = {name: ROOT / "openapi" / name for name in ("call-actions.yaml", "simulator.yaml")}
DOCS = {name: yaml.safe_load(path.read_text()) for name, path in FILES.items()}
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"


def walk(node: Any, pointer: str = ""):
    """(JSON pointer, node) for every mapping in a document."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def rewritten(doc: dict) -> list[str]:
    """Where the portable form stands: a schema whose allOf is one $ref, with keywords of its own beside it."""
    return [
        pointer
        for pointer, node in walk(doc)
        if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1 and set(node["allOf"][0]) == {"$ref"}
        and len(node) > 1 and "/examples/" not in pointer
    ]  # fmt: skip


def old_form(node: dict) -> dict:
    """The same schema as spec 1.1.1 wrote it: the $ref with the other keywords as its siblings."""
    return {"$ref": node["allOf"][0]["$ref"], **{key: value for key, value in node.items() if key != "allOf"}}


def at(doc: dict, pointer: str) -> dict:
    node: Any = doc
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def registry(docs: dict[str, dict]) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(FILES[name].as_uri(), doc) for name, doc in docs.items()])


def validator(reg: jsonschema_rs.Registry, name: str, pointer: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(
        {"$ref": f"{FILES[name].as_uri()}#{pointer}"}, registry=reg, validate_formats=True
    )


def examples() -> list[Any]:
    """Every example value of both specs (`examples/*/value` and `example`)."""
    found = []
    for doc in DOCS.values():
        for pointer, node in walk(doc):
            if "/examples/" in pointer and "value" in node and pointer.count("/examples/") == 1:
                found.append(node["value"])
            if "example" in node and not isinstance(node["example"], dict | list):
                found.append(node["example"])
    return found


def values_in(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from values_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from values_in(value)


OTHER_KINDS = [None, True, 0, -1, 409, 4.5, "", "x", "+14155559999", "not a uuid", [], {}, "a" * 70]
# Answers of the simulator no example of the specs shows: a fault in force (createFault's 201, listFaults).
KNOWN = [
    {"id": "f1", "operation": "sendDtmf", "status": 429, "delay_ms": 0, "times": 1, "probability": 1, "applied": 0},
    {"id": "f2", "operation": "*", "fault": "reset", "delay_ms": 50, "times": 0, "probability": 0.5, "applied": 3,
     "auth_id": "sim_account", "call_uuid": "650e8400-e29b-41d4-a716-446655440000"},
]  # fmt: skip


def corpus() -> list[Any]:
    """Known bodies and generated variants of them, deduplicated; both valid and invalid ones for every schema."""
    inner = [value for example in [*examples(), *KNOWN] for value in values_in(example)]
    scalars = list({json.dumps(value): value for value in inner if not isinstance(value, dict | list)}.values())
    bodies: list[Any] = [*inner, *OTHER_KINDS]
    for body in (value for value in inner if isinstance(value, dict)):
        bodies.append({**body, "unexpected_field": 1})
        for key in body:
            bodies.append({k: v for k, v in body.items() if k != key})
            bodies.extend({**body, key: other} for other in [*OTHER_KINDS, *scalars[::15]])
    return list({json.dumps(body, sort_keys=True): body for body in bodies}.values())


CORPUS = corpus()
SITES = [(name, pointer) for name, doc in DOCS.items() for pointer in rewritten(doc)]


def test_every_ref_with_siblings_was_rewritten():
    # 15 error responses and 2 request fields of the API's spec, 2 fault fields of the simulator's (its FaultDefinition
    # and Fault are since written as two allOf branches, their own fields in the second: nothing beside a $ref)
    assert len([s for s in SITES if s[0] == "call-actions.yaml"]) == 17
    assert len([s for s in SITES if s[0] == "simulator.yaml"]) == 2
    with_siblings = [
        f"{name}#{pointer}"
        for name, doc in DOCS.items()
        for pointer, node in walk(doc)
        if "$ref" in node and len(node) > 1
    ]
    assert with_siblings == []


@pytest.fixture(scope="module")
def both_forms() -> tuple[jsonschema_rs.Registry, jsonschema_rs.Registry]:
    old_docs = copy.deepcopy(DOCS)
    for name, pointer in SITES:
        parent, key = pointer.rsplit("/", 1)
        container = at(old_docs[name], parent) if parent else old_docs[name]
        container[key.replace("~1", "/").replace("~0", "~")] = old_form(at(DOCS[name], pointer))
    return registry(DOCS), registry(old_docs)


@pytest.mark.parametrize(("name", "pointer"), SITES, ids=[f"{n}#{p}" for n, p in SITES])
def test_old_and_new_forms_accept_and_refuse_the_same_bodies(both_forms, name, pointer):
    new, old = (validator(reg, name, pointer) for reg in both_forms)
    verdicts = [(new.is_valid(body), old.is_valid(body), body) for body in CORPUS]
    assert [body for now, was, body in verdicts if now != was] == []
    assert any(now for now, _, _ in verdicts), "no body in the corpus fits: the comparison would prove nothing"
    assert not all(now for now, _, _ in verdicts), "every body fits: the comparison would prove nothing"


def test_the_narrowing_still_narrows(both_forms):
    """The form moved, the constraint stayed: a 409 of stop recording is one of its two codes, nothing else."""
    new, _ = both_forms
    conflict = "/components/responses/StopRecordingConflict/content/application~1problem+json/schema"
    check = validator(new, "call-actions.yaml", conflict)
    body = {"type": "https://docs.tryvox.io/errors/no-active-recording", "title": "No active recording", "status": 409,
            "code": "no_active_recording"}  # fmt: skip
    assert check.is_valid(body)
    assert not check.is_valid({**body, "code": "call_not_found"})
    assert not check.is_valid({**body, "status": 404})
    assert not check.is_valid({key: value for key, value in body.items() if key != "title"})


def plant(tmp_path: Path, name: str, pointer: str, node: dict) -> Path:
    """A copy of a spec with `node` put at `pointer`; both specs copied, so cross-file refs resolve."""
    docs = copy.deepcopy(DOCS)
    parent, key = pointer.rsplit("/", 1)
    at(docs[name], parent)[key] = node
    for each, doc in docs.items():
        (tmp_path / each).write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp_path / name


def test_lint_refuses_a_ref_with_siblings_naming_where(tmp_path):
    """`make lint`'s rule, in one Spectral run over planted copies of both specs (openapi/forms.spectral.yaml runs
    the rule of .spectral.yaml alone; `make lint` runs .spectral.yaml itself on the API's spec)."""
    rules = yaml.safe_load((ROOT / ".spectral.yaml").read_text())["rules"]
    assert rules["tryvox-ref-alone"]["severity"] == "error" and rules["tryvox-ref-alone"]["resolved"] is False
    api = plant(tmp_path, "call-actions.yaml", "/components/schemas/DtmfRequest/properties/digits",
                {"$ref": "#/components/schemas/E164Number", "description": "planted"})  # fmt: skip
    sim = tmp_path / "simulator.yaml"
    docs = yaml.safe_load(sim.read_text())
    docs["components"]["schemas"]["Clock"]["properties"]["now"] = {"$ref": "#/components/schemas/Clock", "maxLength": 9}
    sim.write_text(yaml.safe_dump(docs, sort_keys=False))
    ruleset = ROOT / "openapi" / "forms.spectral.yaml"
    done = subprocess.run(
        [str(SPECTRAL), "lint", "--ruleset", str(ruleset), str(api), str(sim)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = sorted(line.split()[-1] for line in done.stdout.splitlines() if "tryvox-ref-alone" in line)
    assert done.returncode != 0, done.stdout
    assert found == ["components.schemas.Clock.properties.now", "components.schemas.DtmfRequest.properties.digits"]
    assert "#/components/schemas/DtmfRequest/properties/digits" in done.stdout  # the message names the pointer too


def test_each_error_answer_is_still_narrowed_to_its_status_and_codes(both_forms):
    """The rewrite kept every narrowing: each error response of each operation admits its own status only, and
    exactly the codes its examples show (checked on the schema as jsonschema-rs reads it, not on its text)."""
    new, _ = both_forms
    spec = DOCS["call-actions.yaml"]
    seen = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                name = response["$ref"].rsplit("/", 1)[-1]
                media = spec["components"]["responses"][name]["content"]["application/problem+json"]
                pointer = f"/components/responses/{name}/content/application~1problem+json/schema"
                check = validator(new, "call-actions.yaml", pointer)
                where = f"{method.upper()} {path} {status}"
                for example in media["examples"].values():
                    body = example["value"]
                    assert check.is_valid(body), f"{where}: its own example"
                    assert not check.is_valid({**body, "status": 418}), f"{where}: another status"
                    assert not check.is_valid({**body, "code": "some_other_code"}), f"{where}: another code"
                seen += 1
    assert seen == 50  # every documented error status of the six operations
