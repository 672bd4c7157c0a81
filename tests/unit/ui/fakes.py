"""A RunSource held in memory, built from recorded execution histories (tests/data/histories).

``fake_source()`` is the fixture ``source`` of tests/unit/ui and tests/integration/ui (each conftest wraps it)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from tunepilot_ui.source import InvokeNotAllowed, RunSource

HISTORIES = Path(__file__).resolve().parents[2] / "data" / "histories"
BUCKET = "tunepilot-specbucket-wnfqxvt4rdrk"
HOSTILE_KEY = "specs/x-<img src=x onerror=alert(1)>.yaml"
HOSTILE_VALUE = "<img src=x onerror=alert(2)>"
HOSTILE_LOG = "hyperparameters: {\"note\": \"<script>alert(3)</script>\"}"


def history(name: str) -> list[dict[str, Any]]:
    return json.loads((HISTORIES / f"{name}.json").read_text())


def definition() -> str:
    return (HISTORIES / "definition.json").read_text()


def with_key(events: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The same history as if the spec had been uploaded under ``key``."""
    events = copy.deepcopy(events)
    started = events[0]["executionStartedEventDetails"]
    document = json.loads(started["input"])
    document["detail"]["object"]["key"] = key
    started["input"] = json.dumps(document)
    return events


