"""Every Describe*/List* answer of the local SageMaker checked against botocore's output shapes, and the
fields AWS adds on its own compared with responses recorded from AWS (tests/data/sagemaker_recorded/)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tunepilot.spec.builtins import builtin_for_image

from tests.integration.local_sagemaker.helpers import (
    BUCKET,
    ROLE_ARN,
    XGBOOST_IMAGE,
    channels,
    tuning_config,
    wait_for,
    xgboost_definition,
)
from tests.integration.local_sagemaker.shapes import check, raw_bodies

RECORDED = Path(__file__).parents[2] / "data" / "sagemaker_recorded"
TERMINAL = {"Completed", "Failed", "Stopped"}


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text())  # type: ignore[no-any-return]


def _flexible_definition() -> dict[str, Any]:
    """A definition launched from HyperParameterTuningResourceConfig instead of ResourceConfig."""
    definition = xgboost_definition()
    del definition["ResourceConfig"]
    definition["HyperParameterTuningResourceConfig"] = {
        "InstanceCount": 1, "VolumeSizeInGB": 5, "AllocationStrategy": "Prioritized",
        "InstanceConfigs": [{"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
                            {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}],
    }
    return definition


@pytest.fixture(scope="module")
def world(aws, dataset, platform) -> dict[str, Any]:
    """A tuning job, its warm-start child (flexible instances), a standalone job and a served endpoint."""
    sm = aws("sagemaker")

    def tune(name: str, definition: dict[str, Any], **extra: Any) -> dict[str, Any]:
        sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, TrainingJobDefinition=definition,
                                             HyperParameterTuningJobConfig=tuning_config("Random", jobs=2), **extra)
        return wait_for(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
                        "HyperParameterTuningJobStatus", TERMINAL)

    parent = tune("shape-parent", xgboost_definition())
    child = tune("shape-child", _flexible_definition(), WarmStartConfig={
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "shape-parent"}],
        "WarmStartType": "IdenticalDataAndAlgorithm"})
    sm.create_training_job(
        TrainingJobName="shape-standalone", RoleArn=ROLE_ARN, InputDataConfig=channels(),
        AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"objective": "binary:logistic", "num_round": "5"},
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    wait_for(lambda: sm.describe_training_job(TrainingJobName="shape-standalone"), "TrainingJobStatus", TERMINAL)
    best = parent["BestTrainingJob"]["TrainingJobName"]
    artifact = sm.describe_training_job(TrainingJobName=best)["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="shape-model", ExecutionRoleArn=ROLE_ARN,
                    PrimaryContainer={"Image": XGBOOST_IMAGE, "ModelDataUrl": artifact})
    sm.create_endpoint_config(EndpointConfigName="shape-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "shape-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="shape-endpoint", EndpointConfigName="shape-config")
    wait_for(lambda: sm.describe_endpoint(EndpointName="shape-endpoint"), "EndpointStatus", {"InService", "Failed"})
    assert platform.wait_idle(30)
    return {"parent": parent, "child": child, "best": best}


def _calls(sm: Any, world: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    jobs = [s["TrainingJobName"] for t in ("shape-parent", "shape-child")
            for s in sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=t)[
                "TrainingJobSummaries"]]
    return [
        ("describe_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "shape-parent"}),
        ("describe_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "shape-child"}),
        ("list_hyper_parameter_tuning_jobs", {}),
        ("list_training_jobs_for_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "shape-parent"}),
        ("list_training_jobs_for_hyper_parameter_tuning_job", {"HyperParameterTuningJobName": "shape-child"}),
        *[("describe_training_job", {"TrainingJobName": name}) for name in [*jobs, "shape-standalone"]],
        ("list_training_jobs", {}),
        ("describe_model", {"ModelName": "shape-model"}),
        ("list_models", {}),
        ("describe_endpoint_config", {"EndpointConfigName": "shape-config"}),
        ("list_endpoint_configs", {}),
        ("describe_endpoint", {"EndpointName": "shape-endpoint"}),
        ("list_endpoints", {}),
        ("list_tags", {"ResourceArn": world["parent"]["HyperParameterTuningJobArn"]}),
    ]


def test_every_describe_and_list_answer_fits_botocores_output_shape(aws, world):
    sm = aws("sagemaker")
    found: list[str] = []
    with raw_bodies(sm) as bodies:
        for method, kwargs in _calls(sm, world):
            getattr(sm, method)(**kwargs)
        operations = {sm.meta.method_to_api_mapping[m] for m, _ in _calls(sm, world)}
        for operation in sorted(operations):
            assert bodies(operation), operation
            for body in bodies(operation):
                found += check(sm, operation, body)
    assert found == [], "\n".join(found)


def test_jobs_that_set_no_vpc_or_checkpoint_leave_the_keys_out(aws, world):
    job = aws("sagemaker").describe_training_job(TrainingJobName=world["best"])
    assert "VpcConfig" not in job and "CheckpointConfig" not in job


def test_tuning_objective_metric_is_added_to_static_and_job_hyperparameters(aws, world):
    sm = aws("sagemaker")
    definition = world["parent"]["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"]["_tuning_objective_metric"] == "validation:auc"
    job = sm.describe_training_job(TrainingJobName=world["best"])
    assert job["HyperParameters"]["_tuning_objective_metric"] == "validation:auc"
    recorded = _recorded("describe_hyper_parameter_tuning_job.json")["TrainingJobDefinition"]["StaticHyperParameters"]
    assert "_tuning_objective_metric" in recorded  # as AWS itself answers


def test_builtin_metric_definitions_appear_in_the_tuning_jobs_definition(world):
    spec = world["parent"]["TrainingJobDefinition"]["AlgorithmSpecification"]
    builtin = builtin_for_image(XGBOOST_IMAGE)
    assert builtin is not None
    assert spec["MetricDefinitions"] == [dict(d) for d in builtin.metric_definitions]


def test_flexible_instances_give_each_job_a_resource_config(aws, world):
    sm = aws("sagemaker")
    name = world["child"]["BestTrainingJob"]["TrainingJobName"]
    job = sm.describe_training_job(TrainingJobName=name)
    assert job["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}


@pytest.mark.parametrize("job", ["launched-by-tuning", "standalone"])
def test_training_jobs_carry_an_empty_kms_key_id_as_aws_answers(aws, world, job):
    sm = aws("sagemaker")
    name = world["best"] if job == "launched-by-tuning" else "shape-standalone"
    config = sm.describe_training_job(TrainingJobName=name)["OutputDataConfig"]
    recorded = _recorded("describe_training_job.json")["OutputDataConfig"]
    assert config == {"KmsKeyId": recorded["KmsKeyId"], "S3OutputPath": f"s3://{BUCKET}/output"}


def test_tuning_definition_keeps_the_output_config_as_sent(world):
    """AWS adds no KmsKeyId there (the recorded tuning job has none); the SDK fills it in itself."""
    recorded = _recorded("describe_hyper_parameter_tuning_job.json")["TrainingJobDefinition"]["OutputDataConfig"]
    assert "KmsKeyId" not in recorded
    assert world["parent"]["TrainingJobDefinition"]["OutputDataConfig"] == {"S3OutputPath": f"s3://{BUCKET}/output"}


def test_warm_start_child_reports_the_overall_best_job_across_parents(aws, world):
    child, parent = world["child"], world["parent"]
    overall = child["OverallBestTrainingJob"]
    candidates = [parent["BestTrainingJob"], child["BestTrainingJob"]]
    def value(summary: dict[str, Any]) -> float:
        return float(summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])

    assert overall["TrainingJobName"] in {c["TrainingJobName"] for c in candidates}
    assert value(overall) == max(value(c) for c in candidates)
    assert "OverallBestTrainingJob" not in parent  # only warm-start jobs carry it


@pytest.mark.parametrize("operation", ["describe_training_job", "describe_hyper_parameter_tuning_job"])
def test_local_answers_have_every_top_level_key_aws_recorded(aws, world, operation):
    """Compare with real answers (see tests/data/sagemaker_recorded/README.md): AWS's keys, minus what
    depends on features the job did not use."""
    sm = aws("sagemaker")
    recorded = _recorded(f"{operation}.json")
    if operation == "describe_training_job":
        local = sm.describe_training_job(TrainingJobName=world["best"])
    else:
        local = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="shape-child")
    optional = {"ResponseMetadata", "DebugHookConfig", "ProfilerConfig", "ProfilingStatus",
                "ProfilerRuleConfigurations", "ProfilerRuleEvaluationStatuses", "WarmPoolStatus", "RetryStrategy"}
    assert set(recorded) - optional <= set(local)


_MINIMAL_JOB = {
    "TrainingJobName": "j", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/j",
    "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"}, "TrainingJobStatus": "Completed",
    "SecondaryStatus": "Completed", "AlgorithmSpecification": {"TrainingInputMode": "File"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60}, "CreationTime": 1700000000.0,
}


@pytest.mark.parametrize(("extra", "expected"), [
    pytest.param({}, [], id="conforming"),
    pytest.param({"VpcConfig": {}}, ["DescribeTrainingJob: VpcConfig: empty structure (AWS omits the key)"],
                 id="empty-vpc-config"),
    pytest.param({"CheckpointConfig": {"LocalPath": "/opt/ml/checkpoints"}},
                 ["DescribeTrainingJob: CheckpointConfig: required member S3Uri missing"], id="checkpoint-without-uri"),
    pytest.param({"TrainingJobStatus": "Done"},
                 ["DescribeTrainingJob: TrainingJobStatus: 'Done' is not one of TrainingJobStatus's values"],
                 id="unknown-enum-value"),
    pytest.param({"BillableTimeInSeconds": "12"},
                 ["DescribeTrainingJob: BillableTimeInSeconds: expected an integer, got '12'"], id="number-as-text"),
    pytest.param({"Surprise": 1},
                 ["DescribeTrainingJob: <response>: member Surprise is not in DescribeTrainingJobResponse"],
                 id="unknown-member"),
])
def test_the_shape_check_catches_what_aws_would_never_answer(extra, expected):
    import boto3

    sm = boto3.session.Session(region_name="us-east-1").client("sagemaker")
    assert check(sm, "DescribeTrainingJob", {**_MINIMAL_JOB, **extra}) == expected


def test_metric_values_are_published_to_cloudwatch_as_sagemaker_does(aws, world):
    """TrainingJobAnalytics reads namespace /aws/sagemaker/TrainingJobs, dimension TrainingJobName."""
    sm, cloudwatch = aws("sagemaker"), aws("cloudwatch")
    job = sm.describe_training_job(TrainingJobName=world["best"])
    final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    dimensions = [{"Name": "TrainingJobName", "Value": world["best"]}]
    listed = cloudwatch.list_metrics(Namespace="/aws/sagemaker/TrainingJobs", Dimensions=dimensions)["Metrics"]
    assert {m["MetricName"] for m in listed} == set(final)
    stats = cloudwatch.get_metric_statistics(
        Namespace="/aws/sagemaker/TrainingJobs", MetricName="validation:auc", Dimensions=dimensions,
        StartTime=job["TrainingStartTime"] - timedelta(minutes=1),
        EndTime=job["TrainingEndTime"] + timedelta(minutes=1),
        Period=60, Statistics=["Maximum", "SampleCount"])["Datapoints"]
    assert sum(p["SampleCount"] for p in stats) == 20  # one value per boosting round (num_round 20)
    assert max(p["Maximum"] for p in stats) >= final["validation:auc"]
