"""A training job changed state: settle its cost in the ledger, check limits, check its metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker
from tunepilot.aws.sagemaker import TRAINING_TERMINAL
from tunepilot.pricing import job_cost
from tunepilot.timestamps import UnreadableTime, epoch_seconds
from tunepilot.usecases import guard, metric_guard
from tunepilot.usecases.context import now, run_of_training_job, store

logger = Logger(child=True)


def on_training_job_event(detail: dict[str, Any]) -> dict[str, Any]:
    name = str(detail.get("TrainingJobName", ""))
    status = str(detail.get("TrainingJobStatus", ""))
    run = run_of_training_job(name)
    if run is None:
        return {"ignored": "not a training job of a TunePilot run", "job": name}
    run_id = run.run_id

    if status == "InProgress":
        started = _start_time(name, detail.get("TrainingStartTime"))
        changed = store().record_training_status(run_id, name, status, 0.0, 0.0, started)
        return {"run_id": run_id, "job": name, "running": changed, "stop": guard.enforce_limits(run_id)}
    if status not in TRAINING_TERMINAL:
        logger.info("status ignored", extra={"job": name, "status": status})
        return {"run_id": run_id, "job": name, "ignored": status}

    job = sagemaker.describe_training_job(name)  # the event may lack billing; the API has it
    seconds = float(job.get("BillableTimeInSeconds") or detail.get("BillableTimeInSeconds") or 0)
    cost = job_cost(seconds, run.usd_per_hour or 0.0, run.instance_count)
    started = _start_time(name, job.get("TrainingStartTime"))
    settled = store().record_training_status(run_id, name, job["TrainingJobStatus"], seconds, cost, started)
    stop = guard.enforce_limits(run_id) if settled else None
    mismatch = metric_guard.check_finished_job(run, job)
    return {"run_id": run_id, "job": name, "settled": settled, "cost_usd": cost, "stop": stop, "metric": mismatch}


def _start_time(job_name: str, value: Any) -> float:
    """The job's start in epoch seconds; the clock when the job has not started yet (no time given).

    A time that is given but unreadable is logged with its raw value before the clock stands in, so a
    bad payload shows up instead of silently skewing the ledger's start times."""
    try:
        started = epoch_seconds(value)
    except UnreadableTime as e:
        logger.warning("unreadable TrainingStartTime; using the clock instead",
                       extra={"job": job_name, "value": repr(value)[:200], "error": str(e)})
        return now()
    return now() if started is None else started
