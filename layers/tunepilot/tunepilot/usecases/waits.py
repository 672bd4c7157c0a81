"""Callback waits: store a task token, resume it exactly once from whichever path sees the end first.

Three paths can see a tuning job (or endpoint) reach a terminal status: the EventBridge event,
the one check right after the token is stored (the job may have finished first), and the
scheduled reconciler (the event may be lost). ``RunsStore.take_token`` is an atomic delete,
so only one of them resumes the execution; the others find no token and do nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger

from tunepilot.aws import sagemaker, stepfunctions
from tunepilot.aws.sagemaker import TUNING_TERMINAL
from tunepilot.exceptions import DeployFailed, TuningJobFailed
from tunepilot.execution import EndpointOutcome, TuningOutcome
from tunepilot.runid import TUNING_JOB_PREFIX
from tunepilot.usecases import admission, guard
from tunepilot.usecases.context import now, settings, store

logger = Logger(child=True)
Kind = Literal["tuning", "endpoint"]


def register(kind: Kind, name: str, run_id: str, token: str) -> dict[str, Any]:
    store().put_token(kind, name, run_id, token)
    outcome = resume_if_done(kind, name)
    return {"registered": True, "resumed_at_once": outcome is not None}


def resume_on_event(kind: Kind, name: str) -> dict[str, Any]:
    """A state-change event says "look now". Only a job a run waits for is looked at: another team's
    job in the same account is ignored without calling SageMaker (its IAM policy may not cover it); a
    tuning job not named like TunePilot's is ignored without any call at all."""
    if kind == "tuning" and not name.startswith(TUNING_JOB_PREFIX):
        logger.info("not a TunePilot tuning job; ignored", extra={"kind": kind, "resource": name})
        return {"kind": kind, "name": name, "ignored": "not a TunePilot tuning job"}
    if store().peek_token(kind, name) is None:
        logger.info("no run waits for this resource; ignored", extra={"kind": kind, "resource": name})
        return {"kind": kind, "name": name, "ignored": "no run waits for it"}
    return {"kind": kind, "name": name, "resumed": resume_if_done(kind, name)}


def resume_if_done(kind: Kind, name: str) -> str | None:
    """Look at the job now; if it is terminal, resume its waiter. Returns how, or None."""
    verdict = _tuning_verdict(name) if kind == "tuning" else _endpoint_verdict(name)
    if verdict is None:
        return None
    if kind == "tuning":
        owner = guard.note_tuning_ended(name, verdict[1].get("status") or "Failed")
        if owner:
            admission.hand_over(owner)  # the job is over: its slot goes to the next run in the queue
    waiter = store().take_token(kind, name)
    if waiter is None:
        # "name" is a reserved LogRecord attribute: logging raises KeyError if extra carries it.
        logger.info("no waiter (already resumed, or not yet registered)", extra={"kind": kind, "resource": name})
        return None
    ok, payload = verdict
    if ok:
        stepfunctions.send_success(waiter.token, payload)
        return "success"
    stepfunctions.send_failure(waiter.token, payload["error"], payload["cause"])
    return "failure"


def reconcile_waits(older_than_s: int | None = None) -> dict[str, int]:
    """Resume waits whose job is terminal though no event came. Bounded: one describe per wait."""
    threshold = settings.reconcile_after_seconds if older_than_s is None else older_than_s
    checked = resumed = 0
    for kind in ("tuning", "endpoint"):
        for waiter in store().waiting(kind):
            if now() - waiter.stored_at < threshold:
                continue
            checked += 1
            if resume_if_done(kind, waiter.name):  # type: ignore[arg-type]
                resumed += 1
                logger.warning("resumed a wait whose event never came",
                               extra={"kind": kind, "resource": waiter.name, "run_id": waiter.run_id})
    return {"checked": checked, "resumed": resumed}


def _tuning_verdict(name: str) -> tuple[bool, dict[str, Any]] | None:
    job = sagemaker.describe_tuning_job(name)
    status = job.get("HyperParameterTuningJobStatus")
    if status not in TUNING_TERMINAL:
        return None
    if status == "Failed":
        reason = job.get("FailureReason", "no reason given")
        return False, {"error": TuningJobFailed.__name__, "cause": f"tuning job {name} failed: {reason}"}
    best = job.get("BestTrainingJob") or {}
    return True, TuningOutcome(
        status=status,
        tuning_job_name=name,
        best_training_job=best.get("TrainingJobName"),
        counters=job.get("TrainingJobStatusCounters", {}),
    ).wire()


def _endpoint_verdict(name: str) -> tuple[bool, dict[str, Any]] | None:
    expected = _expected_config(name)
    if expected is None:
        # Nobody waits yet, so there is nothing to judge against: an event that beats RegisterWait must
        # not take the token RegisterWait stores a moment later with a verdict about the old config.
        # RegisterWait checks once itself right after storing the token.
        return None
    endpoint = sagemaker.describe_endpoint(name)
    if endpoint is None:
        return False, {"error": DeployFailed.__name__, "cause": f"endpoint {name} disappeared"}
    status = endpoint.get("EndpointStatus")
    current = endpoint.get("EndpointConfigName")
    if status == "Failed":
        reason = endpoint.get("FailureReason", "no reason given")
        return False, {"error": DeployFailed.__name__, "cause": f"endpoint {name} failed: {reason}"}
    if status != "InService":
        return None
    if current == expected:
        return True, EndpointOutcome(endpoint_name=name, endpoint_config_name=current, status=status).wire()
    if endpoint.get("FailureReason"):  # the update rolled back: the old config keeps serving
        reason = endpoint["FailureReason"]
        return False, {
            "error": DeployFailed.__name__,
            "cause": f"update of endpoint {name} failed: {reason}; the old config {current} keeps serving",
        }
    return None  # still InService on the old config: the update has not started yet


def _expected_config(endpoint_name: str) -> str | None:
    waiter = store().peek_token("endpoint", endpoint_name)
    if waiter is None:
        return None
    run = store().get_run(waiter.run_id)
    return run.endpoint_config_name if run else None
