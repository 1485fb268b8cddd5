"""Put the request console into the rendered docs page (`make docs`, after Redocly's build-docs).

The console (docs/console.js, docs/console.css) is hand-written and inlined, like everything on the page, so
the page stays one offline file. What it needs from the spec is written beside it as a JSON island: the
servers a reader can send to (production, then a local simulator whose URL the reader can change), with the
token and ids each one takes, and per operation its method, path, path parameters and example bodies. A
simulator serving the page replaces the servers with itself (`tryvox_sim.sim.docs.served_page`).

    python -m tools.docs_console PAGE --spec build/docs/call-actions.samples.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tools.breaking import resolve
from tryvox_sim.sim.docs import CONSOLE_DATA_ID, LOCAL_SIMULATOR, METHODS, island, sample_values
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID, DEFAULT_CALL_UUID, DEFAULT_TOKEN

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARK = "</body>"


def operation(spec: dict, path: str, method: str) -> dict:
    """What one console needs: method, path, path parameter names, whether a body is required, example bodies."""
    item = resolve(spec["paths"][path], spec)
    op = item[method]
    params = [p["name"] for p in item.get("parameters", []) + op.get("parameters", []) if p["in"] == "path"]
    media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = [{"name": e.get("summary", name), "value": e["value"]} for name, e in media.get("examples", {}).items()]
    if not examples and "example" in media:
        examples = [{"name": "Example", "value": media["example"]}]
    return {
        "summary": op["summary"],
        "method": method.upper(),
        "path": path,
        "params": params,
        "bodyRequired": op.get("requestBody", {}).get("required", False),
        "examples": examples,
    }


def console_data(spec: dict) -> dict:
    """The island's content: production (the spec's first server) with the samples' placeholders, then a local
    simulator (editable URL) with the values a simulator is seeded with when started without TVX_* variables."""
    values = sample_values(spec)
    production = spec["servers"][0]
    ids = {"token": values["token"], "auth_id": values["auth_id"], "call_uuid": values["call_uuid"]}
    seeded = {"token": DEFAULT_TOKEN, "auth_id": DEFAULT_AUTH_ID, "call_uuid": DEFAULT_CALL_UUID}
    return {
        "servers": [
            {"url": production["url"], "description": production["description"], "values": ids},
            {"url": LOCAL_SIMULATOR, "description": "Local simulator", "editable": True, "values": seeded},
        ],
        "operations": {
            item[method]["operationId"]: operation(spec, path, method)
            for path, item in spec["paths"].items()
            for method in METHODS
            if method in item
        },
    }


def with_console(page: str, spec: dict) -> str:
    """`page` with the console's style, data and script inlined just before </body>."""
    end = page.rfind(MARK)  # the page's own; Redoc's script holds others in strings
    if end < 0 or page[end + len(MARK) :].strip() != "</html>" or CONSOLE_DATA_ID in page:
        raise ValueError(f"expected a page ending in {MARK}</html>, with no console yet")
    style = (DOCS / "console.css").read_text()
    script = (DOCS / "console.js").read_text()
    if "</" in style or "</" in script:
        raise ValueError("docs/console.css and console.js must not contain '</' (it would end their element)")
    block = f"<style>\n{style}</style>\n{island(console_data(spec))}\n<script>\n{script}</script>\n"
    return page[:end] + block + page[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path, help="the page build-docs wrote; rewritten in place")
    parser.add_argument("--spec", type=Path, required=True, help="the spec the page renders (JSON)")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    args.page.write_text(with_console(args.page.read_text(), spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
