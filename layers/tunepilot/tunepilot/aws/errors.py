"""Turn botocore errors into TunePilot's named errors (the state machine's contract)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, QuotaExceeded, Throttled, TunePilotError

_THROTTLING = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "SlowDown",
    "Throttled", "KMSThrottling", "KmsThrottlingException",  # SNS; SNS and Step Functions on a KMS key
}
_QUOTA = {"ResourceLimitExceeded", "LimitExceededException"}
_UNAVAILABLE = {
    "InternalFailure", "InternalServerError", "ServiceUnavailable", "InternalError", "ServiceException",
    "ServiceUnavailableException",  # CloudWatch Logs
}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(error: ClientError | BotoCoreError, action: str) -> TunePilotError:
    """The named error for a failed AWS call; the message says what we were doing."""
    if isinstance(error, BotoCoreError):  # connection problems, timeouts: worth a retry
        return AwsUnavailable(f"{action}: {error}")
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message", "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    text = f"{action}: {code}: {message}"
    if code in _THROTTLING:
        return Throttled(text)
    if code in _QUOTA:
        return QuotaExceeded(text)
    if code in _UNAVAILABLE or status >= 500:
        return AwsUnavailable(text)
    return AwsCallFailed(text)


@contextmanager
def aws_call(action: str) -> Iterator[None]:
    """``with aws_call("describe tuning job x"):`` re-raises botocore errors as named errors."""
    try:
        yield
    except (ClientError, BotoCoreError) as e:
        raise translate(e, action) from e
