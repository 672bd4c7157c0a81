"""The tuning spec: what a user drops into S3. Field names follow the SageMaker SDK's HyperparameterTuner.

Pydantic checks each field's shape here; rules that relate fields to each other (min < max,
Grid needs categorical ranges, the budget can pay for a job) live in ``tunepilot.spec.rules`` so
that a spec with several mistakes gets every one of them reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sized
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from tunepilot.spec.builtins import BUILTIN_ALGORITHMS
from tunepilot.spec.checks import JOB_NAME_PATTERN
from tunepilot.spec.durations import parse_duration

# --- shared field types -------------------------------------------------------------------

Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"},
            ],
            "description": "Seconds, or a duration such as 90s, 90m, 2h, 1h30m, 1d.",
        }
    ),
]
Scalar = str | int | float | bool


def hyperparameter_text(value: Scalar) -> str:
    """A hyperparameter value as SageMaker passes it to a container: text, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)



def _early_stopping(value: object) -> object:
    # YAML 1.1 reads a bare `Off` as False and `On`/`yes` as True.
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return "Off"
    if value is True or (isinstance(value, str) and value.strip().lower() == "auto"):
        return "Auto"
    return value


class _Model(BaseModel):
    # Unknown keys are typos; NaN and infinity are never meant.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- objective and search space -------------------------------------------------------------


class Objective(_Model):
    metric: str = Field(min_length=1, max_length=255, description="Metric the tuner optimizes, e.g. validation:auc.")
    type: Literal["Maximize", "Minimize"] = Field(description="Whether a larger or a smaller value is better.")


class ParameterRange(_Model):
    """One tuned hyperparameter: numeric (min, max, scaling) or categorical (values)."""

    type: Literal["integer", "continuous", "categorical"] = Field(description="Kind of range.")
    min: int | float | None = Field(default=None, description="Lower bound (integer and continuous).")
    max: int | float | None = Field(default=None, description="Upper bound (integer and continuous).")
    scaling: Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"] = Field(
        default="Auto", description="How the tuner samples between min and max."
    )
    values: list[Scalar] | None = Field(default=None, description="Choices (categorical only).")

    def is_numeric(self) -> bool:
        return self.type != "categorical"


class Hyperparameters(_Model):
    ranges: dict[str, ParameterRange] = Field(default_factory=dict, description="Tuned hyperparameters by name.")
    static: dict[str, Scalar] = Field(default_factory=dict, description="Fixed hyperparameters by name.")

    def grid_size(self) -> int | None:
        """Jobs a Grid search runs over these ranges; None if a range is numeric or has no values."""
        if not self.ranges or any(r.is_numeric() or not r.values for r in self.ranges.values()):
            return None
        return grid_size(r.values or [] for r in self.ranges.values())


class Hyperband(_Model):
    min_resource: int = Field(ge=1, description="Fewest epochs/iterations a job runs before it may be stopped.")
    max_resource: int = Field(ge=1, description="Most epochs/iterations any job runs.")


class Strategy(_Model):
    type: Literal["Bayesian", "Random", "Grid", "Hyperband"] = Field(default="Bayesian", description="Search strategy.")
    hyperband: Hyperband | None = Field(default=None, description="Resource bounds; only for Hyperband.")


class Limits(_Model):
    max_jobs: int | None = Field(
        default=None, ge=1, description="Most training jobs in total (Grid: optional, defaults to the grid size)."
    )
    max_parallel_jobs: int = Field(default=1, ge=1, description="Most training jobs at once.")
    max_runtime: Duration = Field(description="Longest one training job may run.")
    max_tuning_runtime: Duration | None = Field(default=None, description="Longest the whole tuning job may run.")


class CompletionCriteria(_Model):
    target_objective_value: float | None = Field(default=None, description="Stop when a job reaches this value.")
    best_objective_not_improving: int | None = Field(
        default=None, ge=3, description="Stop after this many jobs in a row do not improve the best value."
    )
    convergence_detection: Literal["Disabled", "Enabled"] | None = Field(
        default=None, description="Let AMT stop when it detects convergence."
    )


class WarmStart(_Model):
    type: Literal["IdenticalDataAndAlgorithm", "TransferLearning"] = Field(description="AMT warm start type.")
    parents: list[str] = Field(min_length=1, description="Names of up to 5 finished tuning jobs to learn from.")


# --- algorithm ----------------------------------------------------------------------------


