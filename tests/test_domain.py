"""Domain rules (no HTTP): one or more tests per Note of the docs page, on a manual clock."""

from uuid import UUID

import pytest

from tryvox_sim.contract.problems import Problem
from tryvox_sim.sim.calls import MAX_RECORDINGS, TIMELINE_LEN
from tryvox_sim.sim.clock import MANUAL_START, Clock
from tryvox_sim.sim.seed import DEFAULT_AUTH_ID as ME
from tryvox_sim.sim.seed import DEFAULT_CALL_UUID as CALL
from tryvox_sim.sim.seed import OTHER_AUTH_ID
from tryvox_sim.sim.world import World
from tryvox_sim.testing import shared_spec

# The HTTP shell fills in the spec's defaults; domain calls here do the same.
DEFAULTS = {op: shared_spec().operations[op].defaults for op in ("startRecording", "playAudio", "speakText")}


def record(world, call_uuid, **fields):
    return world.start_recording(ME, call_uuid, **{**DEFAULTS["startRecording"], **fields})


def play(world, call_uuid, url, **fields):
    return world.play_audio(ME, call_uuid, url, **{**DEFAULTS["playAudio"], **fields})


def speak(world, call_uuid, text, **fields):
    return world.speak_text(ME, call_uuid, text, **{**DEFAULTS["speakText"], **fields})


@pytest.fixture
def world():
    return World(Clock(manual=True))


def details(world, call_uuid=CALL):
    return world.find_call(call_uuid).details(world.clock.now())


def types(world, call_uuid=CALL):
    return [e["type"] for e in world.find_call(call_uuid).timeline()]


def refused(fn, *args, **kw) -> Problem:
    with pytest.raises(Problem) as info:
        fn(*args, **kw)
    return info.value


# General: all actions require the call to be in-progress
@pytest.mark.parametrize("status", ["ringing", "transferring", "completed"])
def test_every_action_needs_an_in_progress_call(world, status):
    call = world.new_call(ME, status="ringing")
    if status == "transferring":
        world.answer(call.uuid)
        world.transfer_call(ME, call.uuid, "+15005550003")
    elif status == "completed":
        world.hangup(call.uuid)
    actions = [
        lambda: world.transfer_call(ME, call.uuid, "+14155559999"),
        lambda: record(world, call.uuid),
        lambda: world.stop_recording(ME, call.uuid),
        lambda: play(world, call.uuid, "https://example.com/a.mp3"),
        lambda: speak(world, call.uuid, "hi"),
        lambda: world.send_dtmf(ME, call.uuid, "1"),
    ]
    for action in actions:
        err = refused(action)
        assert (err.status, err.code) == (409, "call_not_in_progress")
        assert status in err.detail


def test_calls_of_other_accounts_are_not_found(world):
    err = refused(world.play_audio, OTHER_AUTH_ID, CALL, "https://example.com/a.mp3", loop=1)
    assert (err.status, err.code) == (404, "call_not_found")


# General: multiple actions can run on the same call
def test_record_while_playing_and_sending_dtmf(world):
    record(world, CALL)
    play(world, CALL, "https://example.com/a.mp3")
    world.send_dtmf(ME, CALL, "12")
    call = world.find_call(CALL)
    assert call.recording is not None and call.playback.kind == "play" and len(call.dtmf) == 1


# General: play and speak interrupt each other
def test_speak_interrupts_play_and_play_interrupts_speak(world):
    first = play(world, CALL, "https://example.com/a.mp3", loop=0)["play_uuid"]
    world.clock.advance(1)
    speech = speak(world, CALL, "Hello")["speak_uuid"]
    world.clock.advance(0.1)
    play(world, CALL, "https://example.com/b.wav")
    events = world.find_call(CALL).timeline()
    interrupted = [(e["type"], e["uuid"]) for e in events if e["type"].endswith(".interrupted")]
    assert interrupted == [("play.interrupted", first), ("speak.interrupted", speech)]


# Audio playback: ends by itself after 30 s per loop; loop 0 plays until stopped
def test_audio_lasts_30_seconds_per_loop(world):
    play(world, CALL, "https://example.com/a.mp3", loop=2)
    world.clock.advance(59.9)
    assert world.find_call(CALL).playback is not None
    world.clock.advance(0.1)
    assert world.find_call(CALL).playback is None
    assert types(world)[-1] == "play.finished"


