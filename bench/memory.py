"""The simulator's memory over a million actions on ten thousand calls.

Served (`measure`): calls come in waves. Create the wave's calls, drive every call's share of actions (the full
mix, so recordings are made and stopped) through the load generator at its full speed, then hang the wave's calls
up (through the load generator too) and advance the simulator's clock two hours, so finished calls pass their
one-hour retention (those with recordings stay 30 days). A final 31-day advance passes the recordings' retention
too. RSS is read from /proc, and sampled while the load runs.

In-process (`traced`): the same requests, as bytes, through the server's connection code and `App.handle` of a
simulator built as `tryvox-sim serve` builds it, under tracemalloc: the bytes a retained call holds, and the bytes
still held once every call's retention has passed (the request journal, mostly), the "what is still retained" that
RSS after the retention is compared with.

    python -m bench.memory [--actions N --calls N]   # the whole run so, wave by wave: the traced bytes, and
                                                     # where they are (bench/results.md, "Where the memory goes")
"""

import argparse
import asyncio
import gc
import math
import sys
import time
import tracemalloc

import orjson
import uvloop

from bench import loadgen, ops, targets

CONNECTIONS = 50
CALLS_PER_WAVE = 1000
WAVE_ADVANCE_S = 2 * 3600
RECORDING_RETENTION_S = 31 * 86400
TOTAL_BOUND_S = 1200  # the whole run stops by then, finished or not
RSS_EVERY_S = 0.2
TRACED_CALLS = 200  # calls whose bytes the in-process replay counts


def actions(target: ops.Target, calls: list[str], per_call: int) -> list[tuple[str, ops.Request]]:
    """Each call's share of the mix, call after call."""
    out = []
    for uuid in calls:
        mix = [(name, ops.request(ops.OPERATIONS[name], target, uuid)) for name in ops.MIX]
        out += [mix[i % len(mix)] for i in range(per_call)]
    return out


def hangups(target: ops.Target, calls: list[str]) -> list[tuple[str, ops.Request]]:
    return [("hangupCall", ops.hangup(target, uuid)) for uuid in calls]


