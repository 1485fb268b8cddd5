"""Raw ASGI wrapper around App.handle, plus a background task that settles timers while serving."""

import asyncio
import logging

from .http import MAX_BODY, App

log = logging.getLogger("tryvox_sim")
SETTLE_EVERY = 0.1  # seconds between background settles (webhooks fire without a request)


class ASGIApp:
    def __init__(self, app: App):
        self.app = app
        self._settler: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope, receive, send):
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        body = b""
        if not (length.isdigit() and int(length) > MAX_BODY):  # too large: answer without reading it
            chunks, size, more = [], 0, True
            while more and size <= MAX_BODY:  # read at most MAX_BODY + 1 bytes
                message = await receive()
                if message["type"] != "http.request":
                    return  # client went away
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
        status, out_headers, data = self.app.handle(
            scope["method"], scope["path"], scope["query_string"].decode("latin-1"), headers, body
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(data)).encode()),  # no chunked encoding: one write
                    *[(k.encode("latin-1"), v.encode("latin-1")) for k, v in out_headers],
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._settler = asyncio.create_task(self._settle_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._settler:
                    self._settler.cancel()
                self.app.webhooks.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _settle_forever(self):
        world = self.app.world
        while True:  # stops when the server shuts down (task cancelled)
            await asyncio.sleep(SETTLE_EVERY)
            try:
                if world.next_due() <= world.clock.now():
                    world.settle_all()
                if world.outbox:
                    self.app.flush_outbox()
            except Exception:
                log.exception("background settle failed")
