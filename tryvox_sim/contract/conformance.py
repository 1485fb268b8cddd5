"""Does one request, or one response, conform to the spec? Plain functions over a compiled `Operation` (spec.py).

The simulator answers with what `validated_body` raises (413/415/400/422) and refuses to send a response that
`response_violations` finds fault with (its self-check); the validating proxy reports both instead. So the rules
are written once, here, with no HTTP server or client in sight.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from itertools import islice
from typing import Any

import jsonschema_rs
import orjson

from .problems import (
    FieldError,
    InvalidJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from .spec import Operation, escape
from .violations import Rule, Violation

MAX_BODY = 64 * 1024  # the API's request body limit (PayloadTooLarge, 413)
MAX_ERRORS = 20  # field errors listed in one 422
JSON = "application/json"
NO_BODY = object()  # no body, or none that is JSON: a body left unchecked
_Required = jsonschema_rs.ValidationErrorKind.Required
_Unexpected = (
    jsonschema_rs.ValidationErrorKind.AdditionalProperties,
    jsonschema_rs.ValidationErrorKind.UnevaluatedProperties,
)


def bearer(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none or it is malformed."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None


def field_errors(errors: Any) -> list[FieldError]:
    """jsonschema-rs errors -> [{pointer, message}], pointing at the missing or unexpected field itself."""
    out: list[FieldError] = []
    for err in errors:
        base = "".join("/" + escape(str(p)) for p in err.instance_path)
        kind = err.kind
        names: list[str | None]
        if isinstance(kind, _Required):
            names = [kind.property]
        elif isinstance(kind, _Unexpected):
            names = list(kind.unexpected)
        else:
            names = [None]
        message = err.message if len(err.message) <= 1000 else err.message[:997] + "..."
        for name in names:
            pointer = base if name is None else f"{base}/{escape(name)}"
            out.append(FieldError(pointer=pointer[:512], message=message))
    return out[:MAX_ERRORS]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def parse_json(body: bytes | str) -> Any:
    """The JSON value in `body`; ValueError (also for invalid UTF-8 and nesting too deep) when there is none.
    Integers past 64 bits are read too (orjson refuses them; the standard library's parser takes them)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "64-bit" not in str(exc) and "infinity" not in str(exc):
            raise ValueError(str(exc)) from None
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def parsed_or_none(raw: bytes | str | None) -> Any:
    """The JSON in `raw`, or NO_BODY when there is none (or it is not JSON): for checks that read what they can."""
    if not raw:
        return NO_BODY
    try:
        return parse_json(raw)
    except (TypeError, ValueError):
        return NO_BODY


def validated_body(op: Operation, headers: Mapping[str, str], body: bytes) -> Any:
    """The request body parsed and valid against `op`'s schema ({} when an optional body is absent), or the Problem
    it breaks: 413 (size), 415 (media type), 400 (JSON), 422 (schema). `headers` has lower-case names."""
    length = headers.get("content-length", "")
    if len(body) > MAX_BODY or (length.isdigit() and int(length) > MAX_BODY):
        size = length if length.isdigit() else f"over {MAX_BODY}"
        raise PayloadTooLarge(f"The body is {size} bytes; the limit is {MAX_BODY}.")
    if not body and not op.body_required:
        return {}
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != JSON:
        raise UnsupportedMediaType(f"Send the body as application/json, not {media[:100] or 'without a Content-Type'}.")
    try:
        data = parse_json(body)
    except ValueError as exc:
        raise InvalidJson(f"The body is not valid JSON: {str(exc)[:300]}") from None
    if op.body is not None and not op.body.is_valid(data):
        raise ValidationFailed("The request body is invalid.", errors=field_errors(op.body.iter_errors(data)))
    return data


def response_violations(
    op: Operation, status: int, media: str, data: Any, headers: Mapping[str, str]
) -> list[Violation]:
    """What the spec declares of a response of `op` that this one breaks: its status, media type, body schema and
    headers. `data` is the parsed body, or NO_BODY to leave the body unchecked; `headers` has lower-case names."""
    declared = op.responses.get(status)
    if declared is None:
        return [Violation(Rule.RESPONSE_STATUS, f"a status the spec declares ({sorted(op.responses)})", str(status))]
    found: list[Violation] = []
    if declared.content:
        if media not in declared.content:
            found.append(Violation(Rule.RESPONSE_CONTENT_TYPE, f"one of {list(declared.content)}", media or "none"))
        elif (
            (validator := declared.content[media]) is not None and data is not NO_BODY and not validator.is_valid(data)
        ):
            messages = [e.message[:300] for e in islice(validator.iter_errors(data), 5)]
            found.append(Violation(Rule.RESPONSE_BODY, "a body valid against the schema", "; ".join(messages)))
    for name, (required, validator) in declared.headers.items():
        if name not in headers:
            if required:
                found.append(Violation(Rule.RESPONSE_HEADER, f"required header {name}", "missing"))
            continue
        value = headers[name]
        if not (validator.is_valid(value) or (value.lstrip("-").isdigit() and validator.is_valid(int(value)))):
            found.append(Violation(Rule.RESPONSE_HEADER, f"header {name} valid against its schema", repr(value[:200])))
    return found
