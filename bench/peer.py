"""A trivial peer: answers every request with a fixed 2xx JSON body, no validation, no state.

It measures the load generator's own ceiling on this machine (the fastest a Python server
could possibly answer), and gives the smoke test a target that needs nothing else.
Run: python -m bench.peer --port 0   (prints the same `export TVX_...` lines as the simulator)
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


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.peer")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600, help="exit after this many seconds")
    args = ap.parse_args(argv)
    uvloop.run(serve(args.host, args.port, args.lifetime))


if __name__ == "__main__":
    sys.exit(main())
