"""``analyze(job) -> Analysis``: importance, boundaries, convergence, improvement, cost, failures. Pure.

Every comparison is made in the objective's direction: ``sign * value`` is larger-is-better, so one
rule serves Maximize and Minimize. "A small tolerance" is ``TOLERANCE_REL`` of the best value's
magnitude (with an absolute floor), so an AUC of 0.98 needs to move by about 0.001 to count.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from tunepilot.analysis import scaling
from tunepilot.analysis.importance import importance
from tunepilot.analysis.model import (
    VERDICT_CONVERGED,
    VERDICT_FLAT,
    VERDICT_IMPROVING,
    VERDICT_NONE,
    Analysis,
    BaselineComparison,
    Best,
    Boundary,
    Categorical,
    CategoryStat,
    CheapJob,
    Comparison,
    Convergence,
    Cost,
    Failure,
    Importance,
    JobCounts,
    NoObjective,
    RunFacts,
)
from tunepilot.analysis.recommend import findings, recommendations, unimportant
from tunepilot.analysis.trials import ObjectiveSpec, Trial, TuningJob

TOLERANCE_REL = 1e-3
TOLERANCE_ABS = 1e-12
NEAR_BEST = 0.01  # "the cheapest job within 1% of the best"
GAIN_SHARE = 0.99  # "spend to reach 99% of the final gain"
REASON_MAX = 300


class BaselineValue(BaseModel):
    """The baseline as CheckImprovement reads it: a value and where it came from."""

    source: str | None = None
    value: float


class MetricSuggestion(BaseModel):
    """The metric guard's diagnosis of an objective regex that never matched."""

    metric: str
    regex: str | None = None
    suggested_regex: str | None = None
    diagnosis: str | None = None
    example: str | None = None


def analyze(
    job: TuningJob,
    *,
    baseline: BaselineValue | None = None,
    run: RunFacts | None = None,
    metric_suggestion: MetricSuggestion | None = None,
) -> Analysis:
    objective = job.objective
    trials = sorted(job.trials, key=lambda t: t.index)
    scored = [t for t in trials if t.scored]
    values = np.array([t.objective for t in scored], dtype=float)
    best = _best(scored, objective)
    tolerance = _tolerance(values)
    flat = bool(len(scored) >= 2 and np.ptp(values) <= tolerance)
    convergence = _convergence(trials, objective, tolerance, flat)
    imp = importance(trials, job.ranges, objective, flat) if scored else Importance(
        method="optuna PED-ANOVA", meaningful=False, note="no scored job")
    analysis = Analysis(
        tuning_job_name=job.name,
        objective=objective,
        jobs=_counts(trials),
        best=_best_model(best, trials, scored) if best else None,
        baseline=_against_baseline(best, baseline, objective) if best and baseline else None,
        vs_median=_compare(best, float(np.median(values)), objective) if best else None,
        vs_first=_compare(best, float(scored[0].objective or 0.0), objective) if best else None,
        importance=imp,
        boundaries=_boundaries(job, best, scored, objective) if best and not flat else [],  # ties: no edge
        categoricals=_categoricals(job, best, trials, objective) if best else [],
        convergence=convergence,
        cost=_cost(trials, scored, best, objective, run),
        failures=_failures(trials),
        no_objective=_no_objective(trials, objective, metric_suggestion),
        recommendations=[],
        run=run or RunFacts(),
        notes=list(job.notes),
    )
    low = set(unimportant(analysis))
    analysis.boundaries = [b.model_copy(update={"likely_chance": b.name in low}) for b in analysis.boundaries]
    analysis.recommendations = recommendations(analysis, job)
    analysis.findings = findings(analysis)
    return analysis


def best_trial(job: TuningJob) -> Trial | None:
    """The best scored training job (the earliest among equals), or None."""
    return _best([t for t in sorted(job.trials, key=lambda t: t.index) if t.scored], job.objective)


# ---------------------------------------------------------------------------------- pieces
def _best(scored: Sequence[Trial], objective: ObjectiveSpec) -> Trial | None:
    if not scored:
        return None
    return max(scored, key=lambda t: (objective.sign * float(t.objective or 0.0), -t.index))


def _tolerance(values: np.ndarray) -> float:
    if values.size == 0:
        return TOLERANCE_ABS
    return max(TOLERANCE_ABS, TOLERANCE_REL * float(np.max(np.abs(values))))


def _counts(trials: Sequence[Trial]) -> JobCounts:
    status = Counter(t.status for t in trials)
    return JobCounts(
        total=len(trials),
        completed=status.get("Completed", 0),
        failed=status.get("Failed", 0),
        stopped=status.get("Stopped", 0),
        in_progress=status.get("InProgress", 0) + status.get("Stopping", 0),
        no_objective=sum(1 for t in trials if _missing_objective(t)),
        scored=sum(1 for t in trials if t.scored),
    )


