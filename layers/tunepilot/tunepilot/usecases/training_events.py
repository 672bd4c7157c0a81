"""A training job changed state: settle its cost in the ledger, check limits, check its metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker
from tunepilot.aws.sagemaker import TRAINING_TERMINAL
from tunepilot.controller.budget import job_cost
from tunepilot.usecases import guard, metric_guard
from tunepilot.usecases.context import now, run_of_training_job, store

logger = Logger(child=True)


def on_training_job_event(detail: dict[str, Any]) -> dict[str, Any]:
    name = str(detail.get("TrainingJobName", ""))
    status = str(detail.get("TrainingJobStatus", ""))
    run = run_of_training_job(name)
    if run is None:
        return {"ignored": "not a training job of a TunePilot run", "job": name}
    run_id = run["run_id"]

    if status == "InProgress":
        started = _epoch(detail.get("TrainingStartTime")) or now()
        changed = store().record_training_status(run_id, name, status, 0.0, 0.0, started)
        return {"run_id": run_id, "job": name, "running": changed, "stop": guard.enforce_limits(run_id)}
    if status not in TRAINING_TERMINAL:
        logger.info("status ignored", extra={"job": name, "status": status})
        return {"run_id": run_id, "job": name, "ignored": status}

    job = sagemaker.describe_training_job(name)  # the event may lack billing; the API has it
    seconds = float(job.get("BillableTimeInSeconds") or detail.get("BillableTimeInSeconds") or 0)
    cost = job_cost(seconds, float(run.get("usd_per_hour") or 0), int(run.get("instance_count", 1)))
    started = _epoch(job.get("TrainingStartTime")) or now()
    settled = store().record_training_status(run_id, name, job["TrainingJobStatus"], seconds, cost, started)
    stop = guard.enforce_limits(run_id) if settled else None
    mismatch = metric_guard.check_finished_job(run, job)
    return {"run_id": run_id, "job": name, "settled": settled, "cost_usd": cost, "stop": stop, "metric": mismatch}


def _epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):  # EventBridge samples carry epoch milliseconds
        return float(value) / 1000.0 if value > 1e11 else float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
