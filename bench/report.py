"""The machine description and the Markdown rendering of bench results."""

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from bench.ops import CELLS
from bench.profile import STAGES


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().split()
    ram_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        node = "absent"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(ram_kib / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node,
        "commit": _git_commit(),
        "loadavg_before": round(os.getloadavg()[0], 2),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _git_commit(root: Path | None = None) -> str:
    """The commit measured (of this checkout, or of `root`), marked +dirty when tryvox_sim/ or the spec has
    uncommitted changes; "?" outside a git checkout."""
    root = root or Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "tryvox_sim", "openapi"], cwd=root, capture_output=True, text=True
        )
    except OSError:
        return "?"
    if head.returncode:
        return "?"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "–"


def markdown(results: dict) -> str:
    m, s = results["machine"], results["settings"]
    out = [
        "# Benchmark results",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, Node {m['node']}; {m['date']}, commit {m.get('commit', '?')}. "
        f"Load average (1 min) before/after the run: "
        f"{m['loadavg_before']} / {results.get('loadavg_after', '?')} (anything above 0 is other work "
        "sharing the 2 cores).",
        f"Load: `bench/loadgen.py` (closed loop, keep-alive, uvloop + httptools) on the same machine, "
        f"{s['seconds']} s per cell, after a {s['warmup_seconds']} s warm-up; each connection drives its "
        "own in-progress call. The simulator serves as `tryvox-sim serve` does (validation, auth and "
        "state on, self-check off); Prism is `prism mock` on the same spec; the proxy is `tryvox-sim proxy` in "
        "front of a simulator of its own, and Prism's proxy `prism proxy` in front of another; the peer is a bare "
        "httptools + uvloop server answering a fixed 202, the ceiling of this stack. Reproduce with `make bench`.",
        "",
    ]
    out += _summary(results)
    out += _throughput(results)
    out += _ceiling(results)
    out += _proxy(results)
    out += _prism_proxy(results)
    out += _base(results)
    out += _startup(results.get("startup"))
    out += _journal(results.get("journal"))
    out += _proxy_rules(results.get("proxy_rules"))
    out += _memory(results.get("memory"))
    out += _contract(results.get("contract"))
    return "\n".join(out) + "\n"


# Sections written by hand or by other runs (`make soak` appends one), kept after the new figures with what follows.
KEPT = ("\n## Where the memory goes", "\n## Soak, ")


def write(path: Path, results: dict) -> None:
    """Write results.md; the sections KEPT stay, after the new figures."""
    old = path.read_text() if path.exists() else ""
    kept = [at for at in (old.find(heading) for heading in KEPT) if at >= 0]
    path.write_text(markdown(results) + (old[min(kept) :] if kept else ""))


