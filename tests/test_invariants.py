"""tryvox_sim/contract/invariants/: each invariant holds on a good exchange and names itself on a broken one; the state
rules and the run-wide rules assert only what they saw; the spec's own examples keep every invariant; answers
given from those examples are never remembered; the simulator's self-check runs them all."""

import dataclasses
import tracemalloc
from collections import Counter

import orjson
import pytest

from tryvox_sim.contract.invariants import (
    ACTION_IDS,
    INVARIANTS,
    MAX_IDS,
    NO_BODY,
    CallMemory,
    Contract,
    Exchange,
    Invariant,
    Observer,
    Rule,
    RunMemory,
    Scope,
    exchange_violations,
    invariant,
)
from tryvox_sim.sim.app import SelfCheckError
from tryvox_sim.testing import shared_spec, simulated_api

CALL = "650e8400-e29b-41d4-a716-446655440000"
REC = "950e8400-e29b-41d4-a716-446655440000"
OTHER = "a50e8400-e29b-41d4-a716-446655440000"
THIRD = "b50e8400-e29b-41d4-a716-446655440000"
OTHER_CALL = "750e8400-e29b-41d4-a716-446655440000"
JSON = {"content-type": "application/json"}
CONTRACT = Contract.from_spec(shared_spec())


def problem(status: int, code: str, title: str, **extra) -> dict:
    return {"type": "https://docs.tryvox.io/errors/" + code.replace("_", "-"), "title": title, "status": status,
            "code": code, **extra}  # fmt: skip


def ex(operation="sendDtmf", request=None, status=202, body=None, headers=None, call=CALL) -> Exchange:
    return Exchange(operation, call, NO_BODY if request is None else request, status, headers or {}, body)


def names(exchange: Exchange) -> list[str]:
    return [violation.rule for violation in exchange_violations(exchange, CONTRACT)]


NOT_IN_PROGRESS = problem(409, "call_not_in_progress", "Call not in progress")
DIGITS = {"digits": "12#"}
BAD = [{"pointer": "/digits", "message": "bad"}]
GOOD = [
    ex(request=DIGITS, body={"dtmf_uuid": REC, "status": "sent", "digits": "12#"}),
    ex(status=409, body=NOT_IN_PROGRESS),
    ex("startRecording", {}, 202, {"recording_uuid": REC, "status": "recording", "format": "mp3"}),
    ex("startRecording", NO_BODY, 202, {"recording_uuid": REC, "status": "recording", "format": "mp3"}),
    ex("startRecording", {"format": "wav"}, 202, {"recording_uuid": REC, "status": "recording", "format": "wav"}),
    ex(
        "stopRecording",
        status=200,
        body={
            "recording_uuid": REC,
            "status": "stopped",
            "duration": 3,
            "url": f"https://recordings.tryvox.io/{REC}.wav",
        },
    ),  # fmt: skip
    ex(
        request={"digits": "1x"},
        status=422,
        body=problem(422, "validation_failed", "Validation failed", errors=[{"pointer": "/digits", "message": "bad"}]),
    ),  # fmt: skip
    ex(
        request={},
        status=422,
        body=problem(
            422, "validation_failed", "Validation failed", errors=[{"pointer": "/digits", "message": "required"}]
        ),
    ),  # fmt: skip
    ex(status=401, body=problem(401, "unauthorized", "Unauthorized"), headers={"www-authenticate": "Bearer x"}),
    ex(
        status=429,
        body=problem(429, "rate_limited", "Too many requests"),
        headers={"ratelimit-limit": "5", "ratelimit-remaining": "0", "retry-after": "1"},
    ),  # fmt: skip
    ex(status=500, body=problem(500, "internal_error", "Internal error")),  # undocumented: no code to compare
]
BROKEN = [
    ("problem-status", dataclasses.replace(GOOD[1], body={**NOT_IN_PROGRESS, "status": 400})),
    ("problem-type", dataclasses.replace(GOOD[1], body={**NOT_IN_PROGRESS, "type": "about:blank"})),
    ("problem-code", dataclasses.replace(GOOD[1], body=problem(409, "no_active_recording", "No active recording"))),
    ("problem-title", dataclasses.replace(GOOD[1], body={**NOT_IN_PROGRESS, "title": "Nope"})),
    ("validation-errors", dataclasses.replace(GOOD[6], body={**GOOD[6].body, "errors": []})),
    ("validation-errors", dataclasses.replace(GOOD[6], body={**GOOD[6].body, "errors": [{"pointer": "/a/b"}]})),
    ("auth-challenge", dataclasses.replace(GOOD[8], headers={})),
    ("rate-limit-remaining", dataclasses.replace(GOOD[9], headers={"ratelimit-remaining": "2"})),
    (
        "rate-limit-remaining",
        dataclasses.replace(GOOD[0], headers={"ratelimit-limit": "1", "ratelimit-remaining": "2"}),
    ),
    ("echo", dataclasses.replace(GOOD[0], body={**GOOD[0].body, "digits": "1"})),
    ("recording-format", dataclasses.replace(GOOD[2], body={**GOOD[2].body, "format": "wav"})),
    ("recording-format", dataclasses.replace(GOOD[4], body={**GOOD[4].body, "format": "mp3"})),
    ("recording-url", dataclasses.replace(GOOD[5], body={**GOOD[5].body, "url": "https://recordings.tryvox.io/a.wav"})),
    ("new-action-id", dataclasses.replace(GOOD[0], body={**GOOD[0].body, "dtmf_uuid": CALL})),
]


