"""Answers in AWS's shapes: moto keeps ``{}`` for what was never set, AWS leaves the key out.

An empty structure is never what AWS answers (botocore's shapes require members inside most of them,
e.g. VpcConfig's Subnets); empty lists and maps are answers in their own right and stay.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape


def omit_empty_structures(shape: Shape | None, value: Any) -> Any:
    """A copy of ``value`` without None members and empty structures, walked along ``shape``."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        kept: dict[str, Any] = {}
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                kept[key] = item  # moto's serializer leaves unknown keys out itself
                continue
            item = omit_empty_structures(member, item)
            if item is None or (member.type_name == "structure" and item == {}):
                continue
            kept[key] = item
        return kept
    if kind == "list" and isinstance(value, list):
        return [omit_empty_structures(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {key: omit_empty_structures(shape.value, item) for key, item in value.items()}  # type: ignore[attr-defined]
    return value
