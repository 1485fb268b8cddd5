"""One short check of the target before anything is generated (`make contract`).

A single request that changes nothing on an in-progress call with no recording: stop-recording on
TVX_CALL_UUID. The API checks the token (401), the account (403), the call (404) and the call's state (409)
in that order, so its answer proves each in turn:

    connection refused, DNS, TLS, timeout    -> the target is not reachable
    401                                      -> TVX_API_TOKEN is refused
    403                                      -> TVX_AUTH_ID is not the token's account
    404 call_not_found                       -> TVX_CALL_UUID is unknown in that account
    404 anything else                        -> BASE_URL does not serve the Call Actions API
    409 call_not_in_progress                 -> TVX_CALL_UUID is not in progress
    409 no_active_recording                  -> ready: token, account and call are good, nothing changed
    200                                      -> ready, but a recording was running and is now stopped (the
                                                suite's own fixture stops recordings before every test too)

A 429 is waited out like any other (polite.py); still limited after that, the run stops. With `wait_for`
(`tryvox-contract --wait-for SECONDS`, for a deployment that is still starting), a connection that fails or a
502, 503 or 504 (a proxy or load balancer with nothing behind it yet) is asked again until that time is up.
"""

from __future__ import annotations

import time
import uuid

import httpx

from tryvox_contract import journal
from tryvox_contract.polite import PoliteTransport
from tryvox_contract.target import Target

TIMEOUT_S = 5.0
WAIT_PAUSE_S = 1.0
NOT_READY = {502, 503, 504}


class PreflightFailed(Exception):
    """The target cannot be tested; the message says why and what to check."""


def _problem(response: httpx.Response) -> tuple[str, str]:
    """(code, detail) of a problem answer, or ('', the start of the body)."""
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(body, dict):
        return "", response.text[:200]
    return str(body.get("code", "")), str(body.get("detail", ""))


def ask(http: httpx.Client, url: str, headers: dict[str, str], wait_for: float) -> tuple[httpx.Response, float]:
    """The answer to the preflight's request and the seconds waited for it; within `wait_for` seconds a failed
    connection or a 502/503/504 is asked again."""
    started = time.monotonic()
    while True:
        try:
            response = http.delete(url, headers=headers)
        except httpx.HTTPError:
            if time.monotonic() + WAIT_PAUSE_S >= started + wait_for:
                raise
        else:
            if response.status_code not in NOT_READY or time.monotonic() + WAIT_PAUSE_S >= started + wait_for:
                return response, time.monotonic() - started
            response.close()
        time.sleep(WAIT_PAUSE_S)


def call_answer(target: Target, call: str) -> tuple[int, str]:
    """(status, problem code) of the preflight's request on `call`: whether a fresh call of the call command is in
    progress yet (409 call_not_in_progress while it rings). Raises httpx.HTTPError when the target is unreachable."""
    env = target.env
    url = f"{target.base_url}/v1/voice/accounts/{env['TVX_AUTH_ID']}/calls/{call}/record"
    with httpx.Client(timeout=TIMEOUT_S, transport=PoliteTransport()) as http:
        response = http.delete(url, headers={"Authorization": f"Bearer {env['TVX_API_TOKEN']}"})
    journal.record(by="preflight", method="DELETE", path=httpx.URL(url).path, status=response.status_code)
    return response.status_code, _problem(response)[0]


def ready_probe(target: Target):
    """`call_answer` for LiveCall, a failed connection answering 0 (the preflight reports it)."""

    def ready(call: str) -> tuple[int, str]:
        try:
            return call_answer(target, call)
        except httpx.HTTPError:
            return 0, ""

    return ready


def preflight(target: Target, wait_for: float = 0.0) -> str:
    """Check the target; returns what it proved, or raises PreflightFailed with one clear message."""
    env = target.env
    base_url, auth_id, call = target.base_url, env["TVX_AUTH_ID"], env["TVX_CALL_UUID"]
    named = "the call command's call" if env.get("TVX_CALL_COMMAND") else "TVX_CALL_UUID"
    try:
        uuid.UUID(call)
    except ValueError:
        raise PreflightFailed(f"TVX_CALL_UUID {call!r} is not a UUID") from None
    url = f"{base_url}/v1/voice/accounts/{auth_id}/calls/{call}/record"
    where = f"DELETE {url}"
    headers = {"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}
    waited = f" after waiting {wait_for:g} s" if wait_for else ""
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=PoliteTransport()) as http:
            response, seconds = ask(http, url, headers, wait_for)
    except httpx.HTTPError as exc:
        reason = str(exc) or "no answer"
        raise PreflightFailed(f"{base_url} is not reachable{waited}: {type(exc).__name__}: {reason}") from None
    journal.record(by="preflight", method="DELETE", path=httpx.URL(url).path, status=response.status_code)
    status, (code, detail) = response.status_code, _problem(response)
    answer = f"{status} {code or ''} {detail}".strip()
    if status == 401:
        raise PreflightFailed(f"TVX_API_TOKEN is refused by {base_url} ({answer})")
    if status == 403:
        raise PreflightFailed(f"TVX_AUTH_ID {auth_id} is not the account of TVX_API_TOKEN ({answer})")
    if status == 404 and code == "call_not_found":
        raise PreflightFailed(f"{named} {call} is unknown in account {auth_id} ({answer})")
    if status == 409 and code == "call_not_in_progress":
        raise PreflightFailed(f"{named} {call} is not in progress ({answer}): use an in-progress call")
    ready = f" (it answered after {seconds:.0f} s)" if seconds >= WAIT_PAUSE_S else ""
    if status == 409 and code == "no_active_recording":
        return f"token, account {auth_id} and in-progress call {call} are good{ready}"
    if status == 200:
        stopped = "its running recording was stopped"
        return f"token, account {auth_id} and in-progress call {call} are good; {stopped}{ready}"
    if status == 429:
        raise PreflightFailed(f"{base_url} still answers 429 after waiting as asked ({answer}): set TVX_RATE_LIMIT")
    raise PreflightFailed(f"{base_url} does not answer as the Call Actions API: {where} gave {answer}")
