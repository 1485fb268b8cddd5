"""The operations of the tag call_actions: a module each (the functional API, `transfer_call.sync(...)`), and
CallActions / AsyncCallActions, which TryvoxClient / AsyncTryvoxClient reach them through."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from ..._resource_client import call_id, success
from ...models.dtmf_request import DtmfRequest
from ...models.dtmf_response import DtmfResponse
from ...models.play_request import PlayRequest
from ...models.play_response import PlayResponse
from ...models.record_request import RecordRequest
from ...models.record_request_format import RecordRequestFormat
from ...models.recording_started_response import RecordingStartedResponse
from ...models.recording_stopped_response import RecordingStoppedResponse
from ...models.speak_request import SpeakRequest
from ...models.speak_request_engine import SpeakRequestEngine
from ...models.speak_response import SpeakResponse
from ...models.transfer_request import TransferRequest
from ...models.transfer_response import TransferResponse
from ...types import UNSET, Unset
from . import play_audio as _play_audio
from . import send_dtmf as _send_dtmf
from . import speak_text as _speak_text
from . import start_recording as _start_recording
from . import stop_recording as _stop_recording
from . import transfer_call as _transfer_call

if TYPE_CHECKING:
    from ..._resource_client import AsyncClientBase, SyncClientBase


class CallActions:
    """call_actions: `transfer_call`, `start_recording`, `stop_recording`, `play_audio`, `speak_text`, `send_dtmf`."""

    def __init__(self, client: SyncClientBase) -> None:
        self._client = client

    def transfer_call(
        self,
        call_uuid: str | UUID,
        *,
        to: str,
        caller_id: str | Unset = UNSET,
        answer_url: str | Unset = UNSET,
        auth_id: str | None = None,
    ) -> TransferResponse:
        """Transfer Call

        Transfer an active call to another phone number. The call's status becomes `transferring`.
        When the destination answers, the transfer completes and the original call ends; if the
        transfer fails (busy or unanswered) the caller returns to the original call, which is
        `in-progress` again. `caller_id`, when given, must be a number the account owns.

        Args:
            call_uuid (str | UUID): The call's UUID.
            to (str): A phone number in E.164 format.
            caller_id (str | Unset): A phone number in E.164 format.
            answer_url (str | Unset): Webhook URL for the transferred call (absolute http or https URL)
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            TransferResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _transfer_call.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=TransferRequest(
                    to=to,
                    caller_id=caller_id,
                    answer_url=answer_url,
                ),
            ),
            TransferResponse,
        )

    def start_recording(
        self,
        call_uuid: str | UUID,
        *,
        format_: RecordRequestFormat | Unset = RecordRequestFormat.MP3,
        max_length: int | Unset = 14400,
        trim_silence: bool | Unset = False,
        auth_id: str | None = None,
    ) -> RecordingStartedResponse:
        """Start Recording

        Start recording an active call. Recording starts the moment the API is called and captures
        both sides of the call. Only one recording runs on a call at a time. A recording stops by
        itself when it reaches `max_length` seconds. The body may be omitted: every field has a
        default.

        Args:
            call_uuid (str | UUID): The call's UUID.
            format_ (RecordRequestFormat | Unset): Recording format: mp3, wav Default:
                RecordRequestFormat.MP3.
            max_length (int | Unset): Maximum recording length in seconds (1 to 14400) Default: 14400.
            trim_silence (bool | Unset): Trim silence from beginning and end Default: False.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            RecordingStartedResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _start_recording.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=RecordRequest(
                    format_=format_,
                    max_length=max_length,
                    trim_silence=trim_silence,
                ),
            ),
            RecordingStartedResponse,
        )

    def stop_recording(
        self,
        call_uuid: str | UUID,
        *,
        auth_id: str | None = None,
    ) -> RecordingStoppedResponse:
        """Stop Recording

        Stop the call's running recording. Answers with the finished recording: its URL (ending in
        the format's extension, kept for 30 days) and its duration in whole seconds. With no
        running recording the answer is `409` (`no_active_recording`).

        Args:
            call_uuid (str | UUID): The call's UUID.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            RecordingStoppedResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _stop_recording.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
            ),
            RecordingStoppedResponse,
        )

    def play_audio(
        self,
        call_uuid: str | UUID,
        *,
        url: str,
        loop: int | Unset = 1,
        auth_id: str | None = None,
    ) -> PlayResponse:
        """Play Audio

        Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
        Starting play stops any audio or speech currently playing on the call.

        Args:
            call_uuid (str | UUID): The call's UUID.
            url (str): URL of audio file to play (publicly accessible mp3 or wav, http or https)
            loop (int | Unset): Number of times to play the file (0 = loop until stopped) Default: 1.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            PlayResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _play_audio.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=PlayRequest(
                    url=url,
                    loop=loop,
                ),
            ),
            PlayResponse,
        )

    def speak_text(
        self,
        call_uuid: str | UUID,
        *,
        text: str,
        voice: str | Unset = "en-US-Standard-A",
        language: str | Unset = "en-US",
        engine: SpeakRequestEngine | Unset = SpeakRequestEngine.NEURAL,
        auth_id: str | None = None,
    ) -> SpeakResponse:
        """Speak Text

        Convert text to speech and play it to the caller. At most 3000 characters. Starting speech
        stops any audio or speech currently playing; the caller pressing a key (DTMF input)
        interrupts the speech.

        Args:
            call_uuid (str | UUID): The call's UUID.
            text (str): Text to convert to speech (1 to 3000 characters, not only whitespace)
            voice (str | Unset): Voice ID Default: 'en-US-Standard-A'.
            language (str | Unset): Language code Default: 'en-US'.
            engine (SpeakRequestEngine | Unset): TTS engine: standard, neural Default:
                SpeakRequestEngine.NEURAL.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            SpeakResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _speak_text.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=SpeakRequest(
                    text=text,
                    voice=voice,
                    language=language,
                    engine=engine,
                ),
            ),
            SpeakResponse,
        )

    def send_dtmf(
        self,
        call_uuid: str | UUID,
        *,
        digits: str,
        auth_id: str | None = None,
    ) -> DtmfResponse:
        """Send DTMF

        Send DTMF tones (touch-tone digits) during a call. Valid digits are `0-9`, `*` and `#`. Each
        digit is played for 200 ms with 200 ms gaps, so `n` digits take `400n - 200` ms.

        Args:
            call_uuid (str | UUID): The call's UUID.
            digits (str): Digits to send (0-9, *, #), at most 100
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            DtmfResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            _send_dtmf.sync_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=DtmfRequest(
                    digits=digits,
                ),
            ),
            DtmfResponse,
        )


class AsyncCallActions:
    """call_actions, awaited: `transfer_call`, `start_recording`, `stop_recording`, `play_audio`, `speak_text`, `send_dtmf`."""

    def __init__(self, client: AsyncClientBase) -> None:
        self._client = client

    async def transfer_call(
        self,
        call_uuid: str | UUID,
        *,
        to: str,
        caller_id: str | Unset = UNSET,
        answer_url: str | Unset = UNSET,
        auth_id: str | None = None,
    ) -> TransferResponse:
        """Transfer Call

        Transfer an active call to another phone number. The call's status becomes `transferring`.
        When the destination answers, the transfer completes and the original call ends; if the
        transfer fails (busy or unanswered) the caller returns to the original call, which is
        `in-progress` again. `caller_id`, when given, must be a number the account owns.

        Args:
            call_uuid (str | UUID): The call's UUID.
            to (str): A phone number in E.164 format.
            caller_id (str | Unset): A phone number in E.164 format.
            answer_url (str | Unset): Webhook URL for the transferred call (absolute http or https URL)
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            TransferResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _transfer_call.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=TransferRequest(
                    to=to,
                    caller_id=caller_id,
                    answer_url=answer_url,
                ),
            ),
            TransferResponse,
        )

    async def start_recording(
        self,
        call_uuid: str | UUID,
        *,
        format_: RecordRequestFormat | Unset = RecordRequestFormat.MP3,
        max_length: int | Unset = 14400,
        trim_silence: bool | Unset = False,
        auth_id: str | None = None,
    ) -> RecordingStartedResponse:
        """Start Recording

        Start recording an active call. Recording starts the moment the API is called and captures
        both sides of the call. Only one recording runs on a call at a time. A recording stops by
        itself when it reaches `max_length` seconds. The body may be omitted: every field has a
        default.

        Args:
            call_uuid (str | UUID): The call's UUID.
            format_ (RecordRequestFormat | Unset): Recording format: mp3, wav Default:
                RecordRequestFormat.MP3.
            max_length (int | Unset): Maximum recording length in seconds (1 to 14400) Default: 14400.
            trim_silence (bool | Unset): Trim silence from beginning and end Default: False.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            RecordingStartedResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _start_recording.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=RecordRequest(
                    format_=format_,
                    max_length=max_length,
                    trim_silence=trim_silence,
                ),
            ),
            RecordingStartedResponse,
        )

    async def stop_recording(
        self,
        call_uuid: str | UUID,
        *,
        auth_id: str | None = None,
    ) -> RecordingStoppedResponse:
        """Stop Recording

        Stop the call's running recording. Answers with the finished recording: its URL (ending in
        the format's extension, kept for 30 days) and its duration in whole seconds. With no
        running recording the answer is `409` (`no_active_recording`).

        Args:
            call_uuid (str | UUID): The call's UUID.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            RecordingStoppedResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _stop_recording.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
            ),
            RecordingStoppedResponse,
        )

    async def play_audio(
        self,
        call_uuid: str | UUID,
        *,
        url: str,
        loop: int | Unset = 1,
        auth_id: str | None = None,
    ) -> PlayResponse:
        """Play Audio

        Play an audio file to the caller. The file must be publicly accessible and be mp3 or wav.
        Starting play stops any audio or speech currently playing on the call.

        Args:
            call_uuid (str | UUID): The call's UUID.
            url (str): URL of audio file to play (publicly accessible mp3 or wav, http or https)
            loop (int | Unset): Number of times to play the file (0 = loop until stopped) Default: 1.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            PlayResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _play_audio.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=PlayRequest(
                    url=url,
                    loop=loop,
                ),
            ),
            PlayResponse,
        )

    async def speak_text(
        self,
        call_uuid: str | UUID,
        *,
        text: str,
        voice: str | Unset = "en-US-Standard-A",
        language: str | Unset = "en-US",
        engine: SpeakRequestEngine | Unset = SpeakRequestEngine.NEURAL,
        auth_id: str | None = None,
    ) -> SpeakResponse:
        """Speak Text

        Convert text to speech and play it to the caller. At most 3000 characters. Starting speech
        stops any audio or speech currently playing; the caller pressing a key (DTMF input)
        interrupts the speech.

        Args:
            call_uuid (str | UUID): The call's UUID.
            text (str): Text to convert to speech (1 to 3000 characters, not only whitespace)
            voice (str | Unset): Voice ID Default: 'en-US-Standard-A'.
            language (str | Unset): Language code Default: 'en-US'.
            engine (SpeakRequestEngine | Unset): TTS engine: standard, neural Default:
                SpeakRequestEngine.NEURAL.
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            SpeakResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _speak_text.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=SpeakRequest(
                    text=text,
                    voice=voice,
                    language=language,
                    engine=engine,
                ),
            ),
            SpeakResponse,
        )

    async def send_dtmf(
        self,
        call_uuid: str | UUID,
        *,
        digits: str,
        auth_id: str | None = None,
    ) -> DtmfResponse:
        """Send DTMF

        Send DTMF tones (touch-tone digits) during a call. Valid digits are `0-9`, `*` and `#`. Each
        digit is played for 200 ms with 200 ms gaps, so `n` digits take `400n - 200` ms.

        Args:
            call_uuid (str | UUID): The call's UUID.
            digits (str): Digits to send (0-9, *, #), at most 100
            auth_id (str | None): The account; default the client's (`TVX_AUTH_ID`).

        Returns:
            DtmfResponse

        Raises:
            errors.APIStatusError: Its subclass for the status of an error answer (NotFoundError, ConflictError, ...).
            errors.APIConnectionError: No answer; ``request_sent`` says whether the action may have been carried out.
        """

        return success(
            await _send_dtmf.asyncio_detailed(
                self._client.account(auth_id),
                call_id(call_uuid),
                client=self._client.http,
                body=DtmfRequest(
                    digits=digits,
                ),
            ),
            DtmfResponse,
        )


__all__ = ["AsyncCallActions", "CallActions"]
