"""Our aws.sagemaker events carry the keys of AWS's published samples (samples/*.json, with their source)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.local_sagemaker.helpers import (
    ROLE_ARN,
    XGBOOST_IMAGE,
    load_sample,
    tuning_config,
    wait_for,
    xgboost_definition,
)
from tunepilot_local.sagemaker import events


@pytest.fixture(scope="module")
def emitted(aws, dataset, platform, sagemaker_events) -> list[dict[str, Any]]:
    sm = aws("sagemaker")
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName="shapes",
                                         TrainingJobDefinition=xgboost_definition(),
                                         HyperParameterTuningJobConfig=tuning_config("Random", jobs=1))
    done = wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="shapes"),
                    "HyperParameterTuningJobStatus", {"Completed", "Failed"})
    model = sm.describe_training_job(TrainingJobName=done["BestTrainingJob"]["TrainingJobName"])["ModelArtifacts"]
    sm.create_model(ModelName="shapes", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": model["S3ModelArtifacts"]})
    sm.create_endpoint_config(EndpointConfigName="shapes", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "shapes", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="shapes", EndpointConfigName="shapes")
    wait_for(lambda: sm.describe_endpoint(EndpointName="shapes"), "EndpointStatus", {"InService", "Failed"})
    assert platform.wait_idle(30)
    return sagemaker_events()


def _ours(emitted: list[dict[str, Any]], detail_type: str, name_key: str) -> list[dict[str, Any]]:
    return [e for e in emitted
            if e["detail-type"] == detail_type and e["detail"].get(name_key, "").startswith("shapes")]


@pytest.mark.parametrize(
    ("sample", "name_key", "extra"),
    [
        ("training-job-state-change", "TrainingJobName", events.TRAINING_EXTRA_KEYS),
        ("tuning-job-state-change", "HyperParameterTuningJobName", events.TUNING_EXTRA_KEYS),
        ("endpoint-state-change", "EndpointName", events.ENDPOINT_EXTRA_KEYS),
    ],
    ids=["training-job", "tuning-job", "endpoint"],
)
def test_event_keys_match_the_published_sample(emitted, sample, name_key, extra):
    expected = load_sample(sample)
    ours = _ours(emitted, expected["detail-type"], name_key)
    assert len(ours) >= 2  # at least the first and the final status
    # The envelope is moto's (it has no "account"); the detail is ours.
    envelope = {k for k in expected if not k.startswith("_")} - {"account"}
    for event in ours:
        assert set(event) >= envelope
        assert event["source"] == expected["source"] == "aws.sagemaker"
        keys = set(event["detail"])
        assert keys - set(expected["detail"]) <= extra, "keys the sample does not have must be documented extras"
    # The samples show a finished job / a serving endpoint: our final event has every key they have.
    final = set(ours[-1]["detail"])
    assert final >= set(expected["detail"]), f"missing: {set(expected['detail']) - final}"


def test_endpoint_statuses_use_the_events_casing(emitted):
    statuses = [e["detail"]["EndpointStatus"] for e in _ours(emitted, events.ENDPOINT, "EndpointName")]
    assert statuses == ["CREATING", "IN_SERVICE"]


def test_timestamps_are_epoch_milliseconds(emitted):
    (final,) = [e for e in _ours(emitted, events.TRAINING, "TrainingJobName")
                if e["detail"]["TrainingJobStatus"] == "Completed"]
    detail = final["detail"]
    assert isinstance(detail["CreationTime"], int) and detail["CreationTime"] > 1e12
    assert detail["CreationTime"] <= detail["TrainingStartTime"] <= detail["TrainingEndTime"]
