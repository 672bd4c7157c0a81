"""The edge of every handler: parse the event into a model, or fail with a named, readable error."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tunepilot.exceptions import BadEvent

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], event: Any) -> M:
    try:
        return model.model_validate(event)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '<event>'}: {err['msg']}" for err in e.errors())
        raise BadEvent(f"{model.__name__}: {problems}") from e
