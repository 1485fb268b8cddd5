"""The contract runner's guard rails (clear refusals, live-key safety, what a deployment skips) and, against a
simulator behind tests/fault_proxy.py, its preflight (unreachable, token refused), its polite pace and
429 retries, and what it reports when the API drifts: the gate, the HTML page, the CI job summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
import httpx
from fault_proxy import FaultProxy, Relayed
from tryvox_contract import target as target_module
from tryvox_contract.runner import read_junit
from tryvox_contract.target import TargetError, from_environment, identify, start_simulator

from tryvox_sim.contract.problems import RateLimited, Unauthorized
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID
from tryvox_sim.wire.response import Response

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = "http://127.0.0.1:9"  # discard port: nothing listens, the control-plane probe fails fast
COMPLETE = {
    "TVX_BASE_URL": NOWHERE,
    "TVX_API_TOKEN": "tvx_sk_test_abc",
    "TVX_AUTH_ID": "acct",
    "TVX_CALL_UUID": DEFAULT_CALL_UUID,
}


RUN_INPUTS = ("MIN_COVERAGE", "PYTEST_ADDOPTS", "GITHUB_STEP_SUMMARY")
# The run's shape is given as flags of `tryvox-contract` (make contract turns its variables into them).
FLAGS = {"SEED": "--seed", "PHASES": "--phases", "MAX_EXAMPLES": "--max-examples", "REPORT_DIR": "--report-dir"}


def run_runner(timeout: float = 60, **env) -> subprocess.CompletedProcess:
    """`python -m tryvox_contract` (the command) with SEED, PHASES, MAX_EXAMPLES and REPORT_DIR as its flags and the
    rest as its environment."""
    # Each test names its own REPORT_DIR: the runner empties it, and reports/ is `make contract`'s, maybe running now.
    assert "REPORT_DIR" in env, "run_runner needs a REPORT_DIR of the test's own"
    flags = [word for name, flag in FLAGS.items() if name in env for word in (flag, env.pop(name))]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TVX_") and k not in RUN_INPUTS}
    clean["TVX_WORKFLOWS"] = "0"  # what these runs prove is not the workflows' (tests/test_workflows.py): 2 s less each
    return subprocess.run(
        [sys.executable, "-m", "tryvox_contract", *flags],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_missing_values_get_one_clear_message(tmp_path):
    result = run_runner(TVX_BASE_URL=NOWHERE, TVX_API_TOKEN="tvx_sk_test_abc", REPORT_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "TVX_AUTH_ID, TVX_CALL_UUID" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_live_key_is_refused_without_opt_in(tmp_path):
    result = run_runner(**{**COMPLETE, "TVX_API_TOKEN": "tvx_sk_live_abc"}, REPORT_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "TVX_ALLOW_LIVE=1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_seed_is_refused(tmp_path):
    result = run_runner(**COMPLETE, SEED="abc", REPORT_DIR=str(tmp_path))
    assert result.returncode == 2 and "argument --seed: a whole number of at least 0, not 'abc'" in result.stderr


def test_a_live_key_is_accepted_with_opt_in():
    target = from_environment({**COMPLETE, "TVX_API_TOKEN": "tvx_sk_live_abc", "TVX_ALLOW_LIVE": "1"})
    assert target.env["TVX_API_TOKEN"] == "tvx_sk_live_abc"


def answers(*replies) -> httpx.MockTransport:
    """GET …/_sim/health answered by each reply in turn (a status, (status, JSON body), or an exception to raise);
    `.asked` keeps the URLs asked."""
    left, asked = list(replies), []

    def reply(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        answer = left.pop(0) if len(left) > 1 else left[0]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer if isinstance(answer, tuple) else (answer, None)
        return httpx.Response(status, json=body)

    transport = httpx.MockTransport(reply)
    transport.asked = asked
    return transport


HEALTHY = (200, {"status": "ok"})


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(target_module, "PROBE_PAUSE_S", 0.01)


def test_a_deployment_leaves_out_transfers():
    target = from_environment(COMPLETE)
    transport = answers(404)
    identify(target, transport=transport)
    assert transport.asked == [NOWHERE + "/_sim/health"]
    assert not target.is_simulator and target.why == "no control plane, GET /_sim/health answered 404"
    assert any("transferCall" in reason and "TVX_SAFE_TRANSFER_TO" in reason for reason in target.skipped)


def test_a_safe_destination_lets_transfers_run():
    target = from_environment({**COMPLETE, "TVX_SAFE_TRANSFER_TO": "+15005550001"})
    identify(target, transport=answers(404))
    assert target.env["TVX_SAFE_TRANSFER_TO"] == "+15005550001"
    assert not any("transferCall" in reason for reason in target.skipped)


def test_a_busy_simulator_is_asked_again_not_taken_for_a_deployment(no_pause):
    target = from_environment(COMPLETE)
    identify(target, transport=answers(httpx.ReadTimeout("timed out"), 503, 429, HEALTHY))
    assert target.is_simulator and target.env["TVX_CONTROL_URL"] == NOWHERE
    assert target.why == 'control plane found, GET /_sim/health answered 200 on try 4 {"status": "ok"}'


def test_a_target_that_never_answers_stops_the_run_saying_what_to_set(no_pause):
    target = from_environment(COMPLETE)
    started = time.monotonic()
    with pytest.raises(TargetError, match="no answer to GET /_sim/health in 1 s .*ReadTimeout.*set TVX_CONTROL_URL"):
        identify(target, within=1, transport=answers(httpx.ReadTimeout("timed out")))
    assert time.monotonic() - started < 5 and not target.why


def test_tvx_control_url_says_simulator_and_must_answer(no_pause):
    control = "http://127.0.0.1:9/control/"
    target = from_environment({**COMPLETE, "TVX_CONTROL_URL": control})
    assert target.is_simulator and target.env["TVX_CONTROL_URL"] == control.rstrip("/")
    transport = answers(httpx.ConnectError("refused"), HEALTHY)
    identify(target, transport=transport)
    assert transport.asked == [control + "_sim/health"] * 2  # not the API's URL
    assert target.why == 'TVX_CONTROL_URL is set, and its GET /_sim/health answered 200 on try 2 {"status": "ok"}'
    target = from_environment({**COMPLETE, "TVX_CONTROL_URL": control})
    with pytest.raises(TargetError, match="TVX_CONTROL_URL=http://127.0.0.1:9/control is not a simulator's control"):
        identify(target, transport=answers(404))
    target = from_environment({**COMPLETE, "TVX_CONTROL_URL": control})
    with pytest.raises(TargetError, match="TVX_CONTROL_URL is set, but .* no answer .*: is the simulator running"):
        identify(target, within=0.2, transport=answers(httpx.ConnectError("refused")))


def test_missing_values_raise_target_error():
    with pytest.raises(TargetError, match="TVX_CALL_UUID"):
        from_environment({k: v for k, v in COMPLETE.items() if k != "TVX_CALL_UUID"})


def test_a_started_simulator_is_described_by_its_export_lines():
    target = start_simulator()
    try:
        assert target.is_simulator and target.env["TVX_AUTH_ID"] == DEFAULT_AUTH_ID
        assert target.control.get_health() == {"status": "ok"}
        assert target.control.create_call()["auth_id"] == DEFAULT_AUTH_ID
    finally:
        target.stop()
    assert target.process.returncode == 0


def test_junit_counts_and_skip_reasons(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite tests="3" failures="1" errors="0" skipped="1">'
        '<testcase classname="m" name="a"/><testcase classname="m" name="b"><failure message="x"/></testcase>'
        '<testcase classname="m" name="c"><skipped message="set TVX_SAFE_TRANSFER_TO"/></testcase>'
        '<testcase classname="m" name="d"><skipped message="needs the simulator\'s clock"/></testcase>'
        '<testcase classname="m" name="e"><skipped message="needs the simulator\'s clock"/></testcase>'
        "</testsuite></testsuites>"
    )
    counts = read_junit(report)
    assert (counts["tests"], counts["failures"], counts["skipped"]) == (3, 1, 1)
    # A skip the user can lift names its tests; what only the simulator shows is counted (coverage lists those).
    assert counts["skip_reasons"] == ["needs the simulator's clock (2 tests)", "set TVX_SAFE_TRANSFER_TO: m.py::c"]
    assert counts["failed_tests"] == ["m.py::b"]


# -- against a simulator behind the fault-injecting proxy


@pytest.fixture(scope="module")
def simulator():
    target = start_simulator()
    yield target
    target.stop()


def through(simulator, proxy_url: str, reports: Path, **env) -> dict[str, str]:
    """The runner's environment for the simulator behind a proxy, writing its reports to `reports`."""
    call = simulator.control.create_call()["call_uuid"]
    values = {name: simulator.env[name] for name in ("TVX_API_TOKEN", "TVX_AUTH_ID")}
    return {**values, "TVX_BASE_URL": proxy_url, "TVX_CALL_UUID": call, "REPORT_DIR": str(reports), "SEED": "7", **env}


