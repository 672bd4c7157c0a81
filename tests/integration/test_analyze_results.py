"""AnalyzeResults against moto (S3, DynamoDB) and a SageMaker that pages, throttles and answers in AWS's shapes.

moto implements neither ListTrainingJobsForHyperParameterTuningJob nor real training jobs, so the tuning
job's training jobs come from a small fake client at the adapter's seam; S3 and DynamoDB are moto's.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from botocore.exceptions import ClientError
from tunepilot.exceptions import AnalysisFailed, Throttled
from tunepilot.spec.load import validate_bytes

from tests.conftest import ROOT, load_handler
from tests.integration.conftest import BUCKET

DEMO = (ROOT / "examples" / "xgboost-breast-cancer.yaml").read_bytes()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeSageMaker:
    """Training jobs of one tuning job; every ``throttle_every``-th call answers ThrottlingException."""

    def __init__(self, tuning_job_name: str, n: int, throttle_every: int = 0, score=None, status=None) -> None:
        self.name = tuning_job_name
        self.calls = {"describe_tuning": 0, "list": 0, "describe_training": 0, "throttled": 0}
        self.throttle_every = throttle_every
        self._count = 0
        self._lock = threading.Lock()
        self.jobs = []
        for i in range(1, n + 1):
            eta = 0.05 * (10 ** ((i * 0.37) % 1))
            depth = 2 + i % 5
            value = score(i, eta, depth) if score else 0.90 + 0.01 * depth - 0.01 * abs(math.log(eta / 0.1))
            state = status(i) if status else "Completed"
            start = T0 + timedelta(seconds=30 * i)
            summary = {
                "TrainingJobName": f"{tuning_job_name}-{i:03d}-{i:08x}",
                "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{tuning_job_name}-{i:03d}",
                "CreationTime": start - timedelta(seconds=2),
                "TrainingStartTime": start,
                "TrainingEndTime": start + timedelta(seconds=60),
                "TrainingJobStatus": state,
                "TunedHyperParameters": {"eta": f"{eta:.5f}", "max_depth": str(depth),
                                         "min_child_weight": f"{1 + (i * 0.61) % 7:.3f}",
                                         "subsample": f"{0.5 + (i * 0.29) % 0.5:.3f}"},
            }
            if state == "Completed" and value is not None:
                summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": "validation:auc",
                                                                          "Value": value}
                summary["ObjectiveStatus"] = "Succeeded"
            if state == "Failed":
                summary["FailureReason"] = "AlgorithmError: out of memory"
            self.jobs.append(summary)

    def _maybe_throttle(self) -> None:
        with self._lock:
            self._count += 1
            throttle = self.throttle_every and self._count % self.throttle_every == 0
            if throttle:
                self.calls["throttled"] += 1
        if throttle:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "Call")

    def describe_hyper_parameter_tuning_job(self, HyperParameterTuningJobName):
        self.calls["describe_tuning"] += 1
        return {
            "HyperParameterTuningJobName": self.name, "HyperParameterTuningJobStatus": "Completed",
            "CreationTime": T0,
            "HyperParameterTuningJobConfig": {
                "Strategy": "Bayesian",
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                "ParameterRanges": {
                    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "6",
                                                "ScalingType": "Auto"}],
                    "ContinuousParameterRanges": [
                        {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
                        {"Name": "min_child_weight", "MinValue": "1", "MaxValue": "8", "ScalingType": "Auto"},
                        {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1.0", "ScalingType": "Auto"}],
                    "CategoricalParameterRanges": []}},
            "TrainingJobDefinition": {
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                "AlgorithmSpecification": {"MetricDefinitions": [
                    {"Name": "validation:auc", "Regex": r"validation_auc=([0-9.]+)"}]}},
        }

    def list_training_jobs_for_hyper_parameter_tuning_job(self, HyperParameterTuningJobName, MaxResults,
                                                         NextToken=None):
        assert MaxResults <= 100
        self._maybe_throttle()
        self.calls["list"] += 1
        start = int(NextToken or 0)
        page = {"TrainingJobSummaries": self.jobs[start:start + MaxResults]}
        if start + MaxResults < len(self.jobs):
            page["NextToken"] = str(start + MaxResults)
        return page

    def describe_training_job(self, TrainingJobName):
        self._maybe_throttle()
        with self._lock:
            self.calls["describe_training"] += 1
        summary = next(j for j in self.jobs if j["TrainingJobName"] == TrainingJobName)
        metrics = [{"MetricName": "validation:auc", "Value": summary["FinalHyperParameterTuningJobObjectiveMetric"][
            "Value"], "Timestamp": T0}] if "FinalHyperParameterTuningJobObjectiveMetric" in summary else []
        return {"TrainingJobName": TrainingJobName, "TrainingJobStatus": summary["TrainingJobStatus"],
                "BillableTimeInSeconds": 58, "FinalMetricDataList": metrics,
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}}


@pytest.fixture
def no_sleep(monkeypatch):
    from tunepilot.usecases import analyze

    monkeypatch.setattr(analyze, "_sleep", lambda seconds: None)


def run_with(stack, lambda_context, fake_factory):
    from tunepilot.aws.clients import clients

    from tests.integration.test_handlers import started_run

    run_id, tuning = started_run(stack, lambda_context)
    fake = fake_factory(tuning)
    clients.override(sagemaker=fake)
    return run_id, tuning, fake


def test_every_artifact_is_written_and_throttling_is_retried(stack, lambda_context, no_sleep):
    run_id, tuning, fake = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 130, throttle_every=4))
    result = load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning},
                                                            lambda_context)
    assert fake.calls["throttled"] > 20 and fake.calls["list"] == 2 and fake.calls["describe_training"] == 130
    assert result["status"] == "ANALYZED" and result["jobs"] == 130 and len(result["findings"]) == 3
    prefix = f"runs/{run_id}/"
    rows = list(csv.DictReader(io.StringIO(stack.s3.get_object(Bucket=BUCKET, Key=prefix + "trials.csv")["Body"]
                                           .read().decode())))
    assert len(rows) == 130 and rows[0]["BillableTimeInSeconds"] == "58.0"
    analysis = stack.get_json(prefix + "analysis.json")
    assert analysis["tuning_job_name"] == tuning and analysis["jobs"]["total"] == 130
    assert analysis["baseline"]["source"] == "value" and analysis["baseline"]["value"] == 0.95
    assert analysis["run"]["decision"]["deploy"] in (True, False)
    assert analysis["artifacts"]["report_html"] == f"s3://{BUCKET}/{prefix}report.html"
    html = stack.s3.get_object(Bucket=BUCKET, Key=prefix + "report.html")
    assert html["ContentType"].startswith("text/html") and b"data:image/png" in html["Body"].read()
    spec_text = stack.s3.get_object(Bucket=BUCKET, Key=prefix + "next-spec.yaml")["Body"].read()
    assert validate_bytes(spec_text).valid
    assert yaml.safe_load(spec_text)["warm_start"]["parents"] == [tuning]


def test_750_jobs_page_by_100_and_are_each_described_once(stack, lambda_context, no_sleep):
    run_id, tuning, fake = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 750))
    result = load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning},
                                                            lambda_context)
    assert fake.calls["list"] == 8 and fake.calls["describe_training"] == 750
    assert result["jobs"] == 750 and result["scored"] == 750


def test_at_the_time_budget_undescribed_jobs_keep_their_summary_and_an_estimated_cost(stack, lambda_context, no_sleep):
    from tunepilot.usecases.analyze import analyze_results

    run_id, tuning, fake = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 12))
    result = analyze_results(run_id, tuning, remaining_ms=lambda: 0)  # no time left to describe anything
    assert fake.calls["describe_training"] == 0 and result["jobs"] == 12
    analysis = stack.get_json(f"runs/{run_id}/analysis.json")
    assert analysis["cost"]["estimated_jobs"] == 12 and analysis["cost"]["total_usd"] > 0
    assert any("not described within the time budget" in note for note in analysis["notes"])


def test_throttling_that_outlasts_the_budget_is_left_to_the_state_machines_retrier(stack, lambda_context, monkeypatch):
    from tunepilot.usecases import analyze

    clock = {"ms": 900_000.0}  # a fresh 15-minute Lambda whose every sleep is real time spent
    monkeypatch.setattr(analyze, "_sleep", lambda seconds: clock.update(ms=clock["ms"] - seconds * 1000))
    run_id, tuning, fake = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 12, throttle_every=1))
    with pytest.raises(Throttled):
        analyze.analyze_results(run_id, tuning, remaining_ms=lambda: int(clock["ms"]))
    assert fake.calls["throttled"] > 50 and clock["ms"] < 75_000  # retried until about the analysis reserve


def test_no_completed_job_still_gets_a_report_that_says_so(stack, lambda_context, no_sleep):
    run_id, tuning, _ = run_with(stack, lambda_context,
                                 lambda name: FakeSageMaker(name, 4, status=lambda i: "Failed"))
    result = load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning},
                                                            lambda_context)
    assert result["scored"] == 0
    html = stack.s3.get_object(Bucket=BUCKET, Key=f"runs/{run_id}/report.html")["Body"].read().decode()
    assert "No training job reported validation:auc" in html and "data:image/png" not in html
    assert validate_bytes(stack.s3.get_object(Bucket=BUCKET, Key=f"runs/{run_id}/next-spec.yaml")["Body"]
                          .read()).valid


def test_anything_else_becomes_analysis_failed(stack, lambda_context, no_sleep):
    run_id, tuning, _ = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 3))
    stack.s3.delete_object(Bucket=BUCKET, Key=f"runs/{run_id}/spec.json")  # versioned: a delete marker
    with pytest.raises(AnalysisFailed, match="analysis of tp-"):
        load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning},
                                                       lambda_context)


def test_a_metric_guard_diagnosis_reaches_the_analysis(stack, lambda_context, no_sleep):
    from tunepilot.usecases.context import store

    run_id, tuning, _ = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 3, score=lambda *a: None))
    store().update_run(run_id, metric_suggestion={"metric": "validation:auc", "regex": "x", "suggested_regex":
                                                  r"validation-auc:([-+0-9.eE]+)", "diagnosis": "prints validation-auc",
                                                  "example": None})
    load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning}, lambda_context)
    analysis = stack.get_json(f"runs/{run_id}/analysis.json")
    assert analysis["jobs"]["no_objective"] == 3
    assert analysis["no_objective"]["suggested_regex"] == r"validation-auc:([-+0-9.eE]+)"


@pytest.mark.parametrize(
    "outcome,analysis,expected,warned",
    [
        ("success", {"status": "ANALYZED", "verdict": "converged", "findings": ["converged (4 job(s) since ...)",
                     "eta mattered most (70%, optuna PED-ANOVA)", "beat the baseline by +0.03", "a fourth"],
                     "report_uri": f"s3://{BUCKET}/runs/r/report.html"},
         ["Findings:", "  - eta mattered most (70%, optuna PED-ANOVA)", f"Report: s3://{BUCKET}/runs/r/report.html",
          f"  console: https://us-east-1.console.aws.amazon.com/s3/object/{BUCKET}?region=us-east-1&prefix=runs/r/report.html"],
         False),
        ("success", {"Error": "AnalysisFailed", "Cause": '{"errorMessage": "analysis of tp-x: boom"}'},
         ["Warning: the analysis failed (AnalysisFailed: analysis of tp-x: boom); the run went on without it."], True),
        ("failure", {"status": "ANALYZED", "findings": ["no training job reported validation:auc (3 job(s) ran)"],
                     "report_uri": f"s3://{BUCKET}/runs/r/report.html"},
         ["  - no training job reported validation:auc (3 job(s) ran)", f"Report: s3://{BUCKET}/runs/r/report.html"],
         False),
    ],
    ids=["success-with-findings", "success-with-failed-analysis", "failure-with-findings"],
)
def test_notifications_carry_the_findings_or_the_analysis_warning(stack, lambda_context, outcome, analysis, expected,
                                                                   warned):
    from tests.conftest import load_event

    state = load_event("notify")["state"]
    state["detail"]["bucket"]["name"] = BUCKET
    state["run"]["run_id"] = "r"
    state["analysis"] = analysis
    if outcome == "failure":
        state["error"] = {"Error": "NoSuccessfulTrainingJobs", "Cause": "no job reported validation:auc"}
    out = load_handler("notify").lambda_handler({"outcome": outcome, "execution_arn": "arn:x", "state": state},
                                                lambda_context)
    (alert,) = stack.alerts()
    lines = alert["message"].splitlines()
    for line in expected:
        assert line in lines
    assert sum(line.startswith("  - ") for line in lines) <= 3
    result = stack.get_json(out["result_uri"].split(f"{BUCKET}/", 1)[1])
    assert bool(result.get("warnings")) is warned
    assert result["analysis"]["status"] == ("FAILED" if warned else "ANALYZED")


def test_without_the_guards_diagnosis_the_analysis_diagnoses_the_log_itself(stack, lambda_context, no_sleep):
    import boto3

    run_id, tuning, fake = run_with(stack, lambda_context, lambda name: FakeSageMaker(name, 2, score=lambda *a: None))
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")
    stream = f"{fake.jobs[0]['TrainingJobName']}/algo-1-1767225600"
    logs.create_log_stream(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)
    logs.put_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream, logEvents=[
        {"timestamp": int(time.time() * 1000) + i, "message": f"epoch {i} train:auc=0.9{i} validation:auc=0.9{i}"}
        for i in range(5)])
    load_handler("analyze_results").lambda_handler({"run_id": run_id, "tuning_job_name": tuning}, lambda_context)
    analysis = stack.get_json(f"runs/{run_id}/analysis.json")
    assert analysis["no_objective"]["suggested_regex"], analysis["no_objective"]
    assert "validation:auc" in analysis["no_objective"]["suggested_regex"]
