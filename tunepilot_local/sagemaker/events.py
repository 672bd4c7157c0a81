"""`aws.sagemaker` EventBridge events, shaped like AWS's published samples.

Detail keys follow "Events that Amazon SageMaker AI sends to Amazon EventBridge"
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html); the
samples are kept in tests/integration/local_sagemaker/samples/. Timestamps are epoch milliseconds
(numbers), Tags a ``{key: value}`` object, endpoint statuses UPPER_SNAKE (``IN_SERVICE``).
Events are put from one emitter thread, in order, and never while platform locks are held: a rule's
target may run a handler that calls straight back into SageMaker.
"""

from __future__ import annotations

import json
import queue
import threading
from datetime import UTC, datetime
from typing import Any

SOURCE = "aws.sagemaker"
TRAINING = "SageMaker Training Job State Change"
TUNING = "SageMaker HyperParameter Tuning Job State Change"
ENDPOINT = "SageMaker Endpoint State Change"

# Keys beyond the published training sample: FailureReason is documented for Failed; the rest are
# DescribeTrainingJob fields consumers use for billing and metrics (None values are dropped).
TRAINING_EXTRA_KEYS = frozenset(
    {"FailureReason", "BillableTimeInSeconds", "TrainingTimeInSeconds", "ModelArtifacts", "FinalMetricDataList",
     "TuningJobArn"}
)
TUNING_EXTRA_KEYS = frozenset({"BestTrainingJob", "FailureReason", "HyperParameterTuningEndTime"})
ENDPOINT_EXTRA_KEYS = frozenset({"FailureReason"})

ENDPOINT_STATUS = {
    "Creating": "CREATING",
    "Updating": "UPDATING",
    "InService": "IN_SERVICE",
    "Failed": "FAILED",
    "Deleting": "DELETING",
    "OutOfService": "OUT_OF_SERVICE",
    "RollingBack": "ROLLING_BACK",
}


def millis(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:  # moto stamps naive UTC times
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def tag_map(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return millis(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def training_detail(job: Any) -> dict[str, Any]:
    detail = {
        "TrainingJobName": job.training_job_name,
        "TrainingJobArn": job.arn,
        "TrainingJobStatus": job.training_job_status,
        "SecondaryStatus": job.secondary_status,
        "HyperParameters": dict(job.hyper_parameters or {}),
        "AlgorithmSpecification": job.algorithm_specification,
        "RoleArn": job.role_arn,
        "InputDataConfig": job.input_data_config,
        "OutputDataConfig": job.output_data_config,
        "ResourceConfig": job.resource_config,
        "VpcConfig": job.vpc_config or {},
        "StoppingCondition": job.stopping_condition or {},
        "CreationTime": job.creation_time,
        "TrainingStartTime": job.training_start_time,
        "TrainingEndTime": job.training_end_time,
        "LastModifiedTime": job.last_modified_time,
        "SecondaryStatusTransitions": job.secondary_status_transitions,
        "Tags": tag_map(job.tags),
        "FailureReason": job.failure_reason,
        "TuningJobArn": job.tuning_job_arn,
    }
    if job.training_job_status in ("Completed", "Stopped", "Failed"):
        detail.update(
            BillableTimeInSeconds=job.billable_time_in_seconds,
            TrainingTimeInSeconds=job.training_time_in_seconds,
            ModelArtifacts=job.model_artifacts,
            FinalMetricDataList=job.final_metric_data_list,
        )
    return _jsonable(detail)  # type: ignore[no-any-return]


def tuning_detail(job: Any) -> dict[str, Any]:
    detail = {
        "HyperParameterTuningJobName": job.hyper_parameter_tuning_job_name,
        "HyperParameterTuningJobArn": job.arn,
        "TrainingJobDefinition": job.training_job_definition or (job.training_job_definitions or [{}])[0],
        "HyperParameterTuningJobStatus": job.hyper_parameter_tuning_job_status,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
        "HyperParameterTuningEndTime": job.hyper_parameter_tuning_end_time,
        "TrainingJobStatusCounters": dict(job.training_job_status_counters),
        "ObjectiveStatusCounters": dict(job.objective_status_counters),
        "BestTrainingJob": job.best_training_job,
        "FailureReason": job.failure_reason or None,
        "Tags": tag_map(job.tags),
    }
    return _jsonable(detail)  # type: ignore[no-any-return]


def endpoint_detail(endpoint: Any) -> dict[str, Any]:
    detail = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": endpoint.endpoint_config_name,
        "ProductionVariants": endpoint.production_variants,
        "EndpointStatus": ENDPOINT_STATUS.get(endpoint.endpoint_status, endpoint.endpoint_status.upper()),
        "CreationTime": endpoint.creation_time,
        "LastModifiedTime": endpoint.last_modified_time,
        "FailureReason": endpoint.failure_reason,
        "Tags": tag_map(endpoint.tags),
    }
    return _jsonable(detail)  # type: ignore[no-any-return]


class EventEmitter:
    """Puts events on the default bus from one background thread, in the order they were queued."""

    def __init__(self, events_client: Any) -> None:
        self._client = events_client
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.sent: list[dict[str, Any]] = []  # what was put, for tests and debugging
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._loop, name="sagemaker-events", daemon=True)
        self._thread.start()

    def emit(self, detail_type: str, resource_arn: str, detail: dict[str, Any]) -> None:
        self._queue.put(
            {"Source": SOURCE, "DetailType": detail_type, "Resources": [resource_arn], "Detail": json.dumps(detail)}
        )

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            entry = self._queue.get()
            try:
                if entry is None:
                    return
                response = self._client.put_events(Entries=[entry])
                if response.get("FailedEntryCount"):
                    self.errors.append(json.dumps(response.get("Entries")))
                self.sent.append(entry)
            except Exception as error:  # the emulator may be shutting down; never kill the emitter
                self.errors.append(repr(error))
            finally:
                self._queue.task_done()
