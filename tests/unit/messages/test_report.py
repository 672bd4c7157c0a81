"""Console links and the three alert messages: readable, SNS-safe, never a stack trace."""

from __future__ import annotations

import json

import pytest
from tunepilot.messages.report import (
    SUBJECT_MAX,
    clean_subject,
    console_links,
    failure_message,
    readable_cause,
    stop_message,
    success_message,
)
from tunepilot.policies.budget import RunBudget, Spend, StopDecision

from tests.conftest import load_event

REGION = "eu-west-1"
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:TuningStateMachine:run-1"
TUNING = "tp-xgboost-breast-cancer-3f1a2b4c"
RUN_ID = "xgboost-breast-cancer-3f1a2b4c5d6e"
LINKS = console_links(REGION, EXECUTION, TUNING, "xgb-breast-cancer")


def result(**overrides) -> dict:
    base = {
        "run_id": RUN_ID,
        "status": "SUCCEEDED",
        "execution_arn": EXECUTION,
        "tuning_job_name": TUNING,
        "training_jobs": {"completed": 10, "failed": 1, "stopped": 1, "total": 12},
        "best_training_job": {
            "name": f"{TUNING}-007-1a2b3c4d",
            "objective_metric": "validation:auc",
            "objective_value": 0.9951,
            "hyperparameters": {"max_depth": "3", "eta": "0.21"},
            "model_artifact": "s3://bucket/out/model.tar.gz",
        },
        "baseline": {"source": "value", "value": 0.95},
        "decision": {"deploy": True, "reason": "Candidate beats the baseline.", "improvement": 0.0451,
                     "required": 0.005},
        "deployed": True,
        "endpoint_name": "xgb-breast-cancer",
        "spend_usd": 0.4213,
        "max_cost_usd": 2.5,
        "stop_reason": None,
        "links": LINKS,
    }
    base.update(overrides)
    return base


def assert_sns_safe(subject: str) -> None:
    assert len(subject) <= SUBJECT_MAX
    assert subject.isascii() and "\n" not in subject


# ---------------------------------------------------------------------------------- links
def test_console_links_follow_the_console_url_shapes():
    assert {
        "execution": f"https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"
                     f"#/v2/executions/details/{EXECUTION}",
        "tuning_job": f"https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1"
                      f"#/hyper-tuning-jobs/{TUNING}",
        "endpoint": "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1"
                    "#/endpoints/xgb-breast-cancer",
    } == LINKS


@pytest.mark.parametrize(
    ("tuning", "endpoint", "keys"),
    [(TUNING, None, ["execution", "tuning_job"]), (None, None, ["execution"])],
    ids=["no-endpoint", "failed-before-tuning"],
)
def test_console_links_skip_what_does_not_exist(tuning, endpoint, keys):
    assert list(console_links(REGION, EXECUTION, tuning, endpoint)) == keys


@pytest.mark.parametrize(
    ("region", "host"),
    [("cn-north-1", "https://console.amazonaws.cn/"), ("us-gov-west-1", "https://console.amazonaws-us-gov.com/")],
    ids=["china", "govcloud"],
)
def test_console_links_in_other_partitions(region, host):
    assert console_links(region, EXECUTION, TUNING)["tuning_job"].startswith(host)


# ---------------------------------------------------------------------------------- success
def test_success_message_tells_the_whole_story():
    subject, body = success_message(result())
    assert_sns_safe(subject)
    assert subject == f"TunePilot {RUN_ID}: deployed to xgb-breast-cancer (validation:auc 0.9951)"
    for fragment in [
        f"Best training job: {TUNING}-007-1a2b3c4d",
        "validation:auc = 0.9951 (baseline 0.95 from value)",
        "hyperparameters: eta=0.21, max_depth=3",
        "Decision: deploy",
        "improvement +0.0451, required 0.005",
        "Training jobs: 12 total (10 completed, 1 failed, 1 stopped).",
        "Spend: $0.42 of a $2.50 budget.",
        "Endpoint: xgb-breast-cancer now serves this model.",
        LINKS["execution"],
        LINKS["tuning_job"],
        LINKS["endpoint"],
    ]:
        assert fragment in body
    assert "Stopped early" not in body


@pytest.mark.parametrize(
    ("overrides", "subject_part", "body_parts"),
    [
        (
            {"deployed": False, "decision": {"deploy": False, "reason": "short by 0.001.",
                                             "improvement": 0.004, "required": 0.005}},
            "not deployed (validation:auc 0.9951)",
            ["Decision: do not deploy", "improvement +0.004, required 0.005", "xgb-breast-cancer was left unchanged"],
        ),
        (
            {"baseline": {"source": None, "value": None}, "max_cost_usd": None,
             "decision": {"deploy": True, "reason": "no baseline", "improvement": None, "required": None}},
            "deployed",
            ["(no baseline)", "Spend: $0.42 (no budget set)."],
        ),
        (
            {"stop_reason": "BudgetExceeded", "spend_usd": 2.61},
            "deployed",
            ["Stopped early: BudgetExceeded", "Spend: $2.61 of a $2.50 budget."],
        ),
        (
            {"baseline": {"source": "endpoint", "value": None}},
            "deployed",
            ["(no baseline: nothing was serving yet)"],
        ),
    ],
    ids=["gate-refused", "no-baseline-no-budget", "stopped-by-budget", "first-deploy-to-new-endpoint"],
)
def test_success_message_variants(overrides, subject_part, body_parts):
    subject, body = success_message(result(**overrides))
    assert_sns_safe(subject)
    assert subject_part in subject
    for part in body_parts:
        assert part in body


