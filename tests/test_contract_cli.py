"""`tryvox-contract`'s flags: each sets the environment variable `make contract` reads (the flag wins, a flag not
given leaves the environment as it is), the run's shape reaches the runner, bad values stop it with exit code 2,
and `make contract` turns its variables into the same flags. The runs themselves are tested in
test_contract_runner.py (drift) and, installed outside the repository, in test_dist.py."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from tryvox_contract import __version__, cli

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = (*cli.VARIABLES.values(), "TVX_ALLOW_LIVE")


@pytest.fixture
def runs(monkeypatch):
    """cli.main with runner.run replaced: each call's arguments and the variables the run would have read. cli.main
    writes os.environ itself: the environment is put back afterwards, or the simulators other tests in this process
    start would read TVX_AUTH_ID and the rest."""
    saved = dict(os.environ)
    for name in VARIABLES:
        os.environ.pop(name, None)
    seen = []

    def run(reports, **shape):
        seen.append({"reports": reports, **shape, "env": {name: os.environ.get(name) for name in VARIABLES}})
        return 0

    monkeypatch.setattr(cli, "run", run)
    yield seen
    os.environ.clear()
    os.environ.update(saved)


def test_each_flag_sets_its_variable_and_the_shape_reaches_the_runner(runs, tmp_path):
    argv = ["--base-url", "https://staging.example.com", "--control-url", "http://sim:4010", "--auth-id", "acct",
            "--call-uuid", "650e8400-e29b-41d4-a716-446655440000", "--rate-limit", "5", "--min-coverage", "80",
            "--safe-transfer-to", "+15005550001", "--allow-live", "--seed", "7", "--max-examples", "3",
            "--phases", "examples,coverage", "--wait-for", "30", "--report-dir", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    [call] = runs
    assert call["env"] == {
        "TVX_BASE_URL": "https://staging.example.com",
        "TVX_CONTROL_URL": "http://sim:4010",
        "TVX_AUTH_ID": "acct",
        "TVX_CALL_UUID": "650e8400-e29b-41d4-a716-446655440000",
        "TVX_RATE_LIMIT": "5",
        "MIN_COVERAGE": "80",
        "TVX_SAFE_TRANSFER_TO": "+15005550001",
        "TVX_CALL_COMMAND": None,
        "TVX_CALL_TIMEOUT": None,
        "TVX_ALLOW_LIVE": "1",
    }
    shape = {name: call[name] for name in ("reports", "seed", "max_examples", "phases", "wait_for")}
    assert shape == {"reports": tmp_path, "seed": 7, "max_examples": 3, "phases": "examples,coverage", "wait_for": 30}


def test_the_calls_and_the_spec_reach_the_run(runs, tmp_path):
    argv = ["--call-command", "./start-test-call.sh --staging", "--call-timeout", "90", "--spec-ref", "v1.1.0",
            "--report-dir", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    [call] = runs
    assert (
        call["env"]["TVX_CALL_COMMAND"] == "./start-test-call.sh --staging" and call["env"]["TVX_CALL_TIMEOUT"] == "90"
    )
    assert (call["spec"], call["spec_ref"]) == (None, "v1.1.0")
    assert cli.main(["--spec", "old.yaml"]) == 0 and (runs[1]["spec"], runs[1]["spec_ref"]) == ("old.yaml", None)


def test_the_environment_is_read_when_a_flag_is_not_given_and_a_flag_wins(runs):
    os.environ.update(TVX_BASE_URL="https://from-the-environment.example.com", MIN_COVERAGE="50", TVX_RATE_LIMIT="2")
    assert cli.main(["--min-coverage", "90"]) == 0
    env = runs[0]["env"]
    assert env["TVX_BASE_URL"] == "https://from-the-environment.example.com" and env["TVX_RATE_LIMIT"] == "2"
    assert env["MIN_COVERAGE"] == "90" and env["TVX_ALLOW_LIVE"] is None
    assert (runs[0]["reports"], runs[0]["seed"], runs[0]["wait_for"]) == (Path("reports"), None, 0)  # a fresh seed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "abc"], "argument --seed: a whole number of at least 0, not 'abc'"),
        (["--max-examples", "0"], "argument --max-examples: a whole number of at least 1, not '0'"),
        (["--phases", "examples,smoke"], "argument --phases: a comma-separated list of examples, coverage, fuzzing"),
        (["--api-token", "tvx_sk_test_x"], "unrecognized arguments: --api-token"),  # the token is TVX_API_TOKEN only
        (["--spec", "a.yaml", "--spec-ref", "v1"], "argument --spec-ref: not allowed with argument --spec"),
    ],
)
def test_bad_flags_stop_the_run_with_exit_code_2(runs, capsys, argv, message):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2 and message in capsys.readouterr().err and not runs


def test_bad_values_from_flags_or_the_environment_name_both(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVX_") and k != "MIN_COVERAGE"}
    command = [sys.executable, "-m", "tryvox_contract", "--report-dir", str(tmp_path)]
    rate = subprocess.run([*command, "--rate-limit", "fast"], env=env, capture_output=True, text=True, timeout=60)
    assert rate.returncode == 2
    assert (
        rate.stderr == "contract: TVX_RATE_LIMIT (--rate-limit) must be a number of requests per second, not 'fast'\n"
    )
    gate = subprocess.run(command, env={**env, "MIN_COVERAGE": "120"}, capture_output=True, text=True, timeout=60)
    assert gate.returncode == 2
    assert gate.stderr == "contract: MIN_COVERAGE (--min-coverage) must be a percentage from 0 to 100, not '120'\n"
    wait = subprocess.run([*command, "--call-timeout", "soon"], env=env, capture_output=True, text=True, timeout=60)
    assert wait.returncode == 2
    assert wait.stderr == (
        "contract: TVX_CALL_TIMEOUT (--call-timeout) must be seconds above 0 and at most 3600, not 'soon'\n"
    )


def test_version_names_the_spec_and_the_simulator_it_was_released_with(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    spec = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())["info"]["version"]
    sim = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert stopped.value.code == 0
    assert (
        capsys.readouterr().out == f"tryvox-contract {__version__} (Call Actions API spec {spec}, tryvox-sim {sim})\n"
    )


def test_make_contract_is_a_thin_call_of_the_command():
    made = subprocess.run(
        ["make", "-n", "--no-print-directory", "contract", "BASE_URL=https://staging.example.com", "SEED=7",
         "MAX_EXAMPLES=3", "PHASES=examples", "REPORT_DIR=out"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1] == (
        ".venv/bin/tryvox-contract --base-url 'https://staging.example.com' --seed '7' --max-examples '3' "
        "--phases 'examples' --report-dir 'out'"
    )
