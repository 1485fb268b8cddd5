"""Load the OpenAPI documents once and compile everything a request needs.

Routes come from `paths`; every schema (path and query parameters, request bodies, responses,
response headers, webhook payloads) is compiled once into a jsonschema-rs validator with format
validation on. Schemas are compiled by reference (`<file uri>#<json pointer>`) against a registry
holding every loaded document, so `#/components/...` and `other.yaml#/...` refs resolve as written.
"""

import re
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jsonschema_rs
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")  # an OpenAPI path item's
Validator = jsonschema_rs.Validator


def _openapi_dir() -> Path:
    """The spec files: packaged in the wheel (copied from openapi/ at build time), or openapi/ in a checkout."""
    packaged = resources.files("tryvox_sim") / "openapi"
    if packaged.joinpath("call-actions.yaml").is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "openapi"


OPENAPI_DIR = _openapi_dir()
CALL_ACTIONS_SPEC = OPENAPI_DIR / "call-actions.yaml"
SIMULATOR_SPEC = OPENAPI_DIR / "simulator.yaml"


def load_yaml(path: Path | str) -> Any:
    with open(path, "rb") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def escape(token: str) -> str:
    """A JSON pointer token (RFC 6901) for `token`."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a JSON pointer token (RFC 6901) names."""
    return token.replace("~1", "/").replace("~0", "~")