def test_success_message_survives_a_sparse_result():
    subject, body = success_message({"run_id": "r", "best_training_job": None, "decision": None, "links": None})
    assert_sns_safe(subject)
    assert "n/a" in subject and "Training jobs: 0 total" in body


def test_success_message_from_the_sample_notify_event():
    state = load_event("notify")["state"]
    best, decision = state["best"], state["decision"]
    subject, body = success_message(result(
        best_training_job={k: best[k] for k in ("name", "objective_metric", "objective_value", "hyperparameters",
                                                "model_artifact")},
        baseline={"source": decision["baseline_source"], "value": decision["baseline_value"]},
        decision={k: decision[k] for k in ("deploy", "reason", "improvement", "required")},
        training_jobs=best["training_jobs"],
    ))
    assert_sns_safe(subject)
    assert "0.9951" in subject and decision["reason"] in body


def test_gate_reason_with_its_numbers_is_not_repeated():
    reason = "Candidate 0.9951 vs baseline 0.95: improvement +0.0451, needed at least 0.005; deploying."
    _, body = success_message(result(decision={"deploy": True, "reason": reason, "improvement": 0.0451,
                                               "required": 0.005}))
    assert body.count("+0.0451") == 1


def test_long_names_and_unicode_keep_the_subject_sns_safe():
    subject, _ = success_message(result(run_id="r" * 60, endpoint_name="modèle-\u00e9t\u00e9-" + "x" * 50))
    assert_sns_safe(subject)
    assert subject.endswith("...")


# ---------------------------------------------------------------------------------- failure
STEP_FUNCTIONS_CAUSE = load_event("notify-failure")["state"]["error"]["Cause"]


@pytest.mark.parametrize(
    ("cause", "expected", "absent"),
    [
        (STEP_FUNCTIONS_CAUSE, "hyperparameters.ranges.eta.min: must be less than max (line 14)", "stackTrace"),
        ("tuning job tp-x failed: AlgorithmError", "tuning job tp-x failed: AlgorithmError", None),
        ("boom\nTraceback (most recent call last):\n  File \"app.py\", line 1\nKeyError: 'x'", "boom", "File"),
        (json.dumps({"Error": "States.Timeout", "Cause": "wait timed out"}), "wait timed out", None),
        ("", "", None),
        ("x" * 5000, "x" * 1497 + "...", None),
    ],
    ids=["lambda-error-json", "plain-text", "python-traceback-cut", "nested-cause", "empty", "very-long"],
)
def test_readable_cause(cause, expected, absent):
    text = readable_cause(cause)
    assert expected in text
    if absent:
        assert absent not in text


def test_failure_message_names_the_error_and_helps():
    subject, body = failure_message(RUN_ID, "SpecInvalid", STEP_FUNCTIONS_CAUSE, console_links(REGION, EXECUTION, None))
    assert_sns_safe(subject)
    assert subject == f"TunePilot {RUN_ID} failed: SpecInvalid"
    assert "must be less than max (line 14)" in body
    assert f"runs/{RUN_ID}/validation.json" in body
    assert "stackTrace" not in body and "/var/task" not in body
    assert EXECUTION in body


def test_failure_message_for_an_unknown_error_without_cause():
    subject, body = failure_message("unknown", "", "", {})
    assert_sns_safe(subject)
    assert "UnknownError" in subject and "(no cause given)" in body and "Links" not in body


@pytest.mark.parametrize(
    "stopped", [None, f"TunePilot stopped tuning job {TUNING}, which was still running when the run failed."],
    ids=["no-job-running", "job-stopped"],
)
def test_failure_message_says_what_became_of_a_running_tuning_job(stopped):
    _, body = failure_message(RUN_ID, "States.Timeout", "WaitForTuning timed out", LINKS, stopped=stopped)
    assert (stopped in body) if stopped else ("stopped tuning job" not in body)
    assert body.index("WaitForTuning timed out") < (body.index(stopped) if stopped else len(body))


# ---------------------------------------------------------------------------------- stop
BUDGET = RunBudget(max_cost_usd=2.5, policy="hard", usd_per_hour=3.6, instance_count=1, max_wall_clock_s=None,
                   max_training_jobs=None, started_at=0.0)


def test_stop_message_carries_the_numbers():
    spend = Spend(2.3, {"job-a": 900.0}, 7)
    decision = StopDecision("BudgetExceeded", "Projected spend $2.50 reached the $2.50 budget (hard policy).")
    subject, body = stop_message(RUN_ID, TUNING, decision, spend, BUDGET, now=1100.0)
    assert_sns_safe(subject)
    assert subject == f"TunePilot stopped {TUNING}: budget reached"
    for fragment in [decision.detail, "Settled spend: $2.30 over 7 finished training job(s).",
                     "Still running: 1 training job(s); projected spend $2.50.", "Budget: $2.50 (hard policy)."]:
        assert fragment in body


def test_stop_message_without_a_budget():
    decision = StopDecision("JobCountExceeded", "20 training job(s) have finished, reaching the limit of 20.")
    no_cap = RunBudget(None, "soft", 0.23, 1, None, 20, 0.0)
    subject, body = stop_message(RUN_ID, TUNING, decision, Spend(0.1, {}, 20), no_cap)
    assert subject.endswith("training-job limit reached")
    assert "Budget:" not in body and "Still running" not in body


def test_clean_subject():
    assert clean_subject("a\nb\tc  \u00e9") == "a b c ?"
