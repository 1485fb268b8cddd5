"""Write what both clients take from the spec and from openapi/client-facts.yaml beside their generated code, so
that neither language writes these facts by hand: the webhook payload schemas (the generated models check no
pattern, range or enum, nor do the TypeScript types at run time), the retry and timeout figures, and one error
class per error status the spec documents, its doc listing the status's problem codes.

    python tools/client_facts.py openapi/call-actions.yaml --python <package dir>
    python tools/client_facts.py openapi/call-actions.yaml --typescript <sdk>/src/generated

`make client` runs both: the first as a post-hook of openapi-python-client (_webhook_schemas.py, _facts.py,
_status_errors.py), the second after @hey-api/openapi-ts (webhook-schemas.gen.ts, facts.gen.ts, errors.gen.ts).
The table is read from beside the spec. Each language keeps its logic by hand (errors.py.jinja and _retries.py,
src/errors.ts and src/retries.ts); the classes written here extend its bases.

Webhook schemas: only what the webhooks' payloads reference is written, each payload schema and the component
schemas it reaches through `$ref`, which stay references (`#/components/schemas/<name>`) resolved by name.
"""

from __future__ import annotations

import json
import pprint
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PREFIX = "#/components/schemas/"
FACTS_NAME = "client-facts.yaml"
# The hand-written base each language gives a class, by what the table says it carries (`with`).
PYTHON_BASES = {None: "APIStatusError", "errors": "_WithFieldErrors", "retry_after": "_WithRetryAfter"}
TYPESCRIPT_BASES = {None: "TryvoxApiError", "errors": "WithFieldErrors", "retry_after": "WithRetryAfter"}


class FactsError(Exception):
    """The spec and the table disagree, or the table is malformed: one line for the person running `make client`."""


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


