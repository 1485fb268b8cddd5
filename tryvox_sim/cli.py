"""`tryvox-sim serve`: run the simulator on loopback (sim/served.py, on the wire's httptools + uvloop core).
`tryvox-sim proxy`: the validating proxy (proxy/command.py). `tryvox-sim coverage` and `tryvox-sim trigger`: ask a
running simulator what an application's tests met, or to send a webhook now (testing/commands.py)."""

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from . import __version__, proxy
from .contract.spec import CALL_ACTIONS_SPEC, SIMULATOR_SPEC, Spec, load_yaml
from .sim import served
from .sim.app import App
from .sim.clock import Clock
from .sim.cors import parse_origin
from .sim.journal import DEFAULT_SIZE
from .sim.ratelimit import parse_rate
from .sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from .sim.webhooks import Webhooks
from .sim.world import World
from .testing import commands
from .testing.control_client import format_exports


def address_from_env(environ: Mapping[str, str]) -> tuple[str, int]:
    """TVX_BASE_URL, when set, fixes where the simulator listens (so pasted export lines start the same one)."""
    url = urlsplit(environ.get("TVX_BASE_URL", ""))
    try:
        url_port = url.port
    except ValueError:  # a malformed port in TVX_BASE_URL: fall back to the defaults
        url_port = None
    port = url_port
    if port is None:
        port = int(environ["PORT"]) if environ.get("PORT", "").isdigit() else 4010
    return url.hostname or "127.0.0.1", port


class Version(argparse.Action):
    """`--version`: the simulator's own version and the version of the spec it serves (read only when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the simulator and spec versions and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        spec_version = load_yaml(CALL_ACTIONS_SPEC)["info"]["version"]
        print(f"tryvox-sim {__version__} (Call Actions API spec {spec_version})")  # stdout, as argparse's own
        parser.exit()


def journal_size(text: str) -> int:
    size = int(text)
    if size < 0:
        raise argparse.ArgumentTypeError("must be 0 (off) or more")
    return size


def cors_origin(text: str) -> str:
    try:
        return parse_origin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tryvox-sim", description="Stateful simulator of the Call Actions API")
    parser.add_argument("--version", action=Version)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the simulator over HTTP")
    host, port = address_from_env(os.environ)
    serve.add_argument("--host", default=host, help="bind address (default 127.0.0.1, or TVX_BASE_URL's host)")
    serve.add_argument(
        "--port", type=int, default=port, help="0 picks a free port (default TVX_BASE_URL's, PORT or 4010)"
    )
    serve.add_argument("--rate-limit", default=os.environ.get("TVX_SIM_RATE_LIMIT") or None, help="e.g. 50/s")
    serve.add_argument("--self-check", action="store_true", help="validate every response against the spec")
    serve.add_argument("--manual-clock", action="store_true", help="clock moves only via /_sim/clock/advance")
    serve.add_argument(
        "--deliver-webhooks", choices=["loopback", "all", "none"], default="loopback",
        help="POST webhooks to loopback receivers only (default), to any host, or record them only",
    )  # fmt: skip
    serve.add_argument("--seed", type=int, default=None, help="make generated ids and fault draws repeat run to run")
    serve.add_argument(
        "--journal-size", type=journal_size, default=DEFAULT_SIZE, metavar="N",
        help=f"requests the journal (/_sim/requests) keeps (default {DEFAULT_SIZE}; 0 turns it off)",
    )  # fmt: skip
    serve.add_argument(
        "--public-url", default=os.environ.get("TVX_SIM_PUBLIC_URL") or None,
        help="the TVX_BASE_URL to print when clients reach it at another address, e.g. a published container port",
    )  # fmt: skip
    serve.add_argument(
        "--cors", nargs="+", metavar="ORIGIN", type=cors_origin,
        help="let browser pages from these origins call the API (not /_sim/): scheme://host[:port], "
        "null for a page opened from disk (file://), or *; default none (TVX_SIM_CORS)",
    )  # fmt: skip
    serve.add_argument("--spec", default=str(CALL_ACTIONS_SPEC), help="the Call Actions OpenAPI file")
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    proxy.add_parser(sub)
    commands.add_parsers(sub)
    args = parser.parse_args(argv)
    if not 0 <= getattr(args, "port", 0) <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.command == "serve" and args.cors is None:  # TVX_SIM_CORS: origins apart by spaces or commas
        try:
            args.cors = [parse_origin(o) for o in os.environ.get("TVX_SIM_CORS", "").replace(",", " ").split()]
        except ValueError as exc:
            parser.error(f"TVX_SIM_CORS: {exc}")
    if getattr(args, "rate_limit", None):
        try:
            parse_rate(args.rate_limit)
        except ValueError as exc:
            parser.error(str(exc))
    return args


def build_app(args: argparse.Namespace) -> App:
    world = World(
        Clock(manual=args.manual_clock),
        auth_id=os.environ.get("TVX_AUTH_ID", DEFAULT_AUTH_ID),
        token=os.environ.get("TVX_API_TOKEN", DEFAULT_TOKEN),
        call_uuid=os.environ.get("TVX_CALL_UUID", DEFAULT_CALL_UUID),
        id_seed=args.seed,
    )
    return App(
        world,
        Spec(args.spec, SIMULATOR_SPEC),
        self_check=args.self_check,
        raise_server_exceptions=False,  # served: a failure is logged and answered 500 (or self_check_failed)
        rate_limit=args.rate_limit,
        webhooks=Webhooks(deliver=args.deliver_webhooks),
        journal_size=args.journal_size,
        seed=args.seed,
        cors=args.cors,
        log_requests=args.log_level in ("info", "debug"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "proxy":
        return proxy.main(args)
    if args.command in commands.MAINS:
        return commands.MAINS[args.command](args)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(args)

    def ready(host: str, port: int) -> None:  # a parent process reads these lines to know the server is up
        app.base_url = args.public_url or f"http://{host}:{port}"  # where clients reach it (/docs samples use it)
        print(format_exports(app.base_url, *app.world.seed), end="", flush=True)
        if args.public_url:  # the printed URL is not the bound address: say both
            print(f"tryvox-sim: listening on {host}:{port}; clients use {args.public_url}", file=sys.stderr, flush=True)

    try:
        served.run(app, args.host, args.port, on_ready=ready)
    except OSError as exc:  # e.g. the port is taken: one line, not a traceback
        print(f"tryvox-sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
