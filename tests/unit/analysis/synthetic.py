"""Synthetic tuning jobs whose truth is known: which hyperparameter drives the objective, where the optimum is."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from tunepilot.analysis.trials import ObjectiveSpec, ParamRange, Trial, TuningJob

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

ETA = ParamRange(name="eta", kind="continuous", min=0.01, max=0.5, scaling="Logarithmic")
DEPTH = ParamRange(name="max_depth", kind="integer", min=2, max=10, scaling="Linear")
SUBSAMPLE = ParamRange(name="subsample", kind="continuous", min=0.5, max=1.0, scaling="Linear")
BOOSTER = ParamRange(name="booster", kind="categorical", values=("gbtree", "dart", "gblinear"))


def sample(r: ParamRange, rng: np.random.Generator) -> str:
    if r.kind == "categorical":
        return str(rng.choice(list(r.values)))
    assert r.min is not None and r.max is not None
    if r.kind == "integer":
        return str(int(rng.integers(int(r.min), int(r.max) + 1)))
    if r.scaling == "Logarithmic":
        x = math.exp(rng.uniform(math.log(r.min), math.log(r.max)))
    else:
        x = rng.uniform(r.min, r.max)
    return str(round(x)) if r.kind == "integer" else f"{x:.6g}"


def make_job(
    n: int,
    score: Callable[[dict[str, str], np.random.Generator], float | None],
    ranges: Sequence[ParamRange] = (ETA, DEPTH, SUBSAMPLE),
    *,
    direction: str = "Maximize",
    seed: int = 7,
    status: Callable[[int], str] = lambda i: "Completed",
    parallel: int = 2,
    job_seconds: float = 60.0,
    usd_per_job: float = 0.01,
) -> TuningJob:
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(1, n + 1):
        params = {r.name: sample(r, rng) for r in ranges}
        state = status(i)
        value = score(params, rng) if state == "Completed" else None
        start = T0 + timedelta(seconds=((i - 1) // parallel) * job_seconds)
        trials.append(Trial(
            name=f"tp-synthetic-{i:03d}-{i:08x}", index=i, status=state, hyperparameters=params,
            objective=value, objective_status="Succeeded" if value is not None else "Failed",
            metrics={"validation:auc": value} if value is not None else {},
            failure_reason="AlgorithmError: out of memory" if state == "Failed" else None,
            created=start, start=start, end=start + timedelta(seconds=job_seconds - 1),
            billable_seconds=job_seconds - 1, instance_type="ml.m5.large", cost_usd=usd_per_job))
    return TuningJob(name="tp-synthetic-0123abcd", status="Completed",
                     objective=ObjectiveSpec(metric="validation:auc", type=direction),  # type: ignore[arg-type]
                     strategy="Bayesian", ranges=tuple(ranges), trials=tuple(trials))


def eta_drives(params: dict[str, str], rng: np.random.Generator) -> float:
    """eta alone drives the score (peak at log-centre 0.07); the others add only noise."""
    eta = float(params["eta"])
    return 0.95 - 0.05 * (math.log(eta) - math.log(0.07)) ** 2 + rng.normal(0, 0.0005)


def depth_edge(params: dict[str, str], rng: np.random.Generator) -> float:
    """Deeper is always better: the optimum sits at max_depth's max."""
    return 0.80 + 0.015 * float(params["max_depth"]) + rng.normal(0, 0.0003)


def flat(params: dict[str, str], rng: np.random.Generator) -> float:
    return 0.9
