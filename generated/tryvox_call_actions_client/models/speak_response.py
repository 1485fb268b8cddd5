from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SpeakResponse")


@_attrs_define
class SpeakResponse:
    """
    Attributes:
        speak_uuid (UUID):
        status (Literal['speaking']):
        text (str):
    """

    speak_uuid: UUID
    status: Literal["speaking"]
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        speak_uuid = str(self.speak_uuid)

        status = self.status

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "speak_uuid": speak_uuid,
                "status": status,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        speak_uuid = UUID(d.pop("speak_uuid"))

        status = cast(Literal["speaking"], d.pop("status"))
        if status != "speaking":
            raise ValueError(f"status must match const 'speaking', got '{status}'")

        text = d.pop("text")

        speak_response = cls(
            speak_uuid=speak_uuid,
            status=status,
            text=text,
        )

        speak_response.additional_properties = d
        return speak_response

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
