"""What the validating proxy keeps of the traffic it saw, and the reports it writes when it stops.

Everything printed, listed or written goes through a `Redactor`, so no API token reaches the output, the reports
or the HAR (exchanges are kept as they came and redacted when the HAR is written, off the request path). Memory
is bounded: the HAR keeps the first `keep_exchanges` exchanges (within `keep_bytes` of bodies), then only those
that broke a rule, up to as many again; violations are kept in detail up to `keep_violations`. Counts are always
exact, and the reports say what was left out. On stop, `Report.write` makes
- proxy-report.json: the counts, every violation kept, the rules checked and where the spec states them;
- proxy-junit.xml: one test case per operation seen and rule, failing with the violations of that rule;
- proxy.har: every exchange kept (HAR 1.2), each with its violations (`_tvxViolations`).
"""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..contract.violations import Violation
from ..wire.http11 import SECRET_HEADERS as REQUEST_SECRETS
from .verifier import API, API_RULES, CLIENT, CLIENT_RULES, as_dict, line, party_of

MARK = "[redacted]"
SECRET_HEADERS = frozenset({*REQUEST_SECRETS, "set-cookie"})  # the journal's, and the answer's cookies
SECRET_KEYS = frozenset({"token", "api_token", "access_token", "refresh_token", "secret", "client_secret", "password"})
SECRET_KEY_BYTES = tuple(f'"{key}"'.encode() for key in SECRET_KEYS)  # what a body holding one contains
TOKEN = re.compile(r"tvx_sk_(?:live|test)_[A-Za-z0-9_\-]+")  # the API's token format (bearerAuth)
MIN_KNOWN = 6  # shorter strings are not replaced wherever they appear (it would garble the text)
HAR_BODY = 64 * 1024  # bytes of a body kept for the HAR (the API's own body limit)
Header = tuple[str, str]


class Redactor:
    """Takes API tokens out of text: any `tvx_sk_live_…`/`tvx_sk_test_…`, every bearer token seen in an
    Authorization header, and the values of JSON keys that hold secrets (`token`, … : the simulator's account list),
    wherever they appear later. It learns from every exchange as it passes, and redacts when something is shown."""

    def __init__(self, max_known: int = 10_000) -> None:
        self.known: dict[str, None] = {}
        self.max_known = max_known
        self._pattern: re.Pattern[str] | None = TOKEN

    def learn(self, secret: str) -> None:
        if len(secret) >= MIN_KNOWN and secret != MARK and secret not in self.known:
            if len(self.known) >= self.max_known:
                self.known.pop(next(iter(self.known)))
            self.known[secret] = None
            self._pattern = None

    def learn_from(self, headers: list[Header], *bodies: bytes) -> None:
        for name, value in headers:
            if name.lower() in ("authorization", "proxy-authorization"):
                scheme, _, credentials = value.strip().partition(" ")
                self.learn(credentials.strip() or scheme)
        for body in bodies:
            if any(key in body for key in SECRET_KEY_BYTES):  # parse only what may hold a secret key
                try:
                    self._scrub(orjson.loads(body))
                except orjson.JSONDecodeError:
                    pass

    def text(self, text: str) -> str:
        if self._pattern is None:  # one pattern: the token format, then what was learned, longest first
            learned = sorted(self.known, key=len, reverse=True)
            self._pattern = re.compile("|".join([TOKEN.pattern, *map(re.escape, learned)]))
        return self._pattern.sub(MARK, text)

    def header(self, name: str, value: str) -> str:
        if name.lower() in SECRET_HEADERS:
            scheme, _, credentials = value.strip().partition(" ")
            return f"{scheme} {MARK}" if credentials and name.lower().endswith("authorization") else MARK
        return self.text(value)

    def body(self, raw: bytes, media: str) -> str:
        text = raw.decode("utf-8", "replace")
        if "json" in media and any(key in raw for key in SECRET_KEY_BYTES):
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
            else:
                if self._scrub(data):
                    text = orjson.dumps(data).decode()
        return self.text(text)

    def _scrub(self, node: Any) -> bool:
        """Replace the values of secret keys in place (learning them); True when one was found."""
        found = False
        if isinstance(node, dict):
            for key, value in node.items():
                if key.lower() in SECRET_KEYS and isinstance(value, str):
                    self.learn(value)
                    node[key], found = MARK, True
                else:
                    found = self._scrub(value) or found
        elif isinstance(node, list):
            for item in node:
                found = self._scrub(item) or found
        return found


@dataclass(slots=True)
class Traffic:
    """One request as the proxy sent it upstream, and the answer (or the proxy's own 502 when it failed)."""

    number: int
    started: float  # wall-clock seconds
    method: str
    url: str  # the upstream URL requested
    headers: list[Header]
    body: bytes
    status: int
    reason: str
    response_headers: list[Header]
    response: bytes  # with Content-Encoding undone when it could be
    elapsed_ms: float
    proxy_error: str | None = None  # the code of the proxy's own answer (the upstream failed, or too large)


def _media(headers: list[Header]) -> str:
    return next((value for name, value in headers if name.lower() == "content-type"), "")


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds")


