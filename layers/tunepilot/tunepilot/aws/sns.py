"""SNS adapter: every alert goes through here, so every subject meets SNS's limits."""

from __future__ import annotations

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import aws_call
from tunepilot.controller.report import clean_subject


def publish(topic_arn: str, subject: str, message: str) -> str:
    with aws_call("publish alert"):
        response = clients.sns.publish(TopicArn=topic_arn, Subject=clean_subject(subject), Message=message)
    return str(response["MessageId"])
