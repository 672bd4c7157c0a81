"""A validated spec -> the kwargs of boto3 ``sagemaker.create_hyper_parameter_tuning_job``."""

from __future__ import annotations

import json
from typing import Any

from tunepilot.spec.builtins import BUILTIN_ALGORITHMS
from tunepilot.spec.models import ParameterRange, Scalar, TuningSpec, hyperparameter_text

RUN_TAG_KEY = "tunepilot:run-id"
STACK_TAG_KEY = "tunepilot:stack"
_RANGE_KEYS = {
    "integer": "IntegerParameterRanges",
    "continuous": "ContinuousParameterRanges",
    "categorical": "CategoricalParameterRanges",
}


def compile_request(
    spec: TuningSpec,
    *,
    tuning_job_name: str,
    run_id: str,
    region: str = "us-east-1",
    extra_tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": tuning_job_name,
        "HyperParameterTuningJobConfig": _tuning_config(spec),
        "TrainingJobDefinition": _training_definition(spec, region),
        "Tags": _tags(spec, run_id, extra_tags),
    }
    if spec.warm_start is not None:
        request["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": p} for p in spec.warm_start.parents],
            "WarmStartType": spec.warm_start.type,
        }
    return request


# --- tuning config ------------------------------------------------------------------------


def _tuning_config(spec: TuningSpec) -> dict[str, Any]:
    limits = spec.limits
    resource_limits: dict[str, Any] = {"MaxParallelTrainingJobs": limits.max_parallel_jobs}
    # Grid runs every combination; AMT counts them itself (the SDK leaves max_jobs unset for Grid).
    if spec.strategy.type != "Grid" and limits.max_jobs is not None:
        resource_limits["MaxNumberOfTrainingJobs"] = limits.max_jobs
    if limits.max_tuning_runtime is not None:
        resource_limits["MaxRuntimeInSeconds"] = limits.max_tuning_runtime
    config: dict[str, Any] = {
        "Strategy": spec.strategy.type,
        "HyperParameterTuningJobObjective": {"Type": spec.objective.type, "MetricName": spec.objective.metric},
        "ResourceLimits": resource_limits,
        "ParameterRanges": _parameter_ranges(spec),
        "TrainingJobEarlyStoppingType": spec.early_stopping,
    }
    if spec.strategy.hyperband is not None:
        hb = spec.strategy.hyperband
        config["StrategyConfig"] = {
            "HyperbandStrategyConfig": {"MinResource": hb.min_resource, "MaxResource": hb.max_resource}
        }
    criteria = _completion_criteria(spec)
    if criteria:
        config["TuningJobCompletionCriteria"] = criteria
    if spec.random_seed is not None:
        config["RandomSeed"] = spec.random_seed
    return config


def _parameter_ranges(spec: TuningSpec) -> dict[str, list[dict[str, Any]]]:
    script_mode = spec.algorithm.kind == "script"
    ranges: dict[str, list[dict[str, Any]]] = {key: [] for key in _RANGE_KEYS.values()}
    for name, r in spec.hyperparameters.ranges.items():
        ranges[_RANGE_KEYS[r.type]].append(_one_range(name, r, script_mode))
    return ranges


def _one_range(name: str, r: ParameterRange, script_mode: bool) -> dict[str, Any]:
    if r.type == "categorical":
        # Like the SDK's CategoricalParameter.as_json_range for framework estimators.
        encode = _json_value if script_mode else hyperparameter_text
        return {"Name": name, "Values": [encode(v) for v in r.values or []]}
    assert r.min is not None and r.max is not None  # the rules guarantee numeric bounds
    low, high = (int(r.min), int(r.max)) if r.type == "integer" else (r.min, r.max)
    return {"Name": name, "MinValue": str(low), "MaxValue": str(high), "ScalingType": r.scaling}


