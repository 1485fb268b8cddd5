"""Throughput cells: one operation group × one connection count against one server."""

import statistics

from bench import loadgen, ops, targets

WARMUP_CELL = "dtmf"


def drive(server: targets.Server, cell: str, connections: int, seconds: float) -> tuple[dict, float, list[str]]:
    """Run one cell; returns (per-operation summary, server CPU share, errors)."""
    calls = server.new_calls(connections)
    streams = [ops.cycle(ops.CELLS[cell], server.target, uuid) for uuid in calls]
    cpu_before = server.cpu_s()
    stats = loadgen.run_load(server.target.host, server.target.port, streams, seconds)
    cpu = (server.cpu_s() - cpu_before) / stats.elapsed_s if stats.elapsed_s else 0.0
    if server.kind == "simulator":
        for uuid in calls:  # leave no load-only calls behind to skew later cells
            server.control("POST", f"/_sim/calls/{uuid}/hangup", {})
    return loadgen.summarise(stats), cpu, stats.errors


def measure(kind: str, cells, connections, seconds, warmup, workdir, log) -> tuple[dict, dict, list[str]]:
    """Every cell at every connection count against a fresh server of this kind."""
    server = targets.launch(kind, workdir)
    results, cpu, errors = {}, {}, []
    try:
        if warmup:
            drive(server, WARMUP_CELL, 32, warmup)
        for c in connections:
            shares = []
            for cell in cells:
                summary, share, errs = drive(server, cell, c, seconds)
                results.setdefault(str(c), {}).update(summary)
                shares.append(share)
                errors += [f"{kind} {cell} c={c}: {e}" for e in dict.fromkeys(errs)]
                line = ", ".join(f"{op} {r['rps']:.0f}/s p99 {r['p99_ms']:.2f} ms" for op, r in summary.items())
                log(f"  {kind:9} c={c:<3} {cell:8} {line} (cpu {share:.2f})")
            cpu[str(c)] = round(statistics.mean(shares), 2)
    finally:
        server.stop()
    return results, cpu, errors


def ratios(throughput: dict) -> dict:
    """Simulator ÷ Prism requests/s, per connection count and operation."""
    sim, prism = throughput.get("simulator", {}), throughput.get("prism", {})
    out = {}
    for c, per_op in sim.items():
        for op, r in per_op.items():
            p = prism.get(c, {}).get(op)
            if p and p["rps"]:
                out.setdefault(c, {})[op] = round(r["rps"] / p["rps"], 2)
    return out
