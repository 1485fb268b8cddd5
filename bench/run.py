"""`make bench`: throughput and latency of the simulator beside Prism, through the validating proxy beside Prism's
(`prism proxy`), and beside the ceiling of this stack (bench/peer.py: a bare httptools + uvloop server answering a
fixed 202), with where the simulator's CPU per request goes (bench/profile.py's stages); launch time, the request
journal's and the run-wide invariants' cost (bench/journal.py, bench/proxy_rules.py), memory after a million
actions, and the cost of `make contract`. Writes results.md and results.json.

    python -m bench.run                      # everything (about 13 minutes with the defaults)
    python -m bench.run --seconds 0.5 --connections 1 --cells dtmf --targets simulator \\
        --launches 1 --actions 0 --no-contract --no-journal --no-proxy-rules --out /tmp/smoke   # the smoke test

Before and after: `--baseline-tree DIR` (make bench BENCH_BASE=DIR) adds the targets `simulator@base` and
`proxy@base`, the simulator and `tryvox-sim proxy` run from the checkout in DIR (an older commit: `git worktree add
/tmp/base <commit>`), with this checkout's .venv and `python -P -m tryvox_sim.cli`, PYTHONPATH=DIR; they are measured
in the same run, right after their current counterparts, and reported as current ÷ base (and each against Prism).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench import contract, journal, memory, ops, profile, proxy_rules, report, targets, throughput


def _csv(kind):
    def parse(text: str):
        items = [x.strip() for x in text.split(",") if x.strip()]
        return [kind(x) for x in items]

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("BENCH_SECONDS", 4)),
        help="length of each load cell (env BENCH_SECONDS, default 4)",
    )
    ap.add_argument("--warmup", type=float, default=10.0, help="warm-up seconds per server, not reported")
    ap.add_argument("--connections", type=_csv(int), default=[1, 32, 128])
    ap.add_argument("--cells", type=_csv(str), default=list(ops.CELLS), help=f"of {','.join(ops.CELLS)}")
    ap.add_argument(
        "--targets",
        type=_csv(str),
        default=["simulator", "proxy", "prism", "prism-proxy", "wire", "peer"],
        help=f"of {','.join(targets.KINDS)} (proxy = tryvox-sim proxy in front of a simulator; prism-proxy = prism "
        "proxy in front of one; peer = a bare httptools + uvloop server with a fixed answer: this stack's ceiling; "
        "@base: from --baseline-tree, added after their counterparts when that is given)",
    )
    ap.add_argument(
        "--baseline-tree", type=Path, metavar="DIR",
        help="another checkout of this repository (make bench BENCH_BASE=DIR): measure its simulator and proxy too",
    )  # fmt: skip
    ap.add_argument(
        "--profile", action=argparse.BooleanOptionalAction, default=True,
        help="where the simulator's CPU per request goes, by stage (bench/profile.py: its stack sampled)",
    )  # fmt: skip
    ap.add_argument("--launches", type=int, default=5, help="launches per target for the ready time (0 skips)")
    ap.add_argument(
        "--actions",
        type=int,
        default=int(os.environ.get("BENCH_ACTIONS", 1_000_000)),
        help="actions for the memory run (0 skips; env BENCH_ACTIONS)",
    )
    ap.add_argument("--calls", type=int, default=10_000, help="calls the memory run spreads its actions over")
    ap.add_argument(
        "--memory-connections", type=int, default=memory.CONNECTIONS, metavar="N",
        help=f"connections the memory run drives its actions on (default {memory.CONNECTIONS})",
    )  # fmt: skip
    ap.add_argument("--contract", action=argparse.BooleanOptionalAction, default=True, help="time `make contract`")
    ap.add_argument(
        "--journal", action=argparse.BooleanOptionalAction, default=True,
        help="req/s with the request journal on vs --journal-size 0, and a full journal's memory",
    )  # fmt: skip
    ap.add_argument(
        "--proxy-rules", action=argparse.BooleanOptionalAction, default=True,
        help="the proxy's CPU per request with its run-wide invariants on vs off",
    )  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args(argv)
    bad = [c for c in args.cells if c not in ops.CELLS] + [t for t in args.targets if t not in targets.KINDS]
    if bad:
        ap.error(f"unknown cell or target: {', '.join(bad)}")
    tree = args.baseline_tree = args.baseline_tree and args.baseline_tree.resolve()  # servers start in this checkout
    if tree is not None and not (tree / "tryvox_sim" / "cli.py").is_file():
        ap.error(f"--baseline-tree {tree}: not a checkout of this repository (no tryvox_sim/cli.py)")
    if tree is None and any(t.endswith("@base") for t in args.targets):
        ap.error("the @base targets need --baseline-tree DIR")
    if tree is not None and not any(t.endswith("@base") for t in args.targets):
        args.targets = [x for t in args.targets for x in (t, f"{t}@base") if x in targets.KINDS]
    if args.seconds <= 0 or args.seconds > 60 or any(c < 1 or c > 1024 for c in args.connections):
        ap.error("--seconds must be in (0, 60] and --connections in [1, 1024]")
    if args.actions < 0 or args.calls < 1 or args.launches < 0 or args.memory_connections < 1:
        ap.error("--actions, --launches must be >= 0, --calls and --memory-connections >= 1")
    return args


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


def startup(kinds, launches: int, workdir: Path, tree: Path | None = None) -> dict:
    out = {}
    for kind in kinds:
        samples = []
        for _ in range(launches):
            server = targets.launch(kind, workdir, tree=tree)
            samples.append(server.ready_s)
            server.stop()
        out[kind] = {"median_s": round(statistics.median(samples), 3), "samples_s": [round(s, 3) for s in samples]}
        log(f"  {kind:14} ready in {out[kind]['median_s']:.3f} s (median of {launches})")
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    results = {
        "machine": report.machine(),
        "settings": {
            "seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "connections": args.connections,
            "cells": args.cells,
            "targets": args.targets,
            "baseline_tree": str(args.baseline_tree) if args.baseline_tree else None,
        },
        "throughput": {},
        "server_cpu": {},
        "errors": [],
    }
    log(f"bench: throughput, {args.seconds} s per cell (logs in {workdir})")
    for kind in args.targets:
        cells = args.cells if kind not in ("peer", "wire") else args.cells[-1:]  # one cell shows the ceiling
        per_conn, cpu, errors = throughput.measure(
            kind, cells, args.connections, args.seconds, args.warmup, workdir, log, args.baseline_tree
        )
        results["throughput"][kind], results["server_cpu"][kind] = per_conn, cpu
        results["errors"] += errors
    tp = results["throughput"]
    results["ratios_vs_prism"] = throughput.ratios(tp)
    results["proxy_overhead"] = throughput.proxy_overhead(tp)
    results["proxy_vs_prism_proxy"] = throughput.ratios(tp, "proxy", "prism-proxy")
    results["peer_share"] = {
        kind: throughput.ratios(tp, kind, "peer") for kind in ("wire", "simulator", "simulator@base")
    }
    if args.baseline_tree is not None:
        results["base"] = {
            "tree": str(args.baseline_tree),
            "commit": report._git_commit(args.baseline_tree),
            "simulator_vs_prism": throughput.ratios(tp, "simulator@base", "prism"),
            "proxy_vs_prism_proxy": throughput.ratios(tp, "proxy@base", "prism-proxy"),
            "current_vs_base": {kind: throughput.ratios(tp, kind, f"{kind}@base") for kind in ("simulator", "proxy")},
        }
    if args.profile:
        log("bench: the simulator's CPU per request by stage (its stack sampled)")
        st = results["stages"] = profile.stages(args.cells, args.seconds, workdir)
        log(f"  {profile.stage_line(st)} ({st['samples']} samples)")
        results["errors"] += st["errors"] + ([f"stages: {st['non_2xx']} non-2xx answers"] if st["non_2xx"] else [])
    if args.launches:
        log("bench: launch to ready")
        results["startup"] = startup(
            [t for t in args.targets if t != "peer"], args.launches, workdir, args.baseline_tree
        )
    if args.journal:
        log("bench: the request journal, on against off")
        results["journal"] = journal.measure(args.seconds, workdir, log)
        results["errors"] += [f"journal: {e}" for e in results["journal"]["errors"]]
    if args.proxy_rules:
        log("bench: the proxy's run-wide invariants, on against off")
        results["proxy_rules"] = proxy_rules.measure(args.seconds, workdir, log)
        results["errors"] += [f"proxy rules: {e}" for e in results["proxy_rules"]["errors"]]
    if args.actions:
        log(f"bench: memory after {args.actions:,} actions over {args.calls:,} calls")
        results["memory"] = memory.measure(args.actions, args.calls, workdir, log, args.memory_connections)
    if args.contract:
        log("bench: timing `make contract`")
        results["contract"] = contract.measure(log)
    results["loadavg_after"] = round(os.getloadavg()[0], 2)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    report.write(args.out / "results.md", results)
    log(f"bench: wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    for e in results["errors"]:
        log(f"bench: error: {e}")
    if results["errors"]:
        log(f"bench: server logs kept in {workdir}")
        return 1
    shutil.rmtree(workdir)  # Prism's per-request log alone is tens of MB
    return 0


if __name__ == "__main__":
    sys.exit(main())