def test_loop_zero_plays_until_the_call_ends(world):
    play(world, CALL, "https://example.com/a.mp3", loop=0)
    world.advance(86400)
    assert world.find_call(CALL).playback is not None
    world.hangup(CALL)
    assert "play.interrupted" in types(world)


# Text-to-speech: 60 ms per character; speech can be interrupted by DTMF input
def test_speech_lasts_60_ms_per_character(world):
    speak(world, CALL, "x" * 100)  # 6 s
    world.clock.advance(5.99)
    assert world.find_call(CALL).playback is not None
    world.clock.advance(0.01)
    assert world.find_call(CALL).playback is None


def test_caller_dtmf_input_interrupts_speech_but_not_audio(world):
    speak(world, CALL, "Please hold")
    world.caller_presses(CALL, "1")
    assert world.find_call(CALL).playback is None
    assert types(world)[-2:] == ["dtmf.input", "speak.interrupted"]
    play(world, CALL, "https://example.com/a.mp3")
    world.caller_presses(CALL, "2")
    assert world.find_call(CALL).playback.kind == "play"


# Recording: starts at the API call, duration on the sim clock, capped by max_length, 30 days, both sides
def test_recording_duration_is_whole_seconds_since_start(world):
    world.clock.advance(3)  # time before the start does not count
    started = record(world, CALL, format="wav")
    world.clock.advance(125.7)
    stopped = world.stop_recording(ME, CALL)
    assert stopped["duration"] == 125
    assert stopped["url"] == f"https://recordings.tryvox.io/{started['recording_uuid']}.wav"


def test_recording_stops_by_itself_at_max_length(world):
    record(world, CALL, max_length=10)
    world.clock.advance(60)
    err = refused(world.stop_recording, ME, CALL)
    assert (err.status, err.code) == (409, "no_active_recording")
    [rec] = details(world)["recordings"]
    assert (rec["status"], rec["duration"]) == ("stopped", 10)
    assert rec["expires_at"] == "2025-01-31T00:00:10.000Z"  # 30 days after it stopped


def test_second_start_and_stop_without_recording_conflict(world):
    record(world, CALL)
    assert refused(record, world, CALL).code == "recording_already_running"
    world.stop_recording(ME, CALL)
    assert refused(world.stop_recording, ME, CALL).code == "no_active_recording"


def test_both_sides_are_recorded_and_the_url_is_in_the_call_details(world):
    record(world, CALL)
    [running] = details(world)["recordings"]
    assert (running["status"], running["url"], running["channels"]) == ("recording", None, "both")
    world.clock.advance(5)
    url = world.stop_recording(ME, CALL)["url"]
    assert [r["url"] for r in details(world)["recordings"]] == [url]


def test_recordings_are_kept_30_days(world):
    call = world.new_call(ME)
    record(world, call.uuid)
    world.clock.advance(1)
    world.stop_recording(ME, call.uuid)
    world.advance(30 * 86400 - 1)
    assert len(details(world, call.uuid)["recordings"]) == 1
    world.advance(1)
    assert details(world, call.uuid)["recordings"] == []
    assert "recording.expired" in types(world, call.uuid)


def test_a_call_keeps_its_latest_recordings_within_the_specs_1000(world):
    call = world.new_call(ME)
    first = record(world, call.uuid)["recording_uuid"]
    world.stop_recording(ME, call.uuid)
    for _ in range(MAX_RECORDINGS):
        record(world, call.uuid)
        world.stop_recording(ME, call.uuid)
    running = record(world, call.uuid)["recording_uuid"]
    recordings = details(world, call.uuid)["recordings"]
    assert len(recordings) == 1000 and recordings[-1]["recording_uuid"] == running
    assert first not in {r["recording_uuid"] for r in recordings}


