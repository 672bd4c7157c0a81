"""Who may deploy what, through the local cloud: a spec naming somebody else's endpoint never spends."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tunepilot.runid import tuning_job_name

from tests.e2e.controller_helpers import spec_bytes, why
from tunepilot_local.cloud import SAGEMAKER_ROLE_ARN

pytestmark = pytest.mark.e2e

FOREIGN = "e2e-payments-prod"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_a_foreign_endpoint_is_refused_at_validation_and_left_untouched(local_cloud):
    # Somebody else's production endpoint, created with plain boto3: no TunePilot tag.
    sagemaker = local_cloud.client("sagemaker")
    sagemaker.create_model(ModelName=f"{FOREIGN}-model", ExecutionRoleArn=SAGEMAKER_ROLE_ARN,
                           PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://payments-team/model.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=f"{FOREIGN}-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": f"{FOREIGN}-model",
        "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=FOREIGN, EndpointConfigName=f"{FOREIGN}-config",
                              Tags=[{"Key": "team", "Value": "payments"}])
    arn = sagemaker.describe_endpoint(EndpointName=FOREIGN)["EndpointArn"]

    body = spec_bytes("xgb-small", {"deploy": {"enabled": True, "endpoint_name": FOREIGN}})
    summary = local_cloud.run_spec(body, key="specs/e2e-foreign-endpoint.yaml", timeout=120)

    assert summary.status == "FAILED" and "SpecInvalid" in (summary.error or ""), why(summary)
    assert "ValidateSpec" in summary.states_visited and "StartTuning" not in summary.states_visited
    with pytest.raises(ClientError):  # nothing was started, so nothing was spent
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job_name(summary.run_id))
    report = json.loads(local_cloud.client("s3").get_object(
        Bucket=local_cloud.bucket, Key=f"runs/{summary.run_id}/validation.json")["Body"].read())
    problem = next(e for e in report["errors"] if e["path"] == "deploy.endpoint_name")
    line = body.decode().splitlines().index(f"  endpoint_name: {FOREIGN}") + 1
    assert problem["line"] == line and "belongs to no TunePilot stack" in problem["message"], problem
    assert any("deploy.endpoint_name" in a["message"] for a in summary.alerts), summary.alerts
    # The foreign endpoint serves what it served, with its own tags only.
    assert sagemaker.describe_endpoint(EndpointName=FOREIGN)["EndpointConfigName"] == f"{FOREIGN}-config"
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "payments"}]


def test_the_deployed_functions_see_the_stack_name_and_whole_allow_lists(local_cloud):
    # moto does not split CommaDelimitedList defaults; the local cloud passes them, so no "s,a,g,e,...".
    name = local_cloud.deployment.physical_ids["ValidateSpecFunction"]
    variables = local_cloud.client("lambda").get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert variables["STACK_NAME"] == local_cloud.stack_name
    assert variables["ALLOWED_IMAGE_REGISTRIES"] == "sagemaker,self"
    assert variables["ALLOWED_ENDPOINT_NAMES"] == "*"
