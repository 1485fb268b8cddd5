"""The bench harness and the soak end to end with tiny bounds: they start the simulator, the proxy in front of
one and the trivial peer, drive them, run a small memory pass, and write results. No timing is asserted."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import journal, proxy_rules, report, soak

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_harness_writes_results_with_only_2xx(tmp_path):
    soaked = "\n## Where the memory goes\n\nwritten by hand\n\n## Soak, 2026-01-01 00:00 UTC\n\nkept as it was\n"
    (tmp_path / "results.md").write_text("# Benchmark results\n\nan earlier run\n" + soaked)
    run = bench(
        "--seconds", "0.5", "--warmup", "0", "--connections", "1", "--cells", "record",
        "--targets", "simulator,proxy,peer", "--launches", "1", "--actions", "120", "--calls", "4",
        "--no-contract", "--no-journal", "--no-proxy-rules", "--out", str(tmp_path),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "results.json").read_text())

    # Start and stop alternate on the connection's call, so neither is ever refused with 409.
    sim = results["throughput"]["simulator"]["1"]
    assert set(sim) == {"startRecording", "stopRecording"}
    for op in sim.values():
        assert op["requests"] > 0 and op["non_2xx"] == 0 and op["p50_ms"] > 0
    assert abs(sim["startRecording"]["requests"] - sim["stopRecording"]["requests"]) <= 1
    assert results["throughput"]["peer"]["1"]["stopRecording"]["requests"] > 0
    through = results["throughput"]["proxy"]["1"]  # the same load through the validating proxy: nothing broke
    assert all(op["requests"] > 0 and op["non_2xx"] == 0 for op in through.values())
    assert set(results["proxy_overhead"]["1"]) == {"startRecording", "stopRecording"}
    assert results["startup"]["proxy"]["median_s"] > 0

    assert results["startup"]["simulator"]["median_s"] > 0
    memory = results["memory"]
    assert memory["actions"] == 120 and memory["non_2xx"] == 0
    assert all(mib > 0 for mib in memory["rss_mib"].values())
    traced = memory["traced"]  # the same requests in-process, under tracemalloc
    assert traced["non_2xx"] == 0 and traced["bytes_per_call"] > 0 and traced["journal_entries"] == 10_000
    assert results["errors"] == []

    table = (tmp_path / "results.md").read_text()
    assert "| 1 | startRecording |" in table and "## Memory after a million actions" in table
    assert "an earlier run" not in table and table.endswith(soaked)  # the finding, what make soak appended: kept
    assert "## The validating proxy's overhead" in table


def test_bad_arguments_are_refused_by_name(tmp_path):
    run = bench("--cells", "fax", "--out", str(tmp_path), timeout=60)
    assert run.returncode == 2
    assert "unknown cell or target: fax" in run.stderr
    assert not (tmp_path / "results.json").exists()


def test_soak_appends_a_section_with_every_part_run_and_nothing_failed(tmp_path):
    results = tmp_path / "results.md"
    results.write_text("# Benchmark results\n\nearlier figures\n")
    run = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--seconds", "4", "--out", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    text = results.read_text()
    assert text.startswith("# Benchmark results\n\nearlier figures\n\n## Soak, ")
    assert "| 5xx answers | 0 |" in text and "| self-check failures | 0 |" in text
    assert "| errors by kind | none |" in text
    requests = next(line for line in text.splitlines() if line.startswith("| requests |"))
    for part in ("valid", "bad input", "churn", "clock"):
        assert f"{part} " in requests


def test_soak_slope_is_least_squares_and_its_verdict_fails_on_5xx_or_self_check():
    assert soak.slope_per_minute([(0, 10.0), (30, 10.0), (60, 11.5), (90, 11.5)]) == pytest.approx(1.2)
    assert soak.slope_per_minute([(0, 50.0)]) == 0.0
    assert soak.verdict({"5xx": 0, "self_check_failures": 0}) == 0
    assert soak.verdict({"5xx": 1, "self_check_failures": 0}) == 1
    assert soak.verdict({"5xx": 0, "self_check_failures": 2}) == 1


def test_the_journal_is_measured_at_once_against_an_a_a_control(tmp_path):
    """bench/journal.py with tiny bounds (a journal of 300): three simulators driven at once (pinned to one CPU
    when there are two), measured once the journal is full; every server answered, only 2xx. No ratio is
    asserted beyond what a working harness must give (the control's own ratio near 1)."""
    logged: list[str] = []
    result = journal.measure(0.5, tmp_path, logged.append, rounds=1, size=300)
    assert result["errors"] == [] and result["rounds"] == 1
    assert all(row["on_rps"] > 0 and row["off_rps"] > 0 for row in result["cells"].values())
    assert 0.5 < result["control_ratio"] < 2 and 0 < result["median_ratio"] < 2
    assert result["full_journal_entries"] == 300 and result["bytes_per_entry"] > 0
    assert any("A/A" in line for line in logged)
    table = "\n".join(report._journal(result))
    assert "On ÷ off: **" in table and "A/A control" in table


def test_the_proxys_run_wide_invariants_are_measured_at_once_against_an_a_a_control(tmp_path):
    """bench/proxy_rules.py with tiny bounds: three proxies in front of one simulator, driven at once (pinned to one
    CPU when there are two), measured once the first has seen 300 exchanges; only 2xx, no violation reported. No
    ratio is asserted beyond what a working harness must give (the control's own ratio near 1)."""
    logged: list[str] = []
    result = proxy_rules.measure(0.5, tmp_path, logged.append, rounds=1, ids=300)
    assert result["errors"] == [] and result["rounds"] == 1
    assert all(row["on_rps"] > 0 and row["off_rps"] > 0 and row["on_cpu_us"] > 0 for row in result["cells"].values())
    assert 0.5 < result["control_ratio"] < 2 and 0.5 < result["cpu_ratio"] < 2
    assert any("A/A" in line for line in logged)
    table = "\n".join(report._proxy_rules(result))
    assert "on ÷ off: **" in table and "A/A control" in table