# A short run: the examples phase and the DTMF behaviour tests (PYTEST_ADDOPTS reaches the runner's pytest).
SHORT = {"PHASES": "examples", "MAX_EXAMPLES": "1", "PYTEST_ADDOPTS": "-k test_behaviour_dtmf"}


def test_an_unreachable_target_stops_at_the_preflight_within_seconds(tmp_path):
    started = time.monotonic()
    step_summary = tmp_path / "step-summary.md"
    result = run_runner(**COMPLETE, REPORT_DIR=str(tmp_path), GITHUB_STEP_SUMMARY=str(step_summary))
    assert result.returncode == 2, result.stdout[-2000:]
    reason = "preflight: http://127.0.0.1:9 is not reachable: ConnectError: [Errno 111] Connection refused"
    assert result.stderr.strip() == f"contract: {reason}"
    assert "Schemathesis" not in result.stdout and not (tmp_path / "schemathesis.json").exists(), "nothing generated"
    assert time.monotonic() - started < 30
    assert step_summary.read_text() == f"## Contract suite: could not start\n\n```\n{reason}\n```\n"


def answer_problem(exchange: Relayed, problem) -> None:
    """Answer `exchange` as the simulator answers a problem (tryvox_sim's one serialiser)."""
    response = Response.problem(problem)
    exchange.status, exchange.body, exchange.headers = response.status, response.body, dict(response.headers)


