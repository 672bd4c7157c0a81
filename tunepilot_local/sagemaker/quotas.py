"""Account quotas, enforced as SageMaker does: past a limit, CreateHyperParameterTuningJob (or
CreateTrainingJob) answers ``ResourceLimitExceeded`` and nothing is created.

Two quotas, both off (None) unless set: concurrent tuning jobs (AMT's "number of concurrent
hyperparameter tuning jobs", 100 by default on AWS) and parallel training jobs per account (a tuning
job asks for its ``MaxParallelTrainingJobs`` at creation, as AWS checks its instance-usage quota).
A job that is Stopping still runs, so it still counts. ``peak_tuning_jobs`` is the most tuning jobs
ever running at once, measured at each creation (the only moment the count can grow).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from moto.sagemaker.exceptions import SagemakerClientError

_RUNNING = ("InProgress", "Stopping")


class ResourceLimitExceeded(SagemakerClientError):
    code = "ResourceLimitExceeded"

    def __init__(self, message: str):
        super().__init__(message)


@dataclass
class Quotas:
    concurrent_tuning_jobs: int | None = None
    parallel_training_jobs: int | None = None
    peak_tuning_jobs: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check_tuning(self, backend: Any, config: dict[str, Any]) -> None:
        """Called with ``lock`` held, before the tuning job is created."""
        running = sum(j.hyper_parameter_tuning_job_status in _RUNNING
                      for j in backend.hyper_parameter_tuning_jobs.values())
        if self.concurrent_tuning_jobs is not None and running >= self.concurrent_tuning_jobs:
            self.refused += 1
            raise ResourceLimitExceeded(
                f"The account-level service limit 'Number of concurrent hyperparameter tuning jobs' is "
                f"{self.concurrent_tuning_jobs} jobs, with current utilization of {running} jobs and a request "
                "delta of 1 jobs. Please use AWS Service Quotas to request an increase for this quota.")
        parallel = int((config.get("ResourceLimits") or {}).get("MaxParallelTrainingJobs") or 1)
        self._check_training(backend, parallel)
        self.peak_tuning_jobs = max(self.peak_tuning_jobs, running + 1)

    def check_training(self, backend: Any) -> None:
        self._check_training(backend, 1)

    def _check_training(self, backend: Any, delta: int) -> None:
        if self.parallel_training_jobs is None:
            return
        running = sum(j.training_job_status in _RUNNING for j in backend.training_jobs.values())
        if running + delta > self.parallel_training_jobs:
            self.refused += 1
            raise ResourceLimitExceeded(
                f"The account-level service limit 'Number of instances across all training jobs' is "
                f"{self.parallel_training_jobs} Instances, with current utilization of {running} Instances and a "
                f"request delta of {delta} Instances. Please use AWS Service Quotas to request an increase.")
