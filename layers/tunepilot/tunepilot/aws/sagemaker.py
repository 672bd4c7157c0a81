"""SageMaker adapter. Each ClientError becomes a named TunePilot error, decided by its code.

SageMaker answers two everyday cases with the catch-all ``ValidationException`` and only a message
to tell them apart: a resource that does not exist (``Could not find endpoint "arn:..."``) and a
create of a name that is taken (``Cannot create already existing model "arn:..."``). Those two
readings live in ``not_found`` and ``already_exists``, each tested on AWS's own message text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import aws_call, error_code, translate

TUNING_TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
TRAINING_TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"  # every training job's log streams: <job>/algo-N-<epoch>


_NOT_FOUND = re.compile(
    r"Could not find (endpoint|endpoint configuration|model|training job|hyper parameter tuning job)\b"
    r"|Requested resource not found"  # DescribeTrainingJob of a name that does not exist
)
_ALREADY_EXISTS = re.compile(r"Cannot create already existing ")


def _message(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Message", ""))


def not_found(e: ClientError) -> bool:
    """The resource does not exist: ``ResourceNotFound``, or a ``ValidationException`` saying so."""
    code = error_code(e)
    return code == "ResourceNotFound" or (code == "ValidationException" and bool(_NOT_FOUND.match(_message(e))))


def already_exists(e: ClientError) -> bool:
    """A create of a taken name: ``ResourceInUse``, or a ``ValidationException`` saying so."""
    code = error_code(e)
    return code == "ResourceInUse" or (code == "ValidationException" and bool(_ALREADY_EXISTS.match(_message(e))))


def create_tuning_job(request: dict[str, Any]) -> bool:
    """Create the job; False when a job of that name already exists (the caller checks whose)."""
    try:
        clients.sagemaker.create_hyper_parameter_tuning_job(**request)
    except ClientError as e:
        if already_exists(e):
            return False
        raise translate(e, f"create tuning job {request['HyperParameterTuningJobName']}") from e
    return True


def describe_tuning_job(name: str) -> dict[str, Any]:
    with aws_call(f"describe tuning job {name}"):
        return dict(clients.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))


def tuning_job_status(name: str) -> str | None:
    """The tuning job's own status (``InProgress``, ``Stopping``, ...), or None if it does not exist."""
    job = _describe_or_none(clients.sagemaker.describe_hyper_parameter_tuning_job, f"describe tuning job {name}",
                            HyperParameterTuningJobName=name)
    if job is None:
        return None
    return str(job.get("HyperParameterTuningJobStatus") or "") or None


def stop_tuning_job(name: str) -> bool:
    """Stop; False when the job is already stopping or done (a repeated stop is harmless).

    SageMaker refuses to stop a job that is not InProgress with a ``ValidationException``; the
    job's own status, not the message, tells that refusal from a request that was wrong.
    """
    try:
        clients.sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as e:
        if error_code(e) == "ValidationException" and _status_of(name) not in {None, "InProgress"}:
            return False
        raise translate(e, f"stop tuning job {name}") from e
    return True


def _status_of(tuning_job_name: str) -> str | None:
    status = describe_tuning_job(tuning_job_name).get("HyperParameterTuningJobStatus")
    return str(status) if status else None


def training_jobs_of(tuning_job_name: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        summaries, token = training_jobs_page(tuning_job_name, token)
        yield from summaries
        if not token:
            return


def training_jobs_page(tuning_job_name: str, token: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page (up to 100) of the tuning job's training jobs and the next page's token (None at the end)."""
    kwargs: dict[str, Any] = {"HyperParameterTuningJobName": tuning_job_name, "MaxResults": 100}
    if token:
        kwargs["NextToken"] = token
    with aws_call(f"list training jobs of {tuning_job_name}"):
        page = clients.sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(**kwargs)
    return list(page.get("TrainingJobSummaries", [])), page.get("NextToken") or None


def describe_training_job(name: str) -> dict[str, Any]:
    with aws_call(f"describe training job {name}"):
        return dict(clients.sagemaker.describe_training_job(TrainingJobName=name))


def describe_training_job_or_none(name: str) -> dict[str, Any] | None:
    return _describe_or_none(clients.sagemaker.describe_training_job, f"describe training job {name}",
                             TrainingJobName=name)


def describe_endpoint(name: str) -> dict[str, Any] | None:
    return _describe_or_none(clients.sagemaker.describe_endpoint, f"describe endpoint {name}", EndpointName=name)


def _describe_or_none(call: Callable[..., Any], what: str, **kwargs: Any) -> dict[str, Any] | None:
    """A Describe* answer, or None when the resource does not exist; any other error is translated."""
    try:
        return dict(call(**kwargs))
    except ClientError as e:
        if not_found(e):
            return None
        raise translate(e, what) from e


def describe_endpoint_config(name: str) -> dict[str, Any]:
    with aws_call(f"describe endpoint config {name}"):
        return dict(clients.sagemaker.describe_endpoint_config(EndpointConfigName=name))


def tags_of(arn: str) -> dict[str, str]:
    with aws_call(f"list tags of {arn}"):
        response = clients.sagemaker.list_tags(ResourceArn=arn)
    return {t["Key"]: t["Value"] for t in response.get("Tags", [])}


def endpoint_tags(name: str) -> dict[str, str] | None:
    """The tags of endpoint ``name`` (DescribeEndpoint, then ListTags), or None when there is no such endpoint."""
    endpoint = describe_endpoint(name)
    return None if endpoint is None else tags_of(endpoint["EndpointArn"])


def create_if_absent(kind: str, **kwargs: Any) -> bool:
    """``create_model`` / ``create_endpoint_config`` that tolerate a retried call."""
    try:
        getattr(clients.sagemaker, f"create_{kind}")(**kwargs)
    except ClientError as e:
        if already_exists(e):
            return False
        raise translate(e, f"create {kind}") from e
    return True


def create_endpoint(name: str, config_name: str, tags: list[dict[str, str]]) -> bool:
    """Create; False when an endpoint of that name exists already (the caller checks whose)."""
    try:
        clients.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
    except ClientError as e:
        if already_exists(e):
            return False
        raise translate(e, f"create endpoint {name}") from e
    return True


def update_endpoint(name: str, config_name: str) -> None:
    with aws_call(f"update endpoint {name}"):
        clients.sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_name)


def model_arn_for(name: str, region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:sagemaker:{region}:{account}:model/{name.lower()}"
