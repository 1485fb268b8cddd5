"""What the request journal costs: requests/s with the journal on (its default size, no fault defined)
against `--journal-size 0`, in the same run; and its memory when full.

Measured at the same instant, not in turn. This machine's speed swings by a quarter within a second (one
server alone, 0.5 s samples: 62 to 104 µs of CPU per request), so servers driven one after the other differ
by more than the 5% being measured (earlier runs: on ÷ off 0.70, 0.87, 1.03 for the same code). Here the
simulators share one CPU, so whatever slows the machine slows them alike, and one load generator on the
other CPU drives them all at once, 32 connections each: each server's req/s is set by its own cost per
request. A second simulator without a journal runs beside them as a control: its ratio to the first is the
method's own error (an A/A test). Measurement starts once the journal is full, when every request also
evicts the oldest entry.

The memory figure counts the objects a full journal holds (entries and what only they refer to), filled by
real requests through the in-process transport, plus the RSS difference of the servers after the same load.
"""

import os
import statistics
import sys
import time

from bench import ops, targets, throughput
from tryvox_sim.sim.journal import DEFAULT_SIZE

ROUNDS = 3
CELLS = ("dtmf", "play", "speak")
CONNECTIONS = 32
FILL_LIMIT_S = 60  # the warm-up drives until the journal is full, at most this long
SERVERS = ("on", "off", "control")  # journal at its default size; --journal-size 0; a second one, the A/A control


def journal_bytes(journal) -> int:
    """Bytes held by the entries and what they refer to (paths, bodies, answers, headers), each object once."""
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


def full_journal_mib(size: int = DEFAULT_SIZE) -> tuple[float, int]:
    """Fill a journal with real answered requests (in-process); (MiB it holds, entries)."""
    from tryvox_sim.testing import simulated_api

    with simulated_api(journal_size=size) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        calls = [sim.new_call() for _ in range(100)]
        for i in range(size):
            sim.http.post(sim.path("dtmf", calls[i % len(calls)]), json={"digits": "1234#"}, headers=headers)
        return journal_bytes(sim.app.journal) / 2**20, len(sim.app.journal._entries)


def split_cpus() -> tuple[set[int] | None, set[int] | None]:
    """(the simulators' CPU, the load generator's CPUs); (None, None) with one CPU: then nothing is pinned."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[-1]}, set(cpus[:-1])


def drive_together(servers: list[targets.Server], cell: str, seconds: float) -> list[dict]:
    """Drive every server at once, CONNECTIONS each; per server: req/s, CPU µs per request, errors."""
    rows = []
    for stats, cpu in throughput.drive_at_once(servers, cell, CONNECTIONS, seconds):
        n = sum(op.count for op in stats.ops.values())
        non_2xx = sum(op.non_2xx for op in stats.ops.values())
        rows.append({
            "rps": n / stats.elapsed_s if stats.elapsed_s else 0.0,
            "cpu_us": cpu["us_per_request"],
            "errors": stats.errors + ([f"{non_2xx} non-2xx answers on {cell}"] if non_2xx else []),
        })  # fmt: skip
    return rows


def _fill(servers: list[targets.Server], seconds: float) -> float:
    """Drive until the journal of `on` is full (it drops entries); returns the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < FILL_LIMIT_S:
        drive_together(servers, CELLS[0], seconds)
        if servers[0].control.http.get("/_sim/requests", params={"limit": 1}).json()["dropped"] > 0:
            break
    return time.monotonic() - began


def measure(seconds: float, workdir, log, rounds: int = ROUNDS, size: int = DEFAULT_SIZE) -> dict:
    """`size`: the journal's (the default unless a test wants it small)."""
    server_cpus, load_cpus = split_cpus()
    extra = {"on": ["--journal-size", str(size)], "off": ["--journal-size", "0"], "control": ["--journal-size", "0"]}
    servers: list[targets.Server] = []
    own_cpus = os.sched_getaffinity(0)
    samples: dict[str, list[list[dict]]] = {cell: [] for cell in CELLS}
    try:
        for name in SERVERS:  # one at a time, so the finally stops those already started if one fails
            servers.append(targets.launch("simulator", workdir, extra=extra[name], cpus=server_cpus))
        if load_cpus:
            os.sched_setaffinity(0, load_cpus)
        filled_s = _fill(servers, min(seconds, 2.0))
        for _ in range(rounds):
            for cell in CELLS:
                samples[cell].append(drive_together(servers, cell, seconds))
        rss = {name: s.rss_mib() for name, s in zip(SERVERS, servers, strict=True)}
    finally:
        os.sched_setaffinity(0, own_cpus)
        for server in servers:
            server.stop()
    on, off, control = range(len(SERVERS))
    ratios, controls, cpu_ratios, per_cell = [], [], [], {}
    for cell, cell_rounds in samples.items():
        cell_ratios = [r[on]["rps"] / r[off]["rps"] for r in cell_rounds if r[off]["rps"]]
        ratios += cell_ratios
        controls += [r[control]["rps"] / r[off]["rps"] for r in cell_rounds if r[off]["rps"]]
        cpu_ratios += [r[off]["cpu_us"] / r[on]["cpu_us"] for r in cell_rounds if r[on]["cpu_us"]]
        per_cell[cell] = {
            "on_rps": round(statistics.median(r[on]["rps"] for r in cell_rounds)),
            "off_rps": round(statistics.median(r[off]["rps"] for r in cell_rounds)),
            "ratio": round(statistics.median(cell_ratios), 3),
            "on_cpu_us": round(statistics.median(r[on]["cpu_us"] for r in cell_rounds), 1),
            "off_cpu_us": round(statistics.median(r[off]["cpu_us"] for r in cell_rounds), 1),
        }
        row = per_cell[cell]
        log(
            f"  journal on {row['on_rps']}/s, off {row['off_rps']}/s on {cell}, at once: on ÷ off {row['ratio']:.3f}; "
            f"CPU {row['on_cpu_us']} vs {row['off_cpu_us']} µs/request"
        )
    errors = [e for cell_rounds in samples.values() for r in cell_rounds for row in r for e in row["errors"]]
    log(
        f"  on ÷ off median {statistics.median(ratios):.3f} (range {min(ratios):.3f}–{max(ratios):.3f}); "
        f"control ÷ off (A/A) {statistics.median(controls):.3f} ({min(controls):.3f}–{max(controls):.3f})"
    )
    full_mib, entries = full_journal_mib(size)
    log(
        f"  a full journal ({entries:,} entries) holds {full_mib:.1f} MiB; RSS on {rss['on']:.1f}, off {rss['off']:.1f}"
    )
    return {
        "method": "at once, simulators on one CPU" if server_cpus else "at once, not pinned (one CPU)",
        "connections": CONNECTIONS,
        "journal_size": size,
        "rounds": rounds,
        "seconds": seconds,
        "fill_seconds": round(filled_s, 1),
        "cells": per_cell,
        "median_ratio": round(statistics.median(ratios), 3),
        "ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
        "control_ratio": round(statistics.median(controls), 3),
        "control_range": [round(min(controls), 3), round(max(controls), 3)],
        "cpu_ratio": round(statistics.median(cpu_ratios), 3),
        "full_journal_mib": round(full_mib, 2),
        "full_journal_entries": entries,
        "bytes_per_entry": round(full_mib * 2**20 / entries) if entries else 0,
        "rss_after_load_mib": {"journal on": round(rss["on"], 1), "journal off": round(rss["off"], 1)},
        "errors": list(dict.fromkeys(errors)),
        "mix": [op for cell in CELLS for op in ops.CELLS[cell]],
    }
