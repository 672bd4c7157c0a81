"""`tunepilot analyze` against a stubbed SageMaker (botocore Stubber): read-only calls, output, exit codes."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import tunepilot.usecases.analyze as collector
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber
from tunepilot.aws.clients import clients
from tunepilot.spec.load import validate_bytes

import tunepilot_cli.analyze as analyze_cmd
import tunepilot_cli.aws as cli_aws
from tunepilot_cli import main

REPO = Path(__file__).resolve().parents[3]
RECORDED = json.loads((REPO / "tests/data/aws/describe-tuning-job-xgboost.json").read_text())
JOB = RECORDED["HyperParameterTuningJobName"]
ARN = "arn:aws:sagemaker:us-west-2:111122223333:training-job/"
T0 = datetime(2019, 8, 7, 19, 55, tzinfo=UTC)
READ_ONLY = {"DescribeHyperParameterTuningJob", "ListTrainingJobsForHyperParameterTuningJob", "DescribeTrainingJob"}


def _describe() -> dict:
    d = json.loads(json.dumps(RECORDED))
    d.pop("ResponseMetadata")
    for key in ("CreationTime", "HyperParameterTuningEndTime", "LastModifiedTime"):
        d[key] = datetime.fromisoformat(d[key])
    best = d["BestTrainingJob"]
    for key in ("CreationTime", "TrainingStartTime", "TrainingEndTime"):
        best[key] = datetime.fromisoformat(best[key])
    return d


def _trial(i: int, status: str = "Completed") -> tuple[dict, dict]:
    """Job i: eta drives validation:auc, the rest is noise (the analysis must rank eta first)."""
    rng = random.Random(i)  # the noise hyperparameters are independent of eta
    eta = (i * 0.37) % 1.0
    hps = {"eta": f"{eta:.4f}", "alpha": f"{rng.uniform(0, 2):.4f}", "max_depth": str(rng.randint(1, 10)),
           "min_child_weight": f"{rng.uniform(1, 10):.4f}"}
    name = f"{JOB[:20]}-{i:03d}-{i:08x}"
    created = T0 + timedelta(minutes=2 * i)
    start, end = created + timedelta(seconds=60), created + timedelta(seconds=60 + 70 + i)
    summary = {"TrainingJobName": name, "TrainingJobArn": ARN + name, "CreationTime": created,
               "TrainingJobStatus": status, "TunedHyperParameters": hps, "TrainingStartTime": start,
               "TrainingEndTime": end}
    described = {"TrainingJobName": name, "TrainingJobArn": ARN + name, "ModelArtifacts": {"S3ModelArtifacts": ""},
                 "TrainingJobStatus": status, "SecondaryStatus": status,
                 "AlgorithmSpecification": {"TrainingInputMode": "File"},
                 "ResourceConfig": {"InstanceType": "ml.c4.2xlarge", "InstanceCount": 2, "VolumeSizeInGB": 10},
                 "StoppingCondition": {"MaxRuntimeInSeconds": 43200}, "CreationTime": created,
                 "TrainingStartTime": start, "TrainingEndTime": end, "BillableTimeInSeconds": 70 + i}
    if status == "Completed":
        value = 0.70 + 0.08 * eta + 0.002 * math.sin(i)
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": "validation:auc", "Value": value}
        summary["ObjectiveStatus"] = "Succeeded"
        described["FinalMetricDataList"] = [{"MetricName": "validation:auc", "Value": value, "Timestamp": end}]
    else:
        summary["FailureReason"] = "AlgorithmError: out of memory"
        summary["ObjectiveStatus"] = "Failed"
        described["FailureReason"] = "AlgorithmError: out of memory"
    return summary, described


class Sage:
    """A stubbed SageMaker client that records the operations it was asked for."""

    def __init__(self) -> None:
        self.client = boto3.client("sagemaker", region_name="us-west-2")
        self.stub = Stubber(self.client)
        self.operations: list[str] = []
        self.client.meta.events.register("provide-client-params.sagemaker", self._record)

    def _record(self, event_name, **_kwargs):
        self.operations.append(event_name.rsplit(".", 1)[-1])  # provide-client-params.sagemaker.<Operation>

    def tuning_job(self, trials: list[tuple[dict, dict]], page_size: int = 100) -> Sage:
        for _ in range(2):  # the CLI reads it for the next spec, the collector for the trials
            self.stub.add_response("describe_hyper_parameter_tuning_job", _describe(),
                                   {"HyperParameterTuningJobName": JOB})
        summaries = [s for s, _ in reversed(trials)]  # AMT lists newest first
        pages = [summaries[i:i + page_size] for i in range(0, len(summaries), page_size)] or [[]]
        for n, page in enumerate(pages):
            response: dict = {"TrainingJobSummaries": page}
            params: dict = {"HyperParameterTuningJobName": JOB, "MaxResults": 100}
            if n + 1 < len(pages):
                response["NextToken"] = f"page-{n + 1}"
            if n:
                params["NextToken"] = f"page-{n}"
            self.stub.add_response("list_training_jobs_for_hyper_parameter_tuning_job", response, params)
        for _, described in trials:  # described in launch order
            self.stub.add_response("describe_training_job", described,
                                   {"TrainingJobName": described["TrainingJobName"]})
        return self

    def error(self, method: str, code: str, message: str, status: int = 400) -> Sage:
        self.stub.add_client_error(method, service_error_code=code, service_message=message,
                                   http_status_code=status)
        return self


@pytest.fixture
def sage(monkeypatch):
    s = Sage()
    monkeypatch.setattr(analyze_cmd, "use_region", lambda region: clients.override(sagemaker=s.client))
    monkeypatch.setattr(analyze_cmd, "DESCRIBE_THREADS", 1)  # the stub answers in order
    monkeypatch.setattr(cli_aws, "_sleep", lambda seconds: None)
    monkeypatch.setattr(collector, "_sleep", lambda seconds: None)
    s.stub.activate()
    yield s
    s.stub.deactivate()
    clients.reset()


TWELVE = [_trial(i) for i in range(1, 13)]
FAILED = [_trial(i, "Failed") for i in range(1, 4)]

CASES = [
    pytest.param(lambda s: s.tuning_job(TWELVE), [], 0, "eta", id="completed-jobs"),
    pytest.param(lambda s: s.tuning_job(TWELVE, page_size=5), [], 0, "12 training job(s)", id="three-pages"),
    pytest.param(lambda s: s.tuning_job(FAILED), [], 1, "best         none", id="no-completed-job"),
    pytest.param(lambda s: s.tuning_job([]), [], 1, "0 training job(s)", id="no-training-job-at-all"),
    pytest.param(lambda s: s.error("describe_hyper_parameter_tuning_job", "ThrottlingException", "Rate exceeded")
                 .error("describe_hyper_parameter_tuning_job", "ThrottlingException", "Rate exceeded")
                 .tuning_job(TWELVE), [], 0, "eta", id="throttled-twice-then-answers"),
    pytest.param(lambda s: s.error("describe_hyper_parameter_tuning_job", "ResourceNotFound",
                                   f"Amazon SageMaker can't find a tuning job with name {JOB}"),
                 [], 2, f"tunepilot analyze: tuning job {JOB}: not found", id="missing-job-resource-not-found"),
    pytest.param(lambda s: s.error("describe_hyper_parameter_tuning_job", "ValidationException",
                                   f"Could not find hyper-parameter tuning job '{JOB}'"),
                 [], 2, f"tunepilot analyze: tuning job {JOB}: not found", id="missing-job-validation-exception"),
    pytest.param(lambda s: s.error("describe_hyper_parameter_tuning_job", "AccessDeniedException",
                                   "not authorized to perform: sagemaker:DescribeHyperParameterTuningJob"),
                 [], 2, "AccessDeniedException", id="access-denied"),
    pytest.param(lambda s: s, ["--html", "/no/such/dir/report.html"], 2, "no such directory", id="unwritable-html"),
]


@pytest.mark.parametrize(("setup", "extra", "code", "needle"), CASES)
def test_exit_codes_and_messages(sage, capsys, setup, extra, code, needle):
    setup(sage)
    assert main(["analyze", JOB, "--region", "us-west-2", *extra]) == code
    out, err = capsys.readouterr()
    assert needle in (out if code != 2 else err)
    if code == 2:
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert set(sage.operations) <= READ_ONLY
    if code != 2:  # it read the job, its every page and every training job: nothing else
        assert sage.operations.count("DescribeHyperParameterTuningJob") >= 1
        sage.stub.assert_no_pending_responses()


def test_throttling_that_never_ends_is_a_clear_error(sage, capsys):
    for _ in range(cli_aws.RETRIES + 1):
        sage.error("describe_hyper_parameter_tuning_job", "ThrottlingException", "Rate exceeded")
    assert main(["analyze", JOB]) == 2
    assert f"gave up after {cli_aws.RETRIES + 1} tries" in capsys.readouterr().err


def test_no_credentials_is_one_line_without_retries(monkeypatch, capsys):
    calls = []

    class NoCredentials:
        def describe_hyper_parameter_tuning_job(self, **kwargs):
            calls.append(kwargs)
            raise NoCredentialsError()

    monkeypatch.setattr(analyze_cmd, "use_region", lambda region: clients.override(sagemaker=NoCredentials()))
    try:
        assert main(["analyze", JOB]) == 2
    finally:
        clients.reset()
    assert capsys.readouterr().err.strip() == "tunepilot analyze: no AWS credentials found: configure a profile " \
                                              "(aws configure) or set AWS_PROFILE"
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["bad_name!", "x" * 33, ""], ids=["punctuation", "too-long", "empty"])
def test_a_name_that_cannot_be_a_tuning_job_is_a_usage_error(capsys, name):
    assert main(["analyze", name]) == 2
    assert "is not a tuning job name" in capsys.readouterr().err


def test_text_summary_answers_each_question(sage, capsys):
    sage.tuning_job([*TWELVE, _trial(13, "Failed")])
    assert main(["analyze", JOB]) == 0
    out = capsys.readouterr().out
    best = max(TWELVE, key=lambda t: t[0]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])[0]
    assert f"best         {best['TrainingJobName']}" in out
    assert "importance   optuna PED-ANOVA" in out
    first = next(line for line in out.splitlines() if line.startswith("             ") and "%" in line)
    assert first.split()[0] == "eta"  # the hyperparameter that drives the objective ranks first
    for heading in ("convergence  ", "cost         $", "failures     1 Failed: AlgorithmError: out of memory",
                    "recommendations", "note         costs use TunePilot's packaged us-east-1 on-demand prices; "
                    "this job ran in us-west-2"):
        assert heading in out


def test_json_html_and_next_spec(sage, capsys, tmp_path):
    sage.tuning_job(TWELVE)
    html, nxt = tmp_path / "report.html", tmp_path / "next.yaml"
    assert main(["analyze", JOB, "--json", "--html", str(html), "--next-spec", str(nxt)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tuning_job_name"] == JOB and data["jobs"]["completed"] == 12
    assert data["importance"]["values"][0]["name"] == "eta"
    assert data["artifacts"] == {"trials_csv": None, "report_html": str(html), "next_spec": str(nxt)}
    page = html.read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and JOB in page
    result = validate_bytes(nxt.read_bytes(), filename="next.yaml")
    assert result.valid, [p.message for p in result.errors]
    assert result.spec.warm_start.parents == [JOB]
    assert result.spec.resources.instance_type == "ml.c4.2xlarge"


def test_next_spec_is_not_written_without_a_scored_job(sage, capsys, tmp_path):
    sage.tuning_job(FAILED)
    nxt = tmp_path / "next.yaml"
    assert main(["analyze", JOB, "--next-spec", str(nxt)]) == 1
    assert not nxt.exists()
    assert "next spec not written" in capsys.readouterr().err


def test_an_unexpected_failure_is_one_line_not_a_traceback(sage, monkeypatch, capsys):
    sage.tuning_job(TWELVE)

    def broken(job):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(analyze_cmd._Modules, "__init__", lambda self: setattr(self, "analyze", broken))
    assert main(["analyze", JOB]) == 2
    assert capsys.readouterr().err.strip() == ("tunepilot analyze: unexpected error: ZeroDivisionError: "
                                              "division by zero")


def test_no_completed_job_still_writes_the_report(sage, capsys, tmp_path):
    sage.tuning_job(FAILED)
    html = tmp_path / "report.html"
    assert main(["analyze", JOB, "--html", str(html)]) == 1
    assert "3 Failed: AlgorithmError: out of memory" in capsys.readouterr().out
    assert JOB in html.read_text()
