"""AnalyzeResults through the local cloud: every run gets its trials, analysis, report and next spec."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from tunepilot.spec.load import validate_bytes

from tests.e2e.controller_helpers import spec_bytes

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = ("trials.csv", "analysis.json", "report.html", "next-spec.yaml")


def why(summary) -> str:
    return f"{summary.status}: {summary.error}; states {summary.states_visited}"


def read(cloud, summary, name: str) -> bytes:
    return cloud.client("s3").get_object(Bucket=cloud.bucket, Key=f"runs/{summary.run_id}/{name}")["Body"].read()


def assert_every_artifact(cloud, summary) -> dict:
    """The four files in the bucket and copied locally; analysis.json is the summary's ``analysis``."""
    states = summary.states_visited
    assert "AnalyzeResults" in states and states.index("AnalyzeResults") < states.index("PickBest"), states
    local = Path(summary.artifacts_dir or "")
    for name in ARTIFACTS:
        assert read(cloud, summary, name), name
        assert (local / name).read_bytes() == read(cloud, summary, name), name
    assert summary.artifacts["report_html"] == str(local / "report.html")
    assert summary.analysis == json.loads(read(cloud, summary, "analysis.json"))
    assert summary.analysis["tuning_job_name"] == summary.tuning_job_name
    next_spec = read(cloud, summary, "next-spec.yaml")
    assert validate_bytes(next_spec).valid, next_spec.decode()
    assert yaml.safe_load(next_spec)["warm_start"] == {"type": "IdenticalDataAndAlgorithm",
                                                      "parents": [summary.tuning_job_name]}
    html = read(cloud, summary, "report.html").decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "report.html must open with no network"
    return summary.analysis


def test_the_demo_produces_every_artifact(local_cloud):
    summary = local_cloud.run_spec(REPO / "examples" / "xgboost-breast-cancer.yaml",
                                   key="specs/e2e-analysis-demo.yaml", timeout=600)
    assert summary.succeeded, why(summary)
    analysis = assert_every_artifact(local_cloud, summary)
    assert analysis["jobs"]["total"] == summary.training_jobs == analysis["jobs"]["completed"]
    assert analysis["best"]["training_job"] == summary.best_training_job["name"]
    assert analysis["baseline"] == {**analysis["baseline"], "source": "value", "value": 0.95}
    assert analysis["importance"]["method"] == "optuna PED-ANOVA"
    assert len(analysis["findings"]) == 3 and analysis["convergence"]["verdict"]
    assert analysis["cost"]["total_usd"] == pytest.approx(summary.spend_usd, abs=1e-6)  # result.json rounds to 6

    rows = list(csv.DictReader(io.StringIO(read(local_cloud, summary, "trials.csv").decode())))
    assert len(rows) == summary.training_jobs
    assert set(list(rows[0])[:4]) == {"eta", "max_depth", "min_child_weight", "subsample"}
    assert list(rows[0])[-3:] == ["TrainingElapsedTimeSeconds", "BillableTimeInSeconds", "cost_usd"]

    html = read(local_cloud, summary, "report.html").decode()
    assert summary.best_training_job["name"] in html and html.count("data:image/png;base64,") == 4

    result = summary.result or {}
    assert result["analysis"]["report_uri"].endswith(f"runs/{summary.run_id}/report.html")
    (done,) = [a for a in summary.alerts if a["subject"].startswith(f"TunePilot {summary.run_id}:")]
    assert "Findings:" in done["message"] and f"Report: s3://{local_cloud.bucket}/" in done["message"]
    assert "Deploy is disabled" not in (result.get("decision") or {}).get("reason", "")


def test_a_run_stopped_by_its_budget_still_gets_its_report(local_cloud):
    overrides = {
        "limits": {"max_jobs": 10, "max_parallel_jobs": 2, "max_runtime": 5},
        "budget": {"max_cost_usd": 5.0, "policy": "soft", "prices": {"ml.m5.large": 3600.0}},
    }
    summary = local_cloud.run_spec(spec_bytes("xgb-small", overrides), key="specs/e2e-analysis-budget.yaml",
                                   timeout=300)
    assert summary.stop_reason == "BudgetExceeded", why(summary)
    analysis = assert_every_artifact(local_cloud, summary)
    assert analysis["run"]["stop_reason"] == "BudgetExceeded"
    assert analysis["run"]["max_cost_usd"] == 5.0 and analysis["cost"]["total_usd"] > 0
    html = read(local_cloud, summary, "report.html").decode()
    assert "BudgetExceeded" in html and "of a $5.00 budget" in html


def test_a_tuning_job_with_no_completed_training_job_gets_a_report_that_says_so(local_cloud):
    overrides = {"algorithm": {"script": {"metric_definitions": [
        {"name": "validation:accuracy", "regex": r"val_acc=([-+]?[0-9]*\.?[0-9]+|nan)"}]}}}
    summary = local_cloud.run_spec(spec_bytes("script-small", overrides), key="specs/e2e-analysis-no-success.yaml",
                                   timeout=300)
    error = (summary.result or {}).get("error")
    assert summary.status == "FAILED" and error == "NoSuccessfulTrainingJobs", why(summary)
    analysis = assert_every_artifact(local_cloud, summary)
    assert analysis["best"] is None and analysis["jobs"]["no_objective"] == analysis["jobs"]["total"] > 0
    html = read(local_cloud, summary, "report.html").decode()
    assert "No training job reported validation:accuracy" in html and "data:image/png" not in html
    (failed,) = [a for a in summary.alerts if a["subject"].startswith(f"TunePilot {summary.run_id} failed")]
    assert "Findings:" in failed["message"] and "report.html" in failed["message"]
    suggested = analysis["no_objective"]["suggested_regex"]
    assert suggested and "validation_accuracy" in suggested, analysis["no_objective"]
    # The metric guard's fix, not the broken regex, goes into the next run.
    definitions = yaml.safe_load(read(local_cloud, summary, "next-spec.yaml"))["algorithm"]["script"][
        "metric_definitions"]
    assert [d["regex"] for d in definitions if d["name"] == "validation:accuracy"] == [suggested]
