"""Every AWS call a handler makes under moto is in its row of the least-privilege table.

The table (``tests/unit/test_least_privilege.py``) is what the template grants, function by function;
here each handler runs through a run's life under moto while a botocore ``before-parameter-build`` hook records
its calls as IAM actions. A call outside the row would be AccessDenied on AWS.
"""

from __future__ import annotations

import contextlib
import copy

import pytest
from botocore.awsrequest import AWSResponse

from tests.conftest import load_event, load_handler
from tests.integration.conftest import _list_training_jobs_for_tuning_job
from tests.integration.test_failure_path import set_job_status
from tests.integration.test_handlers import DEMO, EXECUTION, training_event, validate
from tests.integration.test_lost_training_events import create_training_job
from tests.unit.test_least_privilege import CALLS

# botocore's event name -> IAM's service prefix, where they differ
_PREFIX = {"sfn": "states", "cloudwatch-logs": "logs"}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "ConditionCheck": "ConditionCheckItem", "Delete": "DeleteItem"}


def iam_actions(service: str, operation: str, params: dict) -> set[str]:
    """What IAM authorises for one API call (a transaction: each item's own action)."""
    prefix = _PREFIX.get(service, service)
    if operation == "TransactWriteItems":
        return {f"dynamodb:{_TRANSACT[kind]}" for item in params["TransactItems"] for kind in item}
    if (service, operation) == ("s3", "GetObject") and params.get("VersionId"):
        return {"s3:GetObjectVersion"}
    return {f"{prefix}:{operation}"}


class Recorder:
    def __init__(self) -> None:
        self.current: str | None = None
        self.calls: dict[str, set[str]] = {}

    @contextlib.contextmanager
    def running(self, function: str):
        self.current = function
        self.calls.setdefault(function, set())
        try:
            yield
        finally:
            self.current = None

    def record(self, params, model, **_):
        if self.current:
            service = model.service_model.service_id.hyphenize()
            self.calls[self.current] |= iam_actions(service, model.name, params)


@pytest.fixture
def recorder(stack, monkeypatch):
    from tunepilot.aws.clients import AwsClients, clients

    recorder = Recorder()
    original = AwsClients.get

    def get(self, service):
        fresh = service not in self._clients
        client = original(self, service)
        if fresh:
            client.meta.events.register("before-parameter-build", recorder.record)
        return client

    monkeypatch.setattr(AwsClients, "get", get)
    clients.reset()

    def fake_send(**_):  # moto knows none of the task tokens: answer SendTaskSuccess/StopHyperParameterTuningJob
        return AWSResponse("https://local", 200, {}, None), {}

    clients.sfn.meta.events.register("before-call.states.SendTaskSuccess", fake_send)
    clients.sfn.meta.events.register("before-call.states.SendTaskFailure", fake_send)
    clients.sagemaker.meta.events.register("before-call.sagemaker.StopHyperParameterTuningJob", fake_send)
    clients.sagemaker.meta.events.register(  # the new client lost the stack fixture's stand-in for moto's gap
        "before-call.sagemaker.ListTrainingJobsForHyperParameterTuningJob", _list_training_jobs_for_tuning_job)

    return recorder


def test_every_recorded_call_is_granted(stack, lambda_context, recorder):
    with recorder.running("ValidateSpecFunction"):
        run_id = validate(stack, stack.put_spec(DEMO), lambda_context)["run_id"]
    with recorder.running("AdmitFunction"):
        load_handler("admit").lambda_handler({"run_id": run_id, "token": "t0", "uploaded_at": "x"}, lambda_context)
    with recorder.running("StartTuningFunction"):
        tuning = load_handler("start_tuning").lambda_handler({"run_id": run_id}, lambda_context)["tuning_job_name"]
    set_job_status(tuning, "InProgress")
    with recorder.running("RegisterWaitFunction"):
        load_handler("register_wait").lambda_handler(
            {"kind": "tuning", "name": tuning, "run_id": run_id, "token": "t1"}, lambda_context)
    job = f"{tuning}-001-0a1b2c3d"
    create_training_job(job)
    with recorder.running("OnTrainingJobEventFunction"):
        handler = load_handler("on_training_job_event").lambda_handler
        handler(training_event(tuning, status="InProgress", suffix="001-0a1b2c3d"), lambda_context)
        handler(training_event(tuning, suffix="001-0a1b2c3d"), lambda_context)
    with recorder.running("MetricWatchFunction"):
        event = copy.deepcopy(load_event("metric_watch"))
        load_handler("metric_watch").lambda_handler(event, lambda_context)
    with recorder.running("ReconcileFunction"):
        load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)
    with recorder.running("NotifyFunction"):  # the failure path finds the job still running and stops it
        state = {"run": {"run_id": run_id, "duplicate": False},
                 "error": {"Error": "States.Timeout", "Cause": "timed out"}}
        load_handler("notify").lambda_handler(
            {"outcome": "failure", "execution_arn": EXECUTION, "state": state}, lambda_context)
    set_job_status(tuning, "Completed")
    with recorder.running("ResumeWaitFunction"):
        change = copy.deepcopy(load_event("resume_wait"))
        change["detail"]["HyperParameterTuningJobName"] = tuning
        load_handler("resume_wait").lambda_handler(change, lambda_context)

    assert set(recorder.calls) >= {"ValidateSpecFunction", "StartTuningFunction", "NotifyFunction"}
    for function, actions in sorted(recorder.calls.items()):
        assert actions, f"{function} made no AWS call: the recording is broken"
        assert actions <= CALLS[function], f"{function} calls {sorted(actions - CALLS[function])}, not granted"
    assert "sagemaker:StopHyperParameterTuningJob" in recorder.calls["NotifyFunction"]
    assert "s3:GetObjectVersion" in recorder.calls["ValidateSpecFunction"]
