"""Read-only SageMaker access for the commands that look at existing tuning jobs (analyze, import, estimate).

One place turns what can go wrong into a one-line message: no credentials, no region, a job that
does not exist, throttling that outlasted the retries. Calls go through the layer's adapter
(``tunepilot.aws.sagemaker``), so the CLI and the Lambda read AWS the same way.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError
from tunepilot.aws.errors import error_code
from tunepilot.exceptions import AwsUnavailable, Throttled, TunePilotError
from tunepilot.spec.models import JOB_NAME_PATTERN

T = TypeVar("T")
# botocore retries throttling itself ("adaptive" mode paces the client); on top of that, a call that
# is still throttled is retried here a few more times with jittered backoff before we give up.
BOTO_ATTEMPTS = 10
RETRIES = 5
_sleep = time.sleep  # tests replace it


class CliAwsError(Exception):
    """A one-line message for the user; the command exits 2."""


def check_job_name(name: str) -> None:
    if not re.fullmatch(JOB_NAME_PATTERN, name):
        raise CliAwsError(f"{name!r} is not a tuning job name (1-32 letters, digits and hyphens)")


def use_region(region: str | None, attempts: int = BOTO_ATTEMPTS) -> None:
    """Point the layer's SageMaker adapter at ``region`` (default: the AWS configuration's region)."""
    import boto3
    from botocore.config import Config
    from tunepilot.aws.clients import clients

    retries = {"mode": "adaptive", "max_attempts": attempts}
    config = Config(retries=retries, connect_timeout=5, read_timeout=60)  # type: ignore[arg-type]
    try:
        client = boto3.session.Session(region_name=region).client("sagemaker", config=config)  # type: ignore[call-overload]
    except NoRegionError:
        raise CliAwsError("no AWS region: pass --region or set AWS_DEFAULT_REGION") from None
    except BotoCoreError as e:
        raise CliAwsError(f"cannot set up the SageMaker client: {e}") from None
    clients.override(sagemaker=client)


def call(fn: Callable[[], T], what: str, retries: int = RETRIES) -> T:
    """``fn()`` with throttling and 5xx retried; every failure becomes a :class:`CliAwsError`."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except (Throttled, AwsUnavailable) as e:
            if isinstance(e.__cause__, NoCredentialsError | NoRegionError):  # no retry fixes a missing setting
                raise CliAwsError(message(e, what)) from None
            if attempt == retries:
                raise CliAwsError(f"{what}: gave up after {retries + 1} tries ({_short(e)})") from None
            _sleep(random.uniform(0, min(20.0, 0.5 * 2**attempt)))  # full jitter, not security
        except TunePilotError as e:
            raise CliAwsError(message(e, what)) from None
        except (ClientError, BotoCoreError) as e:
            raise CliAwsError(message(e, what)) from None
    raise AssertionError("unreachable")


def message(error: BaseException, what: str) -> str:
    cause = error.__cause__ if isinstance(error, TunePilotError) and error.__cause__ else error
    if isinstance(cause, NoCredentialsError):
        return "no AWS credentials found: configure a profile (aws configure) or set AWS_PROFILE"
    if isinstance(cause, NoRegionError):
        return "no AWS region: pass --region or set AWS_DEFAULT_REGION"
    if isinstance(cause, ClientError):
        code = error_code(cause)
        text = str(cause.response.get("Error", {}).get("Message", ""))
        if code in {"ResourceNotFound", "ValidationException"} and _missing(text):
            return f"{what}: not found ({text})"
        return f"{what}: {code}: {text}"
    return f"{what}: {_short(cause)}"


def _missing(text: str) -> bool:
    text = text.lower()
    return any(s in text for s in ("not found", "can't find", "cannot find", "could not find", "does not exist"))


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."


def training_job_summaries(name: str, retries: int = RETRIES) -> list[dict[str, Any]]:
    """Every ``TrainingJobSummaries`` item of tuning job ``name`` (all pages)."""
    from tunepilot.aws import sagemaker

    summaries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page, token = call(lambda t=token: sagemaker.training_jobs_page(name, t),  # type: ignore[misc]
                           f"training jobs of {name}", retries)
        summaries.extend(page)
        if not token:
            return summaries


def describe_tuning_job(name: str) -> dict[str, Any]:
    from tunepilot.aws import sagemaker

    return call(lambda: sagemaker.describe_tuning_job(name), f"tuning job {name}")
