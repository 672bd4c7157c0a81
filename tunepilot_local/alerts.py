"""Reading what SNS and EventBridge deliver: an SQS queue subscribed to the topic, drained on demand."""

from __future__ import annotations

import json
from typing import Any


def subscribe_queue(sqs: Any, sns: Any, topic_arn: str, queue_name: str) -> str:
    """Create ``queue_name`` and subscribe it to the topic; returns the queue URL."""
    queue_url: str = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_url


def drain_queue(sqs: Any, queue_url: str) -> list[Any]:
    """Receive and delete every message in the queue now; their JSON bodies, in the order received."""
    bodies: list[Any] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def sns_alert(envelope: dict[str, Any]) -> dict[str, str]:
    """An SNS notification as delivered to SQS -> {subject, message}."""
    return {"subject": envelope.get("Subject") or "", "message": envelope.get("Message", "")}
