"""A small service on the tryvox Call Actions API (Starlette): it transfers a caller to an agent and learns how the
call ended from the hangup webhook.

    POST /calls/{call_uuid}/transfer   {"to": "+1…"}  -> 202 {"call_uuid", "transfer", "ended"}
    POST /webhooks/hangup              the hangup webhook (the call's details) -> 204; 400 when it breaks the spec
    GET  /calls/{call_uuid}            what the service knows of the call

A transfer is not idempotent and the API documents no idempotency key. When its answer is lost after the request was
sent (`APIConnectionError` or `APITimeoutError` with `request_sent`), the service never sends it again: it records
the transfer as unconfirmed and reconciles from the call's details when they arrive in the hangup webhook
(`hangup_cause` "transferred": it was carried out). The client itself waits out a 429 and sends again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tryvox_call_actions_client import AsyncTryvoxClient, errors
from tryvox_call_actions_client.webhooks import WebhookPayloadError, parse_call_hangup

SENT = ("transferring", "unconfirmed")  # a transfer the API has, or may have: never sent twice


@dataclass
class Call:
    call_uuid: str
    transfer: str | None = None  # transferring | unconfirmed | transferred | not transferred
    ended: str | None = None  # the hangup cause, once the webhook came


def create_app(client: AsyncTryvoxClient | None = None) -> Starlette:
    """The service, on `client` (default: one from TVX_API_TOKEN, TVX_BASE_URL and TVX_AUTH_ID)."""
    api = client or AsyncTryvoxClient()
    calls: dict[str, Call] = {}

    def call(call_uuid: str) -> Call:
        return calls.setdefault(call_uuid.lower(), Call(call_uuid.lower()))

    async def transfer(request: Request) -> Response:
        found = call(request.path_params["call_uuid"])
        if found.transfer in SENT:
            return JSONResponse(asdict(found), 409)
        to = (await request.json())["to"]
        try:
            await api.calls.transfer_call(found.call_uuid, to=to)
        except errors.RateLimitError as error:  # still limited after the client's own retries
            return JSONResponse({"error": "rate_limited", "retry_after": error.retry_after}, 503)
        except (errors.APIConnectionError, errors.APITimeoutError) as error:
            if not error.request_sent:
                return JSONResponse({"error": "tryvox not reached"}, 503)
            found.transfer = "unconfirmed"  # it may have been carried out: the hangup webhook will tell
            return JSONResponse(asdict(found), 202)
        except errors.APIStatusError as error:
            return JSONResponse({"error": error.code}, 502)
        found.transfer = "transferring"
        return JSONResponse(asdict(found), 202)

    async def hangup(request: Request) -> Response:
        try:
            details = parse_call_hangup(await request.body())
        except WebhookPayloadError as error:
            return JSONResponse({"error": str(error)}, 400)
        found = call(str(details.call_uuid))
        found.ended = details.hangup_cause if isinstance(details.hangup_cause, str) else "unknown"
        if found.transfer in SENT:  # reconciled from the call's details
            found.transfer = "transferred" if found.ended == "transferred" else "not transferred"
        return Response(status_code=204)

    async def show(request: Request) -> Response:
        return JSONResponse(asdict(call(request.path_params["call_uuid"])))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with api:
            yield

    routes = [
        Route("/calls/{call_uuid}/transfer", transfer, methods=["POST"]),
        Route("/webhooks/hangup", hangup, methods=["POST"]),
        Route("/calls/{call_uuid}", show),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
