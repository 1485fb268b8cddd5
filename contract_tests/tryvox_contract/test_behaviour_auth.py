"""Auth and account isolation: 401 without a valid token, 403 for another account's auth_id,
404 for another account's call."""

from uuid import UUID

import httpx
import pytest
from tryvox_call_actions_client import AuthenticatedClient

from tryvox_contract.actions import expect, play
from tryvox_contract.checks import client_args
from tryvox_sim.sim.seed import OTHER_AUTH_ID, OTHER_TOKEN  # the simulator's second seeded account


@pytest.mark.parametrize("authorization", [None, "Bearer tvx_sk_test_not_a_real_key_000000", "Basic dXNlcjpwYXNz"])
def test_no_valid_token_is_401(target, auth_id, call_uuid, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    url = f"{target.base_url}/v1/voice/accounts/{auth_id}/calls/{call_uuid}/dtmf"
    with httpx.Client(timeout=10, **client_args()) as http:
        response = http.post(url, json={"digits": "1"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"
    assert response.headers.get("www-authenticate", "").startswith("Bearer")


def test_a_token_on_another_accounts_auth_id_is_403(api, call_uuid):
    expect(play(api, "not_my_account_42", call_uuid), 403, code="forbidden")


def test_another_accounts_token_on_my_auth_id_is_403(target, auth_id, control, call_uuid):
    with AuthenticatedClient(
        base_url=target.base_url, token=OTHER_TOKEN, timeout=10, httpx_args=client_args()
    ) as other:
        expect(play(other, auth_id, call_uuid), 403, code="forbidden")


def test_another_accounts_call_is_404(api, auth_id, control):
    theirs = control.create_call(auth_id=OTHER_AUTH_ID)["call_uuid"]
    expect(play(api, auth_id, theirs), 404, code="call_not_found")
    assert control.get_call(theirs)["playback"] is None, "nothing happened to their call"


def test_an_unknown_call_is_404(api, auth_id):
    expect(play(api, auth_id, str(UUID(int=7))), 404, code="call_not_found")
