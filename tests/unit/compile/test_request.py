"""Compiled requests: botocore accepts them, and they say what the spec says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import validate_parameters
from tunepilot.compile.request import RUN_TAG_KEY, compile_request
from tunepilot.runid import run_id_for, tuning_job_name
from tunepilot.spec.load import validate_bytes

REPO = Path(__file__).resolve().parents[3]
SPECS = sorted([*REPO.glob("examples/*.yaml"), *REPO.glob("tests/data/specs/valid/*")])
INPUT_SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateHyperParameterTuningJob")
    .input_shape
)


def compiled(path: Path, **kwargs):
    data = path.read_bytes()
    result = validate_bytes(data, filename=path.name)
    assert result.spec is not None, [str(p) for p in result.errors]
    run_id = run_id_for("tunepilot-test-bucket", f"specs/{path.name}", hashlib.sha256(data).hexdigest())
    return compile_request(result.spec, tuning_job_name=tuning_job_name(run_id), run_id=run_id, **kwargs), run_id


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_request_passes_botocore_validation(path):
    request, run_id = compiled(path)
    validate_parameters(request, INPUT_SHAPE)  # raises ParamValidationError on any mismatch
    assert {"Key": RUN_TAG_KEY, "Value": run_id} in request["Tags"]
    assert all(isinstance(v, str) for v in request["TrainingJobDefinition"].get("StaticHyperParameters", {}).values())


def test_demo_request():
    request, _ = compiled(REPO / "examples/xgboost-breast-cancer.yaml", region="eu-west-1")
    config, definition = request["HyperParameterTuningJobConfig"], request["TrainingJobDefinition"]
    assert config["ResourceLimits"] == {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 12}
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert config["ParameterRanges"]["ContinuousParameterRanges"][0] == {
        "Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
    assert config["TuningJobCompletionCriteria"] == {"BestObjectiveNotImproving": {
        "MaxNumberOfTrainingJobsNotImproving": 8}}
    assert config["RandomSeed"] == 7
    assert definition["AlgorithmSpecification"] == {
        "TrainingImage": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "TrainingInputMode": "File"}  # built-in metrics are known to SageMaker: no MetricDefinitions
    assert definition["StaticHyperParameters"] == {"objective": "binary:logistic", "eval_metric": "auc",
                                                   "num_round": "40"}
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 600}
    assert {"Key": "project", "Value": "tunepilot-demo"} in request["Tags"]


def test_script_mode_encodes_hyperparameters_like_the_sdk():
    request, _ = compiled(REPO / "examples/script-mode-pytorch.yaml")
    static = request["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static["sagemaker_program"] == '"train.py"'
    assert static["sagemaker_submit_directory"] == '"s3://tunepilot-demo-data/sources/train.tar.gz"'
    assert static["epochs"] == "20"
    categorical = request["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"]
    assert categorical == [{"Name": "hidden_units", "Values": ["16", "32", "64"]}]
    metrics = request["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"]
    assert [m["Name"] for m in metrics] == ["validation:accuracy", "validation:loss", "train:loss"]
    assert set(metrics[0]) == {"Name", "Regex"}


def test_hyperband_strategy_config():
    request, _ = compiled(REPO / "examples/hyperband.yaml")
    config = request["HyperParameterTuningJobConfig"]
    assert config["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 3, "MaxResource": 27}}
    assert config["TrainingJobEarlyStoppingType"] == "Off"


def test_warm_start_and_spot():
    request, _ = compiled(REPO / "examples/warm-start.yaml")
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "tp-xgboost-breast-cance-3f9a1c2e"}],
        "WarmStartType": "IdenticalDataAndAlgorithm"}
    definition = request["TrainingJobDefinition"]
    assert definition["EnableManagedSpotTraining"] is True
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1800}


def test_grid_leaves_the_job_count_to_amt():
    request, _ = compiled(REPO / "tests/data/specs/valid/grid-categorical.yaml")
    limits = request["HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert "MaxNumberOfTrainingJobs" not in limits
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"]
    assert ranges[0] == {"Name": "max_depth", "Values": ["2", "4", "6"]}


def test_custom_image_request_details():
    request, _ = compiled(REPO / "tests/data/specs/valid/custom-image.json", extra_tags={"owner": "me"})
    definition = request["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"] == {"use_amp": "true", "epochs": "10"}
    assert definition["CheckpointConfig"] == {"S3Uri": "s3://tunepilot-test-data/checkpoints/"}
    assert definition["Environment"] == {"LOG_LEVEL": "info", "NUM_WORKERS": "4"}
    assert definition["InputDataConfig"][0]["InputMode"] == "Pipe"
    assert definition["ResourceConfig"] == {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50}
    config = request["HyperParameterTuningJobConfig"]
    assert config["ResourceLimits"]["MaxRuntimeInSeconds"] == 86400
    assert config["TuningJobCompletionCriteria"]["ConvergenceDetected"] == {"CompleteOnConvergence": "Enabled"}
    assert config["ParameterRanges"]["ContinuousParameterRanges"][0]["ScalingType"] == "ReverseLogarithmic"
    assert {"Key": "owner", "Value": "me"} in request["Tags"]
    json.dumps(request)  # plain JSON: the state machine passes it along
