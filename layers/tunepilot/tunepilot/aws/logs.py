"""CloudWatch Logs adapter: a training job's own log lines, read once and bounded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import error_code, translate
from tunepilot.aws.sagemaker import TRAINING_LOG_GROUP

MAX_STREAMS = 10  # one stream per instance; more than 10 is beyond what an alert needs


def training_job_lines(training_job: str, max_lines: int) -> list[str]:
    """The first ``max_lines`` lines of the job's streams (``<job>/algo-N-<epoch>``), oldest first.

    No log group yet (``ResourceNotFoundException``) means no lines, not an error.
    """
    lines: list[str] = []
    try:
        streams = clients.logs.describe_log_streams(
            logGroupName=TRAINING_LOG_GROUP, logStreamNamePrefix=f"{training_job}/"
        ).get("logStreams", [])
        for stream in streams[:MAX_STREAMS]:
            kwargs: dict[str, Any] = {"logGroupName": TRAINING_LOG_GROUP, "logStreamName": stream["logStreamName"],
                                      "startFromHead": True}
            while len(lines) < max_lines:
                page = clients.logs.get_log_events(**kwargs)
                lines.extend(e["message"] for e in page.get("events", []))
                # The forward token repeats at the end of a stream.
                if not page.get("events") or page.get("nextForwardToken") == kwargs.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextForwardToken"]
    except ClientError as e:
        if error_code(e) == "ResourceNotFoundException":
            return []
        raise translate(e, f"read logs of {training_job}") from e
    except BotoCoreError as e:
        raise translate(e, f"read logs of {training_job}") from e
    return lines[:max_lines]
