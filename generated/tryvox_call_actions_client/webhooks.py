"""Parse the webhooks the API sends: the call's hangup and the transfer's answer.

Hand-written (openapi/client_layer/, copied into the package by `make client`). A payload is checked against the
spec's schema for it (`_webhook_schemas.py`, written from the spec when the client is generated) before it
becomes a model: the models' `from_dict` checks no pattern, range or enum. The checker knows the JSON Schema
keywords those schemas use and refuses any other, so a spec change it cannot honour fails the client's tests
instead of passing unchecked. No dependency beyond the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from ._webhook_schemas import SCHEMAS, WEBHOOKS
from .models.call_details import CallDetails
from .models.transfer_answered_event import TransferAnsweredEvent

# Keywords that only describe (they never make a payload invalid).
ANNOTATIONS = frozenset({"description", "title", "examples", "example", "default", "deprecated"})
FORMATS = {
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$"),  # RFC 3986: a scheme, then no whitespace
}
IGNORED_FORMATS = frozenset({"int32", "int64"})  # OpenAPI's sizes: the schemas' minimum/maximum bound them


class WebhookPayloadError(ValueError):
    """The payload breaks the spec. `pointer` is the JSON pointer of the first offending field ("" for the whole
    body), `errors` every (pointer, message) found."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        self.pointer, self.message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{self.pointer or '/'}: {self.message}{more}")


def parse_call_hangup(body: bytes | str | Mapping[str, Any]) -> CallDetails:
    """The `callHangup` webhook (sent to the call's hangup URL when it ends): the call's details."""
    return CallDetails.from_dict(_checked("callHangup", body))


def parse_transfer_answered(body: bytes | str | Mapping[str, Any]) -> TransferAnsweredEvent:
    """The `transferAnswered` webhook (sent to the transfer's `answer_url` when the destination answers)."""
    return TransferAnsweredEvent.from_dict(_checked("transferAnswered", body))


def _checked(webhook: str, body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, (bytes, bytearray, str)):
        try:
            payload = json.loads(body)
        except ValueError as error:  # also bytes that are not UTF-8
            raise WebhookPayloadError([("", f"not JSON: {error}")]) from None
    else:
        payload = dict(body)
    errors = list(violations(payload, {"$ref": "#/components/schemas/" + WEBHOOKS[webhook]}))
    if errors:
        raise WebhookPayloadError(errors)
    return payload


def violations(value: Any, schema: Mapping[str, Any], pointer: str = "") -> Iterator[tuple[str, str]]:
    """Each (pointer, message) where `value` breaks `schema` (the subset of JSON Schema 2020-12 the spec's
    webhook schemas use)."""
    for keyword, expected in schema.items():
        if keyword in ANNOTATIONS:
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise NotImplementedError(f"the webhook checker does not know the JSON Schema keyword {keyword!r}")
        yield from check(value, expected, schema, pointer)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, as Python's == would have it."""
    return _type_of(a) == _type_of(b) and a == b


def _type(value: Any, expected: str | list[str], schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    allowed = [expected] if isinstance(expected, str) else expected
    actual = _type_of(value)
    if actual not in allowed and not (actual == "integer" and "number" in allowed):
        yield pointer, f"must be {' or '.join(allowed)}, not {actual}"


def _enum(value: Any, expected: list[Any], schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    if not any(_same(value, option) for option in expected):
        yield pointer, f"must be one of {', '.join(json.dumps(option) for option in expected)}"


def _const(value: Any, expected: Any, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    if not _same(value, expected):
        yield pointer, f"must be {json.dumps(expected)}"


def _string_rule(test: Any, describe: str) -> Any:
    def check(value: Any, expected: Any, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str) and not test(value, expected):
            yield pointer, describe.format(expected=expected)

    return check


def _number_rule(test: Any, describe: str) -> Any:
    def check(value: Any, expected: Any, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
        if _type_of(value) in ("integer", "number") and not test(value, expected):
            yield pointer, describe.format(expected=expected)

    return check


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_format(value: str, name: str) -> bool:
    if name in IGNORED_FORMATS:
        return True
    if name == "date-time":  # RFC 3339: a date, "T", a time and an offset or Z
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", value):
            return False
        try:
            datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    if name not in FORMATS:
        raise NotImplementedError(f"the webhook checker does not know the format {name!r}")
    return bool(FORMATS[name].match(value))


def _required(value: Any, expected: list[str], schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name in expected:
            if name not in value:
                yield f"{pointer}/{_escape(name)}", "is required"


def _properties(
    value: Any, expected: Mapping[str, Any], schema: Mapping[str, Any], pointer: str
) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, subschema in expected.items():
            if name in value:
                yield from violations(value[name], subschema, f"{pointer}/{_escape(name)}")


def _additional(value: Any, expected: Any, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name in value.keys() - schema.get("properties", {}).keys():
            if expected is False:
                yield f"{pointer}/{_escape(name)}", "is not a known field"
            elif isinstance(expected, Mapping):
                yield from violations(value[name], expected, f"{pointer}/{_escape(name)}")


def _items(
    value: Any, expected: Mapping[str, Any], schema: Mapping[str, Any], pointer: str
) -> Iterator[tuple[str, str]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from violations(item, expected, f"{pointer}/{index}")


def _one_of(
    value: Any, expected: list[Mapping[str, Any]], schema: Mapping[str, Any], pointer: str
) -> Iterator[tuple[str, str]]:
    matching = sum(1 for option in expected if not any(violations(value, option, pointer)))
    if matching != 1:
        yield pointer, "matches none of the allowed forms" if matching == 0 else "matches more than one allowed form"


def _ref(value: Any, expected: str, schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    yield from violations(value, SCHEMAS[expected.removeprefix("#/components/schemas/")], pointer)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


_KEYWORDS = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _string_rule(lambda value, pattern: _regex(pattern).search(value), "must match {expected}"),
    "minLength": _string_rule(lambda value, n: len(value) >= n, "must be at least {expected} characters"),
    "maxLength": _string_rule(lambda value, n: len(value) <= n, "must be at most {expected} characters"),
    "format": _string_rule(_is_format, "must be a valid {expected}"),
    "minimum": _number_rule(lambda value, n: value >= n, "must be {expected} or more"),
    "maximum": _number_rule(lambda value, n: value <= n, "must be {expected} or less"),
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "minItems": lambda value, n, schema, pointer: (
        [(pointer, f"must have at least {n} items")] if isinstance(value, list) and len(value) < n else []
    ),
    "maxItems": lambda value, n, schema, pointer: (
        [(pointer, f"must have at most {n} items")] if isinstance(value, list) and len(value) > n else []
    ),
    "oneOf": _one_of,
    "$ref": _ref,
}

__all__ = ["WebhookPayloadError", "parse_call_hangup", "parse_transfer_answered"]
