"""`make soak`: the served simulator under everything at once, for a bounded time.

`tryvox-sim serve --manual-clock --self-check` on loopback gets, concurrently until the deadline:
- valid traffic: bench/loadgen.py's closed loop, every operation, each connection on its own call;
- bad input: every case of the README's matrix (bench/bad_inputs.py), each on a new connection, checked
  against the status, code and close the matrix gives; stalled and idle connections run beside them;
- churn: calls made, spoken on, read and hung up with a new connection per request, plus connections
  dropped at once or halfway through a request;
- the clock advancing through /_sim/clock/advance in steps from 0.2 s to a day, so every timer comes due
  (DTMF digits, playback, transfers, recording max_length, call and recording retention).
It samples the server's RSS, then reports RSS over time and its least-squares slope, errors by kind, the 5xx
count and self-check failures (counted in the server's log), appends a dated section to bench/results.md,
and exits 1 unless both counts are 0.

    python -m bench.soak --seconds 180          # what `make soak` runs (SOAK_SECONDS=…)
"""

import argparse
import asyncio
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import uvloop

from bench import bad_inputs, loadgen, ops, report, targets
from tryvox_sim.testing.control_client import parse_exports

VALID_CONNECTIONS = 8
BAD_INPUT_WORKERS = 3
CHURN_WORKERS = 3
CLOCK_STEPS_S = (0.2, 1, 30, 3600, 86400)  # cycled, one step every CLOCK_EVERY_S
CLOCK_EVERY_S = 0.2
TIMEOUT_S = 45  # one exchange, the idle connection (30 s on the server) included
WARM_UP = 1 / 3  # the RSS slope leaves out the first third: caches fill, the 30-day recording window fills


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in samples) / var if var else 0.0


def verdict(results: dict) -> int:
    """The exit code: 1 when any answer was a 5xx or any self-check failed."""
    return 1 if results["5xx"] or results["self_check_failures"] else 0


