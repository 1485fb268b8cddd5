"""Throughput cells: one operation group × one connection count against one server."""

import statistics

from bench import loadgen, ops, targets


def drive_at_once(
    servers: list[targets.Server], cell: str, connections: int, seconds: float
) -> list[tuple[loadgen.RunStats, dict]]:
    """Run one cell against every server at once, `connections` each; per server (load stats, its CPU use).

    CPU use is given as a share of one core and as CPU microseconds per request: the second
    barely moves when other work shares the machine, so it compares servers more fairly.
    """
    calls = [server.new_calls(connections) for server in servers]
    loads = [
        (s.target.host, s.target.port, [ops.cycle(ops.CELLS[cell], s.target, uuid) for uuid in uuids])
        for s, uuids in zip(servers, calls, strict=True)
    ]
    cpu_before = [server.cpu_s() for server in servers]
    all_stats = loadgen.run_at_once(loads, seconds)
    out = []
    for server, uuids, stats, before in zip(servers, calls, all_stats, cpu_before, strict=True):
        cpu_s = server.cpu_s() - before
        requests = sum(op.count for op in stats.ops.values())
        cpu = {
            "share": cpu_s / stats.elapsed_s if stats.elapsed_s else 0.0,
            "us_per_request": cpu_s * 1e6 / requests if requests else 0.0,
        }
        if server.calls is not None:
            for uuid in uuids:  # leave no load-only calls behind to skew later cells
                server.calls.hangup_call(uuid)
        out.append((stats, cpu))
    return out


def drive(server: targets.Server, cell: str, connections: int, seconds: float) -> tuple[dict, dict, list[str]]:
    """Run one cell against one server; returns (per-operation summary, server CPU use, errors)."""
    [(stats, cpu)] = drive_at_once([server], cell, connections, seconds)
    summary = loadgen.summarise(stats)
    return {op: summary[op] for op in ops.OPERATIONS if op in summary}, cpu, stats.errors


def measure(kind: str, cells, connections, seconds, warmup, workdir, log, tree=None) -> tuple[dict, dict, list[str]]:
    """Every cell at every connection count against a fresh server of this kind (`tree`: where an @base kind's code
    is). CPU per connection count: the mean over the cells, and each cell's µs per request."""
    server = targets.launch(kind, workdir, tree=tree)
    results, cpu, errors = {}, {}, []
    try:
        for cell in cells if warmup else ():  # Prism's JIT takes 10-20 s to settle; each path gets a share
            drive(server, cell, 32, warmup / len(cells))
        for c in connections:
            shares, costs = [], {}
            for cell in cells:
                summary, share, errs = drive(server, cell, c, seconds)
                results.setdefault(str(c), {}).update(summary)
                shares.append(share["share"])
                costs[cell] = round(share["us_per_request"], 1)
                errors += [f"{kind} {cell} c={c}: {e}" for e in dict.fromkeys(errs)]
                line = ", ".join(f"{op} {r['rps']:.0f}/s p99 {r['p99_ms']:.2f} ms" for op, r in summary.items())
                log(
                    f"  {kind:14} c={c:<3} {cell:8} {line} (cpu {share['share']:.2f}, "
                    f"{share['us_per_request']:.0f} µs/req)"
                )
            cpu[str(c)] = {
                "share": round(statistics.mean(shares), 2),
                "us_per_request": round(statistics.mean(costs.values()), 1),
                "cells": costs,
            }
        if kind in ("proxy", "proxy@base", "prism-proxy"):  # valid traffic: the proxy must have found nothing wrong
            found = server.violations() if server.control else prism_violations(server)
            log(f"  {kind:14} reported {found} violations")
            errors += [f"{kind} reported {found} violations on valid traffic (see {server.log})"] if found else []
    finally:
        server.stop()
    return results, cpu, errors


def prism_violations(server: targets.Server) -> int:
    """Violations `prism proxy` logged (one `Violation:` line each; with --errors=false it relays them)."""
    return server.log.read_text(errors="replace").count("Violation:")


def ratios(throughput: dict, a: str = "simulator", b: str = "prism") -> dict:
    """Target a's requests/s ÷ target b's, per connection count and operation both ran (simulator ÷ Prism unless
    told)."""
    first, second = throughput.get(a, {}), throughput.get(b, {})
    out = {}
    for c, per_op in first.items():
        for op, r in per_op.items():
            p = second.get(c, {}).get(op)
            if p and p["rps"]:
                out.setdefault(c, {})[op] = round(r["rps"] / p["rps"], 3)
    return out


def proxy_overhead(throughput: dict) -> dict:
    """Through the proxy ÷ direct to the simulator, per connection count and operation: req/s, p50 and p99."""
    sim, proxy = throughput.get("simulator", {}), throughput.get("proxy", {})
    out = {}
    for c, per_op in proxy.items():
        for op, through in per_op.items():
            direct = sim.get(c, {}).get(op)
            if direct and direct["rps"] and direct["p50_ms"] and direct["p99_ms"]:
                out.setdefault(c, {})[op] = {
                    "rps": round(through["rps"] / direct["rps"], 2),
                    "p50": round(through["p50_ms"] / direct["p50_ms"], 2),
                    "p99": round(through["p99_ms"] / direct["p99_ms"], 2),
                }
    return out
