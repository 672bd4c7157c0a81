"""The local cloud end to end: every run goes S3 → EventBridge → the state machine → real training.

Specs live in tests/data/specs/e2e/lc-*.yaml; each test uploads under its own key (the run id derives
from it) and, where an endpoint matters, its own endpoint name.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.controller_helpers import job_log_lines, training_jobs
from tests.waiting import wait_for
from tunepilot_local.sagemaker.aws import split_s3_uri

SPECS = ROOT / "tests" / "data" / "specs" / "e2e"
DEMO = ROOT / "examples" / "xgboost-breast-cancer.yaml"


pytestmark = pytest.mark.e2e


# -- helpers ----------------------------------------------------------------------------------------
def spec_bytes(path: Path, **overrides: Any) -> bytes:
    """The spec at ``path`` with top-level keys replaced (nested dicts merged one level deep; None deletes), as JSON.

    JSON rather than yaml.safe_dump: once samcli is imported, SafeLoader yields OrderedDicts, which
    safe_dump refuses; JSON is a spec format too.
    """
    document = yaml.safe_load(path.read_text())
    for key, value in overrides.items():
        if value is None:
            document.pop(key, None)
        elif isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return json.dumps(document).encode()




def tuning_job(cloud: Any, name: str) -> dict[str, Any]:
    return dict(cloud.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))


def s3_object(cloud: Any, uri: str) -> dict[str, Any]:
    bucket, key = split_s3_uri(uri)
    return dict(cloud.client("s3").head_object(Bucket=bucket, Key=key))


def assert_succeeded(summary: Any) -> None:
    assert summary.succeeded, f"run {summary.run_id} ended {summary.status}: {summary.error}; alerts {summary.alerts}"


# -- the demo: Bayesian, deploy, prediction ---------------------------------------------------------
SUMMARY_KEYS = {
    "status", "execution_arn", "error", "tuning_job_name", "training_jobs", "best_training_job", "objective_value",
    "baseline_value", "deployed", "endpoint_name", "spend_usd", "stop_reason", "alerts", "state_transitions",
    "wall_seconds", "training_seconds", "controller_seconds", "lambda_invocations",
}


def test_demo_spec_trains_deploys_and_serves(local_cloud):
    delivered_before = len(local_cloud.delivery.delivered)
    body = spec_bytes(DEMO, deploy={"endpoint_name": "lc-demo-endpoint"})
    summary = local_cloud.run_spec(body, key="specs/lc-demo.yaml", timeout=300)
    assert_succeeded(summary)

    assert not SUMMARY_KEYS - set(summary.to_json()), SUMMARY_KEYS - set(summary.to_json())
    assert summary.training_jobs >= 12
    assert 0.9 < summary.objective_value <= 1.0, summary.best_training_job
    assert summary.baseline_value == 0.95 and summary.deployed is True
    assert summary.endpoint_name == "lc-demo-endpoint"
    # No polling: the number of states entered does not grow with the number of training jobs.
    assert 5 <= summary.state_transitions <= 15, summary.states_visited

    tuning = tuning_job(local_cloud, summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobStatus"] == "Completed"
    assert tuning["BestTrainingJob"]["TrainingJobName"] == summary.best_training_job["name"]
    jobs = training_jobs(local_cloud, summary.tuning_job_name)
    assert len(jobs) == summary.training_jobs
    for job in jobs:
        assert job["BillableTimeInSeconds"] >= 1, job["TrainingJobName"]
        if job["TrainingJobStatus"] == "Completed":
            metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
            assert 0.5 < metrics["validation:auc"] <= 1.0, (job["TrainingJobName"], metrics)
    model = summary.best_training_job["model_artifact"]
    assert model.endswith("/model.tar.gz")
    assert s3_object(local_cloud, model)["ContentLength"] > 0

    # The container's lines as CloudWatch stores them: tabs escaped as #011.
    messages = job_log_lines(local_cloud, summary.best_training_job["name"])
    assert any(re.match(r"\[\d+\]#011train-auc:[0-9.]+#011validation-auc:[0-9.]+", m) for m in messages), messages[:5]

    # SageMaker's own events drove the run: training job, tuning job and endpoint state changes were delivered.
    rules = {rule for rule, _ in local_cloud.delivery.delivered[delivered_before:]}
    assert any("TrainingJob" in rule for rule in rules), rules
    assert any("TuningJobEnded" in rule for rule in rules), rules
    assert any("Endpoint" in rule for rule in rules), rules

    endpoint = local_cloud.client("sagemaker").describe_endpoint(EndpointName="lc-demo-endpoint")
    assert endpoint["EndpointStatus"] == "InService"
    from tunepilot_local.seed import breast_cancer_csv

    rows = breast_cancer_csv("validation").decode().splitlines()[:4]
    reply = local_cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="lc-demo-endpoint", ContentType="text/csv",
        Body="\n".join(row.split(",", 1)[1] for row in rows).encode())
    scores = [float(x) for x in reply["Body"].read().decode().split()]
    labels = [float(row.split(",", 1)[0]) for row in rows]
    assert len(scores) == 4 and all(0.0 <= s <= 1.0 for s in scores)
    assert [round(s) for s in scores] == labels, (scores, labels)  # a tuned AUC ~0.99 model gets these right
    assert summary.sample_prediction and summary.sample_prediction["rows"] == 3


# -- an invalid spec --------------------------------------------------------------------------------
def test_invalid_spec_fails_with_a_report_and_an_alert_naming_the_field(local_cloud):
    key = "specs/lc-invalid.yaml"
    body = (SPECS / "lc-invalid.yaml").read_bytes()
    summary = local_cloud.run_spec(body, key=key, timeout=120)

    assert summary.status == "FAILED"
    assert "SpecInvalid" in (summary.error or ""), summary.error
    assert summary.tuning_job_name is None or not summary.training_jobs
    assert "StartTuning" not in summary.states_visited, summary.states_visited
    alerts = [a for a in summary.alerts if "hyperparameters.ranges.eta.min" in a["message"]]
    assert alerts, summary.alerts
    assert "SpecInvalid" in alerts[0]["subject"] + alerts[0]["message"], alerts[0]

    s3 = local_cloud.client("s3")
    report = json.loads(s3.get_object(Bucket=local_cloud.bucket,
                                      Key=f"runs/{summary.run_id}/validation.json")["Body"].read())
    assert report["valid"] is False
    assert any(e["path"] == "hyperparameters.ranges.eta.min" for e in report["errors"]), report["errors"]
    # TunePilot never rewrites or deletes what the user dropped.
    assert s3.get_object(Bucket=local_cloud.bucket, Key=key)["Body"].read() == body


# -- each strategy ----------------------------------------------------------------------------------
def test_random_search_runs_its_max_jobs(local_cloud):
    summary = local_cloud.run_spec((SPECS / "lc-random.yaml").read_bytes(), key="specs/lc-random.yaml", timeout=180)
    assert_succeeded(summary)
    tuning = tuning_job(local_cloud, summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobConfig"]["Strategy"] == "Random"
    assert summary.training_jobs == 3 == tuning["TrainingJobStatusCounters"]["Completed"]
    assert summary.deployed is False and 0.9 < summary.objective_value <= 1.0


def test_grid_search_runs_every_combination_once(local_cloud):
    summary = local_cloud.run_spec((SPECS / "lc-grid.yaml").read_bytes(), key="specs/lc-grid.yaml", timeout=180)
    assert_succeeded(summary)
    tuning = tuning_job(local_cloud, summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobConfig"]["Strategy"] == "Grid"
    combinations = {
        (job["HyperParameters"]["max_depth"].strip('"'), job["HyperParameters"]["eta"].strip('"'))
        for job in training_jobs(local_cloud, summary.tuning_job_name)
    }
    assert summary.training_jobs == 6
    assert combinations == {(d, e) for d in ("2", "4") for e in ("0.1", "0.3", "0.5")}


def test_hyperband_runs_kept_jobs_to_max_resource(local_cloud):
    summary = local_cloud.run_spec((SPECS / "lc-hyperband.yaml").read_bytes(), key="specs/lc-hyperband.yaml",
                                   timeout=240)
    assert_succeeded(summary)
    tuning = tuning_job(local_cloud, summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobConfig"]["Strategy"] == "Hyperband"
    assert summary.training_jobs == 6
    assert summary.result["best_training_job"]["objective_metric"] == "validation:loss"
    assert 0.0 < summary.objective_value < 1.0
    epochs = [sum(1 for m in job_log_lines(local_cloud, job["TrainingJobName"]) if "validation_loss=" in m)
              for job in training_jobs(local_cloud, summary.tuning_job_name)]
    statuses = [job["TrainingJobStatus"] for job in training_jobs(local_cloud, summary.tuning_job_name)]
    assert all(n >= 1 for n in epochs), epochs  # min_resource: every job gets at least one epoch
    # Hyperband cut 1-3 of the 6 jobs in most runs measured, none in one: which ones depends on how far a
    # job got before the pruner's verdict landed, so only the shape is asserted: a job Hyperband cut
    # stopped short of max_resource (9 epochs), and a job it kept ran all of them.
    assert all(n < 9 for s, n in zip(statuses, epochs, strict=True) if s == "Stopped"), (statuses, epochs)
    assert all(n == 9 for s, n in zip(statuses, epochs, strict=True) if s == "Completed"), (statuses, epochs)


# -- early stopping ---------------------------------------------------------------------------------
def test_early_stopping_auto_stops_a_trailing_job(local_cloud):
    summary = local_cloud.run_spec((SPECS / "lc-early-stopping.yaml").read_bytes(),
                                   key="specs/lc-early-stopping.yaml", timeout=240)
    assert_succeeded(summary)
    tuning = tuning_job(local_cloud, summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"
    jobs = training_jobs(local_cloud, summary.tuning_job_name)
    stopped = [job for job in jobs if job["TrainingJobStatus"] == "Stopped"]
    assert stopped, [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in jobs]
    assert tuning["TrainingJobStatusCounters"]["Stopped"] == len(stopped)
    # The median rule waits for 3 finished jobs: the first three always run to the end.
    first_three = sorted(jobs, key=lambda j: j["CreationTime"])[:3]
    assert all(j["TrainingJobStatus"] == "Completed" for j in first_three)
    assert summary.best_training_job["name"] not in {j["TrainingJobName"] for j in stopped}


# -- a stop by the user ------------------------------------------------------------------------------
def test_user_stop_mid_run_ends_stopped_and_still_picks_the_best_completed_job(local_cloud):
    sagemaker = local_cloud.client("sagemaker")

    def one_done_one_running() -> str | None:
        for listed in sagemaker.list_hyper_parameter_tuning_jobs(NameContains="tp-lc-user-stop-")[
                "HyperParameterTuningJobSummaries"]:
            counters = listed["TrainingJobStatusCounters"]
            if (listed["HyperParameterTuningJobStatus"] == "InProgress" and counters.get("Completed", 0) >= 1
                    and counters.get("InProgress", 0) >= 1):
                return str(listed["HyperParameterTuningJobName"])
        return None

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(local_cloud.run_spec, (SPECS / "lc-user-stop.yaml").read_bytes(),
                              key="specs/lc-user-stop.yaml", timeout=240)
        name = wait_for("a completed training job and a running one in tp-lc-user-stop-*", one_done_one_running,
                        timeout=120, interval=0.1)
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)  # what a user would do
        summary = running.result(timeout=300)

    assert_succeeded(summary)
    assert summary.tuning_job_name == name
    tuning = tuning_job(local_cloud, name)
    assert tuning["HyperParameterTuningJobStatus"] == "Stopped"
    jobs = training_jobs(local_cloud, name)
    statuses = {job["TrainingJobName"]: job["TrainingJobStatus"] for job in jobs}
    assert len(jobs) < 6, statuses  # the stop came before the tuner launched them all
    assert "Stopped" in statuses.values() and set(statuses.values()) <= {"Completed", "Stopped"}, statuses
    assert statuses[summary.best_training_job["name"]] in ("Completed", "Stopped")
    completed = [j for j in jobs if j["TrainingJobStatus"] == "Completed"]
    best_completed = max(j["FinalMetricDataList"][-1]["Value"] for j in completed if j["FinalMetricDataList"])
    assert summary.objective_value >= best_completed
    # The stopped job's process group is gone: the platform keeps no live training process of this run.
    if local_cloud.platform is not None:
        leftover = wait_for("no training process of the stopped run", lambda: not any(
            job_name.startswith(name) for job_name in local_cloud.platform.processes.values()) or None, timeout=15)
        assert leftover


# -- script mode ------------------------------------------------------------------------------------
def test_script_mode_example_trains_with_the_spec_regexes(local_cloud):
    # examples/script-mode-pytorch.yaml made small. Deploy is off: train.py saves a pickled scikit-learn
    # model, and the local endpoint serves XGBoost boosters only (tunepilot_local/sagemaker/README.md).
    example = ROOT / "examples" / "script-mode-pytorch.yaml"
    body = spec_bytes(example, limits={"max_jobs": 3}, hyperparameters={
        "ranges": {**yaml.safe_load(example.read_text())["hyperparameters"]["ranges"],
                   "learning_rate": {"type": "continuous", "min": 0.01, "max": 0.1}},  # learns in 3 epochs
        "static": {"epochs": 3, "batch_size": 32}}, completion_criteria=None, deploy={"enabled": False},
        baseline=None)
    summary = local_cloud.run_spec(body, key="specs/lc-script-mode.yaml", timeout=240)
    assert_succeeded(summary)
    assert summary.training_jobs == 3 and summary.deployed is False
    assert 0.8 < summary.objective_value <= 1.0
    best = next(j for j in training_jobs(local_cloud, summary.tuning_job_name)
                if j["TrainingJobName"] == summary.best_training_job["name"])
    assert best["HyperParameters"]["sagemaker_program"].strip('"') == "train.py"
    metrics = {m["MetricName"] for m in best["FinalMetricDataList"]}
    assert metrics == {"validation:accuracy", "validation:loss", "train:loss"}, metrics
    messages = job_log_lines(local_cloud, best["TrainingJobName"])
    assert sum("validation_accuracy=" in m for m in messages) == 3, messages[-5:]
    assert s3_object(local_cloud, best["ModelArtifacts"]["S3ModelArtifacts"])["ContentLength"] > 0
