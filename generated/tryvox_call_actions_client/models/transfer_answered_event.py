from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TransferAnsweredEvent")


@_attrs_define
class TransferAnsweredEvent:
    """
    Attributes:
        transfer_uuid (UUID):
        call_uuid (UUID):
        to (str): A phone number in E.164 format.
        status (Literal['answered']):
        caller_id (None | str | Unset):
    """

    transfer_uuid: UUID
    call_uuid: UUID
    to: str
    status: Literal["answered"]
    caller_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        transfer_uuid = str(self.transfer_uuid)

        call_uuid = str(self.call_uuid)

        to = self.to

        status = self.status

        caller_id: None | str | Unset
        if isinstance(self.caller_id, Unset):
            caller_id = UNSET
        else:
            caller_id = self.caller_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "transfer_uuid": transfer_uuid,
                "call_uuid": call_uuid,
                "to": to,
                "status": status,
            }
        )
        if caller_id is not UNSET:
            field_dict["caller_id"] = caller_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        transfer_uuid = UUID(d.pop("transfer_uuid"))

        call_uuid = UUID(d.pop("call_uuid"))

        to = d.pop("to")

        status = cast(Literal["answered"], d.pop("status"))
        if status != "answered":
            raise ValueError(f"status must match const 'answered', got '{status}'")

        def _parse_caller_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        caller_id = _parse_caller_id(d.pop("caller_id", UNSET))

        transfer_answered_event = cls(
            transfer_uuid=transfer_uuid,
            call_uuid=call_uuid,
            to=to,
            status=status,
            caller_id=caller_id,
        )

        transfer_answered_event.additional_properties = d
        return transfer_answered_event

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
