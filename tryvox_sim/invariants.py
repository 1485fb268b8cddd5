"""Promises of the Call Actions API that tie fields together, beyond what one JSON Schema per response says.

Each invariant has a name and the place in the spec (`openapi/call-actions.yaml`) or the docs page it comes
from. Three places run them, from this module only: the contract suite (schemathesis checks,
contract_tests/checks.py), the validating proxy (`tryvox-sim proxy`) on real traffic, and the simulator's
self-check, which refuses to emit an answer that breaks one.

- `exchange_breaches(exchange, contract)` checks one request and its answer (`RULES`); each rule says which
  exchanges it applies to, so a check that ran is told from one that had nothing to look at.
- `CallMemory` learns each call's state from the exchanges it sees and checks what that state implies
  (`STATE_RULES`). It only asserts what it saw: a state it does not know is never a breach.
- `Observer` does both for exchanges given as HTTP bytes (the proxy, the contract suite's clients), and
  learns from the simulator's control plane too (a call seen completed, the clock moved). It counts, per
  invariant, the answers it applied to and the answers that broke it (the contract suite's coverage report).

They take plain data, so they know nothing of HTTP servers or clients.
"""

from __future__ import annotations

import json
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .spec import Operation, Spec

ERRORS_BASE = "https://docs.tryvox.io/errors/"
ECHOES = {"transferCall": "to", "playAudio": "url", "speakText": "text", "sendDtmf": "digits"}
ACTION_IDS = {
    "transferCall": "transfer_uuid",
    "startRecording": "recording_uuid",
    "stopRecording": "recording_uuid",
    "playAudio": "play_uuid",
    "speakText": "speak_uuid",
    "sendDtmf": "dtmf_uuid",
}
NO_BODY = object()  # the request had no body, or one that is not JSON


@dataclass(frozen=True, slots=True)
class Invariant:
    name: str
    source: str  # where in the spec or the docs the promise is made
    promise: str


@dataclass(frozen=True, slots=True)
class Breach:
    rule: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.rule}: expected {self.expected}, got {self.got}"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request of an operation and its answer, as plain data."""

    operation: str  # operationId
    call_uuid: str | None
    request: Any  # the parsed JSON request body, or NO_BODY
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any  # the parsed JSON answer, or None


@dataclass(frozen=True)
class Contract:
    """What the invariants read from the spec: documented problem codes and titles, request defaults."""

    codes: Mapping[tuple[str, int], frozenset[str]]  # (operationId, status) -> codes its examples use
    titles: Mapping[str, str]  # code -> title of its examples
    defaults: Mapping[str, Mapping[str, Any]]  # operationId -> request body field -> spec default

    @classmethod
    def from_spec(cls, spec: Spec) -> Contract:
        """Built from a compiled `tryvox_sim.spec.Spec` (its resolved documents and operations)."""
        codes: dict[tuple[str, int], set[str]] = {}
        titles: dict[str, str] = {}
        defaults: dict[str, Mapping[str, Any]] = {}
        resolve = spec.documents.resolve
        for op in spec.operations.values():
            if op.source != "actions":
                continue
            defaults[op.op_id] = dict(op.defaults)
            op_doc = spec.actions_doc["paths"][op.template][op.method.lower()]
            for status, resp in op_doc.get("responses", {}).items():
                resp, _, _ = resolve(resp, spec.actions_uri, "")
                media = resp.get("content", {}).get("application/problem+json", {})
                for example in media.get("examples", {}).values():
                    value = resolve(example, spec.actions_uri, "")[0].get("value", {})
                    codes.setdefault((op.op_id, int(status)), set()).add(value["code"])
                    titles.setdefault(value["code"], value["title"])
        return cls({k: frozenset(v) for k, v in codes.items()}, titles, defaults)


# ------------------------------------------------------------------------------ one exchange

Check = Callable[[Exchange, Contract], Breach | None]
Applies = Callable[[Exchange, Contract], bool]
RULES: dict[str, tuple[Invariant, Check]] = {}
SCOPES: dict[str, Applies] = {}  # rule -> which exchanges it looks at
SPEC = "openapi/call-actions.yaml"
DOCS = "docs page (openapi/source/public-docs-page.txt)"


