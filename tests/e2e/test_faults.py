"""Fault injection through the local cloud: every run still finishes, and its spend is counted once.

Faults, each injected where it happens on AWS:
- throttling: half of the handlers' SageMaker, Step Functions and DynamoDB calls answer 400
  ThrottlingException at the HTTP layer (``lambda_runner.faults``; botocore's own retries apply);
- a Lambda worker killed mid-invocation, right after a call with a side effect succeeded;
- EventBridge losing, or delivering twice, an event of every kind the stack consumes.

"Counted once": the run's ledger equals the sum, over the tuning job's training jobs as SageMaker
describes them, of billable seconds x price, and settled every job exactly once.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.e2e.controller_helpers import (
    executions_for_key,
    run_item,
    spec_bytes,
    states_entered,
    training_jobs,
    why,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

THROTTLED_SERVICES = ["sagemaker", "sfn", "dynamodb"]  # botocore's event names for the three services
FINISHED = ("Completed", "Stopped", "Failed")


def injected(cloud, marker: str) -> int:
    """How many times the workers logged an injected fault (their stderr logs)."""
    return sum(path.read_text(errors="replace").count(marker)
               for path in cloud.lambda_runner.log_dir.glob("*.log"))


def assert_spend_counted_once(cloud, summary):
    jobs = [j for j in training_jobs(cloud, summary.tuning_job_name) if j["TrainingJobStatus"] in FINISHED]

    def settled():
        item = run_item(cloud, summary.run_id)
        return item if int(item.get("jobs_settled", 0)) >= len(jobs) and not item.get("running") else None

    item = wait_for("every training job of the run to be settled", settled, timeout=90)
    price, count = float(item["usd_per_hour"]), int(item.get("instance_count", 1))
    expected = sum(float(j.get("BillableTimeInSeconds") or 0) * price / 3600 * count for j in jobs)
    assert int(item["jobs_settled"]) == len(jobs)
    assert float(item["spend_usd"]) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_half_of_the_sagemaker_step_functions_and_dynamodb_calls_throttled(local_cloud):
    marker = "injected ThrottlingException"
    before = injected(local_cloud, marker)
    local_cloud.lambda_runner.faults["*"] = {"throttle": {"services": THROTTLED_SERVICES, "rate": 0.5}}
    try:
        summary = local_cloud.run_spec(spec_bytes("xgb-small"), key="specs/e2e-fault-throttled.yaml", timeout=600)
    finally:
        local_cloud.lambda_runner.faults.pop("*", None)
    assert summary.succeeded, why(summary)
    assert injected(local_cloud, marker) - before >= 10  # the fault really hit the handlers
    assert_spend_counted_once(local_cloud, summary)


KILLS = {
    # function (logical id prefix) -> the call after which its worker dies
    "start-tuning-after-create": ("StartTuningFunction", "sagemaker.CreateHyperParameterTuningJob"),
    "admit-after-queueing": ("AdmitFunction", "dynamodb.PutItem"),
    "ledger-before-settling": ("OnTrainingJobEventFunction", "sagemaker.DescribeTrainingJob"),
    "notify-after-result": ("NotifyFunction", "s3.PutObject"),
}


@pytest.mark.parametrize("function,call", KILLS.values(), ids=KILLS.keys())
def test_a_lambda_worker_killed_mid_invocation(local_cloud, function, call):
    name = local_cloud.deployment.physical_ids[function]  # the deployed function's name
    marker = f"worker killed after {call}"
    before = injected(local_cloud, marker)
    local_cloud.lambda_runner.faults[name] = {"die_after": call, "once": True}
    try:
        summary = local_cloud.run_spec(spec_bytes("xgb-small"), key=f"specs/e2e-fault-kill-{function}.yaml",
                                       timeout=300)
    finally:
        local_cloud.lambda_runner.faults.pop(name, None)
    assert injected(local_cloud, marker) >= before + 1  # concurrent invocations may both have died
    assert summary.succeeded, why(summary)
    tuning_jobs = local_cloud.client("sagemaker").list_hyper_parameter_tuning_jobs(
        NameContains=summary.tuning_job_name)["HyperParameterTuningJobSummaries"]
    assert len(tuning_jobs) == 1  # a retried StartTuning adopts the job it created; it never makes two
    assert_spend_counted_once(local_cloud, summary)


def _every_kind(event) -> bool:
    return event.get("source") in ("aws.sagemaker", "aws.s3", "aws.events")


def test_a_dropped_event_of_every_sagemaker_kind(local_cloud):
    """Lost: each training job's and the tuning job's state changes, and the endpoint's. The reconciler
    settles the jobs and resumes both waits. (A lost S3 upload event starts nothing: see the README.)"""
    def sagemaker_event(event):
        return event.get("source") == "aws.sagemaker"

    with local_cloud.delivery.drop(sagemaker_event) as dropped:
        summary = local_cloud.run_spec(
            spec_bytes("xgb-small", {"deploy": {"enabled": True, "endpoint_name": "e2e-fault-dropped"}}),
            key="specs/e2e-fault-dropped.yaml", timeout=600)
    kinds = {e["detail-type"] for e in dropped}
    assert kinds >= {"SageMaker Training Job State Change", "SageMaker HyperParameter Tuning Job State Change",
                     "SageMaker Endpoint State Change"}, kinds
    assert summary.succeeded and summary.deployed, why(summary)
    assert_spend_counted_once(local_cloud, summary)


def test_a_duplicated_event_of_every_kind(local_cloud):
    """Twice: the upload, every SageMaker state change, and the reconciler's schedule."""
    key = "specs/e2e-fault-doubled.yaml"
    with local_cloud.delivery.duplicate(_every_kind) as doubled:
        first = local_cloud.run_spec(
            spec_bytes("xgb-small", {"deploy": {"enabled": True, "endpoint_name": "e2e-fault-doubled"}}),
            key=key, timeout=600)
        # The watcher may have followed either execution; the one that owns the run is the one to wait for.
        executions = wait_for("both executions of the doubled upload to end", lambda: (
            found if len(found := executions_for_key(local_cloud, key)) == 2
            and all(e["status"] != "RUNNING" for e in found) else None), timeout=600)
    assert sorted("AlreadyHandled" in states_entered(local_cloud, e["executionArn"]) for e in executions) == [
        False, True]
    kinds = {e["detail-type"] for e in doubled}
    assert kinds >= {"Object Created", "SageMaker Training Job State Change",
                     "SageMaker HyperParameter Tuning Job State Change", "SageMaker Endpoint State Change"}, kinds
    result = json.loads(local_cloud.client("s3").get_object(
        Bucket=local_cloud.bucket, Key=f"runs/{first.run_id}/result.json")["Body"].read())
    assert result["status"] == "SUCCEEDED" and result["deployed"], result
    tuning_jobs = local_cloud.client("sagemaker").list_hyper_parameter_tuning_jobs(
        NameContains=result["tuning_job_name"])["HyperParameterTuningJobSummaries"]
    assert len(tuning_jobs) == 1
    assert_spend_counted_once(local_cloud, SimpleNamespace(run_id=first.run_id,
                                                           tuning_job_name=result["tuning_job_name"]))
