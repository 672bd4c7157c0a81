"""Admission control under moto: a queue in upload order in front of MaxConcurrentTuningJobs slots.

Step Functions is answered by a botocore hook that records each SendTaskSuccess (moto knows none of
these tokens); ``gone`` tokens answer TaskTimedOut, as for an execution that was stopped meanwhile.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from botocore.awsrequest import AWSResponse

from tests.conftest import load_event, load_handler
from tests.integration.test_handlers import DEMO, validate


@pytest.fixture
def resumed(stack, monkeypatch):
    """Tokens resumed, in order; put a token in ``resumed.gone`` to make its execution vanish."""
    from tunepilot.aws.clients import clients
    from tunepilot.usecases import admission

    monkeypatch.setattr(admission, "settings", dataclasses.replace(admission.settings, max_concurrent_tuning_jobs=2))

    class Calls(list):
        gone: set[str] = set()

    calls = Calls()

    def send(params, **_):
        token = json.loads(params["body"])["taskToken"]
        if token in calls.gone:
            body = {"Error": {"Code": "TaskTimedOut", "Message": "gone"}}
            return AWSResponse("https://states.local", 400, {}, None), body
        calls.append(token)
        return AWSResponse("https://states.local", 200, {}, None), {}

    clients.sfn.meta.events.register("before-call.states.SendTaskSuccess", send)
    return calls


def queue_run(stack, lambda_context, i, uploaded_at="2026-11-22T10:00:00Z"):
    run_id = validate(stack, stack.put_spec(DEMO, key=f"specs/run{i}.yaml"), lambda_context,
                      execution=f"arn:aws:states:us-east-1:123456789012:execution:sm:{i}")["run_id"]
    out = load_handler("admit").lambda_handler(
        {"run_id": run_id, "token": f"token-{i}", "uploaded_at": uploaded_at}, lambda_context
    )
    return run_id, out


def queue_of(stack, run_id):
    return stack.get_json(f"runs/{run_id}/validation.json").get("queue")


def test_runs_beyond_the_limit_wait_in_order_and_see_their_position(stack, lambda_context, resumed):
    runs = [queue_run(stack, lambda_context, i) for i in range(5)]
    assert [out["admitted"] for _, out in runs] == [True, True, False, False, False]
    assert resumed == ["token-0", "token-1"]
    assert [queue_of(stack, run_id)["position"] for run_id, _ in runs] == [0, 0, 1, 2, 3]
    assert queue_of(stack, runs[4][0]) | {"updated_at": 0} == {
        "state": "waiting", "position": 3, "ahead": 2, "max_concurrent_tuning_jobs": 2, "updated_at": 0}

    from tunepilot.usecases.admission import hand_over

    assert hand_over(runs[0][0]) == [runs[2][0]]  # a finished run hands its slot to the head
    assert hand_over(runs[0][0]) == []  # a second hand-over of the same run frees nothing more
    assert resumed == ["token-0", "token-1", "token-2"]
    assert queue_of(stack, runs[2][0])["state"] == "admitted"
    assert [queue_of(stack, run_id)["position"] for run_id, _ in runs[3:]] == [1, 2]


def test_upload_order_wins_over_arrival_order(stack, lambda_context, resumed):
    for i in range(2):
        queue_run(stack, lambda_context, i)
    late, _ = queue_run(stack, lambda_context, 2, uploaded_at="2026-11-22T10:00:09Z")
    early, _ = queue_run(stack, lambda_context, 3, uploaded_at="2026-11-22T10:00:05Z")
    from tunepilot.usecases.admission import hand_over
    from tunepilot.usecases.context import store

    first = next(iter(store().slot_holders()))
    assert hand_over(first) == [early]
    assert queue_of(stack, late)["position"] == 1


def test_a_queued_execution_that_is_gone_passes_its_slot_on(stack, lambda_context, resumed):
    runs = [queue_run(stack, lambda_context, i)[0] for i in range(4)]
    resumed.gone.add("token-2")  # run 2's execution was stopped while it waited
    from tunepilot.usecases.admission import hand_over
    from tunepilot.usecases.context import store

    assert hand_over(runs[0]) == [runs[3]]
    assert set(store().slot_holders()) == {runs[1], runs[3]}


def test_a_retried_wait_for_slot_of_an_admitted_run_resumes_at_once(stack, lambda_context, resumed):
    run_id, _ = queue_run(stack, lambda_context, 0)
    again = load_handler("admit").lambda_handler({"run_id": run_id, "token": "token-retry"}, lambda_context)
    assert again["admitted"] is True and resumed == ["token-0", "token-retry"]


def test_the_reconciler_backstops_a_lost_hand_over(stack, lambda_context, resumed):
    runs = [queue_run(stack, lambda_context, i)[0] for i in range(4)]
    from tunepilot.usecases.context import store

    store().update_run(runs[0], status="FAILED")  # it ended, but its hand-over was lost
    assert store().acquire_slot(runs[3], 3)  # admitted by a hand-over that crashed before resuming it
    result = load_handler("reconcile").lambda_handler(load_event("reconcile"), lambda_context)["admission"]
    assert result["freed"] == [runs[0]] and result["resumed"] == [runs[3]]
    assert set(store().slot_holders()) == {runs[1], runs[3]}
    assert resumed == ["token-0", "token-1", "token-3"]
    assert [item.run_id for item in store().queued()] == [runs[2]]


def test_a_run_that_fails_while_queued_leaves_the_queue(stack, lambda_context, resumed):
    runs = [queue_run(stack, lambda_context, i)[0] for i in range(3)]
    state = {"run": {"run_id": runs[2], "duplicate": False},
             "error": {"Error": "States.Timeout", "Cause": "WaitForSlot timed out"}}
    load_handler("notify").lambda_handler(
        {"outcome": "failure", "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:2",
         "state": state}, lambda_context)
    from tunepilot.usecases.context import store

    assert store().queued() == [] and set(store().slot_holders()) == set(runs[:2])
