"""analyze() on synthetic tuning jobs whose truth is known, and on the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tunepilot.analysis.analyze import BaselineValue, MetricSuggestion, analyze
from tunepilot.analysis.model import VERDICT_CONVERGED, VERDICT_FLAT, VERDICT_IMPROVING, VERDICT_NONE
from tunepilot.analysis.trials import ParamRange

from tests.unit.analysis.synthetic import BOOSTER, DEPTH, ETA, SUBSAMPLE, depth_edge, eta_drives, flat, make_job

ISSUE_KEYS = {"tuning_job_name", "objective", "jobs", "best", "baseline", "importance", "boundaries", "convergence",
              "cost", "failures", "recommendations", "artifacts"}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5], ids=lambda s: f"seed{s}")
def test_the_driving_hyperparameter_ranks_first(seed):
    analysis = analyze(make_job(30, eta_drives, seed=seed))
    assert analysis.importance.meaningful
    assert analysis.importance.values[0].name == "eta"
    assert math.isclose(sum(v.importance for v in analysis.importance.values), 1.0, abs_tol=1e-5)
    assert analysis.importance.method == "optuna PED-ANOVA"
    assert analysis.findings and any("eta mattered most" in line for line in analysis.findings)


@pytest.mark.parametrize(
    "direction,score,side",
    [
        ("Maximize", depth_edge, "max"),
        ("Minimize", lambda p, rng: 0.5 - 0.02 * float(p["max_depth"]) + rng.normal(0, 1e-4), "max"),
        ("Minimize", depth_edge, "min"),
    ],
    ids=["maximize-deeper-is-better", "minimize-deeper-is-better", "minimize-shallower-is-better"],
)
def test_an_optimum_at_a_range_edge_flags_exactly_that_edge(direction, score, side):
    analysis = analyze(make_job(30, score, direction=direction))
    assert [(b.name, b.side) for b in analysis.boundaries] == [("max_depth", side)]
    b = analysis.boundaries[0]
    assert b.range == [2.0, 10.0]
    if side == "max":
        assert b.suggested_range[0] == 2.0 and b.suggested_range[1] > 10.0
    else:  # an integer range starting at 2 widens down to 1, never below
        assert b.suggested_range == [1.0, 10.0]


def test_a_flat_objective_gets_the_flat_verdict_and_no_importance():
    analysis = analyze(make_job(20, flat))
    assert analysis.convergence.verdict == VERDICT_FLAT
    assert analysis.convergence.converged is False
    assert analysis.importance.meaningful is False and "flat" in (analysis.importance.note or "")


@pytest.mark.parametrize(
    "values,verdict,since",
    [
        ([0.5, 0.6, 0.7, 0.8, 0.9, 0.91, 0.92, 0.93, 0.99], VERDICT_IMPROVING, 0),
        ([0.5, 0.9, 0.95, 0.95, 0.94, 0.93, 0.95, 0.9, 0.91], VERDICT_CONVERGED, 6),
    ],
    ids=["improving-at-the-end", "converged-early"],
)
def test_convergence_verdicts(values, verdict, since):
    it = iter(values)
    analysis = analyze(make_job(len(values), lambda p, rng: next(it)))
    assert analysis.convergence.verdict == verdict
    assert analysis.convergence.jobs_since_last_improvement == since
    assert [v for _, v in analysis.convergence.best_so_far] == list(np.maximum.accumulate(values))
    assert len(analysis.convergence.best_so_far_by_time) == len(values)


def test_improvement_and_cost_numbers():
    values = iter([0.80, 0.85, 0.90, 0.899, 0.95, 0.70])
    analysis = analyze(make_job(6, lambda p, rng: next(values), usd_per_job=0.5),
                       baseline=BaselineValue(source="value", value=0.9))
    assert analysis.best and analysis.best.job_index == 5 and analysis.best.value == 0.95
    assert analysis.baseline and math.isclose(analysis.baseline.improvement_abs, 0.05)
    assert math.isclose(analysis.baseline.improvement_rel or 0, 0.05 / 0.9)
    assert analysis.vs_first and math.isclose(analysis.vs_first.improvement_abs, 0.15)
    assert analysis.vs_median and math.isclose(analysis.vs_median.value, float(np.median([.8, .85, .9, .899, .95, .7])))
    cost = analysis.cost
    assert cost.total_usd == 3.0 and cost.until_best_usd == 2.5
    assert cost.to_99pct_gain_usd == 2.5  # 0.80 + 0.99 * 0.15 = 0.9485 is first reached by job 5
    assert math.isclose(cost.gain_per_usd or 0, 0.15 / 3.0)
    assert cost.cheapest_near_best and cost.cheapest_near_best.training_job.endswith("-005-00000005")
    assert analysis.best.spend_until_best_usd == 2.5


def test_minimize_picks_the_lowest_and_signs_improvements_towards_better():
    values = iter([0.40, 0.30, 0.35, 0.20])
    analysis = analyze(make_job(4, lambda p, rng: next(values), direction="Minimize"),
                       baseline=BaselineValue(source="training_job", value=0.25))
    assert analysis.best and analysis.best.value == 0.20
    assert analysis.baseline and math.isclose(analysis.baseline.improvement_abs, 0.05)
    assert analysis.vs_first and math.isclose(analysis.vs_first.improvement_abs, 0.20)


def test_no_jobs_at_all():
    analysis = analyze(make_job(0, flat))
    assert analysis.best is None and analysis.jobs.total == 0
    assert analysis.convergence.verdict == VERDICT_NONE
    assert analysis.cost.total_usd == 0 and analysis.failures == []
    assert set(analysis.to_json()) >= ISSUE_KEYS


def test_every_job_failed():
    analysis = analyze(make_job(5, flat, status=lambda i: "Failed"))
    assert analysis.best is None and analysis.jobs.failed == 5
    assert [(f.status, f.reason, f.count) for f in analysis.failures] == [
        ("Failed", "AlgorithmError: out of memory", 5)]
    assert analysis.findings[0].startswith("no training job reported validation:auc")
    assert analysis.boundaries == [] and analysis.importance.meaningful is False


def test_one_job():
    analysis = analyze(make_job(1, lambda p, rng: 0.9))
    assert analysis.best and analysis.best.job_index == 1
    assert analysis.convergence.verdict == VERDICT_IMPROVING and analysis.importance.meaningful is False


def test_categorical_only_reports_the_winner_and_how_the_others_did():
    scores = {"gbtree": 0.95, "dart": 0.93, "gblinear": 0.80}
    analysis = analyze(make_job(24, lambda p, rng: scores[p["booster"]] + rng.normal(0, 1e-3), ranges=(BOOSTER,)))
    (booster,) = analysis.categoricals
    assert booster.winner == "gbtree"
    assert [s.value for s in booster.values] == ["gbtree", "dart", "gblinear"]
    assert analysis.boundaries == []


def test_jobs_without_the_objective_point_to_the_metric_guard():
    job = make_job(4, lambda p, rng: None)
    suggestion = MetricSuggestion(metric="validation:auc", suggested_regex=r"validation-auc:([0-9.]+)",
                                  diagnosis="the log prints validation-auc, not validation:auc")
    analysis = analyze(job, metric_suggestion=suggestion)
    assert analysis.jobs.no_objective == 4 and analysis.no_objective is not None
    assert analysis.no_objective.suggested_regex == r"validation-auc:([0-9.]+)"
    assert ("Completed", "the objective metric was never reported", 4) in [
        (f.status, f.reason, f.count) for f in analysis.failures]
    assert any("never reported" in line for line in analysis.findings)


@pytest.mark.parametrize(
    "r,best,side,suggested",
    [
        (ParamRange(name="eta", kind="continuous", min=0.05, max=0.5, scaling="Logarithmic"), "0.49", "max",
         [0.05, 1.0]),
        (ParamRange(name="eta", kind="continuous", min=0.01, max=0.5, scaling="Logarithmic"), "0.0105", "min",
         [0.001414, 0.5]),
        (ParamRange(name="subsample", kind="continuous", min=0.5, max=1.0), "0.99", "max", None),
        (ParamRange(name="max_depth", kind="integer", min=1, max=6), "1", "min", None),
        (ParamRange(name="alpha", kind="continuous", min=-1, max=1), "0.98", "max", [-1.0, 2.0]),
        (ParamRange(name="gamma", kind="continuous", min=0.5, max=4), "0.6", "min", [0.0, 4.0]),
        (ParamRange(name="momentum", kind="continuous", min=0.9, max=0.999, scaling="ReverseLogarithmic"),
         "0.9989", "max", None),
    ],
    ids=["log-max-capped-at-1", "log-min", "probability-at-1-is-the-domain", "integer-at-1-is-the-domain",
         "linear-unbounded", "non-negative-floor", "reverse-log-max"],
)
def test_boundary_widening_respects_the_domain(r, best, side, suggested):
    job = make_job(1, lambda p, rng: 0.9, ranges=(r,))
    trial = job.trials[0].model_copy(update={"hyperparameters": {r.name: best}})
    analysis = analyze(job.model_copy(update={"trials": (trial,)}))
    (b,) = analysis.boundaries
    assert b.side == side
    if suggested is None:
        assert b.at_domain_limit or (r.scaling == "ReverseLogarithmic" and b.suggested_range[1] < 1.0)
    else:
        assert b.suggested_range == suggested and not b.at_domain_limit


def test_log_ranges_are_judged_in_log_space():
    # 0.3 is 87% of the way from 0.05 to 0.5 linearly... and 78% in log space: no edge either way;
    # 0.45 is 89% linearly but 95.4% in log space: an edge only in the range's own scaling.
    job = make_job(1, lambda p, rng: 0.9, ranges=(ParamRange(name="eta", kind="continuous", min=0.05, max=0.5,
                                                             scaling="Logarithmic"),))
    for value, edge in (("0.3", False), ("0.45", True)):
        trial = job.trials[0].model_copy(update={"hyperparameters": {"eta": value}})
        assert bool(analyze(job.model_copy(update={"trials": (trial,)})).boundaries) is edge


def test_json_has_the_issue_names():
    data = analyze(make_job(12, eta_drives, ranges=(ETA, DEPTH, SUBSAMPLE))).to_json()
    assert set(data) >= ISSUE_KEYS
    assert set(data["jobs"]) >= {"total", "completed", "failed", "stopped", "no_objective"}
    assert set(data["best"]) >= {"training_job", "value", "hyperparameters", "job_index", "seconds_from_start",
                                 "spend_until_best_usd"}
    assert set(data["importance"]) >= {"method", "meaningful", "values"}
    assert set(data["convergence"]) >= {"verdict", "converged", "jobs_since_last_improvement", "best_so_far"}
    assert set(data["cost"]) >= {"total_usd", "until_best_usd", "to_99pct_gain_usd", "gain_per_usd",
                                 "cheapest_near_best"}
    assert set(data["artifacts"]) == {"trials_csv", "report_html", "next_spec"}


def test_failures_are_counted_by_status_and_reason():
    job = make_job(6, lambda p, rng: 0.9, status=lambda i: {1: "Failed", 2: "Failed", 3: "Stopped"}.get(i, "Completed"))
    analysis = analyze(job)
    assert [(f.status, f.reason, f.count) for f in analysis.failures] == [
        ("Failed", "AlgorithmError: out of memory", 2),
        ("Stopped", "stopped by AMT (early stopping or a stop request)", 1),
    ]
    assert (analysis.jobs.failed, analysis.jobs.stopped, analysis.jobs.completed) == (2, 1, 3)
