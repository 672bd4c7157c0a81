"""A botocore Stubber per AWS service, installed as the adapters' shared client."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from tunepilot.aws.clients import clients


@pytest.fixture
def stubbed():
    """``stubbed("sagemaker")`` -> an active Stubber whose client the adapters now use."""
    stubbers: list[Stubber] = []

    def install(service: str) -> Stubber:
        client = boto3.client(service, region_name="us-east-1")
        stubber = Stubber(client)
        stubber.activate()
        clients.override(**{service: client})
        stubbers.append(stubber)
        return stubber

    yield install
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()
    clients.reset()


def error(code: str, status: int = 400, message: str = "") -> dict:
    """``add_client_error`` arguments for AWS's error ``code``."""
    return {"service_error_code": code, "http_status_code": status, "service_message": message or code}
