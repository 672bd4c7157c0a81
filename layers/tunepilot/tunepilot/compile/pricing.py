"""On-demand training prices: the packaged table (``tunepilot/data/prices.json``) plus spec overrides."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources


@cache
def price_table() -> dict[str, float]:
    """USD per instance-hour by instance type, as packaged (keys starting with ``_`` are notes)."""
    raw = json.loads(resources.files("tunepilot").joinpath("data/prices.json").read_text(encoding="utf-8"))
    return {k: float(v) for k, v in raw.items() if not k.startswith("_")}


def price_source() -> str:
    raw = json.loads(resources.files("tunepilot").joinpath("data/prices.json").read_text(encoding="utf-8"))
    return str(raw.get("_source", ""))


def hourly_price(instance_type: str, overrides: Mapping[str, float] | None = None) -> float | None:
    """USD per instance-hour; an override wins over the table; None when neither knows the type."""
    if overrides and instance_type in overrides:
        return float(overrides[instance_type])
    return price_table().get(instance_type)


def job_cost(seconds: float, instance_type: str, count: int, overrides: Mapping[str, float] | None = None) -> float:
    """USD for ``count`` instances running ``seconds``; raises KeyError for an unpriced type."""
    price = hourly_price(instance_type, overrides)
    if price is None:
        raise KeyError(f"no price for {instance_type}; add it under budget.prices")
    return seconds / 3600.0 * price * count
