"""What the run-wide invariants cost the validating proxy: its CPU per request, and requests/s, with the run-wide
memory on (as `tryvox-sim proxy` runs) against the same proxy with it off, in the same run, beside an A/A control.

    python -m bench.proxy_rules                        # the focused measurement alone (about a minute)
    python -m bench.proxy_rules --baseline-tree DIR    # "off" and the control run the code in DIR instead (a
                                                       # checkout from before the rules, e.g. `git archive main`)

Three proxies in front of one simulator, which answers with RateLimit headers (`--rate-limit 1000000/min`, never
reached) so that the rate-limit windows are followed too. As in bench/journal.py, they are measured at the same
instant: the proxies share one CPU, so whatever slows the machine slows them alike, and one load generator and the
simulator on the other CPU drive them all at once, 32 connections each. "off" is the same code with the
Observer's `RunMemory` taken out (`serve-without-run-rules` below; the per-call rules stay: they were there
before); a second "off" proxy is the control, whose ratio to the first is the method's own error. Measurement
starts once the "on" proxy has remembered `MAX_IDS` action ids, when every new id also makes it forget one.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import ops, report, targets
from bench.journal import CONNECTIONS, drive_together, split_cpus
from tryvox_sim.contract.invariants import MAX_IDS

ROUNDS = 3
CELLS = ("dtmf", "play", "record")
FILL_LIMIT_S = 120  # the warm-up drives until the "on" proxy's id memory is full, at most this long
PROXIES = ("on", "off", "control")
RATE_LIMIT = "1000000/min"  # never reached: the simulator's answers carry RateLimit headers


def serve_without_run_rules(argv: list[str]) -> int:
    """`tryvox-sim proxy ARGS` with the run-wide memory taken out of its Observer: the proxy before the rules."""
    from tryvox_sim import cli
    from tryvox_sim.proxy import verifier

    made = verifier.Verifier.__init__

    def init(self, spec):
        made(self, spec)
        self.observer.run = None

    verifier.Verifier.__init__ = init
    return cli.main(["proxy", *argv])


def _command(name: str, upstream: targets.Server, baseline_tree: Path | None) -> list[str] | None:
    """How each proxy starts: "on" as `tryvox-sim proxy`; the others without the run-wide memory, or as the code in
    `baseline_tree` has it (-P: its PYTHONPATH comes before the working directory, this checkout)."""
    if name == "on":
        return None
    url = f"http://{upstream.target.host}:{upstream.target.port}"
    address = ["--host", "127.0.0.1", "--port", "0", "--upstream", url]
    if baseline_tree is not None:
        return ["env", f"PYTHONPATH={baseline_tree}", sys.executable, "-P", "-m", "tryvox_sim.cli", "proxy", *address]
    return [sys.executable, "-m", "bench.proxy_rules", "serve-without-run-rules", *address]


def _fill(servers: list[targets.Server], seconds: float, ids: int) -> float:
    """Drive until the "on" proxy has seen more exchanges than `ids` by a tenth (its id memory full, the calls'
    creations and hang-ups aside); returns the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < FILL_LIMIT_S:
        drive_together(servers, "dtmf", seconds)
        if servers[0].control.http.get("/_tvx/violations").json()["exchanges"] > ids * 1.1:
            break
    return time.monotonic() - began


