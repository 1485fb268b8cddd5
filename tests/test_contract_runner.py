"""The contract runner's guard rails: clear refusals, live-key safety, what a deployment skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from contract_tests.runner import read_junit
from contract_tests.target import TargetError, from_environment, start_simulator
from tryvox_sim.domain import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = "http://127.0.0.1:9"  # discard port: nothing listens, the control-plane probe fails fast
COMPLETE = {
    "TVX_BASE_URL": NOWHERE,
    "TVX_API_TOKEN": "tvx_sk_test_abc",
    "TVX_AUTH_ID": "acct",
    "TVX_CALL_UUID": DEFAULT_CALL_UUID,
}


def run_runner(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TVX_")}
    return subprocess.run(
        [sys.executable, "-m", "contract_tests.runner"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_missing_values_get_one_clear_message():
    result = run_runner(TVX_BASE_URL=NOWHERE, TVX_API_TOKEN="tvx_sk_test_abc")
    assert result.returncode == 2
    assert "TVX_AUTH_ID, TVX_CALL_UUID" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_live_key_is_refused_without_opt_in():
    result = run_runner(**{**COMPLETE, "TVX_API_TOKEN": "tvx_sk_live_abc"})
    assert result.returncode == 2
    assert "TVX_ALLOW_LIVE=1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_seed_is_refused():
    result = run_runner(**COMPLETE, SEED="abc")
    assert result.returncode == 2 and "whole numbers" in result.stderr


def test_a_live_key_is_accepted_with_opt_in():
    target = from_environment({**COMPLETE, "TVX_API_TOKEN": "tvx_sk_live_abc", "TVX_ALLOW_LIVE": "1"})
    assert target.env["TVX_API_TOKEN"] == "tvx_sk_live_abc"


def test_a_deployment_leaves_out_transfers():
    target = from_environment(COMPLETE)
    assert not target.is_simulator
    assert any("transferCall" in reason and "TVX_SAFE_TRANSFER_TO" in reason for reason in target.skipped)


def test_a_safe_destination_lets_transfers_run():
    target = from_environment({**COMPLETE, "TVX_SAFE_TRANSFER_TO": "+15005550001"})
    assert target.env["TVX_SAFE_TRANSFER_TO"] == "+15005550001"
    assert not any("transferCall" in reason for reason in target.skipped)


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
        '<testcase classname="m" name="c"><skipped message="needs the control plane"/></testcase>'
        "</testsuite></testsuites>"
    )
    counts = read_junit(report)
    assert (counts["tests"], counts["failures"], counts["skipped"]) == (3, 1, 1)
    assert counts["skip_reasons"] == ["needs the control plane"]
    assert counts["failed_tests"] == ["m::b"]
