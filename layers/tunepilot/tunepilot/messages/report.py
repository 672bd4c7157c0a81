"""The human side of a run: console links and the one SNS message per outcome. Pure.

Each message is plain text meant for an inbox: what happened, the numbers behind the decision,
and where to look next. Subjects obey SNS's rules (ASCII, one line, at most 100 characters);
bodies never carry a stack trace, however the error arrived.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from tunepilot.policies.budget import RunBudget, Spend, StopDecision, projected

SUBJECT_MAX = 100
CAUSE_MAX = 1500  # enough for a validation summary; a longer cause is cut, never a whole dump
_TRACEBACK = re.compile(r"\n?Traceback \(most recent call last\):.*", re.DOTALL)

# What a reader can do about each named error (exceptions.py names; States.* from Step Functions).
_HINTS = {
    "SpecInvalid": "Fix the spec and upload it again; runs/<run-id>/validation.json lists every problem.",
    "TuningJobConflict": "A tuning job with this run's name belongs to someone else; rename the spec file.",
    "TuningJobFailed": "Open the tuning job in the console to see why SageMaker failed it.",
    "NoSuccessfulTrainingJobs": "No job reported the objective metric; check the regex with `tunepilot diagnose-log`.",
    "BaselineUnavailable": "Give baseline.value or baseline.training_job in the spec instead.",
    "DeployFailed": "The endpoint keeps its previous configuration; nothing was switched over.",
    "States.Timeout": "A wait ran past its timeout; a tuning job still running was stopped (see above).",
    "Throttled": "AWS kept throttling after every retry; try again later.",
    "QuotaExceeded": "A SageMaker quota was reached; raise it or lower max_parallel_jobs.",
    "AwsUnavailable": "AWS kept failing after every retry; try again later.",
}

_STOP_TITLES = {
    "BudgetExceeded": "budget reached",
    "WallClockExceeded": "wall-clock limit reached",
    "JobCountExceeded": "training-job limit reached",
}


def console_links(
    region: str, execution_arn: str | None, tuning_job_name: str | None, endpoint_name: str | None = None
) -> dict[str, str]:
    """Console URLs of the execution, the tuning job and the endpoint; a missing name gets no link."""
    base = f"https://{_console_host(region)}"
    links = {}
    if execution_arn:
        links["execution"] = (f"{base}/states/home?region={region}#/v2/executions/details/"
                              f"{quote(execution_arn, safe=':/')}")
    if tuning_job_name:
        links["tuning_job"] = f"{base}/sagemaker/home?region={region}#/hyper-tuning-jobs/{quote(tuning_job_name)}"
    if endpoint_name:
        links["endpoint"] = f"{base}/sagemaker/home?region={region}#/endpoints/{quote(endpoint_name)}"
    return links


def s3_console_link(region: str, uri: str) -> str:
    """The S3 console page of an ``s3://bucket/key`` object."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return f"https://{_console_host(region)}/s3/object/{quote(bucket)}?region={region}&prefix={quote(key)}"


def analysis_summary(analysis: Mapping[str, Any] | None, region: str) -> dict[str, Any] | None:
    """What result.json and the messages keep of AnalyzeResults' output (or of its caught error)."""
    if not analysis:
        return None
    if analysis.get("Error"):
        return {"status": "FAILED", "error": analysis["Error"], "cause": readable_cause(str(analysis.get("Cause")))}
    summary = {k: analysis.get(k) for k in ("status", "verdict", "findings", "report_uri", "analysis_uri",
                                            "next_spec_uri")}
    if analysis.get("report_uri"):
        summary["report_link"] = s3_console_link(region, str(analysis["report_uri"]))
    return summary


def analysis_lines(summary: Mapping[str, Any] | None) -> list[str]:
    """The three most useful findings, one line each, and where the report is; or the analysis warning."""
    if not summary:
        return []
    if summary.get("status") == "FAILED":
        return ["", f"Warning: the analysis failed ({summary.get('error')}: {summary.get('cause') or 'no cause'}); "
                "the run went on without it."]
    lines = ["", "Findings:"] + [f"  - {line}" for line in (summary.get("findings") or [])[:3]]
    if summary.get("report_uri"):
        lines.append(f"Report: {summary['report_uri']}")
    if summary.get("report_link"):
        lines.append(f"  console: {summary['report_link']}")
    return lines


