"""CORS for the Call Actions API, so a docs page on another origin can call a served simulator (`serve --cors`).

Off unless origins are given. Only the API's routes answer browsers from other origins: the control plane
(/_sim/), the spec and the docs never do. The API authenticates with a bearer token the page sends itself,
never with cookies, so `Access-Control-Allow-Credentials` is never sent, and `*` (any origin) cannot make a
browser lend a page the reader's credentials; it does let any page that knows a token call the API, so name
origins where you can. A page opened from disk (file://) has the origin `null`: `--cors null` lets it in, and
with it any sandboxed frame or data: page, which is why no origin is let in by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..contract.problems import Header
from ..wire.response import Response

ANY = "*"
NULL = "null"  # the origin of file:// pages, sandboxed frames and data: URLs
ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#@\s]+$")
HEADER_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")
MAX_AGE = "600"  # seconds a browser may reuse a preflight's answer
# Headers the simulator adds to what the spec declares: a browser page may read them too.
OWN_HEADERS = ("allow", "preference-applied", "tvx-sim-fault")


def parse_origin(text: str) -> str:
    """One `--cors` value: `*`, `null` or `scheme://host[:port]` (a trailing / is dropped); ValueError otherwise."""
    value = text.strip()
    if value in (ANY, NULL):
        return value
    value = value.removesuffix("/")
    scheme, sep, rest = value.partition("://")
    value = f"{scheme.lower()}{sep}{rest.lower()}"
    if not ORIGIN.match(value):
        raise ValueError(f"{text!r} is not an origin: give scheme://host[:port], null (file:// pages) or *")
    return value


class Cors:
    """Which origins may call the API from a browser, and the headers that tell the browser so."""

    def __init__(self, origins: Iterable[str], exposed: Iterable[str] = ()) -> None:
        self.origins = frozenset(map(parse_origin, origins))
        if not self.origins:
            raise ValueError("give at least one origin")
        self.any = ANY in self.origins
        self.exposed = ", ".join(sorted({*map(str.lower, exposed), *OWN_HEADERS}))

    def allowed(self, origin: str | None) -> str | None:
        """The `Access-Control-Allow-Origin` value for a request from `origin`, or None when it is not let in."""
        if origin is None:
            return None
        if self.any:
            return ANY
        return origin if origin in self.origins else None

    def headers(self, request: Mapping[str, str]) -> list[Header]:
        """What an answer of the API carries for the request's origin (Vary: its answer depends on it)."""
        allow = self.allowed(request.get("origin"))
        if allow is None:
            return [("Vary", "Origin")]
        return [
            ("Access-Control-Allow-Origin", allow),
            ("Access-Control-Expose-Headers", self.exposed),
            ("Vary", "Origin"),
        ]

    def preflight(self, request: Mapping[str, str], allow_methods: str) -> Response | None:
        """The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method) from an origin let in;
        None when the request is no such preflight, so it is answered as any OPTIONS is (405)."""
        allow = self.allowed(request.get("origin"))
        if allow is None or "access-control-request-method" not in request:
            return None
        headers = [
            ("Access-Control-Allow-Origin", allow),
            ("Access-Control-Allow-Methods", allow_methods),
            ("Access-Control-Max-Age", MAX_AGE),
            ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
        asked = request.get("access-control-request-headers", "").strip()
        if asked and HEADER_LIST.match(asked):  # whatever the page sends; the API itself judges the values
            headers.append(("Access-Control-Allow-Headers", asked))
        if request.get("access-control-request-private-network") == "true":  # Chromium: a page reaching loopback
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return Response(200, b"", None, headers)
