"""The two Lambda functions of the polling baseline (benchmarks/polling.asl.json).

Each is one SageMaker call, as in the usual hand-written polling loop: nothing else runs per poll.
"""

from typing import Any

import boto3

_sagemaker = boto3.client("sagemaker")


def start_tuning(event: dict[str, Any], context: Any) -> dict[str, str]:
    request = event["request"]
    _sagemaker.create_hyper_parameter_tuning_job(**request)
    return {"name": request["HyperParameterTuningJobName"], "status": "InProgress"}


def describe_tuning_job(event: dict[str, Any], context: Any) -> dict[str, str]:
    job = _sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=event["name"])
    return {"name": event["name"], "status": job["HyperParameterTuningJobStatus"]}