class Report:
    def __init__(
        self, upstream: str, spec_version: str, *, keep_exchanges: int = 10_000, keep_violations: int = 10_000,
        keep_bytes: int = 64 * 1024 * 1024, now: float | None = None,
    ) -> None:  # fmt: skip
        self.upstream, self.spec_version = upstream, spec_version
        self.keep_exchanges, self.keep_violations, self.keep_bytes = keep_exchanges, keep_violations, keep_bytes
        self.redact = Redactor()
        self.started = now if now is not None else datetime.datetime.now(datetime.UTC).timestamp()
        self.exchanges = 0
        self.operations: Counter[str] = Counter()  # exchanges checked, per operationId
        self.unchecked = 0  # no operation of the spec: control plane, other paths, undeclared methods
        self.own_responses: Counter[str] = Counter()  # code -> requests the proxy answered itself (the API did not)
        self.counts: Counter[tuple[str, str, str]] = Counter()  # (party, operation, rule) -> violations
        self.violations: list[Violation] = []  # redacted, the first keep_violations
        self.kept: list[tuple[Traffic, list[Violation], tuple[int, int]]] = []  # for the HAR, with the body sizes
        self.kept_bytes = 0
        self.left_out = 0  # exchanges not kept in the HAR

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_party(self, party: str) -> int:
        return sum(n for (who, _, _), n in self.counts.items() if who == party)

    def add(self, traffic: Traffic, operation: str | None, violations: list[Violation]) -> list[Violation]:
        """Count and keep one exchange; returns its violations with every secret redacted (to print them)."""
        self.redact.learn_from(traffic.headers, traffic.body, traffic.response)
        self.exchanges += 1
        if traffic.proxy_error:
            self.own_responses[traffic.proxy_error] += 1
        elif operation is None:
            self.unchecked += 1
        else:
            self.operations[operation] += 1
        text = self.redact.text
        redacted = [
            replace(
                v, expected=text(v.expected), got=text(v.got), context={**v.context, "path": text(v.context["path"])}
            )
            for v in violations
        ]
        for v in redacted:
            self.counts[party_of(v), v.context["operation"], str(v.rule)] += 1
        room = self.keep_violations - len(self.violations)
        self.violations += redacted[: max(room, 0)]
        if self._keep(bool(violations)):
            sizes = (len(traffic.body), len(traffic.response))
            if max(sizes) > HAR_BODY:  # keep what the HAR shows, not the whole body
                traffic = replace(traffic, body=traffic.body[:HAR_BODY], response=traffic.response[:HAR_BODY])
            self.kept.append((traffic, redacted, sizes))
            self.kept_bytes += len(traffic.body) + len(traffic.response) + 512  # and the headers, roughly
        else:
            self.left_out += 1
        return redacted

    def _keep(self, broke_a_rule: bool) -> bool:
        if len(self.kept) < self.keep_exchanges and self.kept_bytes < self.keep_bytes:
            return True
        return broke_a_rule and len(self.kept) < 2 * self.keep_exchanges and self.kept_bytes < 2 * self.keep_bytes

    def _body(self, raw: bytes, media: str, size: int) -> tuple[str, str | None]:
        text = self.redact.body(raw, media)  # secrets in a cut body were learned from the whole one (`add`)
        return text, f"body cut to its first {len(raw)} bytes (of {size})" if size > len(raw) else None

    def _entry(self, t: Traffic, violations: list[Violation], sizes: tuple[int, int]) -> dict[str, Any]:
        r = self.redact
        comments = []
        url = r.text(t.url)
        request: dict[str, Any] = {
            "method": t.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": [{"name": n, "value": r.header(n, v)} for n, v in t.headers],
            "queryString": [{"name": n, "value": v} for n, v in parse_qsl(url.partition("?")[2], True)],
            "headersSize": -1, "bodySize": sizes[0],
        }  # fmt: skip
        if t.body:
            text, cut = self._body(t.body, _media(t.headers), sizes[0])
            request["postData"] = {"mimeType": _media(t.headers), "text": text}
            comments += [f"request {cut}"] if cut else []
        response, cut = self._body(t.response, _media(t.response_headers), sizes[1])
        comments += [f"response {cut}"] if cut else []
        if t.proxy_error:
            comments.append(f"answered by the proxy, not the API ({t.proxy_error})")
        comments += [line(v) for v in violations]
        return {
            "startedDateTime": _iso(t.started),
            "time": round(t.elapsed_ms, 3),
            "request": request,
            "response": {
                "status": t.status,
                "statusText": t.reason,
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": [{"name": n, "value": r.header(n, v)} for n, v in t.response_headers],
                "content": {"size": sizes[1], "mimeType": _media(t.response_headers), "text": response},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": sizes[1],
            },
            "cache": {},
            "timings": {"send": 0, "wait": round(t.elapsed_ms, 3), "receive": 0},
            "comment": "; ".join(comments),
            "_tvxRequest": t.number,
            "_tvxViolations": [as_dict(v) for v in violations],
        }

    # -- what it says
    def notes(self) -> list[str]:
        notes = []
        if self.left_out:
            notes.append(
                f"The HAR holds the first {self.keep_exchanges} exchanges (within {self.keep_bytes // 2**20} MiB of "
                f"bodies), then only those that broke a rule: {self.left_out} of {self.exchanges} exchanges were left "
                "out."
            )
        if self.total > len(self.violations):
            notes.append(
                f"Violations are listed up to {self.keep_violations}: {self.total - len(self.violations)} more were "
                "counted (see the counts by rule) but not listed."
            )
        return notes

    def summary(self) -> dict[str, Any]:
        """What GET /_tvx/violations answers while the proxy runs."""
        return {
            "exchanges": self.exchanges,
            "violations_total": self.total,
            "api": self.by_party(API),
            "client": self.by_party(CLIENT),
            "answered_by_proxy": sum(self.own_responses.values()),
            "violations": [as_dict(v) for v in self.violations],
            "notes": self.notes(),
        }

    def as_json(self, ended: float) -> dict[str, Any]:
        return {
            "tool": "tryvox-sim proxy",
            "upstream": self.redact.text(self.upstream),
            "spec_version": self.spec_version,
            "started": _iso(self.started),
            "ended": _iso(ended),
            "exchanges": {
                "total": self.exchanges,
                "checked": dict(sorted(self.operations.items())),
                "unchecked": self.unchecked,
                "answered_by_proxy": dict(self.own_responses),
            },
            "violations": {"total": self.total, "api": self.by_party(API), "client": self.by_party(CLIENT)},
            "by_rule": [
                {"party": party, "operation": op, "rule": rule, "count": n}
                for (party, op, rule), n in sorted(self.counts.items())
            ],
            "list": [as_dict(v) for v in self.violations],
            "notes": self.notes(),
            "rules": {
                party: {str(name): {"source": i.source, "promise": i.promise} for name, i in rules.items()}
                for party, rules in ((API, API_RULES), (CLIENT, CLIENT_RULES))
            },
        }

    def junit(self, ended: float) -> ET.Element:
        """One test case per operation seen and rule (both parties), failing with that rule's violations."""
        cases = {(party, op, rule) for op in self.operations for party, rules in ((API, API_RULES),
                 (CLIENT, CLIENT_RULES)) for rule in map(str, rules)}  # fmt: skip
        cases |= set(self.counts)
        listed: dict[tuple[str, str, str], list[Violation]] = {}
        for v in self.violations:
            listed.setdefault((party_of(v), v.context["operation"], str(v.rule)), []).append(v)
        failing = sum(1 for case in cases if self.counts[case])
        errors = 1 if self.own_responses else 0
        suite = ET.Element(
            "testsuite", name="tryvox-sim proxy", tests=str(len(cases) + errors), failures=str(failing),
            errors=str(errors), skipped="0", timestamp=_iso(self.started), time=f"{ended - self.started:.3f}",
        )  # fmt: skip
        properties = ET.SubElement(suite, "properties")
        for name, value in (("upstream", self.redact.text(self.upstream)), ("spec_version", self.spec_version)):
            ET.SubElement(properties, "property", name=name, value=value)
        for party, op, rule in sorted(cases):
            case = ET.SubElement(suite, "testcase", classname=f"{party}.{op}", name=rule, time="0")
            count = self.counts[party, op, rule]
            if count:
                lines = [line(v) for v in listed.get((party, op, rule), [])]
                if len(lines) < count:
                    lines.append(f"... and {count - len(lines)} more, counted but not listed (see the notes)")
                failure = ET.SubElement(
                    case, "failure", type=rule, message=f"{count} violation(s) of {rule} by {party}"
                )
                failure.text = "\n".join(lines)
        if errors:
            case = ET.SubElement(
                suite, "testcase", classname="proxy", name="every request answered by the API", time="0"
            )
            failed = ", ".join(f"{code} x{n}" for code, n in sorted(self.own_responses.items()))
            ET.SubElement(case, "error", type="unanswered", message=f"the proxy answered these itself: {failed}")
        return suite

    def har(self) -> dict[str, Any]:
        from .. import __version__

        log: dict[str, Any] = {"version": "1.2", "creator": {"name": "tryvox-sim proxy", "version": __version__}}
        log["entries"] = [self._entry(*kept) for kept in self.kept]
        if self.notes():
            log["comment"] = " ".join(self.notes())
        return {"log": log}

    def write(self, directory: Path, ended: float | None = None) -> list[Path]:
        ended = ended if ended is not None else datetime.datetime.now(datetime.UTC).timestamp()
        directory.mkdir(parents=True, exist_ok=True)
        paths = [directory / "proxy-report.json", directory / "proxy-junit.xml", directory / "proxy.har"]
        paths[0].write_text(json.dumps(self.as_json(ended), indent=2) + "\n")
        tree = ET.ElementTree(self.junit(ended))
        ET.indent(tree)
        tree.write(paths[1], encoding="utf-8", xml_declaration=True)
        paths[2].write_bytes(orjson.dumps(self.har(), option=orjson.OPT_INDENT_2))
        return paths