def _throughput(results: dict) -> list[str]:
    tp = results["throughput"]
    if not tp:
        return []
    sim, prism = tp.get("simulator", {}), tp.get("prism", {})
    out = [
        "## Throughput and latency",
        "",
        "requests/s and latency per operation; ratio = simulator requests/s ÷ Prism requests/s. "
        "startRecording and stopRecording alternate on each connection's call, so each gets about "
        "half of that cell's requests. In a closed loop mean latency = connections ÷ req/s, so p99 ≤ 10 ms "
        "at 32 connections needs well over 3,200 req/s.",
        "",
        "| conns | operation | sim req/s | sim p50 ms | sim p99 ms | sim non-2xx "
        "| Prism req/s | Prism p50 ms | Prism p99 ms | Prism non-2xx | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    conns = sorted({int(c) for t in tp.values() for c in t}, key=int)
    for c in conns:
        ops = list(dict.fromkeys([*sim.get(str(c), {}), *prism.get(str(c), {})]))
        for op in ops:
            a, b = sim.get(str(c), {}).get(op), prism.get(str(c), {}).get(op)
            row = [str(c), op]
            for r in (a, b):
                row += (
                    [f"{r['rps']:.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", str(r["non_2xx"])]
                    if r
                    else ["–"] * 4
                )
            row.append(_ratio(a["rps"], b["rps"]) if a and b else "–")
            out.append("| " + " | ".join(row) + " |")
    cpu = results.get("server_cpu", {})
    if cpu:
        out += [
            "",
            "Server CPU, mean over the cells: share of one core (CPU s ÷ wall s; below 1.0 means the "
            "server waited for a core or for the client) and CPU µs per request (steady even when "
            "other work shares the machine):",
            "",
            "| target | " + " | ".join(f"{c} conns: core share, µs/req" for c in conns) + " |",
            "|---|" + "---:|" * len(conns),
        ]
        for kind, per_conn in cpu.items():
            cells = [per_conn.get(str(c), {"share": 0, "us_per_request": 0}) for c in conns]  # proxy: its own CPU
            out.append(
                f"| {kind} | " + " | ".join(f"{x['share']:.2f}, {x['us_per_request']:.0f}" for x in cells) + " |"
            )
    return out + [""]


def _cell_cpu(results: dict, kind: str, conns: str, op: str) -> float | None:
    """CPU µs per request of `kind` on the cell of `op` (the mean over the cells in results without per-cell CPU)."""
    at = results.get("server_cpu", {}).get(kind, {}).get(conns)
    if not at:
        return None
    cell = next((cell for cell, names in CELLS.items() if op in names), None)
    return at.get("cells", {}).get(cell, at["us_per_request"])


def _ceiling(results: dict) -> list[str]:
    share = results.get("peer_share", {})
    peer = results["throughput"].get("peer")
    if not peer or not share.get("simulator"):
        return []
    kinds = [kind for kind in ("wire", "simulator", "simulator@base") if share.get(kind)]
    out = [
        "## The ceiling of this stack",
        "",
        "The peer (`bench/peer.py`) is a bare httptools + uvloop server answering every request with a fixed 202 "
        "body: no routing, no validation, no state. It is the most this stack (Python, uvloop's event loop, "
        "httptools' parser, loopback sockets, this load generator on the same cores) answers on this machine. It runs "
        "one cell; share = the simulator's requests/s ÷ the peer's, at the same connections and operation; CPU = the "
        "server's CPU µs per request on that cell. `wire` is the same fixed answer through tryvox_sim's own HTTP/1.1 "
        "core (`bench/peer.py --wire`), as the simulator and the proxy are served: what the core costs before any "
        "routing, validation or state.",
        "",
        "| conns | operation | peer req/s | peer CPU µs/req | "
        + " | ".join(f"{kind} req/s | {kind} CPU µs/req | share" for kind in kinds) + " |",
        "|---:|---|---:|---:|" + "---:|---:|---:|" * len(kinds),
    ]  # fmt: skip
    for c in sorted(share["simulator"], key=int):
        for op, r in peer.get(c, {}).items():
            row = [c, op, f"{r['rps']:.0f}", _us(_cell_cpu(results, "peer", c, op))]
            for kind in kinds:
                own, ratio = results["throughput"][kind].get(c, {}).get(op), share[kind].get(c, {}).get(op)
                row += [f"{own['rps']:.0f}" if own else "–", _us(_cell_cpu(results, kind, c, op)),
                        f"{ratio:.1%}" if ratio is not None else "–"]  # fmt: skip
            out.append("| " + " | ".join(row) + " |")
    return out + [""] + _stages(results) + [""]


def _us(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _stages(results: dict) -> list[str]:
    st = results.get("stages")
    if not st:
        return []
    used = st["cpu_us_per_request"]
    mean = statistics.mean(used.values())
    peer = results.get("server_cpu", {}).get("peer", {}).get(str(st["connections"]))
    beside = f"; the peer, {peer['us_per_request']:.0f} µs for all of its work" if peer else ""
    out = [
        "Where the simulator's CPU per request goes (`make sim-profile` prints the same): a simulator served as above, "
        f"driven with the same cells at {st['connections']} connections for {st['seconds']} s each while its stack "
        "was sampled every few ms of its CPU time (SIGPROF), each sample counted for the innermost stage on the stack "
        f"({st['samples']:,} samples: a share is known to within {50 / max(st['samples'], 1) ** 0.5:.1f} points, one "
        f"standard error). It used {', '.join(f'{cell} {us:.0f}' for cell, us in used.items())} µs of CPU a request"
        f"{beside}.",
        "",
        "| stage | share | ≈ µs/request | what |",
        "|---|---:|---:|---|",
    ]
    for stage, part in sorted(st["stages"].items(), key=lambda kv: -kv[1]):
        out.append(f"| {stage} | {part:.0%} | {part * mean:.1f} | {STAGES.get(stage, '')} |")
    return out


def _proxy(results: dict) -> list[str]:
    overhead = results.get("proxy_overhead")
    if not overhead:
        return []
    sim, proxy = results["throughput"]["simulator"], results["throughput"]["proxy"]
    out = [
        "## The validating proxy's overhead",
        "",
        "The same load through `tryvox-sim proxy` (in front of a simulator of its own) and direct to the simulator, "
        "in the same run; ratio = through the proxy ÷ direct. The proxy checks every exchange (the request, the "
        "answer, every invariant with the call's state) and keeps it for its HAR. The load generator, the proxy and "
        "its simulator share the machine's cores, so the ratio is the whole cost on this machine; the proxy's own "
        "CPU per request is in the CPU table above.",
        "",
        "| conns | operation | direct req/s | proxy req/s | req/s ratio | direct p50 ms | proxy p50 ms "
        "| direct p99 ms | proxy p99 ms | p50 ratio | p99 ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in sorted(overhead, key=int):
        for op, r in overhead[c].items():
            a, b = sim[c][op], proxy[c][op]
            out.append(
                f"| {c} | {op} | {a['rps']:.0f} | {b['rps']:.0f} | {r['rps']:.2f}× | {a['p50_ms']:.2f} "
                f"| {b['p50_ms']:.2f} | {a['p99_ms']:.2f} | {b['p99_ms']:.2f} | {r['p50']:.2f}× | {r['p99']:.2f}× |"
            )
    return out + [""]


def _prism_proxy(results: dict) -> list[str]:
    ratios = results.get("proxy_vs_prism_proxy")
    if not ratios:
        return []
    tp = results["throughput"]
    out = [
        "## The validating proxy beside Prism's",
        "",
        "The same load through `tryvox-sim proxy` and through `prism proxy <spec> <upstream>` (Prism's validating "
        "proxy, `--errors=false` so that it relays every answer and logs what it finds), each in front of a simulator "
        "of its own; ratio = through `tryvox-sim proxy` ÷ through `prism proxy`. The load is valid: the run fails if "
        "either proxy reports a violation of it (`prism proxy` logs a `Violation:` line each). The proxies' own CPU "
        "per request is in the CPU table above.",
        "",
        "| conns | operation | tryvox-sim proxy req/s | p50 ms | p99 ms | non-2xx | prism proxy req/s | p50 ms "
        "| p99 ms | non-2xx | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in sorted(ratios, key=int):
        for op, ratio in ratios[c].items():
            row = [c, op]
            for r in (tp["proxy"][c][op], tp["prism-proxy"][c][op]):
                row += [f"{r['rps']:.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", str(r["non_2xx"])]
            out.append("| " + " | ".join(row) + f" | {ratio:.2f}× |")
    return out + [""]


def _base(results: dict) -> list[str]:
    base = results.get("base")
    if not base:
        return []
    tp, now = results["throughput"], base["current_vs_base"]
    out = [
        "## Before and after",
        "",
        f"`simulator@base` and `proxy@base` run the code of `{base['tree']}` (commit {base['commit']}) on the same "
        ".venv, measured in the same run right after their current counterparts (`--baseline-tree`, "
        "`make bench BENCH_BASE=DIR`); ratio = current ÷ base requests/s. One after the other, the machine's swings "
        "enter the ratio: a run with DIR a checkout of the same code (an A/A run) shows how far.",
        "",
        "| conns | operation | simulator req/s | simulator@base req/s | ratio | proxy req/s | proxy@base req/s "
        "| ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in sorted({c for per in now.values() for c in per}, key=int):
        for op in dict.fromkeys([*now.get("simulator", {}).get(c, {}), *now.get("proxy", {}).get(c, {})]):
            row = [c, op]
            for kind in ("simulator", "proxy"):
                a, b = tp.get(kind, {}).get(c, {}).get(op), tp.get(f"{kind}@base", {}).get(c, {}).get(op)
                ratio = now.get(kind, {}).get(c, {}).get(op)
                row += [f"{a['rps']:.0f}" if a else "–", f"{b['rps']:.0f}" if b else "–",
                        f"{ratio:.2f}×" if ratio is not None else "–"]  # fmt: skip
            out.append("| " + " | ".join(row) + " |")
    lines = []
    for label, current, before in (
        ("simulator ÷ Prism", results.get("ratios_vs_prism"), base.get("simulator_vs_prism")),
        ("proxy ÷ prism proxy", results.get("proxy_vs_prism_proxy"), base.get("proxy_vs_prism_proxy")),
        ("simulator ÷ peer", results.get("peer_share", {}).get("simulator"),
         results.get("peer_share", {}).get("simulator@base")),
    ):  # fmt: skip
        for c in sorted(current or {}, key=int):
            if before and c in before:
                now_, then = statistics.median(current[c].values()), statistics.median(before[c].values())
                shown = f"{now_:.1%} now, {then:.1%}" if "peer" in label else f"{now_:.2f}× now, {then:.2f}×"
                lines.append(f"{label} at {c} conns: median {shown} base.")
    return out + ([""] + lines if lines else []) + [""]


def _spread(per_op: dict | None) -> tuple[float, float, float] | None:
    """(median, lowest, highest) over the operations, or None."""
    if not per_op:
        return None
    r = sorted(per_op.values())
    return statistics.median(r), r[0], r[-1]


def _startup(st: dict | None) -> list[str]:
    if not st:
        return []
    out = ["## Launch to ready", "", "| target | median s | samples (s) |", "|---|---:|---|"]
    for kind, r in st.items():
        out.append(f"| {kind} | {r['median_s']:.3f} | {', '.join(f'{x:.3f}' for x in r['samples_s'])} |")
    return out + [
        "",
        "Ready = the server printed its ready line (simulator: `export TVX_CALL_UUID=…`; Prism: `Prism is listening`).",
        "",
    ]


def _journal(j: dict | None) -> list[str]:
    if not j:
        return []
    out = [
        "## The request journal",
        "",
        f"Three simulators on one CPU, driven at once by one load generator on the other ({j['connections']} "
        f"connections each, {j['rounds']} rounds of {j.get('seconds', '?')} s per cell, medians): the journal at its "
        "default size (no fault defined), `--journal-size 0`, and a second one without a journal as an A/A control. "
        "Driven at once because this machine's speed swings by a quarter within a second; sharing a CPU, whatever "
        f"slows one slows all. Measured once the journal was full ({j.get('fill_seconds', '?')} s of filling). "
        "On ÷ off is the journal's cost (target: at most 5% lower, ≥ 0.95).",
        "",
        f"On ÷ off: **{j['median_ratio']:.3f}** (range {j['ratio_range'][0]:.3f}–{j['ratio_range'][1]:.3f}); "
        f"CPU per request off ÷ on {j['cpu_ratio']:.3f}; the control's own ratio (the method's error): "
        f"{j['control_ratio']:.3f} ({j['control_range'][0]:.3f}–{j['control_range'][1]:.3f}).",
        "",
        "| cell | journal on req/s | journal off req/s | on ÷ off | CPU µs/request on | off |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {cell} | {r['on_rps']} | {r['off_rps']} | {r['ratio']:.3f} | {r.get('on_cpu_us', '–')} | "
        f"{r.get('off_cpu_us', '–')} |"
        for cell, r in j["cells"].items()
    ]
    rss = j["rss_after_load_mib"]
    out += [
        "",
        f"A full journal ({j['full_journal_entries']:,} entries of real DTMF requests and answers) holds "
        f"{j['full_journal_mib']:.1f} MiB, {j['bytes_per_entry']} bytes an entry. RSS after the same load: "
        f"{rss['journal on']:.1f} MiB with the journal, {rss['journal off']:.1f} MiB without.",
        "",
    ]
    return out


def _proxy_rules(r: dict | None) -> list[str]:
    if not r:
        return []
    out = [
        "## The proxy's run-wide invariants",
        "",
        f"Three `tryvox-sim proxy` processes in front of one simulator (answering with RateLimit headers), on one CPU, "
        f"driven at once by one load generator on the other ({r['connections']} connections each, {r['rounds']} rounds "
        f"of {r['seconds']} s per cell, medians): with the run-wide invariants (action ids, rate-limit windows: "
        f"`RunMemory`), without them ({r['baseline']}), and a second one without them as an A/A control. Measured "
        f"once the first had seen more action answers than the {r['ids_before_measuring']:,} ids it keeps "
        f"({r['fill_seconds']} s of filling), so that every new id also evicts one. `python -m bench.proxy_rules` "
        f"runs this part alone (this one: commit {r.get('commit', '?')}).",
        "",
        f"The proxy's CPU per request, on ÷ off: **{r['cpu_ratio']:.3f}** (range {r['cpu_ratio_range'][0]:.3f}–"
        f"{r['cpu_ratio_range'][1]:.3f}); the control's own ratio (the method's error): {r['control_ratio']:.3f} "
        f"({r['control_range'][0]:.3f}–{r['control_range'][1]:.3f}); requests/s on ÷ off {r['rps_ratio']:.3f}.",
        "",
        "| cell | CPU µs/request on | off | control | req/s on | off | control |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {cell} | {c['on_cpu_us']} | {c['off_cpu_us']} | {c['control_cpu_us']} | {c['on_rps']:.0f} | "
        f"{c['off_rps']:.0f} | {c['control_rps']:.0f} |"
        for cell, c in r["cells"].items()
    ]
    rss = r["rss_mib"]
    return out + ["", f"RSS after the load: {rss['on']:.1f} MiB with the rules, {rss['off']:.1f} MiB without.", ""]


def _memory(mem: dict | None) -> list[str]:
    if not mem:
        return []
    out = ["## Memory after a million actions", ""]
    if "error" in mem:
        return out + [f"Not measured: {mem['error']}", ""]
    out += [
        f"{mem['actions']:,} actions over {mem['calls']:,} calls via HTTP ({mem['connections']} connections, "
        f"mix {', '.join(mem['mix'])}) at the load generator's full speed, {mem['actions_rps']:.0f} actions/s "
        f"(server CPU {mem['server_us_per_action']:.0f} µs each); "
        f"after each wave of {mem['calls_per_wave']} calls they were hung up and the clock advanced "
        f"{mem['advance_per_wave_s']} s; {mem['non_2xx']} non-2xx; {mem['elapsed_s']:.0f} s in all. The journal "
        "is on at its default size, as `tryvox-sim serve` runs.",
        "",
        "| point | simulator RSS MiB |",
        "|---|---:|",
    ]
    out += [f"| {point} | {rss:.1f} |" for point, rss in mem["rss_mib"].items()]
    tr = mem.get("traced")
    if tr:
        rss = list(mem["rss_mib"].values())
        over = rss[-1] - rss[0] - tr["retained_mib"]
        out += [
            "",
            f"The same requests in-process under tracemalloc ({tr['calls']} calls of {tr['actions_per_call']} "
            f"actions, once the journal is full): a retained call holds {tr['bytes_per_call']:,} bytes. Once every "
            f"retention has passed, {tr['retained_mib']:.1f} MiB more than at launch is still held (the journal's "
            f"{tr['journal_entries']:,} entries, mostly), so RSS after the retention is {over:.1f} "
            "MiB above launch plus what is still retained.",
        ]
    return out + [""]


def _contract(ct: dict | None) -> list[str]:
    if not ct:
        return []
    out = ["## `make contract`", ""]
    if "error" in ct:
        return out + [f"Not measured: {ct['error']}", ""]
    out += [
        "| exit | wall s | CPU s, all processes | simulator CPU s | fuzzer and the rest, CPU s |",
        "|---:|---:|---:|---:|---:|",
        f"| {ct['exit']} | {ct['wall_s']:.1f} | {ct['total_cpu_s']:.1f} | {ct['simulator_cpu_s']:.1f} "
        f"| {ct['other_cpu_s']:.1f} |",
        "",
        ct.get("note", ""),
        "",
    ]
    return out


def _summary(results: dict) -> list[str]:
    """The figures against the project's targets (reported, never asserted)."""
    rows = []
    at32 = results.get("ratios_vs_prism", {}).get("32")
    if at32:
        r = sorted(at32.values())
        rows.append(("req/s at 32 conns, simulator ÷ Prism", "≥ 5×", f"median {statistics.median(r):.1f}× "
                     f"(per operation {r[0]:.1f}×–{r[-1]:.1f}×)"))  # fmt: skip
    sim32 = results["throughput"].get("simulator", {}).get("32")
    if sim32:
        p99 = sorted(x["p99_ms"] for x in sim32.values())
        rows.append(("simulator p99 at 32 conns", "≤ 10 ms", f"{p99[0]:.1f}–{p99[-1]:.1f} ms"))
    proxies = _spread(results.get("proxy_vs_prism_proxy", {}).get("32"))
    if proxies:
        rows.append(("req/s at 32 conns, tryvox-sim proxy ÷ prism proxy", "–",
                     f"median {proxies[0]:.2f}× (per operation {proxies[1]:.2f}×–{proxies[2]:.2f}×)"))  # fmt: skip
    share = results.get("peer_share", {}).get("simulator", {}).get("32")
    if share:
        op, ratio = next(iter(share.items()))
        sim, peer = results["throughput"]["simulator"]["32"][op], results["throughput"]["peer"]["32"][op]
        rows.append(("simulator's share of this stack's ceiling (the peer), 32 conns", "–",
                     f"{ratio:.1%} on {op} ({sim['rps']:,.0f} vs {peer['rps']:,.0f} req/s); CPU "
                     f"{_us(_cell_cpu(results, 'simulator', '32', op))} vs {_us(_cell_cpu(results, 'peer', '32', op))}"
                     " µs/request"))  # fmt: skip
    st = results.get("stages")
    if st:
        ranked = sorted(st["stages"].items(), key=lambda kv: -kv[1])
        rows.append(("the simulator's CPU per request by stage (its stack sampled)", "–",
                     ", ".join(f"{name} {part:.0%}" for name, part in ranked)))  # fmt: skip
    cpu = results.get("server_cpu", {})
    if "simulator" in cpu and "prism" in cpu and "32" in cpu["simulator"] and "32" in cpu["prism"]:
        a, b = cpu["simulator"]["32"]["us_per_request"], cpu["prism"]["32"]["us_per_request"]
        text = f"simulator {a:.0f} µs, Prism {b:.0f} µs ({_ratio(b, a)} less)"
        if "32" in cpu.get("proxy", {}) and "32" in cpu.get("prism-proxy", {}):
            a, b = cpu["proxy"]["32"]["us_per_request"], cpu["prism-proxy"]["32"]["us_per_request"]
            text += f"; tryvox-sim proxy {a:.0f} µs, prism proxy {b:.0f} µs ({_ratio(b, a)} less)"
        rows.append(("CPU per request at 32 conns", "–", text))
    base = results.get("base")
    if base:
        for kind in ("simulator", "proxy"):
            got = _spread(base["current_vs_base"].get(kind, {}).get("32"))
            if got:
                rows.append((f"req/s at 32 conns, {kind} ÷ {kind}@base ({base['commit']})", "no lower",
                             f"median {got[0]:.2f}× (per operation {got[1]:.2f}×–{got[2]:.2f}×)"))  # fmt: skip
        pairs = (("simulator@base ÷ Prism", "simulator_vs_prism"), ("proxy@base ÷ prism proxy", "proxy_vs_prism_proxy"))
        spreads = [(label, _spread(base.get(key, {}).get("32"))) for label, key in pairs]
        then = [f"{label} median {got[0]:.2f}×" for label, got in spreads if got]
        if then:
            rows.append(("the base's figures at 32 conns, same run", "–", "; ".join(then)))
    jr = results.get("journal")
    if jr:
        rows.append(
            (
                "req/s, journal on ÷ off",
                "≥ 0.95",
                f"median {jr['median_ratio']:.3f} (CPU per request: {jr.get('cpu_ratio', 0):.3f}); "
                f"full: {jr['full_journal_mib']:.1f} MiB",
            )
        )
    rules = results.get("proxy_rules")
    if rules:
        rows.append(("proxy CPU per request, run-wide invariants on ÷ off", "–",
                     f"median {rules['cpu_ratio']:.3f} (A/A control {rules['control_ratio']:.3f})"))  # fmt: skip
    via = results.get("proxy_overhead", {}).get("32")
    if via:
        r, p99 = sorted(x["rps"] for x in via.values()), sorted(x["p99"] for x in via.values())
        rows.append(("req/s through the proxy ÷ direct, 32 conns", "–", f"median {statistics.median(r):.2f}× "
                     f"({r[0]:.2f}×–{r[-1]:.2f}×); p99 {p99[0]:.1f}×–{p99[-1]:.1f}× direct"))  # fmt: skip
    mem = results.get("memory")
    if mem and "rss_mib" in mem:
        rss = list(mem["rss_mib"].values())
        rows.append((f"simulator RSS, {mem['actions']:,} actions", "≤ 100 MB", f"max {max(rss):.1f} MiB"))
        if "traced" in mem:
            over = rss[-1] - rss[0] - mem["traced"]["retained_mib"]
            rows.append(("RSS after the retention, above launch + still retained", "≤ 10 MiB", f"{over:.1f} MiB"))
    st = results.get("startup", {})
    if "simulator" in st:
        other = f" (Prism {st['prism']['median_s']:.2f} s)" if "prism" in st else ""
        rows.append(("launch to ready, median", "≤ 1 s", f"{st['simulator']['median_s']:.2f} s{other}"))
    ct = results.get("contract")
    if ct and "wall_s" in ct:
        rows.append(("default `make contract`, wall", "≤ 60 s", f"{ct['wall_s']:.1f} s (exit {ct['exit']})"))
    if not rows:
        return []
    out = ["## Summary against the targets", "", "| figure | target | measured |", "|---|---|---|"]
    return out + [f"| {a} | {b} | {c} |" for a, b, c in rows] + [""]


def main(argv=None) -> int:
    """Re-render results.md from a results.json: python -m bench.report bench/results.json"""
    path = Path((argv or sys.argv[1:] or [Path(__file__).resolve().parent / "results.json"])[0])
    results = json.loads(path.read_text())
    write(path.parent / "results.md", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
