"""A run that fails leaves no tuning job spending, and the guard follows the job, not the run (moto).

moto's tuning jobs are born Completed and cannot be stopped, so each test sets the job's status in
moto's backend and answers StopHyperParameterTuningJob itself (a botocore before-call hook), which
records the call and moves the job to Stopping as SageMaker does.
"""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse
from moto.sagemaker.models import sagemaker_backends

from tests.conftest import load_event, load_handler
from tests.integration.conftest import BUCKET
from tests.integration.test_handlers import EXECUTION, started_run

ACCOUNT, REGION = "123456789012", "us-east-1"


def set_job_status(name: str, status: str) -> None:
    sagemaker_backends[ACCOUNT][REGION].hyper_parameter_tuning_jobs[name].hyper_parameter_tuning_job_status = status


@pytest.fixture
def stops(stack):
    """Names of the tuning jobs TunePilot stopped, in call order."""
    from tunepilot.aws.clients import clients

    calls: list[str] = []

    def stop(params, **_):
        name = json.loads(params["body"])["HyperParameterTuningJobName"]  # the serialized request
        calls.append(name)
        set_job_status(name, "Stopping")
        return AWSResponse("https://sagemaker.local", 200, {}, None), {}

    clients.sagemaker.meta.events.register("before-call.sagemaker.StopHyperParameterTuningJob", stop)
    return calls


def fail_run(stack, lambda_context, run_id, error="States.Timeout", cause="WaitForTuning timed out"):
    state = {"run": {"run_id": run_id, "duplicate": False}, "error": {"Error": error, "Cause": cause}}
    return load_handler("notify").lambda_handler(
        {"outcome": "failure", "execution_arn": EXECUTION, "state": state}, lambda_context
    )


def run_record(run_id):
    from tunepilot.usecases.context import store

    return store().get_run(run_id)


def test_the_failure_path_stops_a_running_tuning_job_and_says_so(stack, lambda_context, stops):
    run_id, tuning = started_run(stack, lambda_context)
    set_job_status(tuning, "InProgress")
    out = fail_run(stack, lambda_context, run_id)
    fail_run(stack, lambda_context, run_id)  # a retried NotifyFailure stops nothing twice, alerts once
    assert stops == [tuning]
    alerts = stack.alerts()
    assert len(alerts) == 1
    assert f"stopped tuning job {tuning}, which was still running" in alerts[0]["message"]
    result = stack.get_json(out["result_uri"].split(f"{BUCKET}/", 1)[1])
    assert result["stop_reason"] == "RunFailed" and tuning in result["tuning_job_stopped"]
    assert run_record(run_id).status == "FAILED"


@pytest.mark.parametrize(
    "status,sentence",
    [("Completed", None), ("Failed", None), ("Stopped", None), ("Stopping", "is stopping")],
    ids=["completed", "failed", "stopped", "already-stopping"],
)
def test_the_failure_path_stops_nothing_that_no_longer_runs(stack, lambda_context, stops, status, sentence):
    run_id, tuning = started_run(stack, lambda_context)
    set_job_status(tuning, status)
    fail_run(stack, lambda_context, run_id)
    assert stops == []
    message = stack.alerts()[0]["message"]
    assert "stopped tuning job" not in message
    assert (sentence in message) if sentence else ("stopping" not in message)
    assert run_record(run_id).stop_reason is None


def overspend(run_id, tuning, cost=100.0):
    """One settled training job that costs more than the demo's $2 budget."""
    from tunepilot.usecases.context import store

    assert store().record_training_status(run_id, f"{tuning}-001-0a1b2c3d", "Completed", 60.0, cost, 0.0)


def test_reconcile_guards_the_job_of_a_failed_run(stack, lambda_context, stops):
    run_id, tuning = started_run(stack, lambda_context)
    set_job_status(tuning, "InProgress")
    from tunepilot.usecases.context import store

    store().update_run(run_id, status="FAILED")  # e.g. NotifyFailure ran before this change existed
    overspend(run_id, tuning)
    result = load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)
    assert result["stopped"] == {run_id: "BudgetExceeded"}
    assert stops == [tuning]
    assert "budget reached" in stack.alerts()[0]["message"]


def test_reconcile_stops_the_job_of_a_failed_run_whose_stop_was_lost(stack, lambda_context, stops):
    run_id, tuning = started_run(stack, lambda_context)
    set_job_status(tuning, "InProgress")
    from tunepilot.usecases.context import store

    store().update_run(run_id, status="FAILED")
    result = load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)
    assert result["stopped"] == {run_id: "RunFailed"} and stops == [tuning]


def test_reconcile_records_the_end_of_a_job_and_then_stops_looking(stack, lambda_context, stops):
    run_id, _ = started_run(stack, lambda_context)  # moto's job is Completed
    from tunepilot.usecases.context import store

    assert [r.run_id for r in store().runs_with_live_tuning_job()] == [run_id]
    load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)
    assert run_record(run_id).tuning_ended == "Completed"
    assert store().runs_with_live_tuning_job() == []
    assert stops == []


def test_a_training_job_event_of_a_failed_run_still_enforces_the_budget(stack, lambda_context, stops):
    from tests.integration.test_handlers import training_event

    run_id, tuning = started_run(stack, lambda_context)
    set_job_status(tuning, "InProgress")
    from tunepilot.usecases.context import store

    store().update_run(run_id, status="FAILED")
    overspend(run_id, tuning)
    result = load_handler("on_training_job_event").lambda_handler(
        training_event(tuning, status="InProgress", suffix="002-1a2b3c4d"), lambda_context
    )
    assert result["stop"] == "BudgetExceeded" and stops == [tuning]
