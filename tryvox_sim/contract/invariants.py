"""Promises of the Call Actions API that tie fields together, beyond what one JSON Schema per response says.

Each invariant has a name and the place in the spec (`openapi/call-actions.yaml`) or the docs page it comes
from. Three places run them, from this module only: the contract suite (schemathesis checks,
contract_tests/checks.py), the validating proxy (`tryvox-sim proxy`) on real traffic, and the simulator's
self-check, which refuses to emit an answer that breaks one.

- `exchange_breaches(exchange, contract)` checks one request and its answer (`RULES`); each rule says which
  exchanges it applies to, so a check that ran is told from one that had nothing to look at.
- `CallMemory` learns each call's state from the exchanges it sees and checks what that state implies
  (`STATE_RULES`). It only asserts what it saw: a state it does not know is never a breach.
- `RunMemory` holds the promises that only show across the run (`RUN_RULES`): each action id answered for one
  action only, each token's rate-limit window. Bounded: it keeps the last `MAX_IDS` ids and `MAX_TOKENS` windows.
- `Observer` does all three for exchanges given as HTTP bytes (the proxy, the contract suite's clients), and
  learns from the simulator's control plane too (a call seen completed, the clock moved), whose call details
  and webhook deliveries it checks against what the API answered (`recording-details`, `transfer-webhook`). It
  counts, per invariant, the answers it applied to and the answers that broke it (the contract suite's coverage).

Answers the simulator gives from the spec's examples (`Prefer`, an injected fault: marked `Preference-Applied` or
`tvx-sim-fault`) reuse the examples' ids and change no call: they are checked one by one, never remembered.
They take plain data, so they know nothing of HTTP servers or clients.
"""

from __future__ import annotations

import json
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from sys import intern
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
KEPT_FOR = 30 * 86400.0  # seconds a stopped recording is kept, and listed in its call's details (the spec)


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
        Invariant("stop-duration-elapsed",
                  f"{DOCS} Notes, Recording (recording starts from the moment the API is called); "
                  f"{SPEC} RecordingStoppedResponse.duration (whole seconds)",
                  "a stopped recording's duration is at most the time since its start was sent, plus 1 s of rounding"),
        Invariant("completed-call", f"{DOCS} Notes, General (actions need an in-progress call)",
                  "once a call is seen completed, every action on it is refused"),
        Invariant("recording-details",
                  f"{DOCS} Notes, Recording (recording URLs in the call details and hangup webhook; available "
                  f"30 days); {SPEC} info.description (Recording), CallDetails, webhooks.callHangup",
                  "the recording a stop answered is listed in its call's details and hangup webhook for 30 days, "
                  "stopped, with the URL and duration the stop answered"),
        Invariant("transfer-webhook",
                  f"{SPEC} webhooks.transferAnswered (TransferAnsweredEvent); {DOCS} Transfer Call (answer_url)",
                  "the transferAnswered webhook names the transfer the API last accepted on that call: its "
                  "transfer_uuid and its destination"),
    )
}  # fmt: skip


@dataclass(slots=True)
class _Recording:
    uuid: str
    format: str | None
    max_length: int | None
    started: float | None  # when its start was sent; None once the clock moved unseen (its age is unknown)
    certain: bool = True  # False once something unseen could have stopped it (clock moved, transfer)


@dataclass(slots=True)
class _Stop:
    """A recording as a stop answered it: what its call's details and hangup webhook must list."""

    uuid: str  # lower case
    url: Any
    duration: Any
    listed_until: float | None  # listed at least until then; None once the clock moved unseen


