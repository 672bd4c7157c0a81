"""`tunepilot analyze` and `tunepilot import` on a tuning job TunePilot did not start.

The job is created with plain boto3 through the local SageMaker API (as a notebook or the SDK would),
really trains four tiny XGBoost jobs, and is then read with the CLI's read-only calls only.
"""

from __future__ import annotations

import json
import time

import pytest
from tunepilot.spec.load import validate_bytes

from tests.waiting import wait_for
from tunepilot_cli import main
from tunepilot_local.cloud import SAGEMAKER_ROLE_ARN
from tunepilot_local.seed import seed

DATA = "s3://tunepilot-e2e-foreign/breast-cancer"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def _request(name: str) -> dict:
    """A CreateHyperParameterTuningJob request written by hand, the way a notebook writes one."""
    channel = lambda n: {"ChannelName": n, "ContentType": "text/csv", "DataSource": {"S3DataSource": {  # noqa: E731
        "S3DataType": "S3Prefix", "S3Uri": f"{DATA}/{n}/", "S3DataDistributionType": "FullyReplicated"}}}
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5",
                                               "ScalingType": "Logarithmic"}],
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}],
            },
            "RandomSeed": 5,
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": SAGEMAKER_ROLE_ARN,
            "StaticHyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "5"},
            "InputDataConfig": [channel("train"), channel("validation")],
            "OutputDataConfig": {"S3OutputPath": "s3://tunepilot-e2e-foreign/output/"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }


@pytest.fixture(scope="module")
def foreign_job(local_cloud):
    name = f"notebook-xgb-{int(time.time()) % 100000}"
    seed({"resources": {"channels": {n: {"s3_uri": f"{DATA}/{n}/"} for n in ("train", "validation")},
                        "output_path": "s3://tunepilot-e2e-foreign/output/"}}, local_cloud.client("s3"))
    sagemaker = local_cloud.client("sagemaker")
    sagemaker.create_hyper_parameter_tuning_job(**_request(name))
    wait_for(f"tuning job {name} to end",
             lambda: sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                 "HyperParameterTuningJobStatus"] in {"Completed", "Stopped", "Failed"} or None, timeout=300)
    return name


@pytest.mark.e2e
def test_analyze_a_job_tunepilot_did_not_start(foreign_job, tmp_path, capsys):
    html, nxt = tmp_path / "report.html", tmp_path / "next.yaml"
    code = main(["analyze", foreign_job, "--region", "us-east-1", "--html", str(html), "--next-spec", str(nxt)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"tuning job   {foreign_job}  (Completed, Random; 4 training job(s): 4 completed" in out
    assert f"best         {foreign_job}-" in out
    assert "importance   optuna PED-ANOVA: not meaningful" in out  # 4 jobs are too few to rank anything
    assert "convergence  " in out and "cost         $" in out
    page = html.read_text()
    assert foreign_job in page and "<script src=" not in page  # self-contained
    next_spec = validate_bytes(nxt.read_bytes(), filename="next.yaml")
    assert next_spec.valid, [p.message for p in next_spec.errors]
    assert next_spec.spec.warm_start.parents == [foreign_job]

    assert main(["analyze", foreign_job, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["jobs"]["total"] == 4 and data["jobs"]["completed"] == 4
    assert data["objective"] == {"metric": "validation:auc", "type": "Maximize"}
    assert 0.5 < data["best"]["value"] <= 1.0
    assert [p[0] for p in data["convergence"]["best_so_far"]] == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.e2e
def test_import_the_same_job_round_trips(foreign_job, tmp_path, capsys):
    from tunepilot.compile.importer import normalise_request
    from tunepilot.compile.request import compile_request

    spec_file = tmp_path / "imported.yaml"
    assert main(["import", foreign_job, "-o", str(spec_file)]) == 0
    assert "warning" not in capsys.readouterr().err
    spec = validate_bytes(spec_file.read_bytes(), filename="imported.yaml").spec
    back = compile_request(spec, tuning_job_name=foreign_job, run_id="x-0", region="us-east-1")
    assert normalise_request(back) == normalise_request(_request(foreign_job))


@pytest.mark.e2e
def test_analyze_a_job_that_does_not_exist(local_cloud, capsys):
    assert main(["analyze", "no-such-tuning-job"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tunepilot analyze: tuning job no-such-tuning-job:") and "Traceback" not in err
