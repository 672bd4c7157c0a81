"""State changes on moto's own SageMaker objects, each primary status change announced as an event.

moto builds describe responses from the objects' attributes, so every attribute a job will ever
have is set when it is created (a new attribute appearing while a describe iterates would break it).
"""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from moto.sagemaker.models import FakeTrainingJob
from tunepilot.spec.builtins import builtin_for_image

from tunepilot_local.sagemaker import events

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.host import Host


def training_job_name(tuning_job_name: str, index: int) -> str:
    """AMT's naming: ``<tuning-job>-<NNN>-<8 hex>``."""
    return f"{tuning_job_name}-{index:03d}-{secrets.token_hex(4)}"


def resource_config(definition: dict[str, Any]) -> dict[str, Any]:
    """The job's ResourceConfig; from HyperParameterTuningResourceConfig (its first instance config,
    the one AMT tries first under AllocationStrategy Prioritized) when the definition has no ResourceConfig."""
    if definition.get("ResourceConfig"):
        return copy.deepcopy(definition["ResourceConfig"])  # type: ignore[no-any-return]
    flexible = definition.get("HyperParameterTuningResourceConfig") or {}
    chosen = (flexible.get("InstanceConfigs") or [flexible])[0]
    config = {key: chosen.get(key, flexible.get(key)) for key in ("InstanceType", "InstanceCount", "VolumeSizeInGB")}
    if flexible.get("VolumeKmsKeyId"):
        config["VolumeKmsKeyId"] = flexible["VolumeKmsKeyId"]
    return {k: v for k, v in config.items() if v is not None}


def add_tuning_fields(definition: dict[str, Any], objective_metric: str) -> None:
    """What AWS adds to a tuning job's training job definition itself (see tests/data/sagemaker_recorded/):
    ``_tuning_objective_metric`` in the static hyperparameters, which every training job inherits, a
    built-in algorithm's metric definitions, and a ResourceConfig for a single-type
    HyperParameterTuningResourceConfig."""
    definition["StaticHyperParameters"] = {
        **(definition.get("StaticHyperParameters") or {}), "_tuning_objective_metric": objective_metric}
    flexible = definition.get("HyperParameterTuningResourceConfig") or {}
    if not definition.get("ResourceConfig") and flexible.get("InstanceType"):
        # One instance type (what the SageMaker SDK sends): AWS answers it as the ResourceConfig too, which
        # HyperparameterTuner.attach reads. A list of InstanceConfigs names no single one: no ResourceConfig.
        definition["ResourceConfig"] = resource_config(definition)
    spec = definition.get("AlgorithmSpecification") or {}
    builtin = builtin_for_image(spec.get("TrainingImage", ""))
    if builtin is not None and not spec.get("MetricDefinitions"):
        spec["MetricDefinitions"] = [dict(d) for d in builtin.metric_definitions]


def new_training_job(
    host: Host, backend: Any, name: str, definition: dict[str, Any], hyperparameters: dict[str, str],
    *, tuning_job_arn: str | None = None, tags: list[dict[str, str]] | None = None,
) -> FakeTrainingJob:
    """A training job in moto's backend, InProgress/Starting, from a (tuning) training job definition."""
    with host.lock:
        return _new_training_job(host, backend, name, definition, hyperparameters, tuning_job_arn, tags)


