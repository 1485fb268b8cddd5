"""An httpx transport that calls App.handle directly: no socket, no thread (in-process tests)."""

import httpx

from .http import App


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: App):
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        status, out_headers, data = self.app.handle(
            request.method, request.url.path, request.url.query.decode("latin-1"), headers, body
        )
        return httpx.Response(status, headers=out_headers, content=data)
