from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.play_request import PlayRequest
from ...models.play_response import PlayResponse
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    auth_id: str,
    call_uuid: UUID,
    *,
    body: PlayRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/play".format(
            auth_id=quote(str(auth_id), safe=""),
            call_uuid=quote(str(call_uuid), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PlayResponse | Problem | None:
    if response.status_code == 202:
        response_202 = PlayResponse.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PlayResponse | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
    body: PlayRequest,
) -> Response[PlayResponse | Problem]:
    """Play Audio

     Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
    Starting play stops any audio or speech currently playing on the call.

    Args:
        auth_id (str):
        call_uuid (UUID):
        body (PlayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlayResponse | Problem]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        call_uuid=call_uuid,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
    body: PlayRequest,
) -> PlayResponse | Problem | None:
    """Play Audio

     Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
    Starting play stops any audio or speech currently playing on the call.

    Args:
        auth_id (str):
        call_uuid (UUID):
        body (PlayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlayResponse | Problem
    """

    return sync_detailed(
        auth_id=auth_id,
        call_uuid=call_uuid,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
    body: PlayRequest,
) -> Response[PlayResponse | Problem]:
    """Play Audio

     Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
    Starting play stops any audio or speech currently playing on the call.

    Args:
        auth_id (str):
        call_uuid (UUID):
        body (PlayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PlayResponse | Problem]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        call_uuid=call_uuid,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
    body: PlayRequest,
) -> PlayResponse | Problem | None:
    """Play Audio

     Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
    Starting play stops any audio or speech currently playing on the call.

    Args:
        auth_id (str):
        call_uuid (UUID):
        body (PlayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PlayResponse | Problem
    """

    return (
        await asyncio_detailed(
            auth_id=auth_id,
            call_uuid=call_uuid,
            client=client,
            body=body,
        )
    ).parsed
