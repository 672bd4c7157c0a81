"""Stopping a run early: budget, wall clock, job count, metric-regex mismatch. First reason wins."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker, sns
from tunepilot.aws.runs_store import RunRecord
from tunepilot.messages.report import stop_message
from tunepilot.policies.budget import decide_stop
from tunepilot.usecases.context import now, settings, store

logger = Logger(child=True)


def enforce_limits(run_id: str) -> str | None:
    """Stop the tuning job if a TunePilot limit is reached. Returns the stop reason, if any."""
    run = store().get_run(run_id)
    if not run or run.stop_reason or run.status != "TUNING" or not run.tuning_job_name:
        return None
    budget = run.budget(now())
    spend = store().spend(run_id)
    decision = decide_stop(budget, spend, now())
    if decision is None:
        return None
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
