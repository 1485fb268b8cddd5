"""`tryvox-sim proxy --upstream URL`: the validating proxy's command (cli.py adds it beside `serve`).

On SIGINT or SIGTERM it writes its reports (`--report DIR`) and, with `--fail-on-violation`, exits 1 when anything
broke a rule (or the upstream failed, so the traffic could not be checked).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..contract.spec import CALL_ACTIONS_SPEC, SIMULATOR_SPEC, Spec
from ..wire import server
from .forward import Proxy, serve
from .upstream import UPSTREAM_TIMEOUT, Upstream
from .verifier import API, CLIENT


def upstream_url(text: str) -> str:
    try:
        Upstream(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above 0")
        return value

    return parse


def add_parser(commands: Any) -> None:
    """`tryvox-sim proxy …` (cli.py adds it beside `serve`)."""
    parser = commands.add_parser("proxy", help="check real traffic against the spec, forwarding it to --upstream")
    add = parser.add_argument
    add("--upstream", required=True, type=upstream_url, help="the API to forward to, e.g. https://staging.example.com")
    add("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    add("--port", type=int, default=4011, help="0 picks a free port (default 4011)")
    add("--report", type=Path, help="write proxy-report.json, proxy-junit.xml and proxy.har here when stopped")
    add(
        "--fail-on-violation",
        nargs="?",
        const="any",
        choices=["any", "api"],
        help="exit 1 on any violation (only the API's, with `api`), or a request the API did not answer",
    )
    add("--keep-exchanges", type=positive(int), default=10_000, help="exchanges kept for the HAR (default 10000)")
    add("--timeout", type=positive(float), default=UPSTREAM_TIMEOUT, help="seconds to wait for an upstream answer")
    add("--spec", default=str(CALL_ACTIONS_SPEC), help="the Call Actions OpenAPI file")


def main(args: argparse.Namespace) -> int:
    spec = Spec(args.spec, SIMULATOR_SPEC)
    proxy = Proxy(args.upstream, spec, timeout=args.timeout, keep_exchanges=args.keep_exchanges)

    def ready(host: str, port: int) -> None:
        print(f"export TVX_BASE_URL=http://{host}:{port}", flush=True)
        print(f"tryvox-sim proxy: checking traffic to {proxy.upstream.url} on {host}:{port}", file=sys.stderr)

    try:
        server.run(serve(proxy, args.host, args.port, on_ready=ready))
    except OSError as exc:
        print(f"tryvox-sim proxy: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    proxy.say(proxy.closing_line())
    for note in proxy.report.notes():
        proxy.say(note)
    if args.report is not None:
        paths = proxy.report.write(args.report)
        proxy.say("reports: " + ", ".join(str(path) for path in paths))
    parties = (API,) if args.fail_on_violation == "api" else (API, CLIENT)
    return 1 if args.fail_on_violation and proxy.failed(parties) else 0