def connections(requests: list[tuple[str, ops.Request]], per_call: int, conns: int) -> list:
    """`conns` request streams for the load generator; a call's requests stay on one connection, in order."""
    raw = {id(request): ops.raw(*request) for _, request in requests}  # each call's few distinct requests, once
    streams: list[list[tuple[str, bytes]]] = [[] for _ in range(conns)]
    for i, (name, request) in enumerate(requests):
        streams[(i // per_call) % conns].append((name, raw[id(request)]))
    return [iter(stream) for stream in streams]


async def _drive(server: targets.Server, streams: list, seconds: float) -> tuple[loadgen.RunStats, float]:
    """The load at the generator's full speed, RSS sampled meanwhile: (its stats, the highest RSS seen)."""
    load = asyncio.ensure_future(loadgen.drive(server.target.host, server.target.port, streams, seconds))
    highest = server.rss_mib()
    while not load.done():
        await asyncio.wait([load], timeout=RSS_EVERY_S)
        highest = max(highest, server.rss_mib())
    return load.result(), highest


def measure(actions_total: int, calls: int, workdir, log, conns: int = CONNECTIONS) -> dict:
    per_call = max(1, actions_total // calls)
    per_wave = min(CALLS_PER_WAVE, calls)
    conns = min(conns, per_wave)
    server = targets.launch("simulator", workdir)
    rss = {"after launch": server.rss_mib()}
    highest, sent, non_2xx, actions_s, cpu_s, began = rss["after launch"], 0, 0, 0.0, 0.0, time.perf_counter()

    def drive(requests: list[tuple[str, ops.Request]], per: int) -> loadgen.RunStats:
        nonlocal highest, non_2xx
        left = TOTAL_BOUND_S - (time.perf_counter() - began)
        stats, high = uvloop.run(_drive(server, connections(requests, per, conns), max(left, 0)))
        highest = max(highest, high)
        non_2xx += sum(op.non_2xx for op in stats.ops.values())
        return stats

    try:
        for first in range(0, calls, per_wave):
            wave = server.new_calls(min(per_wave, calls - first))
            cpu_before = server.cpu_s()
            stats = drive(actions(server.target, wave, per_call), per_call)
            sent, actions_s, cpu_s = (
                sent + stats.responses,
                actions_s + stats.elapsed_s,
                cpu_s + server.cpu_s() - cpu_before,
            )
            stats.errors += drive(hangups(server.target, wave), 1).errors
            if stats.errors:
                return {"error": f"load failed after {sent:,} actions: {stats.errors[0]}"}
            if time.perf_counter() - began > TOTAL_BOUND_S:
                return {"error": f"stopped after {TOTAL_BOUND_S} s with {sent:,} actions sent"}
            server.control.advance_clock(WAVE_ADVANCE_S)
            log(f"  {sent:,} actions sent, RSS {server.rss_mib():.1f} MiB")
        elapsed = time.perf_counter() - began
        server.new_calls(1)  # one more request, in case retention is applied lazily
        rss[f"highest, sampled every {RSS_EVERY_S} s while the load ran"] = highest
        # Ended calls with recordings stay until those expire (30 days); the others go after an hour.
        rss[f"after {sent:,} actions, every call ended (those with recordings kept)"] = server.rss_mib()
        server.control.advance_clock(RECORDING_RETENTION_S)
        server.new_calls(1)
        after = server.rss_mib()
        kept = len(server.control.list_calls())  # after reading RSS: listing 10,000 calls takes memory of its own
        rss[f"after 31 more days, past the 30-day recording retention ({kept:,} calls kept)"] = after
    finally:
        server.stop()
    for point, mib in rss.items():
        log(f"  RSS {point}: {mib:.1f} MiB")
    trace = traced(per_call)
    log(f"  in-process, under tracemalloc: a retained call holds {trace['bytes_per_call']:,} bytes; "
        f"{trace['retained_mib']:.1f} MiB more than at launch stay after the retention")  # fmt: skip
    return {
        "actions": sent,
        "calls": calls,
        "connections": conns,
        "calls_per_wave": per_wave,
        "advance_per_wave_s": WAVE_ADVANCE_S,
        "mix": list(ops.MIX),
        "non_2xx": non_2xx,
        "elapsed_s": round(elapsed, 1),
        "actions_rps": round(sent / actions_s, 1) if actions_s else 0.0,
        "server_us_per_action": round(cpu_s * 1e6 / sent, 1) if sent else 0.0,  # steadier on a shared machine
        "rss_mib": {k: round(v, 1) for k, v in rss.items()},
        "traced": trace,
    }


class _Transport:
    """What the wire's `Connection` needs of a transport, in-process: it keeps the last answer written."""

    answer = b""

    def write(self, data: bytes) -> None:
        self.answer = data

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


class Replay:
    """The memory run's requests, as bytes, through the server's own connection code (wire/http11.py: the
    same parsing and `App.handle`) of an in-process simulator built as `tryvox-sim serve` builds it (journal on at
    its default size, self-check off), without sockets."""

    def __init__(self) -> None:
        from tryvox_sim import cli
        from tryvox_sim.sim import served
        from tryvox_sim.wire.http11 import Connection

        self.app = cli.build_app(cli.parse_args(["serve"]))
        auth_id, token, _ = self.app.world.seed
        self.target = ops.Target("127.0.0.1", 4010, auth_id, token)
        self.transport = _Transport()
        self.connection = Connection(served.site(self.app))
        self.connection.connection_made(self.transport)
        self.non_2xx = 0

    def send(self, request: ops.Request) -> bytes:
        """One request; its answer's body."""
        self.connection.data_received(ops.raw(*request))
        head, _, body = self.transport.answer.partition(b"\r\n\r\n")
        self.non_2xx += head[9:10] != b"2"  # HTTP/1.1 2xx
        return body

    def wave(self, calls: int, per_call: int) -> None:
        """`calls` new calls, their share of actions, their hang-ups, then two hours on the clock."""
        create = "POST", "/_sim/calls", {"content-type": "application/json", "content-length": "2"}, b"{}"
        uuids = [orjson.loads(self.send(create))["call_uuid"] for _ in range(calls)]
        for _, request in actions(self.target, uuids, per_call) + hangups(self.target, uuids):
            self.send(request)
        self.advance(WAVE_ADVANCE_S)

    def advance(self, seconds: int) -> None:
        body = b'{"seconds":%d}' % seconds
        self.send(("POST", "/_sim/clock/advance", {"content-type": "application/json",
                                                     "content-length": str(len(body))}, body))  # fmt: skip


def _traced_bytes() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def traced(per_call: int, calls: int = TRACED_CALLS) -> dict:
    """Under tracemalloc: the bytes a retained call holds (a wave of `calls` calls, once a first wave filled the
    request journal) and the bytes still held after every retention passed, against those at launch."""
    tracemalloc.start()
    try:
        replay = Replay()
        launch = _traced_bytes()
        replay.wave(max(calls, math.ceil(replay.app.journal.size / per_call)), per_call)  # fills the journal
        before = _traced_bytes()
        replay.wave(calls, per_call)
        per_retained_call = (_traced_bytes() - before) / calls
        replay.advance(RECORDING_RETENTION_S)
        retained = _traced_bytes() - launch
    finally:
        tracemalloc.stop()
    return {
        "calls": calls,
        "actions_per_call": per_call,
        "bytes_per_call": round(per_retained_call),
        "retained_mib": round(retained / 2**20, 2),
        "journal_entries": len(replay.app.journal._entries),
        "calls_kept": len(replay.app.world.calls),
        "non_2xx": replay.non_2xx,
    }


def main(argv=None) -> int:
    """The whole memory run in-process, under tracemalloc: the bytes held wave by wave, then where they are."""
    ap = argparse.ArgumentParser(prog="python -m bench.memory", description=main.__doc__)
    ap.add_argument("--actions", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--top", type=int, default=12, help="allocation sites to show")
    args = ap.parse_args(argv)
    per_call, per_wave = max(1, args.actions // args.calls), min(CALLS_PER_WAVE, args.calls)
    tracemalloc.start()
    replay = Replay()
    launch = tracemalloc.take_snapshot()

    def show(point: str) -> tracemalloc.Snapshot:
        # RSS is left out: tracemalloc's own tables make it meaningless here (the served run reads it)
        print(f"{point}: traced {_traced_bytes() / 2**20:.1f} MiB, {len(replay.app.world.calls):,} calls kept")
        return tracemalloc.take_snapshot()

    show("launch")
    for first in range(0, args.calls, per_wave):
        replay.wave(min(per_wave, args.calls - first), per_call)
        last = show(f"{(first + per_wave) * per_call:,} actions")
    for stat in last.compare_to(launch, "lineno")[: args.top]:
        print("   ", stat)
    replay.advance(RECORDING_RETENTION_S)
    for stat in show("after 31 more days").compare_to(launch, "lineno")[: args.top]:
        print("   ", stat)
    print(f"non-2xx answers: {replay.non_2xx}")
    return 1 if replay.non_2xx else 0


if __name__ == "__main__":
    sys.exit(main())
