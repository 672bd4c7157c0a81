"""The JSON the run page is built on: ``GET /api/runs`` and ``GET /api/runs/<run_id>``.

Everything comes from a ``RunSource`` (read-only). What cannot change any more is cached: an execution's run id
(its input never changes), a finished run's row and page, a finished training job's description.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError
from tunepilot.aws.runs_store import run_object_key
from tunepilot.events import ObjectCreatedDetail
from tunepilot.pricing import job_cost
from tunepilot.runid import run_id_for

from tunepilot_ui import graph
from tunepilot_ui.source import RunSource, decode_json

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
JOB_TERMINAL = ("Completed", "Failed", "Stopped")
ARTIFACT_NAMES = ("report.html", "next-spec.yaml", "analysis.json", "trials.csv", "result.json", "validation.json",
                  "spec.json")
MAX_TEXT = 64 * 1024  # a state's input/output, the next spec: shown up to this many characters


class RunNotFound(LookupError):
    pass


@dataclass
class RunProgress:
    """What the terminal's live display shows: one look at a run."""

    run_id: str
    status: str
    state: str
    jobs_done: int = 0
    jobs_total: int | None = None
    jobs_running: int = 0
    metric: str = ""
    best: float | None = None
    spend_usd: float | None = None
    budget_usd: float | None = None
    stop_reason: str | None = None


