"""The bench harness end to end with tiny bounds: it starts the simulator, the proxy in front of one and the
trivial peer, drives them, runs a small memory pass, and writes results. No timing is asserted."""

import json
import subprocess
import sys
from pathlib import Path

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
    run = bench(
        "--seconds", "0.5", "--warmup", "0", "--connections", "1", "--cells", "record",
        "--targets", "simulator,proxy,peer", "--launches", "1", "--actions", "120", "--calls", "4",
        "--no-contract", "--out", str(tmp_path),
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
    assert results["errors"] == []

    table = (tmp_path / "results.md").read_text()
    assert "| 1 | startRecording |" in table and "## Memory after a million actions" in table
    assert "## The validating proxy's overhead" in table


def test_bad_arguments_are_refused_by_name(tmp_path):
    run = bench("--cells", "fax", "--out", str(tmp_path), timeout=60)
    assert run.returncode == 2
    assert "unknown cell or target: fax" in run.stderr
    assert not (tmp_path / "results.json").exists()
