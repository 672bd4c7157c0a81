"""Reconcile (scheduled): resume waits whose event was lost; enforce limits of runs still tuning.

Spend and wall-clock limits also need a clock, not just events: a hard budget counts the
elapsed time of jobs still running, which no state-change event reports.
"""

from __future__ import annotations

from typing import Any

from tunepilot.usecases import guard
from tunepilot.usecases.context import store
from tunepilot.usecases.waits import reconcile_waits


def reconcile() -> dict[str, Any]:
    stops = {}
    # Every run whose tuning job may still spend, not only the runs still waiting in WaitForTuning.
    for run in store().runs_with_live_tuning_job():
        reason = guard.follow_tuning_job(run)
        if reason:
            stops[run["run_id"]] = reason
    return {**reconcile_waits(), "stopped": stops}
