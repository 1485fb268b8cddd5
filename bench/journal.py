"""What the request journal costs: requests/s with the journal on (its default size, no fault defined)
against `--journal-size 0`, two servers driven in turn in the same run; and its memory when full.

Rounds alternate which server goes first, so drift on a shared machine falls on both alike. The memory
figure counts the objects a full journal holds (entries and what only they refer to), filled by real
requests through the in-process transport, plus the RSS difference of the two servers after the same load.
"""

import statistics
import sys

from bench import ops, targets, throughput

ROUNDS = 3
CELLS = ("dtmf", "play", "speak")
CONNECTIONS = 32


def journal_bytes(journal) -> int:
    """Bytes held by the entries and what they refer to (ids, paths, bodies, headers), each object once."""
    seen: set[int] = set()
    total = 0
    stack = list(journal._entries)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, bool):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, tuple | list):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
    return total


def full_journal_mib() -> tuple[float, int]:
    """Fill a default-size journal with real answered requests (in-process); (MiB it holds, entries)."""
    from tryvox_sim.testing import simulated_api

    with simulated_api() as sim:
        size = sim.app.journal.size
        headers = {"Authorization": f"Bearer {sim.token}"}
        calls = [sim.new_call() for _ in range(100)]
        for i in range(size):
            sim.http.post(sim.path("dtmf", calls[i % len(calls)]), json={"digits": "1234#"}, headers=headers)
        return journal_bytes(sim.app.journal) / 2**20, len(sim.app.journal._entries)


def measure(seconds: float, workdir, log) -> dict:
    on = targets.launch("simulator", workdir)
    off = targets.launch("simulator", workdir, extra=["--journal-size", "0"])
    rps: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
    cpu: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}  # server CPU µs per request: steadier
    errors: list[str] = []
    try:
        for server in (on, off):  # warm both the same way
            throughput.drive(server, CELLS[0], CONNECTIONS, 1.0)
        for round_ in range(ROUNDS):
            order = [("on", on), ("off", off)] if round_ % 2 == 0 else [("off", off), ("on", on)]
            for cell in CELLS:
                for name, server in order:
                    summary, used, errs = throughput.drive(server, cell, CONNECTIONS, seconds)
                    errors += errs
                    rps[name].setdefault(cell, []).append(sum(r["rps"] for r in summary.values()))
                    cpu[name].setdefault(cell, []).append(used["us_per_request"])
        rss_on, rss_off = on.rss_mib(), off.rss_mib()
    finally:
        on.stop()
        off.stop()
    per_cell = {
        cell: {
            "on_rps": round(statistics.median(rps["on"][cell])),
            "off_rps": round(statistics.median(rps["off"][cell])),
            "ratio": round(statistics.median(rps["on"][cell]) / statistics.median(rps["off"][cell]), 3),
            "on_cpu_us": round(statistics.median(cpu["on"][cell]), 1),
            "off_cpu_us": round(statistics.median(cpu["off"][cell]), 1),
        }
        for cell in CELLS
    }
    for cell, row in per_cell.items():
        log(
            f"  journal on {row['on_rps']}/s, off {row['off_rps']}/s on {cell}: on ÷ off {row['ratio']:.3f}; "
            f"CPU {row['on_cpu_us']} vs {row['off_cpu_us']} µs/request"
        )
    full_mib, entries = full_journal_mib()
    log(f"  a full journal ({entries:,} entries) holds {full_mib:.1f} MiB; RSS on {rss_on:.1f} vs off {rss_off:.1f}")
    return {
        "connections": CONNECTIONS,
        "rounds": ROUNDS,
        "cells": per_cell,
        "median_ratio": round(statistics.median(row["ratio"] for row in per_cell.values()), 3),
        "cpu_ratio": round(
            statistics.median(row["off_cpu_us"] / row["on_cpu_us"] for row in per_cell.values() if row["on_cpu_us"]), 3
        ),
        "full_journal_mib": round(full_mib, 2),
        "full_journal_entries": entries,
        "bytes_per_entry": round(full_mib * 2**20 / entries) if entries else 0,
        "rss_after_load_mib": {"journal on": round(rss_on, 1), "journal off": round(rss_off, 1)},
        "errors": list(dict.fromkeys(errors)),
        "mix": [op for cell in CELLS for op in ops.CELLS[cell]],
    }
