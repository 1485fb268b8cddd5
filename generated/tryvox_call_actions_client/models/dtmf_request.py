from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="DtmfRequest")


@_attrs_define
class DtmfRequest:
    """
    Attributes:
        digits (str): Digits to send (0-9, *, #), at most 100
    """

    digits: str

    def to_dict(self) -> dict[str, Any]:
        digits = self.digits

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "digits": digits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        digits = d.pop("digits")

        dtmf_request = cls(
            digits=digits,
        )

        return dtmf_request
