"""What every use case needs: settings, the runs store, and small shared helpers."""

from __future__ import annotations

import re
import time
from functools import cache

from tunepilot.aws.runs_store import RunsStore
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


def run_key(run_id: str, name: str) -> str:
    return f"runs/{run_id}/{name}"


def now() -> float:
    return time.time()
