from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TransferRequest")


@_attrs_define
class TransferRequest:
    """
    Attributes:
        to (str): A phone number in E.164 format.
        caller_id (str | Unset): A phone number in E.164 format.
        answer_url (str | Unset): Webhook URL for the transferred call (absolute http or https URL)
    """

    to: str
    caller_id: str | Unset = UNSET
    answer_url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        to = self.to

        caller_id = self.caller_id

        answer_url = self.answer_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
            }
        )
        if caller_id is not UNSET:
            field_dict["caller_id"] = caller_id
        if answer_url is not UNSET:
            field_dict["answer_url"] = answer_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        to = d.pop("to")

        caller_id = d.pop("caller_id", UNSET)

        answer_url = d.pop("answer_url", UNSET)

        transfer_request = cls(
            to=to,
            caller_id=caller_id,
            answer_url=answer_url,
        )

        return transfer_request
