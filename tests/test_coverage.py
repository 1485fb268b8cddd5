"""tryvox_contract/coverage.py, html_report.py, polite.py and preflight.py: what a contract run reached, the
page a person opens after a failure, the pace and the 429 retries, the one-request check of the target."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from fault_proxy import FaultProxy
from tryvox_contract import HERE as SUITE
from tryvox_contract import coverage, html_report, journal, polite
from tryvox_contract.coverage import JunitCase, measure
from tryvox_contract.preflight import PreflightFailed, preflight
from tryvox_contract.target import Target, start_simulator

from tryvox_sim.contract.invariants import INVARIANTS, Scope
from tryvox_sim.testing import shared_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC = shared_spec()
CONFIG = coverage.load_config()
CALL = "650e8400-e29b-41d4-a716-446655440000"
DTMF = f"/v1/voice/accounts/sim_account/calls/{CALL}/dtmf"


def entry(by="examples", method="POST", path=DTMF, status=202, body='{"digits": "1"}', **extra) -> dict:
    return {"by": by, "method": method, "path": path, "status": status, "body": body, **extra}


def run(entries=(), junit=(), *, simulator=True, required=100.0, config=CONFIG) -> coverage.Coverage:
    return measure(SPEC, list(entries), list(junit), config, simulator=simulator, required=required)


def items(cov: coverage.Coverage, dimension: str) -> dict[str, coverage.Item]:
    [found] = [d for d in cov.dimensions if d.name == dimension]
    return {item.id: item for item in found.items}


# -- what the spec declares


def test_every_documented_status_of_every_operation_is_an_item():
    statuses = items(run(), "statuses")
    assert len(statuses) == sum(len(op.responses) for op in coverage.actions(SPEC)) == 56
    assert {"stopRecording 200", "transferCall 413", "sendDtmf 429"} <= set(statuses)
    assert "stopRecording 413" not in statuses, "only what the spec documents"


def test_links_are_read_from_the_spec_and_named_as_schemathesis_names_them():
    links = coverage.spec_links(SPEC)
    assert len(links) == 21
    stop = next(link for link in links if link.source.op_id == "startRecording" and link.name == "StopRecording")
    assert stop.id == ("POST /v1/voice/accounts/{auth_id}/calls/{call_uuid}/record -> [202] StopRecording -> "
                       "DELETE /v1/voice/accounts/{auth_id}/calls/{call_uuid}/record")  # fmt: skip
    assert stop.parameters == {"auth_id": "$request.path.auth_id", "call_uuid": "$request.path.call_uuid"}


def test_request_constraints_are_read_from_the_spec():
    keys = {c.key: c for c in coverage.request_constraints(SPEC)}
    assert keys[("sendDtmf", "body", "digits", "pattern")].value == "^[0-9*#]+$"
    assert keys[("sendDtmf", "body", "digits", "maxLength")].value == 100
    assert ("sendDtmf", "body", "digits", "required") in keys
    assert ("sendDtmf", "body", "*", "additionalProperties") in keys
    assert keys[("startRecording", "body", "format", "enum")].value == ["mp3", "wav"]
    assert keys[("playAudio", "body", "loop", "minimum")].value == 0
    assert keys[("transferCall", "path", "call_uuid", "format")].value == "uuid"
    assert ("startRecording", "body", "max_length", "format") not in keys, "int32 is a size hint nothing checks"
    assert not any(key[0] == "stopRecording" and key[1] == "body" for key in keys), "no body, no body constraint"


# -- what the run reached


def test_statuses_are_reached_by_phases_and_tests():
    cov = run([entry(), entry(by="behaviour", test="test_behaviour_x.py::test_y[1]"), entry(by="coverage", status=422)])
    statuses = items(cov, "statuses")
    assert statuses["sendDtmf 202"].reached and statuses["sendDtmf 202"].detail == (
        "examples 1; tests: test_behaviour_x.py::test_y[1]"
    )
    assert statuses["sendDtmf 422"].reached and not statuses["sendDtmf 413"].reached
    assert not items(cov, "statuses")["playAudio 202"].reached


def test_control_plane_and_undeclared_methods_do_not_count():
    cov = run([entry(path="/_sim/calls", status=201), entry(method="PUT", status=405)])
    assert not any(item.reached for item in items(cov, "statuses").values())


def test_a_constraint_counts_only_when_a_request_breaking_it_is_refused_for_it():
    broken = '{"digits": "12A"}'
    constraints = items(run([entry(status=401, body=broken), entry(status=409, body=broken)]), "constraints")
    assert not constraints["sendDtmf body digits: pattern ^[0-9*#]+$"].reached, "a 401 or 409 says nothing of it"
    constraints = items(run([entry(status=422, body=broken, by="coverage")]), "constraints")
    assert constraints["sendDtmf body digits: pattern ^[0-9*#]+$"].reached
    assert not constraints["sendDtmf body digits: maxLength 100"].reached
    missing_and_extra = entry(status=422, body='{"colour": 1}')
    constraints = items(run([missing_and_extra]), "constraints")
    assert constraints["sendDtmf body digits: required"].reached
    assert constraints["sendDtmf body: unknown field"].reached


def test_path_constraints_count_with_an_empty_segment_too():
    empty = entry(by="behaviour", test="t", path=f"/v1/voice/accounts//calls/{CALL}/dtmf", status=404)
    long = entry(by="behaviour", test="t", path=f"/v1/voice/accounts/sim_account/calls/{'a' * 37}/dtmf", status=404)
    constraints = items(run([empty, long]), "constraints")
    assert constraints["sendDtmf path auth_id: minLength 1"].reached
    assert constraints["sendDtmf path call_uuid: maxLength 36"].reached
    assert constraints["sendDtmf path call_uuid: format uuid"].reached


def test_links_are_followed_by_the_stateful_phase_or_a_test():
    [first, second, *_] = coverage.spec_links(SPEC)
    cov = run([{"by": "link", "case": "abc", "link": first.id}, {"by": "link", "test": "t.py::x", "link": second.id}])
    links = items(cov, "links")
    assert links[first.label].detail == "stateful 1" and links[second.label].detail == "tests: t.py::x"
    assert [d.reached for d in cov.dimensions if d.name == "links"] == [2]


def test_invariants_add_up_across_processes_and_a_broken_one_is_not_covered():
    names = [str(rule) for rule, inv in INVARIANTS.items() if inv.reads is not Scope.RUN]
    cov = run([
        {"by": "invariants", "checked": dict.fromkeys(names, 2), "broken": {}},
        {"by": "invariants", "checked": {"echo": 3}, "broken": {"echo": 1}},
    ])  # fmt: skip
    invariants = items(cov, "invariants")
    assert invariants["echo"].detail == "checked on 5, broken by 1" and not invariants["echo"].reached
    assert invariants["stop-after-stop"].reached
    assert not items(run(), "invariants")["stop-after-stop"].reached, "never checked is not covered"


def test_retries_count_a_429_sent_again():
    entries = [
        entry(case="A", status=429), entry(case="A", status=202),  # schemathesis waited it out
        entry(case="B", status=429),  # a 429 left as the answer: not a retry
        {"by": "retry", "method": "POST", "path": DTMF, "wait": 1},  # the behaviour tests' transport
    ]  # fmt: skip
    assert coverage.count_retries(entries) == 2


def test_notes_passed_failed_skipped_and_untestable():
    config = {
        "notes": [
            {"section": "S", "note": "passes", "tests": ["a.py::t1", "a.py::t2"]},
            {"section": "S", "note": "fails", "tests": ["a.py::t1", "a.py::t3"]},
            {"section": "S", "note": "skipped", "tests": ["a.py::t4"]},
            {"section": "S", "note": "not run", "tests": ["a.py::t5"]},
            {"section": "S", "note": "cannot", "untestable": "no answer shows it"},
        ]
    }
    junit = [
        JunitCase("a.py::t1", "passed"), JunitCase("a.py::t2", "passed"), JunitCase("a.py::t2", "passed"),
        JunitCase("a.py::t3", "failed", "boom"), JunitCase("a.py::t4", "skipped", "needs the control plane"),
    ]  # fmt: skip
    cov = run(junit=junit, config=config)
    notes = items(cov, "notes")
    assert notes["S: passes"].reached
    assert not notes["S: fails"].reached and notes["S: fails"].detail == "failed: a.py::t3"
    assert notes["S: skipped"].detail == "skipped: a.py::t4 (needs the control plane)"
    assert notes["S: not run"].detail == "skipped: a.py::t5 (not run)"
    assert not notes["S: cannot"].counted and "no answer shows it" in notes["S: cannot"].detail
    [dimension] = [d for d in cov.dimensions if d.name == "notes"]
    assert (dimension.reached, dimension.total) == (1, 4)


NEEDS = "needs the simulator's control plane (/_sim), which a deployment does not have"


def test_notes_only_the_simulator_can_show_are_counted_apart_against_a_deployment():
    config = {
        "notes": [
            {"section": "S", "note": "outside", "tests": ["a.py::t1", "a.py::t2"]},
            {"section": "S", "note": "inside", "tests": ["a.py::t2"]},
            {"section": "S", "note": "configure", "tests": ["a.py::t1", "a.py::t3"]},
        ]
    }
    junit = [
        JunitCase("a.py::t1", "passed"), JunitCase("a.py::t2", "skipped", NEEDS),
        JunitCase("a.py::t3", "skipped", "ends the call in use: give --call-command"),
    ]  # fmt: skip
    cov = run(junit=junit, config=config, simulator=False, required=0)
    notes = items(cov, "notes")
    assert (
        notes["S: outside"].reached
        and notes["S: outside"].detail == f"passed: a.py::t1; needs the simulator: a.py::t2 ({NEEDS})"
    )
    inside = notes["S: inside"]
    assert (inside.reached, inside.counted, coverage.mark(inside)) == (False, False, "◌")
    assert inside.detail == f"needs the simulator: a.py::t2 ({NEEDS})"
    assert not notes["S: configure"].reached and notes["S: configure"].counted, "a skip the user can lift counts"
    [dimension] = [d for d in cov.dimensions if d.name == "notes"]
    assert (dimension.reached, dimension.total, dimension.apart) == (1, 2, 1)


def test_invariants_that_need_the_simulator_are_counted_apart_against_a_deployment_only():
    needing = [inv.name for inv in INVARIANTS.values() if inv.needs]
    assert sorted(needing) == ["completed-call", "recording-details", "transfer-webhook"]
    deployment = items(run(simulator=False, required=0), "invariants")
    assert not deployment["completed-call"].counted and deployment["completed-call"].detail.startswith(
        "checked on 0, broken by 0; needs the simulator: a call's status"
    )
    assert deployment["echo"].counted, "what the answers show is a deployment's to keep"
    assert all(item.counted for item in items(run(), "invariants").values()), "a simulator shows them all"
    broken = run([{"by": "invariants", "checked": {"completed-call": 1}, "broken": {"completed-call": 1}}],
                 simulator=False, required=0)  # fmt: skip
    assert items(broken, "invariants")["completed-call"].counted, "a broken promise counts wherever it was seen"
    cov = run(simulator=False, required=0)
    assert "| Invariants checked, none broken | 0 | 21 | 0.0 | 0 | 3 |" in coverage.markdown(cov)
    text = coverage.text_table(cov, SPEC)
    assert "simulator only: invariants: transfer-webhook (checked on 0, broken by 0; needs the simulator:" in text
    assert json_ready(cov)["dimensions"]["invariants"]["simulator_only"] == 3


def test_a_status_only_the_simulator_reaches_on_purpose_is_counted_apart_unless_answered():
    test = f"{coverage.STATUS_TEST}[sendDtmf-429]"
    lift = f"{coverage.STATUS_TEST}[transferCall-202]"
    junit = [JunitCase(coverage.STATUS_TEST, "skipped", f"429 needs an account with a tiny rate limit: {NEEDS}", test),
             JunitCase(coverage.STATUS_TEST, "skipped", "set TVX_SAFE_TRANSFER_TO", lift)]  # fmt: skip
    statuses = items(run(junit=junit, simulator=False, required=0), "statuses")
    assert not statuses["sendDtmf 429"].counted and statuses["sendDtmf 429"].detail.startswith(
        "needs the simulator: 429"
    )
    assert statuses["transferCall 202"].counted, "a skip the user can lift counts"
    assert items(run(junit=junit), "statuses")["sendDtmf 429"].counted, "the simulator reaches it"
    answered = run([entry(status=429)], junit, simulator=False, required=0)
    assert items(answered, "statuses")["sendDtmf 429"].reached, "a deployment that answered it reached it"


def json_ready(cov: coverage.Coverage) -> dict:
    return json.loads(json.dumps(cov.as_json()))


def test_junit_cases_keep_the_test_id_and_outcome(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite><testcase classname="tryvox_contract.test_a" name="test_x[1]"/>'
        '<testcase classname="tryvox_contract.test_a" name="test_y"><failure message="m">trace</failure></testcase>'
        '<testcase classname="tryvox_contract.test_a" name="test_z"><skipped message="why"/></testcase>'
        "</testsuite></testsuites>"
    )
    cases = coverage.read_junit_cases(report)
    assert [(c.test, c.id, c.outcome) for c in cases] == [
        ("test_a.py::test_x", "test_a.py::test_x[1]", "passed"),
        ("test_a.py::test_y", "test_a.py::test_y", "failed"),
        ("test_a.py::test_z", "test_a.py::test_z", "skipped"),
    ]
    assert (cases[1].message, cases[1].text, cases[2].message) == ("m", "trace", "why")


# -- the gate


def test_the_gate_fails_each_dimension_below_the_required_percentage():
    cov = run([entry()])
    assert not cov.passed and {d.name for d in cov.below()} == {
        "statuses",
        "notes",
        "links",
        "constraints",
        "invariants",
    }
    assert run([entry()], required=0).passed


@pytest.mark.parametrize(
    ("min_coverage", "simulator", "expected"),
    [("", True, 100.0), ("", False, float(CONFIG["min-coverage"])), ("80", True, 80.0), ("92.5", False, 92.5)],
)
def test_required_percent(min_coverage, simulator, expected):
    assert coverage.required_percent(min_coverage, CONFIG, simulator=simulator) == expected


@pytest.mark.parametrize("bad", ["101", "-1", "lots"])
def test_a_bad_min_coverage_is_refused(bad):
    with pytest.raises(ValueError):
        coverage.required_percent(bad, CONFIG, simulator=False)


def test_the_markdown_and_the_console_table_give_the_figures():
    cov = run([entry()], required=90)
    md = coverage.markdown(cov)
    assert "| Documented statuses answered | 1 | 56 | 1.8 | 90 |  |" in md
    assert "Gate: FAILED: statuses, notes, links, constraints, invariants" in md
    assert "| ✓ | `sendDtmf 202` | examples 1 |" in md
    text = coverage.text_table(cov, SPEC)
    assert re.search(r"sendDtmf\s+·\s+✓\s+✗", text), text
    assert "not reached: statuses: sendDtmf 413" in text


# -- the Note-to-test table: data the report reads, and the README generated from it


def docs_notes() -> list[tuple[str, str]]:
    page = (ROOT / "openapi" / "source" / "public-docs-page.txt").read_text()
    notes_part = page.split("}Notes\n", 1)[1]
    sections = ["General", "Recording", "Transfer", "Audio Playback", "Text-to-Speech", "DTMF"]
    found, section = [], None
    for line in notes_part.replace("status - ", "status\n- ").splitlines():
        if line in sections:
            section = line
        elif line.startswith("- "):
            found.append((section, line[2:]))
        elif found:  # a Note wrapped onto the next line
            found[-1] = (found[-1][0], found[-1][1] + " " + line)
    return found


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def test_every_note_of_the_docs_page_is_a_row():
    rows = [(n["section"], squash(n["note"])) for n in CONFIG["notes"] if n["section"] != "Spec"]
    assert rows == [(section, squash(note)) for section, note in docs_notes()]
    assert len(rows) == 21


def test_every_row_names_tests_that_exist_or_says_why_not():
    unit = {p.name: p.read_text() for p in (ROOT / "tests").glob("test_*.py")}
    for note in CONFIG["notes"]:
        assert bool(note.get("tests")) != bool(note.get("untestable")), note
        for test in note.get("tests", []):
            file, name = test.split("::")
            assert f"def {name}(" in (SUITE / file).read_text(), test
        for test in note.get("unit", []):
            file, name = test.split("::")
            assert f"def {name}(" in unit[file], test


def test_the_sites_table_is_generated_from_the_data():
    readme = (ROOT / "docs" / "reference" / "notes.md").read_text()
    assert coverage.TABLE_START in readme, "docs/reference/notes.md lost its Note-to-test table markers"
    rewrite = "run: make site (it writes docs/reference/)"
    assert coverage.readme_with_table(readme, CONFIG) == readme, rewrite


# -- the HTML page of a failed run


def test_the_html_report_shows_each_failure_with_its_curl_line_and_response(tmp_path):
    har = {"log": {"entries": [{
        "request": {"headers": [{"name": "X-Schemathesis-TestCaseId", "value": "c1"}]},
        "response": {"status": 201, "headers": [{"name": "content-type", "value": "application/json"}],
                     "content": {"text": '{"dtmf_uuid": "x"}'}},
    }]}}  # fmt: skip
    (tmp_path / "schemathesis.har").write_text(json.dumps(har))
    (tmp_path / "schemathesis.json").write_text(json.dumps({"seed": 7, "test_cases": {"generated": 3}}))
    (tmp_path / "behaviour-junit.xml").write_text(
        '<testsuite><testcase classname="tryvox_contract.test_b" name="test_c"><failure message="assert 1 == 2">'
        "long trace</failure></testcase></testsuite>"
    )
    lines = [
        {"by": "failure", "case": "c1", "check": "status_code_conformance", "code": "ST103",
         "title": "Undocumented status code", "message": "Received: 201", "curl": "curl -X POST http://h/dtmf"},
        entry(by="behaviour", test="test_b.py::test_c", url="http://h" + DTMF, headers={"Authorization": "[Filtered]"},
              answer='{"code": "nope"}', answer_type="application/json", status=500),
    ]  # fmt: skip
    (tmp_path / "traffic.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    page = html_report.render(tmp_path, run([entry()]), "Contract run <seed 7>", secrets=("long",))
    assert "Contract run &lt;seed 7&gt;" in page
    assert "ST103 Undocumented status code" in page and "status_code_conformance" in page
    assert "curl -X POST http://h/dtmf" in page and "HTTP 201" in page and "dtmf_uuid" in page
    assert "test_b.py::test_c" in page and "[Filtered] trace" in page and "HTTP 500" in page, "the secret is hidden"
    assert "-H &#x27;Authorization: [Filtered]&#x27;" in page, "the behaviour request as curl, token hidden"
    assert "Documented statuses answered" in page
    assert not re.search(r"<(script|link|img)\b", page), "self-contained: nothing to fetch"


# -- polite runs


def test_the_pacer_spaces_requests_by_the_rate():
    pacer = polite.Pacer(50)
    started = time.monotonic()
    for _ in range(6):
        pacer.wait()
    assert time.monotonic() - started >= 5 / 50  # a busy machine only makes it slower
    assert polite.Pacer(None).interval == 0, "no TVX_RATE_LIMIT: no wait"


@pytest.mark.parametrize(("text", "rate"), [("", None), ("10", 10.0), ("0.5", 0.5)])
def test_rate_limit_values(text, rate):
    assert polite.parse_rate(text) == rate


@pytest.mark.parametrize("bad", ["fast", "0", "-2", "1e9"])
def test_bad_rate_limits_are_refused(bad):
    with pytest.raises(ValueError, match="TVX_RATE_LIMIT"):
        polite.parse_rate(bad)


def test_a_429_is_retried_after_its_retry_after_and_journalled(tmp_path, monkeypatch):
    monkeypatch.setenv(journal.ENV, str(tmp_path / "traffic.jsonl"))
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(202)])
    transport = polite.PoliteTransport(inner=httpx.MockTransport(lambda request: next(answers)))
    with httpx.Client(transport=transport) as http:
        assert http.post("http://h/v1/x", json={}).status_code == 202
    [line] = journal.read(tmp_path / "traffic.jsonl")
    assert (line["by"], line["path"], line["wait"]) == ("retry", "/v1/x", 0.0)


def test_a_429_is_given_back_after_the_last_retry_or_without_retry_after():
    sent = []

    def limited(request, retry_after="0"):
        sent.append(request)
        return httpx.Response(429, headers={"Retry-After": retry_after} if retry_after else {})

    for retry, answer, attempts in [(True, limited, 1 + polite.MAX_RETRIES), (False, limited, 1),
                                    (True, lambda request: limited(request, retry_after=""), 1)]:  # fmt: skip
        sent.clear()
        with httpx.Client(transport=polite.PoliteTransport(retry=retry, inner=httpx.MockTransport(answer))) as http:
            assert http.get("http://h/").status_code == 429
        assert len(sent) == attempts


# -- the preflight: one request, one clear message


@pytest.fixture(scope="module")
def simulator():
    target = start_simulator()
    yield target
    target.stop()


def with_env(simulator: Target, **env) -> Target:
    return Target(env={**simulator.env, **env})


def test_a_good_target_passes_and_nothing_changes(simulator):
    call = simulator.control.create_call()["call_uuid"]
    assert "are good" in preflight(with_env(simulator, TVX_CALL_UUID=call))
    assert simulator.control.get_call(call)["recordings"] == []


def test_a_running_recording_is_stopped_and_said_so(simulator):
    call = simulator.control.create_call()["call_uuid"]
    headers = {"Authorization": f"Bearer {simulator.env['TVX_API_TOKEN']}"}
    path = f"{simulator.base_url}/v1/voice/accounts/{simulator.env['TVX_AUTH_ID']}/calls/{call}/record"
    assert httpx.post(path, headers=headers).status_code == 202
    assert "running recording was stopped" in preflight(with_env(simulator, TVX_CALL_UUID=call))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TVX_BASE_URL": "http://127.0.0.1:9"}, "http://127.0.0.1:9 is not reachable: ConnectError"),
        ({"TVX_API_TOKEN": "tvx_sk_test_nobody_000000000000"}, "TVX_API_TOKEN is refused"),
        ({"TVX_AUTH_ID": "other_account"}, "TVX_AUTH_ID other_account is not the account of TVX_API_TOKEN"),
        ({"TVX_CALL_UUID": "750e8400-e29b-41d4-a716-446655440000"}, "is unknown in account sim_account"),
        ({"TVX_CALL_UUID": "not-a-call"}, "TVX_CALL_UUID 'not-a-call' is not a UUID"),
    ],
)
def test_each_unusable_target_gets_one_message(simulator, env, message):
    with pytest.raises(PreflightFailed, match=re.escape(message)):
        preflight(with_env(simulator, **env))


def test_a_call_not_in_progress_is_refused(simulator):
    call = simulator.control.create_call(status="ringing")["call_uuid"]
    with pytest.raises(PreflightFailed, match=f"TVX_CALL_UUID {call} is not in progress"):
        preflight(with_env(simulator, TVX_CALL_UUID=call))


def test_a_server_that_is_not_the_api_is_named(simulator):
    def not_the_api(exchange):
        exchange.status, exchange.headers, exchange.body = 404, {"content-type": "text/html"}, b"<h1>Not Found</h1>"

    with FaultProxy(simulator.base_url, before=not_the_api) as url:
        with pytest.raises(PreflightFailed, match="does not answer as the Call Actions API: DELETE .* gave 404"):
            preflight(with_env(simulator, TVX_BASE_URL=url))


def test_a_target_still_starting_is_waited_for_only_when_asked(simulator, refused_url):
    refused = []

    def starting(exchange):  # a load balancer with nothing behind it yet, for the first two requests
        if len(refused) < 2:
            refused.append(exchange.path)
            exchange.status, exchange.headers, exchange.body = 503, {"content-type": "text/plain"}, b"no upstream"

    call = simulator.control.create_call()["call_uuid"]
    with FaultProxy(simulator.base_url, before=starting) as url:
        with pytest.raises(PreflightFailed, match="does not answer as the Call Actions API: DELETE .* gave 503"):
            preflight(with_env(simulator, TVX_BASE_URL=url, TVX_CALL_UUID=call))
        refused.clear()
        proved = preflight(with_env(simulator, TVX_BASE_URL=url, TVX_CALL_UUID=call), wait_for=10)
    assert len(refused) == 2, refused
    waited = re.search(r"are good \(it answered after (\d+) s\)$", proved)  # two pauses of 1 s, more when busy
    assert waited and int(waited[1]) >= 2, proved
    started = time.monotonic()
    with pytest.raises(PreflightFailed, match=re.escape(f"{refused_url} is not reachable after waiting 1.5 s")):
        preflight(with_env(simulator, TVX_BASE_URL=refused_url), wait_for=1.5)
    assert 0.9 < time.monotonic() - started < 5
