"""One class per problem code: the specs' problem examples and tryvox_sim/problems.py agree both ways."""

from collections import Counter

import pytest

from tryvox_sim.contract import problems
from tryvox_sim.contract.problems import DETAIL_MAX, CallerIdNotOwned, MethodNotAllowed, Problem, ValidationFailed
from tryvox_sim.contract.spec import CALL_ACTIONS_SPEC, SIMULATOR_SPEC, Documents, escape
from tryvox_sim.wire.response import PROBLEM, Response


def problem_examples():
    """(where, example value) for every example in both specs whose value is a problem document."""
    documents = Documents(CALL_ACTIONS_SPEC, SIMULATOR_SPEC)
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "examples" and isinstance(value, dict):
                    for name, example in value.items():
                        if isinstance(example.get("value"), dict) and "code" in example["value"]:
                            found.append((f"{where}/examples/{name}", example["value"]))
                walk(value, f"{where}/{escape(str(key))}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}")

    for uri, doc in documents.docs.items():
        walk(doc, uri.rsplit("/", 1)[-1] + "#")
    return documents, found


DOCUMENTS, EXAMPLES = problem_examples()
CLASSES = [cls for cls in vars(problems).values() if isinstance(cls, type) and issubclass(cls, Problem)]
CLASSES.remove(Problem)
BY_CODE = {cls.code: cls for cls in CLASSES}


def test_each_problem_code_has_exactly_one_class():
    assert [code for code, n in Counter(cls.code for cls in CLASSES).items() if n > 1] == []


def test_every_code_in_the_specs_examples_has_a_class_and_every_class_an_example():
    in_examples = {value["code"] for _, value in EXAMPLES}
    assert sorted(in_examples - BY_CODE.keys()) == [], "codes in the specs' examples without a class"
    assert sorted(BY_CODE.keys() - in_examples) == [], "classes whose code no spec example shows"


def test_both_specs_hold_problem_examples():
    files = {where.split("#")[0] for where, _ in EXAMPLES}
    assert files == {"call-actions.yaml", "simulator.yaml"}


@pytest.mark.parametrize(("where", "example"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_matches_its_class_and_the_problem_schema(where, example):
    cls = BY_CODE[example["code"]]
    assert (example["status"], example["title"], example["type"]) == (cls.status, cls.title, cls.type)
    problem_schema = DOCUMENTS.validator(CALL_ACTIONS_SPEC.resolve().as_uri(), "/components/schemas/Problem")
    assert [e.message for e in problem_schema.iter_errors(example)] == []


def test_detail_is_cut_at_the_specs_limit():
    schema, _, _ = DOCUMENTS.resolve({"$ref": "#/components/schemas/Problem"}, CALL_ACTIONS_SPEC.as_uri(), "")
    assert DETAIL_MAX == schema["properties"]["detail"]["maxLength"]
    body = ValidationFailed("x" * (DETAIL_MAX + 500)).body()
    assert len(body["detail"]) == DETAIL_MAX


def test_a_pointer_becomes_the_one_field_error():
    body = CallerIdNotOwned("+14155550000 is not owned.", pointer="/caller_id").body()
    assert body == {
        "type": "https://docs.tryvox.io/errors/caller-id-not-owned",
        "title": "Caller ID not owned",
        "status": 422,
        "code": "caller_id_not_owned",
        "detail": "+14155550000 is not owned.",
        "errors": [{"pointer": "/caller_id", "message": "+14155550000 is not owned."}],
    }


def test_a_problem_response_carries_the_problems_headers_then_the_extra_ones():
    problem = MethodNotAllowed("PUT is not allowed.", headers=[("Allow", "GET")])
    response = Response.problem(problem, [("RateLimit-Limit", "5")])
    status, headers, body, fault = response.status, response.headers, response.body, response.fault
    assert (status, headers) == (405, [("content-type", PROBLEM), ("Allow", "GET"), ("RateLimit-Limit", "5")])
    assert fault is None
    assert body.startswith(b'{"type":"https://docs.tryvox.io/errors/method-not-allowed"')