@pytest.mark.parametrize("exchange", GOOD, ids=range(len(GOOD)))
def test_a_good_exchange_keeps_every_invariant(exchange):
    assert names(exchange) == []


@pytest.mark.parametrize(("rule", "exchange"), BROKEN, ids=[f"{rule}-{i}" for i, (rule, _) in enumerate(BROKEN)])
def test_a_broken_exchange_names_its_invariant(rule, exchange):
    assert names(exchange) == [rule]
    [violation] = exchange_violations(exchange, CONTRACT)
    assert violation.rule is Rule(rule)  # an id, compared as a value
    assert violation.expected and violation.got and str(violation).startswith(f"{rule}: expected ")


def test_every_rule_is_proved_broken_here_and_has_a_source():
    assert {rule for rule, _ in BROKEN} == {rule for rule, inv in INVARIANTS.items() if inv.reads is Scope.EXCHANGE}
    for inv in INVARIANTS.values():
        assert inv.source and inv.promise


def test_every_invariant_is_declared_one_way_in_the_order_of_its_ids():
    assert len(INVARIANTS) == 24 and all(isinstance(inv, Invariant) for inv in INVARIANTS.values())
    assert all(rule is inv.rule and callable(inv.applies) and callable(inv.check) for rule, inv in INVARIANTS.items())
    assert list(INVARIANTS) == [rule for rule in Rule if rule in INVARIANTS]  # one order: the ids'
    scopes = [inv.reads for inv in INVARIANTS.values()]
    assert scopes == sorted(scopes, key=list(Scope).index)  # one exchange, then a call's history, then the run
    assert [scopes.count(scope) for scope in Scope] == [11, 9, 4]
    with pytest.raises(ValueError, match="declared twice"):
        invariant(Rule.ECHO, reads=Scope.EXCHANGE, source="", promise="", applies=lambda ex, contract: True)(
            lambda: None
        )


def test_each_rule_counts_only_the_exchanges_it_looks_at():
    checked: Counter[str] = Counter()
    for exchange in GOOD:
        assert exchange_violations(exchange, CONTRACT, checked) == []
    problems = 6  # the 409, the two 422s, the 401, the 429 and the 500
    assert checked == {
        "problem-status": problems, "problem-type": problems,
        "problem-code": problems - 1, "problem-title": problems - 1,  # the 500 is not documented: nothing to compare
        "validation-errors": 2, "auth-challenge": 1, "rate-limit-remaining": 1, "echo": 1,
        "recording-format": 3, "recording-url": 1, "new-action-id": 5,
    }  # fmt: skip


