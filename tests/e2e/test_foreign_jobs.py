"""Another team's tuning job and endpoint in the same account never reach ResumeWait (the rules filter
them) and never fail it; TunePilot's own runs are unaffected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.waiting import wait_for
from tunepilot_local.cloud import SAGEMAKER_ROLE

pytestmark = pytest.mark.e2e
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def _resume_wait(cloud: Any) -> int:
    """ResumeWait's invocations so far (none: none failed or was retried either)."""
    return sum(n for name, n in cloud.lambda_invocations.items() if "ResumeWait" in name)


def test_a_foreign_tuning_job_and_endpoint_do_not_invoke_resume_wait(local_cloud):
    from tunepilot_local.seed import breast_cancer_csv

    cloud = local_cloud
    s3, sm = cloud.client("s3"), cloud.client("sagemaker")
    s3.create_bucket(Bucket="other-team")
    for part in ("train", "validation"):
        s3.put_object(Bucket="other-team", Key=f"{part}/{part}.csv", Body=breast_cancer_csv(part))
    role = cloud.client("iam").get_role(RoleName=SAGEMAKER_ROLE)["Role"]["Arn"]
    before = _resume_wait(cloud)

    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="other-team-tuning",
        HyperParameterTuningJobConfig={
            "Strategy": "Random", "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ParameterRanges": {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "4"}]}},
        TrainingJobDefinition={
            "StaticHyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "5"},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": role,
            "InputDataConfig": [{"ChannelName": part, "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://other-team/{part}/"}}} for part in ("train", "validation")],
            "OutputDataConfig": {"S3OutputPath": "s3://other-team/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600}})
    done = wait_for("the foreign tuning job to finish", lambda: (lambda d: d if d[
        "HyperParameterTuningJobStatus"] in {"Completed", "Failed", "Stopped"} else None)(
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="other-team-tuning")), timeout=120)
    assert done["HyperParameterTuningJobStatus"] == "Completed"

    best = sm.describe_training_job(TrainingJobName=done["BestTrainingJob"]["TrainingJobName"])
    sm.create_model(ModelName="other-team-model", ExecutionRoleArn=role,
                    PrimaryContainer={"Image": IMAGE, "ModelDataUrl": best["ModelArtifacts"]["S3ModelArtifacts"]})
    sm.create_endpoint_config(EndpointConfigName="other-team-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "other-team-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="other-team-endpoint", EndpointConfigName="other-team-config")
    wait_for("the foreign endpoint to serve", lambda: sm.describe_endpoint(
        EndpointName="other-team-endpoint")["EndpointStatus"] == "InService" or None, timeout=60)
    assert cloud.platform.wait_idle(30)  # every state-change event has been put on the bus
    assert cloud.delivery.wait_idle(30)  # ...and every rule has delivered it

    sent = [e["DetailType"] for e in cloud.platform.emitter.sent if "other-team" in e["Detail"]]
    assert "SageMaker HyperParameter Tuning Job State Change" in sent
    assert "SageMaker Endpoint State Change" in sent
    assert _resume_wait(cloud) == before
