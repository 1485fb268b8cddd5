"""A client library for accessing tryvox Voice Call Actions API

`TryvoxClient()` and `AsyncTryvoxClient()` read TVX_API_TOKEN, TVX_BASE_URL and TVX_AUTH_ID; `AuthenticatedClient`
is the client of the functional API (`tryvox_call_actions_client.api.<tag>.<operation>.sync(...)`).
"""

from functools import cached_property

from ._resource_client import AsyncClientBase, SyncClientBase
from .api.call_actions import AsyncCallActions, CallActions
from .client import AuthenticatedClient, Client


class TryvoxClient(SyncClientBase):
    """The API's operations as methods, e.g. `client.calls.send_dtmf(call_uuid, digits="1234#")`: each returns its
    success model, and every error raises (`errors.APIStatusError` subclasses, `errors.APIConnectionError`).

    Arguments left out are read from the environment: ``token`` from TVX_API_TOKEN (required: a missing token raises
    ValueError naming it), ``base_url`` from TVX_BASE_URL (default: the spec's server, production), ``auth_id``, the
    account each operation acts for unless given its own, from TVX_AUTH_ID. Keyword-only: ``timeout`` (seconds or an
    httpx.Timeout; default 30 s, 5 s to connect), ``max_retries`` (2), ``max_retry_after`` (60 s), ``headers``,
    ``httpx_args``, ``sleep``. ``with_options(...)`` returns a configured copy; ``with TryvoxClient() as client:``
    closes its connections at the end.
    """

    @cached_property
    def calls(self) -> CallActions:
        """`transfer_call`, `start_recording`, `stop_recording`, `play_audio`, `speak_text`, `send_dtmf`."""
        return CallActions(self)


class AsyncTryvoxClient(AsyncClientBase):
    """TryvoxClient for asyncio: the same settings and operations, awaited (`await client.calls.send_dtmf(...)`);
    ``async with AsyncTryvoxClient() as client:`` closes its connections at the end."""

    @cached_property
    def calls(self) -> AsyncCallActions:
        """`transfer_call`, `start_recording`, `stop_recording`, `play_audio`, `speak_text`, `send_dtmf`, awaited."""
        return AsyncCallActions(self)


__all__ = (
    "AsyncTryvoxClient",
    "AuthenticatedClient",
    "Client",
    "TryvoxClient",
)