def _missing_objective(trial: Trial) -> bool:
    """Finished (Completed, or Stopped after it ran) without the objective: the regex never matched."""
    return trial.status in {"Completed", "Stopped"} and not trial.scored and trial.start is not None and (
        trial.status == "Completed" or trial.objective_status == "Failed")


def _seconds_from_start(trial: Trial, trials: Sequence[Trial]) -> float | None:
    starts = [t.start for t in trials if t.start]
    if not starts or not trial.end:
        return None
    return round((trial.end - min(starts)).total_seconds(), 3)


def _spend_through(trials: Sequence[Trial], index: int) -> float | None:
    costs = [t.cost_usd for t in trials if t.index <= index]
    if not costs:
        return None
    return round(sum(c for c in costs if c is not None), 8)


def _best_model(best: Trial, trials: Sequence[Trial], scored: Sequence[Trial]) -> Best:
    return Best(
        training_job=best.name,
        value=float(best.objective or 0.0),
        hyperparameters=dict(best.hyperparameters),
        job_index=best.index,
        seconds_from_start=_seconds_from_start(best, trials),
        spend_until_best_usd=_spend_through(trials, best.index),
    )


def _rel(improvement: float, reference: float) -> float | None:
    return improvement / abs(reference) if reference != 0 and math.isfinite(reference) else None


def _against_baseline(best: Trial, baseline: BaselineValue, objective: ObjectiveSpec) -> BaselineComparison | None:
    if not math.isfinite(baseline.value):
        return None
    gain = objective.sign * (float(best.objective or 0.0) - baseline.value)
    return BaselineComparison(source=baseline.source, value=baseline.value, improvement_abs=gain,
                              improvement_rel=_rel(gain, baseline.value))


def _compare(best: Trial, reference: float, objective: ObjectiveSpec) -> Comparison:
    gain = objective.sign * (float(best.objective or 0.0) - reference)
    return Comparison(value=reference, improvement_abs=gain, improvement_rel=_rel(gain, reference))


def _best_so_far(scored: Sequence[Trial], objective: ObjectiveSpec) -> list[tuple[Trial, float]]:
    """(trial, best value so far) for each scored trial in launch order."""
    out: list[tuple[Trial, float]] = []
    current: float | None = None
    for t in scored:
        v = float(t.objective or 0.0)
        if current is None or objective.sign * v > objective.sign * current:
            current = v
        out.append((t, current))
    return out


def _convergence(trials: Sequence[Trial], objective: ObjectiveSpec, tolerance: float, flat: bool) -> Convergence:
    scored = [t for t in trials if t.scored]
    if not scored:
        return Convergence(verdict=VERDICT_NONE, converged=False, jobs_since_last_improvement=len(trials))
    curve = _best_so_far(scored, objective)
    by_index = [[float(t.index), v] for t, v in curve]
    first_start = min((t.start for t in trials if t.start), default=None)
    by_time: list[list[float]] = []
    running: float | None = None
    for t in sorted((t for t in scored if t.end), key=lambda t: t.end or 0):
        v = float(t.objective or 0.0)
        running = v if running is None or objective.sign * v > objective.sign * running else running
        if t.end and first_start:
            by_time.append([round((t.end - first_start).total_seconds(), 3), running])
    final = curve[-1][1]
    last_improvement = next(t.index for t, v in curve if v == final)
    since = sum(1 for t in trials if t.index > last_improvement)
    cut = max(1, math.ceil(len(scored) * 2 / 3))
    before_last_third = curve[cut - 1][1]
    gained = objective.sign * (final - before_last_third)
    if flat:
        verdict, converged = VERDICT_FLAT, False
    elif len(scored) < 3 or gained > tolerance:
        verdict, converged = VERDICT_IMPROVING, False
    else:
        verdict, converged = VERDICT_CONVERGED, True
    return Convergence(verdict=verdict, converged=converged, jobs_since_last_improvement=since,
                       best_so_far=by_index, best_so_far_by_time=by_time,
                       last_third_improvement=round(gained, 12), tolerance=tolerance)


