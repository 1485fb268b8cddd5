"""Notes, Recording: starts at the API call, duration and max_length, URL and extension, 30-day
retention, both sides, URLs in the call details and the hangup webhook; one recording at a time."""

import re
from datetime import datetime, timedelta

import pytest
from tryvox_call_actions_client.types import UNSET

from tryvox_contract.actions import events_of, expect, parse_time, record, stop

URL = re.compile(r"^https://[^\s]+/(?P<uuid>[0-9a-f-]{36})\.(?P<ext>mp3|wav)$")


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_the_url_has_the_format_extension(api, auth_id, call_uuid, fmt):
    started = expect(record(api, auth_id, call_uuid, format=fmt), 202)
    assert started.format_.value == fmt
    stopped = expect(stop(api, auth_id, call_uuid), 200)
    match = URL.match(stopped.url)
    assert match, stopped.url
    assert match["ext"] == fmt
    assert stopped.recording_uuid == started.recording_uuid


def test_the_default_format_is_mp3(api, auth_id, call_uuid):
    response = record(api, auth_id, call_uuid, format=UNSET)  # no format in the body
    assert expect(response, 202).format_.value == "mp3"
    assert expect(stop(api, auth_id, call_uuid), 200).url.endswith(".mp3")


def test_duration_counts_from_the_api_call(api, auth_id, call_uuid, control):
    control.advance_clock(50)  # time before the recording starts is not recorded
    expect(record(api, auth_id, call_uuid), 202)
    control.advance_clock(125)
    assert expect(stop(api, auth_id, call_uuid), 200).duration == 125


def test_max_length_stops_the_recording(api, auth_id, call_uuid, control):
    expect(record(api, auth_id, call_uuid, max_length=10), 202)
    control.advance_clock(60)
    expect(stop(api, auth_id, call_uuid), 409, code="no_active_recording")
    [rec] = control.get_call(call_uuid)["recordings"]
    assert (rec["status"], rec["duration"]) == ("stopped", 10)


def test_one_recording_at_a_time(api, auth_id, call_uuid):
    expect(record(api, auth_id, call_uuid), 202)
    expect(record(api, auth_id, call_uuid), 409, code="recording_already_running")
    expect(stop(api, auth_id, call_uuid), 200)


def test_a_second_stop_is_a_conflict(api, auth_id, call_uuid):
    expect(record(api, auth_id, call_uuid), 202)
    expect(stop(api, auth_id, call_uuid), 200)
    expect(stop(api, auth_id, call_uuid), 409, code="no_active_recording")


def test_stop_without_recording_is_a_conflict(api, auth_id, call_uuid):
    expect(stop(api, auth_id, call_uuid), 409, code="no_active_recording")


def test_both_sides_are_recorded(api, auth_id, call_uuid, control):
    expect(record(api, auth_id, call_uuid), 202)
    [event] = events_of(control.get_call_events(call_uuid), "recording.started")
    assert event["channels"] == "both"


def test_recordings_are_kept_30_days(api, auth_id, call_uuid, control):
    expect(record(api, auth_id, call_uuid), 202)
    stopped = expect(stop(api, auth_id, call_uuid), 200)
    [rec] = control.get_call(call_uuid)["recordings"]
    [event] = events_of(control.get_call_events(call_uuid), "recording.stopped")
    assert parse_time(rec["expires_at"]) - parse_time(event["at"]) == timedelta(days=30)
    assert rec["url"] == stopped.url
    control.advance_clock(30 * 86400 - 60)
    assert len(control.get_call(call_uuid)["recordings"]) == 1, "still there just before 30 days"
    control.advance_clock(120)
    assert control.get_call(call_uuid)["recordings"] == [], "gone after 30 days"


def test_urls_are_in_the_call_details_and_the_hangup_webhook(api, auth_id, control):
    hook = f"https://example.com/hangup/{datetime.now().timestamp()}"
    call = control.create_call(hangup_url=hook)["call_uuid"]
    expect(record(api, auth_id, call, format="wav"), 202)
    first = expect(stop(api, auth_id, call), 200)
    expect(record(api, auth_id, call), 202)
    control.advance_clock(3)
    control.hangup_call(call)  # ends the running recording too
    details = control.get_call(call)
    urls = [r["url"] for r in details["recordings"]]
    assert len(urls) == 2 and urls[0] == first.url and urls[1].endswith(".mp3")
    [delivery] = [w for w in control.list_webhooks() if w["url"] == hook]
    assert delivery["event"] == "callHangup"
    assert [r["url"] for r in delivery["payload"]["recordings"]] == urls
