"""The docs site as a reader gets it (build/site/, made by `make site-build`): every page in the nav, no dead link or
anchor, nothing fetched from another host; in headless Chromium from a file and from a local server, every page
without a console error, search finding the retries page, the API page's console sending to a simulator; and the
shell sessions the pages include (docs/snippets/) run, bounded, so one that hangs fails.

`make site-test` installs Chromium and sets TRYVOX_REQUIRE_BROWSER=1, so there the browser tests never skip.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `tools` lives at the repo root

from test_docs import open_browser as docs_browser  # noqa: E402
from test_docs import open_console, send_from_console, status_of, type_into  # noqa: E402

from tools.headless import Browser  # noqa: E402
from tryvox_sim.testing import served  # noqa: E402

SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "site-test"
DOCS = ROOT / "docs"
CONFIG = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
SNIPPETS = sorted((DOCS / "snippets").glob("*.sh"))


def nav_pages(node=CONFIG["nav"]) -> list[str]:
    """The Markdown files of the nav, in its order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [page for value in node.values() for page in nav_pages(value)]
    return [page for item in node for page in nav_pages(item)]


PAGES = nav_pages()
# The first page of each top-level entry: what a reader reaches from the top of the nav.
TOP_LEVEL = [nav_pages(entry)[0] for entry in CONFIG["nav"]]


def html_of(page: str) -> Path:
    return SITE / re.sub(r"\.md$", ".html", page)


@pytest.fixture(scope="module")
def site() -> Path:
    """Build the committed pages (mkdocs --strict, the API page copied in) so the tests never read a stale site."""
    built = subprocess.run(["make", "-s", "site-build"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return SITE


# -- the pages and their links


def test_every_page_is_in_the_nav_and_every_nav_entry_a_page():
    excluded = [line.strip("/") for line in CONFIG["exclude_docs"].split()]
    pages = {
        str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")
        if not any(str(path.relative_to(DOCS)).startswith(skip) for skip in excluded)
    }  # fmt: skip
    assert sorted(pages - set(PAGES)) == [], "pages left out of mkdocs.yml's nav"
    assert sorted(set(PAGES) - pages) == [], "nav entries with no page"
    assert len(PAGES) == len(set(PAGES))


class Page(HTMLParser):
    """What a built page links to, what it loads, and the anchors it has."""

    LOADS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "apple-touch-icon"}

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.anchors |= {attrs[name] for name in ("id", "name") if attrs.get(name)}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & self.LOADS:
            self.loads.append(attrs["href"])
        elif tag in ("script", "img", "iframe", "source", "embed", "video", "audio") and attrs.get("src"):
            self.loads.append(attrs["src"])


@functools.cache
def parsed(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(errors="replace"))
    return page


def external(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url))


def test_no_link_or_anchor_leads_nowhere(site):
    """Every relative link of every page reaches a file of the site, and its #anchor an element of that page."""
    dead = []
    sources = [path for path in site.rglob("*.html") if path.name != "404.html" and path.parent.name != "api"]
    for source in sources:
        for url in parsed(source).links + parsed(source).loads:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("//", "mailto:")):
                continue
            target = (source.parent / unquote(parts.path)).resolve() if parts.path else source
            if not target.is_file():
                dead.append(f"{source.relative_to(site)}: {url} (no such file)")
            elif parts.fragment and target.suffix == ".html" and target.parent.name != "api":
                if unquote(parts.fragment) not in parsed(target).anchors:
                    dead.append(f"{source.relative_to(site)}: {url} (no such anchor)")
    assert dead == []
    assert len(sources) == len(PAGES) and (site / "api" / "index.html").is_file()
    assert any("api/index.html" in link for link in parsed(html_of("reference/api.md")).links)


def test_each_link_into_the_repository_names_a_file_it_has(site):
    """Pages link source files on GitHub (blob/main/...): each such path exists in this checkout."""
    prefix = re.compile(r"^https://github\.com/tryvox/tryvox-call-actions/(?:blob|tree)/main/([^#?]*)")
    missing = sorted(
        {
            f"{path.relative_to(site)}: {url}"
            for path in site.rglob("*.html")
            for url in parsed(path).links
            if (found := prefix.match(url)) and not (ROOT / unquote(found[1])).exists()
        }
    )
    assert missing == []


