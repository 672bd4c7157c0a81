"""The controller end to end (issue 4): every run goes S3 → EventBridge → state machine → handlers → SageMaker.

Faults are injected only at the edges, each one named where it happens: an EventBridge event lost or
delivered twice (``local_cloud.delivery.drop/duplicate/record``), recorded events sent again through
``PutEvents``, and a model the endpoint cannot load.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.controller_helpers import (
    executions_for_key,
    invoke_rows,
    run_item,
    spec_bytes,
    states_entered,
    training_jobs,
    why,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

TUNING_EVENT = "SageMaker HyperParameter Tuning Job State Change"
TRAINING_EVENT = "SageMaker Training Job State Change"
FINISHED = ("Completed", "Stopped", "Failed")
SERVING_ENDPOINT = "e2e-ctl-serving"


def deploying(endpoint_name: str, **overrides):
    return {"deploy": {"enabled": True, "endpoint_name": endpoint_name}, **overrides}


def endpoint_config(cloud, endpoint_name: str) -> str:
    return cloud.client("sagemaker").describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]


def model_tags(cloud, endpoint_name: str) -> dict[str, str]:
    sagemaker = cloud.client("sagemaker")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint_config(cloud, endpoint_name))
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=model["ModelArn"])["Tags"]}


@pytest.fixture(scope="module")
def serving_endpoint(local_cloud):
    """An endpoint serving a real XGBoost model, for the tests that must leave it unchanged."""
    summary = local_cloud.run_spec(spec_bytes("xgb-small", deploying(SERVING_ENDPOINT)),
                                   key="specs/e2e-ctl-serving.yaml", timeout=240)
    assert summary.succeeded and summary.deployed, why(summary)
    return summary


def test_second_run_updates_the_endpoint_against_the_serving_models_tags(local_cloud):
    key, endpoint = "specs/e2e-ctl-update.yaml", "e2e-ctl-update"
    # Run 1: a weak model (1 boosting round) creates the endpoint: nothing serves yet, so no baseline.
    weak = deploying(endpoint, baseline={"endpoint": True}, hyperparameters={"static": {"num_round": 1}})
    first = local_cloud.run_spec(spec_bytes("xgb-small", weak), key=key, timeout=240)
    assert first.succeeded and first.deployed, why(first)
    assert first.result["baseline"] == {"source": "endpoint", "value": None}
    first_config = endpoint_config(local_cloud, endpoint)
    assert model_tags(local_cloud, endpoint)["tunepilot:run-id"] == first.run_id

    # Run 2: a new version of the same key (a new run id) with 20 rounds beats the serving model's tag.
    strong = deploying(endpoint, baseline={"endpoint": True}, hyperparameters={"static": {"num_round": 20}})
    second = local_cloud.run_spec(spec_bytes("xgb-small", strong), key=key, timeout=240)
    assert second.succeeded and second.deployed, why(second)
    assert second.run_id != first.run_id
    assert second.result["baseline"]["source"] == "endpoint"
    assert second.baseline_value == pytest.approx(first.objective_value)  # read from run 1's model tags
    assert second.objective_value > first.objective_value
    assert endpoint_config(local_cloud, endpoint) != first_config
    tags = model_tags(local_cloud, endpoint)
    assert tags["tunepilot:run-id"] == second.run_id
    assert float(tags["tunepilot:objective-value"]) == pytest.approx(second.objective_value)
    assert len(invoke_rows(local_cloud, endpoint)) == 3

    # Run 3: the same content under a new key ties with what serves: a tie replaces nothing.
    third = local_cloud.run_spec(spec_bytes("xgb-small", strong), key="specs/e2e-ctl-update-again.yaml",
                                 timeout=240)
    assert third.succeeded and third.deployed is False, why(third)
    assert third.baseline_value == pytest.approx(second.objective_value)
    assert model_tags(local_cloud, endpoint)["tunepilot:run-id"] == second.run_id


def test_no_improvement_deploys_nothing_and_explains_with_numbers(local_cloud, serving_endpoint):
    config_before = endpoint_config(local_cloud, SERVING_ENDPOINT)
    # AUC cannot beat 1.0, so no model can pass this baseline.
    summary = local_cloud.run_spec(
        spec_bytes("xgb-small", deploying(SERVING_ENDPOINT, baseline={"value": 1.0})),
        key="specs/e2e-ctl-no-improvement.yaml", timeout=240)
    assert summary.succeeded and summary.deployed is False, why(summary)
    assert "Deploy" not in summary.states_visited
    assert summary.result["baseline"] == {"source": "value", "value": 1.0}
    decision = summary.result["decision"]
    assert decision["deploy"] is False
    assert decision["improvement"] == pytest.approx(summary.objective_value - 1.0) and decision["improvement"] <= 0
    assert f"{summary.objective_value:.6g}" in decision["reason"] and "baseline 1" in decision["reason"]
    assert endpoint_config(local_cloud, SERVING_ENDPOINT) == config_before


def test_tiny_budget_stops_the_tuning_job_once(local_cloud):
    cap = 5.0
    # $3600 an hour is $1 per billable second: each 5-round job bills 1-2 s, so the cap falls after 3-5 jobs.
    # Validation wants the cap to pay for one job at max_runtime, hence the 5 s max_runtime.
    overrides = {
        "limits": {"max_jobs": 10, "max_parallel_jobs": 2, "max_runtime": 5},
        "budget": {"max_cost_usd": cap, "policy": "soft", "prices": {"ml.m5.large": 3600.0}},
    }
    summary = local_cloud.run_spec(spec_bytes("xgb-small", overrides), key="specs/e2e-ctl-budget.yaml", timeout=240)
    assert summary.stop_reason == "BudgetExceeded", why(summary)
    tuning = local_cloud.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=summary.tuning_job_name)
    assert tuning["HyperParameterTuningJobStatus"] == "Stopped"
    budget_alerts = [a for a in summary.alerts if a["subject"].endswith("budget reached")]
    assert len(budget_alerts) == 1, [a["subject"] for a in summary.alerts]

    jobs = training_jobs(local_cloud, summary.tuning_job_name)
    assert len(jobs) < 10
    cost = {j["TrainingJobName"]: float(j.get("BillableTimeInSeconds") or 0) for j in jobs}  # $1 a second
    assert summary.spend_usd == pytest.approx(sum(cost.values()))  # the ledger settled every job, once

    # When the settled spend reached the cap (a job's end), and when the controller stopped the run.
    settled_at_cap, reached_at = 0.0, None
    for job in sorted((j for j in jobs if j.get("TrainingEndTime")), key=lambda j: j["TrainingEndTime"]):
        settled_at_cap += cost[job["TrainingJobName"]]
        if settled_at_cap >= cap:
            reached_at = job["TrainingEndTime"].timestamp()
            break
    assert reached_at is not None, f"settled spend never reached the cap: {cost}"
    stopped_at = float(run_item(local_cloud, summary.run_id)["stopped_at"])
    running_at_cap = [j for j in jobs if j["TrainingStartTime"].timestamp() <= reached_at
                      and (j.get("TrainingEndTime") is None or j["TrainingEndTime"].timestamp() > reached_at)]
    # The tuner refills the slot the cap-reaching job freed; the stop lands a moment later, and each such
    # job is stopped at once but still bills its minimum second. At most one per parallel slot.
    launched_late = [j for j in jobs if j["TrainingStartTime"].timestamp() > reached_at]
    assert len(launched_late) <= 2, launched_late
    assert all(j["TrainingJobStatus"] == "Stopped" for j in launched_late)
    bound = settled_at_cap + sum(cost[j["TrainingJobName"]] for j in running_at_cap + launched_late)
    print(f"budget: spend ${summary.spend_usd:.2f}, cap ${cap:.2f} (settled ${settled_at_cap:.2f} when reached), "
          f"bound ${bound:.2f}, {len(jobs)} jobs, {len(running_at_cap)} running at the cap, "
          f"{len(launched_late)} launched after it, stop recorded {stopped_at - reached_at:.2f}s after the cap")
    timeline = sorted((round(j["TrainingStartTime"].timestamp() - reached_at, 3),
                       round(j["TrainingEndTime"].timestamp() - reached_at, 3) if j.get("TrainingEndTime") else None,
                       j["TrainingJobStatus"], cost[j["TrainingJobName"]]) for j in jobs)
    assert summary.spend_usd <= bound + 1e-9, f"stopped at {stopped_at - reached_at:+.3f}s; jobs: {timeline}"
    assert stopped_at - reached_at < 10  # the training job's event stops the run, not the next reconcile


def test_dropped_completion_event_is_recovered_by_the_reconciler(local_cloud):
    def tuning_job_finished(event):
        return event.get("detail-type") == TUNING_EVENT and \
            event.get("detail", {}).get("HyperParameterTuningJobStatus") in FINISHED

    # Fault: EventBridge loses the tuning job's completion event; only the scheduled reconciler can resume.
    with local_cloud.delivery.drop(tuning_job_finished) as dropped:
        summary = local_cloud.run_spec(spec_bytes("xgb-small"), key="specs/e2e-ctl-dropped.yaml", timeout=240)
    assert summary.succeeded, why(summary)
    assert [e["detail"]["HyperParameterTuningJobName"] for e in dropped] == [summary.tuning_job_name]
    assert "PickBest" in summary.states_visited

    tuning = local_cloud.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=summary.tuning_job_name)
    execution = local_cloud.client("stepfunctions").describe_execution(executionArn=summary.execution_arn)
    waits = local_cloud.client("stepfunctions").get_execution_history(executionArn=summary.execution_arn)["events"]
    resumed = next(e["timestamp"] for e in waits
                   if e.get("stateExitedEventDetails", {}).get("name") == "WaitForTuning")
    lag = (resumed - tuning["HyperParameterTuningEndTime"]).total_seconds()
    print(f"dropped event: resumed {lag:.1f}s after the tuning job ended (run {summary.wall_seconds:.1f}s, "
          f"execution ended {execution['stopDate']:%H:%M:%S})")
    # ReconcileAfterSeconds is 10 locally and the ticker fires every few seconds: well under a minute.
    assert 0 <= lag < 60


def test_duplicate_spec_upload_starts_one_tuning_job(local_cloud):
    key = "specs/e2e-ctl-duplicate-upload.yaml"
    sagemaker = local_cloud.client("sagemaker")
    before = {j["HyperParameterTuningJobName"] for j in
              sagemaker.list_hyper_parameter_tuning_jobs(MaxResults=100)["HyperParameterTuningJobSummaries"]}

    def this_upload(event):
        return event.get("detail-type") == "Object Created" and event["detail"].get("object", {}).get("key") == key

    # Fault: EventBridge delivers the upload's event twice (it promises at-least-once delivery).
    with local_cloud.delivery.duplicate(this_upload) as doubled:
        summary = local_cloud.run_spec(spec_bytes("xgb-small"), key=key, timeout=240)
    assert len(doubled) == 1, doubled
    executions = wait_for("both executions of the duplicated upload to end", lambda: (
        found if len(found := executions_for_key(local_cloud, key)) == 2
        and all(e["status"] in ("SUCCEEDED", "FAILED") for e in found) else None), timeout=240)
    assert all(e["status"] == "SUCCEEDED" for e in executions), why(summary)
    outcomes = sorted("AlreadyHandled" in states_entered(local_cloud, e["executionArn"]) for e in executions)
    assert outcomes == [False, True]

    after = {j["HyperParameterTuningJobName"] for j in
             sagemaker.list_hyper_parameter_tuning_jobs(MaxResults=100)["HyperParameterTuningJobSummaries"]}
    assert len(after - before) == 1


def test_redelivered_training_job_events_do_not_change_spend(local_cloud):
    def training_job_finished(event):
        return event.get("detail-type") == TRAINING_EVENT and \
            event.get("detail", {}).get("TrainingJobStatus") in FINISHED

    with local_cloud.delivery.record(training_job_finished) as recorded:
        summary = local_cloud.run_spec(spec_bytes("xgb-small"), key="specs/e2e-ctl-redelivered.yaml", timeout=240)
    assert summary.succeeded, why(summary)
    ours = [e for e in recorded if e["detail"]["TrainingJobName"].startswith(summary.tuning_job_name)]
    assert len(ours) == 2
    item = run_item(local_cloud, summary.run_id)
    spend, settled = float(item["spend_usd"]), int(item["jobs_settled"])
    assert spend > 0 and settled == 2

    # Fault: the same events again, through EventBridge (PutEvents → the training-job rule → its Lambda).
    def training_event_invocations():
        return sum(n for name, n in local_cloud.lambda_invocations.items() if "OnTrainingJobEvent" in name)

    handled_before = training_event_invocations()
    reply = local_cloud.client("events").put_events(Entries=[
        {"Source": e["source"], "DetailType": e["detail-type"], "Detail": json.dumps(e["detail"]),
         "Resources": e.get("resources", [])} for e in ours])
    assert reply["FailedEntryCount"] == 0
    wait_for("the re-delivered training job events to be handled", lambda: (
        training_event_invocations() >= handled_before + len(ours)
        and local_cloud.delivery.wait_idle(1)), timeout=60)
    time.sleep(0.5)  # the delivery counter moves before the handler's write is visible to a reader

    item = run_item(local_cloud, summary.run_id)
    assert float(item["spend_usd"]) == spend and int(item["jobs_settled"]) == settled


def test_failed_deploy_alerts_and_the_old_config_keeps_serving(local_cloud, serving_endpoint):
    config_before = endpoint_config(local_cloud, SERVING_ENDPOINT)
    scores_before = invoke_rows(local_cloud, SERVING_ENDPOINT)
    # train.py saves a pickled scikit-learn model: the XGBoost endpoint cannot load it, so the update fails.
    overrides = deploying(SERVING_ENDPOINT, baseline={"value": 0.5})
    summary = local_cloud.run_spec(spec_bytes("script-small", overrides), key="specs/e2e-ctl-bad-model.yaml",
                                   timeout=300)
    assert summary.status == "FAILED" and (summary.result or {}).get("error") == "DeployFailed", why(summary)
    assert "Deploy" in summary.states_visited
    assert any("DeployFailed" in a["subject"] + a["message"] for a in summary.alerts), summary.alerts
    endpoint = local_cloud.client("sagemaker").describe_endpoint(EndpointName=SERVING_ENDPOINT)
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == config_before
    assert invoke_rows(local_cloud, SERVING_ENDPOINT) == scores_before


def test_regex_that_never_matches_ends_with_no_successful_job(local_cloud):
    overrides = {"algorithm": {"script": {"metric_definitions": [
        {"name": "validation:accuracy", "regex": r"val_acc=([-+]?[0-9]*\.?[0-9]+|nan)"}]}}}
    summary = local_cloud.run_spec(spec_bytes("script-small", overrides), key="specs/e2e-ctl-no-success.yaml",
                                   timeout=300)
    failure = (summary.result or {}).get("error")
    assert summary.status == "FAILED" and failure == "NoSuccessfulTrainingJobs", why(summary)
    subjects = [a["subject"] for a in summary.alerts]
    assert any("never matched" in s for s in subjects), subjects
    assert any("NoSuccessfulTrainingJobs" in a["subject"] + a["message"] for a in summary.alerts), subjects