def _completion_criteria(spec: TuningSpec) -> dict[str, Any]:
    c = spec.completion_criteria
    if c is None:
        return {}
    criteria: dict[str, Any] = {}
    if c.target_objective_value is not None:
        criteria["TargetObjectiveMetricValue"] = c.target_objective_value
    if c.best_objective_not_improving is not None:
        criteria["BestObjectiveNotImproving"] = {"MaxNumberOfTrainingJobsNotImproving": c.best_objective_not_improving}
    if c.convergence_detection is not None:
        criteria["ConvergenceDetected"] = {"CompleteOnConvergence": c.convergence_detection}
    return criteria


# --- training job definition --------------------------------------------------------------


def _training_definition(spec: TuningSpec, region: str) -> dict[str, Any]:
    r = spec.resources
    definition: dict[str, Any] = {
        "AlgorithmSpecification": _algorithm_specification(spec, region),
        "RoleArn": spec.role_arn,
        "InputDataConfig": [_channel(name, c) for name, c in r.channels.items()],
        "OutputDataConfig": {"S3OutputPath": r.output_path},
        "ResourceConfig": {
            "InstanceType": r.instance_type,
            "InstanceCount": r.instance_count,
            "VolumeSizeInGB": r.volume_size_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.limits.max_runtime},
        "EnableManagedSpotTraining": r.spot.enabled,
    }
    static = static_hyperparameters(spec)
    if static:
        definition["StaticHyperParameters"] = static
    if not definition["InputDataConfig"]:
        del definition["InputDataConfig"]
    if r.spot.enabled:
        # Spot jobs wait for capacity; without max_wait the SDK waits as long as a job may run.
        definition["StoppingCondition"]["MaxWaitTimeInSeconds"] = r.spot.max_wait or spec.limits.max_runtime
        if r.spot.checkpoint_s3_uri:
            definition["CheckpointConfig"] = {"S3Uri": r.spot.checkpoint_s3_uri}
    if r.environment:
        definition["Environment"] = {k: hyperparameter_text(v) for k, v in r.environment.items()}
    return definition


def _algorithm_specification(spec: TuningSpec, region: str) -> dict[str, Any]:
    algorithm = spec.algorithm
    if algorithm.builtin is not None:
        image = BUILTIN_ALGORITHMS[algorithm.builtin.name].image_uri(region, algorithm.builtin.version)
    elif algorithm.image is not None:
        image = algorithm.image.uri
    else:
        assert algorithm.script is not None
        image = algorithm.script.framework_image
    result: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": spec.resources.input_mode}
    # A built-in container's own metrics are known to SageMaker: send only the user's extra ones.
    user = [d.as_sagemaker() for d in algorithm.user_metric_definitions()]
    if user:
        result["MetricDefinitions"] = user
    return result


def _channel(name: str, channel: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": channel.s3_uri,
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }
    if channel.content_type:
        result["ContentType"] = channel.content_type
    if channel.input_mode:
        result["InputMode"] = channel.input_mode
    return result


def static_hyperparameters(spec: TuningSpec) -> dict[str, str]:
    """Static hyperparameters as SageMaker wants them: every value a string.

    Script mode follows the SageMaker SDK's Framework estimators: values are JSON-encoded
    (``"train.py"`` with its quotes) and the container learns its entry point and code from
    ``sagemaker_program`` and ``sagemaker_submit_directory``.
    """
    static = spec.hyperparameters.static
    script = spec.algorithm.script
    if script is None:
        return {k: hyperparameter_text(v) for k, v in static.items()}
    encoded = {k: _json_value(v) for k, v in static.items()}
    encoded["sagemaker_program"] = json.dumps(script.entry_point)
    encoded["sagemaker_submit_directory"] = json.dumps(script.source_dir)
    encoded["sagemaker_container_log_level"] = "20"
    return encoded


def _json_value(value: Scalar) -> str:
    return json.dumps(value)


def _tags(spec: TuningSpec, run_id: str, extra: dict[str, str] | None) -> list[dict[str, str]]:
    tags = {**spec.resources.tags, **(extra or {}), RUN_TAG_KEY: run_id}
    return [{"Key": k, "Value": v} for k, v in tags.items()]
