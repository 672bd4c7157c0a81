"""What a spec may cost and how long it may take, before anything runs.

Worst case is exact arithmetic: every job runs its full ``max_runtime`` at on-demand price.
Expected is a rough guide built on stated assumptions, not a promise. A job's expected length comes
from history when there is some (the training jobs of the spec's warm-start parents, or of a tuning
job named with ``--like``): their median duration. Only without history is it a guess, a fixed
fraction of ``max_runtime`` (the constants below), and the assumptions say which one was used.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tunepilot.pricing import hourly_price, job_cost
from tunepilot.spec.durations import format_duration
from tunepilot.spec.models import TuningSpec

# Assumptions behind "expected". Tuning jobs rarely run to max_runtime, which is a safety cap.
EXPECTED_RUNTIME_FRACTION = 1 / 3
# Early stopping (Auto) and Hyperband cut unpromising jobs short; assume they save 40% of job time.
EARLY_STOPPING_FACTOR = 0.6
# best_objective_not_improving = N: assume the run stops after 2N jobs when that is fewer than max_jobs.
NOT_IMPROVING_MULTIPLIER = 2
# Managed spot training typically saves up to 90%; assume 70% for the expected cost.
SPOT_SAVINGS = 0.70


# Training jobs whose duration tells how long a job of this kind runs: finished, not failed.
HISTORY_STATUSES = frozenset({"Completed", "Stopped"})


@dataclass(frozen=True)
class JobHistory:
    """How long earlier training jobs of the same kind ran, and where that came from."""

    source: str  # e.g. "warm-start parents tp-a, tp-b" or "--like tp-x"
    seconds: tuple[float, ...] = ()
    problems: tuple[str, ...] = field(default=())  # what could not be read, said in the assumptions

    @property
    def usable(self) -> bool:
        return bool(self.seconds)


def history_from_summaries(source: str, summaries: Iterable[Mapping[str, Any]],
                           problems: Iterable[str] = ()) -> JobHistory:
    """Durations of the finished jobs in ``TrainingJobSummaries`` items (training start to end)."""
    seconds = []
    for s in summaries:
        start, end = s.get("TrainingStartTime"), s.get("TrainingEndTime")
        if s.get("TrainingJobStatus") in HISTORY_STATUSES and start and end and end > start:
            seconds.append((end - start).total_seconds())
    return JobHistory(source=source, seconds=tuple(seconds), problems=tuple(problems))


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
    expected_source: str = "guess"  # "history" or "guess"
    history_source: str | None = None
    history_jobs: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["assumptions"] = list(self.assumptions)
        return data


def estimate(spec: TuningSpec, history: JobHistory | None = None) -> Estimate:
    r, limits = spec.resources, spec.limits
    overrides = spec.budget.prices if spec.budget else None
    price = hourly_price(r.instance_type, overrides)
    max_jobs = limits.max_jobs or 1
    parallel = min(limits.max_parallel_jobs, max_jobs)

    if history is not None and history.usable:
        per_job = min(statistics.median(history.seconds), float(limits.max_runtime))
        fraction = per_job / limits.max_runtime
        assumptions = [f"jobs run about {format_duration(per_job)} each, the median of {len(history.seconds)} "
                       f"finished training job(s) of {history.source}"]
    else:
        fraction = EXPECTED_RUNTIME_FRACTION
        why = _no_history(history)
        assumptions = [f"jobs run about {EXPECTED_RUNTIME_FRACTION:.0%} of max_runtime, a guess: {why}"]
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
        expected_source="history" if history is not None and history.usable else "guess",
        history_source=history.source if history is not None else None,
        history_jobs=len(history.seconds) if history is not None else 0,
    )


def _no_history(history: JobHistory | None) -> str:
    if history is None:
        return "no history (no warm-start parents; --like names a tuning job to learn from)"
    if history.problems:
        return f"no history from {history.source} ({'; '.join(history.problems)})"
    return f"no history: {history.source} has no finished training job"


def _cents(usd: float | None) -> float | None:
    return None if usd is None else round(usd, 4)
