"""`make sim-profile`: where the served simulator's CPU per request goes.

First the simulator under cProfile, driven by the bench's load generator (every operation, 32 connections,
bounded): req/s, p99 and the functions where the server spends its time. cProfile costs about 1 µs a Python call
on this machine, several times the code's own time, and reads wall time (a function that wakes the load generator
also holds the time it waited for a core), so it names functions but cannot weigh stages.

Then the stages (`stages`, also part of `make bench`): the simulator served as `tryvox-sim serve` runs it, with its
stack sampled every few ms of its CPU time (SIGPROF, ITIMER_PROF: the kernel's tick, 4 ms at 250 Hz) from once its
App is built; each sample is counted for the innermost stage on the stack (`STAGES`), found from the live objects
(the connection's and the App's methods), not from file names. Sampling adds nothing to each call, so the shares
are those of the unprofiled server. A signal is handled at the next Python instruction, so time in C is counted
for the Python code that called it (the send syscall for the write) or, when the event loop's C code called back
into Python, for the event loop (`data_received` at its first instruction).

    python -m bench.profile                                  # make sim-profile
    python -m bench.profile serve-sampled COUNTS SERVE-ARGS  # the sampled server (COUNTS: the JSON it writes)
"""

import json
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import ops, targets, throughput

SECONDS = float(os.environ.get("SIM_PROFILE_SECONDS", 3))
CONNECTIONS = 32
SAMPLE_EVERY_S = 0.001  # of CPU time; the kernel's tick makes it longer

STAGES = {
    "event loop": "the event loop: epoll, socket reads, calling into Python, housekeeping timers",
    "parse": "the HTTP request: httptools and the server's header callbacks",
    "routing": "the path to its operation (Spec.match)",
    "body": "the request body: JSON parsing and schema validation (validated_body)",
    "auth and lookup": "the token, the rate limit, the path's account and call (CallActions.carry_out, less the "
    "body and the operation)",
    "operation": "the operation on the call's state: ids, timers, events (the World's handler)",
    "answer body": "the response's body: JSON encoding (Response.json)",
    "journal": "the request journal (Journal.record)",
    "pipeline": "the rest of the request pipeline's steps (sim/pipeline.py) and the actions' Prefer and faults",
    "http answer": "the HTTP response's status line and headers (the wire's encode)",
    "write": "the socket write (transport.write: the send syscall, loopback delivery, waking the reader)",
}


def markers(connection: type, app: object) -> dict[object, str]:
    """The code of each stage's function -> the stage. A stage holds what its function calls, less the stages found
    inside it; found from the wire's connection class and the App (its pipeline's steps, followed from
    `App.respond`), so they follow the code when it moves."""
    steps, step = [], getattr(app, "respond", None)
    while step is not None:  # Routing -> Journaling -> ... -> Dispatch
        steps.append(step)
        step = getattr(step, "inner", None)
    actions = getattr(steps[-1], "actions", None) if steps else None
    carry_out = getattr(type(actions), "carry_out", None)
    encode = connection.send.__globals__.get("encode")
    response = connection.send.__globals__.get("Response")
    pairs = [
        (connection.data_received, "parse"), (encode, "http answer"), (connection.send, "write"),
        *((type(step).__call__, "pipeline") for step in steps), (type(actions).__call__, "pipeline"),
        (carry_out, "auth and lookup"), (app.spec.match, "routing"),
        (carry_out.__globals__.get("validated_body") if carry_out else None, "body"),
        (getattr(response, "json", None), "answer body"), (getattr(response, "__init__", None), "answer body"),
        (type(app.journal).record, "journal"), *((fn, "operation") for fn in app.handlers.values()),
    ]  # fmt: skip
    return {fn.__code__: stage for fn, stage in pairs if hasattr(fn, "__code__")}


