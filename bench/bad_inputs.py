"""The README's bad-input matrix as raw HTTP/1.1 requests: each kind of bad input, the status and problem
`code` it is answered with, and whether the server then closes the connection.

tests/test_server.py checks the README's table against CASES and every case against a server, so the
table cannot drift; `make soak` (bench/soak.py) sends the cases under load.
"""

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bench.ops import Target


@dataclass(frozen=True)
class BadInput:
    kind: str  # the first column of the README's table
    status: int | None  # None: no answer at all
    code: str | None
    closes: bool  # the server closes the connection after answering (else it stays open for the next request)
    request: Callable[[Target, str], bytes]  # (target, an in-progress call of its account) -> raw bytes
    waits: bool = False  # answered only after the server's request or idle timeout


@dataclass
class Outcome:
    status: int | None = None
    code: str | None = None
    closed: bool = False
    interim: bool = False  # a `100 Continue` came before the answer
    error: str | None = None  # the exchange failed (reset, timeout, unreadable answer)


def raw(method: str, path: str, body: bytes | None = None, headers=(), token: str | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: tryvox.test", *headers]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def act(t: Target, call_uuid: str, action: str, body: bytes | None, *headers: str, auth_id=None, token=None,
        method="POST") -> bytes:  # fmt: skip
    """A request to one of the call's actions, JSON unless `headers` say otherwise; token "" sends none."""
    path = f"/v1/voice/accounts/{auth_id or t.auth_id}/calls/{call_uuid}/{action}"
    return raw(method, path, body, headers or ("Content-Type: application/json",), t.token if token is None else token)


def chunked(t: Target, call_uuid: str, size: int) -> bytes:
    head = act(t, call_uuid, "speak", None, "Content-Type: application/json", "Transfer-Encoding: chunked")
    return head + b"%x\r\n%s\r\n0\r\n\r\n" % (size, b"a" * size)


OTHER_AUTH_ID, OTHER_TOKEN = "other_account", "tvx_sk_test_other_000000000000000"  # seeded in every simulator
BIG = 100 * 1024  # over the 64 KiB body limit
DIGIT = b'{"digits": "1"}'

