"""The rendered docs as this simulator serves them (/docs): code samples and a console that work against it as they are.

`make docs` writes every code sample with production values: the spec's server URL, each path
parameter's example (`your_auth_id`, a call UUID) and a placeholder token. Served, the page gets this
simulator's base URL, account, token and seeded call in their place, everywhere on the page (samples,
parameter examples, the server shown beside each operation, named for what it is), so a sample copied
from it works unchanged; and the request console (tools/docs_console.py) lists this simulator as its only
server, marked `here`, so what a reader sends from the page goes beside /docs, to the simulator that served
it, by whatever address the reader reached it. The file is read again only when it changes.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..contract.spec import METHODS, dereferenced

TOKEN = "tvx_sk_test_YOUR_API_KEY"  # the API token the static page's samples send
# Where `tryvox-sim serve` listens by default: the static console's second server.
LOCAL_SIMULATOR = "http://127.0.0.1:4010"
SERVED_NAME = "This simulator (tryvox-sim)"  # the server's name on the page a simulator serves
CONSOLE_DATA_ID = "tvx-console-data"  # the console's JSON island: servers and operations
ISLAND = re.compile(rb'<script type="application/json" id="%s">(.*?)</script>' % CONSOLE_DATA_ID.encode(), re.DOTALL)
# A value lands in HTML, in a JSON string inside a <script> and in shell, Python and JS string literals:
# only characters that mean nothing in any of them are put in; others leave the placeholder in place.
SAFE = re.compile(r"[A-Za-z0-9_.:/+-]+")


def sample_values(spec: dict[str, Any]) -> dict[str, str]:
    """What the static samples carry: `base_url`, `token`, and by name the example of each path parameter."""
    values = {"base_url": spec.get("servers", [{}])[0].get("url"), "token": TOKEN}
    for item in spec.get("paths", {}).values():
        for operation in [item, *(item[m] for m in METHODS if m in item)]:
            for parameter in map(lambda p: dereferenced(spec, p), operation.get("parameters", [])):
                if parameter["in"] == "path" and "example" in parameter:
                    example = str(parameter["example"])
                    if values.setdefault(parameter["name"], example) != example:
                        raise ValueError(f"path parameter {parameter['name']} has two examples: samples need one")
    return values


def island(data: Any) -> str:
    """The console's data as a JSON island (`<` escaped, so nothing in it can end the element)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{CONSOLE_DATA_ID}">{text}</script>'


def served_page(path: Path, spec: dict[str, Any], base_url: str | None, seed: tuple[str, str, str]) -> bytes:
    """The page at `path` with the samples' values of `spec` (the Call Actions document) replaced by this
    simulator's: its `base_url` and its seeded (auth_id, token, call_uuid); and, once it is served at an address that
    can go into the page, its server named for what it is and the console's only server."""
    auth_id, token, call_uuid = seed
    ours = {"base_url": base_url, "token": token, "auth_id": auth_id, "call_uuid": call_uuid}
    theirs = sample_values(spec)
    replaced = {k: v for k, v in ours.items() if theirs.get(k) and v and SAFE.fullmatch(v)}
    pairs = tuple((theirs[k], v) for k, v in replaced.items())
    server = ""
    if "base_url" in replaced:
        production = spec["servers"][0].get("description")
        if production:  # "Production environment" beside this simulator's URL would say what it is not
            pairs += ((production, SERVED_NAME),)
        values = {"token": token, "auth_id": auth_id, "call_uuid": call_uuid}
        server = json.dumps({"url": base_url, "description": SERVED_NAME, "values": values, "here": True})
    stat = path.stat()
    return _filled(path, stat.st_ino, stat.st_mtime_ns, stat.st_size, pairs, server)


@lru_cache(maxsize=2)
def _filled(path: Path, inode: int, mtime_ns: int, size: int, pairs: tuple[tuple[str, str], ...], server: str) -> bytes:
    page = fill(path.read_bytes(), dict(pairs))
    found = ISLAND.search(page) if server else None
    if found is None:
        return page
    data = json.loads(found.group(1))
    data["servers"] = [json.loads(server)]
    return page[: found.start()] + island(data).encode() + page[found.end() :]


def fill(page: bytes, replacements: dict[str, str]) -> bytes:
    """Replace every placeholder in one pass (a value that contains another placeholder stays as it is)."""
    if not replacements:
        return page
    pattern = re.compile(b"|".join(re.escape(k.encode()) for k in sorted(replacements, key=len, reverse=True)))
    return pattern.sub(lambda m: replacements[m.group().decode()].encode(), page)
