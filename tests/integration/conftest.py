"""moto-backed fixtures: the stack's storage built from template.yaml's own properties."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

BUCKET, TABLE, TOPIC = "tp-test-bucket", "tp-test-runs", "tp-test-alerts"
ROLE_ARN = "arn:aws:iam::123456789012:role/TunePilotSageMakerRole"
STACK_NAME = "tp-test-stack"

# Settings are read once at import (cold start), so the environment is set before any handler loads.
os.environ.update(
    BUCKET_NAME=BUCKET,
    RUNS_TABLE=TABLE,
    ALERTS_TOPIC_ARN=f"arn:aws:sns:us-east-1:123456789012:{TOPIC}",
    ALLOWED_ROLE_ARNS=ROLE_ARN,
    STACK_NAME=STACK_NAME,
    ACCOUNT_ID="123456789012",
    ALLOWED_IMAGE_REGISTRIES="sagemaker,self",
    ALLOWED_ENDPOINT_NAMES="*",
    POWERTOOLS_SERVICE_NAME="tunepilot-test",
    POWERTOOLS_LOG_LEVEL="WARNING",
)


def _template_resource(logical_id: str) -> dict:
    from tests.unit.test_contract import TEMPLATE

    return TEMPLATE["Resources"][logical_id]["Properties"]


class Stack:
    def __init__(self) -> None:
        self.s3 = boto3.client("s3")
        self.dynamodb = boto3.client("dynamodb")
        self.sns = boto3.client("sns")
        self.sqs = boto3.client("sqs")
        table = _template_resource("RunsTable")
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            BillingMode=table["BillingMode"],
        )
        topic_arn = self.sns.create_topic(Name=TOPIC)["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="alerts")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        boto3.client("iam").create_role(RoleName="TunePilotSageMakerRole", AssumeRolePolicyDocument="{}")

    def put_spec(self, body: bytes, key: str = "specs/demo.yaml") -> dict:
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return {
            "bucket": {"name": BUCKET},
            "object": {"key": key, "etag": response["ETag"].strip('"'), "version-id": response.get("VersionId")},
        }

    def alerts(self) -> list[dict]:
        out = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return out
            for message in batch:
                body = json.loads(message["Body"])
                out.append({"subject": body.get("Subject"), "message": body["Message"]})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def get_json(self, key: str) -> dict:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def stack():
    with mock_aws():
        from tunepilot.aws.clients import clients
        from tunepilot.usecases import context

        clients.reset()
        context.store.cache_clear()
        yield Stack()
        clients.reset()
        context.store.cache_clear()