class Soak:
    def __init__(self, server: targets.Server, call_uuid: str, seconds: float):
        self.server = server
        self.host, self.port = server.target.host, server.target.port
        self.call_uuid = call_uuid  # the seeded call: bad input aims at it, nothing changes its state
        self.began = time.monotonic()
        self.deadline = self.began + seconds
        self.counts = Counter()  # requests sent, by part
        self.statuses = Counter()  # (part, status)
        self.errors = Counter()  # unexpected outcomes, by kind
        self.rss: list[tuple[float, float]] = []
        self.simulated_s = 0.0

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def seen(self, part: str, status: int | None):
        self.counts[part] += 1
        self.statuses[(part, status)] += 1

    async def request(self, method: str, path: str, body: dict | None = None, token: bool = False):
        """One request on a new connection: (status, parsed JSON body)."""
        data = None if body is None else json.dumps(body).encode()
        headers = ["Content-Type: application/json"] if data is not None else []
        raw = bad_inputs.raw(method, path, data, headers, self.server.target.token if token else None)
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(raw)
            async with asyncio.timeout(TIMEOUT_S):
                status, _, answer, _ = await bad_inputs.read_answer(reader)
        finally:
            writer.close()
        return status, (json.loads(answer) if answer[:1] == b"{" else None)

    # -- the parts
    async def valid_traffic(self, calls: list[str]) -> loadgen.RunStats:
        streams = [ops.cycle(ops.MIX, self.server.target, call) for call in calls]
        stats = await loadgen.drive(self.host, self.port, streams, self.deadline - time.monotonic())
        for op in stats.ops.values():
            for status, n in op.statuses.items():
                self.statuses[("valid", status)] += n
        self.counts["valid"] += stats.responses
        for error in stats.errors:
            self.errors[f"valid traffic: {error[:120]}"] += 1
        return stats

    async def bad_input(self, worker: int):
        quick = [case for case in bad_inputs.CASES if not case.waits]
        i = worker
        while self.running():
            case = quick[i % len(quick)]
            i += BAD_INPUT_WORKERS
            got = await bad_inputs.send(self.host, self.port, case.request(self.server.target, self.call_uuid), 15)
            self.seen("bad input", got.status)
            if problem := bad_inputs.mismatch(case, got):
                self.errors[f"bad input, {case.kind}: {problem}"] += 1

    async def slow_bad_input(self):
        """The stalled request and the idle connection, again and again; the last ones are cut at the deadline."""
        slow = [case for case in bad_inputs.CASES if case.waits]
        while self.running():
            payloads = [case.request(self.server.target, self.call_uuid) for case in slow]
            try:
                async with asyncio.timeout(self.deadline - time.monotonic()):
                    outcomes = await asyncio.gather(
                        *(bad_inputs.send(self.host, self.port, p, TIMEOUT_S) for p in payloads)
                    )
            except TimeoutError:
                return
            for case, got in zip(slow, outcomes, strict=True):
                self.seen("bad input", got.status)
                if problem := bad_inputs.mismatch(case, got):
                    self.errors[f"bad input, {case.kind}: {problem}"] += 1

    async def churn(self, worker: int):
        """Calls made, spoken on, read and hung up, each request on a new connection; every tenth round also
        drops a connection at once and one halfway through a request."""
        expected = {"create": 201, "speak": 202, "read": 200, "hang up": 200}
        rounds = 0
        while self.running():
            rounds += 1
            try:
                steps = []
                status, call = await self.request("POST", "/_sim/calls", {})
                steps.append(("create", status))
                if status == 201:
                    uuid_ = call["call_uuid"]
                    path = f"/v1/voice/accounts/{self.server.target.auth_id}/calls/{uuid_}/speak"
                    steps.append(("speak", (await self.request("POST", path, {"text": "Hello"}, token=True))[0]))
                    steps.append(("read", (await self.request("GET", f"/_sim/calls/{uuid_}"))[0]))
                    steps.append(("hang up", (await self.request("POST", f"/_sim/calls/{uuid_}/hangup"))[0]))
                for step, status in steps:
                    self.seen("churn", status)
                    if status != expected[step]:
                        self.errors[f"churn, {step}: status {status}"] += 1
                if rounds % 10 == worker:
                    await self.dropped_connections()
            except (OSError, TimeoutError) as exc:
                self.errors[f"churn: {type(exc).__name__}: {str(exc)[:80]}"] += 1

    async def dropped_connections(self):
        _, writer = await asyncio.open_connection(self.host, self.port)
        writer.close()
        _, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(bad_inputs.raw("POST", "/_sim/calls", b'{"to": "+1415')[:-6])  # head and body cut short
        await writer.drain()
        writer.close()
        self.counts["dropped connections"] += 2

    async def clock(self):
        step = 0
        while self.running():
            seconds = CLOCK_STEPS_S[step % len(CLOCK_STEPS_S)]
            step += 1
            try:
                status, _ = await self.request("POST", "/_sim/clock/advance", {"seconds": seconds})
            except (OSError, TimeoutError) as exc:
                self.errors[f"clock: {type(exc).__name__}"] += 1
                continue
            self.seen("clock", status)
            if status == 200:
                self.simulated_s += seconds
            else:
                self.errors[f"clock advance: status {status}"] += 1
            await asyncio.sleep(CLOCK_EVERY_S)

    async def sample_rss(self, every: float):
        while self.running():
            self.rss.append((round(time.monotonic() - self.began, 1), self.server.rss_mib()))
            await asyncio.sleep(min(every, max(0.0, self.deadline - time.monotonic())))

    async def run(self, calls: list[str]) -> None:
        every = max(0.5, (self.deadline - self.began) / 120)
        await asyncio.gather(
            self.valid_traffic(calls),
            *(self.bad_input(w) for w in range(BAD_INPUT_WORKERS)),
            self.slow_bad_input(),
            *(self.churn(w) for w in range(CHURN_WORKERS)),
            self.clock(),
            self.sample_rss(every),
        )
        self.rss.append((round(time.monotonic() - self.began, 1), self.server.rss_mib()))


def self_check_failures(log: Path) -> int:
    return log.read_text(errors="replace").count("self-check failed")


