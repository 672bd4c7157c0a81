"""What every use case needs: settings, the runs store, and small shared helpers."""

from __future__ import annotations

import re
import time
from functools import cache

from tunepilot.aws.runs_store import RunRecord, RunsStore, run_object_key
from tunepilot.settings import Settings

settings = Settings.from_env()

# AMT names its training jobs <tuning-job>-<NNN>-<8 hex>.
_TRAINING_JOB = re.compile(r"^(?P<tuning>.+)-\d{3}-[0-9a-f]{8}$")


@cache
def store() -> RunsStore:
    return RunsStore(settings.runs_table)


def tuning_job_of(training_job_name: str) -> str | None:
    match = _TRAINING_JOB.match(training_job_name)
    return match.group("tuning") if match else None


def run_of_training_job(training_job_name: str) -> RunRecord | None:
    """The run whose tuning job launched this training job, or None if it is not ours."""
    tuning = tuning_job_of(training_job_name)
    run_id = store().run_for_tuning_job(tuning) if tuning else None
    return store().get_run(run_id) if run_id else None


def run_key(run_id: str, name: str) -> str:
    return run_object_key(run_id, name)


def now() -> float:
    return time.time()
