"""The real handlers against moto: S3, DynamoDB, SNS and SageMaker calls are real API calls."""

from __future__ import annotations

import copy

import pytest
from tunepilot.exceptions import BadEvent, SpecInvalid

from tests.conftest import ROOT, load_event, load_handler
from tests.integration.conftest import BUCKET

DEMO = (ROOT / "examples" / "xgboost-breast-cancer.yaml").read_bytes()
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sm:first"


def validate(stack, detail, lambda_context, execution=EXECUTION):
    handler = load_handler("validate_spec").lambda_handler
    return handler({"detail": detail, "execution_arn": execution}, lambda_context)


def test_valid_spec_is_recorded_and_normalized(stack, lambda_context):
    detail = stack.put_spec(DEMO)
    result = validate(stack, detail, lambda_context)
    assert result["duplicate"] is False
    run_id = result["run_id"]
    spec = stack.get_json(f"runs/{run_id}/spec.json")
    assert spec["objective"]["metric"] == "validation:auc"
    assert stack.get_json(f"runs/{run_id}/validation.json")["valid"] is True


BROKEN = {
    "yaml-syntax": b"name: [unclosed\n",
    "min-above-max": DEMO.replace(b"min: 0.05, max: 0.5", b"min: 0.9, max: 0.5"),
    "binary-garbage": bytes(range(256)) * 4,
    "list-not-mapping": b"- a\n- b\n",
    "typed-tag-that-fails": DEMO.replace(b"random_seed: 7", b"random_seed: !!float x"),
    "lone-surrogate-key-and-value": DEMO.replace(b"project: tunepilot-demo", b'"\\ud800": "\\udfff"'),
}


@pytest.mark.parametrize("body", BROKEN.values(), ids=BROKEN.keys())
def test_invalid_spec_is_rejected_with_a_report_and_the_original_kept(stack, lambda_context, body):
    detail = stack.put_spec(body)
    with pytest.raises(SpecInvalid) as excinfo:
        validate(stack, detail, lambda_context)
    run_id = result_run_id(detail)
    report = stack.get_json(f"runs/{run_id}/validation.json")
    assert report["valid"] is False and report["errors"]
    assert report["errors"][0]["path"] in str(excinfo.value)
    versions = stack.s3.list_object_versions(Bucket=BUCKET, Prefix=detail["object"]["key"])["Versions"]
    assert len(versions) == 1
    assert stack.s3.get_object(Bucket=BUCKET, Key=detail["object"]["key"])["Body"].read() == body


def result_run_id(detail):
    from tunepilot.runid import run_id_for

    return run_id_for(BUCKET, detail["object"]["key"], detail["object"]["version-id"])


def test_a_second_execution_for_the_same_object_is_a_duplicate(stack, lambda_context):
    detail = stack.put_spec(DEMO)
    first = validate(stack, detail, lambda_context)
    again = validate(stack, detail, lambda_context)  # a retry of the same execution is not a duplicate
    other = validate(stack, detail, lambda_context, execution=EXECUTION + "-dup")
    assert first["duplicate"] is False and again["duplicate"] is False
    assert other == {"run_id": first["run_id"], "duplicate": True}


def test_start_tuning_is_idempotent(stack, lambda_context):
    run_id = validate(stack, stack.put_spec(DEMO), lambda_context)["run_id"]
    start = load_handler("start_tuning").lambda_handler
    first = start({"run_id": run_id}, lambda_context)
    second = start({"run_id": run_id}, lambda_context)
    assert first["tuning_job_name"] == second["tuning_job_name"]
    assert first["tuning_job_name"].startswith("tp-") and len(first["tuning_job_name"]) <= 32
    import boto3

    jobs = boto3.client("sagemaker").list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
    assert [j["HyperParameterTuningJobName"] for j in jobs] == [first["tuning_job_name"]]


def started_run(stack, lambda_context):
    run_id = validate(stack, stack.put_spec(DEMO), lambda_context)["run_id"]
    tuning = load_handler("start_tuning").lambda_handler({"run_id": run_id}, lambda_context)
    return run_id, tuning["tuning_job_name"]


def training_event(tuning_job_name, status="Completed", seconds=120, suffix="001-9f8e7d6c"):
    event = copy.deepcopy(load_event("on_training_job_event"))
    event["detail"]["TrainingJobName"] = f"{tuning_job_name}-{suffix}"
    event["detail"]["TrainingJobStatus"] = status
    event["detail"]["BillableTimeInSeconds"] = seconds
    return event


def test_duplicate_training_job_events_are_counted_once(stack, lambda_context):
    import boto3

    run_id, tuning = started_run(stack, lambda_context)
    sm = boto3.client("sagemaker")
    sm.create_training_job(
        TrainingJobName=f"{tuning}-001-9f8e7d6c",
        AlgorithmSpecification={"TrainingImage": "x", "TrainingInputMode": "File"},
        RoleArn="arn:aws:iam::123456789012:role/TunePilotSageMakerRole",
        OutputDataConfig={"S3OutputPath": "s3://b/o"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    handler = load_handler("on_training_job_event").lambda_handler
    first = handler(training_event(tuning), lambda_context)
    second = handler(training_event(tuning), lambda_context)
    assert first["settled"] is True and second["settled"] is False
    from tunepilot.usecases.context import store

    expected = 120 * 0.115 / 3600
    assert store().spend(run_id).settled_usd == pytest.approx(expected)


def test_events_of_unknown_jobs_are_ignored(stack, lambda_context):
    handler = load_handler("on_training_job_event").lambda_handler
    result = handler(training_event("tp-not-ours-12345678"), lambda_context)
    assert "ignored" in result


def test_failure_is_notified_once_with_the_cause_and_a_result_file(stack, lambda_context):
    detail = stack.put_spec(b"name: [unclosed\n")
    with pytest.raises(SpecInvalid) as excinfo:
        validate(stack, detail, lambda_context)
    state = {"detail": detail, "error": {"Error": "SpecInvalid", "Cause": str(excinfo.value)}}
    notify = load_handler("notify").lambda_handler
    out = notify({"outcome": "failure", "execution_arn": EXECUTION, "state": state}, lambda_context)
    notify({"outcome": "failure", "execution_arn": EXECUTION, "state": state}, lambda_context)  # a retry
    assert out["status"] == "FAILED"
    alerts = stack.alerts()
    assert len(alerts) == 1 and "SpecInvalid" in alerts[0]["subject"] + alerts[0]["message"]
    result = stack.get_json(out["result_uri"].split(f"{BUCKET}/", 1)[1])
    assert result["error"] == "SpecInvalid"


@pytest.mark.parametrize(
    "function,event",
    [("start_tuning", {}), ("register_wait", {"kind": "tuning"}), ("pick_best", {"run_id": ""}), ("notify", [])],
    ids=["start-without-run-id", "wait-without-token", "pick-empty-run-id", "notify-list"],
)
def test_a_malformed_event_is_a_named_error_not_a_traceback(stack, lambda_context, function, event):
    with pytest.raises(BadEvent):
        load_handler(function).lambda_handler(event, lambda_context)


def test_metric_watch_ignores_control_messages(stack, lambda_context):
    handler = load_handler("metric_watch").lambda_handler
    assert handler(load_event("metric_watch-control"), lambda_context) == {"ignored": "CONTROL_MESSAGE"}
