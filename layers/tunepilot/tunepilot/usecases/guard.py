"""Stopping a run early: budget, wall clock, job count, metric-regex mismatch. First reason wins."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker, sns
from tunepilot.controller.budget import RunBudget, decide_stop
from tunepilot.controller.report import stop_message
from tunepilot.usecases.context import now, settings, store

logger = Logger(child=True)


def budget_of(run: dict[str, Any]) -> RunBudget:
    return RunBudget(
        max_cost_usd=_float(run.get("max_cost_usd")),
        policy=run.get("policy", "hard"),
        usd_per_hour=_float(run.get("usd_per_hour")) or 0.0,
        instance_count=int(run.get("instance_count", 1)),
        max_wall_clock_s=_int(run.get("max_wall_clock_s")),
        max_training_jobs=_int(run.get("max_training_jobs")),
        started_at=_float(run.get("tuning_started_at")) or _float(run.get("created_at")) or now(),
    )


def enforce_limits(run_id: str) -> str | None:
    """Stop the tuning job if a TunePilot limit is reached. Returns the stop reason, if any."""
    run = store().get_run(run_id)
    if not run or run.get("stop_reason") or run.get("status") != "TUNING":
        return None
    budget = budget_of(run)
    spend = store().spend(run_id)
    decision = decide_stop(budget, spend, now())
    if decision is None:
        return None
    if stop_run(run, decision.reason, stop_message(run_id, run["tuning_job_name"], decision, spend, budget)):
        return decision.reason
    return None


def stop_run(run: dict[str, Any], reason: str, alert: tuple[str, str]) -> bool:
    """Record the reason (first one wins), stop the tuning job and send one alert."""
    if not store().mark_stop(run["run_id"], reason):
        return False
    stopped = sagemaker.stop_tuning_job(run["tuning_job_name"])
    logger.warning("stopping tuning job", extra={"run_id": run["run_id"], "reason": reason, "stopped": stopped})
    subject, message = alert
    sns.publish(settings.topic_arn, subject, message)
    return True


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
