"""CORS (`tryvox-sim serve --cors ORIGIN…`): browsers on the origins given may call the API, never /_sim/.

A browser sends `Origin` with a cross-origin request, and first a preflight (OPTIONS with
`Access-Control-Request-Method`) when the request carries a token or a JSON body, which every call action
does. The browser test of the docs console (tests/test_docs.py) does the same from a real page.
"""

import httpx
import pytest

from tryvox_sim.cli import parse_args
from tryvox_sim.sim.app import App
from tryvox_sim.sim.cors import parse_origin
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from tryvox_sim.wire.inprocess import InProcessTransport

RECORD = f"/v1/voice/accounts/{DEFAULT_AUTH_ID}/calls/{DEFAULT_CALL_UUID}/record"
DTMF = f"/v1/voice/accounts/{DEFAULT_AUTH_ID}/calls/{DEFAULT_CALL_UUID}/dtmf"
TOKEN = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
PAGE = "http://localhost:3000"


def preflight(origin: str, method: str = "POST", headers: str = "authorization, content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


def simulator(*origins: str) -> httpx.Client:
    app = App(cors=origins)
    return httpx.Client(transport=InProcessTransport(app.respond), base_url="http://sim")


@pytest.fixture
def sim():
    with simulator(PAGE, "null") as client:
        yield client


def test_off_by_default_a_preflight_is_refused_and_answers_carry_no_cors_headers():
    with simulator() as client:
        refused = client.options(RECORD, headers=preflight(PAGE))
        assert refused.status_code == 405 and cors_headers(refused) == {}
        answer = client.post(RECORD, headers={**TOKEN, "Origin": PAGE})
        assert answer.status_code == 202 and cors_headers(answer) == {} and "vary" not in answer.headers


def test_a_preflight_from_an_origin_let_in_is_answered_and_never_allows_credentials(sim):
    answer = sim.options(RECORD, headers=preflight(PAGE, "DELETE"))
    assert answer.status_code == 200 and answer.content == b""
    assert cors_headers(answer) == {
        "access-control-allow-origin": PAGE,
        "access-control-allow-methods": "DELETE, POST",  # what the route has
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "600",
    }
    assert "Origin" in answer.headers["vary"]


def test_a_page_opened_from_disk_has_the_origin_null_and_is_let_in_by_name(sim):
    answer = sim.post(DTMF, json={"digits": "1"}, headers={**TOKEN, "Origin": "null"})
    assert answer.status_code == 202 and answer.headers["access-control-allow-origin"] == "null"


def test_every_answer_of_the_api_carries_the_headers_errors_included(sim):
    bad = sim.post(DTMF, json={"digits": "12A4"}, headers={**TOKEN, "Origin": PAGE})
    no_token = sim.post(DTMF, json={"digits": "1"}, headers={"Origin": PAGE})
    wrong_method = sim.get(DTMF, headers={"Origin": PAGE})
    assert [bad.status_code, no_token.status_code, wrong_method.status_code] == [422, 401, 405]
    for answer in (bad, no_token, wrong_method):
        assert answer.headers["access-control-allow-origin"] == PAGE and answer.headers["vary"] == "Origin"
    assert bad.json()["errors"][0]["pointer"] == "/digits"
    exposed = no_token.headers["access-control-expose-headers"].split(", ")
    # what the spec declares (rate limits, Retry-After, WWW-Authenticate) and what the simulator adds
    for header in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "www-authenticate"):
        assert header in exposed
    assert {"allow", "preference-applied", "tvx-sim-fault"} <= set(exposed)


def test_an_origin_not_let_in_gets_no_cors_headers(sim):
    refused = sim.options(RECORD, headers=preflight("https://evil.example"))
    assert refused.status_code == 405 and cors_headers(refused) == {}
    answer = sim.post(RECORD, headers={**TOKEN, "Origin": "https://evil.example"})
    assert cors_headers(answer) == {} and answer.headers["vary"] == "Origin"  # a cache must not share it


def test_any_origin_gets_a_star_and_still_no_credentials():
    with simulator("*") as client:
        answer = client.options(RECORD, headers=preflight("https://docs.example"))
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in answer.headers
        sent = client.post(RECORD, headers={**TOKEN, "Origin": "https://docs.example"})
        assert sent.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in sent.headers


