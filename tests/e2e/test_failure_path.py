"""A run that fails after StartTuning leaves no tuning job spending (through the local cloud).

Fault: every RegisterWait invocation dies right after it looked at the tuning job, so WaitForTuning
fails after its retries while the job still runs; NotifyFailure must stop the job and say so.
"""

from __future__ import annotations

import pytest

from tests.e2e.controller_helpers import run_item, spec_bytes
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

LONG = {"limits": {"max_jobs": 200, "max_parallel_jobs": 1, "max_runtime": "10m"},
        "hyperparameters": {"static": {"num_round": 300}}}


def test_a_run_failing_while_its_tuning_job_runs_stops_the_job_and_says_so(local_cloud):
    name = local_cloud.deployment.physical_ids["RegisterWaitFunction"]
    local_cloud.lambda_runner.faults[name] = {"die_after": "sagemaker.DescribeHyperParameterTuningJob"}
    try:
        summary = local_cloud.run_spec(spec_bytes("xgb-small", LONG), key="specs/e2e-failure-path.yaml",
                                       timeout=420)
    finally:
        local_cloud.lambda_runner.faults.pop(name, None)
    assert summary.status == "FAILED" and "Runtime.ExitError" in str(summary.result), summary.result
    assert summary.result["tuning_job_stopped"], summary.result
    alert = next(a for a in summary.alerts if "failed" in a["subject"])
    assert f"stopped tuning job {summary.tuning_job_name}, which was still running" in alert["message"]
    sagemaker = local_cloud.client("sagemaker")
    job = wait_for("the stopped tuning job to end", lambda: (
        j if (j := sagemaker.describe_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=summary.tuning_job_name))["HyperParameterTuningJobStatus"] == "Stopped"
        else None), timeout=120)
    assert job["TrainingJobStatusCounters"]["Completed"] < 200  # stopped early, not run to the end
    item = wait_for("the stopped jobs to be settled", lambda: (
        i if not (i := run_item(local_cloud, summary.run_id)).get("running") else None), timeout=90)
    assert item["stop_reason"] == "RunFailed"