def test_the_contract_is_read_from_the_spec():
    assert CONTRACT.codes[("startRecording", 409)] == {"call_not_in_progress", "recording_already_running"}
    assert CONTRACT.codes[("transferCall", 422)] == {"validation_failed", "caller_id_not_owned"}
    assert CONTRACT.titles["no_active_recording"] == "No active recording"
    assert CONTRACT.defaults["startRecording"]["format"] == "mp3"
    spec = shared_spec()
    for op in spec.operations.values():
        if op.source == "actions":  # every documented error status has its codes
            assert {s for s in op.responses if s >= 400} == {s for (o, s) in CONTRACT.codes if o == op.op_id}


def test_the_specs_own_problem_examples_keep_every_invariant():
    doc = shared_spec().actions_doc
    for name, response in doc["components"]["responses"].items():
        content = response.get("content", {}).get("application/problem+json")
        for example in (content or {}).get("examples", {}).values():
            body = example["value"]
            operations = [op for (op, status), codes in CONTRACT.codes.items() if body["code"] in codes]
            exchange = ex(operations[0], status=body["status"], body=body, headers={"www-authenticate": "Bearer"})
            assert names(exchange) == [], (name, body)


# -- the state of each call


def memory() -> CallMemory:
    clock = [1000.0]
    mem = CallMemory(CONTRACT, now=lambda: clock[0])
    mem.clock = clock  # type: ignore[attr-defined]  # tests move it
    return mem


def start(mem, request=None, rec=REC, fmt="mp3", status=202, call=CALL):
    body = {"recording_uuid": rec, "status": "recording", "format": fmt} if status == 202 else None
    return [b.rule for b in mem.observe(ex("startRecording", request or {}, status, body, call=call))]


def stop(mem, rec=REC, url=None, duration=0, status=200, code=None, call=CALL):
    if status == 200:
        body = {"recording_uuid": rec, "status": "stopped", "duration": duration,
                "url": url or f"https://recordings.tryvox.io/{rec}.mp3"}  # fmt: skip
    else:
        body = problem(409, code or "no_active_recording", "x")
    return [b.rule for b in mem.observe(ex("stopRecording", status=status, body=body, call=call))]


def test_nothing_seen_means_nothing_asserted():
    mem = memory()
    assert stop(mem) == []  # a recording started before the memory began: fine
    assert start(mem) == [] and start(mem, call="750e8400-e29b-41d4-a716-446655440000") == []


def test_stop_names_the_recording_last_started():
    mem = memory()
    assert start(mem) == []
    assert stop(mem, rec="a50e8400-e29b-41d4-a716-446655440000") == ["stop-names-recording"]


def test_a_stop_right_after_a_stop_is_a_conflict():
    mem = memory()
    start(mem)
    assert stop(mem) == []
    assert stop(mem) == ["stop-after-stop"]
    assert stop(mem, status=409) == []
    mem = memory()
    assert stop(mem, status=409) == [] and stop(mem) == ["stop-after-stop"]  # a 409 shows nothing runs


def test_a_start_while_recording_is_a_conflict_until_max_length_may_have_passed():
    mem = memory()
    assert start(mem, {"max_length": 10}) == []
    assert start(mem, rec="b50e8400-e29b-41d4-a716-446655440000") == ["start-while-recording"]
    mem = memory()
    start(mem, {"max_length": 10})
    mem.clock[0] += 10  # it may have stopped by itself
    assert start(mem) == []


def test_unseen_changes_make_the_state_unknown_not_a_breach():
    mem = memory()
    start(mem)
    mem.clock_moved()  # the simulator's clock was advanced: max_length may have passed
    assert start(mem, rec="b50e8400-e29b-41d4-a716-446655440000") == []
    mem = memory()
    start(mem)
    mem.observe(ex("transferCall", {"to": "+15005550002"}, 202, {"transfer_uuid": REC, "status": "transferring"}))
    assert start(mem, rec="b50e8400-e29b-41d4-a716-446655440000") == []


