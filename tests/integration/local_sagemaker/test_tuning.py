"""Tuning jobs on the local SageMaker: real XGBoost training driven by optuna, through boto3 and HTTP."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest

from tests.integration.local_sagemaker.helpers import (
    TIME_SCALE,
    script_definition,
    tuning_config,
    wait_for,
    xgboost_definition,
)

TERMINAL = {"Completed", "Failed", "Stopped"}


def run_tuning(sm: Any, name: str, config: dict[str, Any], definition: dict[str, Any], timeout: float = 60,
               **extra: Any) -> dict[str, Any]:
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config,
                                         TrainingJobDefinition=definition, **extra)
    return wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
                    "HyperParameterTuningJobStatus", TERMINAL, timeout)


def training_jobs(sm: Any, tuning: str, **kwargs: Any) -> list[dict[str, Any]]:
    return sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning, **kwargs)[
        "TrainingJobSummaries"
    ]


@pytest.fixture(scope="module")
def bayesian(aws, dataset, platform, sagemaker_events) -> dict[str, Any]:
    """One Bayesian tuning job with 4 jobs, shared by the tests that inspect its results."""
    sm = aws("sagemaker")
    started = time.monotonic()
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="bayes-4", HyperParameterTuningJobConfig=tuning_config("Bayesian", jobs=4),
        TrainingJobDefinition=xgboost_definition(), Tags=[{"Key": "project", "Value": "tunepilot"}],
    )
    first = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="bayes-4")
    done = wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="bayes-4"),
                    "HyperParameterTuningJobStatus", TERMINAL)
    assert platform.wait_idle(30)
    return {"first": first, "done": done, "seconds": time.monotonic() - started}


def test_bayesian_tuning_job_completes_with_a_real_best_job(aws, bayesian):
    sm = aws("sagemaker")
    assert bayesian["first"]["HyperParameterTuningJobStatus"] == "InProgress"
    done = bayesian["done"]
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"]["Completed"] == 4
    assert done["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    best = done["BestTrainingJob"]
    assert best["TrainingJobName"].startswith("bayes-4-")
    assert best["ObjectiveStatus"] == "Succeeded"
    assert set(best["TunedHyperParameters"]) == {"eta", "max_depth"}
    objective = best["FinalHyperParameterTuningJobObjectiveMetric"]
    assert objective["MetricName"] == "validation:auc" and 0.9 < objective["Value"] <= 1.0
    jobs = training_jobs(sm, "bayes-4", SortBy="FinalObjectiveMetricValue", SortOrder="Descending")
    assert len(jobs) == 4
    assert jobs[0]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == objective["Value"]

    job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:auc"] == objective["Value"] and "train:auc" in metrics
    assert job["TuningJobArn"] == done["HyperParameterTuningJobArn"]
    assert job["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"/output/{best['TrainingJobName']}/output/model.tar.gz")
    # time_scale stretches billed time: even a sub-second job bills at least TIME_SCALE times its runtime, at least 1 s.
    assert job["BillableTimeInSeconds"] >= 1 and job["TrainingTimeInSeconds"] == job["BillableTimeInSeconds"]
    assert job["TrainingStartTime"] <= job["TrainingEndTime"]
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]


def test_training_jobs_are_named_like_amt_and_listed(aws, bayesian):
    sm = aws("sagemaker")
    names = sorted(j["TrainingJobName"] for j in training_jobs(sm, "bayes-4", SortBy="Name", SortOrder="Ascending"))
    assert [n.rsplit("-", 2)[1] for n in names] == ["001", "002", "003", "004"]
    assert all(len(n.rsplit("-", 1)[1]) == 8 for n in names)
    listed = {j["TrainingJobName"] for j in sm.list_training_jobs(NameContains="bayes-4-")["TrainingJobSummaries"]}
    assert listed == set(names)
    page = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="bayes-4", MaxResults=3)
    rest = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName="bayes-4", MaxResults=3,
                                                                NextToken=page["NextToken"])
    assert len(page["TrainingJobSummaries"]) == 3 and len(rest["TrainingJobSummaries"]) == 1
    assert training_jobs(sm, "bayes-4", StatusEquals="Failed") == []


def test_logs_stream_per_job_with_escaped_tabs(aws, bayesian):
    logs = aws("logs")
    job = bayesian["done"]["BestTrainingJob"]["TrainingJobName"]
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{job}/")
    (stream,) = streams["logStreams"]
    assert stream["logStreamName"].startswith(f"{job}/algo-1-")
    messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                          logStreamName=stream["logStreamName"])["events"]]
    rounds = [m for m in messages if re.match(r"\[[0-9]+\]#011", m)]
    assert len(rounds) == 20
    assert rounds[0].startswith("[0]#011train-auc:") and "#011validation-auc:" in rounds[0]
    assert "\t" not in "".join(messages)


def test_events_for_every_status_change(aws, bayesian, sagemaker_events):
    received = sagemaker_events()
    tuning = [e for e in received if e["detail-type"] == "SageMaker HyperParameter Tuning Job State Change"
              and e["detail"]["HyperParameterTuningJobName"] == "bayes-4"]
    assert [e["detail"]["HyperParameterTuningJobStatus"] for e in tuning] == ["InProgress", "Completed"]
    assert tuning[-1]["resources"] == [bayesian["done"]["HyperParameterTuningJobArn"]]
    assert tuning[-1]["detail"]["BestTrainingJob"]["TrainingJobName"] == bayesian["done"]["BestTrainingJob"][
        "TrainingJobName"]
    assert tuning[-1]["detail"]["Tags"] == {"project": "tunepilot"}
    training = [e for e in received if e["detail-type"] == "SageMaker Training Job State Change"
                and e["detail"]["TrainingJobName"].startswith("bayes-4-")]
    by_job: dict[str, list[str]] = {}
    for event in training:
        by_job.setdefault(event["detail"]["TrainingJobName"], []).append(event["detail"]["TrainingJobStatus"])
    assert len(by_job) == 4 and all(statuses == ["InProgress", "Completed"] for statuses in by_job.values())
    completed = next(e for e in training if e["detail"]["TrainingJobStatus"] == "Completed")
    assert completed["source"] == "aws.sagemaker"
    assert completed["detail"]["BillableTimeInSeconds"] >= 1


@pytest.mark.parametrize(
    ("strategy", "extra", "jobs"),
    [
        ("Random", {}, 3),
        ("Grid", {"ParameterRanges": {"CategoricalParameterRanges": [
            {"Name": "max_depth", "Values": ["2", "4"]}, {"Name": "eta", "Values": ["0.1", "0.3"]}]}}, 4),
        ("Hyperband", {"StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 2, "MaxResource": 20}}}, 4),
    ],
    ids=["random", "grid-all-combinations", "hyperband"],
)
def test_strategies_complete_with_a_best_job(aws, dataset, platform, strategy, extra, jobs):
    sm = aws("sagemaker")
    name = f"strategy-{strategy.lower()}"
    ranges = extra.pop("ParameterRanges", None)
    config = tuning_config(strategy, jobs=jobs if strategy != "Grid" else 10, ranges=ranges, **extra)
    done = run_tuning(sm, name, config, xgboost_definition())
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["BestTrainingJob"]["ObjectiveStatus"] == "Succeeded"
    listed = training_jobs(sm, name)
    assert len(listed) == jobs
    if strategy == "Grid":  # every combination exactly once, though MaxNumberOfTrainingJobs allows 10
        combos = {(j["TunedHyperParameters"]["max_depth"], j["TunedHyperParameters"]["eta"]) for j in listed}
        assert combos == {("2", "0.1"), ("2", "0.3"), ("4", "0.1"), ("4", "0.3")}


def test_early_stopping_auto_stops_a_bad_job_which_still_counts(aws, dataset, platform):
    sm = aws("sagemaker")
    ranges = {"ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.0005", "MaxValue": "0.6", "ScalingType": "Logarithmic"}]}
    config = tuning_config("Random", jobs=8, parallel=1, metric="validation:logloss", maximize=False, ranges=ranges,
                           TrainingJobEarlyStoppingType="Auto")
    definition = xgboost_definition({"eval_metric": "logloss"}, metric="validation:logloss", maximize=False)
    done = run_tuning(sm, "early-stop", config, definition)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    stopped = training_jobs(sm, "early-stop", StatusEquals="Stopped")
    assert stopped, "the median rule stopped no job"
    job = sm.describe_training_job(TrainingJobName=stopped[0]["TrainingJobName"])
    assert job["SecondaryStatus"] == "Stopped"
    assert stopped[0]["ObjectiveStatus"] == "Succeeded"  # an early-stopped job counts with its last objective
    assert any(m["MetricName"] == "validation:logloss" for m in job["FinalMetricDataList"])
    assert done["TrainingJobStatusCounters"]["Stopped"] == len(stopped)
    assert done["ObjectiveStatusCounters"]["Succeeded"] == 8


def test_stop_tuning_job_mid_run_kills_training_processes(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "200", "sleep": "0.1"})
    definition["TuningObjective"] = {"Type": "Minimize", "MetricName": "validation:loss"}
    config = tuning_config("Random", jobs=4, parallel=2, metric="validation:loss", maximize=False)
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName="stop-me", HyperParameterTuningJobConfig=config,
                                         TrainingJobDefinition=definition)
    def running() -> list[int]:
        return [pid for pid, job in dict(platform.processes).items() if job.startswith("stop-me-")]

    def epochs_logged() -> int:
        return sum(len(run.objective_values) for name, run in dict(platform.trainings).items()
                   if name.startswith("stop-me-"))

    wait_for(lambda: {"busy": len(running()) == 2 and epochs_logged() > 0}, "busy", {True}, timeout=30)
    pids = running()
    assert pids
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="stop-me")
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="stop-me")[
        "HyperParameterTuningJobStatus"] in {"Stopping", "Stopped"}
    done = wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="stop-me"),
                    "HyperParameterTuningJobStatus", {"Stopped"}, timeout=30)
    assert done["TrainingJobStatusCounters"]["InProgress"] == 0
    assert {j["TrainingJobStatus"] for j in training_jobs(sm, "stop-me")} <= {"Stopped", "Completed"}
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert running() == []
    assert "BestTrainingJob" in done  # a stopped tuning job still reports its best job


def test_training_job_over_max_runtime_is_stopped(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "200", "sleep": "0.1"}, max_runtime=120)
    sm.create_training_job(TrainingJobName="too-slow", HyperParameters=definition["StaticHyperParameters"],
                           AlgorithmSpecification=definition["AlgorithmSpecification"], RoleArn=definition["RoleArn"],
                           InputDataConfig=definition["InputDataConfig"],
                           OutputDataConfig=definition["OutputDataConfig"],
                           ResourceConfig=definition["ResourceConfig"],
                           StoppingCondition=definition["StoppingCondition"])
    job = wait_for(lambda: sm.describe_training_job(TrainingJobName="too-slow"), "TrainingJobStatus", TERMINAL, 30)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert job["BillableTimeInSeconds"] >= 120  # 2 s of wall time at time_scale 60
    assert TIME_SCALE == 60


def test_script_mode_job_uses_sagemaker_env_and_custom_metrics(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "5"})
    definition["TuningObjective"] = {"Type": "Minimize", "MetricName": "validation:loss"}
    ranges = {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}]}
    config = tuning_config("Random", jobs=2, metric="validation:loss", maximize=False, ranges=ranges)
    done = run_tuning(sm, "script-mode", config, definition)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    best = done["BestTrainingJob"]
    assert 0 < best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] < 0.7
    logs = aws("logs")
    stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                       logStreamNamePrefix=f"{best['TrainingJobName']}/")["logStreams"][0]
    messages = [e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                          logStreamName=stream["logStreamName"])["events"]]
    assert messages[0].startswith("host=algo-1 hps=")
    assert '"epochs": "5"' in messages[0] and '"eta": 0.' in messages[0]  # SM_HPS: JSON-decoded values
    assert messages[1] == messages[1].replace("\t", "") and "#011validation_loss=" in messages[1]


def test_objective_that_never_matches_leaves_no_best_job(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "2"},
                                   metrics=[{"Name": "validation:loss", "Regex": r"val_loss: ([0-9.]+)"}])
    definition["TuningObjective"] = {"Type": "Minimize", "MetricName": "validation:loss"}
    ranges = {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}]}
    config = tuning_config("Random", jobs=2, metric="validation:loss", maximize=False, ranges=ranges)
    done = run_tuning(sm, "no-metric", config, definition)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert "BestTrainingJob" not in done
    assert done["TrainingJobStatusCounters"]["Completed"] == 2
    assert done["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 2}
    assert {j["ObjectiveStatus"] for j in training_jobs(sm, "no-metric")} == {"Failed"}


def test_target_objective_value_ends_tuning_early(aws, dataset, platform):
    sm = aws("sagemaker")
    config = tuning_config("Random", jobs=6, parallel=1,
                           TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 0.5})
    done = run_tuning(sm, "target", config, xgboost_definition())
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"]["Completed"] == 1


def test_warm_start_seeds_the_study_with_parent_jobs(aws, bayesian, platform):
    sm = aws("sagemaker")
    done = run_tuning(sm, "warm", tuning_config("Bayesian", jobs=2), xgboost_definition(),
                      WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "bayes-4"}],
                                       "WarmStartType": "IdenticalDataAndAlgorithm"})
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    study = platform.tunings[done["HyperParameterTuningJobArn"]].study
    assert len(study.trials) == 4 + 2  # the parent's four finished jobs came first


def test_a_failing_algorithm_fails_jobs_and_the_tuning_job(aws, dataset, platform):
    sm = aws("sagemaker")
    definition = xgboost_definition()
    del definition["StaticHyperParameters"]["num_round"]  # the built-in container requires it
    done = run_tuning(sm, "all-fail", tuning_config("Random", jobs=2), definition)
    assert done["HyperParameterTuningJobStatus"] == "Failed"
    assert "num_round" in done["FailureReason"]
    assert done["TrainingJobStatusCounters"]["NonRetryableError"] == 2


def same_result_grid(count: int) -> dict[str, Any]:
    """A grid over xgboost's seed: with no sampling, every job trains the same model (same objective)."""
    return {"CategoricalParameterRanges": [{"Name": "seed", "Values": [str(i) for i in range(count)]}]}


