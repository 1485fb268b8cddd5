"""The code-sample generator (tools/code_samples.py) and how the simulator serves the samples (tryvox_sim/docs.py).

Running every sample against a served simulator is `tests/test_docs_samples.py` (in `make docs-test`);
these tests need neither a server nor a browser.
"""

import ast
import copy
import importlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.code_samples import (
    CLIENT,
    LANGUAGES,
    code_samples,
    page_samples,
    python,
    redocly_config,
    snake,
    with_samples,
)
from tryvox_sim.sim import control, docs
from tryvox_sim.testing import simulated_api

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = ROOT / "openapi" / "call-actions.yaml"
SPEC = yaml.safe_load(SPEC_FILE.read_text())
OPERATIONS = [(path, method) for path, item in SPEC["paths"].items() for method in docs.METHODS if method in item]
SPEAK = "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/speak"
RUFF = Path(sys.executable).with_name("ruff")


def samples_by_label(spec: dict, path: str, method: str) -> dict[str, str]:
    return {sample["label"]: sample["source"] for sample in code_samples(spec, path, method)}


def test_the_hand_written_spec_carries_no_samples_and_is_not_changed():
    assert "x-codeSamples" not in SPEC_FILE.read_text()
    before = copy.deepcopy(SPEC)
    out = with_samples(SPEC)
    assert SPEC == before
    for path, method in OPERATIONS:
        labels = [s["label"] for s in out["paths"][path][method]["x-codeSamples"]]
        assert labels == [label for label, _, _ in LANGUAGES]
    assert all("x-codeSamples" not in op for item in out["webhooks"].values() for op in item.values())


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_python_samples_name_the_generated_client_functions_and_models(path, method):
    operation = SPEC["paths"][path][method]
    module = importlib.import_module(f"{CLIENT}.api.{snake(operation['tags'][0])}.{snake(operation['operationId'])}")
    assert callable(module.sync_detailed) and callable(module.asyncio_detailed)
    for label in ("Python", "Python (async)"):
        tree = ast.parse(samples_by_label(SPEC, path, method)[label])
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        for package, name in [(node.module, alias.name) for node in imports for alias in node.names]:
            assert hasattr(importlib.import_module(package), name), f"{label}: from {package} import {name}"


def test_values_come_from_the_spec_each_written_once_per_language():
    sources = samples_by_label(SPEC, SPEAK, "post")
    example = SPEC["paths"][SPEAK]["post"]["requestBody"]["content"]["application/json"]["examples"]["docs"]["value"]
    url = "https://api.tryvox.io/v1/voice/accounts/your_auth_id/calls/650e8400-e29b-41d4-a716-446655440000/speak"
    for label, source in sources.items():
        assert source.count("tvx_sk_test_YOUR_API_KEY") == 1, label
        assert example["text"] in source, label
    assert url in sources["curl"] and json.dumps(url) in sources["JavaScript"]
    assert 'auth_id="your_auth_id"' in sources["Python"]
    assert 'call_uuid=UUID("650e8400-e29b-41d4-a716-446655440000")' in sources["Python (async)"]


def test_bodies_survive_quoting_in_every_language():
    """A body with quotes, an apostrophe, a backslash and non-ASCII text reaches each language intact."""
    spec = copy.deepcopy(SPEC)
    tricky = {"text": 'It\'s "ünïcode" \\ $HOME `x` — ok', "engine": "neural"}
    spec["paths"][SPEAK]["post"]["requestBody"]["content"]["application/json"]["examples"]["docs"]["value"] = tricky
    sources = samples_by_label(spec, SPEAK, "post")
    words = shlex.split(sources["curl"].replace("\\\n", " "))
    assert words[:4] == ["curl", "-i", "-X", "POST"]
    assert json.loads(words[words.index("-d") + 1]) == tricky
    for label in ("Python", "Python (async)"):
        calls = [node for node in ast.walk(ast.parse(sources[label])) if isinstance(node, ast.Call)]
        (from_dict,) = [call for call in calls if getattr(call.func, "attr", "") == "from_dict"]
        assert ast.literal_eval(from_dict.args[0]) == tricky
    stringified = re.search(r"JSON\.stringify\((\{.*?\})\)", sources["JavaScript"], re.S).group(1)
    assert json.loads(stringified) == tricky


def test_python_literals_round_trip():
    value = {"a": [1, 2.5, None], "b": {"c": True, "d": False}, "e": "x\"y'z\n", "f": {}, "g": []}
    assert ast.literal_eval(python(value)) == value
    assert ast.literal_eval(python(value, 8)) == value


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_python_samples_are_formatted_and_lint_clean(path, method):
    for label in ("Python", "Python (async)"):
        source = samples_by_label(SPEC, path, method)[label]
        for command in (["format", "--check"], ["check", "--select", "E,F,I,UP"]):
            ruff = [str(RUFF), *command, "--isolated", "--stdin-filename", "sample.py", "-"]
            ran = subprocess.run(ruff, input=source, capture_output=True, text=True)
            assert ran.returncode == 0, f"{label} sample of {path} {method}: ruff {command[0]}\n{ran.stdout}"


