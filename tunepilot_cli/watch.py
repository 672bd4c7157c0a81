"""Run one spec through the deployed chain and watch it: progress lines, then a summary.

Nothing here starts the run directly: the spec is uploaded to ``specs/<name>``, and S3 → EventBridge →
rule → state machine does the rest, as on AWS. The execution is found by its input's object key and
version. ``controller_seconds`` is wall time minus the time at least one training job was running
(the union of the training jobs' start..end intervals): what the controller itself adds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from tunepilot.runid import run_id_for

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass
class RunSummary:
    status: str  # SUCCEEDED | FAILED
    execution_arn: str | None = None
    error: str | None = None
    run_id: str | None = None
    spec_uri: str | None = None
    tuning_job_name: str | None = None
    training_jobs: int | None = None
    best_training_job: dict[str, Any] | None = None
    objective_value: float | None = None
    baseline_value: float | None = None
    decision: dict[str, Any] | None = None
    deployed: bool | None = None
    endpoint_name: str | None = None
    sample_prediction: dict[str, Any] | None = None
    spend_usd: float | None = None
    max_cost_usd: float | None = None
    stop_reason: str | None = None
    alerts: list[dict[str, str]] = field(default_factory=list)
    state_transitions: int = 0
    states_visited: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    training_seconds: float = 0.0
    controller_seconds: float = 0.0
    lambda_seconds: float = 0.0
    lambda_invocations: dict[str, int] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    result: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: Any) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        return float(value)
    return None


class RunWatcher:
    """Polls the execution, the run's ledger item and the tuning job; reports each change once."""

    def __init__(self, cloud: Any, key: str, version_id: str | None, progress: Callable[[str], None]) -> None:
        self.cloud = cloud
        self.key = key
        self.version_id = version_id
        self.progress = progress
        self.run_id = run_id_for(cloud.bucket, key, version_id)
        self.sfn = cloud.client("stepfunctions")
        self.ddb = cloud.client("dynamodb")
        self.sagemaker = cloud.client("sagemaker")
        self.execution_arn: str | None = None
        self.history: list[dict[str, Any]] = []
        self.item: dict[str, Any] = {}
        self.tuning: dict[str, Any] = {}
        self._last_line = ""
        self._seen: set[str] = set()

    def find_execution(self) -> str | None:
        executions = self.sfn.list_executions(stateMachineArn=self.cloud.state_machine_arn)["executions"]
        for execution in executions:
            arn = execution["executionArn"]
            if arn in self._seen:
                continue
            self._seen.add(arn)
            detail = json.loads(self.sfn.describe_execution(executionArn=arn).get("input") or "{}").get("detail", {})
            obj = detail.get("object", {})
            if obj.get("key") == self.key and (not self.version_id or obj.get("version-id") in (None, self.version_id)):
                self.execution_arn = arn
                return arn
        return None

    def poll(self, started: float) -> str:
        """One look at everything; prints a line if anything changed; returns the execution status."""
        assert self.execution_arn
        status = self.sfn.describe_execution(executionArn=self.execution_arn)["status"]
        self.history = self.sfn.get_execution_history(executionArn=self.execution_arn)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e]
        self._adopt_run_id()
        self._read_item()
        self._read_tuning()
        parts = [f"state={entered[-1] if entered else '-'}", status.lower()]
        counters = self.tuning.get("TrainingJobStatusCounters") or {}
        if self.tuning:
            limit = (self.tuning.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
                     .get("MaxNumberOfTrainingJobs"))
            done = sum(counters.get(k, 0) for k in ("Completed", "Stopped")) + sum(
                (counters.get("NonRetryableError", 0), counters.get("RetryableError", 0)))
            parts.append(f"jobs {done}/{limit or '?'} done, {counters.get('InProgress', 0)} running")
            best = self.tuning.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric", {})
            if best:
                parts.append(f"best {best.get('MetricName', '')}={best.get('Value'):.4f}")
            parts.append(f"tuning {self.tuning.get('HyperParameterTuningJobStatus', '?')}")
        if "spend_usd" in self.item:
            parts.append(f"spend ${_number(self.item.get('spend_usd')) or 0:.4f}"
                         f"/${_number(self.item.get('max_cost_usd')) or 0:.2f}")
        if self.item.get("stop_reason"):
            parts.append(f"stop: {self.item['stop_reason']}")
        line = "  ".join(parts)
        if line != self._last_line:
            self._last_line = line
            self.progress(f"[{time.monotonic() - started:6.1f}s] {line}")
        return str(status)

    def _adopt_run_id(self) -> None:
        """The run id the controller derived (first state output carrying one) beats our own guess."""
        for event in self.history:
            details = event.get("stateExitedEventDetails")
            if details and details.get("output"):
                with contextlib.suppress(ValueError, AttributeError):
                    run = json.loads(details["output"]).get("run") or {}
                    if isinstance(run, dict) and run.get("run_id"):
                        self.run_id = str(run["run_id"])
                        return

    def _read_item(self) -> None:
        with contextlib.suppress(Exception):  # the table may not have the item yet
            raw = self.ddb.get_item(TableName=self.cloud.table, Key={"pk": {"S": f"run#{self.run_id}"}}).get("Item")
            if raw:
                deserializer = TypeDeserializer()
                self.item = {k: deserializer.deserialize(v) for k, v in raw.items()}

    def _read_tuning(self) -> None:
        name = self.item.get("tuning_job_name")
        if name:
            with contextlib.suppress(Exception):  # created a moment after the item names it
                self.tuning = self.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)

    def failure_cause(self) -> str | None:
        for event in reversed(self.history):
            details = event.get("executionFailedEventDetails")
            if details:
                return f"{details.get('error', '')}: {details.get('cause', '')}".strip(": ")
        return None


def training_seconds(sagemaker: Any, tuning_job_name: str | None) -> float:
    """Length of the union of the tuning job's training intervals: time with ≥1 job running."""
    if not tuning_job_name:
        return 0.0
    try:
        jobs = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=tuning_job_name, MaxResults=100)["TrainingJobSummaries"]
    except Exception:
        return 0.0
    intervals = sorted(
        (j["TrainingStartTime"].timestamp(), (j.get("TrainingEndTime") or dt.datetime.now(dt.UTC)).timestamp())
        for j in jobs if j.get("TrainingStartTime")
    )
    total, current_start, current_end = 0.0, None, None
    for start, end in intervals:
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def sample_prediction(cloud: Any, spec: dict[str, Any], endpoint_name: str, rows: int = 3) -> dict[str, Any] | None:
    """Invoke the endpoint with a few validation rows minus the label (the demo's CSV layout)."""
    channels = (spec.get("resources") or {}).get("channels") or {}
    channel = channels.get("validation") or next(iter(channels.values()), None)
    if not channel:
        return None
    s3 = cloud.client("s3")
    bucket, _, prefix = channel["s3_uri"][5:].partition("/")
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    if not listing:
        return None
    lines = s3.get_object(Bucket=bucket, Key=listing[0]["Key"])["Body"].read().decode().splitlines()[:rows]
    labels = [line.split(",", 1)[0] for line in lines]
    body = "\n".join(line.split(",", 1)[1] for line in lines)
    reply = cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint_name, ContentType="text/csv", Body=body.encode())
    return {"rows": len(lines), "labels": labels, "predictions": reply["Body"].read().decode().strip()}


def read_result(cloud: Any, run_id: str) -> dict[str, Any] | None:
    with contextlib.suppress(Exception):
        body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=f"runs/{run_id}/result.json")["Body"].read()
        return dict(json.loads(body))
    return None