@dataclass(slots=True)
class _Call:
    recording: _Recording | None = None
    stopped: bool = False  # a stop was answered (or nothing ran) and no start was seen since
    completed: bool = False
    last_stop: _Stop | None = None  # the recording the API last stopped on the call
    transfer: tuple[str, Any] | None = None  # the transfer last accepted on it: (transfer_uuid lower case, to)


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

    def observe(self, ex: Exchange, checked: Counter[str] | None = None, sent: float | None = None) -> list[Breach]:
        """Check `ex` against what was learned of its call, then learn from it; `checked` counts the rules
        whose situation it was (a start while a recording runs, a stop after a stop, ...). `sent`: when its
        request was sent, on the clock of `now` (default: now)."""
        if ex.call_uuid is None:
            return []
        call = self._call(ex.call_uuid)
        breaches = list(self._check(call, ex, Counter() if checked is None else checked))
        self._learn(call, ex, self.now() if sent is None else sent)
        return breaches

    def call_seen(self, call_uuid: str, status: str) -> None:
        """A call's status seen elsewhere (call details of the control plane, a hangup webhook)."""
        if status == "completed":
            call = self._call(call_uuid)
            call.completed, call.recording = True, None

    def details(self, view: Mapping[str, Any], checked: Counter[str] | None = None) -> list[Breach]:
        """A call's details seen elsewhere (a call view of the control plane, a hangup webhook): do they list the
        recording the API last stopped on that call as the stop answered it?"""
        uuid = view.get("call_uuid")
        call = self.calls.get(uuid.lower()) if isinstance(uuid, str) else None
        stop = call.last_stop if call is not None else None
        if stop is None:
            return []
        if checked is not None:
            checked["recording-details"] += 1
        recordings = view.get("recordings")
        listed = [
            r for r in (recordings if isinstance(recordings, list) else ())
            if isinstance(r, dict) and str(r.get("recording_uuid", "")).lower() == stop.uuid
        ]  # fmt: skip
        if not listed:
            if stop.listed_until is not None and self.now() < stop.listed_until:
                return [Breach("recording-details", f"recording {stop.uuid} listed (stopped, kept 30 days)", "absent")]
            return []
        shown = (listed[0].get("status"), listed[0].get("url"), listed[0].get("duration"))
        if shown != ("stopped", stop.url, stop.duration):
            expected = f"recording {stop.uuid} stopped, url {stop.url}, duration {stop.duration} (as the stop answered)"
            return [Breach("recording-details", expected, "{}, url {}, duration {}".format(*shown))]
        return []

    def transfer_answered(self, event: Mapping[str, Any], checked: Counter[str] | None = None) -> list[Breach]:
        """A transferAnswered webhook: does it name the transfer the API last accepted on its call?"""
        uuid = event.get("call_uuid")
        call = self.calls.get(uuid.lower()) if isinstance(uuid, str) else None
        if call is None or call.transfer is None:
            return []
        if checked is not None:
            checked["transfer-webhook"] += 1
        named = (str(event.get("transfer_uuid", "")).lower(), event.get("to"))
        if named != call.transfer:
            expected = "transfer {} to {} (the one last accepted on the call)".format(*call.transfer)
            return [Breach("transfer-webhook", expected, "transfer {} to {}".format(*named))]
        return []

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
        """Timed rules (max_length, retention) may have fired unseen: what they change is no longer known."""
        for call in self.calls.values():
            if call.recording is not None:
                call.recording.certain, call.recording.started = False, None
            if call.last_stop is not None:
                call.last_stop.listed_until = None

    def _running(self, call: _Call) -> _Recording | None:
        rec = call.recording
        if rec is None or not rec.certain or rec.started is None:
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
        if rec.started is not None and isinstance(duration, int):
            checked["stop-duration-elapsed"] += 1
            elapsed = self.now() - rec.started
            if duration > elapsed + 1:
                yield Breach("stop-duration-elapsed", f"duration <= {elapsed:.1f} s since the start was sent, + 1",
                             str(duration))  # fmt: skip

    def _learn(self, call: _Call, ex: Exchange, sent: float) -> None:
        body = ex.body if isinstance(ex.body, dict) else {}
        request = ex.request if isinstance(ex.request, dict) else {}
        code = body.get("code")
        if ex.operation == "startRecording" and ex.status == 202:
            defaults = self.contract.defaults.get("startRecording", {})
            max_length = request.get("max_length", defaults.get("max_length"))
            call.recording = _Recording(
                str(body.get("recording_uuid")), body.get("format") or request.get("format"),
                max_length if isinstance(max_length, int) else None, sent,
            )  # fmt: skip
            call.stopped = False
        elif ex.operation == "stopRecording" and (ex.status == 200 or code == "no_active_recording"):
            call.recording, call.stopped = None, True
            if ex.status == 200:  # kept from when it stopped (at the latest): listed until at least then + 30 days
                uuid = str(body.get("recording_uuid")).lower()
                call.last_stop = _Stop(uuid, body.get("url"), body.get("duration"), sent + KEPT_FOR)
        elif ex.operation == "transferCall" and ex.status == 202:
            call.transfer = (str(body.get("transfer_uuid")).lower(), request.get("to"))
            if call.recording is not None:
                call.recording.certain = False  # the transfer may end the call, and the recording with it