def test_the_url_and_duration_follow_the_start():
    mem = memory()
    start(mem, {"format": "wav", "max_length": 30}, fmt="wav")
    mem.clock[0] += 40
    assert stop(mem, url=f"https://recordings.tryvox.io/{REC}.mp3", duration=31) == ["stop-url-format", "stop-duration"]


def test_a_call_seen_completed_refuses_actions():
    mem = memory()
    mem.call_seen(CALL, "completed")
    assert [b.rule for b in mem.observe(GOOD[0])] == ["completed-call"]
    assert mem.observe(GOOD[1]) == []  # the 409 is right


def test_the_memory_counts_the_situations_it_checked():
    mem, checked = memory(), Counter()

    def send(operation, status, body=None, request=None):
        return mem.observe(ex(operation, request or {}, status, body), checked)

    rec = {"recording_uuid": REC, "status": "recording", "format": "mp3"}
    stopped = {"recording_uuid": REC, "status": "stopped", "duration": 1, "url": f"https://r.example/{REC}.mp3"}
    conflict = problem(409, "recording_already_running", "Recording already running")
    assert send("startRecording", 202, rec) == [] and send("startRecording", 409, conflict) == []
    assert send("stopRecording", 200, stopped) == []
    assert send("stopRecording", 409, problem(409, "no_active_recording", "No active recording")) == []
    mem.call_seen(CALL, "completed")
    assert send("sendDtmf", 409, NOT_IN_PROGRESS) == []
    assert checked == {
        "start-while-recording": 1, "stop-names-recording": 1, "stop-url-format": 1, "stop-duration": 1,
        "stop-duration-elapsed": 1, "stop-after-stop": 1, "completed-call": 1,
    }  # fmt: skip


def test_the_observer_counts_what_it_checked_and_what_broke():
    observer = Observer(shared_spec())
    path = f"/v1/voice/accounts/sim_account/calls/{CALL}/dtmf"
    answer = b'{"dtmf_uuid": "%s", "status": "sent", "digits": "1"}'
    json = {"content-type": "application/json"}
    assert observer.observe("POST", path, b'{"digits": "1"}', 202, json, answer % REC.encode()) == []
    [violation] = observer.observe("POST", path, b'{"digits": "2"}', 202, json, answer % OTHER.encode())
    assert violation.rule == "echo"
    assert observer.checked["echo"] == 2 and observer.checked["new-action-id"] == 2
    assert observer.broken == {"echo": 1}


def test_the_memory_is_bounded():
    mem = memory()
    mem.max_calls = 3
    for i in range(10):
        start(mem, call=f"00000000-0000-4000-8000-{i:012d}")
    assert len(mem.calls) == 3


def test_a_stopped_recording_lasts_no_longer_than_since_its_start_was_sent():
    mem = memory()
    start(mem)
    mem.clock[0] += 2.5
    assert stop(mem, duration=4) == ["stop-duration-elapsed"]  # 2.5 s, and 1 s for rounding
    start(mem)
    mem.clock[0] += 2.5
    assert stop(mem, duration=3) == []
    start(mem)
    mem.clock_moved()  # the simulator's clock was advanced: how long it ran is unknown
    assert stop(mem, duration=3600) == []


# -- across channels: the call details and the webhooks hold what the API answered


def details(rec=REC, status="stopped", url=None, duration=3, recordings=None) -> dict:
    listed = {"recording_uuid": rec, "status": status, "url": url or f"https://recordings.tryvox.io/{rec}.mp3",
              "duration": duration}  # fmt: skip
    return {"call_uuid": CALL, "status": "completed", "recordings": [listed] if recordings is None else recordings}


