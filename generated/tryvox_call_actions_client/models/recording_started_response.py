from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.recording_started_response_format import RecordingStartedResponseFormat

T = TypeVar("T", bound="RecordingStartedResponse")


@_attrs_define
class RecordingStartedResponse:
    """
    Attributes:
        recording_uuid (UUID):
        status (Literal['recording']):
        format_ (RecordingStartedResponseFormat):
    """

    recording_uuid: UUID
    status: Literal["recording"]
    format_: RecordingStartedResponseFormat
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        recording_uuid = str(self.recording_uuid)

        status = self.status

        format_ = self.format_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "recording_uuid": recording_uuid,
                "status": status,
                "format": format_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        recording_uuid = UUID(d.pop("recording_uuid"))

        status = cast(Literal["recording"], d.pop("status"))
        if status != "recording":
            raise ValueError(f"status must match const 'recording', got '{status}'")

        format_ = RecordingStartedResponseFormat(d.pop("format"))

        recording_started_response = cls(
            recording_uuid=recording_uuid,
            status=status,
            format_=format_,
        )

        recording_started_response.additional_properties = d
        return recording_started_response

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
