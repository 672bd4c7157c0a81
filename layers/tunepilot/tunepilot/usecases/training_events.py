"""A training job changed state: settle its cost in the ledger, check limits, check its metrics."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker
from tunepilot.aws.runs_store import RunRecord
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
    return {"run_id": run_id, "job": name, **finish_training_job(run, job, detail.get("BillableTimeInSeconds"))}


def finish_training_job(
    run: RunRecord, job: dict[str, Any], event_seconds: Any = None, check_metric: bool = True
) -> dict[str, Any]:
    """A finished training job (DescribeTrainingJob's answer) enters the ledger: the one place its cost is
    computed, for the event path and the reconciler alike. Idempotent: a second call settles nothing."""
    seconds = float(job.get("BillableTimeInSeconds") or event_seconds or 0)
    cost = job_cost(seconds, run.usd_per_hour or 0.0, run.instance_count)
    started = _start_time(job["TrainingJobName"], job.get("TrainingStartTime"))
    settled = store().record_training_status(
        run.run_id, job["TrainingJobName"], job["TrainingJobStatus"], seconds, cost, started
    )
    stop = guard.enforce_limits(run.run_id) if settled else None
    mismatch = metric_guard.check_finished_job(run, job) if check_metric else None
    return {"settled": settled, "cost_usd": cost, "stop": stop, "metric": mismatch}


def settle_lost_jobs(run: RunRecord, older_than_s: float) -> list[str]:
    """The reconciler's half of the ledger: jobs the ledger still holds as running, started long enough
    ago that their terminal event should have come, are described and settled. Returns the settled jobs."""
    settled = []
    for name, started in sorted(run.running.items()):
        if now() - started < older_than_s:
            continue
        job = sagemaker.describe_training_job_or_none(name)
        known = job is not None
        if job is None:  # never created, or long gone: nothing was billed that the API can still tell
            job = {"TrainingJobName": name, "TrainingJobStatus": "Failed", "BillableTimeInSeconds": 0}
        if job.get("TrainingJobStatus") not in TRAINING_TERMINAL:
            continue
        if finish_training_job(run, job, check_metric=known)["settled"]:
            logger.warning("settled a training job whose terminal event never came",
                           extra={"run_id": run.run_id, "job": name})
            settled.append(name)
    return settled


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


def sweep_unsettled(run: RunRecord) -> list[str]:
    """Training jobs of the run's tuning job that ended but never entered the ledger: both their
    InProgress and their terminal event were lost, so not even ``running`` knows them. One listing;
    a describe only for the jobs missing from the ledger (none, when the counts agree)."""
    name = run.tuning_job_name
    if not name:
        return []
    ended = [s["TrainingJobName"] for s in sagemaker.training_jobs_of(name)
             if s.get("TrainingJobStatus") in TRAINING_TERMINAL]
    if len(ended) <= run.jobs_settled:
        return []
    settled = []
    known = run.running  # in the ledger as running: settle_lost_jobs' to handle, after a delay
    for job_name in ended:
        if job_name in known or store().is_settled(run.run_id, job_name):
            continue
        if finish_training_job(run, sagemaker.describe_training_job(job_name))["settled"]:
            logger.warning("settled a training job whose events never came",
                           extra={"run_id": run.run_id, "job": job_name})
            settled.append(job_name)
    return settled