def refuse_every_token(exchange: Relayed) -> None:
    challenge = [("WWW-Authenticate", 'Bearer realm="tryvox"')]
    answer_problem(exchange, Unauthorized("The API token is not valid.", headers=challenge))


def test_a_refused_token_stops_at_the_preflight(simulator, tmp_path):
    with FaultProxy(simulator.base_url, before=refuse_every_token) as url:
        result = run_runner(**through(simulator, url, tmp_path))
    assert result.returncode == 2, result.stdout[-2000:]
    assert "contract: preflight: TVX_API_TOKEN is refused by" in result.stderr
    assert "unauthorized The API token is not valid." in result.stderr
    assert not (tmp_path / "schemathesis.json").exists()


class RateLimiter:
    """Before the simulator: every 10th request with the API token is answered 429 (Retry-After: 1), as a
    per-token limiter would; the time of every request that reaches the API is kept."""

    def __init__(self, token: str) -> None:
        self.token, self.lock = token, threading.Lock()
        self.seen, self.refused, self.times = 0, 0, []

    def __call__(self, exchange: Relayed) -> None:
        with self.lock:
            self.times.append(time.monotonic())
            if exchange.request_headers.get("Authorization") != f"Bearer {self.token}":
                return
            self.seen += 1
            if self.seen % 10:
                return
            self.refused += 1
        limits = [
            ("RateLimit-Limit", "9"),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", "1"),
            ("Retry-After", "1"),
        ]
        answer_problem(exchange, RateLimited("Retry after 1 s.", headers=limits))


