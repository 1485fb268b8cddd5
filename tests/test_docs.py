"""The rendered docs (build/docs/index.html): self-contained, and readable in a real headless Chromium.

The browser tests run offline (every host name fails to resolve) and check, per operation, that its
heading, parameters, request fields with their constraints, example, error statuses and a code sample
in each language are visible, and that the samples shown by a served simulator's /docs carry its values.
`make docs-test` installs Chromium and sets TRYVOX_REQUIRE_BROWSER=1, so there they never skip.
"""

import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tools` lives at the repo root

from tools.breaking import resolve  # noqa: E402
from tools.code_samples import LANGUAGES, page_samples  # noqa: E402
from tools.headless import Browser, find_chromium  # noqa: E402
from tryvox_sim.sim.docs import sample_values  # noqa: E402
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN  # noqa: E402
from tryvox_sim.testing import served  # noqa: E402

DOCS = ROOT / "build" / "docs" / "index.html"
DOCS_SAMPLES = ROOT / "build" / "docs" / "call-actions.samples.json"
LABELS = [label for label, _, _ in LANGUAGES]
REPORTS = ROOT / "reports"
RAW_SPEC = yaml.safe_load((ROOT / "openapi" / "call-actions.yaml").read_text())
SPEC = resolve(RAW_SPEC, RAW_SPEC)
METHODS = ("get", "put", "post", "delete", "patch")


def operations(section="paths"):
    found = []
    for path, item in SPEC[section].items():
        for method in METHODS:
            if method in item:
                found.append((path, method, item[method], item.get("parameters", [])))
    return found


OPERATIONS = operations()
WEBHOOKS = operations("webhooks")


@pytest.fixture(scope="module")
def docs_page() -> Path:
    """Build the page with make (a no-op when it is up to date) so the test never reads a stale one."""
    built = subprocess.run(["make", "-s", "docs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return DOCS


def open_browser(check: str = "docs-test") -> Browser:
    """Headless Chromium, offline. Without one the test is skipped, or fails under `make <check>`, which installs it
    (it sets TRYVOX_REQUIRE_BROWSER); tests/test_site.py opens its browsers here too."""
    executable = find_chromium()
    if executable is None:
        if os.environ.get("TRYVOX_REQUIRE_BROWSER"):
            pytest.fail(f"chromium is not installed: run `make {check}`, which installs it")
        pytest.skip(f"chromium is not installed; `make {check}` installs it and runs these tests")
    return Browser(executable, offline=True)


@pytest.fixture(scope="module")
def browser():
    with open_browser() as chromium:
        yield chromium


class ResourceLinks(HTMLParser):
    """Collect every place an HTML page can pull a script, style, font or frame from."""

    def __init__(self):
        super().__init__()
        self.external: list[str] = []
        self.csp = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            url = attrs.get(name) or ""
            loads = tag in ("script", "iframe", "img", "embed") or (tag == "link" and attrs.get("rel") != "noopener")
            if loads and tag != "a" and re.match(r"^(https?:)?//", url):
                self.external.append(f"<{tag} {name}={url}>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = attrs.get("content") or ""


def test_page_is_one_self_contained_file(docs_page):
    html = docs_page.read_text()
    links = ResourceLinks()
    links.feed(html)
    assert links.external == []
    assert not re.search(r"@import\s+(url\()?[\"']?(https?:)?//", html)
    # The policy pins every script, style, font and image to the page itself, so nothing can come from a CDN even
    # when online; the request console may reach the API's server and a simulator on loopback, and nothing else.
    policy = dict((d.split()[0], d.split()[1:]) for d in links.csp.split(";") if d.strip())
    assert policy["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src", "img-src", "font-src", "worker-src"):
        assert not [s for s in policy[directive] if "//" in s or s in ("http:", "https:", "*")], directive
    loopback = ["http://127.0.0.1:*", "http://localhost:*"]
    assert policy["connect-src"] == ["'self'", "blob:", RAW_SPEC["servers"][0]["url"], *loopback]
    assert '"disableTelemetry":true' in html
    for _, _, operation, _ in OPERATIONS:
        assert operation["operationId"] in html


def wait_for_section(browser, docs_page, route: str, element_ids: list[str]) -> dict:
    """Open ``#/route`` and return {element id: visible text or None} once all are visible (bounded)."""
    browser.navigate(f"{docs_page.as_uri()}#/{route}")
    script = f"""(() => {{
        const seen = {{}};
        for (const id of {json.dumps(element_ids)}) {{
            const el = document.getElementById(id);
            const box = el && el.getBoundingClientRect();
            const shown = el && el.checkVisibility({{checkOpacity: true, checkVisibilityCSS: true}})
                && box.width > 0 && box.height > 0;
            seen[id] = shown ? el.innerText : null;
        }}
        return seen;
    }})()"""
    found = browser.wait_for(f"(() => {{ const s = {script}; return Object.values(s).every(v => v) && s; }})()")
    return found or browser.evaluate(script)


def constraint_words(schema: dict) -> list[str]:
    """Text a reader must see next to a field: its bounds, format, enum values and pattern start."""
    words = [str(schema[k]) for k in ("minLength", "maxLength", "minimum", "maximum") if k in schema]
    words += [f"({schema['format']})"] if "format" in schema else []
    words += [json.dumps(v) for v in schema.get("enum", [])]
    words += [schema["pattern"][:30]] if "pattern" in schema else []
    return words


def route(operation) -> str:
    return f"call-actions/{operation['operationId'].lower()}"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "method", "operation", "params"), OPERATIONS, ids=[o[2]["operationId"] for o in OPERATIONS]
)
def test_operation_is_visible_with_fields_constraints_examples_and_errors(
    browser, docs_page, path, method, operation, params
):
    base = route(operation)
    body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
    fields = body.get("schema", {}).get("properties", {})
    ids = {base: operation["summary"], f"{base}/responses": None}
    ids |= {f"{base}/t=request&in={p['in']}&path={p['name']}": p for p in params + operation.get("parameters", [])}
    ids |= {f"{base}/t=request&path={name}": field for name, field in fields.items()}
    seen = wait_for_section(browser, docs_page, base, list(ids))
    hidden = [element for element, text in seen.items() if not text]
    assert not hidden, f"not visible in the rendered docs: {hidden}"
    assert seen[base].startswith(operation["summary"])

    for element, spec in ids.items():
        if isinstance(spec, dict):
            name = spec.get("name") or element.rsplit("=", 1)[1]
            text = seen[element]
            assert text.startswith(name)
            missing = [w for w in constraint_words(spec.get("schema", spec)) if w not in text]
            assert not missing, f"{name}: constraints {missing} not shown in {text!r}"

    statuses = browser.evaluate(
        f"[...document.getElementById('{base}/responses').querySelectorAll('button')]"
        ".filter(b => b.checkVisibility()).map(b => b.innerText.trim())"
    )
    assert set(map(str, operation["responses"])) <= set(statuses)

    visible_text = browser.evaluate("document.body.innerText")
    for example in body.get("examples", {}).values():
        first_value = next(iter(example["value"].values()), None)
        if first_value is not None:
            assert json.dumps(first_value) in visible_text  # shown in the request sample panel
            break
    REPORTS.mkdir(exist_ok=True)
    browser.screenshot(REPORTS / f"docs-{operation['operationId']}.png")


def samples_panel(base: str) -> str:
    """JS: the operation's request samples panel (Redoc 3)."""
    return f"document.getElementById({json.dumps(base)})?.querySelector('.panel-request-samples')"


def language_menu(base: str) -> str:
    """JS: the button of the panel's language menu (its header's second dropdown; the first picks the server)."""
    header = '[data-component-name="Panel/PanelHeader"]'
    return f"({samples_panel(base)})?.querySelectorAll('{header} [data-testid=dropdown] > button')[1]"


def choose_sample(browser, base: str, label: str, expected: str) -> tuple[list[str], str]:
    """Pick `label` in the operation's language menu; return the labels the menu listed and the code shown
    once it is `expected` (Redoc may paint the new label before the new code), or what shows at the timeout."""
    panel, menu_button = samples_panel(base), language_menu(base)
    labels = browser.wait_for(f"""(() => {{
        const button = {menu_button};
        if (!button) return null;
        if (button.getAttribute('aria-expanded') !== 'true') button.click();
        const items = [...document.querySelectorAll('[role=menuitem]')].filter(e => e.checkVisibility());
        const item = items.find(e => e.innerText.trim() === {json.dumps(label)});
        item?.click();
        return item && items.map(e => e.innerText.trim());
    }})()""")
    shown = f"""(() => {{
        const code = ({panel})?.querySelector('pre[data-testid=source-code]');
        const box = code?.getBoundingClientRect();
        return {menu_button}?.innerText.trim() === {json.dumps(label)} && code.checkVisibility()
            && box.width > 0 && box.height > 0 ? code.innerText : "";
    }})()"""
    code = browser.wait_for(
        f"(() => {{ const c = {shown}; return c.trimEnd() === {json.dumps(expected.rstrip())} && c; }})()"
    )
    return labels or [], code or browser.evaluate(shown)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "method", "operation", "params"), OPERATIONS, ids=[o[2]["operationId"] for o in OPERATIONS]
)
def test_operation_shows_its_code_sample_in_each_language(browser, docs_page, path, method, operation, params):
    base = route(operation)
    built = json.loads(DOCS_SAMPLES.read_text())["paths"][path][method]["x-codeSamples"]
    sources = {sample["label"]: sample["source"] for sample in built}
    assert wait_for_section(browser, docs_page, base, [base])[base]
    for label in LABELS:
        menu, code = choose_sample(browser, base, label, sources[label])
        assert menu[: len(LABELS)] == LABELS, f"language menu of {operation['operationId']}: {menu}"
        assert code, f"{label} sample of {operation['operationId']} not visible"
        assert code.rstrip() == sources[label].rstrip()
        assert all(value in code for value in sample_values(RAW_SPEC).values())  # production URL, placeholders
    browser.evaluate(f"{language_menu(base)}.click()")  # open, so the screenshot shows every language
    browser.screenshot(REPORTS / f"docs-samples-{operation['operationId']}.png")
    browser.evaluate(f"{language_menu(base)}.click()")


@pytest.mark.browser
def test_samples_copied_from_the_served_docs_carry_its_values_and_run(docs_page):
    """The served page, read in a browser, shows each sample with the simulator's values; curl runs as copied
    (tests/test_docs_samples.py runs every sample of the served page)."""
    own = {
        "TVX_AUTH_ID": "copy_reader",
        "TVX_API_TOKEN": "tvx_sk_test_copy_reader_000000000",
        "TVX_CALL_UUID": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    }
    operation = next(o[2] for o in OPERATIONS if o[2]["operationId"] == "sendDtmf")
    base = route(operation)
    with served(env=own) as found, open_browser() as browser:  # its own browser: it may use loopback
        page = httpx.get(f"{found['TVX_BASE_URL']}/docs").text
        sources = {label: page_samples(page)[(operation["operationId"], label)] for label in LABELS}
        browser.navigate(f"{found['TVX_BASE_URL']}/docs#/{base}")
        copied = {label: choose_sample(browser, base, label, sources[label])[1] for label in LABELS}
        browser.screenshot(REPORTS / "docs-samples-served.png")
        placeholders = sample_values(RAW_SPEC).values()
        for label, code in copied.items():
            assert code.rstrip() == sources[label].rstrip()  # what a reader copies is what test_docs_samples runs
            assert all(found[name] in code for name in own) and found["TVX_BASE_URL"] in code, label
            assert not [p for p in placeholders if p in code], f"{label}: {code}"
        ran = subprocess.run(
            ["sh"], input=copied["curl"], capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]}
        )
        assert ran.stdout.startswith("HTTP/1.1 202 "), ran.stdout + ran.stderr


@pytest.mark.browser
@pytest.mark.parametrize(("name", "method", "webhook", "params"), WEBHOOKS, ids=[w[0] for w in WEBHOOKS])
def test_webhook_payload_is_visible(browser, docs_page, name, method, webhook, params):
    base = route(webhook)
    fields = webhook["requestBody"]["content"]["application/json"]["schema"]["properties"]
    seen = wait_for_section(browser, docs_page, base, [base, *(f"{base}/t=request&path={f}" for f in fields)])
    assert all(seen.values()), f"not visible: {[k for k, v in seen.items() if not v]}"
    assert seen[base].startswith(webhook["summary"])


@pytest.mark.browser
def test_overview_screenshot_and_no_network_use(browser, docs_page):
    seen = wait_for_section(browser, docs_page, route(OPERATIONS[0][2]), [route(OPERATIONS[0][2])])
    assert all(seen.values())
    menu = browser.evaluate("document.querySelector('.menu-content').innerText")
    for _, _, operation, _ in OPERATIONS + WEBHOOKS:
        assert operation["summary"] in menu
    shot = REPORTS / "docs.png"
    REPORTS.mkdir(exist_ok=True)
    browser.screenshot(shot)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000

    # Anything that tried the network was stopped by the page's own policy, not by luck.
    failed = {e["params"]["requestId"]: e["params"] for e in browser.events if e["method"] == "Network.loadingFailed"}
    for event in browser.events:
        if event["method"] == "Network.requestWillBeSent":
            url, request_id = event["params"]["request"]["url"], event["params"]["requestId"]
            if not url.startswith(("file:", "data:", "blob:")):
                assert failed.get(request_id, {}).get("blockedReason") == "csp", url
    errors = [e["params"] for e in browser.events if e["method"] == "Runtime.exceptionThrown"]
    assert errors == []


# -- the request console (docs/console.js): from the page to a simulator, the answer read back from the page

CONSOLE_OPERATIONS = {o[2]["operationId"]: o[2] for o in OPERATIONS}


def console(op_id: str) -> str:
    """JS: the console form of an operation."""
    return f"document.querySelector('form.tvx-console[data-operation={op_id}]')"


def open_console(browser, page_url: str, op_id: str) -> dict:
    """Go to the operation (the same page: what the reader typed stays) and return what its console shows."""
    browser.navigate(f"{page_url}#/{route(CONSOLE_OPERATIONS[op_id])}")
    form = console(op_id)
    assert browser.wait_for(f"!!{form}"), f"no console under {op_id}'s samples"
    browser.evaluate(f"{form}.scrollIntoView({{block: 'center'}})")
    return browser.evaluate(f"""(() => {{
        const form = {form}, value = name => form.elements[name]?.value;
        return {{
            servers: [...form.elements.server.options].map(o => o.text),
            server_url: value('server-url'), url_editable: !form.elements['server-url'].readOnly,
            token: value('token'), body: value('body') ?? null,
            auth_id: value('param-auth_id'), call_uuid: value('param-call_uuid'),
        }};
    }})()""")


def type_into(browser, op_id: str, name: str, value: str) -> None:
    """Set a field as typing would (the console listens to input and change events)."""
    browser.evaluate(f"""(() => {{
        const field = {console(op_id)}.elements[{json.dumps(name)}];
        field.value = {json.dumps(value)};
        field.dispatchEvent(new Event(field.tagName === 'SELECT' ? 'change' : 'input', {{bubbles: true}}));
    }})()""")


def send_from_console(browser, op_id: str) -> dict:
    """Press Send; return the answer as the page shows it: status line, headers, body (or the error shown)."""
    form = console(op_id)
    browser.evaluate(f"{form}.querySelector('button[type=submit]').click()")
    shown = browser.wait_for(f"""(() => {{
        const answer = {form}.querySelector('.tvx-answer'), text = s => answer.querySelector(s)?.textContent ?? null;
        return (text('.tvx-status') || text('.tvx-error')) && {{
            status: text('.tvx-status'), error: text('.tvx-error'),
            headers: text('.tvx-headers pre'), body: text('.tvx-body'),
        }};
    }})()""")
    assert shown, f"{op_id}: no answer shown"
    return shown


def status_of(shown: dict) -> int:
    return int(shown["status"].split()[0])


@pytest.mark.browser
def test_console_on_the_served_docs_sends_each_operation_to_the_simulator(docs_page):
    """Each operation's console, prefilled with this simulator's values, sends what the reader sees; the state is
    the simulator's: the recording it starts is the one it stops, and a second stop is refused."""
    own = {
        "TVX_AUTH_ID": "console_reader",
        "TVX_API_TOKEN": "tvx_sk_test_console_reader_0000000",
        "TVX_CALL_UUID": "0f8fad5b-d9cb-469f-a165-70867728950e",
    }
    with served("--self-check", env=own) as found, open_browser() as browser:
        base, page = found["TVX_BASE_URL"], f"{found['TVX_BASE_URL']}/docs"
        answers = {}
        for step, op_id in enumerate(["startRecording", "playAudio", "speakText", "sendDtmf", "stopRecording"]):
            shows = open_console(browser, page, op_id)
            assert shows["servers"] == ["This simulator (tryvox-sim)"]  # named for what it is, and alone
            assert shows["server_url"] == base and not shows["url_editable"]
            assert [shows["auth_id"], shows["token"], shows["call_uuid"]] == list(own.values())
            body = (CONSOLE_OPERATIONS[op_id].get("requestBody") or {}).get("content", {}).get("application/json", {})
            example = next(iter(body.get("examples", {}).values()), None)
            assert (json.loads(shows["body"]) if shows["body"] else None) == (example and example["value"])
            answers[op_id] = send_from_console(browser, op_id)
            browser.screenshot(REPORTS / "console" / f"served-{step}-{op_id}.png")
        assert {op_id: status_of(shown) for op_id, shown in answers.items()} == {
            "startRecording": 202, "playAudio": 202, "speakText": 202, "sendDtmf": 202, "stopRecording": 200,
        }  # fmt: skip
        started, stopped = json.loads(answers["startRecording"]["body"]), json.loads(answers["stopRecording"]["body"])
        assert stopped["recording_uuid"] == started["recording_uuid"]
        assert "content-type: application/json" in answers["sendDtmf"]["headers"]

        again = send_from_console(browser, "stopRecording")  # the same console, a second time
        browser.screenshot(REPORTS / "console" / "served-5-stopRecording-again.png")
        assert status_of(again) == 409 and json.loads(again["body"])["code"] == "no_active_recording"

        open_console(browser, page, "sendDtmf")
        type_into(browser, "sendDtmf", "body", '{"digits": "12A4"}')
        broken = send_from_console(browser, "sendDtmf")
        browser.screenshot(REPORTS / "console" / "served-6-sendDtmf-422.png")
        assert status_of(broken) == 422 and [e["pointer"] for e in json.loads(broken["body"])["errors"]] == ["/digits"]

        open_console(browser, page, "transferCall")  # last: the call is transferring afterwards
        transferred = send_from_console(browser, "transferCall")
        browser.screenshot(REPORTS / "console" / "served-7-transferCall.png")
        assert status_of(transferred) == 202 and json.loads(transferred["body"])["status"] == "transferring"

        journal = [e for e in httpx.get(f"{base}/_sim/requests", timeout=5).json()["requests"] if e["operation"]]
        assert [(e["operation"], e["status"]) for e in journal] == [  # (the browser also asked for /favicon.ico)
            ("startRecording", 202), ("playAudio", 202), ("speakText", 202), ("sendDtmf", 202),
            ("stopRecording", 200), ("stopRecording", 409), ("sendDtmf", 422), ("transferCall", 202),
        ]  # fmt: skip
        assert journal[6]["body"] == {"digits": "12A4"}  # what the reader typed reached the simulator
        errors = [e["params"] for e in browser.events if e["method"] == "Runtime.exceptionThrown"]
        assert errors == []


def listening_port(found: dict) -> int:
    """The port a served simulator listens on, from the line its log has when it prints clients another URL."""
    deadline = time.monotonic() + 10
    while not (said := re.search(r"listening on 127\.0\.0\.1:(\d+);", Path(found["log"]).read_text())):
        assert time.monotonic() < deadline, "the simulator did not say where it listens"
        time.sleep(0.05)
    return int(said[1])


@pytest.mark.browser
def test_console_on_the_served_docs_sends_beside_the_page_whatever_address_the_simulator_prints(docs_page):
    """A reader may reach the simulator by another name than the URL it prints (localhost for 127.0.0.1, a published
    container port): the console sends to the simulator that served the page, same origin, no CORS needed."""
    with served("--public-url", "http://sim.invalid:4010") as found, open_browser() as browser:
        here = f"http://127.0.0.1:{listening_port(found)}"  # where it really listens (port 0: no other test's)
        assert open_console(browser, f"{here}/docs", "sendDtmf")["server_url"] == here
        assert status_of(send_from_console(browser, "sendDtmf")) == 202


@pytest.mark.browser
def test_console_on_the_static_page_reaches_a_local_simulator_started_with_cors(docs_page):
    """The offline page (file://, origin `null`) lists production and a local simulator whose URL the reader moves
    to where one runs. Without --cors the page says how to let it in; with `--cors null` the requests work."""
    page = docs_page.as_uri()
    with open_browser() as browser:
        shows = open_console(browser, page, "sendDtmf")
        production = RAW_SPEC["servers"][0]
        assert shows["servers"] == [production["description"], "Local simulator"]
        assert shows["server_url"] == production["url"] and not shows["url_editable"]
        placeholders = sample_values(RAW_SPEC)
        assert (shows["token"], shows["auth_id"]) == (placeholders["token"], placeholders["auth_id"])
        unreached = send_from_console(browser, "sendDtmf")  # offline here; the real API need not answer browsers
        assert (
            unreached["error"].startswith(f"No answer from {production['url']}") and "--cors" not in unreached["error"]
        )

        type_into(browser, "sendDtmf", "server", "1")  # the local simulator: the ids it is seeded with
        shows = open_console(browser, page, "sendDtmf")
        assert shows["server_url"] == "http://127.0.0.1:4010" and shows["url_editable"]
        assert (shows["token"], shows["auth_id"], shows["call_uuid"]) == (
            DEFAULT_TOKEN,
            DEFAULT_AUTH_ID,
            DEFAULT_CALL_UUID,
        )

        with served(env={"TVX_SIM_CORS": ""}) as closed:  # a simulator that answers no other origin
            type_into(browser, "sendDtmf", "server-url", closed["TVX_BASE_URL"])
            refused = send_from_console(browser, "sendDtmf")
            browser.screenshot(REPORTS / "console" / "static-0-without-cors.png")
            port = closed["TVX_BASE_URL"].rsplit(":", 1)[1]
            assert refused["status"] is None and f"tryvox-sim serve --port {port} --cors null" in refused["error"]
            journal = httpx.get(f"{closed['TVX_BASE_URL']}/_sim/requests", timeout=5).json()["requests"]
            assert [(e["method"], e["status"]) for e in journal] == [("OPTIONS", 405)]  # the browser went no further

        with served("--cors", "null") as found:
            type_into(browser, "sendDtmf", "server-url", found["TVX_BASE_URL"])
            statuses = []
            for step, op_id in enumerate(["sendDtmf", "startRecording", "stopRecording"], start=1):
                open_console(browser, page, op_id)
                shown = send_from_console(browser, op_id)
                browser.screenshot(REPORTS / "console" / f"static-{step}-{op_id}.png")
                statuses.append(status_of(shown))
            assert statuses == [202, 202, 200]
            journal = httpx.get(f"{found['TVX_BASE_URL']}/_sim/requests", timeout=5).json()["requests"]
            assert [(e["status"], e["headers"]["origin"]) for e in journal] == [
                (202, "null"),
                (202, "null"),
                (200, "null"),
            ]
