from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TransferResponse")


@_attrs_define
class TransferResponse:
    """
    Attributes:
        transfer_uuid (UUID):
        status (Literal['transferring']):
        to (str): A phone number in E.164 format.
    """

    transfer_uuid: UUID
    status: Literal["transferring"]
    to: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        transfer_uuid = str(self.transfer_uuid)

        status = self.status

        to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "transfer_uuid": transfer_uuid,
                "status": status,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        transfer_uuid = UUID(d.pop("transfer_uuid"))

        status = cast(Literal["transferring"], d.pop("status"))
        if status != "transferring":
            raise ValueError(f"status must match const 'transferring', got '{status}'")

        to = d.pop("to")

        transfer_response = cls(
            transfer_uuid=transfer_uuid,
            status=status,
            to=to,
        )

        transfer_response.additional_properties = d
        return transfer_response

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
