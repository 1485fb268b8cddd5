"""The simulator served over HTTP/1.1: its App on the wire's one connection core (wire/), with its housekeeping.

`App.respond` is synchronous and takes tens of microseconds, so each request is answered straight from the parser
callback: no ASGI messages, no task per request. That keeps the server's cost per request close to the handler's own
(uvicorn's ASGI cycle cost several times the handler; see bench/results.md).
"""

from __future__ import annotations

import asyncio
import logging

from ..wire import server
from ..wire.http11 import Limits, Site
from .app import App

log = logging.getLogger("tryvox_sim")
SETTLE_EVERY = 0.1  # seconds between background settles (timed rules and webhooks fire without a request)


def site(app: App, limits: Limits | None = None) -> Site:
    """The App as the wire serves it (the body limit is the API's: over it the App answers 413)."""
    return Site(app.respond, limits or Limits())


async def serve(
    app: App, host: str, port: int, on_ready: server.OnReady | None = None, stop: asyncio.Event | None = None,
    limits: Limits | None = None,
) -> None:  # fmt: skip
    """Serve until `stop` is set or, in the main thread, SIGINT or SIGTERM; `on_ready(host, port)` runs once the
    socket listens."""
    try:
        await server.serve(site(app, limits), host, port, on_ready=on_ready, stop=stop, tick=app.housekeeping,
                           tick_every=SETTLE_EVERY)  # fmt: skip
    finally:
        app.webhooks.close()
        log.info("simulator stopped")


def run(app: App, host: str, port: int, on_ready: server.OnReady | None = None) -> None:
    server.run(serve(app, host, port, on_ready))