# ------------------------------------------------------------------------------ across the run

RUN_RULES = {
    invariant.name: invariant
    for invariant in (
        Invariant("fresh-action-id",
                  f"{DOCS}: each action answers its own *_uuid; {SPEC} info.description (the POSTs answer 202 once "
                  "the action has started; stop answers the call's running recording)",
                  "an action id (transfer_uuid, recording_uuid, play_uuid, speak_uuid, dtmf_uuid) is never answered "
                  "for two different actions: an accepted action's id is new, a stop names a recording of its call"),
        Invariant("rate-limit-constant",
                  f"{SPEC} components.headers RateLimit-Limit (requests allowed per window for this API token)",
                  "within one window of a token, RateLimit-Limit stays the same"),
        Invariant("rate-limit-decreasing",
                  f"{SPEC} components.headers RateLimit-Remaining (requests left in the current window); "
                  "info.description (Rate limits: requests are limited per API token)",
                  "within one window of a token, each later answer's RateLimit-Remaining is lower by one at least, "
                  "down to 0"),
        Invariant("rate-limit-reset",
                  f"{SPEC} components.headers RateLimit-Reset (seconds until the current window resets)",
                  "within one window of a token, RateLimit-Reset counts down to one end: never later than an "
                  "earlier answer gave it, never sooner"),
    )
}  # fmt: skip
MAX_IDS = 50_000  # action ids remembered: five for each call CallMemory keeps; 170 bytes an id, 8.1 MiB in all
MAX_TOKENS = 10_000  # rate-limit windows remembered, one per API token
# Seconds of slack when comparing times: rounding, and a send time taken from the answer's elapsed time (the
# contract suite's clients) may be a few milliseconds late.
SLACK = 0.05


@dataclass(slots=True)
class _Window:
    """The last answer with RateLimit headers for one token: the headers as sent (read only when compared), and
    when its request was sent and its answer seen."""

    limit: str | None
    remaining: str | None
    reset: str | None
    sent: float
    received: float


