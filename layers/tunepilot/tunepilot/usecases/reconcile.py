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
    for waiter in store().waiting("tuning"):
        reason = guard.enforce_limits(waiter.run_id)
        if reason:
            stops[waiter.run_id] = reason
    return {**reconcile_waits(), "stopped": stops}