def test_best_objective_not_improving_ends_tuning(aws, dataset, platform):
    sm = aws("sagemaker")
    config = tuning_config("Grid", jobs=8, parallel=1, ranges=same_result_grid(8), TuningJobCompletionCriteria={
        "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 3}})
    done = run_tuning(sm, "not-improving", config, xgboost_definition({"num_round": "5"}))
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"]["Completed"] == 4  # the best, then three that did not beat it
    assert done["TuningJobCompletionDetails"]["NumberOfTrainingJobsObjectiveNotImproving"] == 3


def test_convergence_detection_ends_tuning(aws, dataset, platform):
    sm = aws("sagemaker")
    config = tuning_config("Grid", jobs=16, parallel=2, ranges=same_result_grid(16), TuningJobCompletionCriteria={
        "ConvergenceDetected": {"CompleteOnConvergence": "Enabled"}})
    done = run_tuning(sm, "converged", config, xgboost_definition({"num_round": "5"}))
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert 10 <= done["TrainingJobStatusCounters"]["Completed"] < 16
    assert "ConvergenceDetectedTime" in done["TuningJobCompletionDetails"]


def test_tuning_max_runtime_stops_running_jobs(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "200", "sleep": "0.1"})
    definition["TuningObjective"] = {"Type": "Minimize", "MetricName": "validation:loss"}
    config = tuning_config("Random", jobs=4, parallel=2, metric="validation:loss", maximize=False)
    config["ResourceLimits"]["MaxRuntimeInSeconds"] = 150  # 2.5 s of wall time at time_scale 60
    done = run_tuning(sm, "out-of-time", config, definition, timeout=30)
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"]["Stopped"] == 2
    assert done["ConsumedResources"]["RuntimeInSeconds"] >= 150
    assert {j["TrainingJobStatus"] for j in training_jobs(sm, "out-of-time")} == {"Stopped"}


def test_stop_training_job_api(aws, dataset, platform, script_source):
    sm = aws("sagemaker")
    definition = script_definition(script_source, {"epochs": "200", "sleep": "0.1"})
    sm.create_training_job(TrainingJobName="stop-one", HyperParameters=definition["StaticHyperParameters"],
                           AlgorithmSpecification=definition["AlgorithmSpecification"], RoleArn=definition["RoleArn"],
                           InputDataConfig=definition["InputDataConfig"],
                           OutputDataConfig=definition["OutputDataConfig"],
                           ResourceConfig=definition["ResourceConfig"],
                           StoppingCondition=definition["StoppingCondition"])
    wait_for(lambda: sm.describe_training_job(TrainingJobName="stop-one"), "SecondaryStatus", {"Training"}, 30)
    sm.stop_training_job(TrainingJobName="stop-one")
    job = wait_for(lambda: sm.describe_training_job(TrainingJobName="stop-one"), "TrainingJobStatus", TERMINAL, 30)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert "Stopping" in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    with pytest.raises(sm.exceptions.ClientError, match="Could not find training job"):
        sm.stop_training_job(TrainingJobName="no-such-job")