def test_hangup_stops_the_recording_and_sends_urls_in_the_webhook(world):
    call = world.new_call(ME, hangup_url="https://example.com/hangup")
    record(world, call.uuid)
    world.clock.advance(7)
    world.hangup(call.uuid)
    [(url, event, payload)] = world.take_outbox()
    assert (url, event, payload["status"], payload["hangup_cause"]) == (
        "https://example.com/hangup", "callHangup", "completed", "normal_hangup",
    )  # fmt: skip
    [rec] = payload["recordings"]
    assert rec["duration"] == 7 and rec["url"].endswith(".mp3")


# Transfer: status transferring; completes -> original call ends; failure -> back to in-progress
def test_transfer_answered_ends_the_original_call(world):
    call = world.new_call(ME, hangup_url="https://example.com/hangup")
    out = world.transfer_call(
        ME, call.uuid, "+15005550001", caller_id="+14155551234", answer_url="https://example.com/a"
    )
    assert out["status"] == "transferring" and world.find_call(call.uuid).status == "transferring"
    world.clock.advance(0.99)
    assert world.find_call(call.uuid).status == "transferring"
    world.advance(0.01)
    d = details(world, call.uuid)
    assert (d["status"], d["hangup_cause"]) == ("completed", "transferred")
    events = [event for _, event, _ in world.take_outbox()]
    assert events == ["transferAnswered", "callHangup"]


def test_busy_transfer_fails_at_once(world):
    world.transfer_call(ME, CALL, "+15005550002")
    assert world.find_call(CALL).status == "in-progress"  # the very next access
    assert "transfer.failed" in types(world)


def test_unanswered_transfer_rings_30_seconds_then_returns_the_caller(world):
    world.transfer_call(ME, CALL, "+15005550003")
    world.clock.advance(29.9)
    assert world.find_call(CALL).status == "transferring"
    world.clock.advance(0.1)
    assert world.find_call(CALL).status == "in-progress"
    play(world, CALL, "https://example.com/a.mp3")  # actions work again


def test_other_numbers_answer_after_5_seconds(world):
    world.transfer_call(ME, CALL, "+14155559999")
    world.clock.advance(4.9)
    assert world.find_call(CALL).status == "transferring"
    world.clock.advance(0.1)
    assert world.find_call(CALL).status == "completed"


def test_caller_id_must_be_owned(world):
    err = refused(world.transfer_call, ME, CALL, "+14155559999", caller_id="+14155550199")  # other account's
    assert (err.status, err.code, [e["pointer"] for e in err.errors]) == (422, "caller_id_not_owned", ["/caller_id"])
    assert world.find_call(CALL).status == "in-progress"


# DTMF: each digit 200 ms with 200 ms gaps -> 400n - 200 ms
def test_dtmf_takes_400n_minus_200_ms(world):
    world.send_dtmf(ME, CALL, "1234*#")  # 2.2 s
    world.clock.advance(2.19)
    assert world.find_call(CALL).dtmf
    world.clock.advance(0.01)
    assert not world.find_call(CALL).dtmf
    started, finished = [e for e in world.find_call(CALL).timeline() if e["type"].startswith("dtmf.")]
    assert (started["type"], finished["type"], finished["digits"]) == ("dtmf.started", "dtmf.finished", "1234*#")
    assert finished["at"] == "2025-01-01T00:00:02.200Z"


# Timeline and retention
def test_timeline_is_bounded(world):
    for _ in range(TIMELINE_LEN + 20):
        world.send_dtmf(ME, CALL, "1")
    assert len(world.find_call(CALL).timeline()) == TIMELINE_LEN


def test_completed_calls_are_dropped_after_an_hour(world):
    world.hangup(CALL)
    world.advance(3599)
    assert world.find_call(CALL).status == "completed"
    world.advance(1)
    assert CALL not in world.calls
    assert refused(world.find_call, CALL).code == "call_not_found"


def test_a_completed_call_stays_while_its_recordings_are_kept(world):
    call = world.new_call(ME)
    record(world, call.uuid)
    world.advance(10)
    world.hangup(call.uuid)
    world.advance(29 * 86400)  # long past the hour: the recording URL is still readable for 30 days
    [recording] = details(world, call.uuid)["recordings"]
    assert recording["url"].endswith(".mp3") and recording["duration"] == 10
    world.advance(86400)
    assert call.uuid not in world.calls  # the last recording expired: the call goes with it
    assert refused(world.find_call, call.uuid).code == "call_not_found"


