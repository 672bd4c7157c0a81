"""Real payload forms at the handlers' edges: event timestamps, foreign jobs, undecodable log data."""

from __future__ import annotations

import base64
import copy
import time
from datetime import UTC, datetime

import pytest
from tunepilot.exceptions import BadEvent

from tests.conftest import load_event, load_handler
from tests.integration.test_handlers import started_run

# A start a minute ago: recent enough that the run's limits do not stop the job.
STARTED = round(time.time() - 60, 3)


def _in_progress(tuning_job_name: str, started: object) -> dict:
    event = copy.deepcopy(load_event("on_training_job_event"))
    detail = event["detail"]
    detail["TrainingJobName"] = f"{tuning_job_name}-001-9f8e7d6c"
    detail["TrainingJobStatus"], detail["SecondaryStatus"] = "InProgress", "Training"
    detail["TrainingStartTime"] = started
    return event


@pytest.mark.parametrize(
    "started",
    [int(STARTED * 1000), str(int(STARTED * 1000)),
     datetime.fromtimestamp(STARTED, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")],
    ids=["epoch-ms-number", "epoch-ms-string", "iso-string"],
)
def test_training_start_time_in_each_form_reaches_the_ledger(stack, lambda_context, started):
    from tunepilot.usecases.context import store

    run_id, tuning = started_run(stack, lambda_context)
    load_handler("on_training_job_event").lambda_handler(_in_progress(tuning, started), lambda_context)
    running = store().spend(run_id).running
    assert running == {f"{tuning}-001-9f8e7d6c": pytest.approx(STARTED, abs=1e-3)}


def test_an_unreadable_start_time_is_logged_with_its_value(stack, lambda_context, caplog):
    from tunepilot.usecases.context import store

    run_id, tuning = started_run(stack, lambda_context)
    load_handler("on_training_job_event").lambda_handler(_in_progress(tuning, "tuesday-ish"), lambda_context)
    [record] = [r for r in caplog.records if "unreadable TrainingStartTime" in r.getMessage()]
    assert "tuesday-ish" in record.value  # type: ignore[attr-defined]
    assert len(store().spend(run_id).running) == 1  # the job is still tracked (on the clock, said so)


@pytest.mark.parametrize(
    "data",
    [pytest.param("%%%not-base64%%%", id="not-base64"), pytest.param(base64.b64encode(b"not gzip").decode(),
                                                                     id="not-gzip"),
     pytest.param(base64.b64encode(__import__("gzip").compress(b"{not json")).decode(), id="not-json")],
)
def test_an_undecodable_logs_payload_is_a_bad_event(stack, lambda_context, data):
    with pytest.raises(BadEvent, match="CloudWatch Logs"):
        load_handler("metric_watch").lambda_handler({"awslogs": {"data": data}}, lambda_context)


def _state_change(detail_type: str, detail: dict) -> dict:
    return {"version": "0", "id": "e1", "detail-type": detail_type, "source": "aws.sagemaker",
            "account": "123456789012", "time": "2026-11-22T10:10:00Z", "region": "us-east-1",
            "resources": [], "detail": detail}


TUNING = "SageMaker HyperParameter Tuning Job State Change"
ENDPOINT = "SageMaker Endpoint State Change"


@pytest.mark.parametrize(
    ("detail_type", "detail", "kind", "why"),
    [
        pytest.param(TUNING, {"HyperParameterTuningJobName": "other-team-job", "HyperParameterTuningJobStatus":
                              "Completed"}, "tuning", "not a TunePilot tuning job", id="foreign-tuning-job"),
        pytest.param(TUNING, {"HyperParameterTuningJobName": "tp-nobody-waits-12345678",
                              "HyperParameterTuningJobStatus": "Completed"}, "tuning", "no run waits for it",
                     id="tp-named-job-nobody-waits-for"),
        pytest.param(ENDPOINT, {"EndpointName": "other-team-endpoint", "EndpointStatus": "IN_SERVICE",
                                "EndpointConfigName": "their-config"}, "endpoint", "no run waits for it",
                     id="foreign-endpoint"),
    ],
)
def test_resume_wait_ignores_a_resource_no_run_waits_for_without_calling_sagemaker(
        stack, lambda_context, detail_type, detail, kind, why):
    """None of these exists in SageMaker here: a describe would fail the invocation."""
    result = load_handler("resume_wait").lambda_handler(_state_change(detail_type, detail), lambda_context)
    assert result["kind"] == kind and result["ignored"] == why
    assert "resumed" not in result


def test_a_foreign_tuning_job_costs_not_even_a_table_read(stack, lambda_context, monkeypatch):
    from tunepilot.usecases import waits

    def no_store() -> None:
        raise AssertionError("the runs table was read for another team's job")

    monkeypatch.setattr(waits, "store", no_store)
    event = _state_change(TUNING, {"HyperParameterTuningJobName": "other-team-job"})
    assert load_handler("resume_wait").lambda_handler(event, lambda_context)["ignored"] == "not a TunePilot tuning job"
