"""Find breaking changes between two versions of an OpenAPI 3.1 document.

A change is breaking when a client written against the old document can fail against the new one:
requests it used to send are now refused, or answers it used to understand now look different.
So request schemas may only loosen and response schemas may only grow optional extras.
Webhook payloads are answers too (the API sends them), so they follow the response rules.

    python -m tools.breaking OLD.yaml NEW.yaml    compare two files, exit 1 on breaking changes

The CI gate against a git ref (`make breaking`, `make version-check`) is tools/version_check.py, which
uses this module; this module uses nothing of it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tryvox_sim.contract.spec import METHODS, unescape

# Constraints whose value may only go up (UPPER) or down (LOWER) in a request without breaking it.
UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")


class SpecError(ValueError):
    """The document cannot be compared (not a mapping, external $ref, dangling $ref...)."""


@dataclass(frozen=True)
class Change:
    breaking: bool
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Changes:
    items: list[Change] = field(default_factory=list)

    def breaking(self, where: str, what: str) -> None:
        self.items.append(Change(True, where, what))

    def compatible(self, where: str, what: str) -> None:
        self.items.append(Change(False, where, what))

    @property
    def breaking_changes(self) -> list[Change]:
        return [c for c in self.items if c.breaking]

    @property
    def compatible_changes(self) -> list[Change]:
        return [c for c in self.items if not c.breaking]


# ---------------------------------------------------------------------------------------- $refs


def _pointer(root: dict, ref: str):
    node = root
    for raw in ref[2:].split("/") if ref != "#" else []:
        key = unescape(raw)
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise SpecError(f"$ref {ref!r} points at nothing")
    return node


def conjoin(target: dict, siblings: dict) -> dict:
    """A ``$ref`` with sibling keywords means both apply (JSON Schema 2020-12, OpenAPI 3.1): merge them,
    property by property, so a sibling that only narrows a field (``status: {const: 409}``) keeps the rest."""
    merged = dict(target)
    for key, value in siblings.items():
        if key == "properties" and isinstance(value, dict) and isinstance(merged.get(key), dict):
            props = dict(merged[key])
            for name, schema in value.items():
                both = isinstance(props.get(name), dict) and isinstance(schema, dict)
                props[name] = conjoin(props[name], schema) if both else schema
            merged[key] = props
        elif key == "required" and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged


# Keywords that say nothing about which values are valid: branches of an allOf may differ in them.
ANNOTATIONS = ("description", "title", "examples", "example", "deprecated")


def fold_all_of(schema: dict) -> dict:
    """``allOf`` is a conjunction, as siblings of a ``$ref`` are: fold its branches and the schema's own keywords into
    one schema (``conjoin``), so ``allOf: [{$ref: A}]`` beside ``properties`` compares equal to ``$ref: A`` with those
    properties as siblings. Branches that set one keyword to different values are compared as written instead."""
    branches = schema.get("allOf")
    if not isinstance(branches, list) or not all(isinstance(branch, dict) for branch in branches):
        return schema
    merged: dict = {}
    for part in [*branches, {key: value for key, value in schema.items() if key != "allOf"}]:
        for key, value in part.items():
            if key in merged and key not in ("properties", "required", *ANNOTATIONS) and merged[key] != value:
                return schema
        merged = conjoin(merged, part)
    return merged


def resolve(node, root: dict, seen: tuple[str, ...] = ()):
    """Return ``node`` with every local ``$ref`` replaced by its target, conjoined with the ref's siblings, and every
    ``allOf`` folded into its schema (``fold_all_of``)."""
    if isinstance(node, list):
        return [resolve(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref is None:
        return fold_all_of({key: resolve(value, root, seen) for key, value in node.items()})
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise SpecError(f"only local $refs can be compared, found {ref!r}")
    if ref in seen:  # a recursive schema: compare it once, not forever
        return {"$ref": ref}
    target = resolve(_pointer(root, ref), root, (*seen, ref))
    siblings = {key: resolve(value, root, seen) for key, value in node.items() if key != "$ref"}
    return fold_all_of(conjoin(target, siblings)) if isinstance(target, dict) else target


# -------------------------------------------------------------------------------------- schemas


def _types(schema: dict) -> frozenset[str] | None:
    """The JSON types a schema allows; None means any type."""
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _accepts(types: frozenset[str] | None, kind: str) -> bool:
    return types is None or kind in types or (kind == "integer" and "number" in types)


def _values(schema: dict) -> list | None:
    """The allowed values (``enum`` or ``const``); None means no value restriction."""
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _show(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def compare_schema(changes: Changes, where: str, old, new, direction: str) -> None:
    """Compare two resolved schemas; ``direction`` is "request" (sent by clients) or "response"."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old != new:
            changes.breaking(where, f"schema changed from {old!r} to {new!r}")
        return
    request = direction == "request"
    _compare_types(changes, where, _types(old), _types(new), request)
    _compare_values(changes, where, _values(old), _values(new), request)
    if request:
        _compare_request_constraints(changes, where, old, new)
    else:
        _compare_response_constraints(changes, where, old, new)
    _compare_properties(changes, where, old, new, direction)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        compare_schema(changes, f"{where}[]", old["items"], new["items"], direction)
    if isinstance(old.get("additionalProperties"), dict) and isinstance(new.get("additionalProperties"), dict):
        compare_schema(changes, f"{where}.*", old["additionalProperties"], new["additionalProperties"], direction)
    for keyword in ("oneOf", "anyOf", "allOf"):
        _compare_branches(changes, where, keyword, old.get(keyword), new.get(keyword), direction)


