"""moto-backed fixtures: the stack's storage built from template.yaml's own properties."""

from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws

from tunepilot_local.alerts import drain_queue, sns_alert, subscribe_queue

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
        self.queue_url = subscribe_queue(self.sqs, self.sns, topic_arn, "alerts")
        boto3.client("iam").create_role(RoleName="TunePilotSageMakerRole", AssumeRolePolicyDocument="{}")

    def put_spec(self, body: bytes, key: str = "specs/demo.yaml") -> dict:
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return {
            "bucket": {"name": BUCKET},
            "object": {"key": key, "etag": response["ETag"].strip('"'), "version-id": response.get("VersionId")},
        }

    def alerts(self) -> list[dict]:
        """The SNS messages published since the last call: [{subject, message}]."""
        return [sns_alert(body) for body in drain_queue(self.sqs, self.queue_url)]

    def get_json(self, key: str) -> dict:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def _list_training_jobs_for_tuning_job(params, **_):
    """moto lacks ListTrainingJobsForHyperParameterTuningJob: AMT names a tuning job's training jobs
    ``<tuning-job>-NNN-<8 hex>``, so its moto training jobs are those with that prefix."""
    from botocore.awsrequest import AWSResponse
    from moto.sagemaker.models import sagemaker_backends

    name = json.loads(params["body"])["HyperParameterTuningJobName"]
    jobs = sagemaker_backends["123456789012"]["us-east-1"].training_jobs.values()
    summaries = [{"TrainingJobName": j.training_job_name, "TrainingJobStatus": j.training_job_status}
                 for j in jobs if j.training_job_name.startswith(f"{name}-")]
    return AWSResponse("https://sagemaker.local", 200, {}, None), {"TrainingJobSummaries": summaries}


@pytest.fixture
def stack():
    with mock_aws():
        from tunepilot.aws.clients import clients
        from tunepilot.usecases import context

        clients.reset()
        context.store.cache_clear()
        clients.sagemaker.meta.events.register(
            "before-call.sagemaker.ListTrainingJobsForHyperParameterTuningJob", _list_training_jobs_for_tuning_job)
        yield Stack()
        clients.reset()
        context.store.cache_clear()