# fmt: off
CASES = [
    BadInput("unparseable JSON", 400, "invalid_json", False, lambda t, c: act(t, c, "dtmf", b'{"digits": }')),
    BadInput("invalid UTF-8 in the body", 400, "invalid_json", False,
             lambda t, c: act(t, c, "speak", b'{"text": "\xff\xfe"}')),
    BadInput("JSON nested over 1,024 levels", 400, "invalid_json", False,
             lambda t, c: act(t, c, "dtmf", b"[" * 2000 + b"]" * 2000)),
    BadInput("`NaN` or `Infinity`", 400, "invalid_json", False,
             lambda t, c: act(t, c, "record", b'{"max_length": NaN}')),
    BadInput("wrong content type", 415, "unsupported_media_type", False,
             lambda t, c: act(t, c, "dtmf", DIGIT, "Content-Type: text/plain")),
    BadInput("body over 64 KiB", 413, "payload_too_large", True,
             lambda t, c: act(t, c, "speak", b'{"text": "%s"}' % (b"a" * BIG))),
    BadInput("body over 64 KiB, chunked", 413, "payload_too_large", True, lambda t, c: chunked(t, c, BIG)),
    BadInput("body over 64 KiB with `Expect: 100-continue` (no `100` is sent)", 413, "payload_too_large", True,
             lambda t, c: act(t, c, "speak", None, "Content-Type: application/json", "Expect: 100-continue",
                              "Content-Length: 20000000")),
    BadInput("request target over 8 KiB", 414, "uri_too_long", True,
             lambda t, c: raw("GET", f"/_sim/calls/{c}?pad={'a' * 8192}")),
    BadInput("header block over 16 KiB", 431, "header_fields_too_large", True,
             lambda t, c: raw("GET", "/_sim/health", headers=[f"X-Pad: {'a' * 16384}"])),
    BadInput("over 100 header fields", 431, "header_fields_too_large", True,
             lambda t, c: raw("GET", "/_sim/health", headers=[f"X-Pad-{i}: a" for i in range(101)])),
    BadInput("malformed request line", 400, "bad_request", True, lambda t, c: b"NOT HTTP AT ALL\r\n\r\n"),
    BadInput("invalid `Content-Length`", 400, "bad_request", True,
             lambda t, c: raw("POST", "/_sim/calls", headers=["Content-Length: 12abc"])),
    BadInput("both `Content-Length` and `Transfer-Encoding`", 400, "bad_request", True,
             lambda t, c: raw("POST", "/_sim/calls", b"0\r\n\r\n", headers=["Transfer-Encoding: chunked"])),
    BadInput("unknown path", 404, "not_found", False, lambda t, c: raw("GET", "/v2/nothing/here")),
    BadInput("undeclared method", 405, "method_not_allowed", False,
             lambda t, c: act(t, c, "dtmf", DIGIT, method="PUT")),
    BadInput("missing token", 401, "unauthorized", False, lambda t, c: act(t, c, "dtmf", DIGIT, token="")),
    BadInput("unknown token", 401, "unauthorized", False,
             lambda t, c: act(t, c, "dtmf", DIGIT, token="tvx_sk_test_unknown")),
    BadInput("another account's `auth_id`", 403, "forbidden", False,
             lambda t, c: act(t, c, "dtmf", DIGIT, auth_id=OTHER_AUTH_ID)),
    BadInput("unknown call", 404, "call_not_found", False, lambda t, c: act(t, str(uuid.uuid4()), "dtmf", DIGIT)),
    BadInput("call id that is not a UUID", 404, "call_not_found", False,
             lambda t, c: act(t, "not-a-uuid", "dtmf", DIGIT)),
    BadInput("another account's call", 404, "call_not_found", False,
             lambda t, c: act(t, c, "dtmf", DIGIT, auth_id=OTHER_AUTH_ID, token=OTHER_TOKEN)),
    BadInput("invalid field value", 422, "validation_failed", False,
             lambda t, c: act(t, c, "dtmf", b'{"digits": "12x"}')),
    BadInput("unknown field", 422, "validation_failed", False,
             lambda t, c: act(t, c, "dtmf", b'{"digits": "1", "tone": 5}')),
    BadInput("missing required field", 422, "validation_failed", False, lambda t, c: act(t, c, "dtmf", b"{}")),
    BadInput("huge integer", 422, "validation_failed", False,
             lambda t, c: act(t, c, "record", b'{"max_length": 1%s}' % (b"0" * 400))),
    BadInput("body that is not an object", 422, "validation_failed", False,
             lambda t, c: act(t, c, "speak", b'["Hello"]')),
    BadInput("stalled request (not in full within 10 s)", 408, "request_timeout", True,
             lambda t, c: b"POST /_sim/calls HTTP/1.1\r\nHost: tryvox.test\r\n", waits=True),
    BadInput("idle connection (30 s)", None, None, True, lambda t, c: b"", waits=True),
]
# fmt: on


async def read_answer(reader: asyncio.StreamReader) -> tuple[int | None, dict, bytes, bool]:
    """(status, lower-case headers, body, interim) of one answer; status None when the server closed first."""
    interim = False
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise ConnectionError(f"answer cut short: {exc.partial[:80]!r}") from None
            return None, {}, b"", interim
        status_line, *lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in filter(None, lines):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            interim = True
            continue
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body, interim


async def send(host: str, port: int, payload: bytes, timeout: float) -> Outcome:
    """Send `payload` on a new connection, read the answer, then probe whether the connection is still open
    (a health request answered on it) or closed by the server. Every step is bounded by `timeout`."""
    out = Outcome()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(payload)
            await writer.drain()
            out.status, _, body, out.interim = await read_answer(reader)
            if out.status is None:
                out.closed = True
                return out
            out.code = json.loads(body).get("code") if body[:1] == b"{" else None
            writer.write(raw("GET", "/_sim/health"))
            await writer.drain()
            out.closed = (await read_answer(reader))[0] is None
    except (ConnectionError, TimeoutError) as exc:
        if out.status is not None and isinstance(exc, ConnectionResetError):
            out.closed = True  # reset after the answer was read: closed all the same
        else:
            out.error = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        if writer is not None:
            writer.close()
    return out


def mismatch(case: BadInput, got: Outcome) -> str | None:
    """What differs from the matrix, or None."""
    if got.error:
        return got.error
    want = (case.status, case.code, case.closes, False)
    have = (got.status, got.code, got.closed, got.interim)
    return None if want == have else f"expected (status, code, closes, 100) {want}, got {have}"
