"""`tryvox-contract`: verify a deployment of the Call Actions API, or the embedded simulator, against its spec.

    tryvox-contract                                     # start the embedded simulator, test it, stop it
    TVX_API_TOKEN=tvx_sk_test_… tryvox-contract --base-url https://staging.example.com \\
        --auth-id ACCOUNT --call-uuid IN_PROGRESS_CALL --rate-limit 5 --min-coverage 80

A flag that has an environment variable (the one `make contract` reads) sets it for the run, and the suite's own
processes read it from there; a flag not given leaves the variable as the environment has it. The API token is
TVX_API_TOKEN alone, never a flag, so it stays out of process lists and shell history. The run is `runner.run`:
the same preflight, safety rules, summary, coverage gate, reports and exit status as `make contract`, which
calls this command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tryvox_contract import SPEC, __version__
from tryvox_contract.runner import PHASES, run
from tryvox_sim import __version__ as sim_version
from tryvox_sim.contract.spec import load_yaml

# Flag (its argparse dest) -> the environment variable it sets.
VARIABLES = {
    "base_url": "TVX_BASE_URL",
    "control_url": "TVX_CONTROL_URL",
    "auth_id": "TVX_AUTH_ID",
    "call_uuid": "TVX_CALL_UUID",
    "rate_limit": "TVX_RATE_LIMIT",
    "min_coverage": "MIN_COVERAGE",
    "safe_transfer_to": "TVX_SAFE_TRANSFER_TO",
    "call_command": "TVX_CALL_COMMAND",
    "call_timeout": "TVX_CALL_TIMEOUT",
}
EXIT_STATUS = (
    "Exit status: 0 passed; 1 a check or test failed, or coverage is below the gate; 2 the run could not start."
)


class Version(argparse.Action):
    """`--version`: this package's version, and the spec and simulator it was released with (read when asked)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the suite's, spec's and simulator's versions")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        spec_version = load_yaml(SPEC)["info"]["version"]
        print(f"tryvox-contract {__version__} (Call Actions API spec {spec_version}, tryvox-sim {sim_version})")
        parser.exit()


def whole(least: int):
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"a whole number of at least {least}, not {text!r}")
        return int(text)

    return parse


def phase_list(text: str) -> str:
    if not text or not set(text.split(",")) <= set(PHASES):
        raise argparse.ArgumentTypeError(f"a comma-separated list of {', '.join(PHASES)}, not {text!r}")
    return text


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tryvox-contract",
        description="Verify an API against the tryvox Call Actions spec: schemathesis (every check, four phases) and "
        "behaviour tests of every documented Note, a preflight first, a coverage gate last. Without --base-url (or "
        "TVX_BASE_URL) it starts the embedded simulator and tests that.",
        epilog="A deployment needs TVX_API_TOKEN (a tvx_sk_test_ key; a live key only with --allow-live), the account "
        "and an in-progress call of it, or a command that starts one. Schema-valid transfers are sent only to "
        "--safe-transfer-to; with one call they come last. The spec's Arazzo "
        "workflows run with Redocly Respect against a simulator, and against a deployment with --workflows. "
        + EXIT_STATUS,
    )
    parser.add_argument("--version", action=Version)
    target = parser.add_argument_group("the API under test")
    target.add_argument("--base-url", metavar="URL", help="the API to test (TVX_BASE_URL); unset: the simulator")
    target.add_argument(
        "--control-url", metavar="URL", help="the target is a simulator, its control plane here (TVX_CONTROL_URL)"
    )
    target.add_argument("--auth-id", metavar="ID", help="the token's account (TVX_AUTH_ID)")
    target.add_argument("--call-uuid", metavar="UUID", help="an in-progress call of that account (TVX_CALL_UUID)")
    target.add_argument(
        "--call-command", metavar="CMD",
        help="a shell command that starts an in-progress call of that account and prints its uuid, run before the run "
        "and whenever the call in use has ended (TVX_CALL_COMMAND; instead of --call-uuid)",
    )  # fmt: skip
    target.add_argument(
        "--call-timeout", metavar="SECONDS",
        help="how long the call command may take, its call answered (TVX_CALL_TIMEOUT; default 60)",
    )  # fmt: skip
    target.add_argument(
        "--safe-transfer-to", metavar="E164", help="a number transfers may dial (TVX_SAFE_TRANSFER_TO); unset: none"
    )
    target.add_argument("--allow-live", action="store_true", help="accept a tvx_sk_live_ key (TVX_ALLOW_LIVE=1)")
    shape = parser.add_argument_group("the run")
    shape.add_argument("--rate-limit", metavar="N", help="at most N requests per second (TVX_RATE_LIMIT)")
    shape.add_argument(
        "--workflows", action="store_true",
        help="run the spec's Arazzo workflows (Redocly Respect) against a deployment too (TVX_WORKFLOWS=1)",
    )  # fmt: skip
    shape.add_argument(
        "--min-coverage", metavar="PERCENT", help="fail when a coverage dimension is below it (MIN_COVERAGE; "
        "default 100 against a simulator, coverage.toml's min-coverage, 0, against a deployment)",
    )  # fmt: skip
    shape.add_argument("--seed", type=whole(0), help="reproduce a run: the seed its summary printed")
    shape.add_argument("--max-examples", metavar="N", type=whole(1), help="generated cases per operation and phase")
    shape.add_argument(
        "--phases", type=phase_list, help=f"schemathesis phases, of {','.join(PHASES)} (default all; fewer reach less)"
    )
    shape.add_argument(
        "--wait-for", metavar="SECONDS", type=whole(0), default=0,
        help="wait up to this long for a target still starting (no connection, or 502/503/504); default 0",
    )  # fmt: skip
    shape.add_argument("--report-dir", metavar="DIR", type=Path, default=Path("reports"), help="default: ./reports")
    spec = parser.add_argument_group(
        "the contract (default: the spec this release carries)"
    ).add_mutually_exclusive_group()
    spec.add_argument("--spec", metavar="FILE", help="test this version of the spec instead, e.g. the last released")
    spec.add_argument(
        "--spec-ref", metavar="REF[:PATH]",
        help="test the spec of this git revision instead (PATH default openapi/call-actions.yaml), e.g. v1.1.0",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for dest, variable in VARIABLES.items():
        value = getattr(args, dest)
        if value is not None:
            os.environ[variable] = value
    if args.allow_live:
        os.environ["TVX_ALLOW_LIVE"] = "1"
    if args.workflows:
        os.environ["TVX_WORKFLOWS"] = "1"
    return run(
        args.report_dir, seed=args.seed, max_examples=args.max_examples, phases=args.phases, wait_for=args.wait_for,
        spec=args.spec, spec_ref=args.spec_ref,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
