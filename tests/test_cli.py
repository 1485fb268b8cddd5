"""`tryvox-sim serve`: starts on a free port, prints the export lines, serves, stops cleanly."""

import time

import httpx
import pytest

from tryvox_sim.cli import parse_args
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from tryvox_sim.testing import served


def test_serve_prints_env_lines_and_serves_the_spec():
    started = time.monotonic()
    with served("--log-level", "info") as env:
        ready_after = time.monotonic() - started
        base = env["TVX_BASE_URL"]
        assert base.startswith("http://127.0.0.1:") and not base.endswith(":0")
        seeded = (DEFAULT_AUTH_ID, DEFAULT_TOKEN, DEFAULT_CALL_UUID)  # values pinned in test_control.py
        assert (env["TVX_AUTH_ID"], env["TVX_API_TOKEN"], env["TVX_CALL_UUID"]) == seeded
        assert httpx.get(f"{base}/openapi.json", timeout=5).json()["info"]["title"].startswith("tryvox")
        process = env["process"]
    assert process.returncode == 0  # SIGTERM stops it gracefully
    log = open(env["log"]).read()
    assert "simulator stopped" in log and "Traceback" not in log
    assert ready_after < 10


def test_env_vars_seed_the_account_and_call():
    env = {
        "TVX_AUTH_ID": "acme",
        "TVX_API_TOKEN": "tvx_sk_test_acme_123456789",
        "TVX_CALL_UUID": "7" * 8 + "-7777-4777-8777-" + "7" * 12,
    }
    with served(env=env) as got:
        assert got["TVX_AUTH_ID"] == "acme"
        url = f"{got['TVX_BASE_URL']}/v1/voice/accounts/acme/calls/{env['TVX_CALL_UUID']}/dtmf"
        response = httpx.post(url, json={"digits": "1"}, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"})
        assert response.status_code == 202


@pytest.mark.parametrize(
    "argv",
    [["serve", "--port", "70000"], ["serve", "--rate-limit", "fast"], ["serve", "--journal-size", "-1"], ["nope"]],
)
def test_bad_arguments_exit_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as info:
        parse_args(argv)
    assert info.value.code == 2 and capsys.readouterr().err


def test_defaults(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("TVX_SIM_RATE_LIMIT", raising=False)
    args = parse_args(["serve"])
    assert (args.host, args.port, args.rate_limit, args.self_check, args.manual_clock) == (
        "127.0.0.1", 4010, None, False, False,
    )  # fmt: skip
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.setenv("TVX_SIM_RATE_LIMIT", "50/s")
    args = parse_args(["serve"])
    assert (args.port, args.rate_limit) == (5000, "50/s")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ("127.0.0.1", 4010)),
        ({"PORT": "4100"}, ("127.0.0.1", 4100)),
        ({"TVX_BASE_URL": "http://127.0.0.1:4200", "PORT": "4100"}, ("127.0.0.1", 4200)),
        ({"TVX_BASE_URL": "http://localhost:99999"}, ("localhost", 4010)),
    ],
)
def test_pasted_base_url_fixes_where_it_listens(environ, expected):
    from tryvox_sim.cli import address_from_env

    assert address_from_env(environ) == expected


def test_tokens_never_reach_the_log():
    secret = "tvx_sk_test_never_logged_0001"
    with served("--log-level", "debug", "--self-check") as env:
        base, call = env["TVX_BASE_URL"], env["TVX_CALL_UUID"]
        url = f"{base}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{call}/dtmf"
        for token in (secret, env["TVX_API_TOKEN"]):
            httpx.post(url, json={"digits": "1"}, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        httpx.post(url, content=b"{", headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}, timeout=5)
    log = open(env["log"]).read()
    assert secret not in log and env["TVX_API_TOKEN"] not in log


def test_public_url_is_printed_and_the_bound_address_logged():
    # A container binds 0.0.0.0:4010 but clients reach it through a published port: print what they use.
    public = "http://127.0.0.1:18080"
    with served(env={"TVX_SIM_PUBLIC_URL": public}) as env:
        assert env["TVX_BASE_URL"] == public
        deadline = time.monotonic() + 10
        while "listening on " not in (log := open(env["log"]).read()) and time.monotonic() < deadline:
            time.sleep(0.02)  # the stderr line follows the export lines
        bound = log.split("listening on ", 1)[1].split(";", 1)[0]
        assert bound.startswith("127.0.0.1:") and not bound.endswith(":0")
        assert httpx.get(f"http://{bound}/_sim/health", timeout=5).json() == {"status": "ok"}
    assert parse_args(["serve", "--public-url", "http://sim:4010"]).public_url == "http://sim:4010"


def test_version_names_the_simulator_and_the_spec_on_stdout(capsys):
    from tryvox_sim import __version__
    from tryvox_sim.contract.spec import CALL_ACTIONS_SPEC, load_yaml

    with pytest.raises(SystemExit) as info:
        parse_args(["--version"])
    spec_version = load_yaml(CALL_ACTIONS_SPEC)["info"]["version"]
    assert info.value.code == 0
    assert capsys.readouterr().out == f"tryvox-sim {__version__} (Call Actions API spec {spec_version})\n"
