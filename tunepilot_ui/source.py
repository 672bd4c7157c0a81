"""Where the run page reads from: one read-only interface, two implementations.

``RunSource`` is every call the page and the live display make. ``AwsRunSource`` implements it with boto3
over a stack's resources (the bucket, the state machine, the runs table); its two subclasses differ only in
how they reach them and in what they may do beyond reading:

- ``LocalCloudSource``: the local cloud (moto server endpoints) of this process; alerts come from the SQS queue
  the local cloud subscribes to the alerts topic; the prediction form may invoke the local endpoint.
- ``StackSource``: a stack deployed on AWS, with the user's credentials. Only read calls (DescribeStacks,
  DescribeStateMachine, ListExecutions, DescribeExecution, GetExecutionHistory, GetItem, ListObjectsV2, GetObject,
  HeadObject, DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob, DescribeTrainingJob,
  DescribeLogStreams, GetLogEvents, DescribeEndpoint). SNS cannot be read back, so alerts are not shown;
  InvokeEndpoint only with ``allow_invoke``.
"""

from __future__ import annotations

import abc
import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from tunepilot.aws.runs_store import RunsStore
from tunepilot.aws.sagemaker import TRAINING_LOG_GROUP
from tunepilot.exceptions import TunePilotError

MAX_OBJECT_BYTES = 5 * 1024 * 1024  # an artifact larger than this is linked, not loaded


class SourceError(RuntimeError):
    """A read failed for a reason the page should show (no such stack, no permission, throttled)."""


class InvokeNotAllowed(PermissionError):
    """The prediction form is off for this source."""


class RunSource(abc.ABC):
    """Read-only view of one TunePilot deployment. Every method returns plain data (boto3's shapes)."""

    label: str = ""
    bucket: str = ""
    state_machine_arn: str = ""
    alerts_note: str = ""  # shown on the page when alerts cannot be read back

    @abc.abstractmethod
    def definition(self) -> str:
        """The deployed ASL definition (DescribeStateMachine), not a copy."""

    @abc.abstractmethod
    def executions(self) -> list[dict[str, Any]]:
        """ListExecutions, newest first, every page."""

    @abc.abstractmethod
    def execution(self, arn: str) -> dict[str, Any]:
        """DescribeExecution."""

    @abc.abstractmethod
    def history(self, arn: str) -> list[dict[str, Any]]:
        """GetExecutionHistory, every page, oldest first."""

    @abc.abstractmethod
    def run(self, run_id: str) -> dict[str, Any] | None:
        """The run's item in the runs table (status, limits, spend, stop reason), None before it exists."""

    @abc.abstractmethod
    def object(self, key: str) -> bytes | None:
        """An object of the bucket (None when absent or larger than MAX_OBJECT_BYTES)."""

    @abc.abstractmethod
    def list_objects(self, prefix: str) -> list[dict[str, Any]]:
        """ListObjectsV2 under a prefix, every page: [{Key, Size, LastModified}]."""

    @abc.abstractmethod
    def tuning_job(self, name: str) -> dict[str, Any] | None:
        """DescribeHyperParameterTuningJob (None before the job exists)."""

    @abc.abstractmethod
    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        """ListTrainingJobsForHyperParameterTuningJob, every page."""

    @abc.abstractmethod
    def training_job(self, name: str) -> dict[str, Any] | None:
        """DescribeTrainingJob."""

    @abc.abstractmethod
    def log_tail(self, training_job: str, lines: int) -> list[str]:
        """The last ``lines`` log lines of a training job (its first instance's stream), oldest first."""

    @abc.abstractmethod
    def endpoint(self, name: str) -> dict[str, Any] | None:
        """DescribeEndpoint (None when there is none)."""

    @abc.abstractmethod
    def alerts(self) -> list[dict[str, str]] | None:
        """Every alert sent so far, [{subject, message}], or None when this source cannot read them back."""

    @property
    @abc.abstractmethod
    def invoke_allowed(self) -> bool:
        """Whether the prediction form may call InvokeEndpoint."""

    @abc.abstractmethod
    def invoke(self, endpoint_name: str, csv_rows: str) -> str:
        """InvokeEndpoint with text/csv; raises InvokeNotAllowed when the form is off."""