class MetricDefinition(_Model):
    name: str = Field(min_length=1, max_length=255, description="Metric name, e.g. validation:loss.")
    regex: str = Field(min_length=1, description="Regex with exactly one capture group around the number.")
    examples: list[str] = Field(
        default_factory=list, max_length=20, description="Up to 20 log lines the regex must read (checked)."
    )

    def as_sagemaker(self) -> dict[str, str]:
        return {"Name": self.name, "Regex": self.regex}


class BuiltinAlgorithmRef(_Model):
    name: str = Field(description=f"Built-in algorithm: one of {', '.join(sorted(BUILTIN_ALGORITHMS))}.")
    version: str = Field(description="Container version, e.g. 1.7-1.")
    metric_definitions: list[MetricDefinition] = Field(
        default_factory=list, description="Extra metrics besides the ones the container is known to print."
    )


class ImageAlgorithm(_Model):
    uri: str = Field(min_length=1, max_length=255, description="Training image URI (ECR).")
    metric_definitions: list[MetricDefinition] = Field(min_length=1, description="How to read metrics from the logs.")


class ScriptAlgorithm(_Model):
    framework_image: str = Field(min_length=1, max_length=255, description="Framework container image URI.")
    entry_point: str = Field(min_length=1, description="Script inside source_dir that the container runs.")
    source_dir: str = Field(description="s3:// URI of a tar.gz of the source folder.")
    metric_definitions: list[MetricDefinition] = Field(min_length=1, description="How to read metrics from the logs.")


