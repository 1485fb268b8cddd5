"""The `/_sim` control plane (from openapi/simulator.yaml) and the problem codes (from both specs' examples)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .common import ROOT, banner, page, source_link, table

ACTIONS = ROOT / "openapi" / "call-actions.yaml"
CONTROL = ROOT / "openapi" / "simulator.yaml"
METHODS = ("get", "put", "post", "patch", "delete")


class Documents:
    """The two specs, read once; `$ref`s followed within and across them (`call-actions.yaml#/…`)."""

    def __init__(self) -> None:
        self.docs: dict[Path, Any] = {}

    def load(self, path: Path) -> Any:
        if path not in self.docs:
            self.docs[path] = yaml.safe_load(path.read_text())
        return self.docs[path]

    def resolve(self, node: Any, where: Path) -> tuple[Any, Path]:
        """`node` with its `$ref` followed (siblings merged over the target), and the file it now lives in."""
        while isinstance(node, dict) and "$ref" in node:
            file, _, pointer = node["$ref"].partition("#")
            target_file = (where.parent / file).resolve() if file else where
            target: Any = self.load(target_file)
            for token in filter(None, pointer.split("/")):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node, where = (_merge(target, siblings) if isinstance(target, dict) else target), target_file
        return node, where

    def schema(self, node: Any, where: Path) -> dict[str, Any]:
        """A schema with its refs and `allOf` folded into one object (for showing its fields, not for validating)."""
        node, where = self.resolve(node, where)
        if not isinstance(node, dict):
            return {}
        folded = {key: value for key, value in node.items() if key != "allOf"}
        for part in node.get("allOf", []):
            folded = _merge(folded, self.schema(part, where))
        folded["properties"] = {
            name: self.schema(field, where) | {"_required": name in folded.get("required", [])}
            for name, field in folded.get("properties", {}).items()
        }
        return folded


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if key == "properties":
            merged[key] = {**base.get(key, {}), **value}
        elif key == "required":
            merged[key] = [*base.get(key, []), *(name for name in value if name not in base.get(key, []))]
        else:
            merged[key] = value
    return merged


def _kind(schema: dict[str, Any]) -> str:
    """A field's type and constraints, in a few words."""
    kind = schema.get("type", "any")
    words = ["/".join(kind) if isinstance(kind, list) else str(kind)]
    if "enum" in schema:
        words.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
    if "format" in schema:
        words.append(f"({schema['format']})")
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in schema:
            words.append(f"{label} {schema[key]}")
    if "pattern" in schema:
        words.append(f"pattern `{schema['pattern']}`")
    if "default" in schema:
        words.append(f"default `{schema['default']}`")
    return " ".join(words)


def _operations(documents: Documents, path: Path) -> list[tuple[str, str, dict[str, Any], list[Any]]]:
    spec = documents.load(path)
    found = []
    for route, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                found.append((route, method, item[method], item.get("parameters", [])))
    return found


def _operation(documents: Documents, route: str, method: str, operation: dict[str, Any], shared: list) -> list[str]:
    lines = [f"### {operation['summary']}", "", f"`{method.upper()} {route}` · `{operation['operationId']}`", ""]
    lines += [operation.get("description", "").strip(), ""]
    parameters = [documents.resolve(p, CONTROL)[0] for p in [*shared, *operation.get("parameters", [])]]
    if parameters:
        rows = [
            [
                f"`{p['name']}`",
                p["in"],
                "yes" if p.get("required") else "",
                _kind(documents.schema(p.get("schema", {}), CONTROL)),
                p.get("description", ""),
            ]
            for p in parameters
        ]
        lines += ["Parameters:", "", *table(["name", "in", "required", "type", "what"], rows), ""]
    body = operation.get("requestBody")
    if body:
        body, where = documents.resolve(body, CONTROL)
        schema = documents.schema(body["content"]["application/json"]["schema"], where)
        fields = schema.get("properties", {})
        if fields:
            rows = [
                [f"`{name}`", "yes" if field["_required"] else "", _kind(field), field.get("description", "")]
                for name, field in fields.items()
            ]
            required = "required" if body.get("required") else "optional"
            lines += [f"Request body (JSON, {required}):", "", *table(["field", "required", "type", "what"], rows), ""]
    rows = []
    for status, response in operation["responses"].items():
        response, _ = documents.resolve(response, CONTROL)
        rows.append([f"`{status}`", response.get("description", "")])
    return [*lines, "Responses:", "", *table(["status", "meaning"], rows), ""]


