"""Serving a `Site` (http11.py): listen on loopback or any address, sweep its connections, stop on a signal.

One way to listen for every server of the package: the simulator and the validating proxy alike. `serve` runs until
`stop` is set or, in the main thread, SIGINT or SIGTERM; `on_ready(host, port)` runs once the socket listens; `tick`
(the server's own housekeeping: the simulator settles its timers, the proxy prunes its upstream pool) runs every
`tick_every` seconds. On stop, answers being made are given a few seconds to finish.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from .http11 import Connection, Site

log = logging.getLogger("tryvox_sim")
SWEEP_EVERY = 1.0  # seconds between looks for idle, stalled or lingering connections
BACKLOG = 4096
STOP_GRACE = 5.0  # seconds answers under way may take to finish once the server stops

OnReady = Callable[[str, int], None]


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard one (each connection holds a descriptor); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # e.g. a sandbox refusing it: serve with the soft limit
            pass
    return soft


async def _housekeeping(site: Site, tick: Callable[[], None] | None, tick_every: float) -> None:
    last_sweep = 0.0
    while True:  # ends when the server stops (task cancelled)
        await asyncio.sleep(tick_every)
        if tick is not None:
            try:
                tick()
            except Exception:
                log.exception("housekeeping failed")
        now = time.monotonic()
        if now - last_sweep >= SWEEP_EVERY:
            last_sweep = now
            for conn in list(site.connections):
                conn.sweep(now)


async def serve(
    site: Site, host: str, port: int, *, on_ready: OnReady | None = None, stop: asyncio.Event | None = None,
    tick: Callable[[], None] | None = None, tick_every: float = SWEEP_EVERY,
) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(site), host, port, backlog=BACKLOG)
    stop = stop or asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    if on_ready:
        on_ready(*server.sockets[0].getsockname()[:2])
    housekeeping = loop.create_task(_housekeeping(site, tick, min(tick_every, SWEEP_EVERY)))
    try:
        await stop.wait()
    finally:
        housekeeping.cancel()
        server.close()
        deadline = time.monotonic() + STOP_GRACE
        while any(conn.responding is not None for conn in site.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(site.connections):
            conn.transport.close()
        await server.wait_closed()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a server's coroutine on uvloop (the event loop every server here is measured on), or asyncio's."""
    log.info("up to %d open files (connections and the rest)", raise_fd_limit())
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is pinned, but the servers work without it
        asyncio.run(main)
    else:
        uvloop.run(main)
