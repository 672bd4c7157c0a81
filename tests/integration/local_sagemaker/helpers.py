"""Request builders and bounded waits shared by the local SageMaker tests."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import waiting

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "local-sagemaker-tests"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
XGBOOST_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"
TIME_SCALE = 60.0


def channels() -> list[dict[str, Any]]:
    return [
        {"ChannelName": name, "ContentType": "text/csv",
         "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/{name}/",
                                         "S3DataDistributionType": "FullyReplicated"}}}
        for name in ("train", "validation")
    ]


def xgboost_definition(static: dict[str, str] | None = None, *, metric: str = "validation:auc",
                       maximize: bool = True, max_runtime: int = 3600) -> dict[str, Any]:
    return {
        "StaticHyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "20",
                                  **(static or {})},
        "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE_ARN,
        "InputDataConfig": channels(),
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "TuningObjective": {"Type": "Maximize" if maximize else "Minimize", "MetricName": metric},
    }


def tuning_config(strategy: str, *, jobs: int, parallel: int = 2, metric: str = "validation:auc",
                  maximize: bool = True, ranges: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Maximize" if maximize else "Minimize", "MetricName": metric},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": parallel},
        "ParameterRanges": ranges or {
            "ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}],
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "6"}],
        },
        "RandomSeed": 7,
        **extra,
    }


def wait_for(describe: Callable[[], dict[str, Any]], key: str, done: set[str], timeout: float = 60) -> dict[str, Any]:
    """Poll a describe call until ``key`` reaches one of ``done``; TimeoutError says what it waited for."""
    last: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        last.clear()
        last.update(describe())
        return dict(last) if last.get(key) in done else None

    return waiting.wait_for(lambda: f"{key} to reach {sorted(done)}; last: {last.get(key)}", reached, timeout, 0.2)


def model_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "samples" / f"{name}.json").read_text())


SCRIPT_METRICS = [{"Name": "validation:loss", "Regex": r"validation_loss=([0-9.]+)"}]
SCRIPT_IMAGE = f"763104351884.dkr.ecr.{REGION}.amazonaws.com/pytorch-training:2.1-cpu-py310"


def script_definition(source_uri: str, hyperparameters: dict[str, str] | None = None, *,
                      metrics: list[dict[str, str]] | None = None, max_runtime: int = 3600) -> dict[str, Any]:
    """A script-mode training job definition, hyperparameters JSON-quoted the way the SageMaker SDK sends them."""
    static = {"sagemaker_program": json.dumps("train_epochs.py"), "sagemaker_submit_directory": json.dumps(source_uri)}
    static.update({k: json.dumps(v) for k, v in (hyperparameters or {}).items()})
    return {
        "StaticHyperParameters": static,
        "AlgorithmSpecification": {"TrainingImage": SCRIPT_IMAGE, "TrainingInputMode": "File",
                                   "MetricDefinitions": metrics if metrics is not None else SCRIPT_METRICS},
        "RoleArn": ROLE_ARN,
        "InputDataConfig": channels(),
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }
