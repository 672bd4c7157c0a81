"""The runs table adapter against moto, on a table built from template.yaml's own RunsTable properties."""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from tunepilot.aws.runs_store import DEFAULT_TTL_S, RunsStore
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, Throttled
from tunepilot.policies.budget import Spend

from tests.unit.test_contract import TEMPLATE

TABLE = "runs-store-test"
NOW = 1_700_000_000.0
RUN, EXEC, OTHER_EXEC = "run-abc", "arn:aws:states:us-east-1:123456789012:execution:sm:one", "arn:...:two"
JOB = "tp-run-abc-001-0123abcd"


@pytest.fixture
def ddb():
    with mock_aws():
        props = TEMPLATE["Resources"]["RunsTable"]["Properties"]
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, KeySchema=props["KeySchema"],
                            AttributeDefinitions=props["AttributeDefinitions"], BillingMode=props["BillingMode"])
        client.update_time_to_live(TableName=TABLE, TimeToLiveSpecification=props["TimeToLiveSpecification"])
        yield client


@pytest.fixture
def store(ddb):
    return RunsStore(TABLE, client=ddb, clock=lambda: NOW)


@pytest.fixture
def run(store):
    claimed, _ = store.claim_run(RUN, EXEC, "specs/demo.yaml", {"status": "VALIDATING", "created_at": NOW})
    assert claimed
    return RUN


class AtomicRequests:
    """The client, one request at a time. DynamoDB applies each request (a transaction included)
    atomically; moto's in-memory tables do not, under threads (a transaction deep-copies a table
    another thread is writing). Threads still interleave freely *between* requests, which is what
    these tests probe: the store must never rely on a read followed by a write."""

    def __init__(self, client) -> None:
        self._client, self._lock = client, threading.Lock()

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(*args, **kwargs):
            with self._lock:
                return method(*args, **kwargs)

        return call


@pytest.fixture
def threaded_store(ddb, run):
    return RunsStore(TABLE, client=AtomicRequests(ddb), clock=lambda: NOW)


def raw(ddb, pk: str) -> dict | None:
    return ddb.get_item(TableName=TABLE, Key={"pk": {"S": pk}}).get("Item")


def test_table_matches_the_template(ddb):
    table = ddb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    ttl = ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


# ------------------------------------------------------------------------------------------ runs
def test_claim_run_first_execution_owns_the_run(store, ddb):
    claimed, item = store.claim_run(RUN, EXEC, "specs/demo.yaml", {"status": "VALIDATING", "created_at": NOW})
    assert claimed is True
    assert item.execution_arn == EXEC and item.status == "VALIDATING" and item.run_id == RUN
    assert store.spend(RUN) == Spend(0.0, {}, 0)
    assert int(raw(ddb, f"run#{RUN}")["expires_at"]["N"]) == int(NOW) + DEFAULT_TTL_S


def test_claim_run_same_execution_again_is_claimed_and_keeps_progress(store, run):
    store.update_run(RUN, status="TUNING", tuning_job_name="tp-run-abc")
    claimed, item = store.claim_run(RUN, EXEC, "specs/demo.yaml", {"status": "VALIDATING", "created_at": NOW + 5})
    assert claimed is True
    assert item.status == "TUNING" and item.created_at == NOW


def test_claim_run_other_execution_is_a_duplicate(store, run):
    claimed, item = store.claim_run(RUN, OTHER_EXEC, "specs/demo.yaml", {"status": "VALIDATING"})
    assert claimed is False
    assert item.execution_arn == EXEC


def test_claim_run_ignores_ledger_fields_in_fields(store):
    store.claim_run(RUN, EXEC, "k", {"spend_usd": 99.0, "running": {"x": 1}, "jobs_settled": 7})
    assert store.spend(RUN) == Spend(0.0, {}, 0)


def test_update_run_round_trips_the_lead_fields_as_json_ready_values(store, run, ddb):
    fields = {
        "status": "VALIDATED",
        "max_cost_usd": 2.5,
        "policy": "hard",
        "usd_per_hour": 0.23,
        "instance_count": 1,
        "max_wall_clock_s": 3600,
        "max_training_jobs": None,
        "objective_metric": "validation:auc",
        "metric_definitions": [{"Name": "validation:auc", "Regex": r".*\[\d+\].*validation-auc:([-+]?[0-9.eE]+)"}],
        "on_metric_mismatch": "alert",
        "endpoint_name": "xgb",
    }
    assert store.update_run(RUN, **fields) is True
    got = store.get_run(RUN)
    json.dumps(got.model_dump(mode="json", by_alias=True), allow_nan=False)  # straight into result.json
    item = raw(ddb, f"run#{RUN}")
    dumped = got.model_dump(by_alias=True)
    for name, value in fields.items():
        if value is None:
            assert name not in item
        else:
            assert dumped[name] == value
    assert isinstance(got.instance_count, int) and isinstance(got.max_cost_usd, float)