class Algorithm(_Model):
    """Exactly one of builtin, image, script."""

    builtin: BuiltinAlgorithmRef | None = Field(default=None, description="A SageMaker built-in algorithm.")
    image: ImageAlgorithm | None = Field(default=None, description="Your own training image.")
    script: ScriptAlgorithm | None = Field(default=None, description="Your script in a framework image.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Algorithm:
        given = [k for k in ("builtin", "image", "script") if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of builtin, image, script (found {found})")
        return self

    @property
    def kind(self) -> Literal["builtin", "image", "script"]:
        if self.builtin is not None:
            return "builtin"
        return "image" if self.image is not None else "script"

    def user_metric_definitions(self) -> list[MetricDefinition]:
        chosen = self.builtin or self.image or self.script
        return list(chosen.metric_definitions) if chosen else []


# --- resources ----------------------------------------------------------------------------


class Channel(_Model):
    s3_uri: str = Field(description="s3:// prefix with the channel's data.")
    content_type: str | None = Field(default=None, description="MIME type, e.g. text/csv.")
    input_mode: Literal["File", "Pipe", "FastFile"] | None = Field(default=None, description="Override per channel.")


class Spot(_Model):
    enabled: bool = Field(default=False, description="Use managed spot training.")
    max_wait: Duration | None = Field(default=None, description="Longest to wait for spot capacity plus run time.")
    checkpoint_s3_uri: str | None = Field(default=None, description="Where jobs checkpoint, to survive interruption.")


class Resources(_Model):
    instance_type: str = Field(description="Training instance type, e.g. ml.m5.large.")
    instance_count: int = Field(default=1, ge=1, description="Instances per training job.")
    volume_size_gb: int = Field(default=30, ge=1, le=16384, description="EBS volume per instance, GB.")
    input_mode: Literal["File", "Pipe", "FastFile"] = Field(default="File", description="Training input mode.")
    spot: Spot = Field(default_factory=Spot, description="Managed spot training.")
    channels: dict[str, Channel] = Field(default_factory=dict, description="Input channels by name.")
    output_path: str = Field(description="s3:// prefix for model artifacts.")
    environment: dict[str, Scalar] = Field(default_factory=dict, description="Environment variables for training.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags on the tuning job.")


# --- money, baseline and deploy -----------------------------------------------------------


class Budget(_Model):
    max_cost_usd: float = Field(gt=0, description="Most the run may spend on training, USD.")
    policy: Literal["soft", "hard"] = Field(
        default="hard", description="hard: stop on projected spend; soft: alert, stop only when spent."
    )
    max_wall_clock: Duration | None = Field(default=None, description="Stop the run after this long.")
    max_training_jobs: int | None = Field(default=None, ge=1, description="Stop after this many training jobs.")
    prices: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="USD per instance-hour, overriding the built-in price table."
    )


class Baseline(_Model):
    """Exactly one of value, training_job, endpoint."""

    value: float | None = Field(default=None, description="A fixed objective value to beat.")
    training_job: str | None = Field(default=None, description="A training job whose final objective to beat.")
    endpoint: bool = Field(default=False, description="Beat the model serving on deploy.endpoint_name.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Baseline:
        given = [k for k in ("value", "training_job") if getattr(self, k) is not None] + (
            ["endpoint"] if self.endpoint else []
        )
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of value, training_job, endpoint: true (found {found})")
        return self


class MinImprovement(_Model):
    """Exactly one of absolute, relative."""

    absolute: float | None = Field(default=None, ge=0, description="Beat the baseline by at least this much.")
    relative: float | None = Field(default=None, ge=0, description="Beat it by this fraction (0.01 = 1%).")

    @model_validator(mode="after")
    def _exactly_one(self) -> MinImprovement:
        if (self.absolute is None) == (self.relative is None):
            raise ValueError("give exactly one of absolute, relative")
        return self


class Deploy(_Model):
    enabled: bool = Field(default=True, description="Deploy the best model when it beats the baseline.")
    endpoint_name: str | None = Field(default=None, description="Endpoint to create or update.")
    instance_type: str | None = Field(default=None, description="Inference instance type.")
    instance_count: int = Field(default=1, ge=1, description="Inference instances.")
    min_improvement: MinImprovement | None = Field(default=None, description="How much better than the baseline.")
    deploy_without_baseline: bool = Field(default=True, description="Deploy when no baseline exists yet.")


# --- the spec -----------------------------------------------------------------------------


class TuningSpec(_Model):
    """A SageMaker hyperparameter tuning run, its budget, and what to do with the best model."""

    name: str = Field(
        pattern=JOB_NAME_PATTERN, max_length=32, description="Short name: letters, digits, hyphens; at most 32."
    )
    objective: Objective = Field(description="The metric to optimize and its direction.")
    algorithm: Algorithm = Field(description="What trains: exactly one of builtin, image, script.")
    hyperparameters: Hyperparameters = Field(
        default_factory=Hyperparameters, description="Ranges to tune and static values."
    )
    strategy: Strategy = Field(default_factory=Strategy, description="How AMT picks the next hyperparameters.")
    early_stopping: Annotated[Literal["Off", "Auto"], BeforeValidator(_early_stopping)] = Field(
        default="Off", description="Off, or Auto to let AMT stop unpromising jobs."
    )
    limits: Limits = Field(description="Job counts and run times.")
    completion_criteria: CompletionCriteria | None = Field(default=None, description="When AMT may stop early.")
    random_seed: int | None = Field(default=None, ge=0, description="Makes the tuner's choices repeatable.")
    warm_start: WarmStart | None = Field(default=None, description="Learn from earlier tuning jobs.")
    resources: Resources = Field(description="Instances, data channels, output, environment, tags.")
    role_arn: str = Field(description="IAM role SageMaker assumes for training.")
    budget: Budget | None = Field(default=None, description="Spending limit the controller enforces.")
    baseline: Baseline | None = Field(default=None, description="What the best model must beat to deploy.")
    deploy: Deploy | None = Field(default=None, description="Where and how to deploy the best model.")
    on_metric_mismatch: Literal["alert", "stop"] = Field(
        default="alert", description="When the objective regex matches nothing: alert, or stop the run."
    )

    @model_validator(mode="after")
    def _grid_jobs_default(self) -> TuningSpec:
        # Grid runs every combination, so its job count is known without the user saying it.
        if self.strategy.type == "Grid" and self.limits.max_jobs is None:
            size = self.hyperparameters.grid_size()
            if size is not None:
                self.limits.max_jobs = size
        return self

    def metric_definitions(self) -> list[dict[str, str]]:
        """Every metric the jobs report, ``[{"Name", "Regex"}]``: the built-in ones, then the user's."""
        user = [d.as_sagemaker() for d in self.algorithm.user_metric_definitions()]
        builtin = self.algorithm.builtin
        known = BUILTIN_ALGORITHMS.get(builtin.name) if builtin else None
        return known.with_user_metrics(user) if known else user

    def normalized(self) -> dict[str, Any]:
        """The spec as plain JSON, durations in seconds; ``TuningSpec.model_validate`` reads it back."""
        return self.model_dump(mode="json")


def grid_size(value_lists: Iterable[Sized]) -> int:
    """Jobs a Grid search runs: one per combination of the categorical values (AMT's rule)."""
    return math.prod(len(values) for values in value_lists)
