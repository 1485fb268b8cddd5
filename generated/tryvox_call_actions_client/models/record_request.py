from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.record_request_format import RecordRequestFormat
from ..types import UNSET, Unset

T = TypeVar("T", bound="RecordRequest")


@_attrs_define
class RecordRequest:
    """
    Attributes:
        format_ (RecordRequestFormat | Unset): Recording format: mp3, wav Default: RecordRequestFormat.MP3.
        max_length (int | Unset): Maximum recording length in seconds (1 to 14400) Default: 14400.
        trim_silence (bool | Unset): Trim silence from beginning and end Default: False.
    """

    format_: RecordRequestFormat | Unset = RecordRequestFormat.MP3
    max_length: int | Unset = 14400
    trim_silence: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        format_: str | Unset = UNSET
        if not isinstance(self.format_, Unset):
            format_ = self.format_.value

        max_length = self.max_length

        trim_silence = self.trim_silence

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if format_ is not UNSET:
            field_dict["format"] = format_
        if max_length is not UNSET:
            field_dict["max_length"] = max_length
        if trim_silence is not UNSET:
            field_dict["trim_silence"] = trim_silence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _format_ = d.pop("format", UNSET)
        format_: RecordRequestFormat | Unset
        if isinstance(_format_, Unset):
            format_ = UNSET
        else:
            format_ = RecordRequestFormat(_format_)

        max_length = d.pop("max_length", UNSET)

        trim_silence = d.pop("trim_silence", UNSET)

        record_request = cls(
            format_=format_,
            max_length=max_length,
            trim_silence=trim_silence,
        )

        return record_request