def _compare_types(changes: Changes, where: str, old, new, request: bool) -> None:
    if old == new:
        return
    # A request type may widen (the client's values still fit); a response type may only narrow.
    narrow, wide = (old, new) if request else (new, old)
    fits = wide is None if narrow is None else all(_accepts(wide, kind) for kind in narrow)
    if fits:
        changes.compatible(where, f"type {'widened' if request else 'narrowed'} from {_show(old)} to {_show(new)}")
    else:
        changes.breaking(where, f"type changed from {_show(old)} to {_show(new)}")


def _compare_values(changes: Changes, where: str, old, new, request: bool) -> None:
    if old == new:
        return
    if request:
        if new is None:
            changes.compatible(where, "enum restriction removed")
        elif old is None:
            changes.breaking(where, f"new enum restriction {new!r}")
        elif removed := [v for v in old if v not in new]:
            changes.breaking(where, f"enum value(s) removed: {removed!r}")
        else:
            changes.compatible(where, f"enum value(s) added: {[v for v in new if v not in old]!r}")
    elif new is None:
        changes.breaking(where, f"response values no longer limited to {old!r}")
    elif old is not None and (added := [v for v in new if v not in old]):
        changes.breaking(where, f"response may now hold new enum value(s) {added!r}")
    else:
        changes.compatible(where, f"response values narrowed to {new!r}")


def _compare_request_constraints(changes: Changes, where: str, old: dict, new: dict) -> None:
    for key in UPPER:
        was, now = old.get(key), new.get(key)
        if now is not None and (was is None or now < was):
            changes.breaking(where, f"{key} lowered from {was} to {now}" if was is not None else f"{key} {now} added")
        elif was is not None and (now is None or now > was):
            changes.compatible(where, f"{key} raised from {was} to {now}")
    for key in LOWER:
        was, now = old.get(key), new.get(key)
        if now is not None and (was is None or now > was):
            changes.breaking(where, f"{key} raised from {was} to {now}" if was is not None else f"{key} {now} added")
        elif was is not None and (now is None or now < was):
            changes.compatible(where, f"{key} lowered from {was} to {now}")
    for key in ("pattern", "format", "multipleOf"):
        was, now = old.get(key), new.get(key)
        if now is not None and now != was:
            changes.breaking(
                where, f"{key} changed from {was!r} to {now!r}" if was is not None else f"{key} {now!r} added"
            )
        elif was is not None and now is None:
            changes.compatible(where, f"{key} {was!r} removed")
    if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
        changes.breaking(where, "uniqueItems added")
    if new.get("additionalProperties") is False and old.get("additionalProperties", True) is not False:
        changes.breaking(where, "additionalProperties closed: unknown fields are now refused")
    elif old.get("additionalProperties") is False and new.get("additionalProperties", True) is not False:
        changes.compatible(where, "additionalProperties opened")


def _compare_response_constraints(changes: Changes, where: str, old: dict, new: dict) -> None:
    was, now = old.get("format"), new.get("format")
    if was is not None and now != was:
        changes.breaking(where, f"format changed from {was!r} to {now!r}")


def _compare_properties(changes: Changes, where: str, old: dict, new: dict, direction: str) -> None:
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    old_req, new_req = set(old.get("required") or []), set(new.get("required") or [])
    kind = "request field" if direction == "request" else "response field"
    for name in old_props.keys() - new_props.keys():
        changes.breaking(where, f"{kind} {name!r} removed")
    for name in sorted(new_props.keys() - old_props.keys()):
        if direction == "response" or name not in new_req:
            changes.compatible(where, f"{'optional ' if direction == 'request' else ''}{kind} {name!r} added")
    if direction == "request":
        for name in sorted(new_req - old_req):
            became = "became required" if name in old_props else "added as required"
            changes.breaking(where, f"request field {name!r} {became}")
        for name in sorted(old_req - new_req):
            changes.compatible(where, f"request field {name!r} no longer required")
    else:
        for name in sorted((old_req - new_req) & new_props.keys()):
            changes.breaking(where, f"response field {name!r} is no longer always present")
    for name in sorted(old_props.keys() & new_props.keys()):
        compare_schema(changes, f"{where}.{name}", old_props[name], new_props[name], direction)


