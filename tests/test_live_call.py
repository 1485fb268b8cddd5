"""tryvox_contract/live_call.py: the call a deployment run acts on. The call command's uuid, its failures as one
message, a fresh call once the one in use has ended (a transfer accepted, a 409 call_not_in_progress), a call that
still rings waited for, and one call shared by the run's processes through its file."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from tryvox_contract import journal
from tryvox_contract.live_call import CallCommandFailed, LiveCall, parse_timeout, start_call

CALLS = [f"5f0d3b6a-0000-4000-8000-00000000000{n}" for n in range(1, 6)]
PATH = "/v1/voice/accounts/acct/calls/{}/transfer"
NOT_IN_PROGRESS = json.dumps({"code": "call_not_in_progress", "status": 409}).encode()


def counter(tmp_path: Path) -> str:
    """A call command that prints the next of CALLS each time (its count kept in a file), and what it replaces."""
    script = tmp_path / "start_call.py"
    script.write_text(
        "import os, pathlib, sys\n"
        f"count = pathlib.Path({str(tmp_path / 'count')!r})\n"
        "n = int(count.read_text()) if count.exists() else 0\n"
        "count.write_text(str(n + 1))\n"
        "print('dialling…', file=sys.stderr)\n"
        f"print('starting a call'); print({CALLS!r}[n])\n"
        f"pathlib.Path({str(tmp_path / 'replaced')!r}).write_text(os.environ.get('TVX_ENDED_CALL_UUID', '-'))\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"  # a checkout's path may hold spaces


def test_the_command_prints_the_uuid_on_its_last_line(tmp_path):
    assert start_call(counter(tmp_path), 30, {}) == CALLS[0]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("echo 'no trunk free' >&2; exit 4", "the call command failed with exit status 4: no trunk free"),
        ("echo ringing", "the call command printed 'ringing' as its last line, not a call uuid (nothing on stderr)"),
        ("true", "the call command printed nothing as its last line, not a call uuid (nothing on stderr)"),
        ("echo waiting >&2; sleep 5", "the call command did not finish within 0.5 s: waiting"),
    ],
)
def test_a_command_that_gives_no_call_says_what_it_printed(command, message):
    with pytest.raises(CallCommandFailed) as failed:
        start_call(command, 0.5, {})
    assert str(failed.value) == message


@pytest.mark.parametrize(("text", "seconds"), [("", 60.0), ("5", 5.0), ("0.5", 0.5)])
def test_the_timeout(text, seconds):
    assert parse_timeout(text) == seconds


@pytest.mark.parametrize("bad", ["0", "-1", "soon", "4000"])
def test_a_bad_timeout_is_refused(bad):
    with pytest.raises(ValueError, match="TVX_CALL_TIMEOUT"):
        parse_timeout(bad)


def test_a_fresh_call_whenever_the_one_in_use_has_ended(tmp_path, monkeypatch):
    monkeypatch.setenv(journal.ENV, str(tmp_path / "traffic.jsonl"))
    live = LiveCall(tmp_path / "call.json", counter(tmp_path), 30)
    assert live.begin(None) == CALLS[0] and live.current() == CALLS[0], "the same call while it is in progress"
    live.saw("POST", PATH.format(CALLS[0]), 422, b"{}")  # a refused transfer ends nothing
    live.saw("POST", PATH.format(CALLS[1]), 202, b"{}")  # another call's transfer either
    assert live.current() == CALLS[0]
    live.saw("POST", PATH.format(CALLS[0]), 202, b"{}")
    assert live.current() == CALLS[1] and (tmp_path / "replaced").read_text() == CALLS[0]
    live.saw("DELETE", f"/v1/voice/accounts/acct/calls/{CALLS[1]}/record", 409, NOT_IN_PROGRESS)  # hung up
    assert live.current() == CALLS[2]
    state = live.state()
    assert (state.call, state.started, state.ended) == (CALLS[2], 3, "")
    calls = [e for e in journal.read(tmp_path / "traffic.jsonl") if e["by"] == "call"]
    assert [(e["event"], e["call"]) for e in calls] == [
        ("started", CALLS[0]), ("ended", CALLS[0]), ("started", CALLS[1]), ("ended", CALLS[1]), ("started", CALLS[2])
    ]  # fmt: skip
    assert calls[1]["why"] == "a transfer was accepted on it"
    assert calls[3]["why"] == "it answered 409 call_not_in_progress"


def test_without_a_command_the_one_call_stays_and_its_end_is_kept(tmp_path):
    live = LiveCall(tmp_path / "call.json")
    assert live.begin(CALLS[4].upper()) == CALLS[4]
    live.saw("POST", PATH.format(CALLS[4]), 202, b"{}")
    assert live.current() == CALLS[4] and live.state().ended == "a transfer was accepted on it"
    assert not live.fresh_calls


def test_a_call_still_ringing_is_waited_for_then_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("tryvox_contract.live_call.READY_PAUSE_S", 0.01)
    answers = iter([(409, "call_not_in_progress"), (409, "call_not_in_progress"), (409, "no_active_recording")])
    live = LiveCall(tmp_path / "call.json", counter(tmp_path), 30, ready=lambda call: next(answers))
    assert live.begin(None) == CALLS[0]
    # 3 s: the command itself (a process) must finish within the timeout even on a busy machine; the wait then ends it
    never = LiveCall(tmp_path / "other.json", counter(tmp_path), 3, ready=lambda call: (409, "call_not_in_progress"))
    with pytest.raises(CallCommandFailed, match="is still not in progress after 3 s"):
        never.begin(None)
    never.ready = lambda call: (409, "no_active_recording")  # it would work now, but the run has stopped
    again = LiveCall(tmp_path / "other.json", counter(tmp_path), 30)  # another process of the run
    with pytest.raises(CallCommandFailed, match="still not in progress"):
        again.current()  # the failure is kept: every later need of a call meets it, the command not run again
    assert (tmp_path / "count").read_text() == "2", "the command ran for the first call and the one that failed"


def test_the_runs_processes_share_the_call_through_its_file(tmp_path):
    live = LiveCall(tmp_path / "call.json", counter(tmp_path), 30)
    live.begin(None)
    other_process = (
        "import sys; from pathlib import Path; from tryvox_contract.live_call import LiveCall; "
        f"live = LiveCall(Path({str(tmp_path / 'call.json')!r}), sys.argv[1], 30); "
        f"live.saw('POST', {PATH.format(CALLS[0])!r}, 202, b'{{}}'); print(live.current())"
    )
    done = subprocess.run([sys.executable, "-c", other_process, counter(tmp_path)], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == CALLS[1] and live.current() == CALLS[1], "the other process's call is this one's"
