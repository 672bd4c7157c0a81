"""The run page's JSON: names the issue fixes, jobs, the curve, alerts, artifacts, from an in-memory source."""

from __future__ import annotations

import pytest

from tests.unit.ui.fakes import HOSTILE_KEY, HOSTILE_LOG, HOSTILE_VALUE
from tunepilot_ui.api import RunNotFound, RunPageApi, best_so_far, readable_history
from tunepilot_ui.source import InvokeNotAllowed

RUN = "rec-ok-86ad09853a0c"
REQUIRED = {"states", "history", "jobs", "spend_usd", "budget_usd", "stop_reason", "alerts", "artifacts"}
JOB_FIELDS = {"name", "status", "hyperparameters", "objective", "billable_seconds", "cost_usd", "failure_reason"}


def test_runs_list_has_each_execution_with_its_run_id_and_spec_key(source):
    rows = RunPageApi(source).runs()
    assert len(rows) == 2 and RUN in {r["run_id"] for r in rows}
    by_key = {r["spec_key"]: r for r in rows}
    assert by_key["specs/rec-ok.yaml"]["best_objective"] == 0.97
    assert by_key["specs/rec-ok.yaml"]["budget_usd"] == 1.5
    assert by_key[HOSTILE_KEY]["status"] == "FAILED"  # the key is kept as it is; escaping is the page's job
    assert by_key[HOSTILE_KEY]["run_id"].startswith("x-img-src-x-onerror-alert-1-")  # the controller's slug
    assert all(r["url"] == f"/runs/{r['run_id']}" for r in rows)


def test_a_run_has_the_issue_field_names_and_every_deployed_state(source):
    page = RunPageApi(source).run(RUN)
    assert set(page) >= REQUIRED
    assert page["states"][0]["name"] == "ValidateSpec" and len(page["states"]) == 14
    assert {s["status"] for s in page["states"]} == {"succeeded", "not_reached"}
    assert page["status"] == "SUCCEEDED"
    assert (page["spend_usd"], page["budget_usd"], page["stop_reason"]) == (0.00021, 1.5, None)
    assert all(set(job) >= JOB_FIELDS for job in page["jobs"])
    taken = [(e["source"], e["target"]) for e in page["graph"]["edges"] if e["taken"]]
    assert ("ShouldDeploy", "NotifySuccess") in taken and len(taken) == len(page["path"]) - 1


def test_jobs_carry_cost_from_billable_seconds_and_the_run_rate_and_failure_reasons(source):
    jobs = RunPageApi(source).run(RUN)["jobs"]
    assert [j["status"] for j in jobs] == ["Completed", "Completed", "Failed", "Completed"]
    assert jobs[0]["hyperparameters"]["booster"] == HOSTILE_VALUE
    assert jobs[0]["billable_seconds"] == 10 and jobs[0]["cost_usd"] == pytest.approx(10 * 0.115 / 3600, abs=1e-6)
    assert jobs[2]["failure_reason"].startswith("AlgorithmError") and jobs[2]["objective"] is None


def test_the_curve_has_one_point_per_completed_job_and_is_the_best_so_far(source):
    page = RunPageApi(source).run(RUN)
    assert [(p["objective"], p["best"]) for p in page["curve"]] == [(0.95, 0.95), (0.93, 0.95), (0.97, 0.97)]


@pytest.mark.parametrize(("kind", "values", "expected"), [
    ("Maximize", [0.5, 0.7, 0.6], [0.5, 0.7, 0.7]),
    ("Minimize", [0.5, 0.7, 0.3], [0.5, 0.5, 0.3]),
    ("Maximize", [], []),
], ids=["maximize", "minimize", "no-jobs"])
def test_best_so_far(kind, values, expected):
    jobs = [{"name": f"j{i}", "index": i, "status": "Completed", "objective": v, "ended_at": f"2026-01-01T00:0{i}"}
            for i, v in enumerate(values)]
    jobs.append({"name": "nan", "index": 9, "status": "Completed", "objective": float("nan"), "ended_at": "z"})
    assert [p["best"] for p in best_so_far(jobs, kind)] == expected


def test_alerts_are_this_runs_only_and_a_stack_says_why_there_are_none(source):
    page = RunPageApi(source).run(RUN)
    assert [a["subject"] for a in page["alerts"]] == ["TunePilot rec-ok-86ad09853a0c: not deployed"]
    assert HOSTILE_LOG in page["alerts"][0]["message"]
    source._alerts, source.alerts_note = None, "Alerts go out over SNS, which cannot be read back."
    other = RunPageApi(source).run(RUN)
    assert other["alerts"] == [] and "cannot be read back" in other["alerts_note"]


