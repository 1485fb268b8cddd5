"""`make sim-profile`: serve under cProfile in a child process, drive a short bounded keep-alive load
from this one (32 connections, raw asyncio sockets so the client costs little), print req/s, p50/p99
and the functions where the server spends its time."""

import asyncio
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import threading
import time

import orjson

SECONDS = float(os.environ.get("SIM_PROFILE_SECONDS", 5))
CONNECTIONS = 32


def serve_profiled(argv: list[str]) -> None:
    from .cli import main as serve

    # Stops by itself: the parent's SIGTERM, or this timer (the server stops gracefully on SIGTERM).
    threading.Timer(SECONDS + 5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        serve(argv)
    finally:
        profiler.disable()
        profiler.dump_stats(os.environ["SIM_PROFILE_OUT"])


def request(method: str, path: str, token: str, body: dict | None = None) -> bytes:
    data = orjson.dumps(body) if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer {token}\r\nContent-Length: {len(data)}\r\n"
    if body is not None:
        head += "Content-Type: application/json\r\n"
    return head.encode() + b"\r\n" + data


async def connection(host, port, requests, deadline, latencies, statuses):
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        writer.write(requests[i % len(requests)])
        i += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if b"chunked" in head.lower():
            await reader.readuntil(b"0\r\n\r\n")
        else:
            await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        statuses[head[9:12]] = statuses.get(head[9:12], 0) + 1
    writer.close()


async def load(env: dict) -> tuple[float, list, dict]:
    import httpx

    base, token, auth_id = env["TVX_BASE_URL"], env["TVX_API_TOKEN"], env["TVX_AUTH_ID"]
    host, port = base.removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=base) as client:
        calls = [(await client.post("/_sim/calls", json={})).json()["call_uuid"] for _ in range(CONNECTIONS)]
    latencies, statuses, tasks = [], {}, []
    deadline = time.perf_counter() + SECONDS
    for call in calls:
        path = f"/v1/voice/accounts/{auth_id}/calls/{call}"
        requests = [
            request("POST", f"{path}/record", token, {"format": "wav"}),
            request("POST", f"{path}/play", token, {"url": "https://example.com/a.mp3", "loop": 2}),
            request("POST", f"{path}/speak", token, {"text": "Please hold."}),
            request("POST", f"{path}/dtmf", token, {"digits": "12#"}),
            request("DELETE", f"{path}/record", token),
        ]
        tasks.append(connection(host, int(port), requests, deadline, latencies, statuses))
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    return time.perf_counter() - started, latencies, statuses


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        if os.environ.get("SIM_PROFILE_OUT"):
            serve_profiled(sys.argv[1:])
        else:
            from .cli import main as serve

            serve(sys.argv[1:])
        return 0
    from .testing import served

    out = tempfile.mktemp(suffix=".prof", prefix="tryvox-sim-") if "--no-profile" not in sys.argv else ""
    with served(module="simulator.profile", env={"SIM_PROFILE_OUT": out}) as env:
        elapsed, latencies, statuses = asyncio.run(load(env))
    latencies.sort()
    n = len(latencies)
    print(f"{n} requests in {elapsed:.1f} s over {CONNECTIONS} connections: {n / elapsed:.0f} req/s "
          f"(server under cProfile, client on the same cores)")  # fmt: skip
    print(f"latency p50 {latencies[n // 2] * 1000:.2f} ms, p99 {latencies[int(n * 0.99)] * 1000:.2f} ms")
    print("statuses:", {k.decode(): v for k, v in sorted(statuses.items())})
    if not out:
        return 0
    for _ in range(100):  # bounded wait for the child to write its profile
        if os.path.exists(out) and os.path.getsize(out):
            break
        time.sleep(0.1)
    pstats.Stats(out).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
