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

A 429 is waited out like any other (polite.py); still limited after that, the run stops.
"""

from __future__ import annotations

import uuid

import httpx

from tryvox_contract import journal
from tryvox_contract.polite import PoliteTransport
from tryvox_contract.target import Target

TIMEOUT_S = 5.0


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


def preflight(target: Target) -> str:
    """Check the target; returns what it proved, or raises PreflightFailed with one clear message."""
    env = target.env
    base_url, auth_id, call = target.base_url, env["TVX_AUTH_ID"], env["TVX_CALL_UUID"]
    try:
        uuid.UUID(call)
    except ValueError:
        raise PreflightFailed(f"TVX_CALL_UUID {call!r} is not a UUID") from None
    url = f"{base_url}/v1/voice/accounts/{auth_id}/calls/{call}/record"
    where = f"DELETE {url}"
    headers = {"Authorization": f"Bearer {env['TVX_API_TOKEN']}"}
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=PoliteTransport()) as http:
            response = http.delete(url, headers=headers)
    except httpx.HTTPError as exc:
        reason = str(exc) or "no answer"
        raise PreflightFailed(f"{base_url} is not reachable: {type(exc).__name__}: {reason}") from None
    journal.record(by="preflight", method="DELETE", path=httpx.URL(url).path, status=response.status_code)
    status, (code, detail) = response.status_code, _problem(response)
    answer = f"{status} {code or ''} {detail}".strip()
    if status == 401:
        raise PreflightFailed(f"TVX_API_TOKEN is refused by {base_url} ({answer})")
    if status == 403:
        raise PreflightFailed(f"TVX_AUTH_ID {auth_id} is not the account of TVX_API_TOKEN ({answer})")
    if status == 404 and code == "call_not_found":
        raise PreflightFailed(f"TVX_CALL_UUID {call} is unknown in account {auth_id} ({answer})")
    if status == 409 and code == "call_not_in_progress":
        raise PreflightFailed(f"TVX_CALL_UUID {call} is not in progress ({answer}): use an in-progress call")
    if status == 409 and code == "no_active_recording":
        return f"token, account {auth_id} and in-progress call {call} are good"
    if status == 200:
        return f"token, account {auth_id} and in-progress call {call} are good; its running recording was stopped"
    if status == 429:
        raise PreflightFailed(f"{base_url} still answers 429 after waiting as asked ({answer}): set TVX_RATE_LIMIT")
    raise PreflightFailed(f"{base_url} does not answer as the Call Actions API: {where} gave {answer}")