def rule(name: str, source: str, promise: str, applies: Applies) -> Callable[[Check], Check]:
    """Register a check; it runs only on the exchanges `applies` selects (RULES holds both, composed)."""

    def register(check: Check) -> Check:
        def checked(ex: Exchange, contract: Contract) -> Breach | None:
            return check(ex, contract) if applies(ex, contract) else None

        RULES[name] = (Invariant(name, source, promise), checked)
        SCOPES[name] = applies
        return check

    return register


def _problem(ex: Exchange) -> dict[str, Any] | None:
    return ex.body if ex.status >= 400 and isinstance(ex.body, dict) else None


def _is_problem(ex: Exchange, contract: Contract) -> bool:
    return _problem(ex) is not None


def _success(operations: Iterable[str]) -> Applies:
    """A 2xx answer with a JSON object body, of one of `operations`."""
    names = frozenset(operations)
    return lambda ex, contract: ex.operation in names and ex.status < 300 and isinstance(ex.body, dict)


@rule("problem-status", f"RFC 9457 §3.1.3; {SPEC} Problem.status and each error response's status const",
      "a problem's `status` member equals the HTTP status of the answer", _is_problem)  # fmt: skip
def _problem_status(ex: Exchange, contract: Contract) -> Breach | None:
    problem = ex.body
    if "status" in problem and problem["status"] != ex.status:
        return Breach("problem-status", f"status {ex.status} (the HTTP status)", repr(problem["status"]))
    return None


@rule("problem-type", f"{SPEC} Problem.type; every problem example",
      "a problem's `type` is https://docs.tryvox.io/errors/ + its `code` with - for _",
      lambda ex, contract: _is_problem(ex, contract) and isinstance(ex.body.get("code"), str))  # fmt: skip
def _problem_type(ex: Exchange, contract: Contract) -> Breach | None:
    problem = ex.body
    expected = ERRORS_BASE + problem["code"].replace("_", "-")
    if "type" in problem and problem["type"] != expected:
        return Breach("problem-type", f"type {expected}", repr(problem["type"]))
    return None


@rule("problem-code", f"{SPEC} each error response's code enum and examples",
      "a problem's `code` is one the spec documents for that operation and status",
      lambda ex, contract: _is_problem(ex, contract) and (ex.operation, ex.status) in contract.codes)  # fmt: skip
def _problem_code(ex: Exchange, contract: Contract) -> Breach | None:
    documented = contract.codes[(ex.operation, ex.status)]
    if ex.body.get("code") not in documented:
        return Breach("problem-code", f"one of {sorted(documented)} for {ex.status}", repr(ex.body.get("code")))
    return None


def _titled(ex: Exchange, contract: Contract) -> bool:
    code = ex.body.get("code") if _is_problem(ex, contract) else None
    return isinstance(code, str) and code in contract.titles


@rule("problem-title", f"RFC 9457 §3.1.2; {SPEC} Problem.title and the problem examples",
      "a problem's `title` is the one documented for its `code`", _titled)  # fmt: skip
def _problem_title(ex: Exchange, contract: Contract) -> Breach | None:
    title = contract.titles[ex.body["code"]]
    if ex.body.get("title") != title:
        return Breach("problem-title", repr(title), repr(ex.body.get("title")))
    return None


def _parent_exists(document: Any, pointer: str) -> bool:
    """Does the JSON pointer's parent exist in `document`? (the field itself may be the missing one)"""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


@rule("validation-errors", f"{SPEC} info.description (Errors), FieldError.pointer, the 422 examples",
      "a 422 lists each offending field, as a JSON pointer into the request body",
      lambda ex, contract: ex.status == 422 and _is_problem(ex, contract))  # fmt: skip
def _validation_errors(ex: Exchange, contract: Contract) -> Breach | None:
    errors = ex.body.get("errors")
    if not isinstance(errors, list) or not errors:
        return Breach("validation-errors", "a non-empty `errors` list", repr(errors))
    if ex.request is NO_BODY:
        return None
    for error in errors:
        pointer = error.get("pointer") if isinstance(error, dict) else None
        if not isinstance(pointer, str) or not _parent_exists(ex.request, pointer):
            return Breach("validation-errors", "pointers into the request body", repr(pointer))
    return None


@rule("auth-challenge", f"RFC 9110 §15.5.2; {SPEC} Unauthorized.headers.WWW-Authenticate (required)",
      "a 401 carries a WWW-Authenticate Bearer challenge", lambda ex, contract: ex.status == 401)  # fmt: skip
