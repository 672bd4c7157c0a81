"""Stopping a run early: budget, wall clock, job count, metric-regex mismatch. First reason wins."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker, sns
from tunepilot.aws.runs_store import RunRecord
from tunepilot.aws.sagemaker import TUNING_TERMINAL
from tunepilot.messages.report import stop_message
from tunepilot.policies.budget import decide_stop
from tunepilot.usecases.context import now, settings, store

logger = Logger(child=True)


def enforce_limits(run_id: str) -> str | None:
    """Stop the tuning job if a TunePilot limit is reached. Returns the stop reason, if any.

    The guard follows the tuning job's own status, not the run's: a run that already FAILED (a wait
    timed out, a later step broke) may still own a job that spends, and that job stays guarded.
    """
    run = store().get_run(run_id)
    if not run or run.stop_reason or not run.tuning_job_name or run.tuning_ended:
        return None
    budget = run.budget(now())
    spend = run.spend()
    decision = decide_stop(budget, spend, now())
    if decision is None:
        return None
    if sagemaker.tuning_job_status(run.tuning_job_name) != "InProgress":
        return None  # not started yet, already stopping, or over: nothing left to stop
    if stop_run(run, decision.reason, stop_message(run_id, run.tuning_job_name, decision, spend, budget)):
        return decision.reason
    return None


def stop_run(run: RunRecord, reason: str, alert: tuple[str, str]) -> bool:
    """Record the reason (first one wins), stop the tuning job and send one alert."""
    if not run.tuning_job_name or not store().mark_stop(run.run_id, reason):
        return False
    stopped = sagemaker.stop_tuning_job(run.tuning_job_name)
    logger.warning("stopping tuning job", extra={"run_id": run.run_id, "reason": reason, "stopped": stopped})
    subject, message = alert
    sns.publish(settings.topic_arn, subject, message)
    return True


def stop_after_failure(run: RunRecord) -> str | None:
    """The failure path: a run that fails must not leave its tuning job spending. Stops a job still
    InProgress (and records ``RunFailed`` as the stop reason unless a limit came first). Returns a
    sentence for the alert, or None when no job of the run is running."""
    name = run.tuning_job_name
    if not name or run.tuning_ended:
        return None
    status = sagemaker.tuning_job_status(name)
    if status == "InProgress":
        store().mark_stop(run.run_id, "RunFailed")
        sagemaker.stop_tuning_job(name)
        logger.warning("stopped the tuning job of a failed run", extra={"run_id": run.run_id, "job": name})
        return (f"TunePilot stopped tuning job {name}, which was still running when the run failed; "
                "its training jobs stop too, and their cost is still counted.")
    if status == "Stopping":
        return f"Tuning job {name} is stopping; its training jobs' cost is still counted."
    return None


def follow_tuning_job(run: RunRecord) -> str | None:
    """The reconciler's look at one run's tuning job, whatever the run's status: record the job's end,
    keep a running job guarded, and stop a job whose run already failed (a lost stop). Returns the
    stop reason when it stopped the job."""
    name = run.tuning_job_name
    if not name:
        return None
    status = sagemaker.tuning_job_status(name)
    if status is None or status in TUNING_TERMINAL:
        store().update_run(run.run_id, tuning_ended=status or "Missing")
        return None
    reason = enforce_limits(run.run_id)
    if reason is None and run.status == "FAILED" and status == "InProgress":
        stop_after_failure(run)
        reason = "RunFailed"
    return reason


def note_tuning_ended(tuning_job_name: str, status: str) -> str | None:
    """Remember that a tuning job reached a terminal status (the guard and the reconciler stop looking).
    Returns the run that owns the job."""
    run_id = store().run_for_tuning_job(tuning_job_name)
    if run_id:
        store().update_run(run_id, tuning_ended=status)
    return run_id