def soak(seconds: float, log) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    server = targets.launch("simulator", workdir, extra=["--manual-clock", "--self-check"])
    try:
        call_uuid = parse_exports(server.log.read_text())["TVX_CALL_UUID"]
        calls = server.new_calls(VALID_CONNECTIONS)
        log(f"soak: {seconds:g} s against pid {server.proc.pid} (log {server.log})")
        run = Soak(server, call_uuid, seconds)
        uvloop.run(run.run(calls))
        health = server.control.get_health()
        kept = len(server.control.list_calls())
    finally:
        server.stop()
    fivexx = sum(n for (_, status), n in run.statuses.items() if status is not None and status >= 500)
    rss = run.rss
    steady = [(t, m) for t, m in rss if t >= WARM_UP * seconds]
    by_part = {}
    for (part, status), n in sorted(run.statuses.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        by_part.setdefault(part, {})[str(status)] = n
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": report.machine()["commit"],
        "seconds": seconds,
        "requests": dict(run.counts),
        "statuses": by_part,
        "simulated_days": round(run.simulated_s / 86400, 1),
        "calls_kept_at_end": kept,
        "healthy_at_end": health == {"status": "ok"},
        "rss_mib": [(t, round(m, 1)) for t, m in rss],
        "rss_slope_mib_per_min": round(slope_per_minute(steady), 3),
        "errors": dict(run.errors.most_common()),
        "5xx": fivexx,
        "self_check_failures": self_check_failures(server.log),
        "log": str(server.log),
    }


def markdown(r: dict) -> str:
    rss = r["rss_mib"]
    shown = [rss[round(i * (len(rss) - 1) / 10)] for i in range(11)] if len(rss) > 11 else rss
    rate = {part: n / r["seconds"] for part, n in r["requests"].items()}
    requests = ", ".join(f"{part} {n:,} ({rate[part]:.0f}/s)" for part, n in r["requests"].items())
    errors = "; ".join(f"{kind} ×{n}" for kind, n in r["errors"].items()) or "none"
    statuses = "; ".join(
        f"{part}: " + ", ".join(f"{status} ×{n:,}" for status, n in per.items()) for part, per in r["statuses"].items()
    )
    out = [
        f"## Soak, {r['date']}",
        "",
        f"`make soak` (`python -m bench.soak --seconds {r['seconds']:g}`), commit {r['commit']}: the served simulator "
        "(`--manual-clock --self-check`) under valid traffic, the README's bad inputs, connection and call churn "
        f"and the clock advancing ({r['simulated_days']} simulated days), all at once on loopback.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| 5xx answers | {r['5xx']} |",
        f"| self-check failures | {r['self_check_failures']} |",
        f"| errors by kind | {errors} |",
        f"| RSS | {rss[0][1]:.1f} MiB at start, {rss[-1][1]:.1f} at the end, max {max(m for _, m in rss):.1f} |",
        f"| RSS slope after the first third (least squares) | {r['rss_slope_mib_per_min']:+.3f} MiB/min |",
        f"| requests | {requests} |",
        f"| statuses | {statuses} |",
        f"| at the end | healthy: {r['healthy_at_end']}, {r['calls_kept_at_end']} calls kept |",
        "",
        "RSS over time: " + " · ".join(f"{t:g} s {m:.1f} MiB" for t, m in shown) + ".",
        "",
        "Expected 4xx: the bad inputs get the matrix's answers (checked one by one; the idle connection gets "
        "none), and valid traffic's 409s come from the clock: an hour's or a day's step between a recording's "
        "start and stop ends it at `max_length`, so the stop finds none.",
        "",
    ]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 180)))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    args = ap.parse_args(argv)
    if not 1 <= args.seconds <= 24 * 3600:
        ap.error("--seconds must be between 1 and 86400")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = soak(args.seconds, log)
    section = markdown(results)
    with open(args.out, "a") as out:
        out.write("\n" + section)
    print(section)
    code = verdict(results)
    log(f"soak: appended to {args.out}")
    if code:
        log(f"soak: FAILED: {results['5xx']} 5xx, {results['self_check_failures']} self-check failures; "
            f"server log kept in {results['log']}")  # fmt: skip
    else:
        shutil.rmtree(Path(results["log"]).parent)
    return code


if __name__ == "__main__":
    sys.exit(main())
