"""`make sim-profile`: the served simulator under cProfile, driven by the bench's load generator (every
operation, 32 connections, bounded); prints req/s, p99 and the functions where the server spends its time."""

import os
import pstats
import sys
import tempfile
from pathlib import Path

from bench import ops, targets, throughput

SECONDS = float(os.environ.get("SIM_PROFILE_SECONDS", 3))
CONNECTIONS = 32


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="sim-profile-"))
    out = workdir / "simulator.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "tryvox_sim.cli", "serve", "--port", "0"]
    server = targets.launch("simulator", workdir, command=command)
    try:
        for cell in ops.CELLS:
            summary, cpu, errors = throughput.drive(server, cell, CONNECTIONS, SECONDS)
            for op, r in summary.items():
                print(f"{op:15} {r['rps']:7.0f} req/s  p99 {r['p99_ms']:6.2f} ms  non-2xx {r['non_2xx']}  "
                      f"server CPU {cpu['us_per_request']:.0f} µs/request (under cProfile)")  # fmt: skip
            if errors:
                print(f"{cell}: {errors[:3]}")
    finally:
        server.stop()  # SIGTERM: the server stops gracefully and cProfile writes its file
    if not out.exists():
        print(f"no profile written; see {server.log}", file=sys.stderr)
        return 1
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
