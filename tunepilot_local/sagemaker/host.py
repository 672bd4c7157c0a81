"""The host seam: everything a tuning run, a training run or an endpoint may use of the platform.

`Platform` implements it and owns the registries behind it (tuning runs, training runs, training
processes, log writers, errors); the children see only this narrow surface, never the platform's
collections or private methods. The lock guards every change to moto's SageMaker objects: moto
builds describe responses by iterating their attributes, so a change must not interleave with one.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tunepilot_local.sagemaker.aws import Clients
    from tunepilot_local.sagemaker.events import EventEmitter
    from tunepilot_local.sagemaker.logs import LogStreamWriter
    from tunepilot_local.sagemaker.training import TrainingJobRun


def utc_now() -> datetime:
    """The platform's default clock: aware UTC, as boto3 parses SageMaker's timestamps."""
    return datetime.now(UTC)


class Host(Protocol):
    """What the platform offers its jobs and endpoints."""

    @property
    def lock(self) -> threading.RLock: ...

    @property
    def clients(self) -> Clients: ...

    @property
    def emitter(self) -> EventEmitter: ...

    @property
    def jobs_dir(self) -> Path: ...  # one temporary /opt/ml-like root per running job lives here

    @property
    def workdir(self) -> Path: ...

    @property
    def time_scale(self) -> float: ...

    @property
    def max_parallel(self) -> int: ...

    def now(self) -> datetime: ...

    # -- the job registry -------------------------------------------------------------------------
    def register_training(self, run: TrainingJobRun) -> None: ...

    def register_process(self, pid: int, job_name: str) -> None: ...

    def unregister_process(self, pid: int) -> None: ...

    def register_log_writer(self, writer: LogStreamWriter) -> None: ...

    def unregister_log_writer(self, writer: LogStreamWriter) -> None: ...

    def record_error(self, message: str) -> None: ...

    def training_changed(self, job: Any) -> None:
        """A training job's primary status changed: its tuning job recounts."""
        ...