class Sampler:
    """Counts SIGPROF samples of the main thread's stack by the innermost stage on it."""

    def __init__(self, found: dict[object, str]):
        self.markers = found
        self.counts = dict.fromkeys(STAGES, 0)

    def __call__(self, signum, frame):
        innermost = frame
        while frame is not None:
            stage = self.markers.get(frame.f_code)
            if stage is not None:
                if frame is innermost and stage == "parse" and frame.f_lasti == 0:
                    stage = "event loop"  # the loop's C code called data_received with the sample pending
                self.counts[stage] += 1
                return
            frame = frame.f_back
        self.counts["event loop"] += 1  # no request on the stack: the loop itself, its timers

    def start(self):
        signal.signal(signal.SIGPROF, self)
        signal.setitimer(signal.ITIMER_PROF, SAMPLE_EVERY_S, SAMPLE_EVERY_S)

    def stop(self):
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def serve_sampled(counts: Path, argv: list[str]) -> int:
    """`tryvox-sim serve ARGV`, sampled from once its App is built (start-up left out); writes the counts to
    `counts` when it stops (SIGTERM)."""
    from tryvox_sim import cli
    from tryvox_sim.wire.http11 import Connection

    built, sampler = cli.build_app, None

    def build(args):
        nonlocal sampler
        app = built(args)
        sampler = Sampler(markers(Connection, app))
        sampler.start()
        return app

    cli.build_app = build
    try:
        return cli.main(["serve", *argv])
    finally:
        if sampler is not None:
            sampler.stop()
            counts.write_text(json.dumps(sampler.counts))


def stages(cells, seconds: float, workdir: Path, connections: int = CONNECTIONS) -> dict:
    """Drive each cell for `seconds` against a sampled simulator; its CPU µs per request per cell, and each stage's
    share of its CPU over all of them."""
    counts = workdir / f"stages-{time.time_ns()}.json"
    address = ["--host", "127.0.0.1", "--port", "0"]
    command = [sys.executable, "-m", "bench.profile", "serve-sampled", str(counts), *address]
    server = targets.launch("simulator", workdir, command=command)
    cpu_us, non_2xx, errors = {}, 0, []
    try:
        for cell in cells:
            summary, cpu, errs = throughput.drive(server, cell, connections, seconds)
            cpu_us[cell] = round(cpu["us_per_request"], 1)
            non_2xx += sum(r["non_2xx"] for r in summary.values())
            errors += [f"stages {cell}: {e}" for e in dict.fromkeys(errs)]
    finally:
        server.stop()  # SIGTERM: the server stops gracefully and writes its counts
    if not counts.exists():
        raise RuntimeError(f"the sampled simulator wrote no counts; see {server.log}")
    found = json.loads(counts.read_text())
    total = sum(found.values())
    return {
        "connections": connections,
        "seconds": seconds,
        "cpu_us_per_request": cpu_us,
        "samples": total,
        "stages": {stage: round(found.get(stage, 0) / total, 3) if total else 0.0 for stage in STAGES},
        "non_2xx": non_2xx,
        "errors": errors,
    }


def stage_line(result: dict) -> str:
    """The stages, largest first: `write 28%, operation 20%, ...`."""
    ranked = sorted(result["stages"].items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {share:.0%}" for name, share in ranked)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve-sampled"] and len(argv) > 1:
        return serve_sampled(Path(argv[1]), argv[2:])
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
    result = stages(tuple(ops.CELLS), SECONDS, workdir)
    mean = sum(result["cpu_us_per_request"].values()) / len(result["cpu_us_per_request"])
    print(f"Served without cProfile, {CONNECTIONS} connections: CPU µs per request "
          + ", ".join(f"{cell} {us:.0f}" for cell, us in result["cpu_us_per_request"].items())
          + f"; by stage, from {result['samples']} samples of the stack:")  # fmt: skip
    for name, share in sorted(result["stages"].items(), key=lambda kv: -kv[1]):
        print(f"  {share:6.1%}  {share * mean:5.1f} µs  {name:15} {STAGES[name]}")
    return 1 if result["non_2xx"] or result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
