"""The state machine's state, typed: the execution's input plus what each task adds at its ResultPath.

``statemachine/tuning.asl.json`` puts each task's output at ``$.<field>``; ``ExecutionState`` has one
field per ResultPath (tests/unit/test_contract.py checks that the two agree). The task that writes a
field returns the same model, so producer and consumer cannot drift apart. Every model ignores keys
it does not know: a newer producer, or Step Functions' own additions, never break an older reader.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def wire(self) -> dict[str, object]:
        """The JSON a task returns: the fields it set, nothing defaulted in on the way."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class S3Bucket(_State):
    name: str


class S3Object(_State):
    key: str
    etag: str | None = None
    version_id: str | None = Field(default=None, alias="version-id")
    size: int | None = None


class ObjectCreatedDetail(_State):
    """The ``detail`` of S3's "Object Created" EventBridge event: the execution's input."""

    bucket: S3Bucket
    object: S3Object


class RunClaim(_State):
    """``$.run`` (ValidateSpec): the run this execution owns, or a duplicate delivery."""

    run_id: str = Field(min_length=1)
    duplicate: bool
    spec_key: str | None = None
    warnings: list[str] = Field(default_factory=list)


class SlotGranted(_State):
    """``$.slot`` (WaitForSlot): the admission slot the run holds, sent with the task token."""

    run_id: str
    admitted: bool = True
    waited_seconds: float = 0.0


class TuningStarted(_State):
    """``$.tuning`` (StartTuning)."""

    tuning_job_name: str = Field(min_length=1)
    tuning_job_arn: str | None = None
    created: bool | None = None


class TuningOutcome(_State):
    """``$.tuning_outcome`` (WaitForTuning): the tuning job's end, sent with the task token."""

    status: str
    tuning_job_name: str
    best_training_job: str | None = None
    counters: dict[str, int] = Field(default_factory=dict)


class TrainingJobCounts(_State):
    completed: int = 0
    failed: int = 0
    stopped: int = 0
    total: int = 0


class AnalysisOutcome(_State):
    """``$.analysis`` (AnalyzeResults): its summary, or the error its Catch put there instead."""

    status: str | None = None
    tuning_job_name: str | None = None
    jobs: int | None = None
    scored: int | None = None
    verdict: str | None = None
    findings: list[str] = Field(default_factory=list)
    report_uri: str | None = None
    analysis_uri: str | None = None
    next_spec_uri: str | None = None
    next_spec_valid: bool | None = None
    error: str | None = Field(default=None, alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class BestJob(_State):
    """``$.best`` (PickBest): the best training job and what it takes to deploy it."""

    name: str
    objective_metric: str
    objective_type: str
    objective_value: float
    hyperparameters: dict[str, str] = Field(default_factory=dict)
    model_artifact: str | None = None
    image: str | None = None
    tuning_status: str | None = None
    training_jobs: TrainingJobCounts = Field(default_factory=TrainingJobCounts)


class DeployDecision(_State):
    """``$.decision`` (CheckImprovement): the improvement gate's verdict and the baseline behind it."""

    deploy: bool
    reason: str = ""
    candidate: float | None = None
    baseline: float | None = None
    improvement: float | None = None
    required: float | None = None
    baseline_source: str | None = None
    baseline_value: float | None = None


class Deployment(_State):
    """``$.deploy`` (Deploy): what Deploy created and how it changed the endpoint."""

    endpoint_name: str
    endpoint_config_name: str
    previous_endpoint_config: str | None = None
    model_name: str | None = None
    action: Literal["created", "updated", "unchanged"] | None = None


class EndpointOutcome(_State):
    """``$.endpoint`` (WaitForEndpoint): the endpoint serving the new config, sent with the task token."""

    endpoint_name: str
    endpoint_config_name: str | None = None
    status: str | None = None


class RunResult(_State):
    """``$.result`` (NotifySuccess / NotifyFailure)."""

    status: Literal["SUCCEEDED", "FAILED"]
    result_uri: str | None = None


class StateError(_State):
    """``$.error``: what every Catch puts there (Step Functions' own ``Error`` and ``Cause``).

    Step Functions may leave either one null (a task that failed without a cause, a timeout).
    """

    error: str = Field(default="Unknown", alias="Error")
    cause: str = Field(default="", alias="Cause")

    @field_validator("error", "cause", mode="before")
    @classmethod
    def _null_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return "Unknown" if info.field_name == "error" else ""
        return value if isinstance(value, str) else json.dumps(value, default=str)


class ExecutionState(_State):
    """The whole state as NotifySuccess and NotifyFailure see it (``"state.$": "$"``)."""

    detail: ObjectCreatedDetail | None = None  # the execution's input
    # the input event's time, WaitForSlot's upload order: ISO 8601 from EventBridge, epoch seconds from some emulators
    time: str | float | None = None
    run: RunClaim | None = None
    slot: SlotGranted | None = None
    tuning: TuningStarted | None = None
    tuning_outcome: TuningOutcome | None = None
    analysis: AnalysisOutcome | None = None
    best: BestJob | None = None
    decision: DeployDecision | None = None
    deploy: Deployment | None = None
    endpoint: EndpointOutcome | None = None
    result: RunResult | None = None
    error: StateError | None = None

    @field_validator("detail", "time", "error", "analysis", mode="wrap")
    @classmethod
    def _unreadable_input_is_absent(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # These come from outside TunePilot (the S3 event, Step Functions' Catch payloads): Notify
        # must report whatever failed, so a field it cannot read reads as absent, never as BadEvent.
        try:
            return handler(value)
        except ValidationError:
            return None


# Fields of ExecutionState that come from the execution's input, not from a task's ResultPath.
INPUT_FIELDS = frozenset({"detail", "time"})