def test_a_polite_run_keeps_the_pace_and_waits_out_each_429(simulator, tmp_path):
    limiter = RateLimiter(simulator.env["TVX_API_TOKEN"])
    with FaultProxy(simulator.base_url, before=limiter) as url:
        env = through(simulator, url, tmp_path, TVX_RATE_LIMIT="20", MIN_COVERAGE="0", **SHORT)
        result = run_runner(timeout=180, **env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert limiter.refused >= 3, "the run met the limiter"
    assert f"{limiter.refused} requests retried after a 429 (Retry-After honoured)" in result.stdout
    assert "at most 20 requests/s (TVX_RATE_LIMIT)" in result.stdout
    assert json.loads((tmp_path / "coverage.json").read_text())["retries_after_429"] == limiter.refused
    times = limiter.times
    assert len(times) > 40, "enough requests for the pace to matter"
    busiest = max(sum(1 for t in times if start <= t < start + 1) for start in times)
    assert busiest <= 20 + 1, f"{busiest} requests in one second"  # +1: a request delayed on its way


def answers_201(exchange: Relayed) -> None:
    if exchange.operation == "POST dtmf" and exchange.status == 202:
        exchange.status = 201  # the spec says 202


def test_a_drifting_api_fails_with_the_gate_an_html_page_and_the_job_summary(simulator, tmp_path):
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier steps\n")
    with FaultProxy(simulator.base_url, after=answers_201) as url:
        result = run_runner(
            timeout=180, **through(simulator, url, tmp_path, GITHUB_STEP_SUMMARY=str(step_summary), **SHORT)
        )
    out = result.stdout
    assert result.returncode == 1, out[-4000:]
    assert "Result:      FAILED: schemathesis; behaviour tests; coverage of statuses" in out
    assert "every dimension must reach 100% (simulator)" in out
    assert "not reached: statuses: transferCall 413" in out and "not reached: links:" in out
    summary = step_summary.read_text()
    assert summary.startswith("earlier steps\n## Contract suite: FAILED\n"), summary[:500]
    assert "Failed: schemathesis; behaviour tests; coverage of statuses" in summary
    assert "| ST103 Undocumented status code | " in summary and "POST /v1/voice/accounts/{auth_id}/calls/" in summary
    assert "- `test_behaviour_dtmf.py::test_valid_digits_are_sent_and_echoed[1234*#]`" in summary
    assert "\n## Contract coverage (simulator)" in summary
    assert "| Documented statuses answered |" in summary and "Gate: FAILED" in summary
    report = json.loads((tmp_path / "coverage.json").read_text())
    assert report["passed"] is False and report["dimensions"]["statuses"]["percent"] < 100
    page = (tmp_path / "contract.html").read_text()
    assert "ST103 Undocumented status code" in page and "status_code_conformance" in page
    assert "curl -X POST" in page and "HTTP 201" in page
    assert "test_behaviour_dtmf.py::test_valid_digits_are_sent_and_echoed" in page
    assert simulator.env["TVX_API_TOKEN"] not in page + (tmp_path / "behaviour-junit.xml").read_text(), "no token"


def test_against_a_deployment_min_coverage_sets_the_threshold(simulator, tmp_path):
    with FaultProxy(simulator.base_url, control_plane=False) as url:  # no /_sim: it looks like a deployment
        result = run_runner(timeout=180, **through(simulator, url, tmp_path, MIN_COVERAGE="50", **SHORT))
    out = result.stdout
    assert result.returncode == 1, out[-4000:]
    assert "[deployment: no control plane, GET /_sim/health answered 404]" in out
    assert "every dimension must reach 50% (deployment)" in out
    assert "Result:      FAILED: coverage of statuses" in out and "schemathesis;" not in out, "only the gate failed"
    assert "not reached: statuses: sendDtmf 429" in out
    assert "Left out:" in out and "needs the simulator's control plane" in out, "what a deployment cannot reach"
