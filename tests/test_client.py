"""The generated client, driven against an httpx.MockTransport: what it sends and what it parses."""

import json
from uuid import UUID

import httpx
import pytest
from tryvox_call_actions_client import AuthenticatedClient
from tryvox_call_actions_client.api.call_actions import (
    play_audio,
    send_dtmf,
    speak_text,
    start_recording,
    stop_recording,
    transfer_call,
)
from tryvox_call_actions_client.models import (
    DtmfRequest,
    DtmfResponse,
    PlayRequest,
    PlayResponse,
    Problem,
    RecordingStartedResponse,
    RecordingStoppedResponse,
    RecordRequest,
    SpeakRequest,
    SpeakRequestEngine,
    SpeakResponse,
    TransferRequest,
    TransferResponse,
)

from tryvox_sim.sim.seed import DEFAULT_CALL_UUID

TOKEN = "tvx_sk_test_client_0001"
AUTH_ID = "your_auth_id"
CALL = UUID(DEFAULT_CALL_UUID)  # the spec's example call_uuid
BASE = f"/v1/voice/accounts/{AUTH_ID}/calls/{CALL}"


class Recorder:
    """A MockTransport that answers one canned response and remembers the request it got."""

    def __init__(self, status, body, content_type="application/json"):
        self.status, self.body, self.content_type = status, body, content_type
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body, headers={"Content-Type": self.content_type})

    @property
    def sent(self):
        request = self.requests[-1]
        return request.method, request.url.path, request.headers, json.loads(request.content or b"null")


def client_for(recorder):
    transport = httpx.MockTransport(recorder)
    return AuthenticatedClient(base_url="https://api.tryvox.io", token=TOKEN, httpx_args={"transport": transport})


# (module, body given to the client, JSON the client must send, success status, response, parsed type)
CASES = [
    (
        transfer_call,
        TransferRequest(to="+14155559999", caller_id="+14155551234", answer_url="https://example.com/transfer-answer"),
        {
            "to": "+14155559999",
            "caller_id": "+14155551234",
            "answer_url": "https://example.com/transfer-answer",
        },
        202,
        {
            "transfer_uuid": "850e8400-e29b-41d4-a716-446655440000",
            "status": "transferring",
            "to": "+14155559999",
        },
        TransferResponse,
    ),
    (
        start_recording,
        RecordRequest(),
        {"format": "mp3", "max_length": 14400, "trim_silence": False},
        202,
        {"recording_uuid": "950e8400-e29b-41d4-a716-446655440000", "status": "recording", "format": "mp3"},
        RecordingStartedResponse,
    ),
    (
        play_audio,
        PlayRequest(url="https://example.com/hold-music.mp3"),
        {"url": "https://example.com/hold-music.mp3", "loop": 1},
        202,
        {
            "play_uuid": "a50e8400-e29b-41d4-a716-446655440000",
            "status": "playing",
            "url": "https://example.com/hold-music.mp3",
        },
        PlayResponse,
    ),
    (
        speak_text,
        SpeakRequest(text="Please hold."),
        {"text": "Please hold.", "voice": "en-US-Standard-A", "language": "en-US", "engine": "neural"},
        202,
        {"speak_uuid": "b50e8400-e29b-41d4-a716-446655440000", "status": "speaking", "text": "Please hold."},
        SpeakResponse,
    ),
    (
        send_dtmf,
        DtmfRequest(digits="1234*#"),
        {"digits": "1234*#"},
        202,
        {"dtmf_uuid": "c50e8400-e29b-41d4-a716-446655440000", "status": "sent", "digits": "1234*#"},
        DtmfResponse,
    ),
]
PATHS = {
    transfer_call: "transfer",
    start_recording: "record",
    play_audio: "play",
    speak_text: "speak",
    send_dtmf: "dtmf",
}


@pytest.mark.parametrize(
    ("module", "body", "sent_json", "status", "answer", "parsed_type"),
    CASES,
    ids=[case[0].__name__.rsplit(".", 1)[-1] for case in CASES],
)
def test_action_sends_path_auth_and_body_with_defaults(module, body, sent_json, status, answer, parsed_type):
    recorder = Recorder(status, answer)
    response = module.sync_detailed(AUTH_ID, CALL, client=client_for(recorder), body=body)

    method, path, headers, sent = recorder.sent
    assert (method, path) == ("POST", f"{BASE}/{PATHS[module]}")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    assert sent == sent_json
    assert response.status_code == status
    assert isinstance(response.parsed, parsed_type)
    assert response.parsed.to_dict() == answer
    uuid_field = next(key for key in answer if key.endswith("_uuid"))
    assert getattr(response.parsed, uuid_field) == UUID(answer[uuid_field])