def _compare_branches(changes: Changes, where: str, keyword: str, old, new, direction: str) -> None:
    old, new = old or [], new or []
    if len(old) != len(new):
        fewer = len(new) < len(old)
        # Fewer oneOf/anyOf branches refuse old requests; more branches surprise old response readers.
        bad = (fewer == (direction == "request")) if keyword != "allOf" else True
        record = changes.breaking if bad else changes.compatible
        record(where, f"{keyword} now has {len(new)} branch(es) instead of {len(old)}")
    for index, (was, now) in enumerate(zip(old, new, strict=False)):
        compare_schema(changes, f"{where}<{keyword}[{index}]>", was, now, direction)


# ----------------------------------------------------------------------------------- operations


def _operations(doc: dict, section: str) -> dict[str, tuple[dict, dict]]:
    """``"POST /path"`` (or ``"webhook name POST"``) -> (path item, operation)."""
    found = {}
    for path, item in (doc.get(section) or {}).items():
        for method in METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                key = f"{method.upper()} {path}" if section == "paths" else f"webhook {path} {method.upper()}"
                found[key] = (item, item[method])
    return found


def _parameters(item: dict, operation: dict) -> dict[tuple[str, str], dict]:
    merged = {}
    for param in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        merged[(param.get("in"), param.get("name"))] = param  # operation level overrides path level
    return merged


def _security(doc: dict, operation: dict) -> list:
    requirements = operation.get("security", doc.get("security", []))
    return sorted(sorted((name, tuple(sorted(scopes or []))) for name, scopes in req.items()) for req in requirements)


def _scheme(doc: dict, name: str) -> dict | None:
    scheme = ((doc.get("components") or {}).get("securitySchemes") or {}).get(name)
    return {k: v for k, v in scheme.items() if k != "description"} if isinstance(scheme, dict) else None


def _status(code) -> str:
    return str(code).upper()


def compare_operation(changes: Changes, where: str, old: tuple, new: tuple, docs: tuple[dict, dict]) -> None:
    (old_item, old_op), (new_item, new_op) = old, new
    old_params, new_params = _parameters(old_item, old_op), _parameters(new_item, new_op)
    for key in old_params.keys() - new_params.keys():
        changes.breaking(where, f"{key[0]} parameter {key[1]!r} removed")
    for key in sorted(new_params.keys() - old_params.keys(), key=str):
        record = changes.breaking if new_params[key].get("required") else changes.compatible
        record(
            where,
            f"{'required' if new_params[key].get('required') else 'optional'} {key[0]} parameter {key[1]!r} added",
        )
    for key in sorted(old_params.keys() & new_params.keys(), key=str):
        was, now = old_params[key], new_params[key]
        if now.get("required") and not was.get("required"):
            changes.breaking(where, f"{key[0]} parameter {key[1]!r} became required")
        compare_schema(changes, f"{where} {key[0]} parameter {key[1]}", was.get("schema"), now.get("schema"), "request")
    _compare_body(changes, where, old_op.get("requestBody"), new_op.get("requestBody"))
    _compare_responses(changes, where, old_op.get("responses") or {}, new_op.get("responses") or {})
    old_doc, new_doc = docs
    old_sec, new_sec = _security(old_doc, old_op), _security(new_doc, new_op)
    if old_sec != new_sec:
        changes.breaking(where, f"security changed from {old_sec} to {new_sec}")
    for name in sorted({n for req in old_sec for n, _ in req} & {n for req in new_sec for n, _ in req}):
        if _scheme(old_doc, name) != _scheme(new_doc, name):
            changes.breaking(where, f"security scheme {name!r} changed")


def _compare_body(changes: Changes, where: str, old: dict | None, new: dict | None, direction: str = "request"):
    """A request body, or (direction "response") a webhook's payload, which the API sends."""
    noun = "request body" if direction == "request" else "payload"
    label = f"{where} {noun}"
    if old is None and new is None:
        return
    if old is None:
        record = changes.breaking if new.get("required") else changes.compatible
        record(label, f"{'required' if new.get('required') else 'optional'} {noun} added")
        return
    if new is None:
        changes.breaking(label, f"{noun} removed")
        return
    if direction == "request" and new.get("required") and not old.get("required"):
        changes.breaking(label, "request body became required")
    _compare_content(changes, label, old.get("content") or {}, new.get("content") or {}, direction)


