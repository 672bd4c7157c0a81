"""Endpoints on the local SageMaker: a real model loads, serves predictions, and a broken update rolls back."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from tests.integration.local_sagemaker.helpers import (
    BUCKET,
    ROLE_ARN,
    XGBOOST_IMAGE,
    model_tarball,
    tuning_config,
    wait_for,
    xgboost_definition,
)

TERMINAL = {"Completed", "Failed", "Stopped"}
SETTLED = {"InService", "Failed"}


@pytest.fixture(scope="module")
def trained_model(aws, dataset, platform) -> str:
    """The best model of a small tuning job: its model.tar.gz URI."""
    sm = aws("sagemaker")
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName="for-endpoint",
                                         HyperParameterTuningJobConfig=tuning_config("Random", jobs=2),
                                         TrainingJobDefinition=xgboost_definition())
    done = wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="for-endpoint"),
                    "HyperParameterTuningJobStatus", TERMINAL)
    job = sm.describe_training_job(TrainingJobName=done["BestTrainingJob"]["TrainingJobName"])
    return str(job["ModelArtifacts"]["S3ModelArtifacts"])


def make_config(sm: Any, name: str, model_url: str) -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model_url})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        Tags=[{"Key": "run", "Value": name}])


def csv_rows(features: np.ndarray) -> bytes:
    out = io.StringIO()
    np.savetxt(out, features, delimiter=",", fmt="%.6g")
    return out.getvalue().encode()


def predict(aws: Any, endpoint: str, features: np.ndarray) -> list[float]:
    response = aws("sagemaker-runtime").invoke_endpoint(EndpointName=endpoint, ContentType="text/csv",
                                                        Body=csv_rows(features))
    return [float(v) for v in response["Body"].read().decode().splitlines()]


@pytest.fixture(scope="module")
def serving(aws, trained_model, sagemaker_events) -> dict[str, Any]:
    sm = aws("sagemaker")
    make_config(sm, "good-v1", trained_model)
    sm.create_endpoint(EndpointName="serving", EndpointConfigName="good-v1", Tags=[{"Key": "app", "Value": "demo"}])
    first = sm.describe_endpoint(EndpointName="serving")
    done = wait_for(lambda: sm.describe_endpoint(EndpointName="serving"), "EndpointStatus", SETTLED, 30)
    return {"first": first, "done": done}


def test_endpoint_goes_in_service_and_predicts(aws, dataset, serving):
    assert serving["first"]["EndpointStatus"] == "Creating"
    assert serving["done"]["EndpointStatus"] == "InService"
    rows = dataset["validation_features"][:25]
    scores = predict(aws, "serving", rows)
    assert len(scores) == 25 and all(0.0 <= s <= 1.0 for s in scores)
    accuracy = np.mean((np.array(scores) > 0.5) == dataset["validation_labels"][:25])
    assert accuracy > 0.8  # a real model, not canned output


def test_endpoint_tags_and_config_are_readable(aws, serving):
    sm = aws("sagemaker")
    arn = serving["done"]["EndpointArn"]
    assert {"Key": "app", "Value": "demo"} in sm.list_tags(ResourceArn=arn)["Tags"]
    config = sm.describe_endpoint_config(EndpointConfigName=serving["done"]["EndpointConfigName"])
    assert config["ProductionVariants"][0]["ModelName"] == "good-v1"


def test_update_with_a_broken_model_rolls_back_and_old_model_serves(aws, dataset, serving, sagemaker_events):
    sm, s3 = aws("sagemaker"), aws("s3")
    s3.put_object(Bucket=BUCKET, Key="broken/model.tar.gz", Body=model_tarball({"xgboost-model": b"not a model"}))
    make_config(sm, "broken-v2", f"s3://{BUCKET}/broken/model.tar.gz")
    before = predict(aws, "serving", dataset["validation_features"][:5])
    sm.update_endpoint(EndpointName="serving", EndpointConfigName="broken-v2")
    assert sm.describe_endpoint(EndpointName="serving")["EndpointStatus"] in {"Updating", "InService"}
    settled = wait_for(lambda: sm.describe_endpoint(EndpointName="serving"), "EndpointStatus", SETTLED, 30)
    assert settled["EndpointStatus"] == "InService"
    assert settled["EndpointConfigName"] == "good-v1"
    assert "not an XGBoost model" in settled["FailureReason"]
    assert predict(aws, "serving", dataset["validation_features"][:5]) == before
    statuses = [e["detail"]["EndpointStatus"] for e in sagemaker_events()
                if e["detail-type"] == "SageMaker Endpoint State Change" and e["detail"]["EndpointName"] == "serving"]
    assert statuses == ["CREATING", "IN_SERVICE", "UPDATING", "IN_SERVICE"]


def test_update_with_a_good_model_switches_config(aws, dataset, trained_model, serving):
    sm = aws("sagemaker")
    make_config(sm, "good-v3", trained_model)
    sm.update_endpoint(EndpointName="serving", EndpointConfigName="good-v3")
    settled = wait_for(lambda: sm.describe_endpoint(EndpointName="serving"), "EndpointStatus", SETTLED, 30)
    assert (settled["EndpointStatus"], settled["EndpointConfigName"]) == ("InService", "good-v3")
    assert "FailureReason" not in settled
    assert len(predict(aws, "serving", dataset["validation_features"][:3])) == 3


@pytest.mark.parametrize(
    ("name", "files", "reason"),
    [
        ("no-model-file", {"README": b"nothing to serve"}, "holds none of"),
        ("garbage-model", {"model.xgb": b"\x00garbage"}, "not an XGBoost model"),
    ],
    ids=["archive-without-model", "unreadable-booster"],
)
def test_create_with_a_model_that_cannot_load_fails(aws, platform, name, files, reason):
    sm, s3 = aws("sagemaker"), aws("s3")
    s3.put_object(Bucket=BUCKET, Key=f"{name}/model.tar.gz", Body=model_tarball(files))
    make_config(sm, name, f"s3://{BUCKET}/{name}/model.tar.gz")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    settled = wait_for(lambda: sm.describe_endpoint(EndpointName=name), "EndpointStatus", SETTLED, 30)
    assert settled["EndpointStatus"] == "Failed"
    assert reason in settled["FailureReason"]
    with pytest.raises(sm.exceptions.ClientError, match="not found"):
        aws("sagemaker-runtime").invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b"1,2,3")


def test_only_csv_payloads_are_accepted(aws, serving):
    runtime = aws("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ClientError, match="text/csv"):
        runtime.invoke_endpoint(EndpointName="serving", ContentType="application/json", Body=b"[[1, 2]]")
