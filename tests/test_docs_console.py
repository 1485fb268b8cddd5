"""The request console's data in the rendered docs (tools/docs_console.py) and what a serving simulator makes of it
(tryvox_sim/docs.py). The console itself is checked in Chromium by tests/test_docs.py."""

import json
import re

import pytest
import yaml

from tools.docs_console import console_data, with_console
from tryvox_sim.contract.spec import CALL_ACTIONS_SPEC
from tryvox_sim.sim import control
from tryvox_sim.sim.docs import CONSOLE_DATA_ID, LOCAL_SIMULATOR, METHODS, SERVED_NAME, island, sample_values
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN
from tryvox_sim.testing import simulated_api

SPEC = yaml.safe_load(CALL_ACTIONS_SPEC.read_text())
PAGE = "<html><head><title>x</title></head><body><script>'</body>'</script>{redoc}</body>\n</html>\n"


def island_of(page: str) -> dict:
    found = re.search(f'<script type="application/json" id="{CONSOLE_DATA_ID}">(.*?)</script>', page, re.DOTALL)
    assert found, "no console data in the page"
    return json.loads(found.group(1))


def test_the_static_console_lists_production_then_a_local_simulator_the_reader_can_move():
    production, local = console_data(SPEC)["servers"]
    placeholders = sample_values(SPEC)
    assert production == {
        "url": SPEC["servers"][0]["url"],
        "description": SPEC["servers"][0]["description"],
        "values": {k: placeholders[k] for k in ("token", "auth_id", "call_uuid")},
    }
    # a simulator started with no TVX_* variables answers these: the page works against it as it is
    seeded = {"token": DEFAULT_TOKEN, "auth_id": DEFAULT_AUTH_ID, "call_uuid": DEFAULT_CALL_UUID}
    assert local == {
        "url": "http://127.0.0.1:4010",
        "description": "Local simulator",
        "editable": True,
        "values": seeded,
    }


def test_every_operation_has_its_method_path_parameters_and_the_specs_example_bodies():
    operations = console_data(SPEC)["operations"]
    expected = {
        op["operationId"]: (m, p) for p, item in SPEC["paths"].items() for m, op in item.items() if m in METHODS
    }
    assert {op_id: (op["method"].lower(), op["path"]) for op_id, op in operations.items()} == expected
    for op_id, (method, path) in expected.items():
        body = SPEC["paths"][path][method].get("requestBody", {})
        examples = body.get("content", {}).get("application/json", {}).get("examples", {})
        assert operations[op_id]["params"] == ["auth_id", "call_uuid"]
        assert operations[op_id]["bodyRequired"] == body.get("required", False)
        assert [e["value"] for e in operations[op_id]["examples"]] == [e["value"] for e in examples.values()]
        assert [e["name"] for e in operations[op_id]["examples"]] == [e["summary"] for e in examples.values()]
    assert operations["stopRecording"]["examples"] == []


def test_the_console_goes_in_once_just_before_the_pages_own_end():
    page = with_console(PAGE, SPEC)
    console = page.index(f'id="{CONSOLE_DATA_ID}"')
    assert page.index("{redoc}") < console and page.endswith("</body>\n</html>\n")
    assert page.count(f'id="{CONSOLE_DATA_ID}"') == 1 and "<script>'</body>'</script>" in page  # Redoc's string kept
    assert island_of(page) == console_data(SPEC)
    with pytest.raises(ValueError):
        with_console(page, SPEC)  # twice
    with pytest.raises(ValueError):
        with_console("<html><body>", SPEC)  # not a page build-docs wrote


def test_nothing_in_the_island_can_end_its_element():
    text = island({"x": "</script><script>alert(1)</script>"})
    assert text.count("</script>") == 1 and island_of(text) == {"x": "</script><script>alert(1)</script>"}


@pytest.fixture
def sim(monkeypatch, tmp_path):
    page = tmp_path / "index.html"
    redoc = f'<script>const d = {{"servers":[{json.dumps(SPEC["servers"][0], separators=(",", ":"))}]}};</script>'
    page.write_text(with_console(PAGE.replace("{redoc}", redoc), SPEC))
    monkeypatch.setattr(control, "DOCS_HTML", page)
    with simulated_api() as s:
        yield s


def test_a_served_page_names_its_server_for_what_it_is_and_its_console_sends_only_there(sim):
    sim.app.base_url = "http://127.0.0.1:4999"
    page = sim.http.get("/docs").text
    assert island_of(page)["servers"] == [
        {
            "url": "http://127.0.0.1:4999",
            "description": SERVED_NAME,
            "values": {"token": sim.token, "auth_id": sim.auth_id, "call_uuid": sim.call_uuid},
            "here": True,  # the console sends beside /docs, even when the reader typed localhost for 127.0.0.1
        }
    ]
    assert SPEC["servers"][0]["description"] not in page and LOCAL_SIMULATOR not in page
    assert page.count(f'{{"url":"http://127.0.0.1:4999","description":"{SERVED_NAME}"') == 2  # and Redoc's list
    assert island_of(page)["operations"] == console_data(SPEC)["operations"]


def test_a_page_read_in_process_or_at_an_address_unsafe_in_html_keeps_the_static_servers(sim):
    assert island_of(sim.http.get("/docs").text)["servers"][1]["url"] == LOCAL_SIMULATOR  # not served: no base URL
    sim.app.base_url = "http://127.0.0.1:4999/<script>"
    page = sim.http.get("/docs").text
    assert [s["url"] for s in island_of(page)["servers"]] == [SPEC["servers"][0]["url"], LOCAL_SIMULATOR]
    assert SPEC["servers"][0]["description"] in page
