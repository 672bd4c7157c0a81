"""Reconcile (scheduled): settle training jobs and resume waits whose event was lost; enforce limits.

Spend and wall-clock limits also need a clock, not just events: a hard budget counts the
elapsed time of jobs still running, which no state-change event reports.
"""

from __future__ import annotations

from typing import Any

from tunepilot.usecases import admission, guard
from tunepilot.usecases.context import settings, store
from tunepilot.usecases.training_events import settle_lost_jobs, sweep_unsettled
from tunepilot.usecases.waits import reconcile_waits


def reconcile() -> dict[str, Any]:
    # Lost terminal training-job events first: a phantom "running" job inflates a hard budget's
    # projection and hides a soft budget's spend.
    settled: dict[str, list[str]] = {}
    for run in store().runs_with_running_jobs():
        jobs = settle_lost_jobs(run, settings.reconcile_after_seconds)
        if jobs:
            settled[run.run_id] = jobs
    # Jobs no event ever reported (InProgress and terminal both lost): while the tuning job runs, and
    # once more after it ended.
    for run in store().runs_with_live_tuning_job():
        jobs = sweep_unsettled(run)
        if jobs:
            settled.setdefault(run.run_id, []).extend(jobs)
    for run in store().runs_to_sweep():
        jobs = sweep_unsettled(run)
        if jobs:
            settled.setdefault(run.run_id, []).extend(jobs)
        store().update_run(run.run_id, ledger_swept=True)
    stops = {}
    # Every run whose tuning job may still spend, not only the runs still waiting in WaitForTuning.
    for run in store().runs_with_live_tuning_job():
        reason = guard.follow_tuning_job(run)
        if reason:
            stops[run.run_id] = reason
    return {**reconcile_waits(), "stopped": stops, "settled": settled, "admission": admission.reconcile_slots()}