@pytest.mark.parametrize("value", [None, math.nan, math.inf], ids=["none", "nan", "infinity"])
def test_update_run_with_no_value_removes_the_field(store, run, ddb, value):
    store.update_run(RUN, endpoint_name="xgb", max_cost_usd=0.97)
    store.update_run(RUN, endpoint_name=None, max_cost_usd=value)
    item = raw(ddb, f"run#{RUN}")
    assert "endpoint_name" not in item and "max_cost_usd" not in item
    got = store.get_run(RUN)
    assert got.endpoint_name is None and got.max_cost_usd is None


def test_nested_non_numbers_are_stored_as_null():
    from tunepilot.aws.runs_store import _serialize

    stored = _serialize({"v": {"deploy": False, "candidate": math.nan, "scores": [1.5, math.inf]}})
    assert stored["v"] == {"M": {"deploy": {"BOOL": False}, "candidate": {"NULL": True},
                                 "scores": {"L": [{"N": "1.5"}, {"NULL": True}]}}}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"best_objective": 0.9}, "not fields of a run record"),
        ({"status": "SLEEPING"}, "status"),
        ({"instance_count": "two"}, "instance_count"),
        ({"metric_definitions": [{"Name": "auc"}]}, "metric_definitions"),
    ],
    ids=["unknown-field", "unknown-status", "wrong-type", "definition-without-regex"],
)
def test_update_run_refuses_what_a_run_record_cannot_hold(store, run, ddb, fields, message):
    before = raw(ddb, f"run#{RUN}")
    with pytest.raises(ValueError, match=message):
        store.update_run(RUN, **fields)
    assert raw(ddb, f"run#{RUN}") == before


def test_a_record_with_attributes_no_longer_read_still_loads(store, run, ddb):
    ddb.update_item(TableName=TABLE, Key={"pk": {"S": f"run#{RUN}"}}, UpdateExpression="SET objective_type = :t",
                    ExpressionAttributeValues={":t": {"S": "Maximize"}})
    assert store.get_run(RUN).run_id == RUN


def test_update_run_of_unknown_run_creates_nothing(store, ddb):
    assert store.update_run("nope", status="TUNING") is False
    assert raw(ddb, "run#nope") is None
    assert store.get_run("nope") is None


@pytest.mark.parametrize("field", ["spend_usd", "running", "jobs_settled", "pk"])
def test_update_run_refuses_ledger_fields(store, run, field):
    with pytest.raises(ValueError, match=field):
        store.update_run(RUN, **{field: 1})


def test_first_stop_reason_wins(store, run):
    assert store.mark_stop(RUN, "BudgetExceeded") is True
    assert store.mark_stop(RUN, "WallClockExceeded") is False
    assert store.get_run(RUN).stop_reason == "BudgetExceeded"


def test_concurrent_stops_give_exactly_one_winner(threaded_store):
    store = threaded_store
    reasons = ["BudgetExceeded", "WallClockExceeded", "JobCountExceeded", "MetricRegexMismatch"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda r: store.mark_stop(RUN, r), reasons))
    assert wins.count(True) == 1
    assert store.get_run(RUN).stop_reason == reasons[wins.index(True)]


def test_mark_stop_of_unknown_run_is_false(store):
    assert store.mark_stop("nope", "BudgetExceeded") is False


# ------------------------------------------------------------------------------------ tuning jobs
def test_tuning_job_link(store, run):
    assert store.run_for_tuning_job("tp-run-abc") is None
    assert store.link_tuning_job("tp-run-abc", RUN) is True
    assert store.link_tuning_job("tp-run-abc", RUN) is True  # a retried StartTuning
    assert store.link_tuning_job("tp-run-abc", "run-other") is False
    assert store.run_for_tuning_job("tp-run-abc") == RUN


# ------------------------------------------------------------------------------------ task tokens
def test_token_is_taken_once(store):
    store.put_token("tuning", "tp-run-abc", RUN, "token-1")
    waiter = store.take_token("tuning", "tp-run-abc")
    assert waiter.model_dump() == {"kind": "tuning", "name": "tp-run-abc", "run_id": RUN, "token": "token-1",
                                   "stored_at": NOW}
    assert store.take_token("tuning", "tp-run-abc") is None


