"""Reconcile settles training jobs whose terminal event was lost, through the event path's ledger code (moto)."""

from __future__ import annotations

import pytest

from tests.conftest import load_event, load_handler
from tests.integration.conftest import ROLE_ARN
from tests.integration.test_handlers import started_run, training_event

PRICE = 0.115  # the demo's ml.m5.large, USD per hour


def create_training_job(name):
    import boto3

    boto3.client("sagemaker").create_training_job(  # moto's training jobs are born Completed
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": "x", "TrainingInputMode": "File"},
        RoleArn=ROLE_ARN,
        OutputDataConfig={"S3OutputPath": "s3://b/o"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def reconcile(lambda_context):
    return load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)


def running_since(run_id, job, started):
    from tunepilot.usecases.context import store

    assert store().record_training_status(run_id, job, "InProgress", 0.0, 0.0, started)


@pytest.mark.parametrize(
    "exists,expected_cost",
    [(True, None), (False, 0.0)],
    ids=["job-described-and-billed", "job-gone-settles-at-zero"],
)
def test_reconcile_settles_a_job_whose_terminal_event_was_lost(stack, lambda_context, exists, expected_cost):
    from tunepilot.usecases.context import store

    run_id, tuning = started_run(stack, lambda_context)
    job = f"{tuning}-001-0a1b2c3d"
    if exists:
        create_training_job(job)
    running_since(run_id, job, started=1.0)  # long ago: its terminal event should have come
    first = reconcile(lambda_context)
    again = reconcile(lambda_context)
    assert first["settled"] == {run_id: [job]} and again["settled"] == {}
    spend = store().spend(run_id)
    assert spend.running == {} and spend.jobs_settled == 1
    if expected_cost is not None:
        assert spend.settled_usd == expected_cost
    if exists:  # the late event, when it finally comes, changes nothing: the cost is counted once
        late = load_handler("on_training_job_event").lambda_handler(
            training_event(tuning, suffix="001-0a1b2c3d", seconds=999), lambda_context
        )
        assert late["settled"] is False
        assert store().spend(run_id) == spend


def test_reconcile_leaves_a_recently_started_job_to_its_event(stack, lambda_context):
    from tunepilot.usecases.context import now, store

    run_id, tuning = started_run(stack, lambda_context)
    job = f"{tuning}-001-0a1b2c3d"
    create_training_job(job)
    running_since(run_id, job, started=now())
    assert reconcile(lambda_context)["settled"] == {}
    assert store().spend(run_id).running.keys() == {job}


def test_reconcile_settles_a_job_no_event_ever_reported(stack, lambda_context):
    """InProgress and terminal events both lost: the ledger never heard of the job; the listing has it."""
    from tunepilot.usecases.context import store

    run_id, tuning = started_run(stack, lambda_context)
    job = f"{tuning}-001-0a1b2c3d"
    create_training_job(job)  # listed by the stack fixture's stand-in for moto's missing listing
    assert store().spend(run_id).jobs_settled == 0
    first = reconcile(lambda_context)
    second = reconcile(lambda_context)  # the tuning job is over now: one last sweep, which finds nothing new
    third = reconcile(lambda_context)
    assert first["settled"] == {run_id: [job]} and second["settled"] == {} and third["settled"] == {}
    assert store().spend(run_id).jobs_settled == 1
    assert store().get_run(run_id).ledger_swept is True
