"""`tryvox-contract` against a faithful deployment: the simulator behind a plain forwarding proxy that hides its
control plane (tests/fault_proxy.py, `control_plane=False`), answering RateLimit-* headers with windows of a second,
as an API limited to N requests a second does.

- One call (TVX_CALL_UUID) and a safe number: the run passes, schemathesis' transfers last, what would end the call
  left out by name (before, an accepted transfer ended the call and 19 behaviour tests failed with 409).
- A call command that starts calls through the simulator's own control plane (the suite cannot see it): a full run
  with transfers passes, a fresh call after each ended one, the transfer and call-ending Notes exercised.
- A call command that fails stops the run at once (exit 2), with what it wrote to stderr.
- The rate-limit rules hold a deployment's windows of a second, and name one that never counts down.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `pytest tests/…` without `python -m`
from fault_proxy import INVARIANT_FAULTS, FaultProxy

from tryvox_sim.testing import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SAFE = "+15005550001"  # the simulator's number that answers: a transfer to it ends the call
# A command that starts an in-progress call through the simulator's control plane and prints its uuid, as a team's
# script does through its platform (stdlib only: it runs once per call).
START_CALL = (
    "import json, sys, urllib.request as r; "
    "q = r.Request(sys.argv[1] + '/_sim/calls', data=json.dumps({'auth_id': sys.argv[2]}).encode(), "
    "headers={'content-type': 'application/json'}); print(json.load(r.urlopen(q))['call_uuid'])"
)


@pytest.fixture(scope="module")
def limited():
    """A simulator on the real clock, every token limited to 1000 requests a second (RateLimit-Reset always 1)."""
    process, found = start_server("--rate-limit", "1000/s", timeout=30)
    yield found
    stop_server(process)


def contract(sim: dict, url: str, reports: Path, *flags: str, timeout: float = 240, **env: str):
    """`tryvox-contract` against `url` as a deployment, at most 500 requests a second, its reports in `reports`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TVX_") and k not in ("MIN_COVERAGE",)}
    clean |= {"TVX_API_TOKEN": sim["TVX_API_TOKEN"], "TVX_AUTH_ID": sim["TVX_AUTH_ID"], "TVX_RATE_LIMIT": "500"}
    command = [sys.executable, "-m", "tryvox_contract", "--base-url", url, "--report-dir", str(reports), *flags]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=timeout)
    done.seconds = time.monotonic() - started  # type: ignore[attr-defined]
    return done


def coverage_items(reports: Path, dimension: str) -> dict[str, dict]:
    data = json.loads((reports / "coverage.json").read_text())
    return {item["id"]: item for item in data["dimensions"][dimension]["items"]}


def call_command(sim: dict) -> str:
    """START_CALL as a call command: a line for `sh -c`, quoted (a checkout's path may hold spaces)."""
    return shlex.join([sys.executable, "-c", START_CALL, sim["TVX_BASE_URL"], sim["TVX_AUTH_ID"]])


def fresh_call(sim: dict) -> str:
    done = subprocess.run([sys.executable, "-c", START_CALL, sim["TVX_BASE_URL"], sim["TVX_AUTH_ID"]],
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return done.stdout.strip()


def test_one_call_and_a_safe_number_pass_against_a_faithful_deployment(limited, tmp_path):
    with FaultProxy(limited["TVX_BASE_URL"], control_plane=False) as url:
        done = contract(limited, url, tmp_path, "--safe-transfer-to", SAFE, "--seed", "7", "--phases",
                        "examples", "--max-examples", "2", TVX_CALL_UUID=fresh_call(limited))  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-5000:] + done.stderr[-2000:]
    assert "[deployment: no control plane, GET /_sim/health answered 404]" in out
    assert "Calls:       one, TVX_CALL_UUID" in out and "(ended: a transfer was accepted on it)" in out
    assert "schema-valid transfers (transferCall) ran last, on the run's one call" in out
    ends = "it ends the call in use, the run's only one (TVX_CALL_UUID): give --call-command (TVX_CALL_COMMAND)"
    assert ends in out and "test_behaviour_transfer.py::test_transfer_echoes_the_destination_and_starts_transf" in out
    assert "Behaviour:" in out and ", 0 failed, 0 errors," in out
    junit = (tmp_path / "schemathesis-transfers-junit.xml").read_text()
    assert "transfer" in junit, "the transfers' own stage ran, last"
    statuses = coverage_items(tmp_path, "statuses")
    assert statuses["transferCall 202"]["reached"], "schemathesis' last stage reached an accepted transfer"
    invariants = coverage_items(tmp_path, "invariants")
    for rule in ("rate-limit-constant", "rate-limit-decreasing", "rate-limit-reset"):
        assert invariants[rule]["reached"], invariants[rule]  # windows of a second: held after each end
    assert (
        not invariants["completed-call"]["counted"] and "needs the simulator" in invariants["completed-call"]["detail"]
    )


