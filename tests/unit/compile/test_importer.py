"""`tunepilot import`'s rules: request or describe -> spec -> the same request again."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from tunepilot.compile.importer import (
    ImportFailed,
    normalise_request,
    request_from_describe,
    spec_from_request,
    spec_name,
)
from tunepilot.compile.request import compile_request
from tunepilot.spec.load import validate_bytes, validate_data

from tunepilot_cli.importing import render

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
RECORDED = REPO / "tests/data/aws/describe-tuning-job-xgboost.json"
RUN_ID = "demo-0123456789ab"
JOB = "tp-demo-01234567"


def _compile(spec, region="us-east-1"):
    return compile_request(spec, tuning_job_name=JOB, run_id=RUN_ID, region=region)


def _reimport(request):
    """request -> spec document -> YAML text (as the CLI writes it) -> validated spec."""
    imported = spec_from_request(request)
    text = render(imported.spec, "test", imported.warnings, imported.notes)
    result = validate_bytes(text.encode(), filename="imported.yaml")
    assert result.valid, [f"{p.path}: {p.message}" for p in result.errors]
    return imported, result.spec


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_round_trips_to_the_identical_request(example):
    spec = validate_bytes(example.read_bytes(), filename=example.name).spec
    request = _compile(spec)
    imported, again = _reimport(copy.deepcopy(request))
    assert imported.warnings == []
    assert _compile(again, imported.region) == request


def _recorded():
    return json.loads(RECORDED.read_text())


def test_recorded_describe_imports_to_a_valid_spec_without_warnings():
    imported, spec = _reimport(_recorded())
    assert imported.warnings == []
    assert imported.region == "us-west-2"
    assert spec.algorithm.builtin is not None and spec.algorithm.builtin.version == "1.7-1"
    assert spec.algorithm.builtin.metric_definitions == []  # the container's own, SageMaker knows them
    assert "_tuning_objective_metric" not in spec.hyperparameters.static
    assert spec.hyperparameters.static["num_round"] == 100
    assert spec.limits.max_runtime == 43200 and spec.limits.max_jobs == 20
    assert spec.resources.instance_count == 2


def test_recorded_describe_compiles_back_to_an_equivalent_request():
    describe = _recorded()
    _, spec = _reimport(describe)
    back = _compile(spec, "us-west-2")
    assert normalise_request(back) == normalise_request(describe)
    # and the compiled request is one botocore itself accepts
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateHyperParameterTuningJob").input_shape
    report = ParamValidator().validate(back, shape)
    assert not report.has_errors(), report.generate_report()


def test_describe_projection_keeps_only_request_fields():
    request = request_from_describe(_recorded())
    assert set(request) == {"HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition"}
    assert "BestTrainingJob" not in json.dumps(request)


def _with(change):
    describe = _recorded()
    change(describe)
    return describe


def _definition(describe):
    return describe["TrainingJobDefinition"]


UNEXPRESSIBLE = [
    pytest.param(lambda d: _definition(d).update(VpcConfig={"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}),
                 "TrainingJobDefinition.VpcConfig.SecurityGroupIds", id="vpc-config"),
    pytest.param(lambda d: _definition(d)["OutputDataConfig"].update(KmsKeyId="alias/mine"),
                 "TrainingJobDefinition.OutputDataConfig.KmsKeyId", id="output-kms-key"),
    pytest.param(lambda d: _definition(d).update(EnableNetworkIsolation=True),
                 "TrainingJobDefinition.EnableNetworkIsolation", id="network-isolation"),
    pytest.param(lambda d: _definition(d).update(RetryStrategy={"MaximumRetryAttempts": 2}),
                 "TrainingJobDefinition.RetryStrategy.MaximumRetryAttempts", id="retry-strategy"),
    pytest.param(lambda d: _definition(d)["InputDataConfig"][0].update(ShuffleConfig={"Seed": 1}),
                 "TrainingJobDefinition.InputDataConfig[train].ShuffleConfig.Seed", id="channel-shuffle"),
    pytest.param(lambda d: _definition(d)["StoppingCondition"].update(MaxPendingTimeInSeconds=7200),
                 "TrainingJobDefinition.StoppingCondition.MaxPendingTimeInSeconds", id="max-pending-time"),
    pytest.param(lambda d: d["HyperParameterTuningJobConfig"]["ParameterRanges"].update(
        AutoParameters=[{"Name": "gamma", "ValueHint": "0.5"}]),
                 "HyperParameterTuningJobConfig.ParameterRanges.AutoParameters[gamma].ValueHint", id="auto-parameters"),
    pytest.param(lambda d: d.update(Autotune={"Mode": "Enabled"}), "Autotune.Mode", id="autotune"),
]


@pytest.mark.parametrize(("change", "path"), UNEXPRESSIBLE)
def test_a_field_the_spec_cannot_express_is_named_in_a_warning(change, path):
    imported = spec_from_request(_with(change))
    assert any(w.startswith(f"{path}:") for w in imported.warnings), imported.warnings
    assert validate_data(imported.spec).valid


def test_warnings_are_written_into_the_spec_header():
    imported = spec_from_request(_with(lambda d: _definition(d).update(EnableNetworkIsolation=True)))
    text = render(imported.spec, "tuning job x", imported.warnings, imported.notes)
    assert "#   TrainingJobDefinition.EnableNetworkIsolation: not expressible" in text


def test_single_training_job_definitions_entry_is_imported():
    describe = _recorded()
    definition = describe.pop("TrainingJobDefinition")
    config = describe["HyperParameterTuningJobConfig"]
    definition["TuningObjective"] = config.pop("HyperParameterTuningJobObjective")
    definition["HyperParameterRanges"] = config.pop("ParameterRanges")
    describe["TrainingJobDefinitions"] = [definition]
    definition["DefinitionName"] = "xgb"
    imported = spec_from_request(describe)
    assert imported.warnings == ['TrainingJobDefinition.DefinitionName: not expressible in a TunePilot spec, '
                                 'left out (was "xgb")']
    assert imported.spec["objective"] == {"metric": "validation:auc", "type": "Maximize"}
    assert set(imported.spec["hyperparameters"]["ranges"]) == {"max_depth", "eta", "alpha", "min_child_weight"}


def test_several_training_job_definitions_cannot_be_imported():
    describe = _recorded()
    definition = describe.pop("TrainingJobDefinition")
    describe["TrainingJobDefinitions"] = [definition, definition]
    with pytest.raises(ImportFailed, match="2 training job definitions"):
        spec_from_request(describe)


@pytest.mark.parametrize(("job", "name"), [
    pytest.param("tp-xgboost-breast-cance-84635272", "xgboost-breast-cance", id="tunepilot-name"),
    pytest.param("xgboost-tuningjob-08-07-19-54", "xgboost-tuningjob-08-07-19-54", id="foreign-name"),
    pytest.param("tp-12345678", "tp-12345678", id="tp-prefix-only"),
])
def test_spec_name_from_job_name(job, name):
    assert spec_name(job) == name


def test_importing_never_touches_the_callers_request():
    describe = _recorded()
    before = copy.deepcopy(describe)
    spec_from_request(describe)
    normalise_request(describe)
    assert describe == before