def _new_training_job(
    host: Host, backend: Any, name: str, definition: dict[str, Any], hyperparameters: dict[str, str],
    tuning_job_arn: str | None, tags: list[dict[str, str]] | None,
) -> FakeTrainingJob:
    spec = copy.deepcopy(definition.get("AlgorithmSpecification", {}))
    metric_definitions = spec.get("MetricDefinitions")
    builtin = builtin_for_image(spec.get("TrainingImage", ""))
    if metric_definitions is None and builtin is not None:  # DescribeTrainingJob shows a built-in's own metrics
        metric_definitions = [dict(d) for d in builtin.metric_definitions]
    job = FakeTrainingJob(
        account_id=backend.account_id,
        region_name=backend.region_name,
        training_job_name=name,
        hyper_parameters=hyperparameters,
        algorithm_specification=spec,
        role_arn=definition.get("RoleArn", ""),
        input_data_config=copy.deepcopy(definition.get("InputDataConfig", [])),
        # AWS answers KmsKeyId "" when none was given (see tests/data/sagemaker_recorded/).
        output_data_config={"KmsKeyId": "", **copy.deepcopy(definition.get("OutputDataConfig", {}))},
        resource_config=resource_config(definition),
        # None, not {}: moto leaves None out of the answer, as AWS leaves out what was not set.
        vpc_config=copy.deepcopy(definition.get("VpcConfig")) or None,  # type: ignore[arg-type]
        stopping_condition=copy.deepcopy(definition.get("StoppingCondition", {})),
        tags=list(tags or []),
        enable_network_isolation=definition.get("EnableNetworkIsolation", False),
        enable_inter_container_traffic_encryption=definition.get("EnableInterContainerTrafficEncryption", False),
        enable_managed_spot_training=definition.get("EnableManagedSpotTraining", False),
        checkpoint_config=copy.deepcopy(definition.get("CheckpointConfig")) or None,  # type: ignore[arg-type]
        debug_hook_config=None,  # type: ignore[arg-type]
        debug_rule_configurations=None,  # type: ignore[arg-type]
        tensor_board_output_config=None,  # type: ignore[arg-type]
        experiment_config=None,  # type: ignore[arg-type]
    )
    # moto stamps its own canned metric definitions and statuses; put the real ones back.
    if metric_definitions is None:
        spec.pop("MetricDefinitions", None)
    else:
        spec["MetricDefinitions"] = metric_definitions
    stamp = host.now()
    job.creation_time = job.last_modified_time = stamp
    job.training_job_status = "InProgress"
    job.secondary_status = "Starting"
    job.secondary_status_transitions = [
        {"Status": "Starting", "StartTime": stamp, "StatusMessage": "Preparing the instances for training"}
    ]
    job.final_metric_data_list = []
    extra: dict[str, Any] = {  # attributes moto's describe will show (camel-cased)
        "training_start_time": None,
        "training_end_time": None,
        "failure_reason": None,
        "billable_time_in_seconds": None,
        "training_time_in_seconds": None,
        "tuning_job_arn": tuning_job_arn,
    }
    vars(job).update(extra)
    backend.training_jobs[name] = job
    return job


def set_training_status(host: Host, job: Any, status: str, secondary: str, message: str) -> None:
    with host.lock:
        changed = job.training_job_status != status
        stamp = host.now()
        transitions = job.secondary_status_transitions
        if job.secondary_status != secondary:
            if transitions and "EndTime" not in transitions[-1]:
                transitions[-1]["EndTime"] = stamp
            transitions.append({"Status": secondary, "StartTime": stamp, "StatusMessage": message})
        if status in ("Completed", "Stopped", "Failed") and transitions:
            transitions[-1].setdefault("EndTime", stamp)
        job.training_job_status = status
        job.secondary_status = secondary
        job.last_modified_time = stamp
        detail = events.training_detail(job) if changed else None
    if detail is not None:
        host.emitter.emit(events.TRAINING, job.arn, detail)
    if changed:
        host.training_changed(job)


def emit_training_created(host: Host, job: Any) -> None:
    host.emitter.emit(events.TRAINING, job.arn, events.training_detail(job))


def set_tuning_status(host: Host, job: Any, status: str, reason: str | None = None) -> None:
    with host.lock:
        job.hyper_parameter_tuning_job_status = status
        job.last_modified_time = host.now()
        if reason:
            job.failure_reason = reason
        if status in ("Completed", "Stopped", "Failed"):
            job.hyper_parameter_tuning_end_time = job.last_modified_time
        detail = events.tuning_detail(job)
    host.emitter.emit(events.TUNING, job.arn, detail)


def set_endpoint_status(host: Host, endpoint: Any, status: str, reason: str | None = None) -> None:
    with host.lock:
        endpoint.endpoint_status = status
        endpoint.failure_reason = reason
        endpoint.last_modified_time = host.now()
        detail = events.endpoint_detail(endpoint)
    host.emitter.emit(events.ENDPOINT, endpoint.arn, detail)
