"""Recommendations and the top findings: short sentences that follow from the numbers. Pure."""

from __future__ import annotations

from tunepilot.analysis.model import VERDICT_CONVERGED, VERDICT_FLAT, VERDICT_IMPROVING, Analysis
from tunepilot.analysis.trials import TuningJob

UNIMPORTANT = 0.05  # a hyperparameter with less than 5% of the importance barely mattered


def fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.6g}" if signed else f"{value:.6g}"


def usd(value: float | None) -> str:
    if value is None:
        return "$?"
    return f"${value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"${value:.6f}"


def unimportant(analysis: Analysis) -> list[str]:
    if not analysis.importance.meaningful:
        return []
    return [v.name for v in analysis.importance.values if v.importance < UNIMPORTANT]


def recommendations(analysis: Analysis, job: TuningJob) -> list[str]:
    out: list[str] = []
    a = analysis
    if a.best is None:
        out.append(f"No training job reported {a.objective.metric}: there is nothing to learn from yet.")
        if a.no_objective:
            out.append(f"{len(a.no_objective.jobs)} job(s) finished without the objective: fix the metric regex "
                       f"first ({a.no_objective.diagnosis}).")
        if a.failures:
            top = a.failures[0]
            out.append(f"{top.count} job(s) ended {top.status}: {top.reason}")
        return out
    for b in a.boundaries:
        if b.likely_chance:
            out.append(f"{b.name}'s best value {fmt(b.best_value)} sits at the {b.side} of its range, but {b.name} "
                       "barely mattered: likely chance, so it is fixed rather than widened.")
        elif b.at_domain_limit:
            out.append(f"{b.name}'s best value {fmt(b.best_value)} sits at the {b.side} of [{fmt(b.range[0])}, "
                       f"{fmt(b.range[1])}], which is already the edge of its domain: the optimum may lie there.")
        else:
            out.append(f"Widen {b.name}: the best value {fmt(b.best_value)} sits at the {b.side} of "
                       f"[{fmt(b.range[0])}, {fmt(b.range[1])}]; try [{fmt(b.suggested_range[0])}, "
                       f"{fmt(b.suggested_range[1])}].")
    verdict = a.convergence.verdict
    if verdict == VERDICT_IMPROVING:
        out.append("The search was still improving at the end: a larger max_jobs (or a warm-started run) would "
                   "likely find better values.")
    elif verdict == VERDICT_CONVERGED:
        out.append(f"The search converged: {a.convergence.jobs_since_last_improvement} job(s) since the last "
                   "improvement; more jobs over the same ranges are unlikely to help.")
    elif verdict == VERDICT_FLAT:
        out.append("Every job scored about the same: check that these hyperparameters matter, and that the "
                   "metric is the one you mean.")
    if a.importance.meaningful and a.importance.values:
        top = a.importance.values[0]
        edge = any(b.name == top.name and not b.at_domain_limit for b in a.boundaries)  # never chance: it ranks first
        action = "widen it past the edge its best value sits on" if edge else "narrow its range around the best jobs"
        out.append(f"{top.name} mattered most ({top.importance:.0%} of the importance, {a.importance.method}): "
                   f"{action}.")
        low = unimportant(a)
        if low:
            out.append(f"{', '.join(low)} barely mattered (under {UNIMPORTANT:.0%} each): fix them at the best "
                       "job's values and spend the jobs elsewhere.")
    elif a.importance.note:
        out.append(f"Importance is not meaningful here: {a.importance.note}.")
    for c in a.categoricals:
        if len(c.values) > 1 and c.values[-1].best is not None:
            out.append(f"For {c.name}, {c.winner} won; the worst value was {c.values[-1].value}.")
    if a.baseline is not None:
        if a.baseline.improvement_abs > 0:
            out.append(f"The best job beat the baseline ({a.baseline.source or 'given'}) by "
                       f"{fmt(a.baseline.improvement_abs, True)}.")
        else:
            out.append(f"The best job did not beat the baseline ({fmt(a.baseline.value)}): "
                       f"{fmt(a.baseline.improvement_abs, True)}.")
    cost = a.cost
    if cost.to_99pct_gain_usd is not None and cost.total_usd > 0:
        share = cost.to_99pct_gain_usd / cost.total_usd
        if share < 0.5 and a.convergence.verdict != VERDICT_FLAT:
            out.append(f"99% of the gain over the first job came after {usd(cost.to_99pct_gain_usd)} of "
                       f"{usd(cost.total_usd)} ({share:.0%}): a smaller max_jobs would have done.")
    cheap = cost.cheapest_near_best
    if cheap and a.best and cheap.training_job != a.best.training_job:
        out.append(f"{cheap.training_job} came within 1% of the best for {usd(cheap.cost_usd)}.")
    if a.no_objective:
        out.append(f"{len(a.no_objective.jobs)} job(s) never reported {a.no_objective.metric}: "
                   f"{a.no_objective.diagnosis}.")
    failed = [f for f in a.failures if f.status == "Failed"]
    if failed:
        out.append(f"{sum(f.count for f in failed)} job(s) failed; the most common reason: {failed[0].reason}")
    return out


def findings(analysis: Analysis) -> list[str]:
    """The three most useful findings, one line each, most urgent first."""
    a = analysis
    lines: list[str] = []
    if a.best is None:
        lines.append(f"no training job reported {a.objective.metric} ({a.jobs.total} job(s) ran)")
    if a.no_objective:
        lines.append(f"{len(a.no_objective.jobs)} job(s) never reported {a.no_objective.metric}: check the regex")
    for b in a.boundaries:
        if not b.at_domain_limit and not b.likely_chance:
            lines.append(f"{b.name} best at its {b.side} ({fmt(b.best_value)}): widen to "
                         f"[{fmt(b.suggested_range[0])}, {fmt(b.suggested_range[1])}]")
    if a.best is not None:
        lines.append(f"{a.convergence.verdict} ({a.convergence.jobs_since_last_improvement} job(s) since the "
                     "last improvement)")
    if a.importance.meaningful and a.importance.values:
        top = a.importance.values[0]
        lines.append(f"{top.name} mattered most ({top.importance:.0%}, {a.importance.method})")
    if a.baseline is not None:
        word = "beat" if a.baseline.improvement_abs > 0 else "did not beat"
        lines.append(f"{word} the baseline by {fmt(a.baseline.improvement_abs, True)}")
    elif a.vs_first is not None and a.best is not None:
        lines.append(f"best {fmt(a.best.value)}, {fmt(a.vs_first.improvement_abs, True)} over the first job")
    failed = sum(f.count for f in a.failures if f.status == "Failed")
    if failed:
        lines.append(f"{failed} job(s) failed")
    return lines[:3]
