from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.recording_stopped_response import RecordingStoppedResponse
from ...types import Response


def _get_kwargs(
    auth_id: str,
    call_uuid: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/voice/accounts/{auth_id}/calls/{call_uuid}/record".format(
            auth_id=quote(str(auth_id), safe=""),
            call_uuid=quote(str(call_uuid), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RecordingStoppedResponse | None:
    if response.status_code == 200:
        response_200 = RecordingStoppedResponse.from_dict(response.json())

        return response_200

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

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | RecordingStoppedResponse]:
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
) -> Response[Problem | RecordingStoppedResponse]:
    """Stop Recording

     Stop the call's running recording. Answers with the finished recording: its URL (ending in
    the format's extension, kept for 30 days) and its duration in whole seconds. With no
    running recording the answer is `409` (`no_active_recording`).

    Args:
        auth_id (str):
        call_uuid (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RecordingStoppedResponse]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        call_uuid=call_uuid,
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
) -> Problem | RecordingStoppedResponse | None:
    """Stop Recording

     Stop the call's running recording. Answers with the finished recording: its URL (ending in
    the format's extension, kept for 30 days) and its duration in whole seconds. With no
    running recording the answer is `409` (`no_active_recording`).

    Args:
        auth_id (str):
        call_uuid (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RecordingStoppedResponse
    """

    return sync_detailed(
        auth_id=auth_id,
        call_uuid=call_uuid,
        client=client,
    ).parsed


async def asyncio_detailed(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | RecordingStoppedResponse]:
    """Stop Recording

     Stop the call's running recording. Answers with the finished recording: its URL (ending in
    the format's extension, kept for 30 days) and its duration in whole seconds. With no
    running recording the answer is `409` (`no_active_recording`).

    Args:
        auth_id (str):
        call_uuid (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RecordingStoppedResponse]
    """

    kwargs = _get_kwargs(
        auth_id=auth_id,
        call_uuid=call_uuid,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    auth_id: str,
    call_uuid: UUID,
    *,
    client: AuthenticatedClient,
) -> Problem | RecordingStoppedResponse | None:
    """Stop Recording

     Stop the call's running recording. Answers with the finished recording: its URL (ending in
    the format's extension, kept for 30 days) and its duration in whole seconds. With no
    running recording the answer is `409` (`no_active_recording`).

    Args:
        auth_id (str):
        call_uuid (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RecordingStoppedResponse
    """

    return (
        await asyncio_detailed(
            auth_id=auth_id,
            call_uuid=call_uuid,
            client=client,
        )
    ).parsed
