"""`tunepilot estimate --like` and the warm-start parents through a stubbed SageMaker (botocore Stubber)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from tunepilot.aws.clients import clients

import tunepilot_cli.aws as cli_aws
from tunepilot_cli import main

REPO = Path(__file__).resolve().parents[3]
DEMO = str(REPO / "examples/xgboost-breast-cancer.yaml")
WARM = str(REPO / "examples/warm-start.yaml")
PARENT = "tp-xgboost-breast-cance-3f9a1c2e"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _summary(i: int, seconds: float, status: str = "Completed") -> dict:
    name = f"{PARENT}-{i:03d}-{i:08x}"
    start = T0 + timedelta(minutes=i)
    return {"TrainingJobName": name, "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
            "CreationTime": start - timedelta(seconds=30), "TrainingJobStatus": status, "TunedHyperParameters": {},
            "TrainingStartTime": start, "TrainingEndTime": start + timedelta(seconds=seconds)}


# ---------------------------------------------------------------------------------- the command
@pytest.fixture
def sage(monkeypatch):
    client = boto3.client("sagemaker", region_name="us-east-1")
    stub = Stubber(client)
    monkeypatch.setattr(cli_aws, "use_region", lambda region, attempts=10: clients.override(sagemaker=client))
    monkeypatch.setattr(cli_aws, "_sleep", lambda seconds: None)
    stub.activate()
    yield stub
    stub.deactivate()
    clients.reset()


def _pages(stub, job, summaries, page_size=2):
    pages = [summaries[i:i + page_size] for i in range(0, len(summaries), page_size)] or [[]]
    for n, page in enumerate(pages):
        response: dict = {"TrainingJobSummaries": page}
        params: dict = {"HyperParameterTuningJobName": job, "MaxResults": 100}
        if n + 1 < len(pages):
            response["NextToken"] = f"t{n + 1}"
        if n:
            params["NextToken"] = f"t{n}"
        stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job", response, params)


def test_like_reads_every_page_and_names_its_source(sage, capsys):
    _pages(sage, "other-job", [_summary(i, 100 + 10 * i) for i in range(5)])  # median 120 s
    assert main(["estimate", DEMO, "--like", "other-job", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["expected_source"] == "history" and data["history_jobs"] == 5
    assert data["expected_wall_seconds"] == 6 * 120
    assert data["assumptions"][0] == ("jobs run about 2m each, the median of 5 finished training job(s) of "
                                      "--like other-job")
    sage.assert_no_pending_responses()


def test_warm_start_parents_are_the_default_history(sage, capsys):
    _pages(sage, PARENT, [_summary(i, 90) for i in range(4)])
    assert main(["estimate", WARM]) == 0
    out = capsys.readouterr().out
    assert "expected assumes: jobs run about 1m30s each, the median of 4 finished training job(s) of warm-start " \
           f"parent {PARENT}" in out
    assert out.splitlines()[0].split() == ["worst", "case", "expected"]  # the table's format is unchanged


def test_unreadable_parents_fall_back_to_the_guess_and_exit_0(sage, capsys):
    sage.add_client_error("list_training_jobs_for_hyper_parameter_tuning_job", "ResourceNotFound",
                          f"Amazon SageMaker can't find a tuning job with name {PARENT}")
    assert main(["estimate", WARM]) == 0
    assumptions = capsys.readouterr().out.splitlines()[-1]
    assert "a guess: no history from warm-start parent" in assumptions and "not found" in assumptions


@pytest.mark.parametrize(("error", "code"), [
    pytest.param(("ResourceNotFound", "Amazon SageMaker can't find a tuning job with name nope"), 2, id="missing"),
    pytest.param(("AccessDeniedException", "not authorized"), 2, id="access-denied"),
])
def test_like_errors_exit_2_with_one_line(sage, capsys, error, code):
    sage.add_client_error("list_training_jobs_for_hyper_parameter_tuning_job", error[0], error[1])
    assert main(["estimate", DEMO, "--like", "nope"]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("tunepilot estimate: training jobs of nope:") and len(err.splitlines()) == 1


def test_like_with_a_bad_name_is_a_usage_error(capsys):
    assert main(["estimate", DEMO, "--like", "no_such name"]) == 2
    assert "is not a tuning job name" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_offline_the_parents_cannot_be_read_and_the_guess_says_why(monkeypatch, capsys):
    """The network is blocked in unit tests: the real client fails to connect, the estimate still answers."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(cli_aws, "_sleep", lambda seconds: None)
    try:
        assert main(["estimate", WARM, "--region", "us-east-1"]) == 0
    finally:
        clients.reset()
    last = capsys.readouterr().out.splitlines()[-1]
    assert f"a guess: no history from warm-start parent {PARENT} (training jobs of {PARENT}: gave up after 2 tries" \
        in last
