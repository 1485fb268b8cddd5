"""Contains all the data models used in inputs/outputs"""

from .call_details import CallDetails
from .call_status import CallStatus
from .dtmf_request import DtmfRequest
from .dtmf_response import DtmfResponse
from .field_error import FieldError
from .play_request import PlayRequest
from .play_response import PlayResponse
from .problem import Problem
from .record_request import RecordRequest
from .record_request_format import RecordRequestFormat
from .recording_details import RecordingDetails
from .recording_details_format import RecordingDetailsFormat
from .recording_details_status import RecordingDetailsStatus
from .recording_started_response import RecordingStartedResponse
from .recording_started_response_format import RecordingStartedResponseFormat
from .recording_stopped_response import RecordingStoppedResponse
from .speak_request import SpeakRequest
from .speak_request_engine import SpeakRequestEngine
from .speak_response import SpeakResponse
from .transfer_answered_event import TransferAnsweredEvent
from .transfer_request import TransferRequest
from .transfer_response import TransferResponse

__all__ = (
    "CallDetails",
    "CallStatus",
    "DtmfRequest",
    "DtmfResponse",
    "FieldError",
    "PlayRequest",
    "PlayResponse",
    "Problem",
    "RecordingDetails",
    "RecordingDetailsFormat",
    "RecordingDetailsStatus",
    "RecordingStartedResponse",
    "RecordingStartedResponseFormat",
    "RecordingStoppedResponse",
    "RecordRequest",
    "RecordRequestFormat",
    "SpeakRequest",
    "SpeakRequestEngine",
    "SpeakResponse",
    "TransferAnsweredEvent",
    "TransferRequest",
    "TransferResponse",
)
