from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PlayResponse")


@_attrs_define
class PlayResponse:
    """
    Attributes:
        play_uuid (UUID):
        status (Literal['playing']):
        url (str):
    """

    play_uuid: UUID
    status: Literal["playing"]
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        play_uuid = str(self.play_uuid)

        status = self.status

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "play_uuid": play_uuid,
                "status": status,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        play_uuid = UUID(d.pop("play_uuid"))

        status = cast(Literal["playing"], d.pop("status"))
        if status != "playing":
            raise ValueError(f"status must match const 'playing', got '{status}'")

        url = d.pop("url")

        play_response = cls(
            play_uuid=play_uuid,
            status=status,
            url=url,
        )

        play_response.additional_properties = d
        return play_response

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
