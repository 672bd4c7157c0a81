"""What a spec may cost and how long it may take, before anything runs.

Worst case is exact arithmetic: every job runs its full ``max_runtime`` at on-demand price.
Expected is a rough guide built on stated assumptions (the constants below), not a promise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from tunepilot.pricing import hourly_price, job_cost
from tunepilot.spec.models import TuningSpec

# Assumptions behind "expected". Tuning jobs rarely run to max_runtime, which is a safety cap.
EXPECTED_RUNTIME_FRACTION = 1 / 3
# Early stopping (Auto) and Hyperband cut unpromising jobs short; assume they save 40% of job time.
EARLY_STOPPING_FACTOR = 0.6
# best_objective_not_improving = N: assume the run stops after 2N jobs when that is fewer than max_jobs.
NOT_IMPROVING_MULTIPLIER = 2
# Managed spot training typically saves up to 90%; assume 70% for the expected cost.
SPOT_SAVINGS = 0.70


@dataclass(frozen=True)
class Estimate:
    instance_type: str
    instance_count: int
    usd_per_hour: float | None  # None: the type is in neither the price table nor budget.prices
    max_jobs: int
    max_parallel_jobs: int
    worst_cost_usd: float | None
    expected_cost_usd: float | None
    worst_wall_seconds: int
    expected_wall_seconds: int
    expected_jobs: int
    spot: bool
    budget_usd: float | None
    assumptions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["assumptions"] = list(self.assumptions)
        return data


def estimate(spec: TuningSpec) -> Estimate:
    r, limits = spec.resources, spec.limits
    overrides = spec.budget.prices if spec.budget else None
    price = hourly_price(r.instance_type, overrides)
    max_jobs = limits.max_jobs or 1
    parallel = min(limits.max_parallel_jobs, max_jobs)

    assumptions = [f"jobs run about {EXPECTED_RUNTIME_FRACTION:.0%} of max_runtime"]
    fraction = EXPECTED_RUNTIME_FRACTION
    if spec.early_stopping == "Auto" or spec.strategy.type == "Hyperband":
        fraction *= EARLY_STOPPING_FACTOR
        assumptions.append(f"early stopping saves {1 - EARLY_STOPPING_FACTOR:.0%} of job time")
    expected_jobs = max_jobs
    criteria = spec.completion_criteria
    if criteria and criteria.best_objective_not_improving:
        expected_jobs = min(max_jobs, NOT_IMPROVING_MULTIPLIER * criteria.best_objective_not_improving)
        if expected_jobs < max_jobs:
            assumptions.append(f"the not-improving criterion ends the run after about {expected_jobs} jobs")

    worst_wall = math.ceil(max_jobs / parallel) * limits.max_runtime
    expected_wall = math.ceil(math.ceil(expected_jobs / parallel) * limits.max_runtime * fraction)
    for cap in (limits.max_tuning_runtime, spec.budget.max_wall_clock if spec.budget else None):
        if cap is not None:
            worst_wall, expected_wall = min(worst_wall, cap), min(expected_wall, cap)

    worst_cost = expected_cost = None
    if price is not None:
        worst_cost = max_jobs * job_cost(limits.max_runtime, price, r.instance_count)
        expected_cost = expected_jobs * job_cost(limits.max_runtime * fraction, price, r.instance_count)
        if r.spot.enabled:
            expected_cost *= 1 - SPOT_SAVINGS
            assumptions.append(f"spot saves {SPOT_SAVINGS:.0%} (worst case assumes on-demand)")
    return Estimate(
        instance_type=r.instance_type,
        instance_count=r.instance_count,
        usd_per_hour=price,
        max_jobs=max_jobs,
        max_parallel_jobs=parallel,
        worst_cost_usd=_cents(worst_cost),
        expected_cost_usd=_cents(expected_cost),
        worst_wall_seconds=worst_wall,
        expected_wall_seconds=expected_wall,
        expected_jobs=expected_jobs,
        spot=r.spot.enabled,
        budget_usd=spec.budget.max_cost_usd if spec.budget else None,
        assumptions=tuple(assumptions),
    )


def _cents(usd: float | None) -> float | None:
    return None if usd is None else round(usd, 4)