def test_the_call_details_list_the_recording_as_the_stop_answered_it_for_30_days():
    mem = memory()
    assert mem.details(details(duration=7)) == []  # no stop seen: nothing to hold them to
    start(mem)
    mem.clock[0] += 3
    assert stop(mem, duration=3) == []
    checked = Counter()
    assert mem.details(details(), checked) == [] and checked == {"recording-details": 1}
    assert mem.details(details(rec=REC.upper(), url=f"https://recordings.tryvox.io/{REC}.mp3")) == []  # any case
    for changed in (details(duration=2), details(url="https://cdn.tryvox.io/x.mp3"), details(status="recording"),
                    details(recordings=[])):  # fmt: skip
        [violation] = mem.details(changed)
        assert violation.rule == "recording-details", changed
    mem.clock[0] += 30 * 86400
    assert mem.details(details(recordings=[])) == []  # its 30 days have passed
    assert [b.rule for b in mem.details(details(duration=2))] == ["recording-details"]  # listed: as answered
    mem = memory()
    start(mem)
    stop(mem)
    mem.clock_moved()  # the simulator's clock jumped, maybe past the 30 days
    assert mem.details(details(recordings=[])) == []


def test_the_transfer_answered_webhook_names_the_transfer_last_accepted_on_its_call():
    mem = memory()
    event = {"transfer_uuid": OTHER, "call_uuid": CALL, "to": "+15005550001", "status": "answered"}
    assert mem.transfer_answered(event) == []  # no transfer seen on the call
    for transfer in (REC, OTHER):  # the first failed (busy), the second was answered
        accepted = {"transfer_uuid": transfer, "status": "transferring", "to": "+15005550001"}
        mem.observe(ex("transferCall", {"to": "+15005550001"}, 202, accepted))
    checked = Counter()
    assert mem.transfer_answered(event, checked) == [] and checked == {"transfer-webhook": 1}
    for changed in ({**event, "transfer_uuid": REC}, {**event, "to": "+15005550002"}):
        [violation] = mem.transfer_answered(changed)
        assert violation.rule == "transfer-webhook" and OTHER in violation.expected


# -- across the run: action ids, rate-limit windows


def run_memory(max_ids: int = MAX_IDS) -> RunMemory:
    clock = [1000.0]
    mem = RunMemory(lambda: clock[0], max_ids)
    mem.clock = clock  # type: ignore[attr-defined]  # tests move it
    return mem


def act(mem, operation="sendDtmf", uuid=REC, call=CALL, headers=None, token="Bearer a", sent=None) -> list[str]:
    exchange = ex(operation, {}, 200 if operation == "stopRecording" else 202, {ACTION_IDS[operation]: uuid},
                  headers, call)  # fmt: skip
    return [b.rule for b in mem.observe(exchange, token, mem.clock[0] if sent is None else sent, Counter())]


def test_an_action_id_is_answered_for_one_action_only():
    mem = run_memory()
    assert act(mem, "sendDtmf", REC) == []
    assert act(mem, "playAudio", REC, call=OTHER_CALL) == ["fresh-action-id"]  # another action on another call
    assert act(mem, "sendDtmf", REC.upper()) == ["fresh-action-id"]  # another DTMF, the same id in capitals
    assert act(mem, "startRecording", OTHER) == [] and act(mem, "stopRecording", OTHER) == []  # its stop names it
    assert act(mem, "stopRecording", OTHER, call=OTHER_CALL) == ["fresh-action-id"]  # another call's recording
    assert act(mem, "stopRecording", REC) == ["fresh-action-id"]  # the DTMF's id
    assert act(mem, "stopRecording", THIRD) == []  # a recording started before the run: learned from its stop
    assert act(mem, "startRecording", THIRD) == ["fresh-action-id"]  # a new recording with that id
    refused = ex("sendDtmf", {}, 409, NOT_IN_PROGRESS)
    assert mem.observe(refused, "Bearer a", 1000.0, Counter()) == []
    [violation] = mem.observe(ex(body={"dtmf_uuid": REC}), "Bearer a", 1000.0, Counter())
    assert str(violation) == (f"fresh-action-id: expected a new dtmf_uuid, got {REC}, answered before as dtmf_uuid on "
                           f"call {CALL}")  # fmt: skip


