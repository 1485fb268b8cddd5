"""An httpx transport that calls App.handle directly: no socket, no thread (in-process tests).

Injected faults end as a real socket would end them, with the same httpx exceptions: `reset` a ReadError,
`close` and `truncate` a RemoteProtocolError. Time does not pass in-process: a `delay_ms` longer than the
request's read timeout raises httpx.ReadTimeout at once, a shorter one answers at once, and neither
moves the simulator's clock.
"""

import httpx

from ..sim.app import App


class InProcessTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves httpx.Client and httpx.AsyncClient alike (the simulator has no I/O to await)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        answer = self.app.handle(request.method, request.url.path, request.url.query.decode("latin-1"), headers, body)
        fault = answer.fault
        if fault is not None:
            read_timeout = request.extensions.get("timeout", {}).get("read")
            if fault.delay_ms and read_timeout is not None and fault.delay_ms / 1000 > read_timeout:
                raise httpx.ReadTimeout("timed out", request=request)
            if fault.fault == "reset":
                raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            if fault.fault == "close":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            if fault.fault == "truncate":
                half = len(answer.body) // 2
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body "
                    f"(received {half} bytes, expected {len(answer.body)})",
                    request=request,
                )
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.handle_request(request)
