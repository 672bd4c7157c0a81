"""report.html (self-contained, escaped, no empty plots) and trials.csv (the SDK dataframe's columns)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from tunepilot.analysis.analyze import analyze
from tunepilot.analysis.report import render_report
from tunepilot.analysis.trials import (
    ObjectiveSpec,
    ParamRange,
    csv_columns,
    launch_order,
    ranges_from_describe,
    trial_from_aws,
    trials_csv,
    tuning_job_from_describe,
)

from tests.unit.analysis.synthetic import BOOSTER, ETA, eta_drives, make_job

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DESCRIBE = {
    "HyperParameterTuningJobName": "tp-demo-0123abcd",
    "HyperParameterTuningJobStatus": "Completed",
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ParameterRanges": {
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "6", "ScalingType": "Auto"}],
            "ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}],
            "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
        },
    },
    "TrainingJobDefinition": {"StaticHyperParameters": {"num_round": "40"},
                              "AlgorithmSpecification": {"MetricDefinitions": [
                                  {"Name": "validation:auc", "Regex": r"\[[0-9]+\].*validation-auc:([-+0-9.]+)"}]}},
}
SUMMARY = {
    "TrainingJobName": "tp-demo-0123abcd-001-1a2b3c4d",
    "CreationTime": T0,
    "TrainingStartTime": T0 + timedelta(seconds=5),
    "TrainingEndTime": T0 + timedelta(seconds=125),
    "TrainingJobStatus": "Completed",
    "TunedHyperParameters": {"max_depth": "4", "eta": "0.1", "booster": "gbtree"},
    "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc", "Value": 0.97},
    "ObjectiveStatus": "Succeeded",
}
DESCRIBED = {"BillableTimeInSeconds": 118, "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2},
             "FinalMetricDataList": [{"MetricName": "validation:auc", "Value": 0.97, "Timestamp": T0},
                                     {"MetricName": "train:auc", "Value": 0.99, "Timestamp": T0}]}


def test_a_trial_merges_the_summary_and_the_describe_and_costs_what_the_ledger_would():
    trial = trial_from_aws(1, SUMMARY, DESCRIBED)
    assert trial.metrics == {"validation:auc": 0.97, "train:auc": 0.99}
    assert trial.billable_seconds == 118 and trial.instance_count == 2 and not trial.cost_estimated
    assert trial.cost_usd == pytest.approx(118 * 0.115 / 3600 * 2)  # the packaged ml.m5.large price
    assert trial.elapsed_seconds == 120


def test_without_a_describe_the_cost_is_estimated_from_the_times_and_flagged():
    trial = trial_from_aws(1, SUMMARY, None, default_instance=("ml.m5.large", 1))
    assert trial.billable_seconds == 120 and trial.cost_estimated
    assert trial.cost_usd == pytest.approx(120 * 0.115 / 3600)


def test_ranges_and_job_from_describe():
    assert [(r.name, r.kind, r.scaling) for r in ranges_from_describe(DESCRIBE)] == [
        ("max_depth", "integer", "Auto"), ("eta", "continuous", "Logarithmic"), ("booster", "categorical", "Auto")]
    job = tuning_job_from_describe(DESCRIBE, [trial_from_aws(1, SUMMARY, DESCRIBED)])
    assert job.objective == ObjectiveSpec(metric="validation:auc", type="Maximize")
    assert job.metric_definitions[0][0] == "validation:auc" and job.static_hyperparameters == {"num_round": "40"}


def test_launch_order_is_creation_time_then_name():
    later = {**SUMMARY, "TrainingJobName": "b", "CreationTime": T0 + timedelta(seconds=1)}
    first = {**SUMMARY, "TrainingJobName": "c", "CreationTime": T0}
    assert [s["TrainingJobName"] for s in launch_order([later, first])] == ["c", "b"]


def test_trials_csv_has_the_sdk_dataframe_columns_then_billing_and_cost():
    job = tuning_job_from_describe(DESCRIBE, [trial_from_aws(1, SUMMARY, DESCRIBED)])
    text = trials_csv(job)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert csv_columns(job) == ["max_depth", "eta", "booster", "TrainingJobName", "TrainingJobStatus",
                                "FinalObjectiveValue", "TrainingStartTime", "TrainingEndTime",
                                "TrainingElapsedTimeSeconds", "BillableTimeInSeconds", "cost_usd"]
    assert text.splitlines()[0] == ",".join(csv_columns(job))
    row = rows[0]
    assert row["max_depth"] == "4.0" and row["booster"] == "gbtree"  # the SDK floats what it can
    assert row["FinalObjectiveValue"] == "0.97" and row["TrainingElapsedTimeSeconds"] == "120.0"
    assert row["TrainingStartTime"] == "2026-01-01 00:00:05+00:00"


def test_trials_csv_adds_the_definition_name_where_present():
    summary = {**SUMMARY, "TrainingJobDefinitionName": "xgb"}
    job = tuning_job_from_describe(DESCRIBE, [trial_from_aws(1, summary, DESCRIBED)])
    assert csv_columns(job)[-3:] == ["TrainingJobDefinitionName", "BillableTimeInSeconds", "cost_usd"]


def test_the_report_is_self_contained_and_holds_every_section():
    job = make_job(20, eta_drives)
    html = render_report(job, analyze(job))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page must not load anything"
    assert html.count('src="data:image/png;base64,') == 4
    for section in ("Summary", "Objective against each hyperparameter", "Importance", "Best so far",
                    "Objective against cost", "All jobs", "Recommendations", "The next run", "<script>"):
        assert section in html, section
    assert html.count("<tr class=\"best\">") == 1
    assert html.count("tp-synthetic-") >= 20


def test_the_report_escapes_user_text():
    hostile = ParamRange(name="booster", kind="categorical", values=("<script>alert(1)</script>", "dart"))
    job = make_job(6, lambda p, rng: 0.9 if p["booster"] == "dart" else 0.8, ranges=(ETA, hostile))
    html = render_report(job, analyze(job))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("status", ["Failed", "Stopped"], ids=["all-failed", "all-stopped-unscored"])
def test_with_no_scored_job_the_report_says_so_instead_of_drawing_empty_plots(status):
    job = make_job(3, lambda p, rng: None, status=lambda i: status)
    html = render_report(job, analyze(job))
    assert "No training job reported validation:auc" in html
    assert "data:image/png" not in html


def test_a_categorical_only_report_still_draws():
    job = make_job(8, lambda p, rng: {"gbtree": 0.9, "dart": 0.8, "gblinear": 0.7}[p["booster"]], ranges=(BOOSTER,))
    html = render_report(job, analyze(job))
    assert "gbtree</strong> won" in html or "<strong>booster</strong>: gbtree won" in html
    assert html.count("data:image/png") >= 3
