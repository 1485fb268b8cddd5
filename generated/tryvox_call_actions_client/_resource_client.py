"""What TryvoxClient and AsyncTryvoxClient do besides their operations: settings from the environment, the
configured copy, closing. Their operations (`client.calls.send_dtmf(...)`) are generated from the spec, one class per
tag (api/<tag>/__init__.py), and the two clients themselves in the package's __init__.py.

Hand-written (openapi/client_layer/, copied into the package by `make client`). Each client wraps an
AuthenticatedClient made with raise_on_error=True: the retry policy, the timeouts and the typed errors are that
client's (README "Retries and timeouts"); an operation returns its success model or raises.
"""

from __future__ import annotations

import os
from typing import Any, Self, TypeVar
from uuid import UUID

import httpx

from ._facts import CONNECT_TIMEOUT, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER
from ._retries import Sleep
from .client import DEFAULT_TIMEOUT, AuthenticatedClient
from .errors import UnexpectedStatus
from .types import UNSET, Response, Unset

TOKEN_VARIABLE, BASE_URL_VARIABLE, AUTH_ID_VARIABLE = "TVX_API_TOKEN", "TVX_BASE_URL", "TVX_AUTH_ID"
Model = TypeVar("Model")


def _timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """Seconds apply to every phase, connecting at most CONNECT_TIMEOUT (it is retried, so it may fail fast)."""
    if isinstance(timeout, int | float):
        return httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout))
    return httpx.Timeout(timeout)


class _TryvoxClientBase:
    """The settings and the connections TryvoxClient and AsyncTryvoxClient share. `http` is the AuthenticatedClient
    underneath, which the functional API takes too (`send_dtmf.sync(..., client=client.http)`)."""

    def __init__(
        self,
        token: str | None = None,
        base_url: str | None = None,
        auth_id: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        headers: dict[str, str] | None = None,
        httpx_args: dict[str, Any] | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get(TOKEN_VARIABLE)
        if not token:
            raise ValueError(
                f"no API token: pass token= or set {TOKEN_VARIABLE} (a secret key tvx_sk_live_… or tvx_sk_test_…)"
            )
        self.base_url = base_url or os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
        self.auth_id = auth_id if auth_id is not None else os.environ.get(AUTH_ID_VARIABLE) or None
        self.timeout, self.max_retries, self.max_retry_after = _timeout(timeout), max_retries, max_retry_after
        self._token, self._headers, self._httpx_args, self._sleep = token, headers, httpx_args, sleep
        self.http = AuthenticatedClient(
            base_url=self.base_url,
            token=token,
            raise_on_error=True,
            timeout=self.timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            headers=dict(headers or {}),
            httpx_args=dict(httpx_args or {}),
            sleep=sleep,
        )

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None | Unset = UNSET,
        max_retries: int | Unset = UNSET,
        max_retry_after: float | Unset = UNSET,
        auth_id: str | None | Unset = UNSET,
    ) -> Self:
        """A copy with these settings changed, on connections of its own; this client stays as it was."""
        return type(self)(
            self._token,
            self.base_url,
            self.auth_id if isinstance(auth_id, Unset) else auth_id,
            timeout=self.timeout if isinstance(timeout, Unset) else timeout,
            max_retries=self.max_retries if isinstance(max_retries, Unset) else max_retries,
            max_retry_after=self.max_retry_after if isinstance(max_retry_after, Unset) else max_retry_after,
            headers=self._headers,
            httpx_args=self._httpx_args,
            sleep=self._sleep,
        )

    def account(self, auth_id: str | None) -> str:
        """The account an operation acts for: the one given to it, else the client's."""
        found = auth_id if auth_id is not None else self.auth_id
        if not found:
            raise ValueError(f"no account: pass auth_id= to the operation or the client, or set {AUTH_ID_VARIABLE}")
        return found

    def __repr__(self) -> str:  # never the token
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth_id={self.auth_id!r})"


class SyncClientBase(_TryvoxClientBase):
    """TryvoxClient's connections: `with TryvoxClient() as client:` closes them at the end, as `close()` does."""

    def close(self) -> None:
        self.http.get_httpx_client().close()

    def __enter__(self) -> Self:
        self.http.get_httpx_client()
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


class AsyncClientBase(_TryvoxClientBase):
    """AsyncTryvoxClient's connections: `async with AsyncTryvoxClient() as client:` closes them, as `aclose()` does."""

    async def aclose(self) -> None:
        await self.http.get_async_httpx_client().aclose()

    async def __aenter__(self) -> Self:
        self.http.get_async_httpx_client()
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.aclose()


def call_id(call_uuid: str | UUID) -> UUID:
    """A call's id as the generated functions take it; a string that is not a UUID is refused here, unsent."""
    if isinstance(call_uuid, UUID):
        return call_uuid
    try:
        return UUID(call_uuid)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"call_uuid {call_uuid!r} is not a UUID") from None


def success(response: Response[Any], model: type[Model]) -> Model:
    """The success model of an answer. Error answers raised already (raise_on_error); any other raises here."""
    if isinstance(response.parsed, model):
        return response.parsed
    raise UnexpectedStatus(response.status_code, response.content)
