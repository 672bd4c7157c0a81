"""Budget arithmetic and stop policies. Pure: the clock and the ledger come in as arguments.

A job's cost comes from ``tunepilot.pricing.job_cost``. A *hard* budget also counts what the jobs
still running have spent so far (their elapsed time), so it stops the tuning job before the
settled spend crosses the cap; a *soft* budget waits for settled costs only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tunepilot.pricing import job_cost

Policy = Literal["hard", "soft"]
StopReason = Literal["BudgetExceeded", "WallClockExceeded", "JobCountExceeded"]


@dataclass(frozen=True)
class RunBudget:
    max_cost_usd: float | None
    policy: Policy
    usd_per_hour: float
    instance_count: int
    max_wall_clock_s: int | None
    max_training_jobs: int | None
    started_at: float


@dataclass(frozen=True)
class Spend:
    settled_usd: float
    running: dict[str, float] = field(default_factory=dict)  # training job -> start, epoch seconds
    jobs_settled: int = 0


@dataclass(frozen=True)
class StopDecision:
    reason: StopReason
    detail: str


def running_cost(spend: Spend, budget: RunBudget, now: float) -> float:
    """What the jobs still running have cost so far; a start in the future counts as zero."""
    rate, count = budget.usd_per_hour, budget.instance_count
    return sum(job_cost(now - started, rate, count) for started in spend.running.values())


def projected(spend: Spend, budget: RunBudget, now: float) -> float:
    """Settled spend plus the elapsed cost of every job still running."""
    return spend.settled_usd + running_cost(spend, budget, now)


def decide_stop(budget: RunBudget, spend: Spend, now: float) -> StopDecision | None:
    """The first limit reached, checked in order budget, wall clock, job count; None if none is."""
    return _budget_stop(budget, spend, now) or _wall_clock_stop(budget, now) or _job_count_stop(budget, spend)


def _budget_stop(budget: RunBudget, spend: Spend, now: float) -> StopDecision | None:
    cap = budget.max_cost_usd
    if cap is None:
        return None
    if budget.policy == "soft":
        if spend.settled_usd >= cap:
            return StopDecision(
                "BudgetExceeded",
                f"Settled spend ${spend.settled_usd:.2f} reached the ${cap:.2f} budget (soft policy) "
                f"after {spend.jobs_settled} finished training job(s).",
            )
        return None
    total = projected(spend, budget, now)
    if total >= cap:
        return StopDecision(
            "BudgetExceeded",
            f"Projected spend ${total:.2f} (settled ${spend.settled_usd:.2f} + "
            f"${total - spend.settled_usd:.2f} for {len(spend.running)} running job(s)) "
            f"reached the ${cap:.2f} budget (hard policy).",
        )
    return None


def _wall_clock_stop(budget: RunBudget, now: float) -> StopDecision | None:
    limit = budget.max_wall_clock_s
    if limit is None:
        return None
    elapsed = now - budget.started_at
    if elapsed >= limit:
        return StopDecision(
            "WallClockExceeded",
            f"The run has been tuning for {_duration(elapsed)}, reaching its wall-clock limit of {_duration(limit)}.",
        )
    return None


def _job_count_stop(budget: RunBudget, spend: Spend) -> StopDecision | None:
    limit = budget.max_training_jobs
    if limit is None or spend.jobs_settled < limit:
        return None
    return StopDecision(
        "JobCountExceeded",
        f"{spend.jobs_settled} training job(s) have finished, reaching the limit of {limit} "
        "(budget.max_training_jobs).",
    )


def _duration(seconds: float) -> str:
    """``3725`` -> ``1h 2m 5s``: readable in an alert."""
    total = max(round(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)
