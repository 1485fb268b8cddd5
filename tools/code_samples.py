"""Code samples for every operation, made from the spec when the docs are built (`make docs`).

Writes a copy of the spec with `x-codeSamples` on each operation, which Redoc shows beside the
request: curl, Python (the generated client, sync and async), JavaScript (`fetch`) and TypeScript
(the SDK, `@tryvox/call-actions`). One Jinja template per language (docs/samples/) is filled from the
operation's path, method, path-parameter examples and first request-body example, so the samples
cannot drift from the spec, and the hand-written spec holds no copy of them. The values a reader
replaces (server, token, account, call) are the ones `tryvox_sim.sim.docs` swaps for the simulator's own
when it serves the page.

Redoc 3 shows only the samples whose label its `codeSamples.languages` option lists, in that order
(and one per label), so the Redocly config that lists them is written here too, from the same table.

    python -m tools.code_samples SPEC --output build/docs/call-actions.samples.json --config build/docs/redocly.yaml
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shlex
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tools.breaking import resolve
from tryvox_sim.sim.docs import METHODS, sample_values

TEMPLATES = Path(__file__).resolve().parents[1] / "docs" / "samples"
CLIENT = "tryvox_call_actions_client"  # import name of the generated client (openapi/client-config.yaml)
LANGUAGES = (  # (label in Redoc's language menu, Redoc's language: icon and highlighting, template)
    ("curl", "curl", "curl.sh.j2"),
    ("Python", "Python", "python.py.j2"),
    ("Python (async)", "Python", "python_async.py.j2"),
    ("JavaScript", "JavaScript", "javascript.js.j2"),
    ("TypeScript", "TypeScript", "typescript.ts.j2"),
)


def snake(name: str) -> str:
    """`sendDtmf` -> `send_dtmf`, `Call Actions` -> `call_actions`: openapi-python-client's module names."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()).strip("_")


def python(value, indent: int = 0) -> str:
    """A Python literal as ruff formats it; a non-empty dict one item a line with a trailing comma."""
    if isinstance(value, dict) and value:
        inner = " " * (indent + 4)
        items = "".join(f"{inner}{python(k)}: {python(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + items + " " * indent + "}"
    if isinstance(value, list) and value:
        inner = " " * (indent + 4)
        return "[\n" + "".join(f"{inner}{python(v, indent + 4)},\n" for v in value) + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (str, dict, list)) else repr(value)


def javascript(value, indent: int = 0) -> str:
    """A JSON value as a JS literal, its continuation lines indented by `indent` spaces."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + " " * indent)


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    autoescape=False,
)
ENV.filters.update(py=python, js=javascript, sh=shlex.quote)


def body_example(operation: dict):
    """The first documented JSON request example, or None when the operation takes no body."""
    request = operation.get("requestBody")
    if request is None:
        return None
    media = request["content"]["application/json"]
    if "examples" in media:
        return next(iter(media["examples"].values()))["value"]
    if "example" in media:
        return media["example"]
    raise ValueError(f"{operation['operationId']}: a request body with no example cannot have a code sample")


def python_argument(value: str, schema: dict) -> str:
    """A path parameter as the generated client's functions take it (`format: uuid` as a uuid.UUID)."""
    return f"UUID({python(value)})" if schema.get("format") == "uuid" else python(value)


def model_name(operation: dict) -> str:
    """The generated model of the request body: the name of the schema it refers to."""
    ref = operation["requestBody"]["content"]["application/json"]["schema"].get("$ref", "")
    if not ref.startswith("#/components/schemas/"):
        raise ValueError(f"{operation['operationId']}: samples need the request schema as a $ref to a named schema")
    return ref.rsplit("/", 1)[1]


def context(spec: dict, path: str, method: str) -> dict:
    """What the templates are filled with, for one operation."""
    item = resolve(spec["paths"][path], spec)
    operation = item[method]
    values = sample_values(spec)
    params = [p for p in item.get("parameters", []) + operation.get("parameters", []) if p["in"] == "path"]
    if missing := [p["name"] for p in params if p["name"] not in values]:
        raise ValueError(f"{operation['operationId']}: path parameters {missing} have no example")
    args = [(p["name"], python_argument(values[p["name"]], p["schema"])) for p in params]
    body = body_example(operation)
    return {
        "method": method.upper(),
        "url": values["base_url"] + re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path),
        "base_url": values["base_url"],
        "token": values["token"],
        "body": body,
        "client": CLIENT,
        "tag": snake(operation["tags"][0]),
        "module": snake(operation["operationId"]),
        "model": model_name(spec["paths"][path][method]) if body is not None else None,
        "args": args,
        "operation_id": operation["operationId"],  # the TypeScript SDK's function
        "path_values": [(p["name"], values[p["name"]]) for p in params],
        "uuid_args": any(value.startswith("UUID(") for _, value in args),
    }


def code_samples(spec: dict, path: str, method: str) -> list[dict]:
    """The operation's `x-codeSamples`: one {lang, label, source} per language."""
    filled = context(spec, path, method)
    return [
        {"lang": lang, "label": label, "source": ENV.get_template(template).render(filled).strip() + "\n"}
        for label, lang, template in LANGUAGES
    ]


def with_samples(spec: dict) -> dict:
    """A copy of `spec` with `x-codeSamples` on every operation (webhooks are called by us, so none there)."""
    out = copy.deepcopy(spec)
    for path, item in out["paths"].items():
        for method in METHODS:
            if method in item:
                item[method]["x-codeSamples"] = code_samples(spec, path, method)
    return out


def page_samples(html: str) -> dict[tuple[str, str], str]:
    """{(operationId, label): source} of a page build-docs rendered (it inlines the document it renders)."""
    start = html.index("{", html.index("const __redoc_definition"))
    definition = json.JSONDecoder().raw_decode(html, start)[0]
    return {
        (operation["operationId"], sample["label"]): sample["source"]
        for item in definition["paths"].values()
        for method, operation in item.items()
        if method in METHODS
        for sample in operation.get("x-codeSamples", [])
    }


def redocly_config() -> dict:
    """build-docs' config: Redoc's language menu lists each sample label (and the request payload) in order."""
    languages = [{"lang": lang} if label == lang else {"lang": lang, "label": label} for label, lang, _ in LANGUAGES]
    return {"openapi": {"codeSamples": {"languages": [*languages, {"lang": "Payload"}]}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--output", type=Path, required=True, help="the spec with x-codeSamples (JSON)")
    parser.add_argument("--config", type=Path, required=True, help="the Redocly config for build-docs (YAML)")
    args = parser.parse_args(argv)
    spec = yaml.safe_load(args.spec.read_text())
    for path in (args.output, args.config):
        path.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(with_samples(spec), indent=1, ensure_ascii=False) + "\n")
    args.config.write_text(yaml.safe_dump(redocly_config(), sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
