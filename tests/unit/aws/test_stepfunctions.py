"""The Step Functions adapter: a token whose execution moved on is a harmless duplicate, by code."""

from __future__ import annotations

import pytest
from tunepilot.aws import stepfunctions
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, Throttled

from tests.unit.aws.conftest import error


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("TaskDoesNotExist", 400, False),
        ("TaskTimedOut", 400, False),
        ("InvalidToken", 400, False),
        ("ThrottlingException", 400, Throttled),
        ("KmsThrottlingException", 400, Throttled),
        ("KmsAccessDeniedException", 400, AwsCallFailed),
        ("ServiceUnavailable", 503, AwsUnavailable),
    ],
    ids=["task-gone", "task-timed-out", "invalid-token", "throttled", "kms-throttled", "kms-denied", "unavailable"],
)
@pytest.mark.parametrize("operation", ["send_task_success", "send_task_failure"])
def test_resume_errors(stubbed, operation, code, status, outcome):
    stubbed("stepfunctions").add_client_error(operation, **error(code, status))
    call = (lambda: stepfunctions.send_success("token", {"ok": True})) if operation == "send_task_success" \
        else (lambda: stepfunctions.send_failure("token", "TuningJobFailed", "it failed"))
    if outcome is False:
        assert call() is False
    else:
        with pytest.raises(outcome):
            call()


def test_invalid_output_is_an_error_not_a_duplicate(stubbed):
    stubbed("stepfunctions").add_client_error("send_task_success", **error("InvalidOutput"))
    with pytest.raises(AwsCallFailed, match="InvalidOutput"):
        stepfunctions.send_success("token", {"ok": True})


def test_success_sends_json_and_failure_fits_the_limits(stubbed):
    stub = stubbed("stepfunctions")
    stub.add_response("send_task_success", {}, {"taskToken": "token", "output": '{"ok": true}'})
    stub.add_response("send_task_failure", {}, {"taskToken": "token", "error": "E" * 256, "cause": "c" * 32768})
    assert stepfunctions.send_success("token", {"ok": True}) is True
    assert stepfunctions.send_failure("token", "E" * 300, "c" * 40000) is True
