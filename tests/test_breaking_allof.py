"""The breaking-change gate reads `allOf` as the conjunction it is: rewriting `$ref` siblings into `allOf` (spec 1.1.2)
is no change, while a real change inside the new form is still found."""

import copy
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tools` lives at the repo root

from tools.breaking import compare, fold_all_of, resolve  # noqa: E402

SPEC = yaml.safe_load((Path(__file__).resolve().parents[1] / "openapi" / "call-actions.yaml").read_text())
CONFLICT = "StopRecordingConflict"


def problem_schema(doc, response):
    return doc["components"]["responses"][response]["content"]["application/problem+json"]["schema"]


def as_siblings(doc):
    """The spec as 1.1.1 wrote it: every one-branch `allOf` of a `$ref` back as the `$ref` with siblings."""
    if isinstance(doc, dict):
        branches = doc.get("allOf")
        if isinstance(branches, list) and len(branches) == 1 and set(branches[0]) == {"$ref"}:
            doc = {"$ref": branches[0]["$ref"], **{k: v for k, v in doc.items() if k != "allOf"}}
        return {key: as_siblings(value) for key, value in doc.items()}
    if isinstance(doc, list):
        return [as_siblings(item) for item in doc]
    return doc


def test_the_rewrite_to_allof_is_no_change_to_clients():
    old = as_siblings(copy.deepcopy(SPEC))
    assert old != SPEC and problem_schema(old, CONFLICT)["$ref"] == "#/components/schemas/Problem"
    assert compare(old, SPEC).items == []
    assert compare(SPEC, old).items == []


def test_a_change_inside_the_allof_form_is_still_found():
    new = copy.deepcopy(SPEC)
    problem_schema(new, CONFLICT)["properties"]["code"]["enum"].append("call_on_hold")
    breaking = [str(change) for change in compare(SPEC, new).breaking_changes]
    assert any("response 409.code: response may now hold new enum value(s) ['call_on_hold']" in c for c in breaking)


def test_fold_merges_branches_and_keeps_contradicting_ones_as_written():
    doc = {"a": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}}
    node = {"allOf": [{"$ref": "#/a"}], "required": ["y"], "properties": {"x": {"const": 4}, "y": {"type": "string"}}}
    assert resolve(node, doc) == {
        "type": "object",
        "required": ["x", "y"],
        "properties": {"x": {"type": "integer", "const": 4}, "y": {"type": "string"}},
    }
    contradicting = {"allOf": [{"maxLength": 3}, {"maxLength": 5}]}
    assert fold_all_of(contradicting) == contradicting
    described = {"allOf": [{"type": "string", "description": "A"}], "description": "B"}
    assert fold_all_of(described) == {"type": "string", "description": "B"}
