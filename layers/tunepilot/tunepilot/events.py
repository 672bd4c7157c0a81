"""Event models for the handlers' edges: only the fields TunePilot reads, everything else ignored."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunepilot.execution import BestJob, ExecutionState, ObjectCreatedDetail


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ValidateSpecInput(_Lenient):
    detail: ObjectCreatedDetail
    execution_arn: str


class RunInput(_Lenient):
    run_id: str = Field(min_length=1)


class PickBestInput(RunInput):
    tuning_job_name: str = Field(min_length=1)


class AnalyzeResultsInput(PickBestInput):
    """AnalyzeResults reads the same two names as PickBest."""


class BestJobInput(RunInput):
    best: BestJob


class RegisterWaitInput(RunInput):
    kind: Literal["tuning", "endpoint"]
    name: str = Field(min_length=1)
    token: str = Field(min_length=1)


class NotifyInput(_Lenient):
    outcome: Literal["success", "failure"]
    execution_arn: str
    state: ExecutionState


class SageMakerEvent(_Lenient):
    """An ``aws.sagemaker`` EventBridge event; ``detail`` is read per detail-type."""

    detail_type: str = Field(alias="detail-type")
    source: str
    detail: dict[str, Any]