def pointed(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (`/components/schemas/Problem`) names in `document`."""
    node = document
    for token in pointer.split("/")[1:]:
        node = node[unescape(token)]
    return node


def dereferenced(document: Any, node: Any) -> Any:
    """`node` with its local `$ref`s (`#/...`) followed, within one loaded document."""
    for _ in range(20):  # refs chain a few deep at most
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        node = pointed(document, node["$ref"].partition("#")[2])
    raise ValueError(f"$ref chain too deep at {node}")


def path_of(uri: str) -> Path:
    """The file a `file://` URI names (percent-escapes undone: a checkout path may hold a space)."""
    return Path(unquote(uri.removeprefix("file://")))


class Documents:
    """The loaded YAML files, keyed by file URI, and a $ref resolver across them."""

    def __init__(self, *paths: Path | str) -> None:
        self.docs: dict[str, Any] = {}
        for path in paths:
            self.load(Path(path).resolve())
        self.registry = jsonschema_rs.Registry(list(self.docs.items()))
        self._registered = len(self.docs)

    def load(self, path: Path) -> str:
        uri = path.as_uri()
        if uri not in self.docs:
            self.docs[uri] = load_yaml(path)
        return uri

    def alias(self, path: Path, document: str) -> None:
        """`path`'s URI names the document already loaded as `document` (a $ref to that file reads this one)."""
        self.docs[path.as_uri()] = self.docs[document]

    def resolve(self, node: Any, uri: str, pointer: str) -> tuple[Any, str, str]:
        """Follow OpenAPI `$ref`s (local or relative file); returns (node, file uri, json pointer)."""
        for _ in range(20):  # refs chain a few deep at most
            if not isinstance(node, dict) or "$ref" not in node:
                return node, uri, pointer
            target, _, fragment = node["$ref"].partition("#")
            if target:
                uri = self.load(path_of(uri).parent / target)
            node, pointer = pointed(self.docs[uri], fragment), fragment
        raise ValueError(f"$ref chain too deep at {uri}#{pointer}")

    def validator(self, uri: str, pointer: str) -> Validator:
        if len(self.docs) != self._registered:  # a $ref pulled in another file: register it too
            self.registry = jsonschema_rs.Registry(list(self.docs.items()))
            self._registered = len(self.docs)
        return jsonschema_rs.validator_for(
            {"$ref": f"{uri}#{quote(pointer, safe='/~')}"}, registry=self.registry, validate_formats=True
        )


class DeclaredResponse:
    """What the spec declares of one status of an operation: media types, headers, examples."""

    __slots__ = ("content", "headers", "examples", "header_examples")

    def __init__(self) -> None:
        self.content: dict[str, Validator | None] = {}  # media type -> validator (None: no schema)
        self.headers: dict[str, tuple[bool, Validator]] = {}  # lower name -> (required, validator)
        self.examples: dict[str, tuple[str, Any]] = {}  # example name -> (media type, value), in spec order
        self.header_examples: dict[str, str] = {}  # header name as written -> its example


class Operation:
    __slots__ = ("op_id", "method", "template", "source", "params", "query", "body", "body_required",
                 "body_types", "defaults", "responses", "success", "secured")  # fmt: skip

    def __init__(self, op_id: str, method: str, template: str, source: str) -> None:
        self.op_id = op_id
        self.method = method
        self.template = template
        self.source = source  # "actions" or "control"
        self.params: dict[str, Validator] = {}  # path parameter -> validator
        self.query: dict[str, Validator] = {}  # query parameter -> validator
        self.body: Validator | None = None  # request body validator (application/json)
        self.body_required = False
        self.body_types: tuple[str, ...] = ()
        self.defaults: dict[str, Any] = {}  # request body field -> its `default` in the spec
        self.responses: dict[int, DeclaredResponse] = {}
        self.success = 200  # the operation's 2xx status (each operation declares one)
        self.secured = False


class Route:
    __slots__ = ("template", "regex", "operations", "allow", "source")

    def __init__(self, template: str, source: str) -> None:
        self.template = template
        self.source = source  # "actions" or "control", as its operations
        pattern = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.regex = re.compile(f"^{pattern}$")
        self.operations: dict[str, Operation] = {}
        self.allow = ""


class Spec:
    """Routes and compiled validators of the Call Actions spec plus the simulator's control plane."""

    def __init__(self, actions_path: Path | str = CALL_ACTIONS_SPEC, control_path: Path | str = SIMULATOR_SPEC) -> None:
        self.documents = Documents(actions_path, control_path)
        self.actions_path = Path(actions_path).resolve()
        self.actions_uri = self.actions_path.as_uri()
        self.actions_doc = self.documents.docs[self.actions_uri]
        self.control_doc = self.documents.docs[Path(control_path).resolve().as_uri()]
        # The control plane's spec refers to `call-actions.yaml` beside it: the API served, wherever its file is
        # (`tryvox-sim serve --spec FILE`, another version of it).
        beside = Path(control_path).resolve().parent / "call-actions.yaml"
        if beside != self.actions_path:
            self.documents.alias(beside, self.actions_uri)
        self.static: dict[str, Route] = {}
        self.templated: list[Route] = []
        self.operations: dict[str, Operation] = {}
        self._add_paths(self.actions_uri, "actions")
        self._add_paths(Path(control_path).resolve().as_uri(), "control")
        self._index_shapes()
        self.webhooks = {
            name: self._schema_validator(
                item["post"]["requestBody"], self.actions_uri, f"/webhooks/{name}/post/requestBody"
            )
            for name, item in self.actions_doc.get("webhooks", {}).items()
        }

    def match(self, path: str) -> tuple[Route | None, dict[str, str]]:
        route = self.static.get(path)
        if route is not None:
            return route, {}
        slashes = path.count("/")
        for route in self.shapes.get((slashes, path.rpartition("/")[2])) or self.any_last.get(slashes, ()):
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None, {}

    def _index_shapes(self) -> None:
        """The templated routes by the shape of the paths they can match: how many `/` (a parameter never holds
        one) and the last segment, when it is fixed. A path is tried against the few routes of its shape, in spec
        order, not against every route (on every request, and again when the journal is read)."""
        shapes: dict[tuple[int, str], list[Route]] = {}
        for route in self.templated:
            last = route.template.rpartition("/")[2]
            shapes.setdefault((route.template.count("/"), "" if "{" in last else last), []).append(route)
        self.shapes: dict[tuple[int, str], tuple[Route, ...]] = {}
        for (slashes, last), routes in shapes.items():
            either = [*routes, *(shapes.get((slashes, ""), []) if last else [])]  # a fixed last, or any last
            self.shapes[(slashes, last)] = tuple(sorted(either, key=self.templated.index))
        self.any_last = {slashes: routes for (slashes, last), routes in self.shapes.items() if not last}

    # -- building
    def _add_paths(self, uri: str, source: str) -> None:
        doc = self.documents.docs[uri]
        top_security = bool(doc.get("security"))
        for template, item in doc.get("paths", {}).items():
            base = f"/paths/{escape(template)}"
            route = Route(template, source)
            for method in METHODS:
                if method not in item:
                    continue
                op_doc = item[method]
                op = Operation(op_doc["operationId"], method.upper(), template, source)
                op.secured = bool(op_doc.get("security", [{}] if top_security else []))
                params = [(p, f"{base}/parameters/{i}") for i, p in enumerate(item.get("parameters", []))]
                params += [(p, f"{base}/{method}/parameters/{i}") for i, p in enumerate(op_doc.get("parameters", []))]
                for p, ptr in params:
                    p, puri, ptr = self.documents.resolve(p, uri, ptr)
                    target = op.params if p["in"] == "path" else op.query if p["in"] == "query" else None
                    if target is not None:
                        target[p["name"]] = self.documents.validator(puri, f"{ptr}/schema")
                if "requestBody" in op_doc:
                    rb, rb_uri, rb_ptr = self.documents.resolve(
                        op_doc["requestBody"], uri, f"{base}/{method}/requestBody"
                    )
                    op.body_required = rb.get("required", False)
                    op.body_types = tuple(rb.get("content", {}))
                    op.body = self._schema_validator(rb, rb_uri, rb_ptr)
                    op.defaults = self._defaults(rb, rb_uri, rb_ptr)
                for status, resp in op_doc.get("responses", {}).items():
                    rptr = f"{base}/{method}/responses/{status}"
                    op.responses[int(status)] = self._response(resp, uri, rptr)
                successes = [status for status in op.responses if 200 <= status < 300]
                if len(successes) != 1:
                    raise ValueError(f"operation {op.op_id} must declare one 2xx response, not {successes}")
                op.success = successes[0]
                route.operations[op.method] = op
                self.operations[op.op_id] = op
            route.allow = ", ".join(sorted(route.operations))
            if "{" in template:
                self.templated.append(route)
            else:
                self.static[template] = route

    def _schema_validator(self, body: Any, uri: str, ptr: str) -> Validator | None:
        body, uri, ptr = self.documents.resolve(body, uri, ptr)
        if "application/json" not in body.get("content", {}):
            return None
        return self.documents.validator(uri, f"{ptr}/content/application~1json/schema")

    def _defaults(self, body: Any, uri: str, ptr: str) -> dict[str, Any]:
        """Request body fields with a `default` in the spec: the HTTP shell fills them in."""
        schema = body.get("content", {}).get("application/json", {}).get("schema", {})
        schema, uri, ptr = self.documents.resolve(schema, uri, ptr)
        defaults = {}
        for name, prop in schema.get("properties", {}).items():
            prop, _, _ = self.documents.resolve(prop, uri, ptr)
            if "default" in prop:
                defaults[name] = prop["default"]
        return defaults

    def _response(self, resp: Any, uri: str, ptr: str) -> DeclaredResponse:
        resp, uri, ptr = self.documents.resolve(resp, uri, ptr)
        out = DeclaredResponse()
        for media, media_doc in resp.get("content", {}).items():
            has_schema = "schema" in media_doc
            out.content[media] = (
                self.documents.validator(uri, f"{ptr}/content/{escape(media)}/schema") if has_schema else None
            )
            for name, example in media_doc.get("examples", {}).items():
                example, _, _ = self.documents.resolve(example, uri, ptr)
                out.examples[name] = (media, example.get("value"))
        for name, header in resp.get("headers", {}).items():
            h, huri, hptr = self.documents.resolve(header, uri, f"{ptr}/headers/{escape(name)}")
            out.headers[name.lower()] = (h.get("required", False), self.documents.validator(huri, f"{hptr}/schema"))
            if "example" in h:
                out.header_examples[name] = str(h["example"])
        return out