class RunPageApi:
    def __init__(self, source: RunSource) -> None:
        self.source = source
        self._run_ids: dict[str, tuple[str, str]] = {}  # execution arn -> (run id, spec key)
        self._versions: dict[str, str] = {}  # execution arn -> the spec object's version id (or ETag)
        self._finished_rows: dict[str, dict[str, Any]] = {}
        self._finished_runs: dict[str, dict[str, Any]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}  # finished training jobs' descriptions
        self._graph: graph.Graph | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ runs list
    def graph(self) -> graph.Graph:
        if self._graph is None:
            self._graph = graph.parse_definition(self.source.definition())
        return self._graph

    def identify(self, execution: Mapping[str, Any]) -> tuple[str, str]:
        """(run id, spec key) of an execution, from its input: the S3 event that started it."""
        arn = str(execution["executionArn"])
        with self._lock:
            if arn in self._run_ids:
                return self._run_ids[arn]
        described = self.source.execution(arn)
        document = decode_json((described.get("input") or "{}").encode()) or {}
        try:
            detail = ObjectCreatedDetail.model_validate(document.get("detail") if isinstance(document, dict) else {})
            obj = detail.object
            found = (run_id_for(detail.bucket.name, obj.key, obj.version_id or obj.etag), obj.key)
            self._versions[arn] = obj.version_id or obj.etag or ""
        except ValidationError:  # an execution started by hand, not by a spec upload
            found = (str(execution.get("name") or arn.rsplit(":", 1)[-1]), "")
        with self._lock:
            self._run_ids[arn] = found
        return found

    def runs(self) -> list[dict[str, Any]]:
        rows = []
        for execution in self.source.executions():
            arn = str(execution["executionArn"])
            if arn in self._finished_rows:
                rows.append(self._finished_rows[arn])
                continue
            run_id, key = self.identify(execution)
            item = self.source.run(run_id) or {}
            status = str(execution.get("status", "RUNNING"))
            finished = status in TERMINAL
            result = _dict(decode_json(self.source.object(run_object_key(run_id, "result.json")))) if finished else {}
            best = result.get("best_training_job") or {}
            if not best and status not in TERMINAL and item.get("tuning_job_name"):  # a run still going
                best = _best_of(self.source.tuning_job(str(item["tuning_job_name"])))
            row = {
                "run_id": run_id,
                "execution_arn": arn,
                "status": status,
                "spec_key": key,
                "started_at": _iso(execution.get("startDate")),
                "stopped_at": _iso(execution.get("stopDate")),
                "duration_seconds": _duration(execution.get("startDate"), execution.get("stopDate")),
                "best_objective": _number(best.get("objective_value")),
                "objective_metric": best.get("objective_metric") or "",
                "spend_usd": _number(result.get("spend_usd", item.get("spend_usd"))),
                "budget_usd": _number(result.get("max_cost_usd", item.get("max_cost_usd"))),
                "stop_reason": result.get("stop_reason", item.get("stop_reason")),
                "url": f"/runs/{run_id}",
            }
            if status in TERMINAL:
                self._finished_rows[arn] = row
            rows.append(row)
        return sorted(rows, key=lambda r: r["started_at"] or "", reverse=True)

    def _execution_for(self, run_id: str) -> dict[str, Any]:
        for execution in self.source.executions():
            if self.identify(execution)[0] == run_id:
                return execution
        raise RunNotFound(run_id)

    def find_by_key(self, key: str, version_id: str | None = None) -> str | None:
        """The run id of the newest execution started by the spec at ``key`` (and that version, if given)."""
        for execution in self.source.executions():
            run_id, spec_key = self.identify(execution)
            if spec_key == key and (not version_id or self._versions.get(str(execution["executionArn"])) == version_id):
                return run_id
        return None

    # ------------------------------------------------------------------------------------------ one run
    def run(self, run_id: str) -> dict[str, Any]:
        if run_id in self._finished_runs:
            finished = dict(self._finished_runs[run_id])
            finished["alerts"], finished["alerts_note"] = self._alerts(run_id, finished.get("tuning_job_name"))
            return finished
        execution = self._execution_for(run_id)
        arn = str(execution["executionArn"])
        run_key = self.identify(execution)[1]
        history = self.source.history(arn)
        status = graph.execution_status(history, str(execution.get("status", "RUNNING")))
        shape = self.graph()
        statuses = graph.state_statuses(shape, history, status)
        path = graph.path_taken(history)
        taken = graph.taken_edges(shape, path, history)
        item = self.source.run(run_id) or {}
        result = _dict(decode_json(self.source.object(run_object_key(run_id, "result.json"))))
        tuning_name = str(result.get("tuning_job_name") or item.get("tuning_job_name") or "")
        tuning = self.source.tuning_job(tuning_name) if tuning_name else None
        objective = _objective(tuning, result)
        jobs = self._jobs_of(tuning_name, item) if tuning_name else []
        artifacts, analysis, next_spec = self._artifacts(run_id)
        alerts, alerts_note = self._alerts(run_id, tuning_name)
        limit = ((tuning or {}).get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
                 .get("MaxNumberOfTrainingJobs"))
        page: dict[str, Any] = {
            "run_id": run_id,
            "execution_arn": arn,
            "status": status,
            "spec_key": run_key,
            "source": self.source.label,
            "started_at": _iso(execution.get("startDate")),
            "stopped_at": _iso(execution.get("stopDate")),
            "duration_seconds": _duration(execution.get("startDate"), execution.get("stopDate")),
            "states": [{"name": name, "status": statuses[name]} for name in shape.names],
            "graph": {
                "start_at": shape.start_at,
                "nodes": [asdict(node) for node in shape.nodes],
                "edges": [{"source": e.source, "target": e.target, "kind": e.kind, "label": e.label,
                           "taken": (e.source, e.target, e.kind) in taken} for e in shape.edges],
            },
            "path": path,
            "state_details": _state_details(history),
            "history": readable_history(history),
            "tuning_job_name": tuning_name or None,
            "tuning_job_status": (tuning or {}).get("HyperParameterTuningJobStatus"),
            "objective": objective,
            "max_jobs": limit,
            "jobs": jobs,
            "curve": best_so_far(jobs, objective.get("type", "Maximize")),
            "best": result.get("best_training_job"),
            "spend_usd": _number(result.get("spend_usd", item.get("spend_usd"))),
            "budget_usd": _number(result.get("max_cost_usd", item.get("max_cost_usd"))),
            "stop_reason": result.get("stop_reason", item.get("stop_reason")),
            "decision": result.get("decision"),
            "error": _failure(history, result),
            "alerts": alerts,
            "alerts_note": alerts_note,
            "artifacts": artifacts,
            "analysis": analysis,
            "next_spec": next_spec,
            "endpoint": self._endpoint(result),
        }
        if status in TERMINAL:
            self._finished_runs[run_id] = page
        return page

    def progress(self, run_id: str) -> RunProgress:
        """A light look for the terminal: no training-job descriptions, no artifacts."""
        execution = self._execution_for(run_id)
        history = self.source.history(str(execution["executionArn"]))
        status = graph.execution_status(history, str(execution.get("status", "RUNNING")))
        path = graph.path_taken(history)
        item = self.source.run(run_id) or {}
        tuning = self.source.tuning_job(str(item["tuning_job_name"])) if item.get("tuning_job_name") else None
        progress = RunProgress(run_id=run_id, status=status, state=path[-1] if path else "-",
                               spend_usd=_number(item.get("spend_usd")), budget_usd=_number(item.get("max_cost_usd")),
                               stop_reason=item.get("stop_reason"))
        if tuning:
            counters = tuning.get("TrainingJobStatusCounters") or {}
            progress.jobs_done = int(sum(counters.get(k, 0) for k in
                                         ("Completed", "Stopped", "NonRetryableError", "RetryableError")))
            progress.jobs_running = int(counters.get("InProgress", 0))
            progress.jobs_total = (tuning.get("HyperParameterTuningJobConfig", {}).get("ResourceLimits", {})
                                   .get("MaxNumberOfTrainingJobs"))
            best = (tuning.get("BestTrainingJob") or {}).get("FinalHyperParameterTuningJobObjectiveMetric") or {}
            progress.metric = str(best.get("MetricName") or _objective(tuning, {}).get("metric") or "")
            progress.best = _number(best.get("Value"))
        return progress

    # ------------------------------------------------------------------------------------------ parts
    def _jobs_of(self, tuning_name: str, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        summaries = sorted(self.source.training_jobs(tuning_name),
                           key=lambda s: (_iso(s.get("CreationTime")) or "", s.get("TrainingJobName", "")))
        rate = _number(item.get("usd_per_hour"))
        count = int(_number(item.get("instance_count")) or 1)
        jobs = []
        for index, summary in enumerate(summaries):
            name = str(summary["TrainingJobName"])
            described = self._jobs.get(name)
            if described is None and summary.get("TrainingJobStatus") in JOB_TERMINAL:
                described = self.source.training_job(name) or {}
                if described.get("TrainingJobStatus") in JOB_TERMINAL:
                    self._jobs[name] = described
            billable = _number((described or {}).get("BillableTimeInSeconds"))
            metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
            jobs.append({
                "index": index,
                "name": name,
                "status": summary.get("TrainingJobStatus"),
                "hyperparameters": {str(k): str(v) for k, v in (summary.get("TunedHyperParameters") or {}).items()},
                "objective": _number(metric.get("Value")),
                "billable_seconds": billable,
                "cost_usd": round(job_cost(billable, rate, count), 6) if billable is not None and rate else None,
                "failure_reason": summary.get("FailureReason") or (described or {}).get("FailureReason"),
                "started_at": _iso(summary.get("TrainingStartTime")),
                "ended_at": _iso(summary.get("TrainingEndTime")),
            })
        return jobs

    def _artifacts(self, run_id: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str | None]:
        prefix = run_object_key(run_id, "")
        artifacts = []
        for listed in self.source.list_objects(prefix):
            key = str(listed["Key"])
            name = key[len(prefix):]
            artifacts.append({"name": name, "key": key, "size": int(listed.get("Size", 0)),
                              "url": f"/runs/{run_id}/files/{name}" if name in ARTIFACT_NAMES else None})
        names = {a["name"] for a in artifacts}
        analysis = _dict(decode_json(self.source.object(prefix + "analysis.json"))) if "analysis.json" in names else {}
        next_spec = None
        if "next-spec.yaml" in names:
            body = self.source.object(prefix + "next-spec.yaml")
            next_spec = body.decode("utf-8", errors="replace")[:MAX_TEXT] if body is not None else None
        return artifacts, (analysis or None), next_spec

    def artifact(self, run_id: str, name: str) -> bytes | None:
        """One of the run's own artifacts by file name (never an arbitrary key)."""
        if name not in ARTIFACT_NAMES:
            return None
        return self.source.object(run_object_key(run_id, name))

    def job_log(self, run_id: str, training_job: str, lines: int = 80) -> dict[str, Any]:
        """The last lines of one of this run's training jobs (never another run's)."""
        page = self.run(run_id)
        if training_job not in {job["name"] for job in page["jobs"]}:
            raise RunNotFound(f"{run_id} has no training job {training_job}")
        return {"training_job": training_job, "lines": self.source.log_tail(training_job, lines)}

    def _alerts(self, run_id: str, tuning_name: str | None) -> tuple[list[dict[str, str]], str]:
        every = self.source.alerts()
        if every is None:
            return [], self.source.alerts_note
        marks = [m for m in (run_id, tuning_name) if m]
        return [a for a in every if any(m in a.get("subject", "") or m in a.get("message", "") for m in marks)], ""

    def _endpoint(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        name = result.get("endpoint_name")
        if not name or not result.get("deployed"):
            return None
        described = self.source.endpoint(str(name)) or {}
        return {"name": name, "status": described.get("EndpointStatus"), "invoke_allowed": self.source.invoke_allowed}

    def predict(self, run_id: str, csv_rows: str) -> dict[str, Any]:
        """Send CSV rows to the run's endpoint (the one state-changing call; the source decides if allowed)."""
        result = _dict(decode_json(self.source.object(run_object_key(run_id, "result.json"))))
        endpoint = result.get("endpoint_name") if result.get("deployed") else None
        if not endpoint:
            raise RunNotFound(f"run {run_id} has no deployed endpoint")
        rows = [line for line in csv_rows.splitlines() if line.strip()]
        return {"endpoint": endpoint, "rows": len(rows), "predictions": self.source.invoke(str(endpoint),
                                                                                            "\n".join(rows))}


# ---------------------------------------------------------------------------------------------- pure helpers
def best_so_far(jobs: Sequence[Mapping[str, Any]], objective_type: str) -> list[dict[str, Any]]:
    """One point per completed job with an objective, in the order the jobs ended: its value and the best yet."""
    maximize = objective_type != "Minimize"
    done = [j for j in jobs if j.get("status") == "Completed" and _finite(j.get("objective"))]
    done.sort(key=lambda j: (j.get("ended_at") or "", j.get("index", 0)))
    points, best = [], None
    for order, job in enumerate(done, start=1):
        value = float(job["objective"])
        if best is None or (value > best if maximize else value < best):
            best = value
        points.append({"n": order, "job": job["name"], "objective": value, "best": best})
    return points


def readable_history(history: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each event as {id, timestamp, type, state, detail}: the detail is one short line of text."""
    rows = []
    state = ""
    for event in history:
        details = graph._details(event)
        kind = str(event.get("type", ""))
        if "stateEnteredEventDetails" in event:
            state = str(details.get("name", ""))
        text = ""
        if details.get("error") or details.get("cause"):
            text = f"{details.get('error', '')}: {_cause_text(details.get('cause'))}".strip(": ")
        elif details.get("resource"):
            text = f"{details.get('resourceType', '')} {details.get('resource', '')}".strip()
        elif "stateEnteredEventDetails" in event:
            text = "input " + _short(details.get("input"))
        elif "stateExitedEventDetails" in event or "output" in details:
            text = "output " + _short(details.get("output"))
        rows.append({"id": event.get("id"), "timestamp": _iso(event.get("timestamp")), "type": kind,
                     "state": state if not kind.startswith("Execution") else "", "detail": text[:500]})
        if "stateExitedEventDetails" in event:
            state = ""
    return rows


def _state_details(history: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    details: dict[str, dict[str, Any]] = {}
    for visit in graph.visits(history):
        details[visit.name] = {
            "input": _pretty(visit.input), "output": _pretty(visit.output), "error": visit.error,
            "cause": _cause_text(visit.cause) if visit.cause else None, "entered_at": _iso(visit.entered_at),
            "exited_at": _iso(visit.exited_at),
            "visits": details.get(visit.name, {}).get("visits", 0) + 1,
        }
    return details


def _best_of(tuning: Mapping[str, Any] | None) -> dict[str, Any]:
    """The tuning job's best training job so far, in result.json's shape."""
    metric = ((tuning or {}).get("BestTrainingJob") or {}).get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return {"objective_value": metric.get("Value"), "objective_metric": metric.get("MetricName")} if metric else {}


def _failure(history: Sequence[Mapping[str, Any]], result: Mapping[str, Any]) -> str | None:
    if result.get("error"):
        return f"{result['error']}: {result.get('cause', '')}".rstrip(": ")
    caught = [v for v in graph.visits(history) if v.exited and v.last_attempt_failed]
    if caught and graph.execution_status(history) != "SUCCEEDED":
        # The Fail state's own error is generic (RunFailed); the error a Catch moved on from is the real one.
        first = caught[0]
        return f"{first.error} in {first.name}: {_cause_text(first.cause)}".rstrip(": ")
    for event in reversed(history):
        details = event.get("executionFailedEventDetails")
        if details:
            return f"{details.get('error', '')}: {details.get('cause', '')}".strip(": ")
    return None


def _objective(tuning: Mapping[str, Any] | None, result: Mapping[str, Any]) -> dict[str, str]:
    config = ((tuning or {}).get("HyperParameterTuningJobConfig") or {}).get("HyperParameterTuningJobObjective") or {}
    best = result.get("best_training_job") or {}
    return {"metric": str(config.get("MetricName") or best.get("objective_metric") or ""),
            "type": str(config.get("Type") or best.get("objective_type") or "Maximize")}


def _cause_text(cause: Any) -> str:
    """A Lambda error's cause is JSON with errorMessage; show the message."""
    if not cause:
        return ""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        parsed = json.loads(cause)
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            return str(parsed["errorMessage"])
    return str(cause)


def _pretty(text: str | None) -> str | None:
    if text is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        text = json.dumps(json.loads(text), indent=2, sort_keys=True)
    return text[:MAX_TEXT] + ("\n… (truncated)" if len(text) > MAX_TEXT else "")


def _short(text: str | None, limit: int = 160) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _finite(value: Any) -> bool:
    return _number(value) is not None


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return str(value) if value else None


def _duration(start: Any, stop: Any) -> float | None:
    if not isinstance(start, dt.datetime):
        return None
    end = stop if isinstance(stop, dt.datetime) else dt.datetime.now(start.tzinfo or dt.UTC)
    return round((end - start).total_seconds(), 1)
