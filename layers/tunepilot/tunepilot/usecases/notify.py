"""Notify: the one success (or failure) message of a run, and runs/<run-id>/result.json."""

from __future__ import annotations

import json
from typing import Any

from tunepilot.aws import s3, sns
from tunepilot.controller.report import analysis_summary, console_links, failure_message, success_message
from tunepilot.runid import run_id_for
from tunepilot.usecases import admission, guard
from tunepilot.usecases.context import run_key, settings, store


def notify_success(execution_arn: str, state: dict[str, Any]) -> dict[str, Any]:
    run_id = state["run"]["run_id"]
    run = store().get_run(run_id) or {}
    best, decision = state.get("best", {}), state.get("decision", {})
    deployed = "endpoint" in state
    endpoint_name = (state.get("deploy") or {}).get("endpoint_name") or run.get("endpoint_name")
    spend = store().spend(run_id)
    result = {
        "run_id": run_id,
        "status": "SUCCEEDED",
        "execution_arn": execution_arn,
        "tuning_job_name": run.get("tuning_job_name"),
        "training_jobs": best.get("training_jobs", {}),
        "best_training_job": {k: best.get(k) for k in
                              ("name", "objective_metric", "objective_value", "hyperparameters", "model_artifact")},
        "baseline": {"source": decision.get("baseline_source"), "value": decision.get("baseline_value")},
        "decision": {k: decision.get(k) for k in ("deploy", "reason", "improvement", "required")},
        "deployed": deployed,
        "endpoint_name": endpoint_name,
        "endpoint_config_name": (state.get("deploy") or {}).get("endpoint_config_name"),
        "spend_usd": round(spend.settled_usd, 6),
        "max_cost_usd": run.get("max_cost_usd"),
        "stop_reason": run.get("stop_reason"),
        "links": console_links(settings.region, execution_arn, run.get("tuning_job_name"),
                               endpoint_name if deployed else None),
    }
    _add_analysis(result, state)
    return _finish(run_id, result, success_message(result))


def notify_failure(execution_arn: str, state: dict[str, Any]) -> dict[str, Any]:
    run_id = (state.get("run") or {}).get("run_id") or _run_id_from_event(state.get("detail") or {})
    error = state.get("error") or {}
    name, cause = str(error.get("Error", "Unknown")), str(error.get("Cause", ""))
    run = (store().get_run(run_id) or {}) if run_id else {}
    stopped = guard.stop_after_failure(run) if run else None  # a failed run leaves no job spending
    if stopped:
        run = store().get_run(run_id) or run  # type: ignore[arg-type]
    links = console_links(settings.region, execution_arn, run.get("tuning_job_name"), None)
    result = {
        "run_id": run_id,
        "status": "FAILED",
        "execution_arn": execution_arn,
        "error": name,
        "cause": _message_of(cause),
        "tuning_job_name": run.get("tuning_job_name"),
        "stop_reason": run.get("stop_reason"),
        "tuning_job_stopped": stopped,
        "spend_usd": round(store().spend(run_id).settled_usd, 6) if run_id else 0.0,
        "links": links,
    }
    _add_analysis(result, state)
    return _finish(run_id, result, failure_message(run_id or "unknown", name, cause, links, result.get("analysis"),
                                                  stopped=stopped))


def _add_analysis(result: dict[str, Any], state: dict[str, Any]) -> None:
    """AnalyzeResults' findings and report link; a failed analysis is a warning, never the run's error."""
    summary = analysis_summary(state.get("analysis"), settings.region)
    if summary is None:
        return
    result["analysis"] = summary
    if summary.get("status") == "FAILED":
        result.setdefault("warnings", []).append(f"analysis failed: {summary['error']}: {summary.get('cause')}")


def _finish(run_id: str | None, result: dict[str, Any], message: tuple[str, str]) -> dict[str, Any]:
    if run_id:
        result["result_uri"] = s3.put_json(settings.bucket, run_key(run_id, "result.json"), result)
        store().update_run(run_id, status=result["status"])
        admission.hand_over(run_id)  # a run that ends holds no slot and waits in no queue
    # One message per run, even if this step is retried.
    if not run_id or store().claim_alert(run_id, "outcome"):
        sns.publish(settings.topic_arn, *message)
    return {"status": result["status"], "result_uri": result.get("result_uri")}


def _run_id_from_event(detail: dict[str, Any]) -> str | None:
    bucket, obj = (detail.get("bucket") or {}).get("name"), detail.get("object") or {}
    if not bucket or not obj.get("key"):
        return None
    return run_id_for(bucket, obj["key"], obj.get("version-id") or obj.get("etag"))


def _message_of(cause: str) -> str:
    """Step Functions passes a Lambda error as JSON; keep the message, drop the stack trace."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    return str(parsed.get("errorMessage", cause)) if isinstance(parsed, dict) else cause

