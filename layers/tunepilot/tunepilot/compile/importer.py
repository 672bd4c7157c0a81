"""A CreateHyperParameterTuningJob request (or a DescribeHyperParameterTuningJob response) -> a spec. Pure.

The inverse of :mod:`tunepilot.compile.request`. A describe response is first projected onto the
create request's shape with botocore's own service model, so output-only fields (status, counters,
best job, times) fall away and every remaining field is something the user asked for.

Nothing is dropped silently: the spec is compiled back and compared with the request after
:func:`normalise_request` (which removes only what TunePilot derives itself and AWS's documented
defaults). Every field that did not survive the round trip is named in a warning.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tunepilot.spec.builtins import BUILTIN_ALGORITHMS
from tunepilot.spec.models import JOB_NAME_PATTERN

CREATE_OPERATION = "CreateHyperParameterTuningJob"
# Static hyperparameters TunePilot (or the SageMaker SDK, or AMT) derives itself.
DERIVED_STATIC = frozenset({"_tuning_objective_metric"})
SCRIPT_STATIC = ("sagemaker_program", "sagemaker_submit_directory")
SCRIPT_DERIVED = frozenset({*SCRIPT_STATIC, "sagemaker_container_log_level"})  # compile sets these in script mode
_RANGE_KINDS = {
    "IntegerParameterRanges": "integer",
    "ContinuousParameterRanges": "continuous",
    "CategoricalParameterRanges": "categorical",
}
_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                        r"(?P<repository>[^:@]+):(?P<tag>[^@]+)$")
# SageMaker lists this beside a built-in container's own metrics when it describes the job.
AMT_OBJECTIVE_METRIC = "ObjectiveMetric"
_TP_NAME = re.compile(r"^tp-(?P<stem>.+)-[0-9a-f]{8}$")


class ImportFailed(ValueError):
    """The request cannot become a TunePilot spec at all (the message says why)."""


@dataclass
class Imported:
    """A spec document (plain data, ready for ``yaml.safe_dump``) and what the import could not carry over."""

    spec: dict[str, Any]
    region: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- describe -> request
@cache
def _create_input_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(CREATE_OPERATION).input_shape


def _project(value: Any, shape: Any) -> Any:
    if shape.type_name == "structure":
        if not isinstance(value, Mapping):
            return value
        return {k: _project(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if shape.type_name == "list" and isinstance(value, list):
        return [_project(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {k: _project(v, shape.value) for k, v in value.items()}
    return value


def request_from_describe(describe: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request a DescribeHyperParameterTuningJob response stands for."""
    projected = _project(dict(describe), _create_input_shape())
    projected.pop("ResponseMetadata", None)
    return projected


