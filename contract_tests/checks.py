"""The API's cross-field invariants (tryvox_sim/invariants.py) as schemathesis checks, one per invariant.

Registered when schemathesis loads contract_tests.hooks (make contract) or contract_tests.conftest
(pytest contract_tests), so they run on every response of every phase and fail under their own names
(`tvx_problem_status`, `tvx_stop_after_stop`, ...). The state rules follow each call across the run.
The behaviour tests run the same invariants through their client (contract_tests/conftest.py).
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

import httpx
import schemathesis

from tryvox_sim import invariants
from tryvox_sim.invariants import Observer

PREFIX = "tvx_"


@cache
def observer() -> Observer:
    """One per process: its memory follows the calls across every phase of the run."""
    from tryvox_sim.spec import Spec

    return Observer(Spec())


# Each response is evaluated once (every named check reads the result): the state rules must see it once.
_last: list = [None, []]


def breaches_of(response) -> list[str]:
    if _last[0] is not response:
        request = response.request
        headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
        found = observer().observe(
            request.method, urlsplit(request.url).path, request.body, response.status_code, headers, response.content
        )
        _last[:] = [response, [str(breach) for breach in found]]
    return _last[1]


def _named_check(name: str):
    def check(ctx, response, case):
        for breach in breaches_of(response):
            if breach.startswith(name + ":"):
                raise AssertionError(f"Invariant {breach}")

    check.__name__ = PREFIX + name.replace("-", "_")
    check.__doc__ = f"tryvox invariant {name}"
    return schemathesis.check(check)


CHECK_NAMES = {name: _named_check(name).__name__ for name in [*invariants.RULES, *invariants.STATE_RULES]}


class InvariantBroken(AssertionError):
    """An answer broke one of the API's invariants (tryvox_sim/invariants.py)."""


def check_invariants(response: httpx.Response) -> None:
    """httpx response hook: every answer the behaviour tests get is checked against the invariants, and the
    control plane's answers teach them the calls' state (the same Observer as the schemathesis checks)."""
    response.read()
    request = response.request
    headers = {name.lower(): value for name, value in response.headers.items()}
    found = observer().observe(
        request.method, request.url.path, request.content, response.status_code, headers, response.content
    )
    if found:
        raise InvariantBroken(f"{request.method} {request.url.path}: " + "; ".join(f"Invariant {b}" for b in found))


HOOKS = {"response": [check_invariants]}