def test_every_item_kind_expires(store, run, ddb):
    store.put_token("tuning", "tp-run-abc", RUN, "t")
    store.link_tuning_job("tp-run-abc", RUN)
    store.claim_alert(RUN, "outcome")
    store.put_metric_state(JOB, {"lines": 1})
    for pk in ["wait#tuning#tp-run-abc", "job#tp-run-abc", f"alert#{RUN}#outcome", f"metrics#{JOB}"]:
        assert int(raw(ddb, pk)["expires_at"]["N"]) == int(NOW) + DEFAULT_TTL_S, pk


def test_put_token_overwrites_with_the_latest(store):
    store.put_token("endpoint", "xgb", RUN, "old")
    store.put_token("endpoint", "xgb", RUN, "new")
    assert store.take_token("endpoint", "xgb").token == "new"


def test_concurrent_takers_get_the_token_exactly_once(threaded_store):
    store = threaded_store
    store.put_token("tuning", "tp-run-abc", RUN, "token-1")
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda _: store.take_token("tuning", "tp-run-abc"), range(16)))
    assert [t.token for t in taken if t] == ["token-1"]


def test_waiting_lists_one_kind_only(store, run):
    store.put_token("tuning", "tp-a", "run-a", "ta")
    store.put_token("tuning", "tp-b", "run-b", "tb")
    store.put_token("endpoint", "tp-a", "run-a", "ea")
    store.claim_alert(RUN, "outcome")
    assert sorted(w.name for w in store.waiting("tuning")) == ["tp-a", "tp-b"]
    assert [w.token for w in store.waiting("endpoint")] == ["ea"]
    store.take_token("tuning", "tp-a")
    assert [w.run_id for w in store.waiting("tuning")] == ["run-b"]


def test_waiting_reads_every_page(ddb):
    store = RunsStore(TABLE, client=ddb)
    item = {"pk": {"S": "wait#tuning#x"}, "kind": {"S": "tuning"}, "name": {"S": "x"}, "run_id": {"S": "r"},
            "token": {"S": "t"}, "stored_at": {"N": "1"}}
    with Stubber(ddb) as stub:
        stub.add_response("scan", {"Items": [item], "LastEvaluatedKey": {"pk": {"S": "wait#tuning#x"}}})
        stub.add_response("scan", {"Items": [{**item, "name": {"S": "y"}}]})
        assert [w.name for w in store.waiting("tuning")] == ["x", "y"]


# ----------------------------------------------------------------------------------- spend ledger
def settle(store, job=JOB, status="Completed", seconds=100.0, cost=0.25):
    return store.record_training_status(RUN, job, status, seconds, cost, NOW - seconds)


def test_in_progress_then_completed(store, run, ddb):
    assert store.record_training_status(RUN, JOB, "InProgress", 0, 0, NOW - 60) is True
    assert store.spend(RUN) == Spend(0.0, {JOB: NOW - 60}, 0)
    assert settle(store) is True
    assert store.spend(RUN) == Spend(0.25, {}, 1)
    ledger = raw(ddb, f"ledger#{RUN}#{JOB}")
    assert ledger["status"]["S"] == "Completed" and ledger["cost_usd"]["N"] == "0.25"
    assert int(ledger["expires_at"]["N"]) == int(NOW) + DEFAULT_TTL_S


@pytest.mark.parametrize(
    ("events", "changed", "expected"),
    [
        ([("InProgress", 0), ("InProgress", 0)], [True, False], Spend(0.0, {JOB: NOW}, 0)),
        ([("Completed", 0.25), ("Completed", 0.25)], [True, False], Spend(0.25, {}, 1)),
        ([("Completed", 0.25), ("Stopped", 0.30)], [True, False], Spend(0.25, {}, 1)),
        ([("Failed", 0.10), ("Completed", 0.25)], [True, False], Spend(0.10, {}, 1)),
        ([("Completed", 0.25), ("InProgress", 0)], [True, False], Spend(0.25, {}, 1)),
        ([("InProgress", 0), ("Stopping", 0), ("Stopped", 0.05)], [True, False, True], Spend(0.05, {}, 1)),
    ],
    ids=[
        "duplicate-in-progress",
        "duplicate-completed",
        "stopped-after-completed-ignored",
        "first-terminal-status-wins",
        "late-in-progress-does-not-resurrect",
        "non-terminal-statuses-change-nothing",
    ],
)
def test_ledger_is_idempotent_and_order_safe(store, run, events, changed, expected):
    results = [store.record_training_status(RUN, JOB, status, 100, cost, NOW) for status, cost in events]
    assert results == changed
    assert store.spend(RUN) == expected


