from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.call_status import CallStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.recording_details import RecordingDetails


T = TypeVar("T", bound="CallDetails")


@_attrs_define
class CallDetails:
    """A call's details, as in the hangup webhook.

    Attributes:
        call_uuid (UUID):
        auth_id (str):
        status (CallStatus):
        from_ (str): A phone number in E.164 format.
        to (str): A phone number in E.164 format.
        recordings (list[RecordingDetails]):
        hangup_cause (None | str | Unset): Why the call ended, e.g. `normal_hangup` or `transferred`; null while active.
    """

    call_uuid: UUID
    auth_id: str
    status: CallStatus
    from_: str
    to: str
    recordings: list[RecordingDetails]
    hangup_cause: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        call_uuid = str(self.call_uuid)

        auth_id = self.auth_id

        status = self.status.value

        from_ = self.from_

        to = self.to

        recordings = []
        for recordings_item_data in self.recordings:
            recordings_item = recordings_item_data.to_dict()
            recordings.append(recordings_item)

        hangup_cause: None | str | Unset
        if isinstance(self.hangup_cause, Unset):
            hangup_cause = UNSET
        else:
            hangup_cause = self.hangup_cause

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "call_uuid": call_uuid,
                "auth_id": auth_id,
                "status": status,
                "from": from_,
                "to": to,
                "recordings": recordings,
            }
        )
        if hangup_cause is not UNSET:
            field_dict["hangup_cause"] = hangup_cause

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.recording_details import RecordingDetails  # noqa: PLC0415

        d = dict(src_dict)
        call_uuid = UUID(d.pop("call_uuid"))

        auth_id = d.pop("auth_id")

        status = CallStatus(d.pop("status"))

        from_ = d.pop("from")

        to = d.pop("to")

        recordings = []
        _recordings = d.pop("recordings")
        for recordings_item_data in _recordings:
            recordings_item = RecordingDetails.from_dict(recordings_item_data)

            recordings.append(recordings_item)

        def _parse_hangup_cause(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        hangup_cause = _parse_hangup_cause(d.pop("hangup_cause", UNSET))

        call_details = cls(
            call_uuid=call_uuid,
            auth_id=auth_id,
            status=status,
            from_=from_,
            to=to,
            recordings=recordings,
            hangup_cause=hangup_cause,
        )

        call_details.additional_properties = d
        return call_details

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
