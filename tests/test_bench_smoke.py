"""The bench harness and the soak end to end with tiny bounds: they start the simulator, the proxy in front of
one, Prism's proxy in front of another, the peer (this stack's ceiling) and the simulator and proxy of another
checkout, drive them, run a small memory pass and sample a simulator's stack by stage, and write results. No timing
is asserted."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import journal, profile, proxy_rules, report, soak, targets

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """A bounded bench run; each load cell goes on past its seconds until a few answers came (a busy machine may give
    a 0.5 s cell none), so what the test reads is there."""
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=ROOT,
        env={**os.environ, "BENCH_MIN_ANSWERS": "6"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def base_tree(tmp_path: Path) -> Path:
    """A copy of this checkout's simulator whose code says, when imported, that it is the copy."""
    tree = tmp_path / "base"
    shutil.copytree(ROOT / "tryvox_sim", tree / "tryvox_sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "openapi", tree / "openapi")
    with open(tree / "tryvox_sim" / "__init__.py", "a") as init:
        init.write("\nprint('# the base tree runs', flush=True)\n")
    return tree


SOAKED = "\n## Where the memory goes\n\nwritten by hand\n\n## Soak, 2026-01-01 00:00 UTC\n\nkept as it was\n"
PRISM = ["prism-proxy"] if targets.PRISM.exists() else []  # prism is installed by make node (make test runs it)


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One bounded run of every load target at once, as `make bench` runs them: the simulator and the proxy, their
    copies of another checkout (the base tree), the wire and the peer (the ceiling), Prism's proxy; a memory pass."""
    out = tmp_path_factory.mktemp("bench")
    (out / "results.md").write_text("# Benchmark results\n\nan earlier run\n" + SOAKED)
    run = bench(
        "--seconds", "0.3", "--warmup", "0", "--connections", "1", "--cells", "record",
        "--targets", ",".join(["simulator", "proxy", "wire", "peer", *PRISM]), "--baseline-tree", str(base_tree(out)),
        "--launches", "1", "--actions", "120", "--calls", "4",
        "--no-contract", "--no-journal", "--no-proxy-rules", "--no-profile", "--out", str(out),
    )  # fmt: skip
    return out, run


def test_harness_writes_results_with_only_2xx(harness):
    out, run = harness
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text())

    # Start and stop alternate on the connection's call, so neither is ever refused with 409.
    sim = results["throughput"]["simulator"]["1"]
    assert set(sim) == {"startRecording", "stopRecording"}
    for op in sim.values():
        assert op["requests"] > 0 and op["non_2xx"] == 0 and op["p50_ms"] > 0
    assert abs(sim["startRecording"]["requests"] - sim["stopRecording"]["requests"]) <= 1
    assert results["throughput"]["peer"]["1"]["stopRecording"]["requests"] > 0
    share = results["peer_share"]["simulator"]["1"]  # the simulator's share of this stack's ceiling, per operation
    assert set(share) == {"startRecording", "stopRecording"} and all(x > 0 for x in share.values())
    peer = results["throughput"]["peer"]["1"]
    # (any size; the share is written to 3 places, so a small one on a loaded machine is off by up to 0.0005)
    assert all(share[op] == pytest.approx(sim[op]["rps"] / peer[op]["rps"], rel=0.01, abs=0.0006) for op in share)
    assert results["server_cpu"]["peer"]["1"]["cells"]["record"] > 0
    wire = results["peer_share"]["wire"]["1"]  # the same fixed answer through tryvox_sim's HTTP core: its own cost
    assert set(wire) == {"startRecording", "stopRecording"} and all(x > 0 for x in wire.values())  # (any size: noise)
    assert "| wire req/s |" in (out / "results.md").read_text()
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

    table = (out / "results.md").read_text()
    assert "| 1 | startRecording |" in table and "## Memory after a million actions" in table
    assert "an earlier run" not in table and table.endswith(SOAKED)  # the finding, what make soak appended: kept
    assert "## The validating proxy's overhead" in table
    assert "## The ceiling of this stack" in table and "| 1 | stopRecording |" in table


@pytest.mark.skipif(not PRISM, reason="prism is installed by make node (make test runs it)")
def test_prism_proxy_relays_the_load_beside_tryvox_sim_proxy(harness):
    out, run = harness
    assert run.returncode == 0, run.stderr
    assert "prism-proxy    reported 0 violations" in run.stderr
    results = json.loads((out / "results.json").read_text())
    through = results["throughput"]["prism-proxy"]["1"]  # relayed to its simulator and back: only 2xx
    assert set(through) == {"startRecording", "stopRecording"}
    assert all(op["requests"] > 0 and op["non_2xx"] == 0 for op in through.values())
    assert set(results["proxy_vs_prism_proxy"]["1"]) == {"startRecording", "stopRecording"}
    assert results["server_cpu"]["prism-proxy"]["1"]["us_per_request"] > 0
    assert results["errors"] == []
    table = (out / "results.md").read_text()
    assert "## The validating proxy beside Prism's" in table and "| prism-proxy |" in table


