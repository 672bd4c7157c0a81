"""SNS adapter: every alert goes through here, so every subject meets SNS's limits."""

from __future__ import annotations

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import aws_call
from tunepilot.messages.report import clean_subject
from tunepilot.spec.problems import escaped


def publish(topic_arn: str, subject: str, message: str) -> str:
    # A message can quote a user's text; a lone surrogate in it would make botocore raise while encoding.
    with aws_call("publish alert"):
        response = clients.sns.publish(TopicArn=topic_arn, Subject=clean_subject(subject), Message=escaped(message))
    return str(response["MessageId"])
