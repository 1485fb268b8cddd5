from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PlayRequest")


@_attrs_define
class PlayRequest:
    """
    Attributes:
        url (str): URL of audio file to play (publicly accessible mp3 or wav, http or https)
        loop (int | Unset): Number of times to play the file (0 = loop until stopped) Default: 1.
    """

    url: str
    loop: int | Unset = 1

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        loop = self.loop

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )
        if loop is not UNSET:
            field_dict["loop"] = loop

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        loop = d.pop("loop", UNSET)

        play_request = cls(
            url=url,
            loop=loop,
        )

        return play_request
