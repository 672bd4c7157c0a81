"""Walk a raw JSON response against botocore's output shape, the way AWS would have to satisfy it.

botocore's parser is lenient (it drops unknown keys and accepts empty structures), so the check reads
the raw body: every required member present, no empty structure (AWS leaves the key out), no member
the shape does not know, enum values from the enum, and each scalar of the shape's type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.model import Shape


def problems(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` departs from ``shape``; empty when it conforms."""
    where = path or "<response>"
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        if not value and path:
            return [f"{where}: empty structure (AWS omits the key)"]
        found = [f"{where}: required member {m} missing" for m in shape.required_members if m not in value]
        members = shape.members  # type: ignore[attr-defined]
        for key, item in value.items():
            if key not in members:
                found.append(f"{where}: member {key} is not in {shape.name}")
            elif item is None:
                found.append(f"{where}.{key}: null (AWS omits the key)")
            else:
                found += problems(members[key], item, f"{path}.{key}" if path else key)
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        member = shape.member  # type: ignore[attr-defined]
        return [p for i, item in enumerate(value) for p in problems(member, item, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        return [p for k, item in value.items() for p in problems(shape.value, item, f"{path}[{k!r}]")]  # type: ignore[attr-defined]
    return _scalar(shape, value, where)


def _scalar(shape: Shape, value: Any, where: str) -> list[str]:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        enum = shape.enum  # type: ignore[attr-defined]
        if enum and value not in enum:
            return [f"{where}: {value!r} is not one of {shape.name}'s values"]
        return []
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected an integer, got {value!r}"]
    if kind in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected a number, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if kind == "timestamp":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return []
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: not a timestamp: {value!r}"]
        return []
    return []


@contextmanager
def raw_bodies(client: Any) -> Iterator[Callable[[str], list[Any]]]:
    """Record each operation's raw JSON body; yields ``bodies(operation_name)``."""
    import json

    seen: dict[str, list[Any]] = {}

    def record(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict.get("status_code", 500) < 300:
            seen.setdefault(operation_model.name, []).append(json.loads(response_dict["body"] or b"{}"))

    client.meta.events.register("before-parse.*.*", record)
    try:
        yield lambda name: seen.get(name, [])
    finally:
        client.meta.events.unregister("before-parse.*.*", record)


def check(client: Any, operation: str, body: Any) -> list[str]:
    shape = client.meta.service_model.operation_model(operation).output_shape
    return [f"{operation}: {p}" for p in problems(shape, body)]
