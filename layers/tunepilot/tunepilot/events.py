"""Event models for the handlers' edges: only the fields TunePilot reads, everything else ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class WaitForSlotInput(RunInput):
    token: str = Field(min_length=1)
    uploaded_at: str = ""  # the S3 event's time (ISO 8601, whole seconds): the queue's upload order

    @field_validator("uploaded_at", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        """EventBridge sends ISO 8601; an epoch number (as some emulators send) becomes the same form."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return "" if value is None else value


class NotifyInput(_Lenient):
    outcome: Literal["success", "failure"]
    execution_arn: str
    state: ExecutionState


class SageMakerEvent(_Lenient):
    """An ``aws.sagemaker`` EventBridge event; ``detail`` is read per detail-type."""

    detail_type: str = Field(alias="detail-type")
    source: str
    detail: dict[str, Any]