class RunMemory:
    """What the whole run showed: which action each id was answered for (the last `max_ids` ids, the oldest
    forgotten first) and each token's last rate-limit window (`MAX_TOKENS` tokens, the first seen forgotten
    first). Times are on the clock of `now`, as `CallMemory`'s."""

    def __init__(self, now: Callable[[], float] = time.time, max_ids: int = MAX_IDS) -> None:
        self.now, self.max_ids = now, max_ids
        self.ids: dict[str, str] = {}  # id, lower case -> "<its field> <its call>", e.g. "play_uuid 650e…"
        self.order: deque[str] = deque()  # the ids, oldest first
        self.windows: dict[int, _Window] = {}  # hash of the request's Authorization header -> its last window

    def observe(self, ex: Exchange, authorization: str | None, sent: float, checked: Counter[str]) -> list[Breach]:
        """Check `ex` against the run so far, then remember it; `sent`: when its request was sent. (On every
        exchange the proxy relays: written for speed, bench/proxy_rules.py measures it.)"""
        found = []
        if ex.operation in ACTION_IDS and 200 <= ex.status < 300 and isinstance(ex.body, dict):
            if (breach := self._action_id(ex, checked)) is not None:
                found.append(breach)
        if authorization is not None and "ratelimit-remaining" in ex.headers:
            found += self._window(ex, hash(authorization), sent, checked)
        return found

    def forget(self) -> None:
        self.ids.clear()
        self.order.clear()
        self.windows.clear()

    def clock_moved(self) -> None:
        """The API's clock jumped: any window may have ended."""
        self.windows.clear()

    def _action_id(self, ex: Exchange, checked: Counter[str]) -> Breach | None:
        key = ACTION_IDS[ex.operation]
        value = ex.body.get(key)
        if not isinstance(value, str):
            return None
        checked["fresh-action-id"] += 1
        uuid = value.lower()
        seen = self.ids.get(uuid)
        # What it was answered for, as one string shared by every id of that call and field: no object of its own
        # (a tuple per id, a container the garbage collector tracks, cost the proxy about 3% more CPU).
        action = intern(f"{key} {(ex.call_uuid or '').lower()}")
        if seen is None:
            self.ids[uuid] = action
            self.order.append(uuid)
            if len(self.order) > self.max_ids:
                del self.ids[self.order.popleft()]
            return None
        got = "{}, answered before as {} on call {}".format(value, *seen.split(" "))
        if ex.operation != "stopRecording":
            return Breach("fresh-action-id", f"a new {key}", got)
        if seen != action:
            return Breach("fresh-action-id", "a recording_uuid started on this call", got)
        return None  # the recording started on this call

    def _window(self, ex: Exchange, token: int, sent: float, checked: Counter[str]) -> list[Breach]:
        headers, now = ex.headers, self.now()
        limit, remaining = headers.get("ratelimit-limit"), headers.get("ratelimit-remaining")
        reset = headers.get("ratelimit-reset")
        last = self.windows.get(token)
        if last is None:
            if len(self.windows) >= MAX_TOKENS:
                del self.windows[next(iter(self.windows))]  # the token seen first
            self.windows[token] = _Window(limit, remaining, reset, sent, now)
            return []
        found = []
        if sent >= last.received:  # so counted after it (with requests in flight, mostly not: then nothing is read)
            found = self._same_window(last, _number(limit), _number(remaining), _number(reset), now, checked)
        last.limit, last.remaining, last.reset, last.sent, last.received = limit, remaining, reset, sent, now
        return found

    @staticmethod
    def _same_window(
        last: _Window, limit: int | None, remaining: int | None, reset: int | None, now: float, checked: Counter[str]
    ) -> list[Breach]:
        """`last` and this answer, counted after it: if it came before `last`'s window can have ended (that is after
        last.sent + Reset - 1, since Reset is rounded up), the two share one window, and their headers must agree."""
        last_limit, last_remaining, last_reset = _number(last.limit), _number(last.remaining), _number(last.reset)
        if last_reset is None or last_remaining is None or remaining is None:
            return []
        if now >= last.sent + last_reset - 1 - SLACK:
            return []  # the window may have ended: this is a new one
        found = []
        checked["rate-limit-constant"] += 1
        checked["rate-limit-decreasing"] += 1
        checked["rate-limit-reset"] += 1
        if limit is not None and last_limit is not None and limit != last_limit:
            found.append(Breach("rate-limit-constant", f"RateLimit-Limit {last_limit} as earlier in the window",
                                str(limit)))  # fmt: skip
        if remaining > max(last_remaining - 1, 0):
            most = max(last_remaining - 1, 0)
            expected = f"RateLimit-Remaining at most {most} ({last_remaining} earlier in the window)"
            found.append(Breach("rate-limit-decreasing", expected, str(remaining)))
        earliest = last.sent + last_reset - 1 - now  # the window ends after this many seconds from now
        if reset is not None and (reset > last_reset or reset <= earliest - SLACK):
            expected = f"RateLimit-Reset above {earliest:.1f} and at most {last_reset} (the end an earlier answer gave)"
            found.append(Breach("rate-limit-reset", expected, str(reset)))
        return found