def _boundaries(job: TuningJob, best: Trial, scored: Sequence[Trial], objective: ObjectiveSpec) -> list[Boundary]:
    out = []
    for r in job.ranges:
        if not r.numeric or r.name not in best.hyperparameters or r.min is None or r.max is None:
            continue
        try:
            x = float(best.hyperparameters[r.name])
        except ValueError:
            continue
        where = scaling.position(r, x)
        if where is None:
            continue
        side = "min" if where <= scaling.EDGE else "max" if where >= 1 - scaling.EDGE else None
        if side is None:
            continue
        lo, hi = scaling.widened(r, side)
        at_limit = (lo, hi) == (r.min, r.max)
        out.append(Boundary(name=r.name, side=side, best_value=x, range=[r.min, r.max], suggested_range=[lo, hi],
                            scaling=r.scaling, position=round(where, 4), at_domain_limit=at_limit))
    return out


def _categoricals(job: TuningJob, best: Trial, trials: Sequence[Trial], objective: ObjectiveSpec) -> list[Categorical]:
    out = []
    for r in job.ranges:
        if r.numeric or r.name not in best.hyperparameters:
            continue
        stats = []
        for value in r.values:
            jobs = [t for t in trials if t.hyperparameters.get(r.name) == value]
            scores = np.array([t.objective for t in jobs if t.scored], dtype=float)
            top = float(scores.max() if objective.type == "Maximize" else scores.min()) if scores.size else None
            stats.append(CategoryStat(value=value, jobs=len(jobs), scored=int(scores.size), best=top,
                                      median=float(np.median(scores)) if scores.size else None))
        stats.sort(key=lambda s: (s.best is None, -objective.sign * (s.best or 0.0)))
        out.append(Categorical(name=r.name, winner=best.hyperparameters[r.name], values=stats))
    return out


def _cost(trials: Sequence[Trial], scored: Sequence[Trial], best: Trial | None, objective: ObjectiveSpec,
          run: RunFacts | None) -> Cost:
    priced = [t.cost_usd for t in trials if t.cost_usd is not None]
    total = round(float(sum(priced)), 8)
    run = run or RunFacts()
    base = {"budget_usd": run.max_cost_usd, "ledger_spend_usd": run.ledger_spend_usd,
            "unpriced_jobs": sum(1 for t in trials if t.cost_usd is None and t.start is not None),
            "estimated_jobs": sum(1 for t in trials if t.cost_estimated)}
    if best is None:
        return Cost(total_usd=total, until_best_usd=None, to_99pct_gain_usd=None, gain_per_usd=None,
                    cheapest_near_best=None, **base)
    curve = _best_so_far(scored, objective)
    first = float(scored[0].objective or 0.0)
    gain = objective.sign * (float(best.objective or 0.0) - first)
    target = first + objective.sign * GAIN_SHARE * gain
    reached = next(t for t, v in curve if objective.sign * (v - target) >= -1e-15)
    near = [t for t in scored if abs(float(t.objective or 0.0) - float(best.objective or 0.0))
            <= NEAR_BEST * abs(float(best.objective or 0.0))]
    cheapest = min(near, key=lambda t: (math.inf if t.cost_usd is None else t.cost_usd, t.index))
    return Cost(
        total_usd=total,
        until_best_usd=_spend_through(trials, best.index),
        to_99pct_gain_usd=_spend_through(trials, reached.index),
        gain_per_usd=round(gain / total, 10) if total > 0 else None,
        cheapest_near_best=CheapJob(training_job=cheapest.name, value=float(cheapest.objective or 0.0),
                                    cost_usd=cheapest.cost_usd),
        **base,
    )


def _reason(text: str | None, status: str = "Failed") -> str:
    default = "stopped by AMT (early stopping or a stop request)" if status == "Stopped" else "no reason given"
    line = " ".join((text or default).split())
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 3] + "..."


def _failures(trials: Sequence[Trial]) -> list[Failure]:
    groups = Counter((t.status, _reason(t.failure_reason, t.status)) for t in trials
                     if t.status in {"Failed", "Stopped"})
    groups.update((t.status, "the objective metric was never reported") for t in trials
                  if t.status == "Completed" and _missing_objective(t))
    return [Failure(status=s, reason=r, count=c) for (s, r), c in sorted(groups.items(), key=lambda i: (-i[1], i[0]))]


def _no_objective(trials: Sequence[Trial], objective: ObjectiveSpec,
                  suggestion: MetricSuggestion | None) -> NoObjective | None:
    missing = [t.name for t in trials if _missing_objective(t)]
    if not missing:
        return None
    diagnosis = (suggestion.diagnosis if suggestion and suggestion.diagnosis else
                 f"the regex for {objective.metric} matched nothing in these jobs' logs; the metric guard's alert "
                 "says why, or run `tunepilot diagnose-log` on one job's log")
    return NoObjective(jobs=missing, metric=objective.metric, diagnosis=diagnosis,
                       suggested_regex=suggestion.suggested_regex if suggestion else None)
