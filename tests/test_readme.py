"""The README is the site's front door: short, the two commands on its first screen, its links into the site real.
The Python examples it used to hold now live on the site's pages, and run as written from there: the client one
against a served simulator, the in-process one as is; the package README's examples too."""

import os
import re
from pathlib import Path

import pytest
from pages import DOCS, block
from tryvox_call_actions_client import AuthenticatedClient, errors

from tryvox_sim.testing import served, simulated_api

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_client_usage_example_runs_against_a_served_simulator(monkeypatch, capsys):
    with served() as sim:
        for name in ("TVX_BASE_URL", "TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID"):
            monkeypatch.setitem(os.environ, name, sim[name])
        code = block("guides/clients.md", "python", "AuthenticatedClient(base_url=os.environ")
        exec(compile(code, "docs/guides/clients.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("recording ")
    assert printed[1] == "sent 1234*#"
    assert re.fullmatch(r"https://recordings\.tryvox\.io/[0-9a-f-]{36}\.wav \d+", printed[2])


def test_the_retry_policy_example_runs_against_a_served_simulator(monkeypatch, capsys):
    code = block("guides/retries.md", "python", "TryvoxClient(max_retries=2, max_retry_after=60)")
    with served() as sim:
        for name in ("TVX_BASE_URL", "TVX_AUTH_ID", "TVX_API_TOKEN", "TVX_CALL_UUID"):
            monkeypatch.setitem(os.environ, name, sim[name])
        exec(compile(code, "docs/guides/retries.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == ["sent"]


def test_in_process_example_runs():
    namespace = {}
    exec(compile(block("guides/testing.md", "python", "simulated_api()"), "docs/guides/testing.md", "exec"), namespace)
    assert namespace["stopped"].duration == 125


@pytest.mark.parametrize("command", ["make contract", "make test"])
def test_first_screen_gives_the_two_commands(command):
    first_screen = "\n".join(README.splitlines()[:20])
    assert command in first_screen


def test_the_retry_example_passes_with_the_fixture(refused_url):
    namespace: dict = {}
    code = block("guides/testing.md", "python", "def test_my_app_rides_out_429s")
    exec(compile(code, "docs/guides/testing.md", "exec"), namespace)
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


# -- the README: a front door of at most 150 lines, its links into the site pages of the site

SITE_URL = "https://tryvox.github.io/tryvox-call-actions/"


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 150


def test_each_link_into_the_site_is_a_page_of_it():
    links = re.findall(rf"\({re.escape(SITE_URL)}([^)#\s]*)(?:#[^)\s]*)?\)", README)
    assert len(links) >= 10, "the README leads into the site"
    for path in links:
        source = DOCS / (re.sub(r"\.html$", ".md", path) or "index.md")
        assert source.is_file(), f"README links {SITE_URL}{path}, but docs/ has no {source.name}"


@pytest.mark.parametrize(
    "anchor", ["the-generated-client", "the-simulator-tryvox-sim", "verify-your-deployment-in-its-ci"]
)
def test_the_anchors_the_package_pages_link_to_are_headings(anchor):
    """generated/README.md, typescript-sdk/README.md, contract_tests/README.md and the packages' metadata link there."""
    slugs = [re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in
             re.findall(r"^#+ (.+)$", README, re.M)]  # fmt: skip
    assert anchor in slugs