def _compare_content(changes: Changes, where: str, old: dict, new: dict, direction: str) -> None:
    for media in sorted(old.keys() - new.keys()):
        changes.breaking(where, f"media type {media} removed")
    for media in sorted(new.keys() - old.keys()):
        changes.compatible(where, f"media type {media} added")
    for media in sorted(old.keys() & new.keys()):
        compare_schema(changes, where, (old[media] or {}).get("schema"), (new[media] or {}).get("schema"), direction)


def _compare_responses(changes: Changes, where: str, old: dict, new: dict) -> None:
    old, new = {_status(k): v for k, v in old.items()}, {_status(k): v for k, v in new.items()}
    old_ok, new_ok = sorted(c for c in old if c.startswith("2")), sorted(c for c in new if c.startswith("2"))
    if old_ok != new_ok:
        changes.breaking(where, f"success status changed from {', '.join(old_ok)} to {', '.join(new_ok)}")
    for status in sorted(new.keys() - old.keys()):
        if not status.startswith("2"):
            changes.compatible(where, f"response {status} added")
    for status in sorted(old.keys() & new.keys()):
        label = f"{where} response {status}"
        old_headers, new_headers = old[status].get("headers") or {}, new[status].get("headers") or {}
        for header in sorted(old_headers.keys() - new_headers.keys()):
            changes.breaking(label, f"header {header} removed")
        for header in sorted(old_headers.keys() & new_headers.keys()):
            was, now = old_headers[header].get("required", False), new_headers[header].get("required", False)
            if was and not now:
                changes.breaking(label, f"header {header} is no longer always sent")
            elif now and not was:
                changes.compatible(label, f"header {header} is now always sent")
            compare_schema(
                changes, f"{label} header {header}", old_headers[header].get("schema"),
                new_headers[header].get("schema"), "response",
            )  # fmt: skip
        _compare_content(changes, label, old[status].get("content") or {}, new[status].get("content") or {}, "response")


# ------------------------------------------------------------------------------------- documents


def compare(old_doc: dict, new_doc: dict) -> Changes:
    """Every change between two OpenAPI documents that matters to clients, breaking or not."""
    for doc in (old_doc, new_doc):
        if not isinstance(doc, dict) or "openapi" not in doc:
            raise SpecError("not an OpenAPI document (no 'openapi' key)")
    try:
        return _compare_documents(resolve(old_doc, old_doc), resolve(new_doc, new_doc))
    except (AttributeError, TypeError, KeyError) as exc:  # a malformed document, not a comparator bug to hide
        raise SpecError(f"unexpected document structure ({type(exc).__name__}: {exc}); run `make lint` first") from exc


def _compare_documents(old: dict, new: dict) -> Changes:
    changes = Changes()
    for section in ("paths", "webhooks"):
        old_ops, new_ops = _operations(old, section), _operations(new, section)
        for key in sorted(old_ops.keys() - new_ops.keys()):
            changes.breaking(key, "operation removed" if section == "paths" else "webhook removed")
        for key in sorted(new_ops.keys() - old_ops.keys()):
            changes.compatible(key, "operation added" if section == "paths" else "webhook added")
        for key in sorted(old_ops.keys() & new_ops.keys()):
            if section == "paths":
                compare_operation(changes, key, old_ops[key], new_ops[key], (old, new))
            else:  # the API sends webhook payloads, so they follow the response rules
                _compare_body(
                    changes, key, old_ops[key][1].get("requestBody"), new_ops[key][1].get("requestBody"), "response"
                )
    return changes


def load(text: str, name: str) -> dict:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{name} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise SpecError(f"{name} is not a mapping")
    return doc


def report(changes: Changes, title: str) -> str:
    lines = [title]
    if not changes.items:
        lines.append("  no changes that affect clients")
    if changes.breaking_changes:
        lines.append(f"Breaking changes ({len(changes.breaking_changes)}):")
        lines += [f"  BREAKING  {c}" for c in changes.breaking_changes]
    if changes.compatible_changes:
        lines.append(f"Compatible changes ({len(changes.compatible_changes)}):")
        lines += [f"  ok        {c}" for c in changes.compatible_changes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.breaking", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs=2, metavar="FILE", help="the old and the new spec")
    args = parser.parse_args(argv)
    try:
        old_path, new_path = map(Path, args.files)
        changes = compare(load(old_path.read_text(), str(old_path)), load(new_path.read_text(), str(new_path)))
    except (OSError, SpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(changes, f"Comparing {old_path} -> {new_path}"))
    return 1 if changes.breaking_changes else 0


if __name__ == "__main__":
    sys.exit(main())