def success_message(result: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body for a run that finished, deployed or not (``runs/<run-id>/result.json``)."""
    run_id = str(result.get("run_id") or "unknown")
    best = result.get("best_training_job") or {}
    decision = result.get("decision") or {}
    metric = best.get("objective_metric") or "objective"
    value = _num(best.get("objective_value"))
    outcome = f"deployed to {result.get('endpoint_name')}" if result.get("deployed") else "not deployed"
    subject = f"TunePilot {run_id}: {outcome} ({metric} {value})"

    lines = [f"TunePilot run {run_id} finished: the best model was {outcome}.", ""]
    lines += _best_job_lines(best, result.get("baseline") or {})
    lines += ["", f"Decision: {'deploy' if decision.get('deploy') else 'do not deploy'}"]
    if decision.get("reason"):
        lines.append(f"  {decision['reason']}")
    numbers_given = decision.get("improvement") is not None or decision.get("required") is not None
    if numbers_given and "improvement" not in str(decision.get("reason", "")):  # the gate's own reason has them
        lines.append(f"  improvement {_num(decision.get('improvement'), signed=True)}, "
                     f"required {_num(decision.get('required'))}")
    lines += ["", _jobs_line(result.get("training_jobs") or {}), _spend_line(result)]
    if result.get("stop_reason"):
        lines.append(f"Stopped early: {result['stop_reason']} (the best job so far was used).")
    endpoint = result.get("endpoint_name")
    if result.get("deployed"):
        lines.append(f"Endpoint: {endpoint} now serves this model.")
    elif endpoint:
        lines.append(f"Endpoint: {endpoint} was left unchanged.")
    lines += analysis_lines(result.get("analysis"))
    lines += _link_lines(result.get("links") or {})
    return clean_subject(subject), "\n".join(lines)


def failure_message(run_id: str, error: str, cause: str, links: Mapping[str, str],
                    analysis: Mapping[str, Any] | None = None, stopped: str | None = None) -> tuple[str, str]:
    """Subject and body for a failed run: the error's name, its message (no stack trace), a hint, the findings,
    and (``stopped``) what became of a tuning job that was still running."""
    name = error or "UnknownError"
    message = readable_cause(cause)
    lines = [f"TunePilot run {run_id} failed with {name}.", ""]
    lines += [message or "(no cause given)"]
    if stopped:
        lines += ["", stopped]
    hint = _HINTS.get(name)
    if hint:
        lines += ["", hint.replace("<run-id>", run_id)]
    lines += analysis_lines(analysis)
    lines += _link_lines(links)
    return clean_subject(f"TunePilot {run_id} failed: {name}"), "\n".join(lines)


def stop_message(
    run_id: str, tuning_job_name: str, decision: StopDecision, spend: Spend, budget: RunBudget, now: float | None = None
) -> tuple[str, str]:
    """Subject and body for a run TunePilot stopped early; ``now`` adds the running jobs' cost."""
    title = _STOP_TITLES.get(decision.reason, decision.reason)
    lines = [
        f"TunePilot is stopping tuning job {tuning_job_name} (run {run_id}): {title}.",
        "",
        decision.detail,
        "",
        f"Settled spend: {_usd(spend.settled_usd)} over {spend.jobs_settled} finished training job(s).",
    ]
    if spend.running:
        running = f"Still running: {len(spend.running)} training job(s)"
        if now is not None:
            running += f"; projected spend {_usd(projected(spend, budget, now))}"
        lines.append(running + ".")
    if budget.max_cost_usd is not None:
        lines.append(f"Budget: {_usd(budget.max_cost_usd)} ({budget.policy} policy).")
    lines += [
        "",
        "Finished training jobs keep their results; the run goes on to pick the best of them.",
    ]
    return clean_subject(f"TunePilot stopped {tuning_job_name}: {title}"), "\n".join(lines)


def readable_cause(cause: str | None) -> str:
    """``error_message``, cut to a length an inbox can take."""
    text = error_message(cause)
    return text if len(text) <= CAUSE_MAX else text[: CAUSE_MAX - 3] + "..."


def error_message(cause: str | None) -> str:
    """The message inside a Step Functions cause: a Lambda error arrives as JSON with a stack trace."""
    text = (cause or "").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        text = str(parsed.get("errorMessage") or parsed.get("Cause") or parsed.get("message") or "")
    return _TRACEBACK.sub("", text).strip()


def clean_subject(subject: str) -> str:
    """One line of ASCII, at most 100 characters: SNS rejects anything else."""
    text = " ".join(subject.split()).encode("ascii", "replace").decode()
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


# ---------------------------------------------------------------------------------- pieces
def _best_job_lines(best: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[str]:
    metric = best.get("objective_metric") or "objective"
    lines = [f"Best training job: {best.get('name') or 'unknown'}"]
    if baseline.get("value") is not None:
        against = f" (baseline {_num(baseline['value'])} from {baseline.get('source') or 'the spec'})"
    elif baseline.get("source") == "endpoint":
        against = " (no baseline: nothing was serving yet)"
    else:
        against = " (no baseline)"
    lines.append(f"  {metric} = {_num(best.get('objective_value'))}{against}")
    params = best.get("hyperparameters") or {}
    if params:
        lines.append("  hyperparameters: " + ", ".join(f"{k}={v}" for k, v in sorted(params.items())))
    if best.get("model_artifact"):
        lines.append(f"  model: {best['model_artifact']}")
    return lines


def _jobs_line(jobs: Mapping[str, Any]) -> str:
    return (f"Training jobs: {jobs.get('total', 0)} total ({jobs.get('completed', 0)} completed, "
            f"{jobs.get('failed', 0)} failed, {jobs.get('stopped', 0)} stopped).")


def _spend_line(result: Mapping[str, Any]) -> str:
    spent = _usd(result.get("spend_usd") or 0)
    cap = result.get("max_cost_usd")
    return f"Spend: {spent} of a {_usd(cap)} budget." if cap is not None else f"Spend: {spent} (no budget set)."


def _link_lines(links: Mapping[str, str]) -> list[str]:
    labels = {"execution": "Step Functions execution", "tuning_job": "Tuning job", "endpoint": "Endpoint"}
    if not links:
        return []
    return ["", "Links:"] + [f"  {labels.get(key, key)}: {url}" for key, url in links.items()]


def _num(value: Any, signed: bool = False) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(number):
        return str(number)
    return f"{number:+.6g}" if signed else f"{number:.6g}"


def _usd(value: Any) -> str:
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return "$?"


def _console_host(region: str) -> str:
    # China and GovCloud regions have their own console domains.
    if region.startswith("cn-"):
        return "console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "console.amazonaws-us-gov.com"
    return f"{region}.console.aws.amazon.com"