def test_docs_request_values_reach_the_wire():
    recorder = Recorder(202, {"speak_uuid": "b50e8400-e29b-41d4-a716-446655440000", "status": "speaking", "text": "Hi"})
    body = SpeakRequest(text="Hi", voice="en-US-Neural-Jenny", language="en-US", engine=SpeakRequestEngine.STANDARD)
    speak_text.sync(AUTH_ID, CALL, client=client_for(recorder), body=body)
    assert recorder.sent[3] == {
        "text": "Hi",
        "voice": "en-US-Neural-Jenny",
        "language": "en-US",
        "engine": "standard",
    }


def test_start_recording_without_a_body_sends_none():
    recorder = Recorder(
        202,
        {"recording_uuid": "950e8400-e29b-41d4-a716-446655440000", "status": "recording", "format": "mp3"},
    )
    parsed = start_recording.sync(AUTH_ID, CALL, client=client_for(recorder))
    assert recorder.requests[-1].content == b""
    assert parsed.format_.value == "mp3"


def test_stop_recording_parses_url_and_duration():
    answer = {
        "recording_uuid": "950e8400-e29b-41d4-a716-446655440000",
        "status": "stopped",
        "url": "https://recordings.tryvox.io/950e8400-e29b-41d4-a716-446655440000.mp3",
        "duration": 125,
    }
    recorder = Recorder(200, answer)
    parsed = stop_recording.sync(AUTH_ID, CALL, client=client_for(recorder))
    method, path, headers, sent = recorder.sent
    assert (method, path, sent) == ("DELETE", f"{BASE}/record", None)
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert isinstance(parsed, RecordingStoppedResponse)
    assert (parsed.duration, parsed.url.endswith(".mp3")) == (125, True)


PROBLEMS = [
    (send_dtmf, DtmfRequest(digits="12A4"), 422, "validation_failed", "/digits"),
    (start_recording, RecordRequest(), 409, "recording_already_running", None),
    (
        transfer_call,
        TransferRequest(to="+14155559999", caller_id="+14155550000"),
        422,
        "caller_id_not_owned",
        "/caller_id",
    ),
    (play_audio, PlayRequest(url="https://example.com/a.mp3"), 404, "call_not_found", None),
    (speak_text, SpeakRequest(text="x"), 401, "unauthorized", None),
    (stop_recording, None, 409, "no_active_recording", None),
    (send_dtmf, DtmfRequest(digits="1"), 429, "rate_limited", None),
]


@pytest.mark.parametrize(
    ("module", "body", "status", "code", "pointer"),
    PROBLEMS,
    ids=[f"{case[0].__name__.rsplit('.', 1)[-1]}-{case[2]}" for case in PROBLEMS],
)
def test_problem_json_errors_parse_into_problem(module, body, status, code, pointer):
    problem = {
        "type": f"https://docs.tryvox.io/errors/{code}",
        "title": "t",
        "status": status,
        "code": code,
        "detail": "d",
    }
    if pointer:
        problem["errors"] = [{"pointer": pointer, "message": "m"}]
    recorder = Recorder(status, problem, content_type="application/problem+json")
    kwargs = {} if body is None else {"body": body}
    parsed = module.sync(AUTH_ID, CALL, client=client_for(recorder), **kwargs)
    assert isinstance(parsed, Problem)
    assert (parsed.status, parsed.code) == (status, code)
    if pointer:
        assert parsed.errors[0].pointer == pointer


def test_undeclared_status_raises_when_asked():
    from tryvox_call_actions_client import errors

    recorder = Recorder(418, {"x": 1})
    client = client_for(recorder).with_headers({})
    client.raise_on_unexpected_status = True
    with pytest.raises(errors.UnexpectedStatus):
        send_dtmf.sync(AUTH_ID, CALL, client=client, body=DtmfRequest(digits="1"))


def test_functions_require_an_authenticated_client():
    import inspect

    for module in (*PATHS, stop_recording):
        annotation = inspect.signature(module.sync_detailed).parameters["client"].annotation
        assert annotation in (AuthenticatedClient, "AuthenticatedClient"), module.__name__
