"""Callback waits against moto: the endpoint wait judges the endpoint only against a stored waiter."""

from __future__ import annotations

import boto3
import pytest
from tunepilot.aws.runs_store import RunsStore
from tunepilot.usecases.context import store
from tunepilot.usecases.waits import resume_if_done

ROLE = "arn:aws:iam::123456789012:role/TunePilotSageMakerRole"
RUN, ENDPOINT = "demo-0123456789ab", "xgb-serving"


def serving(config: str) -> None:
    """An InService endpoint on ``config`` (moto puts a new endpoint in service at once)."""
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model(ModelName=f"{config}-model", ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"})
    sagemaker.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": f"{config}-model", "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=config)


@pytest.fixture
def deploying(stack):
    """A run whose Deploy asked for ``new-config`` on an endpoint still serving ``old-config``."""
    serving("old-config")
    store().claim_run(RUN, "arn:aws:states:us-east-1:123456789012:execution:sm:x", "specs/demo.yaml", {})
    store().update_run(RUN, status="DEPLOYING", endpoint_name=ENDPOINT, endpoint_config_name="new-config")
    assert boto3.client("sagemaker").describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "InService"


def test_an_event_before_the_waiter_is_stored_resumes_nothing_and_takes_nothing(deploying, monkeypatch):
    # ResumeWait looks for the waiter a moment before RegisterWait stores it: its verdict about the
    # old config must not take the token that lands in between.
    peek = RunsStore.peek_token

    def register_wait_lands_right_after(self, kind, name):
        found = peek(self, kind, name)
        self.put_token(kind, name, RUN, "token-1")
        return found

    monkeypatch.setattr(RunsStore, "peek_token", register_wait_lands_right_after)
    assert resume_if_done("endpoint", ENDPOINT) is None
    monkeypatch.undo()
    assert store().peek_token("endpoint", ENDPOINT).token == "token-1"
    assert resume_if_done("endpoint", ENDPOINT) is None  # still on the old config: keep waiting
    assert store().peek_token("endpoint", ENDPOINT).token == "token-1"
