"""Watch one run of a deployed stack (on AWS or the local cloud): progress lines until it ends.

Nothing here starts the run: a spec uploaded to ``specs/<name>`` goes S3 → EventBridge → rule → state
machine, as on AWS. The execution is found by its input's object key and version; the run's item and
documents are read where ``RunsStore`` keeps them. Plain boto3 polling of a client's view: no moto here.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer
from tunepilot.aws.runs_store import run_item_key, run_object_key
from tunepilot.runid import run_id_for

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def as_float(value: Any) -> float | None:
    """A DynamoDB number (Decimal), a JSON number or text as a float; None when it is none of these."""
    with contextlib.suppress(TypeError, ValueError):
        return float(value)
    return None


class Stack(Protocol):
    """What the watcher needs from a deployed stack: its outputs and a boto3 client per service."""

    @property
    def bucket(self) -> str: ...

    @property
    def state_machine_arn(self) -> str: ...

    @property
    def table(self) -> str: ...

    def client(self, name: str) -> Any: ...


class RunWatcher:
    """Polls the execution, the run's ledger item and the tuning job; reports each change once."""

    def __init__(self, cloud: Stack, key: str, version_id: str | None, progress: Callable[[str], None]) -> None:
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

    def follow(self, started: float, timeout: float, interval: float,
               on_execution: Callable[[str], None] | None = None) -> str:
        """Poll until the execution ends or ``timeout`` seconds after ``started``; returns the last status."""
        status = "RUNNING"
        while time.monotonic() - started < timeout:
            if self.execution_arn is None and self.find_execution() and on_execution:
                on_execution(self.execution_arn or "")
            if self.execution_arn is not None:
                status = self.poll(started)
                if status in TERMINAL:
                    break
            time.sleep(interval)
        return status

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
        if entered and entered[-1] == "WaitForSlot" and status == "RUNNING":
            queue = self._read_queue()
            if queue.get("state") == "waiting":
                parts.append(f"queued: position {queue.get('position')} ({queue.get('ahead')} ahead; at most "
                             f"{queue.get('max_concurrent_tuning_jobs')} tuning jobs at once)")
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
            parts.append(f"spend ${as_float(self.item.get('spend_usd')) or 0:.4f}"
                         f"/${as_float(self.item.get('max_cost_usd')) or 0:.2f}")
        if self.item.get("stop_reason"):
            parts.append(f"stop: {self.item['stop_reason']}")
        line = "  ".join(parts)
        if line != self._last_line:
            self._last_line = line
            self.progress(f"[{time.monotonic() - started:6.1f}s] {line}")
        return str(status)

    def _read_queue(self) -> dict[str, Any]:
        """The admission queue's view of this run: runs/<run-id>/validation.json's ``queue``."""
        with contextlib.suppress(Exception):  # not written yet: no position to show
            body = self.cloud.client("s3").get_object(
                Bucket=self.cloud.bucket, Key=run_object_key(self.run_id, "validation.json"))["Body"].read()
            return dict(json.loads(body).get("queue") or {})
        return {}

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
            raw = self.ddb.get_item(TableName=self.cloud.table, Key=run_item_key(self.run_id)).get("Item")
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
