"""An httpx transport that calls a handler directly (the simulator's `App.respond`): no socket, no thread.

Injected faults end as a real socket would end them, with the same httpx exceptions: `reset` a ReadError,
`close` and `truncate` a RemoteProtocolError. Time does not pass in-process: a `delay_ms` longer than the
request's read timeout raises httpx.ReadTimeout at once, a shorter one answers at once, and neither
moves the simulator's clock.
"""

from collections.abc import Callable

import httpx

from .http11 import Request
from .response import Response


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves httpx.Client and httpx.AsyncClient alike, for a handler that answers at once (it has no I/O to await)."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        query = request.url.query.decode("latin-1")
        response = self.handler(
            Request(request.method, request.url.raw_path, request.url.path, query, headers, [], body, True)
        )
        fault = response.fault
        if fault is not None:
            read_timeout = request.extensions.get("timeout", {}).get("read")
            if fault.delay_ms and read_timeout is not None and fault.delay_ms / 1000 > read_timeout:
                fault.abandoned = True  # the client gave up before the answer came: it was lost
                raise httpx.ReadTimeout("timed out", request=request)
            if fault.fault == "reset":
                raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            if fault.fault == "close":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            if fault.fault == "truncate":
                half = len(response.body) // 2
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body "
                    f"(received {half} bytes, expected {len(response.body)})",
                    request=request,
                )
        return httpx.Response(response.status, headers=response.headers, content=response.body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.handle_request(request)
