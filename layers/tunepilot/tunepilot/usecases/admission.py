"""Admission control in front of AMT's concurrent tuning-job quota: a queue in upload order.

A run waits in WaitForSlot (a task token) until it holds one of ``MaxConcurrentTuningJobs`` slots.
Slots are DynamoDB conditional writes on one item, so no two runs take the last slot. The queue is
event-driven, never polled: a run that enters the queue tries to take a slot at once, and a run
whose tuning job ended (or that ended at all) hands its slot to the head of the queue. The
reconciler backstops a lost hand-over: a crash between the release and the admission, a holder whose
run ended without releasing, a run admitted whose token was never sent.

Each waiting run's position is written to its ``runs/<run-id>/validation.json`` (``queue``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from tunepilot.aws import s3, stepfunctions
from tunepilot.aws.runs_store import QueuedRun
from tunepilot.exceptions import TunePilotError
from tunepilot.execution import SlotGranted
from tunepilot.usecases.context import now, run_key, settings, store

logger = Logger(child=True)
_RUN_ENDED = {"SUCCEEDED", "FAILED", "INVALID"}
# A hand-over rewrites the places of the runs nearest the head (bounded work on the critical path);
# the reconciler rewrites every place on each tick.
_REFRESH_ON_HAND_OVER = 10


def order_key(uploaded_at: str, claimed_at: float, run_id: str) -> str:
    """Upload order: the S3 event's time (whole seconds), then the claim time, then the run id."""
    return f"{uploaded_at}|{claimed_at:020.6f}|{run_id}"


def wait_for_slot(run_id: str, token: str, uploaded_at: str) -> dict[str, Any]:
    """WaitForSlot: queue the run, then admit whoever is at the head while slots are free."""
    if run_id in store().slot_holders():  # a retried WaitForSlot of a run already admitted
        stepfunctions.send_success(token, _admitted(run_id, waited_s=0.0))
        return {"run_id": run_id, "admitted": True, "position": 0}
    run = store().get_run(run_id)
    claimed_at = (run.created_at if run else None) or now()
    store().enqueue(run_id, order_key(uploaded_at, claimed_at, run_id), token)
    store().update_run(run_id, status="QUEUED")
    admitted = admit_next()
    position = 0
    if run_id not in admitted:  # only its own place: the others' places did not move (O(1), not O(queue))
        queue = [item.run_id for item in store().queued()]
        if run_id in queue:
            position = queue.index(run_id) + 1
            _write_queue(run_id, {"state": "waiting", "position": position, "ahead": position - 1})
    return {"run_id": run_id, "admitted": run_id in admitted, "position": position}


def hand_over(run_id: str) -> list[str]:
    """The run no longer needs its slot (its tuning job ended, or the run did): the next run gets it."""
    released = store().release_slot(run_id)
    store().take_queued(run_id)  # a run that ends while waiting leaves the queue
    if released:
        logger.info("slot released", extra={"run_id": run_id})
    return admit_next()


def admit_next() -> list[str]:
    """Admit queued runs in upload order while a slot is free. Safe to run anywhere, any number of times."""
    admitted: list[str] = []
    skipped: set[str] = set()
    while True:
        waiting = [item for item in store().queued() if item.run_id not in skipped]
        if not waiting:
            break
        head = waiting[0]
        if not store().acquire_slot(head.run_id, settings.max_concurrent_tuning_jobs):
            break  # every slot is taken: the next release will come back here
        taken = store().take_queued(head.run_id)
        skipped.add(head.run_id)
        if taken is None:
            continue  # a concurrent admitter took it (and resumes it)
        waited = now() - (taken.queued_at or now())
        if stepfunctions.send_success(taken.token, _admitted(head.run_id, waited)):
            admitted.append(head.run_id)
            _write_queue(head.run_id, {"state": "admitted", "position": 0, "waited_seconds": round(waited, 3)})
        else:  # the execution is gone (stopped, timed out): its slot goes to the next run
            logger.warning("queued execution is gone; passing its slot on", extra={"run_id": head.run_id})
            store().release_slot(head.run_id)
    if admitted:
        _refresh_positions(store().queued(), limit=_REFRESH_ON_HAND_OVER)
    return admitted


def reconcile_slots() -> dict[str, Any]:
    """Backstop for lost hand-overs: free the slots of runs that ended or whose tuning job ended,
    resume runs that hold a slot but were never resumed, then admit while slots are free."""
    freed = []
    for run_id in store().slot_holders():
        run = store().get_run(run_id)
        ended = run is None or run.status in _RUN_ENDED or bool(run.tuning_ended)
        if ended and store().release_slot(run_id):
            freed.append(run_id)
    holders = store().slot_holders()
    resumed = []
    for item in store().queued():
        if item.run_id in holders:  # admitted, but the token was never sent
            taken = store().take_queued(item.run_id)
            if taken and stepfunctions.send_success(taken.token, _admitted(item.run_id, 0.0)):
                resumed.append(item.run_id)
    admitted = admit_next()
    _refresh_positions(store().queued())
    return {"freed": freed, "resumed": resumed, "admitted": admitted}


def _admitted(run_id: str, waited_s: float) -> dict[str, object]:
    return SlotGranted(run_id=run_id, admitted=True, waited_seconds=round(waited_s, 3)).wire()


def _refresh_positions(queue: list[QueuedRun], limit: int | None = None) -> dict[str, int]:
    """Write each waiting run's place (1 = next) into its validation.json (the first ``limit``)."""
    positions = {item.run_id: i for i, item in enumerate(queue[:limit], start=1)}
    for run_id, position in positions.items():
        _write_queue(run_id, {"state": "waiting", "position": position, "ahead": position - 1})
    return positions


def _write_queue(run_id: str, queue: dict[str, Any]) -> None:
    """Best effort: showing a position must never hold up an admission."""
    key = run_key(run_id, "validation.json")
    try:
        report = s3.get_json(settings.bucket, key)
        report["queue"] = {**queue, "max_concurrent_tuning_jobs": settings.max_concurrent_tuning_jobs,
                           "updated_at": round(now(), 3)}
        s3.put_json(settings.bucket, key, report)
    except TunePilotError as e:
        logger.warning("queue position not written", extra={"run_id": run_id, "error": str(e)})