# ---------------------------------------------------------------------------------- request -> spec
def spec_from_request(request: Mapping[str, Any], *, name: str | None = None) -> Imported:
    """The spec for ``request``; raises :class:`ImportFailed` when there is no single training definition."""
    request = request_from_describe(request)  # also accepts a describe response; idempotent on a request
    _check_shape(request)
    definition, objective, ranges, notes = _single_definition(request)
    config = request.get("HyperParameterTuningJobConfig") or {}
    algorithm_spec = definition.get("AlgorithmSpecification") or {}
    image = str(algorithm_spec.get("TrainingImage") or "")
    region = _region_of(image)
    static_raw = dict(definition.get("StaticHyperParameters") or {})
    script_mode = all(k in static_raw for k in SCRIPT_STATIC)

    spec: dict[str, Any] = {"name": name or spec_name(str(request.get("HyperParameterTuningJobName") or "imported"))}
    if objective:
        spec["objective"] = {"metric": objective.get("MetricName"), "type": objective.get("Type")}
    spec["algorithm"] = _algorithm(algorithm_spec, image, static_raw, script_mode, notes)
    spec["hyperparameters"] = {
        "ranges": _ranges(ranges, script_mode),
        "static": {k: _static_value(v, script_mode) for k, v in static_raw.items()
                   if k not in DERIVED_STATIC and not (script_mode and k in SCRIPT_DERIVED)},
    }
    strategy: dict[str, Any] = {"type": config.get("Strategy", "Bayesian")}
    hyperband = ((config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig")) or {}
    if hyperband:
        strategy["hyperband"] = {"min_resource": hyperband.get("MinResource"),
                                 "max_resource": hyperband.get("MaxResource")}
    spec["strategy"] = strategy
    spec["early_stopping"] = config.get("TrainingJobEarlyStoppingType", "Off")
    spec["limits"] = _limits(config, definition, notes)
    criteria = _criteria(config.get("TuningJobCompletionCriteria") or {})
    if criteria:
        spec["completion_criteria"] = criteria
    if config.get("RandomSeed") is not None:
        spec["random_seed"] = config["RandomSeed"]
    warm = request.get("WarmStartConfig") or {}
    if warm:
        spec["warm_start"] = {"type": warm.get("WarmStartType"),
                              "parents": [p.get("HyperParameterTuningJobName")
                                          for p in warm.get("ParentHyperParameterTuningJobs") or []]}
    spec["resources"] = _resources(definition, request.get("Tags") or [], script_mode)
    spec["role_arn"] = definition.get("RoleArn")
    imported = Imported(spec=_drop_none(spec), region=region, notes=notes)
    if script_mode and static_raw.get("sagemaker_container_log_level", '"20"') not in ("20", '"20"'):
        imported.warnings.append("TrainingJobDefinition.StaticHyperParameters.sagemaker_container_log_level: "
                                 "TunePilot always sets 20 (INFO)")
    imported.warnings.extend(unexpressed(request, imported))
    return imported


def _check_shape(request: Mapping[str, Any]) -> None:
    """botocore's own parameter validation: a request AWS would refuse is not imported either."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(dict(request), _create_input_shape())
    if report.has_errors():
        problems = [" ".join(line.split()) for line in report.generate_report().splitlines()
                    if line.strip() and not line.startswith("Parameter validation failed")]
        raise ImportFailed("not a valid CreateHyperParameterTuningJob request: " + "; ".join(problems[:5]))


def spec_name(tuning_job_name: str) -> str:
    """A spec name from a tuning job name; TunePilot's own ``tp-<stem>-<8 hex>`` names give back the stem."""
    match = _TP_NAME.match(tuning_job_name)
    candidate = match.group("stem") if match else tuning_job_name
    candidate = re.sub(r"[^a-zA-Z0-9-]+", "-", candidate).strip("-")[:32].strip("-") or "imported"
    return candidate if re.fullmatch(JOB_NAME_PATTERN, candidate) else "imported"


def _single_definition(request: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
    config = request.get("HyperParameterTuningJobConfig") or {}
    notes: list[str] = []
    definition = request.get("TrainingJobDefinition")
    definitions = request.get("TrainingJobDefinitions") or []
    if definition is None and len(definitions) == 1:
        definition = definitions[0]
        notes.append("TrainingJobDefinitions has one definition: imported as TrainingJobDefinition")
        objective = definition.get("TuningObjective") or config.get("HyperParameterTuningJobObjective") or {}
        ranges = definition.get("HyperParameterRanges") or config.get("ParameterRanges") or {}
        return dict(definition), dict(objective), dict(ranges), notes
    if definition is None:
        count = len(definitions)
        raise ImportFailed(f"the tuning job has {count} training job definitions (TrainingJobDefinitions): "
                           "a TunePilot spec holds exactly one" if count else
                           "the request has no TrainingJobDefinition")
    return (dict(definition), dict(config.get("HyperParameterTuningJobObjective") or {}),
            dict(config.get("ParameterRanges") or {}), notes)


def _region_of(image: str) -> str:
    match = _ECR_IMAGE.match(image)
    return match.group("region") if match else "us-east-1"


def _algorithm(spec: Mapping[str, Any], image: str, static: Mapping[str, str], script_mode: bool,
               notes: list[str]) -> dict[str, Any]:
    definitions = [{"name": d.get("Name"), "regex": d.get("Regex")} for d in spec.get("MetricDefinitions") or []]
    builtin = _builtin_of(image)
    if builtin is not None:
        name, version = builtin
        known = _builtin_metric_names(name)
        own = [d for d in definitions if d["name"] not in known]
        if len(own) < len(definitions):
            notes.append(f"{len(definitions) - len(own)} metric definition(s) of the built-in {name} container "
                         "left out: SageMaker knows them")
        out: dict[str, Any] = {"name": name, "version": version}
        if own:
            out["metric_definitions"] = own
        return {"builtin": out}
    if script_mode:
        return {"script": {"framework_image": image,
                           "entry_point": _json_text(static["sagemaker_program"]),
                           "source_dir": _json_text(static["sagemaker_submit_directory"]),
                           "metric_definitions": definitions}}
    return {"image": {"uri": image, "metric_definitions": definitions}}


def _builtin_of(image: str) -> tuple[str, str] | None:
    match = _ECR_IMAGE.match(image)
    if not match:
        return None
    for algorithm in BUILTIN_ALGORITHMS.values():
        if match.group("repository") != algorithm.repository or match.group("tag") not in algorithm.versions:
            continue
        if algorithm.image_uri(match.group("region"), match.group("tag")) == image:
            return algorithm.name, match.group("tag")
    return None


def _builtin_metric_names(name: str) -> set[str]:
    return {d["Name"] for d in BUILTIN_ALGORITHMS[name].metric_definitions} | {AMT_OBJECTIVE_METRIC}


def _ranges(ranges: Mapping[str, Any], script_mode: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, kind in _RANGE_KINDS.items():
        for item in ranges.get(key) or []:
            if kind == "categorical":
                decode = _json_scalar if script_mode else _text_scalar
                out[item["Name"]] = {"type": kind, "values": [decode(v) for v in item.get("Values") or []]}
                continue
            entry: dict[str, Any] = {"type": kind, "min": _number(item.get("MinValue")),
                                     "max": _number(item.get("MaxValue"))}
            if item.get("ScalingType", "Auto") != "Auto":
                entry["scaling"] = item["ScalingType"]
            out[item["Name"]] = entry
    return out


def _limits(config: Mapping[str, Any], definition: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    resource = config.get("ResourceLimits") or {}
    stopping = definition.get("StoppingCondition") or {}
    limits: dict[str, Any] = {
        "max_jobs": resource.get("MaxNumberOfTrainingJobs"),
        "max_parallel_jobs": resource.get("MaxParallelTrainingJobs", 1),
        "max_runtime": stopping.get("MaxRuntimeInSeconds"),
        "max_tuning_runtime": resource.get("MaxRuntimeInSeconds"),
    }
    if limits["max_runtime"] is None:
        limits["max_runtime"] = 86400
        notes.append("StoppingCondition.MaxRuntimeInSeconds was not set: AWS's default of 1 day is written out")
    return _drop_none(limits)


def _criteria(criteria: Mapping[str, Any]) -> dict[str, Any]:
    return _drop_none({
        "target_objective_value": criteria.get("TargetObjectiveMetricValue"),
        "best_objective_not_improving": (criteria.get("BestObjectiveNotImproving") or {}).get(
            "MaxNumberOfTrainingJobsNotImproving"),
        "convergence_detection": (criteria.get("ConvergenceDetected") or {}).get("CompleteOnConvergence"),
    })


def _resources(definition: Mapping[str, Any], tags: list[Mapping[str, str]], script_mode: bool) -> dict[str, Any]:
    config = definition.get("ResourceConfig") or {}
    algorithm = definition.get("AlgorithmSpecification") or {}
    stopping = definition.get("StoppingCondition") or {}
    spot_enabled = bool(definition.get("EnableManagedSpotTraining"))
    out: dict[str, Any] = {
        "instance_type": config.get("InstanceType"),
        "instance_count": config.get("InstanceCount", 1),
        "volume_size_gb": config.get("VolumeSizeInGB"),
        "input_mode": algorithm.get("TrainingInputMode", "File"),
        "output_path": (definition.get("OutputDataConfig") or {}).get("S3OutputPath"),
    }
    if spot_enabled:
        out["spot"] = _drop_none({"enabled": True, "max_wait": stopping.get("MaxWaitTimeInSeconds"),
                                  "checkpoint_s3_uri": (definition.get("CheckpointConfig") or {}).get("S3Uri")})
    channels = {}
    for channel in definition.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        channels[channel["ChannelName"]] = _drop_none({"s3_uri": source.get("S3Uri"),
                                                       "content_type": channel.get("ContentType"),
                                                       "input_mode": channel.get("InputMode")})
    if channels:
        out["channels"] = channels
    environment = definition.get("Environment") or {}
    if environment:
        out["environment"] = dict(environment)
    own_tags = {t["Key"]: t["Value"] for t in tags if not t["Key"].startswith(("tunepilot:", "aws:"))}
    if own_tags:
        out["tags"] = own_tags
    return _drop_none(out)


# ---------------------------------------------------------------------------------- values
def _number(text: Any) -> int | float | None:
    if text is None:
        return None
    value = float(text)
    return int(value) if value.is_integer() and re.fullmatch(r"[-+]?\d+", str(text).strip()) else value


def _text_scalar(text: Any) -> Any:
    """``"40"`` -> 40 and ``"true"`` -> True only where the value compiles back to the same text."""
    from tunepilot.compile.request import hyperparameter_text

    if not isinstance(text, str):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, bool | int | float) and not (isinstance(value, float) and not math.isfinite(value)):
        return value if hyperparameter_text(value) == text else text
    return text


def _json_scalar(text: Any) -> Any:
    """Script mode's JSON-encoded values (``"\\"adam\\""``, ``"16"``) back to scalars."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return text
    return value if isinstance(value, bool | int | float | str) and json.dumps(value) == text else text


def _json_text(text: str) -> str:
    value = _json_scalar(text)
    return value if isinstance(value, str) else text


def _static_value(text: str, script_mode: bool) -> Any:
    return _json_scalar(text) if script_mode else _text_scalar(text)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------------- the round trip
def normalise_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """``request`` without what TunePilot derives itself (job name, tags, derived static hyperparameters)
    and with AWS's documented defaults written out, so two equivalent requests compare equal."""
    out = json.loads(json.dumps(request_from_describe(request), default=str))
    out.pop("HyperParameterTuningJobName", None)
    out.pop("Tags", None)
    config = out.setdefault("HyperParameterTuningJobConfig", {})
    if "TrainingJobDefinition" not in out and len(out.get("TrainingJobDefinitions") or []) == 1:
        # One entry of the multi-algorithm form says what the single-definition form says.
        definition = out.pop("TrainingJobDefinitions")[0]
        if "TuningObjective" in definition:
            config["HyperParameterTuningJobObjective"] = definition.pop("TuningObjective")
        if "HyperParameterRanges" in definition:
            config["ParameterRanges"] = definition.pop("HyperParameterRanges")
        out["TrainingJobDefinition"] = definition
    config.setdefault("TrainingJobEarlyStoppingType", "Off")
    ranges = config.get("ParameterRanges") or {}
    for key in list(ranges):
        if not ranges[key]:
            del ranges[key]
            continue
        for item in ranges[key]:
            if key in ("IntegerParameterRanges", "ContinuousParameterRanges"):
                item.setdefault("ScalingType", "Auto")
                for bound in ("MinValue", "MaxValue"):
                    if bound in item:
                        item[bound] = _float_or_text(item[bound])
    definition = out.get("TrainingJobDefinition") or {}
    static = definition.get("StaticHyperParameters") or {}
    for key in DERIVED_STATIC | {"sagemaker_container_log_level"}:
        static.pop(key, None)
    if "StaticHyperParameters" in definition and not static:
        del definition["StaticHyperParameters"]
    for key in ("EnableManagedSpotTraining", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption"):
        if definition.get(key) is False:
            del definition[key]
    algorithm = definition.get("AlgorithmSpecification") or {}
    algorithm.setdefault("TrainingInputMode", "File")
    builtin = _builtin_of(str(algorithm.get("TrainingImage") or ""))
    if builtin is not None and algorithm.get("MetricDefinitions"):
        known = _builtin_metric_names(builtin[0])
        algorithm["MetricDefinitions"] = [d for d in algorithm["MetricDefinitions"] if d["Name"] not in known]
        if not algorithm["MetricDefinitions"]:
            del algorithm["MetricDefinitions"]
    for channel in definition.get("InputDataConfig") or []:
        for key, default in (("CompressionType", "None"), ("RecordWrapperType", "None")):
            if channel.get(key) == default:
                del channel[key]
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        source.setdefault("S3DataDistributionType", "FullyReplicated")
    resource = definition.get("ResourceConfig") or {}
    resource.setdefault("InstanceCount", 1)
    return out


def _float_or_text(text: Any) -> Any:
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def unexpressed(request: Mapping[str, Any], imported: Imported) -> list[str]:
    """A warning for every field of ``request`` the imported spec does not compile back to."""
    from tunepilot.compile.request import compile_request
    from tunepilot.spec.models import TuningSpec

    try:
        spec = TuningSpec.model_validate(imported.spec)
    except ValueError:
        return []  # the caller validates the spec and reports its problems itself
    compiled = compile_request(spec, tuning_job_name="x", run_id="x-0", region=imported.region)
    original, back = _flatten(normalise_request(request)), _flatten(normalise_request(compiled))
    warnings = []
    for path, value in original.items():
        if path not in back:
            warnings.append(f"{path}: not expressible in a TunePilot spec, left out (was {_short(value)})")
        elif back[path] != value:
            warnings.append(f"{path}: becomes {_short(back[path])} (was {_short(value)})")
    return warnings


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = {}
        for i, v in enumerate(value):
            key = v.get("Name") or v.get("ChannelName") or v.get("HyperParameterTuningJobName") or i
            out.update(_flatten(v, f"{prefix}[{key}]"))
        return out
    return {prefix: value}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
