from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RecordingStoppedResponse")


@_attrs_define
class RecordingStoppedResponse:
    """
    Attributes:
        recording_uuid (UUID):
        status (Literal['stopped']):
        url (str): Where the recording can be downloaded for 30 days.
        duration (int): Length of the recording in whole seconds.
    """

    recording_uuid: UUID
    status: Literal["stopped"]
    url: str
    duration: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        recording_uuid = str(self.recording_uuid)

        status = self.status

        url = self.url

        duration = self.duration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "recording_uuid": recording_uuid,
                "status": status,
                "url": url,
                "duration": duration,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        recording_uuid = UUID(d.pop("recording_uuid"))

        status = cast(Literal["stopped"], d.pop("status"))
        if status != "stopped":
            raise ValueError(f"status must match const 'stopped', got '{status}'")

        url = d.pop("url")

        duration = d.pop("duration")

        recording_stopped_response = cls(
            recording_uuid=recording_uuid,
            status=status,
            url=url,
            duration=duration,
        )

        recording_stopped_response.additional_properties = d
        return recording_stopped_response

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