def control_plane() -> str:
    documents = Documents()
    spec = documents.load(CONTROL)
    intro = (
        "The simulator's control plane: no authentication, loopback only, and never answered to a page of another "
        "origin. From Python, `tryvox_sim.testing.ControlClient(base_url)` (or `sim.control` in-process) has one "
        "method per operation, named after its operationId in snake_case (`create_call`, `advance_clock`, …); a "
        "refusal raises `ControlPlaneError` with the simulator's problem. Errors are RFC 9457 problems "
        "([Problem codes](problems.md))."
    )
    lines = banner("The `/_sim` control plane", "`openapi/simulator.yaml`", intro)
    lines += [spec["info"]["description"].strip(), ""]
    operations = _operations(documents, CONTROL)
    for tag in spec["tags"]:
        lines += [f"## {tag['name']}", "", tag.get("description", ""), ""]
        for route, method, operation, shared in operations:
            if operation["tags"][0] == tag["name"]:
                lines += _operation(documents, route, method, operation, shared)
    lines.append(f"Source: {source_link('openapi/simulator.yaml')}.")
    return page(lines)


def _problem_examples(documents: Documents, response: Any, where: Path) -> list[dict[str, Any]]:
    response, where = documents.resolve(response, where)
    media = response.get("content", {}).get("application/problem+json", {})
    values = [documents.resolve(example, where)[0].get("value", {}) for example in media.get("examples", {}).values()]
    return [value for value in values if isinstance(value, dict) and "code" in value]


def problems() -> str:
    """Every problem code: status, title, and who answers it (an operation, or any route)."""
    documents = Documents()
    found: dict[str, dict[str, Any]] = {}

    def note(value: dict[str, Any], who: str) -> None:
        entry = found.setdefault(value["code"], {"status": set(), "title": value["title"], "who": [], "when": []})
        entry["status"].add(value["status"])
        if who not in entry["who"]:
            entry["who"].append(who)

    for path, plane in ((ACTIONS, "API"), (CONTROL, "control plane")):
        for _, _, operation, _ in _operations(documents, path):
            for response in operation["responses"].values():
                for value in _problem_examples(documents, response, path):
                    note(value, f"`{operation['operationId']}`" if plane == "API" else plane)
    for example in documents.load(CONTROL)["components"]["examples"].values():
        note(example["value"], "any route")
        found[example["value"]["code"]]["when"].append(example["summary"])
    rows = [
        [
            f"`{code}`",
            ", ".join(map(str, sorted(entry["status"]))),
            entry["title"],
            ", ".join(entry["who"]),
            "; ".join(entry["when"]),
        ]
        for code, entry in sorted(found.items(), key=lambda item: (min(item[1]["status"]), item[0]))
    ]
    intro = (
        "Every error the API and the simulator answer is an RFC 9457 problem (`application/problem+json`): `type`, "
        "`title`, `status`, `detail` and a stable `code`; a `422 validation_failed` adds `errors`, a list of "
        "`{pointer, message}` naming each offending field. Match on `code`, never on `title` or `detail`. Each code is "
        "one class in `tryvox_sim/contract/problems.py`, and one error class per status in both clients "
        "([Clients](../guides/clients.md#errors)). The type URI is `https://docs.tryvox.io/errors/` and the code with "
        "dashes."
    )
    lines = banner(
        "Problem codes", "the problem examples of `openapi/call-actions.yaml` and `openapi/simulator.yaml`", intro
    )
    lines += table(["code", "status", "title", "answered by", "when (any route)"], rows)
    lines += [
        "",
        "The validating proxy answers `502` problems of its own when its upstream fails "
        "(`upstream_unreachable`, `upstream_failed`, `upstream_timeout`; type `urn:tryvox-sim:proxy:…`): "
        "[The validating proxy](../guides/proxy.md).",
        "",
        f"Sources: {source_link('openapi/call-actions.yaml')}, {source_link('openapi/simulator.yaml')}.",
    ]
    return page(lines)
