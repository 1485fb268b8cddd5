"""`tryvox-sim coverage` and `tryvox-sim trigger`: commands that drive a running simulator through its control plane
(cli.py adds them beside `serve` and `proxy`).

    tryvox-sim coverage [--base-url URL] [--format text|md|json|html] [--fail-under PCT]   exit 1 below the gate
    tryvox-sim trigger hangup|transfer-answered --call UUID [--to URL] [--base-url URL]

Bad input, an unknown call, a call already ended or a simulator out of reach: one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from .control_client import JSON, ControlClient, ControlPlaneError
from .coverage_report import FORMATS, RENDER, passed, percentage

EVENTS = {"hangup": "callHangup", "transfer-answered": "transferAnswered"}
DELIVERY_WAIT = 5.0  # seconds `trigger` waits to say how a delivery went


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """A mistake on the command line is one line and exit 2, not the usage text."""

    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: error: {message}\n")

    parser.error = error  # type: ignore[method-assign]


def _gate(text: str) -> float:
    try:
        return percentage(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(commands: Any) -> None:
    base_url = os.environ.get("TVX_BASE_URL") or "http://127.0.0.1:4010"
    where = f"the simulator (default TVX_BASE_URL, else http://127.0.0.1:4010; now {base_url})"
    coverage = commands.add_parser("coverage", help="what the application's tests met (GET /_sim/coverage)")
    coverage.add_argument("--base-url", default=base_url, help=where)
    coverage.add_argument("--format", default="text", choices=FORMATS, help="text (default), md, json or html")
    coverage.add_argument("--fail-under", type=_gate, metavar="PCT", help="exit 1 when coverage is below PCT (0-100)")
    _one_line_errors(coverage)
    trigger = commands.add_parser("trigger", help="end a call or answer its transfer now: its webhook is sent")
    trigger.add_argument("event", choices=list(EVENTS), help="hangup (callHangup) or transfer-answered")
    trigger.add_argument("--call", required=True, metavar="UUID", help="the call")
    trigger.add_argument("--to", metavar="URL", help="deliver here (replaces the call's hangup_url or answer_url)")
    trigger.add_argument("--base-url", default=base_url, help=where)
    _one_line_errors(trigger)


def _refused(command: str, exc: Exception) -> int:
    """One line: the simulator's problem (its detail) or why it could not be reached."""
    message = str(exc)
    if isinstance(exc, ControlPlaneError) and "{" in message:
        head, _, body = message.partition(": ")
        try:
            import json

            message = f"{head.rsplit(' ', 1)[-1]} {json.loads(body).get('detail', body)}"
        except ValueError:
            pass
    print(f"tryvox-sim {command}: {' '.join(message.split())[:500]}", file=sys.stderr)
    return 2


def _control(base_url: str) -> ControlClient:
    return ControlClient(base_url, timeout=10.0)


def coverage_main(args: argparse.Namespace) -> int:
    import httpx

    try:
        with _control(args.base_url) as control:
            report = control.get_coverage()
    except (httpx.HTTPError, ControlPlaneError) as exc:
        return _refused("coverage", exc)
    sys.stdout.write(RENDER[args.format](report, args.fail_under))
    return 0 if passed(report, args.fail_under) else 1


def _outcomes(control: ControlClient, sent: list[JSON], before: int) -> list[JSON]:
    """The log's records of the webhooks just sent, once none is pending (or DELIVERY_WAIT has passed)."""
    deadline = time.monotonic() + DELIVERY_WAIT
    while True:
        records = [r for r in control.list_webhooks() if r["id"] > before]
        mine = [r for r in records if {"event": r["event"], "url": r["url"]} in sent]
        if all(r["status"] != "pending" for r in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


def trigger_main(args: argparse.Namespace) -> int:
    import httpx

    try:
        with _control(args.base_url) as control:
            before = max((r["id"] for r in control.list_webhooks()), default=0)
            done = control.trigger_webhook(args.call, EVENTS[args.event], args.to)
            records = _outcomes(control, done["webhooks"], before)
    except (httpx.HTTPError, ControlPlaneError) as exc:
        return _refused("trigger", exc)
    call = done["call"]
    print(f"call {call['call_uuid']}: {call['status']} ({call['hangup_cause']})")
    for record in records:
        answered = f", receiver answered {record['response_status']}" if record.get("response_status") else ""
        error = f": {record['error']}" if record.get("error") and not answered else ""
        print(f"{record['event']} -> {record['url']}: {record['status']}{answered}{error}")
    return 0


MAINS: dict[str, Callable[[argparse.Namespace], int]] = {"coverage": coverage_main, "trigger": trigger_main}