@pytest.mark.parametrize("path", ["/_sim/health", "/_sim/calls", "/_sim/reset", "/openapi.json", "/docs"])
def test_the_control_plane_the_spec_and_the_docs_are_never_exposed_cross_origin(sim, path):
    assert cors_headers(sim.options(path, headers=preflight(PAGE))) == {}
    assert cors_headers(sim.get(path, headers={"Origin": PAGE})) == {}


def test_a_preflight_is_not_an_api_request_so_the_journal_keeps_none(sim):
    sim.options(RECORD, headers=preflight(PAGE))
    sim.post(RECORD, headers={**TOKEN, "Origin": PAGE})
    assert [entry["method"] for entry in sim.get("/_sim/requests").json()["requests"]] == ["POST"]


def test_an_options_without_the_preflight_headers_is_refused_as_before(sim):
    assert sim.options(RECORD, headers={"Origin": PAGE}).status_code == 405
    assert sim.options(RECORD).headers["allow"] == "DELETE, POST"


def test_chromium_asking_to_reach_a_private_network_is_told_yes(sim):
    answer = sim.options(RECORD, headers={**preflight(PAGE), "Access-Control-Request-Private-Network": "true"})
    assert answer.headers["access-control-allow-private-network"] == "true"
    assert "access-control-allow-private-network" not in sim.options(RECORD, headers=preflight(PAGE)).headers


def test_requested_headers_that_are_not_a_header_list_are_not_echoed(sim):
    answer = sim.options(RECORD, headers=preflight(PAGE, headers="authorization; x=1"))
    assert answer.status_code == 200 and "access-control-allow-headers" not in answer.headers


@pytest.mark.parametrize(
    ("given", "origin"),
    [("null", "null"), ("*", "*"), ("http://LocalHost:3000/", "http://localhost:3000"), ("https://a.b", "https://a.b")],
)
def test_origins_are_normalised(given, origin):
    assert parse_origin(given) == origin


@pytest.mark.parametrize("given", ["localhost:3000", "http://a.b/docs", "http://", "file:///tmp/x.html", "*.a.b"])
def test_what_is_not_an_origin_is_refused(given):
    with pytest.raises(ValueError, match="not an origin"):
        parse_origin(given)


def test_the_cli_takes_origins_from_the_option_or_the_environment(monkeypatch, capsys):
    monkeypatch.delenv("TVX_SIM_CORS", raising=False)
    assert parse_args(["serve"]).cors == []
    assert parse_args(["serve", "--cors", "null", "http://localhost:3000/"]).cors == ["null", "http://localhost:3000"]
    monkeypatch.setenv("TVX_SIM_CORS", "null, https://docs.example")
    assert parse_args(["serve"]).cors == ["null", "https://docs.example"]
    assert parse_args(["serve", "--cors", "*"]).cors == ["*"]  # the option wins
    for argv, env in ((["serve", "--cors", "http://a/b"], None), (["serve"], "ftp:/x")):
        if env:
            monkeypatch.setenv("TVX_SIM_CORS", env)
        with pytest.raises(SystemExit):
            parse_args(argv)
        assert "not an origin" in capsys.readouterr().err


@pytest.mark.parametrize("origins", [(), (PAGE, "null")], ids=["cors off", "cors on"])
@pytest.mark.parametrize(
    "browser", [{"Origin": PAGE}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}], ids=["origin", "null", "site"]
)
def test_a_page_of_another_origin_cannot_drive_the_control_plane(origins, browser):
    """A cross-site POST needs no preflight: the browser would carry it out. The simulator refuses it first."""
    with httpx.Client(transport=InProcessTransport(App(cors=origins).respond), base_url="http://sim") as client:
        before = client.get("/_sim/clock").json()["now"]
        refused = client.post("/_sim/clock/advance", json={"seconds": 60}, headers=browser)
        assert refused.status_code == 403 and refused.json()["code"] == "cross_site_control"
        assert cors_headers(refused) == {}
        assert client.get("/_sim/clock").json()["now"] == before  # nothing happened
        assert client.post("/_sim/clock/advance", json={"seconds": 60}).status_code == 200  # not a browser: as before


def test_the_simulators_own_pages_and_other_clients_still_drive_it():
    from tryvox_sim.testing import served

    with served() as found:
        base = found["TVX_BASE_URL"]
        same = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
        assert httpx.post(f"{base}/_sim/clock/advance", json={"seconds": 1}, headers=same).status_code == 200
        other = {"Origin": base.replace("127.0.0.1", "localhost")}  # another origin, though the same machine
        assert httpx.post(f"{base}/_sim/reset", headers=other).status_code == 403