def _auth_challenge(ex: Exchange, contract: Contract) -> Breach | None:
    challenge = ex.headers.get("www-authenticate", "")
    if not challenge.lower().startswith("bearer"):
        return Breach("auth-challenge", "WWW-Authenticate: Bearer ...", repr(challenge or None))
    return None


def _int_header(ex: Exchange, name: str) -> int | None:
    value = ex.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


@rule("rate-limit-remaining", f"{SPEC} components.headers RateLimit-Limit / RateLimit-Remaining",
      "RateLimit-Remaining never exceeds RateLimit-Limit, and is 0 on a 429",
      lambda ex, contract: _int_header(ex, "ratelimit-remaining") is not None)  # fmt: skip
def _rate_limit_remaining(ex: Exchange, contract: Contract) -> Breach | None:
    limit, remaining = _int_header(ex, "ratelimit-limit"), _int_header(ex, "ratelimit-remaining")
    assert remaining is not None  # the rule applies only when it is there
    if limit is not None and remaining > limit:
        return Breach("rate-limit-remaining", f"RateLimit-Remaining <= {limit}", str(remaining))
    if ex.status == 429 and remaining != 0:
        return Breach("rate-limit-remaining", "RateLimit-Remaining 0 on a 429", str(remaining))
    return None


def _echoes(ex: Exchange, contract: Contract) -> bool:
    key = ECHOES.get(ex.operation)
    sent = ex.request
    return key is not None and _success(ECHOES)(ex, contract) and isinstance(sent, dict) and key in sent


@rule("echo", f"{DOCS}: each example response repeats the request's to / url / text / digits",
      "transfer, play, speak and DTMF answers repeat the value sent (to, url, text, digits)", _echoes)  # fmt: skip
def _echo(ex: Exchange, contract: Contract) -> Breach | None:
    key = ECHOES[ex.operation]
    if ex.body.get(key) != ex.request[key]:
        return Breach("echo", f"{key} {ex.request[key]!r} as sent", repr(ex.body.get(key)))
    return None


@rule("recording-format", f"{DOCS} Start Recording (format, default mp3); {SPEC} RecordRequest.format.default",
      "start recording answers the format sent, or the spec's default when none was sent",
      _success(["startRecording"]))  # fmt: skip
def _recording_format(ex: Exchange, contract: Contract) -> Breach | None:
    sent = ex.request if isinstance(ex.request, dict) else {}
    expected = sent.get("format", contract.defaults.get("startRecording", {}).get("format"))
    if expected is not None and ex.body.get("format") != expected:
        return Breach("recording-format", f"format {expected!r}", repr(ex.body.get("format")))
    return None


def _stopped(ex: Exchange, contract: Contract) -> bool:
    return ex.operation == "stopRecording" and ex.status == 200 and isinstance(ex.body, dict)


@rule("recording-url", f"{DOCS} Stop Recording example (url = https://recordings.tryvox.io/<recording_uuid>.mp3)",
      "a stopped recording's URL names that recording: its file is <recording_uuid>.<format>",
      lambda ex, contract: _stopped(ex, contract) and isinstance(ex.body.get("url"), str)
      and isinstance(ex.body.get("recording_uuid"), str))  # fmt: skip
def _recording_url(ex: Exchange, contract: Contract) -> Breach | None:
    url, rec = ex.body["url"], ex.body["recording_uuid"]
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if name.rsplit(".", 1)[0] != rec:
        return Breach("recording-url", f"a URL whose file is {rec}.<format>", repr(url))
    return None


@rule("new-action-id", f"{DOCS}: every action answers its own *_uuid", "an action's new id is not the call's id",
      lambda ex, contract: _success(ACTION_IDS)(ex, contract) and ex.call_uuid is not None)  # fmt: skip
def _new_action_id(ex: Exchange, contract: Contract) -> Breach | None:
    key = ACTION_IDS[ex.operation]
    assert ex.call_uuid is not None
    if str(ex.body.get(key, "")).lower() == ex.call_uuid.lower():
        return Breach("new-action-id", f"{key} other than the call's id", repr(ex.body.get(key)))
    return None


def exchange_breaches(ex: Exchange, contract: Contract, checked: Counter[str] | None = None) -> list[Breach]:
    """Every per-exchange invariant this exchange breaks; `checked` counts the rules that applied to it."""
    breaches = []
    for name, (_, check) in RULES.items():
        if checked is not None and SCOPES[name](ex, contract):
            checked[name] += 1
        if (breach := check(ex, contract)) is not None:
            breaches.append(breach)
    return breaches


