"""The README's Python examples run as written: the client one against a served simulator, the in-process one as is."""

import os
import re
from pathlib import Path

import pytest
from tryvox_call_actions_client import AuthenticatedClient, errors

from tryvox_sim.testing import served, simulated_api

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def block(marker):
    found = [code for code in BLOCKS if marker in code]
    assert len(found) == 1, f"expected one README python block containing {marker!r}"
    return found[0]


def test_client_usage_example_runs_against_a_served_simulator(monkeypatch, capsys):
    with served() as sim:
        for name in ("TVX_BASE_URL", "TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID"):
            monkeypatch.setitem(os.environ, name, sim[name])
        exec(compile(block("AuthenticatedClient(base_url=os.environ"), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("recording ")
    assert printed[1] == "sent 1234*#"
    assert re.fullmatch(r"https://recordings\.tryvox\.io/[0-9a-f-]{36}\.wav \d+", printed[2])


def test_in_process_example_runs():
    namespace = {}
    exec(compile(block("simulated_api()"), "README.md", "exec"), namespace)
    assert namespace["stopped"].duration == 125


@pytest.mark.parametrize("command", ["make contract", "make test"])
def test_first_screen_gives_the_two_commands(command):
    first_screen = "\n".join(README.splitlines()[:20])
    assert command in first_screen


def test_the_retry_example_passes_with_the_fixture(refused_url):
    namespace: dict = {}
    exec(compile(block("def test_my_app_rides_out_429s"), "README.md", "exec"), namespace)
    for name in ("test_my_app_rides_out_429s", "test_my_app_never_presses_twice"):
        with simulated_api() as sim:
            namespace[name](sim)
    with simulated_api() as sim:  # and they would catch a client that gave up on a 429 too soon...
        sim.inject("sendDtmf", status=429, times=1)
        with pytest.raises(errors.RateLimitError):
            namespace["test_my_app_rides_out_429s"](sim)
    with simulated_api() as sim:  # ...or a refused connection the app took for a sent one
        client = AuthenticatedClient(base_url=refused_url, token=sim.token, raise_on_error=True)
        with pytest.raises(errors.APIConnectionError) as refused:
            namespace["press_keys"](client, sim.auth_id, sim.call_uuid, "1")
        assert refused.value.request_sent is False


PACKAGE_README = (Path(__file__).resolve().parents[1] / "docs" / "tryvox-sim.md").read_text()


@pytest.mark.parametrize("code", re.findall(r"```python\n(.*?)```", PACKAGE_README, re.S))
def test_the_package_readme_examples_pass_with_the_fixture(code):
    namespace: dict = {}
    exec(compile(code, "docs/tryvox-sim.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert tests, "each example in the package README is a test a user can copy"
    for test in tests:
        with simulated_api() as sim:
            test(sim)
