"""The invariants of one exchange: what a request and its answer promise together, beyond one schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ..conformance import NO_BODY
from ..problems import ERRORS_BASE
from ..violations import Rule, Violation
from .declared import ACTION_IDS, DOCS, ECHOES, EXCHANGE, SPEC, Contract, Exchange, invariant, reading


def _problem(ex: Exchange, contract: Contract) -> bool:
    return ex.status >= 400 and isinstance(ex.body, dict)


def _success(operations: Iterable[str]) -> Any:
    """A 2xx answer with a JSON object body, of one of `operations`."""
    names = frozenset(operations)
    return lambda ex, contract: ex.operation in names and ex.status < 300 and isinstance(ex.body, dict)


@invariant(
    Rule.PROBLEM_STATUS,
    reads=EXCHANGE,
    source=f"RFC 9457 §3.1.3; {SPEC} Problem.status and each error response's status const",
    promise="a problem's `status` member equals the HTTP status of the answer",
    applies=_problem,
)
def _problem_status(ex: Exchange, contract: Contract) -> Violation | None:
    problem = ex.body
    if "status" in problem and problem["status"] != ex.status:
        return Violation(Rule.PROBLEM_STATUS, f"status {ex.status} (the HTTP status)", repr(problem["status"]))
    return None


@invariant(
    Rule.PROBLEM_TYPE,
    reads=EXCHANGE,
    source=f"{SPEC} Problem.type; every problem example",
    promise="a problem's `type` is https://docs.tryvox.io/errors/ + its `code` with - for _",
    applies=lambda ex, contract: _problem(ex, contract) and isinstance(ex.body.get("code"), str),
)
def _problem_type(ex: Exchange, contract: Contract) -> Violation | None:
    problem = ex.body
    expected = ERRORS_BASE + problem["code"].replace("_", "-")
    if "type" in problem and problem["type"] != expected:
        return Violation(Rule.PROBLEM_TYPE, f"type {expected}", repr(problem["type"]))
    return None


@invariant(
    Rule.PROBLEM_CODE,
    reads=EXCHANGE,
    source=f"{SPEC} each error response's code enum and examples",
    promise="a problem's `code` is one the spec documents for that operation and status",
    applies=lambda ex, contract: _problem(ex, contract) and (ex.operation, ex.status) in contract.codes,
)
def _problem_code(ex: Exchange, contract: Contract) -> Violation | None:
    documented = contract.codes[(ex.operation, ex.status)]
    if ex.body.get("code") not in documented:
        return Violation(Rule.PROBLEM_CODE, f"one of {sorted(documented)} for {ex.status}", repr(ex.body.get("code")))
    return None


def _titled(ex: Exchange, contract: Contract) -> bool:
    code = ex.body.get("code") if _problem(ex, contract) else None
    return isinstance(code, str) and code in contract.titles


@invariant(
    Rule.PROBLEM_TITLE,
    reads=EXCHANGE,
    source=f"RFC 9457 §3.1.2; {SPEC} Problem.title and the problem examples",
    promise="a problem's `title` is the one documented for its `code`",
    applies=_titled,
)
def _problem_title(ex: Exchange, contract: Contract) -> Violation | None:
    title = contract.titles[ex.body["code"]]
    if ex.body.get("title") != title:
        return Violation(Rule.PROBLEM_TITLE, repr(title), repr(ex.body.get("title")))
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


@invariant(
    Rule.VALIDATION_ERRORS,
    reads=EXCHANGE,
    source=f"{SPEC} info.description (Errors), FieldError.pointer, the 422 examples",
    promise="a 422 lists each offending field, as a JSON pointer into the request body",
    applies=lambda ex, contract: ex.status == 422 and _problem(ex, contract),
)
def _validation_errors(ex: Exchange, contract: Contract) -> Violation | None:
    errors = ex.body.get("errors")
    if not isinstance(errors, list) or not errors:
        return Violation(Rule.VALIDATION_ERRORS, "a non-empty `errors` list", repr(errors))
    if ex.request is NO_BODY:
        return None
    for error in errors:
        pointer = error.get("pointer") if isinstance(error, dict) else None
        if not isinstance(pointer, str) or not _parent_exists(ex.request, pointer):
            return Violation(Rule.VALIDATION_ERRORS, "pointers into the request body", repr(pointer))
    return None


@invariant(
    Rule.AUTH_CHALLENGE,
    reads=EXCHANGE,
    source=f"RFC 9110 §15.5.2; {SPEC} Unauthorized.headers.WWW-Authenticate (required)",
    promise="a 401 carries a WWW-Authenticate Bearer challenge",
    applies=lambda ex, contract: ex.status == 401,
)
def _auth_challenge(ex: Exchange, contract: Contract) -> Violation | None:
    challenge = ex.headers.get("www-authenticate", "")
    if not challenge.lower().startswith("bearer"):
        return Violation(Rule.AUTH_CHALLENGE, "WWW-Authenticate: Bearer ...", repr(challenge or None))
    return None


def _int_header(ex: Exchange, name: str) -> int | None:
    value = ex.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


@invariant(
    Rule.RATE_LIMIT_REMAINING,
    reads=EXCHANGE,
    source=f"{SPEC} components.headers RateLimit-Limit / RateLimit-Remaining",
    promise="RateLimit-Remaining never exceeds RateLimit-Limit, and is 0 on a 429",
    applies=lambda ex, contract: _int_header(ex, "ratelimit-remaining") is not None,
)
def _rate_limit_remaining(ex: Exchange, contract: Contract) -> Violation | None:
    limit, remaining = _int_header(ex, "ratelimit-limit"), _int_header(ex, "ratelimit-remaining")
    assert remaining is not None  # the rule applies only when it is there
    if limit is not None and remaining > limit:
        return Violation(Rule.RATE_LIMIT_REMAINING, f"RateLimit-Remaining <= {limit}", str(remaining))
    if ex.status == 429 and remaining != 0:
        return Violation(Rule.RATE_LIMIT_REMAINING, "RateLimit-Remaining 0 on a 429", str(remaining))
    return None


_echoing = _success(ECHOES)


def _echoes(ex: Exchange, contract: Contract) -> bool:
    key = ECHOES.get(ex.operation)
    return key is not None and _echoing(ex, contract) and isinstance(ex.request, dict) and key in ex.request


@invariant(
    Rule.ECHO,
    reads=EXCHANGE,
    source=f"{DOCS}: each example response repeats the request's to / url / text / digits",
    promise="transfer, play, speak and DTMF answers repeat the value sent (to, url, text, digits)",
    applies=_echoes,
)
def _echo(ex: Exchange, contract: Contract) -> Violation | None:
    key = ECHOES[ex.operation]
    if ex.body.get(key) != ex.request[key]:
        return Violation(Rule.ECHO, f"{key} {ex.request[key]!r} as sent", repr(ex.body.get(key)))
    return None


@invariant(
    Rule.RECORDING_FORMAT,
    reads=EXCHANGE,
    source=f"{DOCS} Start Recording (format, default mp3); {SPEC} RecordRequest.format.default",
    promise="start recording answers the format sent, or the spec's default when none was sent",
    applies=_success(["startRecording"]),
)
def _recording_format(ex: Exchange, contract: Contract) -> Violation | None:
    sent = ex.request if isinstance(ex.request, dict) else {}
    expected = sent.get("format", contract.defaults.get("startRecording", {}).get("format"))
    if expected is not None and ex.body.get("format") != expected:
        return Violation(Rule.RECORDING_FORMAT, f"format {expected!r}", repr(ex.body.get("format")))
    return None


def _stopped(ex: Exchange, contract: Contract) -> bool:
    return ex.operation == "stopRecording" and ex.status == 200 and isinstance(ex.body, dict)


@invariant(
    Rule.RECORDING_URL,
    reads=EXCHANGE,
    source=f"{DOCS} Stop Recording example (url = https://recordings.tryvox.io/<recording_uuid>.mp3)",
    promise="a stopped recording's URL names that recording: its file is <recording_uuid>.<format>",
    applies=lambda ex, contract: (
        _stopped(ex, contract)
        and isinstance(ex.body.get("url"), str)
        and isinstance(ex.body.get("recording_uuid"), str)
    ),
)
def _recording_url(ex: Exchange, contract: Contract) -> Violation | None:
    url, rec = ex.body["url"], ex.body["recording_uuid"]
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if name.rsplit(".", 1)[0] != rec:
        return Violation(Rule.RECORDING_URL, f"a URL whose file is {rec}.<format>", repr(url))
    return None


_acting = _success(ACTION_IDS)


@invariant(
    Rule.NEW_ACTION_ID,
    reads=EXCHANGE,
    source=f"{DOCS}: every action answers its own *_uuid",
    promise="an action's new id is not the call's id",
    applies=lambda ex, contract: _acting(ex, contract) and ex.call_uuid is not None,
)
def _new_action_id(ex: Exchange, contract: Contract) -> Violation | None:
    key = ACTION_IDS[ex.operation]
    assert ex.call_uuid is not None
    if str(ex.body.get(key, "")).lower() == ex.call_uuid.lower():
        return Violation(Rule.NEW_ACTION_ID, f"{key} other than the call's id", repr(ex.body.get(key)))
    return None


ON_EXCHANGES = reading(EXCHANGE)


def exchange_violations(ex: Exchange, contract: Contract, checked: Counter[str] | None = None) -> list[Violation]:
    """Every invariant of one exchange that `ex` breaks; `checked` counts the invariants that applied to it."""
    found = []
    for inv in ON_EXCHANGES:
        if inv.applies(ex, contract):
            if checked is not None:
                checked[inv.rule] += 1
            if (violation := inv.check(ex, contract)) is not None:
                found.append(violation)
    return found
