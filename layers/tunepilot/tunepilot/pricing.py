"""What training costs: the packaged on-demand price table (``tunepilot/data/prices.json``), the
spec's price overrides, and one job's cost. Pure; imported by the spec rules, the estimate and the
budget policy alike, so it belongs to none of them.

SageMaker bills a training job for its billable seconds on every instance, so a job's cost is
``seconds x hourly price / 3600 x instance count``.
"""

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


def job_cost(seconds: float, usd_per_hour: float, instance_count: int) -> float:
    """Dollars a training job costs: ``seconds`` on every instance at the hourly price (never negative)."""
    return max(seconds, 0.0) * usd_per_hour / 3600.0 * instance_count


def priced_job_cost(
    seconds: float, instance_type: str, count: int, overrides: Mapping[str, float] | None = None
) -> float:
    """``job_cost`` at the instance type's price; raises KeyError for an unpriced type."""
    price = hourly_price(instance_type, overrides)
    if price is None:
        raise KeyError(f"no price for {instance_type}; add it under budget.prices")
    return job_cost(seconds, price, count)
