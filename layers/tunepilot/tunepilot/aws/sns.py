"""SNS adapter: one place that knows the topic's limits."""

from __future__ import annotations

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import aws_call

_SUBJECT_MAX = 100  # SNS rejects longer subjects, and ones with newlines or non-ASCII


def clean_subject(subject: str) -> str:
    text = " ".join(subject.split()).encode("ascii", "replace").decode()
    return text if len(text) <= _SUBJECT_MAX else text[: _SUBJECT_MAX - 3] + "..."


def publish(topic_arn: str, subject: str, message: str) -> str:
    with aws_call("publish alert"):
        response = clients.sns.publish(TopicArn=topic_arn, Subject=clean_subject(subject), Message=message)
    return str(response["MessageId"])