def test_the_run_wide_memory_forgets_the_oldest_ids_past_its_limit():
    mem = run_memory(max_ids=3)
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(5)]
    assert all(act(mem, uuid=uuid) == [] for uuid in ids)
    assert len(mem.ids) == len(mem.order) == 3
    assert act(mem, uuid=ids[0]) == []  # forgotten
    assert act(mem, uuid=ids[4]) == ["fresh-action-id"]
    assert MAX_IDS == 50_000


def test_a_remembered_id_holds_170_bytes_or_so():
    """MAX_IDS is stated with its memory (8.1 MiB): an id, its share of the dict (grown by the evictions' empty slots)
    and of the queue, and the string naming its action, shared by every id of the call. Measured on an eighth of
    the limit, whose dict has the same proportions, so that it is quick."""
    size = MAX_IDS // 8
    mem, body = run_memory(max_ids=size), {"dtmf_uuid": ""}
    exchange = ex(body=body)
    tracemalloc.start()
    try:
        for i in range(3 * size):  # the memory full, then each new id evicting the oldest
            body["dtmf_uuid"] = f"00000000-0000-4000-8000-{i:012d}"
            assert mem.observe(exchange, None, 1000.0, Counter()) == []
        held = tracemalloc.get_traced_memory()[0] / size
    finally:
        tracemalloc.stop()
    assert len(mem.ids) == size and 150 <= held <= 190, held


def limits(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": str(reset)}


@pytest.mark.parametrize(
    ("first", "second", "after", "sent", "expected"),
    [
        ((5, 4, 60), (5, 3, 59), 1, 0, []),  # one request later, a second later
        ((5, 4, 60), (5, 0, 60), 0, 0, []),  # others in between (sent elsewhere): fewer left still
        ((1, 0, 60), (1, 0, 60), 0, 0, []),  # 429s: nothing left, still nothing
        ((5, 4, 60), (6, 3, 60), 0, 0, ["rate-limit-constant"]),
        ((5, 4, 60), (5, 4, 60), 0, 0, ["rate-limit-decreasing"]),
        ((5, 2, 60), (5, 3, 60), 0, 0, ["rate-limit-decreasing"]),
        ((5, 4, 60), (5, 3, 61), 0, 0, ["rate-limit-reset"]),  # the window's end moved later
        ((5, 4, 60), (5, 3, 30), 10, 0, ["rate-limit-reset"]),  # ... or 20 s sooner than the first answer gave it
        ((5, 4, 60), (5, 5, 60), 58.96, 0, []),  # the window may have ended: a new one
        ((5, 4, 1), (5, 4, 1), 0, 0, []),  # windows of a second: never the same for sure
        ((5, 4, 60), (5, 4, 60), 1, -1.5, []),  # sent before the first was answered: counted in either order
    ],
)
def test_rate_limit_headers_within_one_window_of_a_token(first, second, after, sent, expected):
    mem = run_memory()
    assert act(mem, uuid=REC, headers=limits(*first)) == []
    mem.clock[0] += after
    assert act(mem, uuid=OTHER, headers=limits(*second), sent=mem.clock[0] + sent) == expected


def per_second(mem, answers) -> list[list[str]]:
    """Answers of one token with one-second windows (RateLimit-Reset 1), each (seconds after the first, Limit,
    Remaining); the rules each broke."""
    start, found = mem.clock[0], []
    for number, (at, limit, remaining) in enumerate(answers):
        mem.clock[0] = start + at
        found.append(act(mem, uuid=f"00000000-0000-4000-8000-{number:012d}", headers=limits(limit, remaining, 1)))
    return found


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # counted down, a window ends at 1 s, counted down again: the answers after the end are held to its window
        ([(0, 5, 4), (0.3, 5, 3), (0.6, 5, 2), (1.1, 5, 4), (1.3, 5, 3), (1.5, 5, 2)], [[]] * 6),
        # never counted down: a window cannot end twice within a second
        ([(0, 5, 4), (0.2, 5, 4), (0.4, 5, 4)], [[], [], ["rate-limit-decreasing"]]),
        ([(0, 5, 4), (0.2, 6, 3), (0.4, 5, 2)], [[], [], ["rate-limit-constant"]]),
        # two ends more than a second apart, or answers in flight together: nothing known
        ([(0, 5, 4), (0.2, 5, 4), (1.3, 5, 4)], [[], [], []]),
    ],
)
def test_windows_of_a_second_hold_the_answers_after_a_window_ended(answers, expected):
    assert per_second(run_memory(), answers) == expected


