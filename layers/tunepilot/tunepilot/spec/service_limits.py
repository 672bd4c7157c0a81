"""Every spec field checked against SageMaker's own service model, the one botocore ships with boto3.

A spec can pass every TunePilot rule and still be refused by SageMaker at StartTuning or, worse,
at Deploy after the whole tuning spend: a name with a trailing newline, an instance type with a
typo, a tag value with ``!``, 49 environment variables. The model knows each field's pattern,
enum, length and count limits, so they are read from it rather than copied here:

- patterns must match the WHOLE value (``fullmatch``: ``$`` would also match before a trailing
  newline), with the ``regex`` module because AWS patterns use ``\\p{L}``-style classes;
- enums (training and endpoint instance types), lengths, list and map sizes, numeric bounds.

Each check names the spec field it is about; the request field it ends up in is the address in
the model. TunePilot's own limits (``max_tuning_runtime`` within what the run can wait for) sit
beside them, because they too would only fail after the spend.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
import regex

from tunepilot.compile.request import RUN_TAG_KEY, STACK_TAG_KEY, hyperparameter_text
from tunepilot.spec.durations import format_duration
from tunepilot.spec.problems import printable

TUNING = "CreateHyperParameterTuningJob"
ENDPOINT = "CreateEndpoint"
ENDPOINT_CONFIG = "CreateEndpointConfig"
TRAINING_JOB = "DescribeTrainingJob"

# Tags TunePilot adds to the tuning job itself; the user's tags share the list with them.
TUNEPILOT_TAGS = len((RUN_TAG_KEY, STACK_TAG_KEY))
# Extra static hyperparameters script mode sends (sagemaker_program, _submit_directory, _container_log_level).
SCRIPT_MODE_HYPERPARAMETERS = 3
# WaitForTuning's TimeoutSeconds in statemachine/tuning.asl.json (a contract test keeps them equal):
# past it the run fails while the tuning job may still spend.
WAIT_FOR_TUNING_TIMEOUT_S = 31 * 86400
# Time for AMT to stop its last training jobs once the tuning job's own runtime limit is reached.
STOP_MARGIN_S = 3600
MAX_TUNING_RUNTIME_S = WAIT_FOR_TUNING_TIMEOUT_S - STOP_MARGIN_S


@dataclass(frozen=True)
class Limit:
    """One field's constraints from the model."""

    address: str  # "CreateHyperParameterTuningJob:TrainingJobDefinition.Environment"
    type_name: str
    min: int | float | None
    max: int | float | None
    pattern: str | None
    enum: tuple[str, ...]


@cache
def _service_model() -> Any:
    """SageMaker's model, loaded once per process (about 0.4 s) and only when a spec is validated."""
    return botocore.session.get_session().get_service_model("sagemaker")


@cache
def limit(address: str) -> Limit:
    """The constraints of the field at ``Operation:Member.Member[].key|value``."""
    operation, _, path = address.partition(":")
    shape = _service_model().operation_model(operation).input_shape
    for part in filter(None, path.replace("[]", ".[]").split(".")):
        if part == "[]":
            shape = shape.member
        elif part in ("key", "value") and shape.type_name == "map":
            shape = getattr(shape, part)
        else:
            shape = shape.members[part]
    meta = shape.metadata
    return Limit(address, shape.type_name, meta.get("min"), meta.get("max"), meta.get("pattern"),
                 tuple(getattr(shape, "enum", None) or ()))


@cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def text_problem(address: str, value: str, what: str) -> str | None:
    """Why SageMaker would refuse ``value`` for the field at ``address``, or None."""
    rule = limit(address)
    shown = printable(value)
    if rule.enum and value not in rule.enum:
        close = difflib.get_close_matches(value, rule.enum, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else f" (SageMaker offers {len(rule.enum)})"
        return f"'{shown}' is not {what} SageMaker offers{hint}"
    if rule.max is not None and len(value) > rule.max:
        return f"{what} is {len(value)} characters; SageMaker allows at most {rule.max:g}"
    if rule.min is not None and len(value) < rule.min:
        return f"{what} needs at least {rule.min:g} character{'s' if rule.min != 1 else ''}"
    if rule.pattern and not _compiled(rule.pattern).fullmatch(value, timeout=1.0):
        newline = " (it ends in a line break: a YAML | block keeps one; use |- or a plain value)" if (
            value.endswith("\n")) else ""
        return f"'{shown}' is not {what} SageMaker accepts: the whole value must match {rule.pattern}{newline}"
    return None


def count_problem(address: str, count: int, what: str, taken: int = 0) -> str | None:
    """Why SageMaker would refuse ``count`` entries (``taken`` more are added by TunePilot), or None."""
    rule = limit(address)
    if rule.max is not None and count + taken > rule.max:
        room = f"{rule.max - taken:g} (TunePilot adds {taken} of the {rule.max:g})" if taken else f"{rule.max:g}"
        return f"{count} {what}; SageMaker allows at most {room}"
    return None


def number_problem(address: str, value: float, what: str) -> str | None:
    rule = limit(address)
    if rule.min is not None and value < rule.min:
        return f"{what} must be at least {_shown(rule.min, address)}; got {_shown(value, address)}"
    if rule.max is not None and value > rule.max:
        return f"{what} must be at most {_shown(rule.max, address)}; got {_shown(value, address)}"
    return None


def _shown(value: float, address: str) -> str:
    return f"{format_duration(value)} ({value:g}s)" if address.endswith("InSeconds") else f"{value:g}"


# --- the spec's fields, and where each ends up ----------------------------------------------

_DEFINITION = f"{TUNING}:TrainingJobDefinition"
_CONFIG = f"{TUNING}:HyperParameterTuningJobConfig"
METRIC_REGEX = f"{_DEFINITION}.AlgorithmSpecification.MetricDefinitions[].Regex"


def findings(sections: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, problem) for every field SageMaker would refuse; only well-formed sections are read."""
    checks = (
        ("objective", _objective), ("hyperparameters", _hyperparameters), ("limits", _limits),
        ("strategy", _strategy), ("completion_criteria", _completion), ("random_seed", _seed),
        ("warm_start", _warm_start), ("algorithm", _algorithm), ("resources", _resources),
        ("role_arn", _role), ("baseline", _baseline), ("deploy", _deploy),
    )
    for name, check in checks:
        if sections.get(name) is not None:
            yield from check(sections[name], sections)


def wait_warnings(sections: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, warning) when nothing bounds the tuning job within what the run waits for."""
    limits = sections.get("limits")
    if limits is None or limits.max_tuning_runtime is not None or limits.max_jobs is None:
        return
    resources = sections.get("resources")
    spot = resources.spot if resources is not None else None
    per_job = max(limits.max_runtime, spot.max_wait or 0) if spot is not None and spot.enabled else limits.max_runtime
    rounds = math.ceil(limits.max_jobs / limits.max_parallel_jobs)
    if rounds * per_job > MAX_TUNING_RUNTIME_S:
        yield "limits.max_tuning_runtime", (
            f"not set, and {rounds} rounds of jobs of up to {format_duration(per_job)} could run "
            f"{format_duration(rounds * per_job)}, longer than TunePilot waits for a tuning job "
            f"({format_duration(WAIT_FOR_TUNING_TIMEOUT_S)}); set it to at most {format_duration(MAX_TUNING_RUNTIME_S)}"
        )


def _text(path: str, value: str, address: str, what: str) -> Iterator[tuple[str, str]]:
    problem = text_problem(address, value, what)
    if problem:
        yield path, problem


def _count(path: str, count: int, address: str, what: str, taken: int = 0) -> Iterator[tuple[str, str]]:
    problem = count_problem(address, count, what, taken)
    if problem:
        yield path, problem


def _number(path: str, value: float | None, address: str, what: str) -> Iterator[tuple[str, str]]:
    problem = number_problem(address, value, what) if value is not None else None
    if problem:
        yield path, problem


def _objective(objective: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _text("objective.metric", objective.metric, f"{_CONFIG}.HyperParameterTuningJobObjective.MetricName",
                     "a metric name")


def _hyperparameters(hp: Any, sections: dict[str, Any]) -> Iterator[tuple[str, str]]:
    ranges = f"{_CONFIG}.ParameterRanges.CategoricalParameterRanges[]"
    for name, r in hp.ranges.items():
        path = f"hyperparameters.ranges.{name}"
        yield from _text(path, name, f"{ranges}.Name", "a hyperparameter name")
        if r.values is not None:
            yield from _count(f"{path}.values", len(r.values), f"{ranges}.Values", "values")
        for i, value in enumerate(r.values or []):
            yield from _text(f"{path}.values[{i}]", hyperparameter_text(value), f"{ranges}.Values[]",
                             "a categorical value")
        for bound in ("min", "max"):
            value = getattr(r, bound)
            if value is not None and math.isfinite(value):  # sent as compile writes it: 1e256 -> 257 digits
                text = str(int(value)) if r.type == "integer" else str(value)
                yield from _text(f"{path}.{bound}", text, f"{ranges}.Values[]", "a range bound")
    algorithm = sections.get("algorithm")
    script_mode = algorithm is not None and algorithm.script is not None
    # What compile sends: script mode JSON-encodes values, like the SageMaker SDK's framework estimators.
    encode = json.dumps if script_mode else hyperparameter_text
    static = f"{_DEFINITION}.StaticHyperParameters"
    added = SCRIPT_MODE_HYPERPARAMETERS if script_mode else 0
    yield from _count("hyperparameters.static", len(hp.static), static, "static hyperparameters", added)
    for name, value in hp.static.items():
        path = f"hyperparameters.static.{name}"
        yield from _text(path, name, f"{static}.key", "a hyperparameter name")
        yield from _text(path, encode(value), f"{static}.value", "a hyperparameter value")


def _limits(limits: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    resource = f"{_CONFIG}.ResourceLimits"
    yield from _number("limits.max_jobs", limits.max_jobs, f"{resource}.MaxNumberOfTrainingJobs", "max_jobs")
    yield from _number("limits.max_parallel_jobs", limits.max_parallel_jobs, f"{resource}.MaxParallelTrainingJobs",
                       "max_parallel_jobs")
    yield from _number("limits.max_runtime", limits.max_runtime, f"{_DEFINITION}.StoppingCondition.MaxRuntimeInSeconds",
                       "max_runtime")
    runtime = limits.max_tuning_runtime
    if runtime is None:
        return
    problem = number_problem(f"{resource}.MaxRuntimeInSeconds", runtime, "max_tuning_runtime")
    if problem:
        yield "limits.max_tuning_runtime", problem
    elif runtime > MAX_TUNING_RUNTIME_S:
        yield "limits.max_tuning_runtime", (
            f"{format_duration(runtime)} is longer than TunePilot can wait for a tuning job: WaitForTuning gives "
            f"up after {format_duration(WAIT_FOR_TUNING_TIMEOUT_S)}, so give at most "
            f"{format_duration(MAX_TUNING_RUNTIME_S)} (the rest is time for AMT to stop its last jobs)"
        )


def _strategy(strategy: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    hb = strategy.hyperband
    if hb is not None:
        base = f"{_CONFIG}.StrategyConfig.HyperbandStrategyConfig"
        yield from _number("strategy.hyperband.min_resource", hb.min_resource, f"{base}.MinResource", "min_resource")
        yield from _number("strategy.hyperband.max_resource", hb.max_resource, f"{base}.MaxResource", "max_resource")


def _completion(criteria: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    address = f"{_CONFIG}.TuningJobCompletionCriteria.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving"
    yield from _number("completion_criteria.best_objective_not_improving", criteria.best_objective_not_improving,
                       address, "best_objective_not_improving")


def _seed(seed: int, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _number("random_seed", seed, f"{_CONFIG}.RandomSeed", "random_seed")


def _warm_start(warm_start: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    parents = f"{TUNING}:WarmStartConfig.ParentHyperParameterTuningJobs"
    yield from _count("warm_start.parents", len(warm_start.parents), parents, "parents")
    for i, parent in enumerate(warm_start.parents):
        yield from _text(f"warm_start.parents[{i}]", parent, f"{parents}[].HyperParameterTuningJobName",
                         "a tuning job name")


def _algorithm(algorithm: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    spec = f"{_DEFINITION}.AlgorithmSpecification"
    if algorithm.image is not None:
        yield from _text("algorithm.image.uri", algorithm.image.uri, f"{spec}.TrainingImage", "an image URI")
    if algorithm.script is not None:
        script = algorithm.script
        yield from _text("algorithm.script.framework_image", script.framework_image, f"{spec}.TrainingImage",
                         "an image URI")
        # Script mode passes these as JSON-quoted static hyperparameters.
        for field in ("entry_point", "source_dir"):
            yield from _text(f"algorithm.script.{field}", json.dumps(getattr(script, field)),
                             f"{_DEFINITION}.StaticHyperParameters.value", "a hyperparameter value")
    base = f"algorithm.{algorithm.kind}.metric_definitions"
    definitions = algorithm.user_metric_definitions()
    yield from _count(base, len(definitions), f"{spec}.MetricDefinitions", "metric definitions")
    for i, d in enumerate(definitions):
        yield from _text(f"{base}[{i}].name", d.name, f"{spec}.MetricDefinitions[].Name", "a metric name")
        yield from _text(f"{base}[{i}].regex", d.regex, METRIC_REGEX, "a metric regex")


def _resources(r: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _text("resources.instance_type", r.instance_type, f"{_DEFINITION}.ResourceConfig.InstanceType",
                     "a training instance type")
    yield from _number("resources.instance_count", r.instance_count, f"{_DEFINITION}.ResourceConfig.InstanceCount",
                       "instance_count")
    channels = f"{_DEFINITION}.InputDataConfig"
    yield from _count("resources.channels", len(r.channels), channels, "channels")
    for name, channel in r.channels.items():
        path = f"resources.channels.{name}"
        yield from _text(path, name, f"{channels}[].ChannelName", "a channel name")
        yield from _text(f"{path}.s3_uri", channel.s3_uri, f"{channels}[].DataSource.S3DataSource.S3Uri", "an S3 URI")
        if channel.content_type is not None:
            yield from _text(f"{path}.content_type", channel.content_type, f"{channels}[].ContentType",
                             "a content type")
    yield from _text("resources.output_path", r.output_path, f"{_DEFINITION}.OutputDataConfig.S3OutputPath",
                     "an S3 URI")
    if r.spot.checkpoint_s3_uri is not None:
        yield from _text("resources.spot.checkpoint_s3_uri", r.spot.checkpoint_s3_uri,
                         f"{_DEFINITION}.CheckpointConfig.S3Uri", "an S3 URI")
    yield from _number("resources.spot.max_wait", r.spot.max_wait,
                       f"{_DEFINITION}.StoppingCondition.MaxWaitTimeInSeconds", "max_wait")
    environment = f"{_DEFINITION}.Environment"
    yield from _count("resources.environment", len(r.environment), environment, "environment variables")
    for key, value in r.environment.items():
        path = f"resources.environment.{key}"
        yield from _text(path, key, f"{environment}.key", "an environment variable name")
        yield from _text(path, hyperparameter_text(value), f"{environment}.value", "an environment variable value")
    tags = f"{TUNING}:Tags"
    yield from _count("resources.tags", len(r.tags), tags, "tags", TUNEPILOT_TAGS)
    for key, value in r.tags.items():
        path = f"resources.tags.{key}"
        yield from _text(path, key, f"{tags}[].Key", "a tag key")
        yield from _text(path, value, f"{tags}[].Value", "a tag value")


def _role(role_arn: str, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _text("role_arn", role_arn, f"{_DEFINITION}.RoleArn", "an IAM role ARN")


def _baseline(baseline: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if baseline.training_job is not None:
        yield from _text("baseline.training_job", baseline.training_job, f"{TRAINING_JOB}:TrainingJobName",
                         "a training job name")


def _deploy(deploy: Any, _: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if deploy.endpoint_name is not None:
        yield from _text("deploy.endpoint_name", deploy.endpoint_name, f"{ENDPOINT}:EndpointName", "an endpoint name")
    variant = f"{ENDPOINT_CONFIG}:ProductionVariants[]"
    if deploy.instance_type is not None:
        yield from _text("deploy.instance_type", deploy.instance_type, f"{variant}.InstanceType",
                         "an endpoint instance type")
    yield from _number("deploy.instance_count", deploy.instance_count, f"{variant}.InitialInstanceCount",
                       "instance_count")
