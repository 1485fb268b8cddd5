"""The interoperability matrix (tools/interop.py, `make interop`): its committed table is what the pinned versions
give, it checks every documented answer, and a tool that disagrees fails the run in its own words."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tools` lives at the repo root

from tools import interop  # noqa: E402

DOC = yaml.safe_load(interop.SPEC.read_text())


def test_the_committed_table_is_what_the_pinned_versions_give():
    assert interop.TABLE.read_text() == interop.render(interop.rows()), "docs/interop.md is stale: run make interop"
    assert interop.main(["--check"]) == 0


def test_each_row_names_a_pinned_tool_and_readme_links_the_table():
    table = interop.rows()
    assert [row.tool for row in table] == [name for name, _ in interop.TOOLS]
    assert all(row.version and row.version[0].isdigit() for row in table)
    readme = (interop.ROOT / "README.md").read_text()
    assert "(docs/interop.md)" in readme


def test_the_typescript_programs_hold_every_answer():
    hey, oats = interop.typescript_program(DOC)
    documented = interop.answers(DOC)
    errors = [answer for answer in documented if answer.status >= 400]
    assert len(documented) == 56 and len(errors) == 50
    assert hey.count(": Hey.Problem = {} as Hey.") == len(errors)  # each error answer is still a Problem
    assert "Holds<Same<Hey.StopRecordingErrors[409]['code'], 'call_not_in_progress' | 'no_active_recording'>>" in hey
    assert oats.count("Holds<Same<Body<") == len(documented)  # the two generators agree on every answer


def test_a_tool_that_disagrees_fails_the_run_in_its_own_words(tmp_path, monkeypatch, capsys):
    """The form spec 1.1.2 avoided, `allOf: [{$ref: Problem}, {…}]`, makes openapi-python-client leave every error
    answer out: its own warning fails the run."""
    doc = copy.deepcopy(DOC)
    schema = doc["components"]["responses"]["CallNotFound"]["content"]["application/problem+json"]["schema"]
    narrowing = {key: value for key, value in schema.items() if key != "allOf"}
    doc["components"]["responses"]["CallNotFound"]["content"]["application/problem+json"]["schema"] = {
        "allOf": [*schema["allOf"], {"type": "object", **narrowing}]
    }
    planted = tmp_path / "call-actions.yaml"
    planted.write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.setattr(interop, "SPEC", planted)
    work = tmp_path / "work"
    work.mkdir()
    verdict = interop.check_python_client(work)
    [problem] = verdict["openapi-python-client"]
    assert "can't be merged with Literal[404]" in problem

    monkeypatch.setattr(interop, "stale_installs", lambda: [])
    monkeypatch.setattr(interop, "interop", lambda: (interop.rows(verdict), 1.0))
    assert interop.main([]) == 1
    err = capsys.readouterr().err
    assert "openapi-python-client 0.29.1 disagrees:" in err and "can't be merged with Literal[404]" in err


def test_an_install_that_is_not_the_pinned_one_stops_the_run(monkeypatch, capsys):
    monkeypatch.setattr(interop, "installed", lambda package: "0.0.1")
    assert interop.main([]) == 2
    assert "is installed, the lock pins" in capsys.readouterr().err


def test_prism_proxy_violations_are_read_from_its_log():
    log = (
        "[1:16:45 AM] ›     [VALIDATOR] ✖  error     Violation: response.body.code Response body property code must be "
        "equal to one of the allowed values: call_not_in_progress, nothing_to_stop\n"
        "[1:16:48 AM] ›     [VALIDATOR] ✖  error     Violation: request.body.digits Request body property digits must "
        'match pattern "^[0-9*#]+$"\n'
        "[1:16:49 AM] ›     [PROXY] ℹ  info      < Received forward response\n"
    )
    assert interop.response_violations(log) == [
        "response.body.code: Response body property code must be equal to one of the allowed values: "
        "call_not_in_progress, nothing_to_stop"
    ]