def _number(value: str | None) -> int | None:
    """A header's whole number (None: absent, or not one)."""
    value = value.strip() if value is not None else ""
    return int(value) if value.isdigit() else None


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

    Call Actions operations are checked; the simulator's control plane (when the traffic has it) teaches the
    memory (a call view with status `completed`, the clock moved, a reset, a new call) and its call details and
    webhook deliveries are checked against what the API answered.
    """

    def __init__(self, spec: Spec, now: Callable[[], float] = time.time) -> None:
        self.spec = spec
        self.memory = CallMemory(Contract.from_spec(spec), now)
        self.run: RunMemory | None = RunMemory(now)  # None leaves the run-wide rules out (bench/proxy_rules.py)
        self.checked: Counter[str] = Counter()  # invariant -> answers it applied to
        self.broken: Counter[str] = Counter()  # invariant -> answers that broke it

    @property
    def contract(self) -> Contract:
        return self.memory.contract

    def observe(
        self, method: str, path: str, request_body: bytes | None, status: int, headers: Mapping[str, str],
        body: bytes | None, *, authorization: str | None = None, sent: float | None = None,
    ) -> list[Breach]:  # fmt: skip
        route, params = self.spec.match(path)
        op = route.operations.get(method.upper()) if route is not None else None
        if op is None:
            return []
        is_json = "json" in headers.get("content-type", "")
        answer = parse_json(body) if is_json else None
        return self.observe_operation(
            op, params, request_body, status, headers, None if answer is NO_BODY else answer,
            authorization=authorization, sent=sent,
        )  # fmt: skip

    def observe_operation(
        self, op: Operation, params: Mapping[str, str], request_body: bytes | None, status: int,
        headers: Mapping[str, str], answer: Any, *, authorization: str | None = None, sent: float | None = None,
    ) -> list[Breach]:  # fmt: skip
        """`observe` once the operation is known and the answer parsed (None: no JSON answer); the validating
        proxy (verifier.py) has both already. `authorization` is the request's header (rate limits are per
        token); `sent` when the request was sent, on the clock of `now` (default: now)."""
        if op.source != "actions":
            breaches = self._control(op.op_id, status, answer)
        else:
            ex = Exchange(op.op_id, params.get("call_uuid"), parse_json(request_body), status, headers, answer)
            breaches = exchange_breaches(ex, self.contract, self.checked)
            # An answer given from the spec's examples (Prefer, an injected fault) reuses their ids and changes no
            # call: it says nothing of the calls or of the run.
            if "preference-applied" not in headers and "tvx-sim-fault" not in headers:
                sent = self.memory.now() if sent is None else sent
                breaches += self.memory.observe(ex, self.checked, sent)
                if self.run is not None:
                    breaches += self.run.observe(ex, authorization, sent, self.checked)
        self.broken.update(breach.rule for breach in breaches)
        return breaches

    def webhook(self, event: str, payload: Any) -> list[Breach]:
        """A webhook the API sent (the simulator's own, as it sends it): checked against what the API answered."""
        breaches = self._webhook(event, payload)
        self.broken.update(breach.rule for breach in breaches)
        return breaches

    def forget(self) -> None:
        """Start over (the world was reset, or the API behind started over)."""
        self.memory.calls.clear()
        if self.run is not None:
            self.run.forget()

    def _webhook(self, event: Any, payload: Any) -> list[Breach]:
        if not isinstance(payload, dict):
            return []
        if event == "callHangup":
            return self.memory.details(payload, self.checked)
        if event == "transferAnswered":
            return self.memory.transfer_answered(payload, self.checked)
        return []

    def _control(self, op_id: str, status: int, answer: Any) -> list[Breach]:
        if status >= 300 or not isinstance(answer, dict):
            return []
        if op_id == "advanceClock":
            self.memory.clock_moved()
            if self.run is not None:
                self.run.clock_moved()
        elif op_id == "resetWorld":
            self.forget()
        elif op_id == "listCalls" and isinstance(answer.get("calls"), list):
            views = [view for view in answer["calls"] if isinstance(view, dict)]
            return [breach for view in views for breach in self.memory.details(view, self.checked)]
        elif op_id == "listWebhooks" and isinstance(answer.get("webhooks"), list):
            deliveries = [d for d in answer["webhooks"] if isinstance(d, dict)]
            return [breach for d in deliveries for breach in self._webhook(d.get("event"), d.get("payload"))]
        elif isinstance(uuid := answer.get("call_uuid"), str):  # one call's view
            if op_id == "createCall" and self._known(uuid):
                self.forget()  # a new call with an id seen before: the API behind started over (a seeded restart)
            self.memory.call_seen(uuid, str(answer.get("status")))
            return self.memory.details(answer, self.checked)
        return []

    def _known(self, uuid: str) -> bool:
        key = uuid.lower()
        return key in self.memory.calls or (self.run is not None and key in self.run.ids)


# every invariant by name: per exchange, per call, across the run
INVARIANTS: dict[str, Invariant] = {
    **{name: invariant for name, (invariant, _) in RULES.items()},
    **STATE_RULES,
    **RUN_RULES,
}