class AwsRunSource(RunSource):
    """RunSource over boto3 clients made by ``client(name)``."""

    def __init__(self, client: Callable[[str], Any], *, bucket: str, state_machine_arn: str, table: str,
                 label: str) -> None:
        self._client = client
        self.bucket = bucket
        self.state_machine_arn = state_machine_arn
        self.table = table
        self.label = label
        self._definition: str | None = None
        self._lock = threading.Lock()

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client(service), operation)(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise SourceError(f"{service} {operation}: {code}: {error.response.get('Error', {}).get('Message', '')}"
                              ) from error
        except BotoCoreError as error:
            raise SourceError(f"{service} {operation}: {error}") from error

    def definition(self) -> str:
        with self._lock:
            if self._definition is None:
                described = self._call("stepfunctions", "describe_state_machine",
                                       stateMachineArn=self.state_machine_arn)
                self._definition = str(described["definition"])
            return self._definition

    def executions(self) -> list[dict[str, Any]]:
        pages = self._client("stepfunctions").get_paginator("list_executions")
        try:
            return [e for page in pages.paginate(stateMachineArn=self.state_machine_arn) for e in page["executions"]]
        except (ClientError, BotoCoreError) as error:
            raise SourceError(f"stepfunctions list_executions: {error}") from error

    def execution(self, arn: str) -> dict[str, Any]:
        return dict(self._call("stepfunctions", "describe_execution", executionArn=arn))

    def history(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self._call("stepfunctions", "get_execution_history", **kwargs)
            events.extend(page.get("events", []))
            token = page.get("nextToken")
            if not token:
                return events

    def run(self, run_id: str) -> dict[str, Any] | None:
        try:
            record = RunsStore(self.table, client=self._client("dynamodb")).get_run(run_id)
        except TunePilotError as error:
            raise SourceError(f"runs table: {error}") from error
        # The page reads the fields the record holds, as stored (absent stays absent).
        return record.model_dump(mode="json", by_alias=True, exclude_unset=True) if record else None

    def object(self, key: str) -> bytes | None:
        s3 = self._client("s3")
        try:
            head = s3.head_object(Bucket=self.bucket, Key=key)
            if int(head.get("ContentLength", 0)) > MAX_OBJECT_BYTES:
                return None
            return bytes(s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise SourceError(f"s3 get_object {key}: {error}") from error

    def list_objects(self, prefix: str) -> list[dict[str, Any]]:
        pages = self._client("s3").get_paginator("list_objects_v2")
        try:
            return [o for page in pages.paginate(Bucket=self.bucket, Prefix=prefix) for o in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as error:
            raise SourceError(f"s3 list_objects_v2 {prefix}: {error}") from error

    def tuning_job(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._client("sagemaker").describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ValidationException"):
                return None
            raise SourceError(f"sagemaker describe_hyper_parameter_tuning_job: {error}") from error

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"HyperParameterTuningJobName": tuning_job_name, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            try:
                page = self._client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(**kwargs)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ValidationException"):
                    return jobs
                raise SourceError(f"sagemaker list_training_jobs_for_hyper_parameter_tuning_job: {error}") from error
            jobs.extend(page.get("TrainingJobSummaries", []))
            token = page.get("NextToken")
            if not token:
                return jobs

    def training_job(self, name: str) -> dict[str, Any] | None:
        with contextlib.suppress(ClientError):
            return dict(self._client("sagemaker").describe_training_job(TrainingJobName=name))
        return None

    def log_tail(self, training_job: str, lines: int) -> list[str]:
        logs = self._client("logs")
        try:
            streams = logs.describe_log_streams(logGroupName=TRAINING_LOG_GROUP,
                                                logStreamNamePrefix=f"{training_job}/").get("logStreams", [])
            if not streams:
                return []
            page = logs.get_log_events(logGroupName=TRAINING_LOG_GROUP, logStreamName=streams[0]["logStreamName"],
                                       startFromHead=False, limit=lines)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return []
            raise SourceError(f"logs of {training_job}: {error}") from error
        return [str(event.get("message", "")) for event in page.get("events", [])][-lines:]

    def endpoint(self, name: str) -> dict[str, Any] | None:
        with contextlib.suppress(ClientError):
            return dict(self._client("sagemaker").describe_endpoint(EndpointName=name))
        return None

    def _invoke(self, endpoint_name: str, csv_rows: str) -> str:
        reply = self._call("sagemaker-runtime", "invoke_endpoint", EndpointName=endpoint_name,
                           ContentType="text/csv", Body=csv_rows.encode())
        return str(reply["Body"].read().decode("utf-8", errors="replace"))


class LocalCloudSource(AwsRunSource):
    """The local cloud of this process (``tunepilot_local.cloud.LocalCloud``)."""

    def __init__(self, cloud: Any) -> None:
        super().__init__(cloud.client, bucket=cloud.bucket, state_machine_arn=cloud.state_machine_arn,
                         table=cloud.table, label=f"local cloud at {cloud.endpoint_url}")
        self._cloud = cloud

    def alerts(self) -> list[dict[str, str]] | None:
        # The local cloud drains its queue (subscribed to the alerts topic) and keeps every message it saw.
        return list(self._cloud.alerts())

    @property
    def invoke_allowed(self) -> bool:
        return True

    def invoke(self, endpoint_name: str, csv_rows: str) -> str:
        return self._invoke(endpoint_name, csv_rows)


class StackSource(AwsRunSource):
    """A stack deployed on AWS, found by name through its CloudFormation outputs; the user's credentials."""

    def __init__(self, stack_name: str, *, allow_invoke: bool = False, session: Any = None) -> None:
        import boto3

        self._session = session or boto3.session.Session()
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
            bucket, machine, table = outputs["BucketName"], outputs["StateMachineArn"], outputs["RunsTableName"]
        except (ClientError, BotoCoreError) as error:
            raise SourceError(f"cannot read stack {stack_name}: {error}") from error
        except (KeyError, IndexError) as error:
            raise SourceError(f"stack {stack_name} has no TunePilot output {error}") from error
        super().__init__(self.client, bucket=bucket, state_machine_arn=machine, table=table,
                         label=f"stack {stack_name} ({self._session.region_name or 'default region'})")
        self.topic_arn = outputs.get("AlertsTopicArn", "")
        self._allow_invoke = allow_invoke
        self.alerts_note = (
            "Alerts go out over SNS, which cannot be read back. Subscribe an email address or an SQS queue to "
            f"{self.topic_arn or 'the alerts topic of the stack'} to keep them.")

    def client(self, name: str) -> Any:
        with self._clients_lock:
            if name not in self._clients:
                self._clients[name] = self._session.client(name)  # type: ignore[call-overload]
            return self._clients[name]

    def alerts(self) -> list[dict[str, str]] | None:
        return None

    @property
    def invoke_allowed(self) -> bool:
        return self._allow_invoke

    def invoke(self, endpoint_name: str, csv_rows: str) -> str:
        if not self._allow_invoke:
            raise InvokeNotAllowed("the prediction form is off for a deployed stack; start with --allow-invoke")
        return self._invoke(endpoint_name, csv_rows)


def decode_json(body: bytes | None) -> Any:
    if body is None:
        return None
    with contextlib.suppress(ValueError):
        return json.loads(body)
    return None