# ------------------------------------------------------------------------------ state per call

STATE_RULES = {
    invariant.name: invariant
    for invariant in (
        Invariant("stop-names-recording", f"{DOCS} Stop Recording; {SPEC} stopRecording",
                  "stop recording answers the recording_uuid of the recording last started on the call"),
        Invariant("stop-after-stop", f"{SPEC} StopRecordingConflict (no_active_recording)",
                  "a stop right after a successful stop is a 409, not a 200"),
        Invariant("start-while-recording", f"{SPEC} RecordingConflict (recording_already_running)",
                  "a start while a recording still runs is a 409, not a 202"),
        Invariant("stop-url-format", f"{DOCS} Notes, Recording; {SPEC} stopRecording description",
                  "a stopped recording's URL ends with the extension of the format it was started with"),
        Invariant("stop-duration", f"{DOCS} Start Recording (max_length); {SPEC} RecordRequest.max_length",
                  "a stopped recording's duration never exceeds the max_length it was started with"),
        Invariant("completed-call", f"{DOCS} Notes, General (actions need an in-progress call)",
                  "once a call is seen completed, every action on it is refused"),
    )
}  # fmt: skip


@dataclass(slots=True)
class _Recording:
    uuid: str
    format: str | None
    max_length: int | None
    started: float
    certain: bool = True  # False once something unseen could have stopped it (clock moved, transfer)


@dataclass(slots=True)
class _Call:
    recording: _Recording | None = None
    stopped: bool = False  # a stop was answered (or nothing ran) and no start was seen since
    completed: bool = False


@dataclass
class CallMemory:
    """What the traffic showed of each call, bounded (least recently seen calls are forgotten).

    `now` is the API's clock in seconds: the simulator passes its own clock; a proxy uses wall time and
    calls `clock_moved()` when it sees the simulator's clock advanced.
    """

    contract: Contract
    now: Callable[[], float] = time.time
    max_calls: int = 10_000
    calls: OrderedDict[str, _Call] = field(default_factory=OrderedDict)

    def observe(self, ex: Exchange, checked: Counter[str] | None = None) -> list[Breach]:
        """Check `ex` against what was learned of its call, then learn from it; `checked` counts the rules
        whose situation it was (a start while a recording runs, a stop after a stop, ...)."""
        if ex.call_uuid is None:
            return []
        call = self._call(ex.call_uuid)
        breaches = list(self._check(call, ex, Counter() if checked is None else checked))
        self._learn(call, ex)
        return breaches

    def call_seen(self, call_uuid: str, status: str) -> None:
        """A call's status seen elsewhere (call details of the control plane, a hangup webhook)."""
        if status == "completed":
            call = self._call(call_uuid)
            call.completed, call.recording = True, None

    def _call(self, call_uuid: str) -> _Call:
        key = call_uuid.lower()
        call = self.calls.get(key)
        if call is None:
            call = self.calls[key] = _Call()
            if len(self.calls) > self.max_calls:
                self.calls.popitem(last=False)
        else:
            self.calls.move_to_end(key)
        return call

    def clock_moved(self) -> None:
        """Timed rules (max_length) may have fired unseen: running recordings are no longer certain."""
        for call in self.calls.values():
            if call.recording is not None:
                call.recording.certain = False

    def _running(self, call: _Call) -> _Recording | None:
        rec = call.recording
        if rec is None or not rec.certain:
            return None
        if rec.max_length is not None and self.now() >= rec.started + rec.max_length:
            return None  # it may have stopped by itself
        return rec

    def _check(self, call: _Call, ex: Exchange, checked: Counter[str]) -> Iterable[Breach]:
        ok = 200 <= ex.status < 300
        if call.completed:
            checked["completed-call"] += 1
            if ok:
                yield Breach("completed-call", "a 409: the call was seen completed", f"{ex.status}")
        if ex.operation == "startRecording" and (rec := self._running(call)) is not None:
            checked["start-while-recording"] += 1
            if ok:
                yield Breach("start-while-recording", f"a 409: recording {rec.uuid} still runs", f"{ex.status}")
        if ex.operation != "stopRecording":
            return
        rec = call.recording
        if rec is None:
            if call.stopped:
                checked["stop-after-stop"] += 1
                if ex.status == 200:
                    yield Breach("stop-after-stop", "a 409 no_active_recording", "200")
            return
        if ex.status != 200 or not isinstance(ex.body, dict):
            return
        checked["stop-names-recording"] += 1
        if ex.body.get("recording_uuid") != rec.uuid:
            yield Breach("stop-names-recording", f"recording_uuid {rec.uuid}", repr(ex.body.get("recording_uuid")))
        url = ex.body.get("url")
        if rec.format is not None:
            checked["stop-url-format"] += 1
            if isinstance(url, str) and not url.endswith("." + rec.format):
                yield Breach("stop-url-format", f"a URL ending in .{rec.format}", repr(url))
        duration = ex.body.get("duration")
        if rec.max_length is not None:
            checked["stop-duration"] += 1
            if isinstance(duration, int) and duration > rec.max_length:
                yield Breach("stop-duration", f"duration <= max_length {rec.max_length}", str(duration))

    def _learn(self, call: _Call, ex: Exchange) -> None:
        body = ex.body if isinstance(ex.body, dict) else {}
        code = body.get("code")
        if ex.operation == "startRecording" and ex.status == 202:
            sent = ex.request if isinstance(ex.request, dict) else {}
            defaults = self.contract.defaults.get("startRecording", {})
            max_length = sent.get("max_length", defaults.get("max_length"))
            call.recording = _Recording(
                str(body.get("recording_uuid")), body.get("format") or sent.get("format"),
                max_length if isinstance(max_length, int) else None, self.now(),
            )  # fmt: skip
            call.stopped = False
        elif ex.operation == "stopRecording" and (ex.status == 200 or code == "no_active_recording"):
            call.recording, call.stopped = None, True
        elif ex.operation == "transferCall" and ex.status == 202 and call.recording is not None:
            call.recording.certain = False  # the transfer may end the call, and the recording with it


