"""Write the spec's webhook payload schemas as a Python module for the generated client (`make client` runs it
as a post-hook of openapi-python-client, whose models check no pattern, range or enum), or as a TypeScript module
for the TypeScript SDK (`make client` runs it after @hey-api/openapi-ts, whose types check nothing at run time).

    python tools/webhook_schemas.py openapi/call-actions.yaml > <package>/_webhook_schemas.py
    python tools/webhook_schemas.py openapi/call-actions.yaml --typescript > <sdk>/src/generated/webhook-schemas.gen.ts

Only what the webhooks' payloads reference is written: each payload schema and the component schemas it reaches
through `$ref`, which stay references (`#/components/schemas/<name>`) resolved by name in `webhooks.py`.
"""

from __future__ import annotations

import json
import pprint
import sys
from pathlib import Path
from typing import Any

import yaml

PREFIX = "#/components/schemas/"


def payload_schemas(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """({webhook name: payload schema name}, {schema name: schema} for every schema they reach)."""
    components = spec["components"]["schemas"]
    webhooks = {}
    for name, item in spec.get("webhooks", {}).items():
        ref = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        webhooks[name] = ref.removeprefix(PREFIX)
    reached: dict[str, Any] = {}
    todo = list(webhooks.values())
    while todo:
        name = todo.pop()
        if name not in reached:
            reached[name] = components[name]
            todo.extend(_refs(components[name]))
    return webhooks, dict(sorted(reached.items()))


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].removeprefix(PREFIX)] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def module(spec: dict[str, Any], source: str) -> str:
    webhooks, schemas = payload_schemas(spec)
    return (
        f'"""The webhook payload schemas of {source} (spec version {spec["info"]["version"]}), written by\n'
        'tools/webhook_schemas.py when the client is generated: do not edit."""\n\n'
        "from typing import Any\n\n"
        f"WEBHOOKS: dict[str, str] = {pprint.pformat(webhooks, sort_dicts=False)}\n\n"
        f"SCHEMAS: dict[str, Any] = {pprint.pformat(schemas, sort_dicts=False, width=100)}\n"
    )


def typescript_module(spec: dict[str, Any], source: str) -> str:
    """The same two tables for the TypeScript SDK (src/webhooks.ts reads them), as JSON literals."""
    webhooks, schemas = payload_schemas(spec)
    return (
        f"// The webhook payload schemas of {source} (spec version {spec['info']['version']}), written by\n"
        "// tools/webhook_schemas.py when the SDK is generated: do not edit.\n\n"
        "/** A JSON Schema as the spec writes it. */\n"
        "export type Schema = { readonly [keyword: string]: unknown };\n\n"
        f"export const WEBHOOKS = {json.dumps(webhooks, indent=2)} as const;\n\n"
        "export const SCHEMAS: { readonly [name: string]: Schema } = "
        f"{json.dumps(schemas, indent=2, ensure_ascii=False)};\n"
    )


def main(argv: list[str]) -> int:
    typescript = "--typescript" in argv[1:]
    paths = [arg for arg in argv[1:] if arg != "--typescript"]
    path = Path(paths[0]) if paths else Path("openapi/call-actions.yaml")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    sys.stdout.write((typescript_module if typescript else module)(spec, path.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