def test_windows_of_a_second_are_checked_after_an_end_and_the_message_says_why():
    mem, checked = run_memory(), Counter()
    for at, remaining in ((0, 4), (0.3, 3), (0.9, 4), (1.1, 4)):
        mem.clock[0] = 1000.0 + at
        found = mem.observe(ex(headers=limits(5, remaining, 1)), "Bearer a", mem.clock[0], checked)
    assert checked["rate-limit-decreasing"] == 1  # the one answer after the end, within its second
    [violation] = found
    assert str(violation) == (
        "rate-limit-decreasing: expected RateLimit-Remaining at most 3 (4 earlier in the window: a window lasts a "
        "second at least, and one had just ended), got 4"
    )


def test_each_token_has_its_own_window_and_a_clock_jump_ends_them_all():
    mem = run_memory()
    assert act(mem, uuid=REC, headers=limits(5, 4, 60)) == []
    assert act(mem, uuid=OTHER, headers=limits(5, 4, 60), token="Bearer b") == []
    mem.clock_moved()
    assert act(mem, uuid=THIRD, headers=limits(5, 4, 60)) == []
    assert len(mem.windows) == 1  # the one window learned since the jump


def test_answers_given_from_the_specs_examples_are_never_remembered():
    observer = Observer(shared_spec())
    path = f"/v1/voice/accounts/sim_account/calls/{CALL}"
    example = {"recording_uuid": REC, "status": "recording", "format": "mp3"}  # the docs' example, every time
    for mark in ({"preference-applied": "code=202"}, {"tvx-sim-fault": "f1"}):
        for _ in range(2):
            assert observer.observe("POST", path + "/record", b"{}", 202, JSON | mark, orjson.dumps(example)) == []
    unmarked = Observer(shared_spec())  # the same answers, unmarked: a stub answering the examples
    assert unmarked.observe("POST", path + "/record", b"{}", 202, JSON, orjson.dumps(example)) == []
    again = unmarked.observe("POST", path + "/record", b"{}", 202, JSON, orjson.dumps(example))
    assert [b.rule for b in again] == ["start-while-recording", "fresh-action-id"]
    real = {**example, "recording_uuid": OTHER}
    assert observer.observe("POST", path + "/record", b"{}", 202, JSON, orjson.dumps(real)) == []  # nothing ran
    assert observer.observe("POST", path + "/dtmf", b'{"digits": "1"}', 202, JSON, b'{"dtmf_uuid": "%s", "status": '
                            b'"sent", "digits": "1"}' % REC.encode()) == []  # fmt: skip


def test_a_seeded_simulator_started_again_repeats_its_ids_and_is_seen_to_start_over():
    """One observer in front of two simulators started with the same seed, one after the other (a proxy whose
    upstream restarted): the same ids come again, for a new call, and nothing is taken for a broken promise."""
    observer, answers = Observer(shared_spec()), []

    def check(response):
        response.read()
        request, headers = response.request, {name: value for name, value in response.headers.items()}
        found = observer.observe(request.method, request.url.path, request.content, response.status_code, headers,
                                 response.content, authorization=request.headers.get("authorization"))  # fmt: skip
        assert found == []

    for _ in range(2):
        with simulated_api(seed=7) as sim:
            sim.http.event_hooks = {"response": [check]}
            call, auth = sim.new_call(), {"Authorization": f"Bearer {sim.token}"}
            answers.append([call] + [sim.http.post(sim.path(action, call), json=body, headers=auth).json()
                                     for action, body in (("dtmf", {"digits": "1"}), ("record", {}))])  # fmt: skip
    assert answers[0] == answers[1]