def test_analysis_artifacts_are_shown_when_present(source):
    page = RunPageApi(source).run(RUN)
    names = {a["name"] for a in page["artifacts"]}
    assert names == {"result.json", "analysis.json", "report.html", "next-spec.yaml"}
    assert page["analysis"]["convergence"]["verdict"] == "converged"
    assert page["next_spec"].startswith("name: next")
    assert {a["url"] for a in page["artifacts"]} >= {f"/runs/{RUN}/files/report.html"}


def test_without_analysis_artifacts_the_page_degrades(source):
    for name in ("analysis.json", "report.html", "next-spec.yaml"):
        del source.objects[f"runs/{RUN}/{name}"]
    page = RunPageApi(source).run(RUN)
    assert page["analysis"] is None and page["next_spec"] is None
    assert [a["name"] for a in page["artifacts"]] == ["result.json"]


@pytest.mark.parametrize("name", ["../result.json", "secret.txt", "model.tar.gz"], ids=["traversal", "other", "model"])
def test_only_named_artifacts_are_served(source, name):
    assert RunPageApi(source).artifact(RUN, name) is None


def test_the_invalid_run_shows_the_caught_state_and_its_error(source):
    api = RunPageApi(source)
    run_id = next(r["run_id"] for r in api.runs() if r["spec_key"] == HOSTILE_KEY)
    page = api.run(run_id)
    statuses = {s["name"]: s["status"] for s in page["states"]}
    assert statuses["ValidateSpec"] == "caught" and statuses["Failed"] == "failed"
    assert "SpecInvalid" in page["state_details"]["ValidateSpec"]["error"]
    assert page["error"].startswith("SpecInvalid in ValidateSpec: specs/rec-invalid.yaml: 1 problem")
    assert page["jobs"] == [] and page["curve"] == []


def test_history_is_readable(source):
    rows = readable_history(source.history("arn:aws:states:us-east-1:123456789012:execution:tunepilot:bad"))
    failed = next(r for r in rows if r["type"] == "LambdaFunctionFailed")
    assert failed["state"] == "ValidateSpec" and failed["detail"].startswith("SpecInvalid: specs/")
    assert all(set(r) == {"id", "timestamp", "type", "state", "detail"} for r in rows)


def test_prediction_goes_to_the_runs_endpoint_only_when_allowed(source):
    api = RunPageApi(source)
    assert api.predict(RUN, "1,2,3\n\n4,5,6\n") == {"endpoint": "xgb-ep", "rows": 2, "predictions": "0.25\n0.75"}
    assert source.invoked == [("xgb-ep", "1,2,3\n4,5,6")]
    source._invoke_allowed = False
    with pytest.raises(InvokeNotAllowed):
        api.predict(RUN, "1,2,3")


def test_unknown_run_and_foreign_job_log(source):
    api = RunPageApi(source)
    with pytest.raises(RunNotFound):
        api.run("no-such-run-000000000000")
    with pytest.raises(RunNotFound):
        api.job_log(RUN, "tp-someone-else-001")
    assert api.job_log(RUN, "tp-rec-ok-86ad0985-001")["lines"][-1] == HOSTILE_LOG


def test_progress_for_the_terminal(source):
    progress = RunPageApi(source).progress(RUN)
    assert (progress.state, progress.status, progress.jobs_done, progress.jobs_total) == (
        "Succeeded", "SUCCEEDED", 4, 4)
    assert progress.best == 0.97 and progress.metric == "validation:auc" and progress.budget_usd == 1.5


@pytest.mark.parametrize(("key", "version", "found"), [
    ("specs/rec-ok.yaml", None, RUN),
    ("specs/rec-ok.yaml", "f9050479-bc64-4aca-9b66-8cdd73fc6a3e", RUN),
    ("specs/rec-ok.yaml", "another-version", None),
    ("specs/never-uploaded.yaml", None, None),
], ids=["by-key", "by-key-and-version", "other-version", "unknown-key"])
def test_find_a_run_by_its_spec_key(source, key, version, found):
    assert RunPageApi(source).find_by_key(key, version) == found


def test_a_running_runs_best_objective_comes_from_its_tuning_job(source):
    arn = "arn:aws:states:us-east-1:123456789012:execution:tunepilot:ok"
    source.runs[arn]["status"] = "RUNNING"
    del source.objects[f"runs/{RUN}/result.json"]
    row = next(r for r in RunPageApi(source).runs() if r["run_id"] == RUN)
    assert (row["status"], row["best_objective"], row["objective_metric"]) == ("RUNNING", 0.97, "validation:auc")
