"""tools/checks.py, which `make test` runs: make targets at once, a log each, one summary with failures first."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.checks import TABLE_END, TABLE_START, child_env, listed, readme_with_table

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = """\
TRIES ?= 300
waits: # passes only when `starts` runs beside it
\t@for i in $$(seq $(TRIES)); do test -f started && echo "saw the other check" && exit 0; sleep 0.1; done; exit 1
starts:
\t@touch started; echo "started it"
fails:
\t@echo "an early line"; echo "the reason it failed"; exit 3
sleeps:
\t@echo $$$$ > shell.pid; sleep 60
alone: # fails when `starts` runs beside it
\t@sleep 2; test ! -f started && echo "ran alone"
"""


def run_checks(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    (folder / "Makefile").write_text(MAKEFILE)
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        [sys.executable, "-m", "tools.checks", "--logs", str(folder / "logs"), *args],
        cwd=folder, env={**clean, "PYTHONPATH": str(ROOT), **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_targets_run_at_once_and_the_summary_puts_failures_first(tmp_path):
    result = run_checks(tmp_path, "waits", "starts", "fails")
    assert result.returncode == 1, result.stdout + result.stderr
    progress, summary = result.stdout.split("=" * 72, 1)
    assert "waits, starts, fails, 3 at a time" in progress and "FAILED  fails" in progress
    assert "make test: 1 of 3 checks failed" in summary
    failed = summary.index("FAILED fails (exit 2 after")  # make's exit status
    assert failed < summary.index("passed waits") and failed < summary.index("passed starts")
    assert "  | an early line\n  | the reason it failed\n  | make: *** [Makefile:7: fails] Error 3\n" in summary
    assert "saw the other check" in summary.split("passed waits")[1].splitlines()[0]  # each passed one's last line
    assert summary.rstrip().splitlines()[-1].startswith("Result: FAILED: fails")
    assert (tmp_path / "logs" / "fails.log").read_text().startswith("an early line\nthe reason it failed\n")


def test_jobs_limits_how_many_run_at_once(tmp_path):
    result = run_checks(tmp_path, "--jobs", "1", "waits", "starts", TRIES="5")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Result: FAILED: waits" in result.stdout and "passed starts" in result.stdout


def test_a_first_target_runs_alone_before_the_others(tmp_path):
    result = run_checks(tmp_path, "--first", "alone", "starts", "waits")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "make test: alone first, then starts, waits, 2 at a time" in result.stdout
    assert result.stdout.index("passed  alone") < result.stdout.index("passed  starts")


def test_all_passed_is_exit_0(tmp_path):
    result = run_checks(tmp_path, "starts", "waits")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "make test: all 2 checks passed" in result.stdout and "Result: PASSED" in result.stdout


def test_a_terminated_run_stops_the_checks_it_started(tmp_path):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    runner = subprocess.Popen(
        [sys.executable, "-m", "tools.checks", "--logs", str(tmp_path / "logs"), "sleeps"],
        cwd=tmp_path, env={**clean, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pid_file = tmp_path / "shell.pid"
    deadline = time.monotonic() + 30
    while not pid_file.is_file() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the check did not start"
        time.sleep(0.05)
    shell = int(pid_file.read_text())
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 128 + signal.SIGTERM
    try:
        os.kill(shell, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"the check's shell {shell} still runs")


def test_the_parent_makes_jobserver_is_not_passed_on():
    env = child_env({"MAKEFLAGS": "k -j4 --jobserver-auth=3,4 -- X=1", "MFLAGS": "-k -j4 --jobserver-auth=3,4"})
    assert env["MAKEFLAGS"].split() == ["k", "--", "X=1"] and env["MFLAGS"] == "-k"
    assert child_env({"MAKEFLAGS": "s -j"})["MAKEFLAGS"] == "s"


# -- the one list of what `make test` runs, and the README's table written from it


def make_database() -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "-pq"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60).stdout


def test_make_test_runs_exactly_the_checks_the_makefile_lists_with_what_each_shows():
    database = make_database()
    lines = listed((ROOT / "Makefile").read_text())
    for kind, first in (("FIRST", True), ("CHECKS", False)):
        value = re.search(rf"^TEST_{kind} :?= ?(.*)$", database, re.M)
        assert value, f"make -pq printed no TEST_{kind}"
        runs = value.group(1).split()
        described = [target for target, _, is_first in lines if is_first == first]
        assert runs == described, (
            f"make test runs TEST_{kind} {runs}, the Makefile's list has {described}: each check is one line there, "
            f"`TEST_{kind} += <target>  # what it shows`, and nowhere else"
        )
    for target, shows, _ in lines:
        assert re.search(rf"^{re.escape(target)}:", database, re.M), f"{target} is listed but is no make target"
        assert len(shows) > 10, f"{target}: say what it shows"
    assert "check-client" in [target for target, _, first in lines if not first], "check-client runs beside the others"


@pytest.mark.parametrize("document", ["README.md", "docs/contributing.md"])
def test_the_readme_table_is_written_from_the_makefile(document):
    readme = (ROOT / document).read_text()
    assert TABLE_START in readme and TABLE_END in readme, f"{document} lost its table of the checks (its markers)"
    rewrite = f"run: .venv/bin/python -m tools.checks --readme {document}"
    assert readme_with_table(readme, (ROOT / "Makefile").read_text()) == readme, rewrite


def test_readme_rewrites_the_table_between_its_markers(tmp_path):
    (tmp_path / "Makefile").write_text(
        "TEST_FIRST += build   # it compiles\nTEST_CHECKS += lint  # the code is tidy\nTEST_CHECKS += other\n"
    )
    (tmp_path / "README.md").write_text(f"before\n{TABLE_START}\n| stale |\n{TABLE_END}\nafter\n")
    done = subprocess.run(
        [sys.executable, "-m", "tools.checks", "--readme", "README.md"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "README.md").read_text() == (
        f"before\n{TABLE_START}\n| Check | What it shows |\n|---|---|\n"
        "| `make build` (first, alone) | it compiles |\n| `make lint` | the code is tidy |\n"
        f"{TABLE_END}\nafter\n"
    )
