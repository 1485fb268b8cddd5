from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.speak_request_engine import SpeakRequestEngine
from ..types import UNSET, Unset

T = TypeVar("T", bound="SpeakRequest")


@_attrs_define
class SpeakRequest:
    """
    Attributes:
        text (str): Text to convert to speech (1 to 3000 characters, not only whitespace)
        voice (str | Unset): Voice ID Default: 'en-US-Standard-A'.
        language (str | Unset): Language code Default: 'en-US'.
        engine (SpeakRequestEngine | Unset): TTS engine: standard, neural Default: SpeakRequestEngine.NEURAL.
    """

    text: str
    voice: str | Unset = "en-US-Standard-A"
    language: str | Unset = "en-US"
    engine: SpeakRequestEngine | Unset = SpeakRequestEngine.NEURAL

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        voice = self.voice

        language = self.language

        engine: str | Unset = UNSET
        if not isinstance(self.engine, Unset):
            engine = self.engine.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "text": text,
            }
        )
        if voice is not UNSET:
            field_dict["voice"] = voice
        if language is not UNSET:
            field_dict["language"] = language
        if engine is not UNSET:
            field_dict["engine"] = engine

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        text = d.pop("text")

        voice = d.pop("voice", UNSET)

        language = d.pop("language", UNSET)

        _engine = d.pop("engine", UNSET)
        engine: SpeakRequestEngine | Unset
        if isinstance(_engine, Unset):
            engine = UNSET
        else:
            engine = SpeakRequestEngine(_engine)

        speak_request = cls(
            text=text,
            voice=voice,
            language=language,
            engine=engine,
        )

        return speak_request
