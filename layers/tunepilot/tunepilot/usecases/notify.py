"""Notify: the one success (or failure) message of a run, and runs/<run-id>/result.json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tunepilot.aws import s3, sns
from tunepilot.aws.runs_store import RunRecord
from tunepilot.exceptions import BadEvent
from tunepilot.execution import ExecutionState, ObjectCreatedDetail, RunResult, StateError
from tunepilot.messages.report import (
    analysis_summary,
    console_links,
    error_message,
    failure_message,
    success_message,
)
from tunepilot.runid import run_id_for
from tunepilot.usecases import admission, guard
from tunepilot.usecases.context import run_key, settings, store

_BEST_FIELDS = ("name", "objective_metric", "objective_value", "hyperparameters", "model_artifact")


def notify_success(execution_arn: str, state: ExecutionState) -> RunResult:
    if state.run is None:
        raise BadEvent("NotifySuccess needs the run ($.run) in the state")
    run_id = state.run.run_id
    run = store().get_run(run_id) or RunRecord(run_id=run_id)
    best, decision = _fields(state.best), _fields(state.decision)
    deployed = state.endpoint is not None
    endpoint_name = (state.deploy.endpoint_name if state.deploy else None) or run.endpoint_name
    result = {
        "run_id": run_id,
        "status": "SUCCEEDED",
        "execution_arn": execution_arn,
        "tuning_job_name": run.tuning_job_name,
        "training_jobs": best.get("training_jobs") or {},
        "best_training_job": {k: best.get(k) for k in _BEST_FIELDS},
        "baseline": {"source": decision.get("baseline_source"), "value": decision.get("baseline_value")},
        "decision": {k: decision.get(k) for k in ("deploy", "reason", "improvement", "required")},
        "deployed": deployed,
        "endpoint_name": endpoint_name,
        "endpoint_config_name": state.deploy.endpoint_config_name if state.deploy else None,
        "spend_usd": round(run.spend().settled_usd, 6),
        "max_cost_usd": run.max_cost_usd,
        "stop_reason": run.stop_reason,
        "links": console_links(settings.region, execution_arn, run.tuning_job_name,
                               endpoint_name if deployed else None),
    }
    _add_analysis(result, state)
    return _finish(run_id, result, success_message(result))


def notify_failure(execution_arn: str, state: ExecutionState) -> RunResult:
    run_id = state.run.run_id if state.run else _run_id_from_event(state.detail)
    error = state.error or StateError()
    name, cause = error.error, error.cause
    stored = store().get_run(run_id) if run_id else None
    stopped = guard.stop_after_failure(stored) if stored else None  # a failed run leaves no job spending
    if stopped and run_id:
        stored = store().get_run(run_id) or stored
    run = stored or RunRecord(run_id=run_id or "")
    links = console_links(settings.region, execution_arn, run.tuning_job_name, None)
    result = {
        "run_id": run_id,
        "status": "FAILED",
        "execution_arn": execution_arn,
        "error": name,
        "cause": error_message(cause),
        "tuning_job_name": run.tuning_job_name,
        "stop_reason": run.stop_reason,
        "tuning_job_stopped": stopped,
        "spend_usd": round(run.spend().settled_usd, 6) if run_id else 0.0,
        "links": links,
    }
    _add_analysis(result, state)
    return _finish(run_id, result, failure_message(run_id or "unknown", name, cause, links, result.get("analysis"),
                                                  stopped=stopped))


def _add_analysis(result: dict[str, Any], state: ExecutionState) -> None:
    """AnalyzeResults' findings and report link; a failed analysis is a warning, never the run's error."""
    summary = analysis_summary(state.analysis.wire() if state.analysis else None, settings.region)
    if summary is None:
        return
    result["analysis"] = summary
    if summary.get("status") == "FAILED":
        result.setdefault("warnings", []).append(f"analysis failed: {summary['error']}: {summary.get('cause')}")


def _finish(run_id: str | None, result: dict[str, Any], message: tuple[str, str]) -> RunResult:
    if run_id:
        result["result_uri"] = s3.put_json(settings.bucket, run_key(run_id, "result.json"), result)
        store().update_run(run_id, status=result["status"])
        admission.hand_over(run_id)  # a run that ends holds no slot and waits in no queue
    # One message per run, even if this step is retried.
    if not run_id or store().claim_alert(run_id, "outcome"):
        sns.publish(settings.topic_arn, *message)
    return RunResult(status=result["status"], result_uri=result.get("result_uri"))


def _fields(model: BaseModel | None) -> dict[str, Any]:
    return model.model_dump(mode="json") if model else {}


def _run_id_from_event(detail: ObjectCreatedDetail | None) -> str | None:
    if detail is None or not detail.bucket.name or not detail.object.key:
        return None
    return run_id_for(detail.bucket.name, detail.object.key, detail.object.version_id or detail.object.etag)