# -- the simulator's self-check runs them on every answer it gives


def test_the_self_check_refuses_an_answer_that_breaks_an_invariant():
    with simulated_api() as sim:
        real = sim.app.handlers["sendDtmf"]
        sim.app.handlers["sendDtmf"] = lambda *args, **body: {**real(*args, **body), "digits": "0"}
        with pytest.raises(SelfCheckError, match="invariant echo: expected digits '12' as sent"):
            sim.http.post(sim.path("dtmf"), json={"digits": "12"}, headers={"Authorization": f"Bearer {sim.token}"})


def test_the_self_check_follows_the_call_state():
    with simulated_api() as sim:
        auth = {"Authorization": f"Bearer {sim.token}"}
        assert sim.http.post(sim.path("record"), headers=auth).status_code == 202
        real = sim.app.handlers["stopRecording"]
        sim.app.handlers["stopRecording"] = lambda *args: {**real(*args), "recording_uuid": REC}
        with pytest.raises(SelfCheckError, match="invariant stop-names-recording"):
            sim.http.delete(sim.path("record"), headers=auth)


def test_the_self_check_refuses_an_id_answered_for_a_second_action():
    with simulated_api() as sim:
        real = sim.app.handlers["sendDtmf"]
        sim.app.handlers["sendDtmf"] = lambda *args, **body: {**real(*args, **body), "dtmf_uuid": REC}
        auth = {"Authorization": f"Bearer {sim.token}"}
        assert sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers=auth).status_code == 202
        with pytest.raises(SelfCheckError, match="invariant fresh-action-id: expected a new dtmf_uuid"):
            sim.http.post(sim.path("dtmf"), json={"digits": "2"}, headers=auth)


def test_the_self_check_holds_the_call_details_and_its_webhooks_to_its_answers():
    with simulated_api() as sim:
        auth = {"Authorization": f"Bearer {sim.token}"}
        real_stop = sim.app.handlers["stopRecording"]
        sim.app.handlers["stopRecording"] = lambda *args: {**real_stop(*args), "duration": 1}
        assert sim.http.post(sim.path("record"), headers=auth).status_code == 202
        assert sim.http.delete(sim.path("record"), headers=auth).json()["duration"] == 1  # 0 s in truth
        with pytest.raises(SelfCheckError, match="invariant recording-details"):
            sim.call()
        real_transfer = sim.app.handlers["transferCall"]
        sim.app.handlers["transferCall"] = lambda *args, **body: {**real_transfer(*args, **body), "transfer_uuid": REC}
        call = sim.new_call()
        answered = {"to": "+15005550001", "answer_url": "https://example.com/answered"}
        assert sim.http.post(sim.path("transfer", call), json=answered, headers=auth).status_code == 202
        with pytest.raises(SelfCheckError, match="transferAnswered webhook: invariant transfer-webhook"):
            sim.clock.advance(2)  # the destination answers: the webhook names the transfer the domain made


def test_the_self_check_follows_each_tokens_rate_limit_window():
    with simulated_api(rate_limit="5/min") as sim:  # the manual clock starts at a whole minute: Reset 60
        real = sim.app.limiter.check

        def never_counted(*args):
            allowed, headers = real(*args)
            return allowed, [(name, "4" if name == "RateLimit-Remaining" else value) for name, value in headers]

        sim.app.limiter.check = never_counted
        auth = {"Authorization": f"Bearer {sim.token}"}
        assert sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers=auth).status_code == 202
        with pytest.raises(
            SelfCheckError, match="invariant rate-limit-decreasing: expected RateLimit-Remaining at most 3"
        ):
            sim.http.post(sim.path("dtmf"), json={"digits": "1"}, headers=auth)