def test_settle_for_unknown_run_changes_nothing(store, ddb):
    assert store.record_training_status("nope", JOB, "Completed", 100, 0.25, NOW) is False
    assert raw(ddb, f"ledger#nope#{JOB}") is None  # the transaction wrote neither item
    assert raw(ddb, "run#nope") is None


def test_concurrent_duplicate_settles_count_once(threaded_store):
    store = threaded_store
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: settle(store), range(16)))
    assert results.count(True) == 1
    assert store.spend(RUN) == Spend(0.25, {}, 1)


def test_concurrent_settles_of_different_jobs_all_count(threaded_store):
    store = threaded_store
    jobs = [f"tp-run-abc-{i:03d}-0123abcd" for i in range(20)]
    for job in jobs:
        store.record_training_status(RUN, job, "InProgress", 0, 0, NOW)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: settle(store, job=job, cost=0.5), jobs))
    assert all(results)
    spend = store.spend(RUN)
    assert spend.settled_usd == pytest.approx(10.0) and spend.jobs_settled == 20 and spend.running == {}


def test_spend_of_unknown_run_is_zero(store):
    assert store.spend("nope") == Spend(0.0, {}, 0)


# ------------------------------------------------------------------------------ alerts and metrics
def test_alert_is_claimed_once_per_key(store, run):
    assert store.claim_alert(RUN, "metric#validation:auc") is True
    assert store.claim_alert(RUN, "metric#validation:auc") is False
    assert store.claim_alert(RUN, "outcome") is True


def test_metric_state_round_trip(store):
    assert store.get_metric_state(JOB) is None
    state = {"counts": {"validation:auc": 3}, "near_misses": ["[3] validation-auc=0.9"], "lines": 120}
    store.put_metric_state(JOB, state)
    assert store.get_metric_state(JOB) == state
    store.put_metric_state(JOB, {**state, "lines": 121})
    assert store.get_metric_state(JOB)["lines"] == 121


# -------------------------------------------------------------------------- AWS errors, by name
def client_error(code: str, status: int, reasons: list[str] | None = None) -> dict:
    error = {"service_error_code": code, "http_status_code": status}
    if reasons:  # a cancelled transaction says why, item by item
        error["modeled_fields"] = {"CancellationReasons": [{"Code": reason} for reason in reasons]}
    return error


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("ProvisionedThroughputExceededException", 400, Throttled),
        ("ThrottlingException", 400, Throttled),
        ("InternalServerError", 500, AwsUnavailable),
        ("ServiceUnavailable", 503, AwsUnavailable),
        ("ResourceNotFoundException", 400, AwsCallFailed),
        ("AccessDeniedException", 400, AwsCallFailed),
    ],
    ids=["throughput", "throttling", "internal-error", "unavailable", "missing-table", "access-denied"],
)
def test_client_errors_become_named_errors(ddb, code, status, error):
    store = RunsStore(TABLE, client=ddb)
    with Stubber(ddb) as stub:
        stub.add_client_error("get_item", **client_error(code, status))
        with pytest.raises(error) as raised:
            store.get_run(RUN)
    assert isinstance(raised.value.__cause__, Exception) and code in str(raised.value)


def test_conditional_failure_is_an_outcome_not_an_error(ddb):
    store = RunsStore(TABLE, client=ddb)
    with Stubber(ddb) as stub:
        stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)
        assert store.claim_alert(RUN, "outcome") is False


def test_transaction_conflict_is_retried(ddb, monkeypatch):
    monkeypatch.setattr("tunepilot.aws.runs_store.time.sleep", lambda _: None)
    store = RunsStore(TABLE, client=ddb)
    with Stubber(ddb) as stub:
        stub.add_client_error("transact_write_items", **client_error(
            "TransactionCanceledException", 400, ["None", "TransactionConflict"]))
        stub.add_response("transact_write_items", {})
        assert store.record_training_status(RUN, JOB, "Completed", 100, 0.25, NOW) is True
        stub.assert_no_pending_responses()


def test_endless_transaction_conflict_is_throttled(ddb, monkeypatch):
    monkeypatch.setattr("tunepilot.aws.runs_store.time.sleep", lambda _: None)
    store = RunsStore(TABLE, client=ddb)
    with Stubber(ddb) as stub:
        for _ in range(4):
            stub.add_client_error("transact_write_items", **client_error(
                "TransactionCanceledException", 400, ["TransactionConflict", "None"]))
        with pytest.raises(Throttled, match="conflicting"):
            store.record_training_status(RUN, JOB, "Completed", 100, 0.25, NOW)