# ------------------------------------------------------------------------------ HTTP exchanges


def parse_json(raw: bytes | str | None) -> Any:
    """The JSON in `raw`, or NO_BODY when there is none (or it is not JSON, or nested too deeply to read)."""
    if not raw:
        return NO_BODY
    try:
        return json.loads(raw)
    except (TypeError, ValueError, RecursionError):
        return NO_BODY


class Observer:
    """Every invariant, on exchanges given as HTTP: method, path, bodies as bytes, lower-case headers.

    Call Actions operations are checked; the simulator's control plane (when the traffic has it) only
    teaches the memory: a call view with status `completed`, the clock moved, a reset.
    """

    def __init__(self, spec: Spec, now: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.memory = CallMemory(Contract.from_spec(spec), now)
        self.checked: Counter[str] = Counter()  # invariant -> answers it applied to
        self.broken: Counter[str] = Counter()  # invariant -> answers that broke it

    @property
    def contract(self) -> Contract:
        return self.memory.contract

    def observe(
        self, method: str, path: str, request_body: bytes | None, status: int, headers: Mapping[str, str],
        body: bytes | None,
    ) -> list[Breach]:  # fmt: skip
        route, params = self.spec.match(path)
        op = route.operations.get(method.upper()) if route is not None else None
        if op is None:
            return []
        is_json = "json" in headers.get("content-type", "")
        answer = parse_json(body) if is_json else None
        return self.observe_operation(op, params, request_body, status, headers, None if answer is NO_BODY else answer)

    def observe_operation(
        self, op: Operation, params: Mapping[str, str], request_body: bytes | None, status: int,
        headers: Mapping[str, str], answer: Any,
    ) -> list[Breach]:  # fmt: skip
        """`observe` once the operation is known and the answer parsed (None: no JSON answer); the validating
        proxy (verifier.py) has both already."""
        if op.source != "actions":
            self._learn_control(op.op_id, status, answer)
            return []
        exchange = Exchange(op.op_id, params.get("call_uuid"), parse_json(request_body), status, headers, answer)
        breaches = exchange_breaches(exchange, self.contract, self.checked)
        breaches += self.memory.observe(exchange, self.checked)
        self.broken.update(breach.rule for breach in breaches)
        return breaches

    def _learn_control(self, op_id: str, status: int, answer: Any) -> None:
        if status >= 300:
            return
        if op_id == "advanceClock":
            self.memory.clock_moved()
        elif op_id == "resetWorld":
            self.memory.calls.clear()
        elif isinstance(answer, dict) and isinstance(answer.get("call_uuid"), str):
            self.memory.call_seen(answer["call_uuid"], str(answer.get("status")))