def test_an_ended_call_is_kept_packed_and_shows_the_same(world):
    call = world.new_call(ME, hangup_url="https://example.com/hangup")
    record(world, call.uuid, format="wav", max_length=600, trim_silence=True)
    world.clock.advance(3)
    world.stop_recording(ME, call.uuid)
    record(world, call.uuid)
    play(world, call.uuid, "https://example.com/a.mp3", loop=0)
    world.send_dtmf(ME, call.uuid, "12#")
    world.clock.advance(0.25)
    world.caller_presses(call.uuid, "9")
    world.transfer_call(ME, call.uuid, "+15005550003")  # rings 30 s
    ended = world.hangup(call.uuid)  # while recording, playing, sending DTMF and transferring
    view, events = world.call_view(ended), ended.timeline()
    assert isinstance(world.calls[call.uuid], bytes)  # what ran on it is gone: its views are all that is kept
    assert len(world.calls[call.uuid]) < 400
    world.advance(60)
    kept = world.find_call(call.uuid)
    assert world.call_view(kept) == view and kept.timeline() == events
    assert (view["status"], view["playback"], view["transfer"], view["dtmf"]) == ("completed", None, None, [])
    assert [r["status"] for r in view["recordings"]] == ["stopped", "stopped"]
    assert [e["type"] for e in events[-5:]] == [
        "recording.stopped",
        "play.interrupted",
        "dtmf.cancelled",
        "transfer.cancelled",
        "call.completed",
    ]


def test_an_ended_calls_recordings_expire_one_by_one(world):
    call = world.new_call(ME)
    first = record(world, call.uuid)["recording_uuid"]
    world.stop_recording(ME, call.uuid)
    world.advance(10 * 86400)
    second = record(world, call.uuid)["recording_uuid"]
    world.hangup(call.uuid)
    world.advance(20 * 86400)  # the first recording's 30 days have passed
    assert [r["recording_uuid"] for r in details(world, call.uuid)["recordings"]] == [second]
    assert world.find_call(call.uuid).timeline()[-1] == {
        "at": "2025-01-31T00:00:00.000Z",
        "type": "recording.expired",
        "recording_uuid": first,
    }
    assert isinstance(world.calls[call.uuid], bytes)  # packed again
    world.advance(10 * 86400)
    assert call.uuid not in world.calls


def test_a_call_ended_by_an_answered_transfer_is_packed_too(world):
    call = world.new_call(ME)
    world.transfer_call(ME, call.uuid, "+15005550001")  # answers after 1 s: the call ends, transferred
    world.advance(1)
    assert isinstance(world.calls[call.uuid], bytes)
    assert details(world, call.uuid)["hangup_cause"] == "transferred"


def test_reset_restores_the_seeded_state(world):
    world.hangup(CALL)
    world.new_call(ME)
    world.reset()
    assert list(world.calls) == [CALL] and world.find_call(CALL).status == "in-progress"
    assert world.clock.now() == MANUAL_START  # reset keeps the clock


def test_account_rules(world):
    assert refused(world.add_account, ME).code == "account_exists"
    acct = world.add_account("new_acct", numbers=["+14155550111"])
    assert acct.token.startswith("tvx_sk_test_")
    assert refused(world.add_account, "other", acct.token).code == "token_in_use"
    assert refused(world.new_call, "nobody").code == "account_not_found"
    assert refused(world.answer, CALL).code == "call_not_ringing"


def test_the_spec_gives_the_documented_defaults():
    assert DEFAULTS == {
        "startRecording": {"format": "mp3", "max_length": 14400, "trim_silence": False},
        "playAudio": {"loop": 1},
        "speakText": {"voice": "en-US-Standard-A", "language": "en-US", "engine": "neural"},
    }


def test_seeded_ids_repeat_run_to_run_and_differ_between_seeds():
    def ids(seed):
        world = World(Clock(manual=True), id_seed=seed)
        call = world.new_call(ME).uuid
        return call, record(world, call)["recording_uuid"]

    assert ids(5) == ids(5)
    assert ids(5) != ids(6)
    assert all(UUID(value).version == 4 for value in ids(5))
