"""`make test`: make targets at once, each into its own log, then one summary, failures first.

    python -m tools.checks [--jobs N] [--first TARGET]... [--logs DIR] [--make MAKE] TARGET...
    python -m tools.checks --readme README.md   # rewrite the README's table of the checks from the Makefile

Each TARGET runs as `make --no-print-directory TARGET` (at most N at a time; all at once by default), its output
in DIR/TARGET.log (default build/checks). A `--first` target runs before them, alone (one that writes what several
others read). A line is printed as each one ends; then the summary: every failed target with the end of its log,
then every passed one with its log's last line, then the result. Exit status 1 when any target failed, 0 when
all passed.

The Makefile lists what `make test` runs, one line per check with what it shows (`TEST_CHECKS += lint  # ...`);
the README's table of them is written from those lines.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TAIL_LINES = 40
POLL_S = 0.2
STOP_WITHIN_S = 10
RULE = "=" * 72
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A line of the Makefile's list of checks: `TEST_FIRST += ts-build  # what it shows`.
LISTED = re.compile(r"^TEST_(FIRST|CHECKS) \+= (\S+) +# (.+)$", re.M)
TABLE_START = "<!-- checks-table: generated from the Makefile's TEST_FIRST and TEST_CHECKS lines -->"
TABLE_END = "<!-- checks-table end -->"
# The parent make's jobserver cannot reach the targets' makes (its descriptors are not passed on): drop its flags.
JOBSERVER = re.compile(r"(?<!\S)(-j\d*|--jobserver-(auth|fds)=\S+)(?!\S)")


@dataclass
class Check:
    target: str
    log: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # its processes' user + system time: what it costs on a busy machine
    code: int | None = None

    @property
    def passed(self) -> bool:
        return self.code == 0

    def last_lines(self, count: int) -> list[str]:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        lines = [ANSI.sub("", line).rstrip() for line in text.splitlines()]
        return [line for line in lines if line.strip()][-count:]


def child_env(environ: dict[str, str]) -> dict[str, str]:
    env = dict(environ)
    for name in ("MAKEFLAGS", "MFLAGS"):
        if name in env:
            env[name] = JOBSERVER.sub("", env[name]).strip()
    return env


def start(check: Check, make: str, env: dict[str, str]) -> None:
    check.log.parent.mkdir(parents=True, exist_ok=True)
    with check.log.open("wb") as log:
        # A session of its own: stopping a check stops its make and everything that make started.
        check.process = subprocess.Popen(
            [make, "--no-print-directory", check.target],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    check.started = time.monotonic()


def stop(running: list[Check]) -> None:
    for check in running:
        try:
            os.killpg(check.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_WITHIN_S
    for check in running:
        try:
            check.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(check.process.pid, signal.SIGKILL)
            check.process.wait()


def ended(check: Check) -> bool:
    """Whether the check's make has exited; then its exit code and times are kept (its reaped processes' included)."""
    pid, status, usage = os.wait4(check.process.pid, os.WNOHANG)
    if pid == 0:
        return False
    check.process.returncode = check.code = os.waitstatus_to_exitcode(status)
    check.seconds, check.cpu_seconds = time.monotonic() - check.started, usage.ru_utime + usage.ru_stime
    return True


def run(checks: list[Check], jobs: int, make: str, width: int) -> None:
    """Start the checks, `jobs` at a time, in order; print a line as each one ends."""
    waiting, running = list(checks), []
    env = child_env(dict(os.environ))
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                check = waiting.pop(0)
                start(check, make, env)
                running.append(check)
            time.sleep(POLL_S)
            for check in [c for c in running if ended(c)]:
                running.remove(check)
                verdict = "passed" if check.passed else "FAILED"
                print(f"  {verdict}  {check.target:<{width}}  {check.seconds:4.0f} s", flush=True)
    finally:
        stop(running)  # interrupted: no check goes on running unseen


def summary(checks: list[Check], seconds: float) -> str:
    failed = [check for check in checks if not check.passed]
    passed = [check for check in checks if check.passed]
    width = max(len(check.target) for check in checks)
    counted = f"{len(failed)} of {len(checks)} checks failed" if failed else f"all {len(checks)} checks passed"
    cpu = sum(check.cpu_seconds for check in checks)
    lines = ["", RULE, f"make test: {counted} in {seconds:.0f} s (their CPU time: {cpu:.0f} s)", RULE]
    for check in failed:
        lines.append(f"FAILED {check.target} (exit {check.code} after {check.seconds:.0f} s); the end of {check.log}:")
        lines += [f"  | {line}" for line in check.last_lines(TAIL_LINES)]
        lines.append("-" * 72)
    for check in passed:
        last = check.last_lines(1)
        times = f"{check.seconds:4.0f} s, CPU {check.cpu_seconds:4.0f} s"
        lines.append(f"passed {check.target:<{width}}  {times}  {last[0] if last else ''}")
    verdict = f"FAILED: {', '.join(check.target for check in failed)}" if failed else "PASSED"
    lines.append(f"Result: {verdict}   (each check's whole output: {checks[0].log.parent}/<target>.log)")
    return "\n".join(lines)


def listed(makefile: str) -> list[tuple[str, str, bool]]:
    """(target, what it shows, whether it runs first and alone) for each check the Makefile lists."""
    return [(target, shows, kind == "FIRST") for kind, target, shows in LISTED.findall(makefile)]


def checks_table(makefile: str) -> str:
    rows = [
        f"| `make {target}`{' (first, alone)' if first else ''} | {shows} |"
        for target, shows, first in listed(makefile)
    ]
    return "\n".join([TABLE_START, "| Check | What it shows |", "|---|---|", *rows, TABLE_END])


def readme_with_table(readme: str, makefile: str) -> str:
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    return readme[:start] + checks_table(makefile) + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.checks", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET")
    parser.add_argument("--jobs", type=int, default=0, help="at most this many at a time (default: all at once)")
    parser.add_argument("--first", action="append", default=[], metavar="TARGET", help="run before the others, alone")
    parser.add_argument("--logs", type=Path, default=Path("build/checks"), help="where each TARGET.log goes")
    parser.add_argument("--make", default="make", help="the make command")
    parser.add_argument("--readme", type=Path, help="rewrite this README's table of the checks from ./Makefile")
    args = parser.parse_args(argv)
    if args.readme:
        args.readme.write_text(readme_with_table(args.readme.read_text(), Path("Makefile").read_text()))
        print(f"{args.readme}: the table of make test's checks rewritten from the Makefile")
        return 0
    if not args.targets:
        parser.error("name at least one TARGET (or --readme README.md)")
    others = [target for target in dict.fromkeys(args.targets) if target not in args.first]
    first = [Check(target, args.logs / f"{target}.log") for target in dict.fromkeys(args.first)]
    rest = [Check(target, args.logs / f"{target}.log") for target in others]
    checks, width = first + rest, max(len(target) for target in args.first + others)
    jobs = args.jobs if args.jobs > 0 else len(rest)
    # SIGTERM (a CI timeout) ends the run like Ctrl-C: the checks' processes are stopped first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    plan = f"{', '.join(args.first)} first, then " if args.first else ""
    print(f"make test: {plan}{', '.join(others)}, {jobs} at a time (output in {args.logs}/)", flush=True)
    started = time.monotonic()
    try:
        run(first, 1, args.make, width)
        run(rest, jobs, args.make, width)
    except KeyboardInterrupt:
        print("make test: interrupted; the checks still running were stopped", file=sys.stderr)
        return 130
    print(summary(checks, time.monotonic() - started), flush=True)
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
