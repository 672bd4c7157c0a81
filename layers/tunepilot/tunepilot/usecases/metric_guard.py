"""Metric-regex guard at run time: track matches from the logs, alert when a job ends without its objective."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import logs, sns
from tunepilot.aws.runs_store import RunRecord
from tunepilot.metrics.alert import format_alert
from tunepilot.metrics.diagnose import MetricReport, diagnose
from tunepilot.metrics.match import MetricTracker
from tunepilot.usecases import guard
from tunepilot.usecases.context import run_of_training_job, settings, store

logger = Logger(child=True)
_MAX_LOG_LINES = 5000  # bounded read of a job's own log when the subscription kept no evidence


def active_run_for(training_job: str) -> RunRecord | None:
    run = run_of_training_job(training_job)
    return run if run and run.status in {"TUNING", "VALIDATED"} else None


def feed_log_lines(training_job: str, lines: Iterable[str]) -> dict[str, Any] | None:
    """Called by MetricWatch for each log batch of a training job of an active run."""
    run = active_run_for(training_job)
    if run is None:
        return None
    definitions = run.metric_regexes()
    state = store().get_metric_state(training_job)
    tracker = MetricTracker.from_state(state) if state else MetricTracker(definitions)
    tracker.feed(lines)
    store().put_metric_state(training_job, tracker.to_state())
    return tracker.to_state()


def check_finished_job(run: RunRecord, job: dict[str, Any]) -> str | None:
    """Alert (once per run and metric) when a finished job never reported its objective metric."""
    metric = run.objective_metric
    if not metric or any(m.get("MetricName") == metric for m in job.get("FinalMetricDataList", [])):
        return None
    regex = run.metric_regexes().get(metric, "")
    name = job["TrainingJobName"]
    report = diagnose_job(metric, regex, name)
    alert = format_alert(name, report)
    if store().claim_alert(run.run_id, f"metric#{metric}"):
        store().update_run(run.run_id, metric_suggestion=suggestion_of(metric, regex, report))
        sns.publish(settings.topic_arn, *alert)
        logger.warning("objective metric never matched", extra={"job": name, "metric": metric})
    if run.on_metric_mismatch == "stop":
        subject = f"TunePilot stopped {run.tuning_job_name}: metric {metric} never matched"
        body = f"on_metric_mismatch is 'stop', so the tuning job was stopped.\n\n{alert[1]}"
        guard.stop_run(run, "MetricRegexMismatch", (subject, body))
    return "mismatch"


def diagnose_job(metric: str, regex: str, training_job: str) -> MetricReport:
    """Why ``regex`` never read ``metric`` from the job's own log, and which regex would."""
    return diagnose(metric, regex, logs.training_job_lines(training_job, _MAX_LOG_LINES))


def suggestion_of(metric: str, regex: str, report: MetricReport) -> dict[str, Any]:
    """What AnalyzeResults needs to write a next spec with a working regex: the fix and a line it reads."""
    example = None
    if report.suggested_regex:
        example = next((line for line in report.near_misses if re.search(report.suggested_regex, line)), None)
    return {"metric": metric, "regex": regex, "suggested_regex": report.suggested_regex,
            "diagnosis": report.diagnosis, "example": example}