def measure(
    seconds: float, workdir, log, rounds: int = ROUNDS, ids: int = MAX_IDS, baseline_tree: Path | None = None
) -> dict:
    """`ids`: action answers to send before measuring (the id memory's limit unless a test wants it small)."""
    server_cpus, load_cpus = split_cpus()
    own_cpus = os.sched_getaffinity(0)
    servers: list[targets.Server] = []
    samples: dict[str, list[list[dict]]] = {cell: [] for cell in CELLS}
    simulator = targets.launch("simulator", workdir, extra=["--rate-limit", RATE_LIMIT], cpus=load_cpus)
    try:
        for name in PROXIES:  # one at a time, so the finally stops those already started if one fails
            command = _command(name, simulator, baseline_tree)
            servers.append(targets.launch("proxy", workdir, command=command, cpus=server_cpus, upstream=simulator))
        if load_cpus:
            os.sched_setaffinity(0, load_cpus)
        filled_s = _fill(servers, min(seconds, 2.0), ids)
        for _ in range(rounds):
            for cell in CELLS:
                samples[cell].append(drive_together(servers, cell, seconds))
        rss = {name: s.rss_mib() for name, s in zip(PROXIES, servers, strict=True)}
        violations = {name: s.violations() for name, s in zip(PROXIES, servers, strict=True)}
    finally:
        os.sched_setaffinity(0, own_cpus)
        for server in [*servers, simulator]:
            server.stop()
    on, off, control = range(len(PROXIES))
    cpu_ratios, controls, rps_ratios, per_cell = [], [], [], {}
    for cell, cell_rounds in samples.items():
        cpu_ratios += [r[on]["cpu_us"] / r[off]["cpu_us"] for r in cell_rounds if r[off]["cpu_us"]]
        controls += [r[control]["cpu_us"] / r[off]["cpu_us"] for r in cell_rounds if r[off]["cpu_us"]]
        rps_ratios += [r[on]["rps"] / r[off]["rps"] for r in cell_rounds if r[off]["rps"]]
        per_cell[cell] = {
            f"{name}_{key}": round(statistics.median(r[i][key] for r in cell_rounds), 1)
            for i, name in enumerate(PROXIES) for key in ("cpu_us", "rps")
        }  # fmt: skip
        row = per_cell[cell]
        log(
            f"  proxy CPU per request on {cell}: rules on {row['on_cpu_us']} µs, off {row['off_cpu_us']} µs, "
            f"control {row['control_cpu_us']} µs; req/s {row['on_rps']:.0f} / {row['off_rps']:.0f} / "
            f"{row['control_rps']:.0f}"
        )
    errors = [e for cell_rounds in samples.values() for r in cell_rounds for row in r for e in row["errors"]]
    errors += [f"the {name} proxy reported {n} violations on valid traffic" for name, n in violations.items() if n]
    log(
        f"  CPU per request, on ÷ off: median {statistics.median(cpu_ratios):.3f} "
        f"({min(cpu_ratios):.3f}–{max(cpu_ratios):.3f}); control ÷ off (A/A) {statistics.median(controls):.3f} "
        f"({min(controls):.3f}–{max(controls):.3f}); req/s on ÷ off {statistics.median(rps_ratios):.3f}"
    )
    return {
        "commit": report._git_commit(),
        "method": "at once, proxies on one CPU" if server_cpus else "at once, not pinned (one CPU)",
        "baseline": f"the code in {baseline_tree}" if baseline_tree else "the same code without RunMemory",
        "connections": CONNECTIONS,
        "rounds": rounds,
        "seconds": seconds,
        "ids_before_measuring": ids,
        "fill_seconds": round(filled_s, 1),
        "cells": per_cell,
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "cpu_ratio_range": [round(min(cpu_ratios), 3), round(max(cpu_ratios), 3)],
        "control_ratio": round(statistics.median(controls), 3),
        "control_range": [round(min(controls), 3), round(max(controls), 3)],
        "rps_ratio": round(statistics.median(rps_ratios), 3),
        "rss_mib": {name: round(value, 1) for name, value in rss.items()},
        "errors": list(dict.fromkeys(errors)),
        "mix": [op for cell in CELLS for op in ops.CELLS[cell]],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve-without-run-rules"]:
        return serve_without_run_rules(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.proxy_rules", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 4)))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--baseline-tree", type=Path, help="run 'off' and the control from this checkout instead")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-proxy-rules-"))
    result = measure(args.seconds, workdir, lambda line: print(line, file=sys.stderr, flush=True), args.rounds,
                     baseline_tree=args.baseline_tree)  # fmt: skip
    print(json.dumps(result, indent=2))
    if result["errors"]:
        print(f"bench: server logs kept in {workdir}", file=sys.stderr)
        return 1
    shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