def test_nothing_is_fetched_from_another_host(site):
    """No page loads a script, style, font, image or frame from the network (theme.font: false; the search shim and
    the API page inlined or copied in); no stylesheet imports one."""
    found = [
        f"{path.relative_to(site)}: {url}" for path in site.rglob("*.html") for url in parsed(path).loads
        if external(url)
    ]  # fmt: skip
    for css in site.rglob("*.css"):
        found += [
            f"{css.relative_to(site)}: {url}"
            for url in re.findall(r"url\(['\"]?((?:https?:)?//[^)'\"]+)", css.read_text())
        ]
        found += [
            f"{css.relative_to(site)}: @import"
            for _ in re.findall(r"@import\s+(?:url\()?['\"]?(?:https?:)?//", css.read_text())
        ]
    assert found == []


# -- the shell sessions the pages include: run as a reader runs them, bounded


class Hung(AssertionError):
    pass


def run_session(script: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    """Run a shell session in bash -e, in a process group of its own; whatever is left of it is stopped at the end.
    Raises Hung when it has not finished within `timeout` seconds (a command that never returns)."""
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, text=True, start_new_session=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise Hung(f"did not finish within {timeout:g} s: {script}") from None
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # a server the session left behind
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(script, process.returncode, out, err)


def included(snippet: Path) -> list[str]:
    return [page for page in PAGES if f'--8<-- "docs/snippets/{snippet.name}"' in (DOCS / page).read_text()]


def test_every_snippet_is_on_a_page():
    assert SNIPPETS, "docs/snippets/ holds the shell sessions the pages include"
    assert [snippet.name for snippet in SNIPPETS if not included(snippet)] == []


def test_the_free_port_session_starts_a_simulator_uses_it_and_stops_it(tmp_path):
    done = run_session((DOCS / "snippets" / "serve-on-a-free-port.sh").read_text(), tmp_path, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    spoken, timeline = done.stdout.splitlines()
    assert '"status":"speaking"' in spoken and '"type":"speak.started"' in timeline
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", (tmp_path / "tvx-sim.env").read_text(), re.M))
    assert sorted(exported) == ["TVX_API_TOKEN", "TVX_AUTH_ID", "TVX_BASE_URL", "TVX_CALL_UUID"]
    with pytest.raises(httpx.TransportError):  # the session's own `kill` stopped the simulator
        httpx.get(f"{exported['TVX_BASE_URL']}/_sim/health", timeout=2)


def test_a_session_that_never_returns_fails(tmp_path):
    """What the README once told readers to type: the command substitution waits for the server, which never exits."""
    with pytest.raises(Hung):
        run_session('eval "$(tryvox-sim serve --port 0 | head -4)"\necho "never printed"', tmp_path, timeout=8)


# -- in a browser


def open_browser() -> Browser:
    browser = docs_browser("site-test")
    browser.send("Log.enable")
    return browser


@pytest.fixture(scope="module")
def local_server(site):
    """build/site/ over HTTP on a free loopback port, as `python -m http.server -d build/site` serves it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test's output stays readable
        pass


def console_errors(browser: Browser, since: int) -> list[str]:
    """Exceptions, console.error calls and failed loads the page reported since event number `since`."""
    found = []
    for event in browser.events[since:]:
        method, params = event["method"], event["params"]
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params["type"] == "error":
            found.append(" ".join(str(arg.get("value", "")) for arg in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
    return found


def visit(browser: Browser, url: str) -> list[str]:
    """Open a page, wait until its title is shown, and return the errors it reported."""
    since = len(browser.events)
    browser.navigate(url)
    shown = browser.wait_for(
        "document.readyState === 'complete' && document.querySelector('.md-content h1')?.innerText"
    )
    assert shown, f"{url}: no title shown"
    return console_errors(browser, since)


def search(browser: Browser, words: str) -> list[str]:
    """Type into the site's search box; return the result links once there are any."""
    browser.evaluate(f"""(() => {{
        const box = document.querySelector('input[data-md-component=search-query]');
        box.focus();
        box.value = {words!r};
        box.dispatchEvent(new Event('input', {{bubbles: true}}));
        box.dispatchEvent(new KeyboardEvent('keyup', {{key: 'r', bubbles: true}}));
    }})()""")
    links = "[...document.querySelectorAll('.md-search-result__item > a')].map(a => a.getAttribute('href'))"
    return browser.wait_for(f"(() => {{ const l = {links}; return l.length && l; }})()") or []


def off_site(browser: Browser, allowed: str) -> list[str]:
    return [
        url for url in browser.requested_urls()
        if not url.startswith(("file:", "data:", "blob:", "about:", allowed))
    ]  # fmt: skip


@pytest.mark.browser
def test_the_browser_checks_see_errors_and_other_hosts(tmp_path):
    """What the page tests below count on: a thrown error, a missing script and a fetch from another host are seen."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<div class="md-content"><h1>Broken</h1></div><script>throw new Error("boom")</script>'
        '<script src="missing.js"></script><img src="https://example.com/logo.png">'
    )
    with open_browser() as browser:
        errors = visit(browser, broken.as_uri())
        assert any("boom" in error for error in errors) and any("missing.js" in error for error in errors), errors
        assert off_site(browser, "file:") == ["https://example.com/logo.png"]


@pytest.mark.browser
def test_every_page_opens_from_a_file_without_console_errors(site):
    with open_browser() as browser:
        errors = {}
        for page in PAGES:
            if found := visit(browser, html_of(page).as_uri()):
                errors[page] = found
            if page in TOP_LEVEL:
                browser.screenshot(SHOTS / f"file-{page.replace('/', '-').removesuffix('.md')}.png")
        assert errors == {}
        assert off_site(browser, "file:") == []


@pytest.mark.browser
def test_search_finds_the_retries_page_from_a_file(site):
    with open_browser() as browser:
        visit(browser, html_of("index.md").as_uri())
        found = search(browser, "Retry-After")
        browser.screenshot(SHOTS / "file-search-retry-after.png")
        assert found and found[0].split("?")[0].endswith("guides/retries.html"), found


@pytest.mark.browser
def test_the_top_level_pages_and_search_from_a_local_server(local_server):
    with open_browser() as browser:
        errors = {}
        for page in TOP_LEVEL:
            if found := visit(browser, f"{local_server}/{html_of(page).relative_to(SITE)}"):
                errors[page] = found
            browser.screenshot(SHOTS / f"served-{page.replace('/', '-').removesuffix('.md')}.png")
        assert errors == {}
        found = search(browser, "Retry-After")
        browser.screenshot(SHOTS / "served-search-retry-after.png")
        assert found and found[0].split("?")[0].endswith("guides/retries.html"), found
        assert off_site(browser, local_server) == []


@pytest.mark.browser
def test_the_api_page_sends_from_its_console_to_a_simulator_started_with_cors(local_server):
    """The site's API page, served, lists the local simulator; one started with `--cors <the site's origin>` answers
    the request the reader sends from the page, and the simulator's journal shows it came from that origin."""
    page = f"{local_server}/api/index.html"
    with served("--cors", local_server) as found, open_browser() as browser:
        since = len(browser.events)
        open_console(browser, page, "sendDtmf")
        type_into(browser, "sendDtmf", "server", "1")  # the local simulator
        type_into(browser, "sendDtmf", "server-url", found["TVX_BASE_URL"])
        shown = send_from_console(browser, "sendDtmf")
        browser.screenshot(SHOTS / "served-api-console-sendDtmf.png")
        assert status_of(shown) == 202, shown
        journal = httpx.get(f"{found['TVX_BASE_URL']}/_sim/requests", timeout=5).json()["requests"]
        assert [(entry["operation"], entry["status"], entry["headers"]["origin"]) for entry in journal] == [
            ("sendDtmf", 202, local_server)
        ]
        assert [e for e in browser.events[since:] if e["method"] == "Runtime.exceptionThrown"] == []
