from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.recording_details_format import RecordingDetailsFormat
from ..models.recording_details_status import RecordingDetailsStatus

T = TypeVar("T", bound="RecordingDetails")


@_attrs_define
class RecordingDetails:
    """
    Attributes:
        recording_uuid (UUID):
        status (RecordingDetailsStatus):
        format_ (RecordingDetailsFormat):
        url (None | str): Download URL once stopped; null while recording.
        duration (int | None):
        expires_at (datetime.datetime | None): When the recording is deleted (30 days after it stopped).
    """

    recording_uuid: UUID
    status: RecordingDetailsStatus
    format_: RecordingDetailsFormat
    url: None | str
    duration: int | None
    expires_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        recording_uuid = str(self.recording_uuid)

        status = self.status.value

        format_ = self.format_.value

        url: None | str
        url = self.url

        duration: int | None
        duration = self.duration

        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "recording_uuid": recording_uuid,
                "status": status,
                "format": format_,
                "url": url,
                "duration": duration,
                "expires_at": expires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        recording_uuid = UUID(d.pop("recording_uuid"))

        status = RecordingDetailsStatus(d.pop("status"))

        format_ = RecordingDetailsFormat(d.pop("format"))

        def _parse_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        url = _parse_url(d.pop("url"))

        def _parse_duration(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        duration = _parse_duration(d.pop("duration"))

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        recording_details = cls(
            recording_uuid=recording_uuid,
            status=status,
            format_=format_,
            url=url,
            duration=duration,
            expires_at=expires_at,
        )

        recording_details.additional_properties = d
        return recording_details

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
