"""Promises that only show across requests (spec): every action answers an id of its own; the RateLimit headers
describe one window per token, counted down request by request."""

import uuid

from tryvox_call_actions_client import AuthenticatedClient

from tryvox_contract.actions import dtmf, expect, play, record, speak, stop
from tryvox_contract.checks import client_args


def test_every_action_answers_an_id_of_its_own(api, auth_id, call_uuid):
    ids = []
    for _ in range(2):
        ids.append(expect(play(api, auth_id, call_uuid), 202).play_uuid)
        ids.append(expect(speak(api, auth_id, call_uuid), 202).speak_uuid)
        ids.append(expect(dtmf(api, auth_id, call_uuid, "1"), 202).dtmf_uuid)
    for _ in range(2):
        started = expect(record(api, auth_id, call_uuid), 202).recording_uuid
        assert expect(stop(api, auth_id, call_uuid), 200).recording_uuid == started, "a stop names its recording"
        ids.append(started)
    assert len(set(ids)) == len(ids), ids


def test_rate_limit_headers_count_down_within_one_window(target, control):
    """An account limited to 5 requests a minute, at the start of a minute on the simulator's clock: Limit stays 5,
    Remaining goes 4, 3, 2 and Reset never grows."""
    account = control.create_account(f"window_{uuid.uuid4().hex[:12]}", rate_limit="5/min")
    call = control.create_call(auth_id=account["auth_id"])["call_uuid"]
    control.advance_clock(60 - control.get_clock()["epoch"] % 60 + 0.5)  # half a second into a minute
    with AuthenticatedClient(
        base_url=target.base_url, token=account["token"], timeout=10, httpx_args=client_args(retry=False)
    ) as limited:
        responses = [dtmf(limited, account["auth_id"], call, "1") for _ in range(3)]
    assert [r.status_code for r in responses] == [202, 202, 202]
    headers = [[int(r.headers[f"ratelimit-{name}"]) for r in responses] for name in ("limit", "remaining", "reset")]
    limits, remaining, resets = headers
    assert limits == [5, 5, 5] and remaining == [4, 3, 2]
    assert resets == sorted(resets, reverse=True) and 1 <= resets[-1] <= 60, resets
