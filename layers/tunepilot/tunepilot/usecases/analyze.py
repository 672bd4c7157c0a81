"""AnalyzeResults: read every training job of the tuning job, analyse, write the four artifacts.

``collect_tuning_job`` is read-only (Describe/List calls only), so it serves any AMT tuning job in the
account, including one TunePilot did not start. It pages through the training jobs and describes each
one with a few threads; throttling is retried with jittered backoff until the time budget runs out,
never failed. A job left undescribed at the deadline keeps what its summary says, with its billable
time estimated from its start and end (and flagged), so a 10,000-job Random search still gets a report.

``analyze_results`` is the state: it never costs the user a run. Transient AWS errors go back to the
state machine's retrier; anything else becomes ``AnalysisFailed``, which the ASL catches into PickBest.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from tunepilot.analysis.analyze import BaselineValue, MetricSuggestion, analyze, best_trial
from tunepilot.analysis.model import Analysis, Artifacts, RunFacts
from tunepilot.analysis.nextspec import NextSpec, next_spec
from tunepilot.analysis.report import render_report
from tunepilot.analysis.trials import TuningJob, launch_order, trial_from_aws, trials_csv, tuning_job_from_describe
from tunepilot.aws import s3, sagemaker
from tunepilot.aws.runs_store import RunRecord
from tunepilot.exceptions import AnalysisFailed, AwsUnavailable, Throttled, TunePilotError
from tunepilot.spec.models import TuningSpec
from tunepilot.usecases import metric_guard
from tunepilot.usecases.context import run_key, settings, store
from tunepilot.usecases.improvement import gate
from tunepilot.usecases.start import load_spec

logger = Logger(child=True)
T = TypeVar("T")

DESCRIBE_THREADS = 4  # SageMaker's Describe* rates are per account: a few at a time, backing off when throttled
ANALYSIS_RESERVE_S = 60.0  # time kept back for the analysis, the plots and the four writes
RETRYABLE = (Throttled, AwsUnavailable)
_sleep = time.sleep  # tests replace it


class Budget:
    """The Lambda's remaining time, as a clock the collector can ask.

    A quarter of the time at the start, at most ``reserve_s``, is kept back for the analysis itself.
    """

    def __init__(self, remaining_ms: Callable[[], int] | None = None, reserve_s: float = ANALYSIS_RESERVE_S) -> None:
        self._remaining_ms = remaining_ms
        self.reserve_s = min(reserve_s, remaining_ms() / 4000.0) if remaining_ms else 0.0

    def left(self) -> float:
        """Seconds left for collecting (inf without a Lambda context)."""
        if self._remaining_ms is None:
            return float("inf")
        return self._remaining_ms() / 1000.0 - self.reserve_s


def with_backoff(call: Callable[[], T], budget: Budget, what: str, base: float = 0.2, cap: float = 10.0) -> T:
    """Retry throttling and 5xx with full-jitter exponential backoff while the budget lasts; then re-raise."""
    attempt = 0
    while True:
        try:
            return call()
        except RETRYABLE:
            delay = random.uniform(0, min(cap, base * 2**attempt))  # jitter, not security
            if budget.left() <= delay + 1.0:
                logger.warning("giving up retrying at the time budget", extra={"call": what, "attempts": attempt + 1})
                raise
            _sleep(delay)
            attempt += 1


def collect_tuning_job(
    tuning_job_name: str, *, prices: dict[str, float] | None = None, budget: Budget | None = None,
    threads: int = DESCRIBE_THREADS,
) -> TuningJob:
    """Every training job of a tuning job as typed trials. Read-only: Describe and List calls only."""
    budget = budget or Budget()
    describe = with_backoff(lambda: sagemaker.describe_tuning_job(tuning_job_name), budget, "describe tuning job")
    summaries: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page, token = with_backoff(lambda t=token: sagemaker.training_jobs_page(tuning_job_name, t),  # type: ignore[misc]
                                   budget, "list training jobs")
        summaries.extend(page)
        if not token:
            break
    ordered = launch_order(summaries)
    described, notes = _describe_all([s["TrainingJobName"] for s in ordered], budget, threads)
    resources = (describe.get("TrainingJobDefinition") or {}).get("ResourceConfig") or {}
    default_instance = (resources.get("InstanceType"), int(resources.get("InstanceCount") or 1))
    trials = [trial_from_aws(i, s, described.get(s["TrainingJobName"]), prices=prices,
                             default_instance=default_instance) for i, s in enumerate(ordered, start=1)]
    return tuning_job_from_describe(describe, trials, notes)


def _describe_all(names: list[str], budget: Budget, threads: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    described: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []

    def one(name: str) -> None:
        if budget.left() <= 0:
            skipped.append(name)
            return
        try:
            described[name] = with_backoff(lambda: sagemaker.describe_training_job(name), budget, "describe job")
        except RETRYABLE:
            skipped.append(name)

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        list(pool.map(one, names))
    notes = []
    if skipped:
        notes.append(f"{len(skipped)} of {len(names)} training job(s) were not described within the time budget: "
                     "their metrics list is empty and their cost is estimated from start and end times.")
    return described, notes


# ---------------------------------------------------------------------------------- the state
def analyze_results(run_id: str, tuning_job_name: str, remaining_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    try:
        return _analyze_results(run_id, tuning_job_name, Budget(remaining_ms))
    except RETRYABLE:
        raise  # the state machine retries these, then catches them into PickBest
    except TunePilotError as e:
        raise AnalysisFailed(f"analysis of {tuning_job_name}: {type(e).__name__}: {e}") from e
    except Exception as e:  # never a run lost to the analysis: any bug becomes the named, caught error
        logger.exception("analysis failed")
        raise AnalysisFailed(f"analysis of {tuning_job_name}: {type(e).__name__}: {e}") from e


def _analyze_results(run_id: str, tuning_job_name: str, budget: Budget) -> dict[str, Any]:
    spec = load_spec(run_id)
    run = store().get_run(run_id) or RunRecord(run_id=run_id)
    job = collect_tuning_job(tuning_job_name, prices=spec.budget.prices if spec.budget else None, budget=budget)
    facts = RunFacts(run_id=run_id, max_cost_usd=run.max_cost_usd, ledger_spend_usd=run.spend().settled_usd,
                     stop_reason=run.stop_reason, tuning_status=job.status)
    suggestion = _suggestion(run, job)
    analysis, nxt = analyze_with_spec(job, spec, facts, suggestion, budget)
    assert nxt is not None  # a run always has its spec
    keys = {name: run_key(run_id, name) for name in ("trials.csv", "analysis.json", "report.html", "next-spec.yaml")}
    uris = {name: f"s3://{settings.bucket}/{key}" for name, key in keys.items()}
    analysis.artifacts = Artifacts(trials_csv=uris["trials.csv"], report_html=uris["report.html"],
                                   next_spec=uris["next-spec.yaml"])
    s3.put_text(settings.bucket, keys["trials.csv"], trials_csv(job), "text/csv")
    s3.put_text(settings.bucket, keys["next-spec.yaml"], nxt.text, "application/yaml")
    s3.put_text(settings.bucket, keys["report.html"], render_report(job, analysis, nxt), "text/html; charset=utf-8")
    s3.put_json(settings.bucket, keys["analysis.json"], analysis.to_json())
    return {
        "status": "ANALYZED",
        "tuning_job_name": tuning_job_name,
        "jobs": analysis.jobs.total,
        "scored": analysis.jobs.scored,
        "verdict": analysis.convergence.verdict,
        "findings": analysis.findings,
        "report_uri": uris["report.html"],
        "analysis_uri": uris["analysis.json"],
        "next_spec_uri": uris["next-spec.yaml"],
        "next_spec_valid": nxt.valid,
    }


def analyze_with_spec(job: TuningJob, spec: TuningSpec | None, facts: RunFacts,
                      suggestion: MetricSuggestion | None = None,
                      budget: Budget | None = None) -> tuple[Analysis, NextSpec | None]:
    """The analysis, with the baseline and the decision as CheckImprovement reads them, and the next spec."""
    baseline, notes = None, []
    best = best_trial(job)
    if spec is not None and best is not None and best.objective is not None:
        value = best.objective
        try:
            decision = with_backoff(lambda: gate(spec, value, job.objective.metric), budget or Budget(), "baseline")
        except TunePilotError as e:  # an unreadable baseline is CheckImprovement's error to raise, not ours
            notes.append(f"The baseline could not be read: {e}")
        else:
            facts = facts.model_copy(update={"decision": decision})
            if decision.get("baseline_value") is not None:
                baseline = BaselineValue(source=decision.get("baseline_source"), value=decision["baseline_value"])
    analysis = analyze(job, run=facts, baseline=baseline, metric_suggestion=suggestion)
    analysis.notes.extend(notes)
    nxt = next_spec(spec, analysis, job, suggestion) if spec is not None else None
    if nxt is not None and not nxt.valid:
        analysis.notes.append("The next spec does not validate: " + "; ".join(nxt.problems))
    return analysis, nxt


def _suggestion(run: RunRecord, job: TuningJob) -> MetricSuggestion | None:
    """The metric guard's diagnosis of an objective regex that never matched.

    The guard keeps it on the run; when its training-job event has not been handled yet (the tuning job's
    end can overtake it), the same diagnosis is made here from the first such job's own log.
    """
    found = run.metric_suggestion
    if not isinstance(found, dict) or found.get("metric") != job.objective.metric:
        found = _diagnose_now(job)
    try:
        return MetricSuggestion.model_validate(found) if found else None
    except ValueError:
        return None


def _diagnose_now(job: TuningJob) -> dict[str, Any] | None:
    metric = job.objective.metric
    regex = next((r for name, r in job.metric_definitions if name == metric), None)
    silent = next((t for t in job.trials if t.status == "Completed" and not t.scored), None)
    if regex is None or silent is None:
        return None
    try:
        return metric_guard.suggestion_of(metric, regex, metric_guard.diagnose_job(metric, regex, silent.name))
    except TunePilotError as e:  # no log to read is no diagnosis, not a failed analysis
        logger.warning("could not diagnose the objective regex", extra={"job": silent.name, "error": str(e)})
        return None