def test_an_operation_without_a_request_example_is_refused():
    spec = copy.deepcopy(SPEC)
    del spec["paths"][SPEAK]["post"]["requestBody"]["content"]["application/json"]["examples"]
    with pytest.raises(ValueError, match="speakText: a request body with no example"):
        code_samples(spec, SPEAK, "post")


def test_a_path_parameter_without_an_example_is_refused():
    spec = copy.deepcopy(SPEC)
    del spec["components"]["parameters"]["AuthId"]["example"]
    with pytest.raises(ValueError, match=r"path parameters \['auth_id'\] have no example"):
        code_samples(spec, SPEAK, "post")


def redoc_key(entry: dict) -> str:
    """Redoc 3 matches a sample to a menu entry by its label, else its lang, lower-cased (known names aside)."""
    return (entry.get("label") or entry["lang"]).lower()


def test_redoc_menu_lists_every_sample_label_in_order_then_the_payload():
    menu = redocly_config()["openapi"]["codeSamples"]["languages"]
    assert [redoc_key(e) for e in menu] == [label.lower() for label, _, _ in LANGUAGES] + ["payload"]
    samples = with_samples(SPEC)["paths"][SPEAK]["post"]["x-codeSamples"]
    assert [redoc_key(s) for s in samples] == [redoc_key(e) for e in menu[:-1]]


# -- tryvox_sim/docs.py: the page as the simulator serves it

PAGE = (
    "<pre>curl https://api.tryvox.io/v1/voice/accounts/your_auth_id/calls/650e8400-e29b-41d4-a716-446655440000"
    ' -H "Authorization: Bearer tvx_sk_test_YOUR_API_KEY"</pre>'
    '<script>const d = {"servers":[{"url":"https://api.tryvox.io"}]};</script>'
)


def test_sample_values_are_the_spec_server_the_token_placeholder_and_path_examples():
    assert docs.sample_values(SPEC) == {
        "base_url": "https://api.tryvox.io",
        "token": "tvx_sk_test_YOUR_API_KEY",
        "auth_id": "your_auth_id",
        "call_uuid": "650e8400-e29b-41d4-a716-446655440000",
    }


def test_fill_replaces_every_placeholder_in_one_pass():
    filled = docs.fill(b"A B AB", {"A": "B", "B": "A"})
    assert filled == b"B A BA"  # a replaced value is not replaced again


@pytest.fixture
def sim(monkeypatch, tmp_path):
    page = tmp_path / "index.html"
    page.write_text(PAGE)
    monkeypatch.setattr(control, "DOCS_HTML", page)
    with simulated_api() as s:
        s.app.base_url = "http://127.0.0.1:4999"
        yield s


def test_served_docs_carry_the_simulators_values(sim):
    page = sim.http.get("/docs").text
    assert "http://127.0.0.1:4999/v1/voice/accounts/sim_account/calls/650e8400" in page
    assert "Bearer tvx_sk_test_sim_0000000000000000" in page and '"url":"http://127.0.0.1:4999"' in page
    assert "api.tryvox.io" not in page and "your_auth_id" not in page and "YOUR_API_KEY" not in page


def test_a_value_unsafe_in_html_or_code_leaves_its_placeholder(sim):
    sim.app.base_url = "http://127.0.0.1:4999/<script>"
    page = sim.http.get("/docs").text
    assert "<script>/v1" not in page and "https://api.tryvox.io/v1/voice/accounts/sim_account" in page


def test_the_page_is_read_again_only_when_it_changes(sim, monkeypatch):
    reads = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or read_bytes(self))
    first = sim.http.get("/docs").text
    assert sim.http.get("/docs").text == first and len(reads) == 1
    control.DOCS_HTML.write_text(PAGE.replace("<pre>", "<pre>rebuilt "))
    assert sim.http.get("/docs").text.startswith("<pre>rebuilt curl http://127.0.0.1:4999/") and len(reads) == 2


def test_page_samples_reads_them_back_from_a_rendered_page():
    definition = with_samples(SPEC)
    html = f"<script>const __redoc_definition = {json.dumps(definition)};\nconst __redoc_options = {{}};</script>"
    found = page_samples(html)
    assert len(found) == len(OPERATIONS) * len(LANGUAGES)
    assert (
        found[("sendDtmf", "curl")]
        == samples_by_label(SPEC, "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/dtmf", "post")["curl"]
    )