class FakeSource(RunSource):
    label = "fake"
    bucket = BUCKET
    state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:tunepilot"

    def __init__(self, *, invoke_allowed: bool = True, alerts: list[dict[str, str]] | None = None) -> None:
        self.runs: dict[str, dict[str, Any]] = {}  # execution arn -> {history, status, start}
        self.items: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, bytes] = {}
        self.tunings: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        self.logs: dict[str, list[str]] = {}
        self._alerts = alerts
        self._invoke_allowed = invoke_allowed
        self.invoked: list[tuple[str, str]] = []
        self.alerts_note = "" if alerts is not None else "SNS cannot be read back"

    def add(self, arn: str, events: list[dict[str, Any]], status: str) -> None:
        self.runs[arn] = {"history": events, "status": status,
                          "start": dt.datetime(2026, 1, 1, 12, 0, len(self.runs), tzinfo=dt.UTC)}

    def definition(self) -> str:
        return definition()

    def executions(self) -> list[dict[str, Any]]:
        return [{"executionArn": arn, "name": arn.rsplit(":", 1)[-1], "status": run["status"],
                 "startDate": run["start"]} for arn, run in self.runs.items()]

    def execution(self, arn: str) -> dict[str, Any]:
        run = self.runs[arn]
        return {"executionArn": arn, "status": run["status"],
                "input": run["history"][0]["executionStartedEventDetails"]["input"]}

    def history(self, arn: str) -> list[dict[str, Any]]:
        return self.runs[arn]["history"]

    def run(self, run_id: str) -> dict[str, Any] | None:
        return self.items.get(run_id)

    def object(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def list_objects(self, prefix: str) -> list[dict[str, Any]]:
        return [{"Key": k, "Size": len(v)} for k, v in sorted(self.objects.items()) if k.startswith(prefix)]

    def tuning_job(self, name: str) -> dict[str, Any] | None:
        return self.tunings.get(name)

    def training_jobs(self, tuning_job_name: str) -> list[dict[str, Any]]:
        return self.jobs.get(tuning_job_name, [])

    def training_job(self, name: str) -> dict[str, Any] | None:
        for jobs in self.jobs.values():
            for job in jobs:
                if job["TrainingJobName"] == name:
                    return {**job, "BillableTimeInSeconds": job.get("_billable", 10)}
        return None

    def log_tail(self, training_job: str, lines: int) -> list[str]:
        return self.logs.get(training_job, [])[-lines:]

    def endpoint(self, name: str) -> dict[str, Any] | None:
        return {"EndpointName": name, "EndpointStatus": "InService"}

    def alerts(self) -> list[dict[str, str]] | None:
        return self._alerts

    @property
    def invoke_allowed(self) -> bool:
        return self._invoke_allowed

    def invoke(self, endpoint_name: str, csv_rows: str) -> str:
        if not self._invoke_allowed:
            raise InvokeNotAllowed("off")
        self.invoked.append((endpoint_name, csv_rows))
        return "0.25\n0.75"


def job(name: str, status: str, objective: float | None, minute: int, **hyperparameters: str) -> dict[str, Any]:
    started = dt.datetime(2026, 1, 1, 12, minute, tzinfo=dt.UTC)
    summary: dict[str, Any] = {"TrainingJobName": name, "TrainingJobStatus": status, "CreationTime": started,
                               "TrainingStartTime": started, "TunedHyperParameters": hyperparameters}
    if status != "InProgress":
        summary["TrainingEndTime"] = started + dt.timedelta(seconds=30)
    if objective is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": "validation:auc", "Value": objective}
    if status == "Failed":
        summary["FailureReason"] = f"AlgorithmError: {HOSTILE_VALUE}"
    return summary


def fake_source() -> FakeSource:
    """One finished run (succeeded.json) with 3 jobs, artifacts and alerts; one invalid run under a hostile key."""
    from tunepilot_ui.api import RunPageApi

    fake = FakeSource(alerts=[
        {"subject": "TunePilot rec-ok-86ad09853a0c: not deployed", "message": f"best job ... {HOSTILE_LOG}"},
        {"subject": "TunePilot another-run-000000000000: failed", "message": "not this run"},
    ])
    fake.add("arn:aws:states:us-east-1:123456789012:execution:tunepilot:ok", history("succeeded"), "SUCCEEDED")
    fake.add("arn:aws:states:us-east-1:123456789012:execution:tunepilot:bad",
             with_key(history("invalid"), HOSTILE_KEY), "FAILED")
    ok_arn = "arn:aws:states:us-east-1:123456789012:execution:tunepilot:ok"
    run_id = RunPageApi(fake).identify({"executionArn": ok_arn})[0]
    assert run_id == "rec-ok-86ad09853a0c"
    fake.items[run_id] = {"run_id": run_id, "tuning_job_name": "tp-rec-ok-86ad0985", "spend_usd": 0.00021,
                          "max_cost_usd": 1.5, "usd_per_hour": 0.115, "instance_count": 1}
    fake.tunings["tp-rec-ok-86ad0985"] = {
        "HyperParameterTuningJobStatus": "Completed",
        "HyperParameterTuningJobConfig": {
            "HyperParameterTuningJobObjective": {"MetricName": "validation:auc", "Type": "Maximize"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4}},
        "TrainingJobStatusCounters": {"Completed": 3, "NonRetryableError": 1},
        "BestTrainingJob": {"FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:auc",
                                                                             "Value": 0.97}}}
    fake.jobs["tp-rec-ok-86ad0985"] = [
        job("tp-rec-ok-86ad0985-001", "Completed", 0.95, 1, eta="0.2", booster=HOSTILE_VALUE),
        job("tp-rec-ok-86ad0985-002", "Completed", 0.93, 2, eta="0.3", booster="gbtree"),
        job("tp-rec-ok-86ad0985-003", "Failed", None, 3, eta="0.4", booster="dart"),
        job("tp-rec-ok-86ad0985-004", "Completed", 0.97, 4, eta="0.1", booster="gbtree"),
    ]
    fake.logs["tp-rec-ok-86ad0985-001"] = ["Arguments: train", HOSTILE_LOG]
    fake.objects[f"runs/{run_id}/result.json"] = json.dumps({
        "run_id": run_id, "tuning_job_name": "tp-rec-ok-86ad0985", "spend_usd": 0.00021, "max_cost_usd": 1.5,
        "stop_reason": None, "deployed": True, "endpoint_name": "xgb-ep",
        "best_training_job": {"name": "tp-rec-ok-86ad0985-004", "objective_value": 0.97,
                              "objective_metric": "validation:auc"}}).encode()
    fake.objects[f"runs/{run_id}/analysis.json"] = json.dumps({
        "convergence": {"verdict": "converged", "converged": True, "jobs_since_last_improvement": 0,
                        "best_so_far": [[0, 0.95], [3, 0.97]]},
        "importance": {"method": "PED-ANOVA", "meaningful": False, "values": [{"name": "eta", "importance": 1.0}]},
        "recommendations": [f"Try {HOSTILE_VALUE}"], "boundaries": []}).encode()
    fake.objects[f"runs/{run_id}/report.html"] = b"<html><body>report</body></html>"
    fake.objects[f"runs/{run_id}/next-spec.yaml"] = b"name: next  # <b>why</b>\n"
    return fake