def problem_codes(spec: dict[str, Any]) -> dict[int, list[str]]:
    """{error status: its problem codes}, over every operation, in the order the spec first names them: the
    `code` const or enum of each answer's problem schema, then the codes of its examples."""
    codes: dict[int, list[str]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, answer in operation["responses"].items():
                if int(status) < 400:
                    continue
                found = codes.setdefault(int(status), [])
                for code in _answer_codes(spec, _resolve(spec, answer)):
                    if code not in found:
                        found.append(code)
                if not found:
                    raise FactsError(f"{method.upper()} {path} answers {status} with no problem code in the spec")
    return dict(sorted(codes.items()))


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and node["$ref"].startswith("#/components/responses/"):
        node = spec["components"]["responses"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _answer_codes(spec: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    content = answer.get("content", {}).get("application/problem+json", {})
    code = content.get("schema", {}).get("properties", {}).get("code", {})
    declared = [code["const"]] if "const" in code else list(code.get("enum", []))
    examples = [example.get("value", {}).get("code") for example in content.get("examples", {}).values()]
    return declared + [found for found in examples if isinstance(found, str)]


@dataclass(frozen=True)
class StatusError:
    status: int
    name: str
    means: str
    codes: list[str]
    more: str | dict[str, str]
    carries: str | None

    def doc(self, language: str) -> str:
        """The class's doc with `code` marks (Python turns them into ``code``)."""
        more = self.more if isinstance(self.more, str) else self.more[language]
        codes = ", ".join(f"`{code}`" for code in self.codes)
        return f"{self.status}: {self.means} ({codes}){more or '.'}"


def status_errors(spec: dict[str, Any], facts: dict[str, Any]) -> list[StatusError]:
    """The table's rows, one for each error status the spec documents and no other, with the spec's codes."""
    documented, rows = problem_codes(spec), facts.get("errors", {})
    for status in documented.keys() - rows.keys():
        raise FactsError(f"the spec documents status {status}: give it a row (its class) under errors: in {FACTS_NAME}")
    for status in rows.keys() - documented.keys():
        raise FactsError(f"{FACTS_NAME} has a row for status {status}, which no operation of the spec documents")
    found = []
    for status, codes in documented.items():
        row = rows[status]
        if not {"class", "means"} <= row.keys() or row.get("with") not in PYTHON_BASES:
            raise FactsError(
                f"{FACTS_NAME}: errors {status} needs `class` and `means`, and `with` one of errors, retry_after"
            )
        more = row.get("more", "")
        if isinstance(more, dict) and set(more) != {"python", "typescript"}:
            raise FactsError(
                f"{FACTS_NAME}: errors {status} `more` is a text, or one for python and one for typescript"
            )
        found.append(StatusError(status, row["class"], row["means"], codes, more, row.get("with")))
    return found


def _figures(facts: dict[str, Any]) -> dict[str, float]:
    """The retry and timeout figures, in seconds, by the name the table gives them."""
    retries, timeouts = facts["retries"], facts["timeouts"]
    backoff = retries["backoff"]
    figures = {
        "max_retries": retries["max_retries"],
        "max_retry_after": retries["max_retry_after"],
        "backoff_initial": backoff["initial"],
        "backoff_max": backoff["max"],
        "backoff_jitter": backoff["jitter"],
        "connect": timeouts["connect"],
        "read": timeouts["read"],
    }
    for name, value in figures.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise FactsError(f"{FACTS_NAME}: {name} must be a number of 0 or more, not {value!r}")
    if not isinstance(figures["max_retries"], int) or not 0 <= figures["backoff_jitter"] <= 1:
        raise FactsError(f"{FACTS_NAME}: max_retries must be a whole number and backoff jitter between 0 and 1")
    return figures


def _origin(spec: dict[str, Any], source: str) -> str:
    return f"{source} (spec version {spec['info']['version']}) and {FACTS_NAME}"


def _python_header(text: str) -> str:
    return '"""' + "\n".join(textwrap.wrap(text, width=114, break_on_hyphens=False)) + '"""\n\n'


def _typescript_header(text: str) -> str:
    return "".join(f"// {line}\n" for line in textwrap.wrap(text, width=114, break_on_hyphens=False)) + "\n"


# Python, for the generated package.


def webhook_module(spec: dict[str, Any], source: str) -> str:
    webhooks, schemas = payload_schemas(spec)
    return (
        f'"""The webhook payload schemas of {source} (spec version {spec["info"]["version"]}), written by\n'
        'tools/client_facts.py when the client is generated: do not edit."""\n\n'
        "from typing import Any\n\n"
        f"WEBHOOKS: dict[str, str] = {pprint.pformat(webhooks, sort_dicts=False)}\n\n"
        f"SCHEMAS: dict[str, Any] = {pprint.pformat(schemas, sort_dicts=False, width=100)}\n"
    )


def facts_module(spec: dict[str, Any], facts: dict[str, Any], source: str) -> str:
    figures = _figures(facts)
    return (
        _python_header(
            f'The base URL, retry and timeout figures both clients share (README "Retries and timeouts"), from '
            f"{_origin(spec, source)}, written by tools/client_facts.py when the client is generated: do not edit."
        )
        + f"DEFAULT_BASE_URL = {spec['servers'][0]['url']!r}  # the spec's first server\n"
        f"DEFAULT_MAX_RETRIES = {figures['max_retries']}\n"
        f"DEFAULT_MAX_RETRY_AFTER = {float(figures['max_retry_after'])!r}  # seconds\n"
        "# Retry n (from 0) waits min(BACKOFF_INITIAL × 2ⁿ, BACKOFF_MAX) × (1 − BACKOFF_JITTER × random) seconds.\n"
        f"BACKOFF_INITIAL = {float(figures['backoff_initial'])!r}\n"
        f"BACKOFF_MAX = {float(figures['backoff_max'])!r}\n"
        f"BACKOFF_JITTER = {float(figures['backoff_jitter'])!r}\n"
        f"CONNECT_TIMEOUT = {float(figures['connect'])!r}  # seconds\n"
        f"TIMEOUT = {float(figures['read'])!r}  # seconds: reading, writing, waiting for a pooled connection\n"
    )


def _python_doc(text: str) -> str:
    rst = re.sub(r"`([^`]+)`", r"``\1``", text)
    lines = textwrap.wrap(rst, width=113, break_long_words=False, break_on_hyphens=False)
    return '    """' + "\n    ".join(lines) + '"""'


def status_errors_module(spec: dict[str, Any], facts: dict[str, Any], source: str) -> str:
    errors = status_errors(spec, facts)
    bases = sorted({PYTHON_BASES[error.carries] for error in errors})
    classes = "".join(
        f"\n\nclass {error.name}({PYTHON_BASES[error.carries]}):\n{_python_doc(error.doc('python'))}\n"
        for error in errors
    )
    table = "".join(f"    {error.status}: {error.name},\n" for error in errors)
    names = "".join(f'    "{name}",\n' for name in sorted(["STATUS_ERRORS", *(error.name for error in errors)]))
    return (
        _python_header(
            f"One error class per error status the spec documents, from {_origin(spec, source)}, written by "
            "tools/client_facts.py when the client is generated: do not edit. Import them from `errors`, which "
            "holds their bases (the logic) and raises them."
        )
        + f"from .errors import {', '.join(bases)}\n"
        f"{classes}\n\n"
        "# Any other error status raises APIStatusError itself.\n"
        f"STATUS_ERRORS: dict[int, type[APIStatusError]] = {{\n{table}}}\n\n"
        f"__all__: list[str] = [\n{names}]\n"
    )


# TypeScript, for the SDK's src/generated/.


def typescript_webhook_module(spec: dict[str, Any], source: str) -> str:
    """The same two tables for the TypeScript SDK (src/webhooks.ts reads them), as JSON literals."""
    webhooks, schemas = payload_schemas(spec)
    return (
        f"// The webhook payload schemas of {source} (spec version {spec['info']['version']}), written by\n"
        "// tools/client_facts.py when the SDK is generated: do not edit.\n\n"
        "/** A JSON Schema as the spec writes it. */\n"
        "export type Schema = { readonly [keyword: string]: unknown };\n\n"
        f"export const WEBHOOKS = {json.dumps(webhooks, indent=2)} as const;\n\n"
        "export const SCHEMAS: { readonly [name: string]: Schema } = "
        f"{json.dumps(schemas, indent=2, ensure_ascii=False)};\n"
    )


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000):_}"


def typescript_facts_module(spec: dict[str, Any], facts: dict[str, Any], source: str) -> str:
    figures = _figures(facts)
    return (
        _typescript_header(
            f'The base URL, retry and timeout figures both clients share (README "Retries and timeouts"), from '
            f"{_origin(spec, source)}, written by tools/client_facts.py when the SDK is generated: do not edit."
        )
        + f"export const DEFAULT_BASE_URL = {json.dumps(spec['servers'][0]['url'])}; // the spec's first server\n"
        f"export const DEFAULT_MAX_RETRIES = {figures['max_retries']};\n"
        f"export const DEFAULT_RETRY_AFTER_CAP_MS = {_ms(figures['max_retry_after'])};\n"
        "// Retry n (from 0) waits min(BACKOFF_INITIAL_MS × 2ⁿ, BACKOFF_MAX_MS) × (1 − BACKOFF_JITTER × random).\n"
        f"export const BACKOFF_INITIAL_MS = {_ms(figures['backoff_initial'])};\n"
        f"export const BACKOFF_MAX_MS = {_ms(figures['backoff_max'])};\n"
        f"export const BACKOFF_JITTER = {figures['backoff_jitter']};\n"
        f"export const DEFAULT_CONNECT_TIMEOUT_MS = {_ms(figures['connect'])};\n"
        f"export const DEFAULT_TIMEOUT_MS = {_ms(figures['read'])};\n"
    )


def _jsdoc(text: str) -> str:
    if len(text) <= 113:
        return f"/** {text} */"
    return "/**\n" + "".join(f" * {line}\n" for line in textwrap.wrap(text, width=114, break_on_hyphens=False)) + " */"


def typescript_errors_module(spec: dict[str, Any], facts: dict[str, Any], source: str) -> str:
    errors = status_errors(spec, facts)
    bases = sorted({TYPESCRIPT_BASES[error.carries] for error in errors} | {"TryvoxApiError"})
    classes = "".join(
        f"\n{_jsdoc(error.doc('typescript'))}\n"
        f"export class {error.name} extends {TYPESCRIPT_BASES[error.carries]} {{}}\n"
        for error in errors
    )
    table = "".join(f"  {error.status}: {error.name},\n" for error in errors)
    return (
        _typescript_header(
            f"One error class per error status the spec documents, from {_origin(spec, source)}, written by "
            "tools/client_facts.py when the SDK is generated: do not edit. Their bases (the logic) are in "
            "src/errors.ts."
        ).removesuffix("\n")
        + f"import {{ {', '.join(bases)} }} from '../errors.js';\n"
        f"{classes}\n"
        "/** One class per error status the spec documents; any other error status throws TryvoxApiError itself. */\n"
        f"export const STATUS_ERRORS = {{\n{table}}} as const satisfies Record<number, typeof TryvoxApiError>;\n"
    )


def files(spec: dict[str, Any], facts: dict[str, Any], source: str, language: str) -> dict[str, str]:
    """{file name: text} for one language's generated folder."""
    if language == "python":
        return {
            "_webhook_schemas.py": webhook_module(spec, source),
            "_facts.py": facts_module(spec, facts, source),
            "_status_errors.py": status_errors_module(spec, facts, source),
        }
    return {
        "webhook-schemas.gen.ts": typescript_webhook_module(spec, source),
        "facts.gen.ts": typescript_facts_module(spec, facts, source),
        "errors.gen.ts": typescript_errors_module(spec, facts, source),
    }


USAGE = "usage: python tools/client_facts.py SPEC (--python PACKAGE_DIR | --typescript GENERATED_DIR)"


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[2] not in ("--python", "--typescript"):
        print(USAGE, file=sys.stderr)
        return 2
    spec_path, language, out = Path(argv[1]), argv[2].removeprefix("--"), Path(argv[3])
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        facts = yaml.safe_load((spec_path.parent / FACTS_NAME).read_text(encoding="utf-8"))
        written = files(spec, facts, spec_path.name, language)
    except (OSError, yaml.YAMLError, FactsError) as error:
        print(f"client_facts: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, AttributeError) as error:  # a table or spec of another shape
        print(f"client_facts: {spec_path} or its {FACTS_NAME} is not as expected: {error!r}", file=sys.stderr)
        return 2
    if not out.is_dir():
        print(f"client_facts: {out} is not a directory", file=sys.stderr)
        return 2
    for name, text in written.items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
