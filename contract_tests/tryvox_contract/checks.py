"""The API's cross-field invariants (tryvox_sim/contract/invariants/) as schemathesis checks, one per invariant.

Registered when schemathesis loads tryvox_contract.hooks (tryvox-contract) or tryvox_contract.conftest
(pytest contract_tests), so they run on every response of every phase and fail under their own names
(`tvx_problem_status`, `tvx_stop_after_stop`, `tvx_fresh_action_id`, ...). The state rules follow each call,
and the run-wide rules the ids and rate-limit windows, across the run (each request's send time is its answer's
time less its elapsed time).
The behaviour tests run the same invariants through their client (conftest.py), whose hook
also writes each exchange to the run's journal (journal.py). Each process journals, when it
ends, how many answers each invariant was checked on and broken by (the coverage report adds them up).
"""

from __future__ import annotations

import atexit
import os
import time
from functools import cache
from urllib.parse import urlsplit

import httpx
import schemathesis

from tryvox_contract import journal, live_call, spec_file
from tryvox_contract.polite import PoliteTransport
from tryvox_sim.contract.invariants import INVARIANTS, Observer, Rule, Violation
from tryvox_sim.contract.spec import Spec

PREFIX = "tvx_"


class Verdicts:
    """The run's `Observer` (its memory follows the calls across every phase), and the violations of the response
    it saw last: each response is observed once, however many of the named checks read it (the state rules must
    see it once). `sent`: when each case's request went out (hooks.py), by case id; the checks run a while after the
    answer came, so its elapsed time alone would date the request too late (the rate-limit rules need it no later
    than it was)."""

    def __init__(self) -> None:
        self.observer = Observer(Spec(spec_file()))
        self.response: object = None
        self.found: list[Violation] = []
        self.sent: dict[str, float] = {}
        atexit.register(lambda: journal.record(by="invariants", checked=self.observer.checked,
                                               broken=self.observer.broken))  # fmt: skip

    def of(self, response, case=None, sent: float | None = None) -> list[Violation]:
        if response is not self.response:
            request = response.request
            headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
            sent = time.time() - response.elapsed if sent is None else sent
            if case is not None:
                sent = min(sent, self.sent.pop(case.id, sent))
            self.found = self.observer.observe(
                request.method, urlsplit(request.url).path, request.body, response.status_code, headers,
                response.content, authorization=request.headers.get("Authorization"), sent=sent,
            )  # fmt: skip
            self.response = response
        return self.found


@cache
def verdicts() -> Verdicts:
    return Verdicts()


def observer() -> Observer:
    """One per process (the behaviour tests' clients and schemathesis' checks share it)."""
    return verdicts().observer


def _named_check(rule: Rule):
    """A schemathesis check for one invariant: it fails, under its own name, when the response broke that rule."""

    def check(ctx, response, case):
        sent = time.time() - response.elapsed  # before the verdicts are made (the first compiles the spec)
        for violation in verdicts().of(response, case, sent):
            if violation.rule is rule:
                raise AssertionError(f"Invariant {violation}")

    check.__name__ = PREFIX + rule.replace("-", "_")
    check.__doc__ = f"tryvox invariant {rule}"
    return schemathesis.check(check)


CHECK_NAMES = {rule: _named_check(rule).__name__ for rule in INVARIANTS}


class InvariantBroken(AssertionError):
    """An answer broke one of the API's invariants (tryvox_sim/contract/invariants/)."""


def check_invariants(response: httpx.Response) -> None:
    """httpx response hook: every answer the behaviour tests get is checked against the invariants, and the
    control plane's answers teach them the calls' state (the same Observer as the schemathesis checks)."""
    response.read()
    # When it was sent: taken first, as what follows may take a while (the observer's spec is compiled on first use)
    # and the rate-limit rules need a send time no later than the real one.
    sent = time.time() - response.elapsed.total_seconds()
    request = response.request
    headers = {name.lower(): value for name, value in response.headers.items()}
    journal.record(
        by="behaviour",
        test=current_test(),
        method=request.method,
        path=request.url.path,
        url=str(request.url),
        headers={k: "[Filtered]" if k.lower() == "authorization" else v for k, v in request.headers.items()},
        body=journal.body_text(request.content),
        status=response.status_code,
        answer=journal.body_text(response.content[:4096]),
        answer_type=headers.get("content-type", ""),
    )
    if (live := live_call.in_use()) is not None:  # an answer may say the call in use has ended
        live.saw(request.method, request.url.path, response.status_code, response.content)
    found = observer().observe(
        request.method, request.url.path, request.content, response.status_code, headers, response.content,
        authorization=request.headers.get("authorization"), sent=sent,
    )  # fmt: skip
    if found:
        raise InvariantBroken(f"{request.method} {request.url.path}: " + "; ".join(f"Invariant {b}" for b in found))


def current_test() -> str:
    """The running test as `file::name[params]` (pytest sets PYTEST_CURRENT_TEST), or '' outside a test; the file's
    folder left out, as it depends on where pytest was started (the runner's rootdir is the package itself)."""
    path, sep, name = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0].partition("::")
    return path.rsplit("/", 1)[-1] + sep + name


HOOKS = {"response": [check_invariants]}


def client_args(retry: bool = True) -> dict:
    """httpx arguments for the behaviour tests' clients: the invariant checks and journal, the pace of
    TVX_RATE_LIMIT and, with `retry`, a 429 waited out (polite.py)."""
    return {"event_hooks": HOOKS, "transport": PoliteTransport(retry=retry)}