def test_a_call_command_gives_a_fresh_call_whenever_one_ends(limited, tmp_path):
    command = call_command(limited)
    # Two phases and the behaviour tests end 16 calls or so; fuzzing and stateful would only end more the same way
    # (the whole suite's run is contract-sim's), at half as much again of this test's time.
    with FaultProxy(limited["TVX_BASE_URL"], control_plane=False) as url:
        done = contract(limited, url, tmp_path, "--safe-transfer-to", SAFE, "--call-command", command, "--seed", "11",
                        "--phases", "examples,coverage", "--max-examples", "2")  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-5000:] + done.stderr[-2000:]
    calls = next(line for line in out.splitlines() if line.startswith("Calls:"))
    started = int(calls.split()[1])
    assert started > 10 and "from --call-command" in calls and "as a transfer was accepted on it" in calls, calls
    tested = json.loads((tmp_path / "schemathesis.json").read_text())["operations"]
    assert tested["tested"] == 6, "schema-valid transfers in the main run: each ended call is replaced"
    assert not (tmp_path / "schemathesis-transfers.json").exists()
    notes = coverage_items(tmp_path, "notes")
    for note in ("General: All actions require the call to be in in-progress status",
                 "Transfer: Transfer can be blind (immediate) or attended (with confirmation)"):  # fmt: skip
        assert notes[note]["reached"] and "needs the simulator" in notes[note]["detail"], notes[note]
    statuses = coverage_items(tmp_path, "statuses")
    for op in ("transferCall", "startRecording", "playAudio", "speakText", "sendDtmf"):
        assert statuses[f"{op} 409"]["reached"], f"{op} 409 on a transferred call"


def test_a_failing_call_command_stops_the_run_with_its_message(limited, tmp_path):
    command = "echo 'starting a test call on staging...'; echo 'no SIP trunk free' >&2; exit 3"
    done = contract(limited, "http://127.0.0.1:9", tmp_path, "--call-command", command, timeout=60)
    assert done.returncode == 2, done.stdout[-3000:]
    assert done.stderr.strip() == "contract: preflight: the call command failed with exit status 3: no SIP trunk free"
    assert not (tmp_path / "schemathesis.json").exists(), "nothing was sent"
    printed = contract(limited, "http://127.0.0.1:9", tmp_path, "--call-command", "echo ringing", timeout=60)
    assert printed.returncode == 2 and "printed 'ringing' as its last line, not a call uuid" in printed.stderr


def test_a_deployment_whose_remaining_never_counts_down_is_named_on_windows_of_a_second(limited, tmp_path):
    with FaultProxy(
        limited["TVX_BASE_URL"], after=INVARIANT_FAULTS["rate-limit-decreasing"], control_plane=False
    ) as url:
        done = contract(limited, url, tmp_path, "--seed", "7", "--phases", "examples", "--max-examples", "1",
                        TVX_CALL_UUID=fresh_call(limited), PYTEST_ADDOPTS="-k test_behaviour_dtmf")  # fmt: skip
    out = done.stdout
    assert done.returncode == 1, out[-4000:]
    assert "FAIL ST901 Custom check failed: `tvx_rate_limit_decreasing`" in out
    assert "a window lasts a second at least, and one had just ended" in (tmp_path / "contract.html").read_text()


def test_a_call_command_that_fails_midway_stops_the_run_with_exit_status_2(limited, tmp_path):
    """Its first call starts the run; once an accepted transfer has ended it, the command fails: the stage that
    needed a call stops, the run goes no further, says why, and still writes its reports."""
    count = tmp_path / "count"
    once = (
        f"if [ -e {shlex.quote(str(count))} ]; then echo 'the test line is busy' >&2; exit 5; fi; "
        f"touch {shlex.quote(str(count))}; {call_command(limited)}"
    )
    with FaultProxy(limited["TVX_BASE_URL"], control_plane=False) as url:
        done = contract(limited, url, tmp_path / "reports", "--safe-transfer-to", SAFE, "--call-command", once,
                        "--seed", "7", "--phases", "examples", "--max-examples", "1")  # fmt: skip
    out = done.stdout
    assert done.returncode == 2, out[-4000:] + done.stderr[-2000:]
    result = "Result:      FAILED: could not go on: the call command failed: the call command failed with exit status 5"
    assert result in out and "the test line is busy" in out
    assert "Workflows:" not in out and not (tmp_path / "reports" / "schemathesis-transfers.json").exists()
    assert (tmp_path / "reports" / "contract.html").is_file()