def test_the_simulator_and_proxy_of_another_checkout_run_beside_the_current_ones(harness, tmp_path):
    out, run = harness
    tree = out / "base"
    proxy = targets.launch("proxy@base", tmp_path, tree=tree)  # in front of a simulator@base
    try:
        assert proxy.new_calls(1)  # its control plane answers, through the base proxy
        assert "# the base tree runs" in proxy.log.read_text()
        assert "# the base tree runs" in proxy.upstream.log.read_text()
    finally:
        proxy.stop()
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["targets"][:4] == ["simulator", "simulator@base", "proxy", "proxy@base"]
    for name in ("simulator@base", "proxy@base"):
        assert all(op["requests"] > 0 and op["non_2xx"] == 0 for op in results["throughput"][name]["1"].values())
    # current ÷ base, from the same run's figures (their size is noise in cells this short on a busy machine)
    now, tp = results["base"]["current_vs_base"], results["throughput"]
    for kind, op in (("simulator", "startRecording"), ("proxy", "stopRecording")):
        ratio = tp[kind]["1"][op]["rps"] / tp[f"{kind}@base"]["1"][op]["rps"]
        assert now[kind]["1"][op] == pytest.approx(ratio, rel=0.01) and now[kind]["1"][op] > 0
    assert results["base"]["tree"] == str(tree) and results["base"]["commit"] == "?"  # not a git checkout
    assert "## Before and after" in (out / "results.md").read_text()


def test_every_stage_but_the_event_loop_is_found_in_the_simulators_code():
    """The stages are found from the live objects: a stage whose function moved or was renamed would silently count
    nothing (its time going to the stage around it), so each one must be found."""
    from tryvox_sim import cli
    from tryvox_sim.wire.http11 import Connection

    app = cli.build_app(cli.parse_args(["serve"]))
    assert set(profile.markers(Connection, app).values()) == set(profile.STAGES) - {"event loop"}


def test_the_simulators_cpu_per_request_is_split_into_stages(tmp_path):
    """bench/profile.py's stages with tiny bounds: a served simulator whose stack is sampled; every answer 2xx, the
    counts written when it stops, the shares summing to one. Which stage is largest is not asserted (few samples)."""
    result = profile.stages(("dtmf",), 0.5, tmp_path)
    assert result["non_2xx"] == 0 and result["errors"] == [] and result["cpu_us_per_request"]["dtmf"] > 0
    assert result["samples"] > 0 and set(result["stages"]) == set(profile.STAGES)
    assert sum(result["stages"].values()) == pytest.approx(1, abs=0.01)
    lines = "\n".join(report._stages({"stages": result, "server_cpu": {}}))
    assert "| write |" in lines and f"({result['samples']:,} samples: a share is known" in lines


def test_an_earlier_runs_results_still_render():
    """python -m bench.report re-renders a results.json written before the ceiling, prism proxy and base figures."""
    earlier = json.loads((ROOT / "bench" / "results.json").read_text())
    for key in ("peer_share", "proxy_vs_prism_proxy", "base", "stages"):
        earlier.pop(key, None)
    for per_conn in earlier["server_cpu"].values():
        for cpu in per_conn.values():
            cpu.pop("cells", None)
    table = report.markdown(earlier)
    assert "## Throughput and latency" in table and "## The ceiling of this stack" not in table


def test_bad_arguments_are_refused_by_name(tmp_path):
    run = bench("--cells", "fax", "--out", str(tmp_path), timeout=60)
    assert run.returncode == 2
    assert "unknown cell or target: fax" in run.stderr
    assert not (tmp_path / "results.json").exists()
    run = bench("--baseline-tree", str(tmp_path), "--out", str(tmp_path), timeout=60)
    assert run.returncode == 2 and "not a checkout of this repository" in run.stderr
    run = bench("--targets", "simulator@base", "--out", str(tmp_path), timeout=60)
    assert run.returncode == 2 and "the @base targets need --baseline-tree DIR" in run.stderr


def test_soak_appends_a_section_with_every_part_run_and_nothing_failed(tmp_path):
    results = tmp_path / "results.md"
    results.write_text("# Benchmark results\n\nearlier figures\n")
    run = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--seconds", "2", "--out", str(results)],
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
