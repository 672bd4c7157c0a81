"""Step Functions adapter: resuming callback tasks, where a stale token is a harmless duplicate."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import error_code, translate

# The execution already moved on (duplicate resume, timeout, stop): nothing to do.
_GONE = {"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"}


def send_success(token: str, output: dict[str, Any]) -> bool:
    try:
        clients.sfn.send_task_success(taskToken=token, output=json.dumps(output, default=str))
    except ClientError as e:
        if error_code(e) in _GONE:
            return False
        raise translate(e, "resume execution") from e
    return True


def send_failure(token: str, error: str, cause: str) -> bool:
    try:
        clients.sfn.send_task_failure(taskToken=token, error=error[:256], cause=cause[:32768])
    except ClientError as e:
        if error_code(e) in _GONE:
            return False
        raise translate(e, "fail execution") from e
    return True
