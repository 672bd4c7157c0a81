"""The CloudWatch Logs adapter: a job's own lines, bounded, and AWS's error codes as named errors."""

from __future__ import annotations

import pytest
from tunepilot.aws import logs
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, Throttled

from tests.unit.aws.conftest import error

JOB = "tp-demo-1a2b3c4d-001-0123abcd"
STREAM = f"{JOB}/algo-1-1700000000"


def events(*messages: str) -> list[dict]:
    return [{"timestamp": 1, "message": m, "ingestionTime": 1} for m in messages]


def test_reads_the_job_streams_from_the_head_until_the_token_repeats(stubbed):
    stub = stubbed("logs")
    stub.add_response("describe_log_streams", {"logStreams": [{"logStreamName": STREAM}]},
                      {"logGroupName": logs.TRAINING_LOG_GROUP, "logStreamNamePrefix": f"{JOB}/"})
    first = {"logGroupName": logs.TRAINING_LOG_GROUP, "logStreamName": STREAM, "startFromHead": True}
    stub.add_response("get_log_events", {"events": events("a", "b"), "nextForwardToken": "f/1"}, first)
    stub.add_response("get_log_events", {"events": events("c"), "nextForwardToken": "f/1"},
                      {**first, "nextToken": "f/1"})
    assert logs.training_job_lines(JOB, 100) == ["a", "b", "c"]


def test_stops_at_the_line_cap(stubbed):
    stub = stubbed("logs")
    stub.add_response("describe_log_streams", {"logStreams": [{"logStreamName": STREAM}]})
    stub.add_response("get_log_events", {"events": events(*"abcde"), "nextForwardToken": "f/1"})
    assert logs.training_job_lines(JOB, 3) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("ResourceNotFoundException", 400, []),
        ("ThrottlingException", 400, Throttled),
        ("ServiceUnavailableException", 500, AwsUnavailable),
        ("InvalidParameterException", 400, AwsCallFailed),
        ("AccessDeniedException", 400, AwsCallFailed),
    ],
    ids=["no-log-group-yet", "throttled", "unavailable", "invalid-parameter", "access-denied"],
)
def test_errors(stubbed, code, status, outcome):
    stubbed("logs").add_client_error("describe_log_streams", **error(code, status))
    if outcome == []:
        assert logs.training_job_lines(JOB, 100) == []
    else:
        with pytest.raises(outcome) as raised:
            logs.training_job_lines(JOB, 100)
        assert code in str(raised.value) and raised.value.__cause__ is not None
