"""The summary of one local run: what the watcher saw, result.json and the tuning job, in one record.

``controller_seconds`` is wall time minus the time at least one training job was running (the union of
the training jobs' start..end intervals): what the controller itself adds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tunepilot.aws.runs_store import run_object_key

from tunepilot_cli.watch import RunWatcher, Stack, as_float
from tunepilot_local.sagemaker.aws import split_s3_uri


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
    artifacts_dir: str | None = None  # .tunepilot/runs/<run-id>/: the run's files copied from the local bucket
    analysis: dict[str, Any] | None = None  # the content of analysis.json
    result: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fill_summary(cloud: Any, summary: RunSummary, watcher: RunWatcher, document: dict[str, Any]) -> None:
    """Map what the watcher saw, result.json and the tuning job's training jobs onto the summary."""
    summary.state_transitions = sum(1 for e in watcher.history if "stateEnteredEventDetails" in e)
    summary.states_visited = [e["stateEnteredEventDetails"]["name"] for e in watcher.history
                              if "stateEnteredEventDetails" in e]
    item = watcher.item
    summary.run_id = watcher.run_id
    summary.tuning_job_name = item.get("tuning_job_name")
    summary.spend_usd = as_float(item.get("spend_usd"))
    summary.max_cost_usd = as_float(item.get("max_cost_usd"))
    summary.stop_reason = item.get("stop_reason")
    counters = watcher.tuning.get("TrainingJobStatusCounters") or {}
    if counters:
        summary.training_jobs = sum(int(v) for v in counters.values())
    best = watcher.tuning.get("BestTrainingJob")
    if best:
        summary.best_training_job = {
            "name": best.get("TrainingJobName"),
            "objective_value": best.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value"),
            "hyperparameters": best.get("TunedHyperParameters"),
        }
        summary.objective_value = summary.best_training_job["objective_value"]
    result = read_result(cloud, watcher.run_id)
    if result:
        summary.result = result
        summary.tuning_job_name = result.get("tuning_job_name") or summary.tuning_job_name
        # result.json breaks the count down ({completed, failed, stopped, total}); the summary keeps the total.
        jobs = result.get("training_jobs")
        if isinstance(jobs, dict) and jobs.get("total") is not None:
            summary.training_jobs = int(jobs["total"])
        summary.best_training_job = result.get("best_training_job") or summary.best_training_job
        if summary.best_training_job:
            summary.objective_value = summary.best_training_job.get("objective_value", summary.objective_value)
        summary.baseline_value = (result.get("baseline") or {}).get("value")
        summary.decision = result.get("decision")
        summary.deployed = result.get("deployed")
        summary.endpoint_name = result.get("endpoint_name")
        summary.spend_usd = as_float(result.get("spend_usd", summary.spend_usd))
        summary.max_cost_usd = as_float(result.get("max_cost_usd", summary.max_cost_usd))
        summary.stop_reason = result.get("stop_reason", summary.stop_reason)
        if summary.status != "SUCCEEDED" and result.get("error"):
            # The execution itself ends in the Fail state's generic RunFailed; NotifyFailure recorded the real one.
            summary.error = f"{result['error']}: {result.get('cause', '')}".rstrip(": ")
    summary.training_seconds = round(training_seconds(cloud.client("sagemaker"), summary.tuning_job_name), 3)
    prefix = f"s3://{cloud.bucket}/{run_object_key(watcher.run_id, '')}"
    summary.artifacts = {"run": prefix, "result": prefix + "result.json",
                         "lambda_logs": str(cloud.workdir / "lambda-logs")}
    if summary.best_training_job and summary.best_training_job.get("model_artifact"):
        summary.artifacts["model"] = summary.best_training_job["model_artifact"]
    if summary.deployed and summary.endpoint_name:
        try:
            summary.sample_prediction = sample_prediction(cloud, document, summary.endpoint_name)
        except Exception as error:  # the summary still reports everything else
            summary.sample_prediction = {"error": repr(error)}
    copy_run_files(cloud, summary, cloud.workdir.parent / "runs" / watcher.run_id)


def copy_run_files(cloud: Any, summary: RunSummary, target: Path) -> None:
    """The run's files under runs/<run-id>/ (analysis.json, report.html, next-spec.yaml, ...) copied to ``target``."""
    s3 = cloud.client("s3")
    copied: dict[str, Path] = {}
    try:
        listing = s3.list_objects_v2(Bucket=cloud.bucket, Prefix=run_object_key(summary.run_id or "", "")).get(
            "Contents", [])
        for item in listing:
            name = item["Key"].rsplit("/", 1)[-1]
            if name and not name.startswith("."):
                target.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(s3.get_object(Bucket=cloud.bucket, Key=item["Key"])["Body"].read())
                copied[name] = target / name
    except Exception as error:  # the summary still reports everything else
        summary.artifacts["copy_error"] = repr(error)
    if not copied:
        return
    summary.artifacts_dir = str(target)
    for name, key in (("report.html", "report_html"), ("analysis.json", "analysis_json"),
                      ("next-spec.yaml", "next_spec"), ("trials.csv", "trials_csv")):
        if name in copied:
            summary.artifacts[key] = str(copied[name])
    if "analysis.json" in copied:
        with contextlib.suppress(ValueError):
            summary.analysis = json.loads(copied["analysis.json"].read_text())


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


def sample_prediction(cloud: Stack, spec: dict[str, Any], endpoint_name: str, rows: int = 3) -> dict[str, Any] | None:
    """Invoke the endpoint with a few validation rows minus the label (the demo's CSV layout)."""
    channels = (spec.get("resources") or {}).get("channels") or {}
    channel = channels.get("validation") or next(iter(channels.values()), None)
    if not channel:
        return None
    s3 = cloud.client("s3")
    bucket, prefix = split_s3_uri(channel["s3_uri"])
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    if not listing:
        return None
    lines = s3.get_object(Bucket=bucket, Key=listing[0]["Key"])["Body"].read().decode().splitlines()[:rows]
    labels = [line.split(",", 1)[0] for line in lines]
    body = "\n".join(line.split(",", 1)[1] for line in lines)
    reply = cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint_name, ContentType="text/csv", Body=body.encode())
    return {"rows": len(lines), "labels": labels, "predictions": reply["Body"].read().decode().strip()}


def read_result(cloud: Stack, run_id: str) -> dict[str, Any] | None:
    with contextlib.suppress(Exception):
        key = run_object_key(run_id, "result.json")
        body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=key)["Body"].read()
        return dict(json.loads(body))
    return None
