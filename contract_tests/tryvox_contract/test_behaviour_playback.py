"""Notes, Audio Playback and Text-to-Speech: formats, echo, interruption, the 3000-character limit."""

import pytest

from tryvox_contract.actions import HOLD_MUSIC, events_of, expect, play, speak


def test_play_echoes_the_url(api, auth_id, call_uuid):
    played = expect(play(api, auth_id, call_uuid, HOLD_MUSIC, loop=0), 202)
    assert played.url == HOLD_MUSIC
    assert played.status == "playing"


@pytest.mark.parametrize(
    "url", ["https://example.com/a.mp3", "https://example.com/b.WAV", "http://cdn.example.com/x.wav?v=2"]
)
def test_mp3_and_wav_files_play(api, auth_id, call_uuid, url):
    assert expect(play(api, auth_id, call_uuid, url), 202).url == url


@pytest.mark.parametrize("url", ["https://example.com/a.ogg", "ftp://example.com/a.mp3", "not a url"])
def test_other_files_are_refused(api, auth_id, call_uuid, url):
    expect(play(api, auth_id, call_uuid, url), 422, code="validation_failed", pointer="/url")


def test_speak_echoes_the_text(api, auth_id, call_uuid):
    text = "Thank you for calling. Please hold while we connect you."
    spoken = expect(speak(api, auth_id, call_uuid, text, voice="en-US-Neural-Jenny", language="en-US"), 202)
    assert spoken.text == text
    assert spoken.status == "speaking"


def test_text_of_3000_characters_is_spoken(api, auth_id, call_uuid):
    assert expect(speak(api, auth_id, call_uuid, "a" * 3000), 202).text == "a" * 3000


def test_text_over_3000_characters_is_refused(api, auth_id, call_uuid):
    expect(speak(api, auth_id, call_uuid, "a" * 3001), 422, code="validation_failed", pointer="/text")


def test_speak_interrupts_play_and_play_interrupts_speak(api, auth_id, call_uuid, control):
    first = expect(play(api, auth_id, call_uuid), 202)
    second = expect(speak(api, auth_id, call_uuid), 202)
    third = expect(play(api, auth_id, call_uuid), 202)
    interrupted = events_of(control.get_call_events(call_uuid), "play.interrupted")
    assert [e["uuid"] for e in interrupted] == [str(first.play_uuid)]
    spoken = events_of(control.get_call_events(call_uuid), "speak.interrupted")
    assert [e["uuid"] for e in spoken] == [str(second.speak_uuid)]
    assert control.get_call(call_uuid)["playback"]["play_uuid"] == str(third.play_uuid)


def test_caller_dtmf_input_interrupts_speech(api, auth_id, call_uuid, control):
    spoken = expect(speak(api, auth_id, call_uuid, "Press 1 for sales. " * 20), 202)
    control.press_digits(call_uuid, "1")
    assert control.get_call(call_uuid)["playback"] is None
    [event] = events_of(control.get_call_events(call_uuid), "speak.interrupted")
    assert event["uuid"] == str(spoken.speak_uuid)
    assert event["by"] == "dtmf_input"


def test_speech_lasts_60_ms_per_character(api, auth_id, call_uuid, control):
    expect(speak(api, auth_id, call_uuid, "x" * 100), 202)  # 6 s
    control.advance_clock(5)
    assert control.get_call(call_uuid)["playback"] is not None
    control.advance_clock(2)
    assert control.get_call(call_uuid)["playback"] is None
    assert events_of(control.get_call_events(call_uuid), "speak.finished")
