from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DtmfResponse")


@_attrs_define
class DtmfResponse:
    """
    Attributes:
        dtmf_uuid (UUID):
        status (Literal['sent']):
        digits (str):
    """

    dtmf_uuid: UUID
    status: Literal["sent"]
    digits: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        dtmf_uuid = str(self.dtmf_uuid)

        status = self.status

        digits = self.digits

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "dtmf_uuid": dtmf_uuid,
                "status": status,
                "digits": digits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dtmf_uuid = UUID(d.pop("dtmf_uuid"))

        status = cast(Literal["sent"], d.pop("status"))
        if status != "sent":
            raise ValueError(f"status must match const 'sent', got '{status}'")

        digits = d.pop("digits")

        dtmf_response = cls(
            dtmf_uuid=dtmf_uuid,
            status=status,
            digits=digits,
        )

        dtmf_response.additional_properties = d
        return dtmf_response

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
