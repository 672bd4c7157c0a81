"""The SNS adapter: subjects SNS accepts, and AWS's error codes as named errors."""

from __future__ import annotations

import pytest
from tunepilot.aws import sns
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, Throttled

from tests.unit.aws.conftest import error

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"


def test_publish_cleans_the_subject(stubbed):
    stubbed("sns").add_response("publish", {"MessageId": "m-1"},
                                {"TopicArn": TOPIC, "Subject": "TunePilot run x: done ?", "Message": "body"})
    assert sns.publish(TOPIC, "TunePilot run x:\n done ✓", "body") == "m-1"


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("Throttled", 400, Throttled),
        ("KMSThrottling", 400, Throttled),
        ("InternalError", 500, AwsUnavailable),
        ("NotFound", 404, AwsCallFailed),
        ("AuthorizationError", 403, AwsCallFailed),
        ("KMSDisabled", 400, AwsCallFailed),
    ],
    ids=["throttled", "kms-throttled", "internal-error", "no-topic", "not-authorized", "kms-disabled"],
)
def test_publish_errors(stubbed, code, status, outcome):
    stubbed("sns").add_client_error("publish", **error(code, status))
    with pytest.raises(outcome) as raised:
        sns.publish(TOPIC, "subject", "body")
    assert code in str(raised.value) and raised.value.__cause__ is not None
