"""Simulator RSS after a million actions over ten thousand calls, driven over HTTP.

Calls come in waves: create the wave's calls, run every call's share of actions (the full mix,
so recordings are made and stopped), read RSS while the wave's calls are live, hang them up,
advance the simulator's clock two hours so finished calls pass their one-hour retention. A final
31-day advance passes the recordings' 30-day retention too. RSS is read from /proc.
"""

import time

from bench import loadgen, ops, targets

CONNECTIONS = 50
CALLS_PER_WAVE = 1000
WAVE_ADVANCE_S = 2 * 3600
RECORDING_RETENTION_S = 31 * 86400
TOTAL_BOUND_S = 1200  # the whole run stops by then, finished or not


def measure(actions: int, calls: int, workdir, log) -> dict:
    per_call = max(1, actions // calls)
    per_wave = min(CALLS_PER_WAVE, calls)
    conns = min(CONNECTIONS, per_wave)
    server = targets.launch("simulator", workdir)
    rss = {"after launch": server.rss_mib()}
    peak = 0.0
    sent, non_2xx, began = 0, 0, time.perf_counter()
    try:
        for first in range(0, calls, per_wave):
            left = TOTAL_BOUND_S - (time.perf_counter() - began)
            if left <= 0:
                return {"error": f"stopped after {TOTAL_BOUND_S} s with {sent:,} actions sent"}
            wave = server.new_calls(min(per_wave, calls - first))
            streams = [ops.script(ops.MIX, server.target, wave[i::conns], per_call) for i in range(conns)]
            stats = loadgen.run_load(server.target.host, server.target.port, streams, left)
            if stats.errors:
                return {"error": f"load failed after {sent:,} actions: {stats.errors[0]}"}
            sent += stats.responses
            non_2xx += sum(op.non_2xx for op in stats.ops.values())
            peak = max(peak, server.rss_mib())
            for uuid in wave:
                server.control.hangup_call(uuid)
            server.control.advance_clock(WAVE_ADVANCE_S)
            log(f"  {sent:,} actions sent, RSS {server.rss_mib():.1f} MiB")
        elapsed = time.perf_counter() - began
        server.new_calls(1)  # one more request, in case retention is applied lazily
        rss[f"peak, with a wave of {per_wave:,} calls live"] = peak
        kept = len(server.control.list_calls())
        # Ended calls with recordings stay until those expire (30 days); the others go after an hour.
        rss[f"after {sent:,} actions, every call ended ({kept:,} calls kept for their recordings)"] = server.rss_mib()
        server.control.advance_clock(RECORDING_RETENTION_S)
        server.new_calls(1)
        kept = len(server.control.list_calls())
        # Python keeps freed memory for reuse, so RSS stays flat: the call count shows what was dropped.
        rss[f"after 31 more days, past the 30-day recording retention ({kept:,} calls kept)"] = server.rss_mib()
    finally:
        server.stop()
    for point, mib in rss.items():
        log(f"  RSS {point}: {mib:.1f} MiB")
    return {
        "actions": sent,
        "calls": calls,
        "connections": conns,
        "calls_per_wave": per_wave,
        "advance_per_wave_s": WAVE_ADVANCE_S,
        "mix": list(ops.MIX),
        "non_2xx": non_2xx,
        "elapsed_s": round(elapsed, 1),
        "rps": round(sent / elapsed, 1),
        "rss_mib": {k: round(v, 1) for k, v in rss.items()},
    }
