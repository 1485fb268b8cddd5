"""A trivial peer: answers every request with a fixed 2xx JSON body, no validation, no state.

It measures this stack's ceiling on this machine (the fastest a Python server on httptools and uvloop could answer),
and gives the smoke test a target that needs nothing else. With `--wire` the same fixed answer comes through the
package's own HTTP/1.1 core (tryvox_sim/wire/: limits, pipelining, back-pressure, refusals), served as the simulator
and the proxy are: the cost of the core alone, between the bare peer and the simulator.
Run: python -m bench.peer --port 0 [--wire]   (prints the same `export TVX_...` lines as the simulator)
"""

import argparse
import asyncio
import sys

import httptools
import uvloop

from tryvox_sim.sim.seed import DEFAULT_CALL_UUID
from tryvox_sim.testing.control_client import format_exports

BODY = b'{"status":"sent"}'
RESPONSES = {
    b"DELETE": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY),
}
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


class _Peer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.transport.close()

    def on_message_complete(self):
        self.transport.write(RESPONSES.get(self.parser.get_method(), ACCEPTED))


async def serve(host: str, port: int, seconds: float):
    server = await asyncio.get_running_loop().create_server(_Peer, host, port)
    bound = server.sockets[0].getsockname()[1]
    print(
        format_exports(f"http://{host}:{bound}", "peer_account", "tvx_sk_test_peer", DEFAULT_CALL_UUID),
        end="",
        flush=True,
    )
    async with server:
        await asyncio.sleep(seconds)  # never outlives a forgotten bench run


async def serve_wire(host: str, port: int, seconds: float):
    """The fixed answer through the package's HTTP/1.1 core (a handler that answers at once, as the simulator's)."""
    from tryvox_sim.wire import server
    from tryvox_sim.wire.http11 import Site
    from tryvox_sim.wire.response import Response

    ok, accepted = Response(200, BODY), Response(202, BODY)
    site = Site(lambda request: ok if request.method == "DELETE" else accepted)

    def ready(bound_host, bound):
        exports = format_exports(f"http://{bound_host}:{bound}", "peer_account", "tvx_sk_test_peer", DEFAULT_CALL_UUID)
        print(exports, end="", flush=True)

    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)  # never outlives a forgotten bench run
    await server.serve(site, host, port, on_ready=ready, stop=stop)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.peer")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600, help="exit after this many seconds")
    ap.add_argument("--wire", action="store_true", help="answer through tryvox_sim's HTTP/1.1 core (wire/)")
    args = ap.parse_args(argv)
    uvloop.run((serve_wire if args.wire else serve)(args.host, args.port, args.lifetime))


if __name__ == "__main__":
    sys.exit(main())
