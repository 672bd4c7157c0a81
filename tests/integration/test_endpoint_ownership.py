"""Who may deploy what, under moto: a spec cannot replace an endpoint this stack did not create."""

from __future__ import annotations

import boto3
import pytest
from tunepilot.exceptions import EndpointNotManaged, SpecInvalid

from tests.conftest import ROOT, load_handler
from tests.integration.conftest import BUCKET, ROLE_ARN, STACK_NAME

DEMO = (ROOT / "examples" / "xgboost-breast-cancer.yaml").read_bytes()
ENDPOINT = "xgb-breast-cancer"  # the demo spec's deploy.endpoint_name
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:sm:first"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def validate(detail, lambda_context):
    return load_handler("validate_spec").lambda_handler({"detail": detail, "execution_arn": EXECUTION}, lambda_context)


def deploy(run_id, lambda_context):
    best = {
        "name": "tp-demo-0123abcd-001-deadbeef",
        "objective_metric": "validation:auc",
        "objective_type": "Maximize",
        "objective_value": 0.99,
        "model_artifact": "s3://tp-test-bucket/output/model.tar.gz",
        "image": IMAGE,
    }
    return load_handler("deploy").lambda_handler({"run_id": run_id, "best": best}, lambda_context)


def make_endpoint(name: str, tags: dict[str, str]) -> str:
    """An endpoint created outside TunePilot, with plain boto3; returns its endpoint config."""
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE})
    config = f"{name}-config"
    sagemaker.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": f"{name}-model",
        "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config,
                              Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return config


def endpoint_tags(name: str) -> dict[str, str]:
    sagemaker = boto3.client("sagemaker")
    arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def store():
    from tunepilot.usecases.context import store

    return store()


def run_id_of(detail) -> str:
    from tunepilot.runid import run_id_for

    return run_id_for(BUCKET, detail["object"]["key"], detail["object"]["version-id"])


REFUSED = {
    "foreign-untagged": ({"team": "payments"}, "belongs to no TunePilot stack"),
    "another-stack": ({"tunepilot:stack": "tunepilot-prod"}, "belongs to TunePilot stack tunepilot-prod"),
    "empty-stack-tag": ({"tunepilot:stack": ""}, "belongs to no TunePilot stack"),
}


@pytest.mark.parametrize("tags,why", REFUSED.values(), ids=REFUSED.keys())
def test_an_endpoint_this_stack_did_not_create_is_refused_at_validation(stack, lambda_context, tags, why):
    config = make_endpoint(ENDPOINT, tags)
    detail = stack.put_spec(DEMO)
    with pytest.raises(SpecInvalid, match=r"deploy\.endpoint_name") as excinfo:
        validate(detail, lambda_context)
    assert why in str(excinfo.value)
    report = stack.get_json(f"runs/{run_id_of(detail)}/validation.json")
    problem = next(p for p in report["errors"] if p["path"] == "deploy.endpoint_name")
    demo_line = DEMO.decode().splitlines().index(f"  endpoint_name: {ENDPOINT}") + 1
    assert report["valid"] is False and problem["line"] == demo_line and why in problem["message"]
    assert store().get_run(run_id_of(detail)).status == "INVALID"  # nothing started, nothing to spend
    assert boto3.client("sagemaker").describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == config


ACCEPTED = {
    "no-endpoint-yet": None,
    "our-own-endpoint": {"tunepilot:stack": STACK_NAME, "tunepilot:run-id": "earlier-run"},
}


@pytest.mark.parametrize("tags", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_new_or_own_endpoint_is_accepted(stack, lambda_context, tags):
    if tags is not None:
        make_endpoint(ENDPOINT, tags)
    result = validate(stack.put_spec(DEMO), lambda_context)
    assert result["duplicate"] is False
    assert stack.get_json(f"runs/{result['run_id']}/validation.json")["valid"] is True


def test_deploy_tags_everything_it_creates_with_the_stack(stack, lambda_context):
    run_id = validate(stack.put_spec(DEMO), lambda_context)["run_id"]
    result = deploy(run_id, lambda_context)
    assert result["action"] == "created"
    sagemaker = boto3.client("sagemaker")
    model_arn = sagemaker.describe_model(ModelName=result["model_name"])["ModelArn"]
    config_arn = sagemaker.describe_endpoint_config(EndpointConfigName=result["endpoint_config_name"])[
        "EndpointConfigArn"]
    for arn in (model_arn, config_arn):
        tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
        assert tags["tunepilot:stack"] == STACK_NAME and tags["tunepilot:run-id"] == run_id
    assert endpoint_tags(ENDPOINT)["tunepilot:stack"] == STACK_NAME
    # The next run may replace it: the endpoint is ours now.
    second = stack.put_spec(DEMO, key="specs/demo-again.yaml")
    assert validate(second, lambda_context)["duplicate"] is False


@pytest.mark.parametrize("tags", [{"team": "payments"}, {"tunepilot:stack": "tunepilot-prod"}],
                         ids=["foreign-untagged", "another-stack"])
def test_a_name_taken_after_validation_is_refused_at_deploy_before_anything_is_created(stack, lambda_context, tags):
    run_id = validate(stack.put_spec(DEMO), lambda_context)["run_id"]
    config = make_endpoint(ENDPOINT, tags)  # somebody takes the name while the run tunes
    with pytest.raises(EndpointNotManaged, match=ENDPOINT):
        deploy(run_id, lambda_context)
    sagemaker = boto3.client("sagemaker")
    assert sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == config
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == [f"{ENDPOINT}-model"]
    assert [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]] == [config]
    assert endpoint_tags(ENDPOINT) == tags


def test_start_tuning_tags_the_tuning_job_with_the_stack(stack, lambda_context):
    run_id = validate(stack.put_spec(DEMO), lambda_context)["run_id"]
    started = load_handler("start_tuning").lambda_handler({"run_id": run_id}, lambda_context)
    sagemaker = boto3.client("sagemaker")
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=started["tuning_job_arn"])["Tags"]}
    assert tags["tunepilot:stack"] == STACK_NAME and tags["tunepilot:run-id"] == run_id


IMAGES = {
    "foreign-account": ("999999999999.dkr.ecr.us-east-1.amazonaws.com/miner:1", False),
    "public-registry": ("ghcr.io/someone/trainer:1", False),
    "own-account": ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-trainer:1.4", True),
}


@pytest.mark.parametrize("uri,allowed", IMAGES.values(), ids=IMAGES.keys())
def test_validation_checks_the_image_registry_against_the_stack(stack, lambda_context, uri, allowed):
    body = (ROOT / "tests" / "data" / "specs" / "valid" / "custom-image.json").read_text()
    body = body.replace("123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-trainer:1.4", uri)
    body = body.replace("role/service-role/TunePilotSageMakerRole", "role/TunePilotSageMakerRole")
    detail = stack.put_spec(body.encode(), key="specs/custom.json")
    if allowed:
        assert validate(detail, lambda_context)["duplicate"] is False
        return
    with pytest.raises(SpecInvalid, match=r"algorithm\.image\.uri: registry .* is not allowed by this stack"):
        validate(detail, lambda_context)
