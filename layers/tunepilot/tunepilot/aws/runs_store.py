"""The runs table: one DynamoDB table (hash key ``pk``, TTL ``expires_at``) holding every run's state.

Every write is safe under at-least-once delivery: EventBridge, S3 notifications and Step Functions
retries all deliver twice now and then, so each method is either an overwrite of the same value or a
conditional write whose losing side is an expected outcome (``False``), never an error.

Items, by key prefix:
- ``run#<run_id>``: the run (status, limits, spend ledger totals, ``running`` jobs, ``stop_reason``,
  ``tuning_ended``: the tuning job's terminal status, once seen).
- ``job#<tuning_job>``: which run a tuning job belongs to.
- ``wait#<kind>#<name>``: a Step Functions task token waiting for a tuning job or endpoint.
- ``ledger#<run_id>#<training_job>``: one settled training job (its cost counted once).
- ``alert#<run_id>#<key>``: an alert already sent.
- ``metrics#<training_job>``: the metric-regex guard's match counts (a JSON string).
- ``admission#slots``: the runs holding one of MaxConcurrentTuningJobs slots (``holders``, ``used``).
- ``queue#<run_id>``: a run waiting for a slot (upload ``order`` and its WaitForSlot task token).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import error_code, translate
from tunepilot.exceptions import Throttled
from tunepilot.policies.budget import Policy, RunBudget, Spend

WaitKind = Literal["tuning", "endpoint"]
RunStatus = Literal[
    "VALIDATING", "INVALID", "VALIDATED", "QUEUED", "TUNING", "PICKED", "DECIDED", "DEPLOYING", "SUCCEEDED", "FAILED"
]
TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
DEFAULT_TTL_S = 90 * 24 * 3600  # long after any tuning job ends; the table cleans itself up
# The ledger owns these run fields; update_run must not overwrite them (a lost update of spend).
LEDGER_FIELDS = frozenset({"pk", "run_id", "running", "spend_usd", "jobs_settled"})


class _Item(BaseModel):
    # Items written by an older version may carry attributes no longer read: they load, unseen.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class MetricRegex(_Item):
    """One metric definition as SageMaker spells it (``{"Name", "Regex"}``)."""

    name: str = Field(alias="Name")
    regex: str = Field(alias="Regex")


class RunRecord(_Item):
    """The run item, ``run#<run_id>``: what the runtime reads from the table.

    The record holds the run's progress, its spend ledger, and the few spec values that the
    event-driven guards need on every training-job event and log batch (limits, price, metric
    regexes), so that those never read S3. Everything else about the spec is read from
    ``runs/<run_id>/spec.json``.
    """

    # identity and progress
    run_id: str
    execution_arn: str = ""
    spec_key: str | None = None  # where the spec came from: the run id is a digest
    status: RunStatus = "VALIDATING"
    created_at: float | None = None
    tuning_job_name: str | None = None
    tuning_started_at: float | None = None
    tuning_ended: str | None = None  # the tuning job's terminal status once seen ("Missing": it is gone)
    ledger_swept: bool = False  # the reconciler's last sweep after the tuning job ended is done
    endpoint_name: str | None = None  # deploy.endpoint_name; the endpoint Deploy wrote to
    endpoint_config_name: str | None = None  # the config Deploy created: what WaitForEndpoint waits for
    stop_reason: str | None = None  # the first reason wins (RunsStore.mark_stop)
    stopped_at: float | None = None
    metric_suggestion: dict[str, Any] | None = None  # the metric guard's diagnosis, for AnalyzeResults
    # the guards' copy of the spec
    objective_metric: str | None = None
    metric_definitions: list[MetricRegex] = Field(default_factory=list)
    on_metric_mismatch: Literal["alert", "stop"] = "alert"
    usd_per_hour: float | None = None
    instance_count: int = 1
    max_cost_usd: float | None = None
    policy: Policy = "hard"
    max_wall_clock_s: int | None = None
    max_training_jobs: int | None = None
    # the ledger (RunsStore.record_training_status only)
    running: dict[str, float] = Field(default_factory=dict)  # training job -> start, epoch seconds
    spend_usd: float = 0.0
    jobs_settled: int = 0

    def budget(self, now: float) -> RunBudget:
        """The limits the guard enforces; the clock starts when tuning started (else at the claim, else now)."""
        return RunBudget(
            max_cost_usd=self.max_cost_usd,
            policy=self.policy,
            usd_per_hour=self.usd_per_hour or 0.0,
            instance_count=self.instance_count,
            max_wall_clock_s=self.max_wall_clock_s,
            max_training_jobs=self.max_training_jobs,
            started_at=self.tuning_started_at or self.created_at or now,
        )

    def spend(self) -> Spend:
        return Spend(settled_usd=self.spend_usd, running=dict(self.running), jobs_settled=self.jobs_settled)

    def metric_regexes(self) -> dict[str, str]:
        return {d.name: d.regex for d in self.metric_definitions}


class Waiter(_Item):
    """A stored task token, ``wait#<kind>#<name>``: an execution waiting on a tuning job or endpoint."""

    kind: WaitKind
    name: str
    run_id: str
    token: str
    stored_at: float = 0.0


class QueuedRun(_Item):
    """A run waiting for an admission slot, ``queue#<run_id>``: its place and its WaitForSlot task token."""

    run_id: str
    order: str  # upload order (admission.order_key): the queue sorts by it
    token: str
    queued_at: float = 0.0


_RUN_FIELDS = frozenset(RunRecord.model_fields) - LEDGER_FIELDS  # what update_run may set
_CONFLICT_RETRIES = 4  # TransactionConflict: another writer touched the run item in the same instant

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class RunsStore:
    def __init__(
        self,
        table_name: str,
        client: Any = None,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock

    @property
    def client(self) -> Any:
        # The shared client is created once per process, at first use (tests swap it for moto's).
        return self._client if self._client is not None else clients.dynamodb

    # ------------------------------------------------------------------------------ runs
    def claim_run(
        self, run_id: str, execution_arn: str, spec_key: str, fields: Mapping[str, Any]
    ) -> tuple[bool, RunRecord]:
        """Create the run for this execution. (True, record) for the first or the same execution,
        (False, existing record) when another execution already owns the run (a duplicate S3 event).

        A retry of the same execution keeps the stored item as it is: it never resets a run.
        """
        item = {
            **_run_fields({k: v for k, v in fields.items() if k not in LEDGER_FIELDS}),
            "run_id": run_id,
            "execution_arn": execution_arn,
            "spec_key": spec_key,
            "running": {},
            "spend_usd": 0,
            "jobs_settled": 0,
        }
        existing = self._put_if_absent(_run_key(run_id), item, f"claim run {run_id}")
        if existing is None:
            return True, RunRecord.model_validate(self._public(self._with_key(_run_key(run_id), item)))
        record = RunRecord.model_validate({"run_id": run_id, **existing})
        return record.execution_arn == execution_arn, record

    def get_run(self, run_id: str) -> RunRecord | None:
        item = self._get(_run_key(run_id), f"read run {run_id}")
        return RunRecord.model_validate(item) if item else None

    def update_run(self, run_id: str, **fields: Any) -> bool:
        """Set fields of an existing run (None removes a field). False if the run does not exist.

        Each name must be a ``RunRecord`` field and each value of its type (ValueError otherwise).
        """
        owned = LEDGER_FIELDS & set(fields)
        if owned:
            raise ValueError(f"update_run cannot set {sorted(owned)}: the ledger owns them")
        if not fields:
            return self.get_run(run_id) is not None
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes = [], []
        for i, (name, value) in enumerate(sorted(_run_fields(fields).items())):
            names[f"#f{i}"] = name
            if _storable(value) is None:
                removes.append(f"#f{i}")
            else:
                values[f":v{i}"] = value
                sets.append(f"#f{i} = :v{i}")
        clauses = [f"SET {', '.join(sets)}"] if sets else []
        clauses += [f"REMOVE {', '.join(removes)}"] if removes else []
        return self._conditional(
            "update_item",
            f"update run {run_id}",
            Key=_key(_run_key(run_id)),
            UpdateExpression=" ".join(clauses),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            **({"ExpressionAttributeValues": _serialize(values)} if values else {}),
        )

    def mark_stop(self, run_id: str, reason: str) -> bool:
        """Record why the run stops. The first reason wins: exactly one caller gets True."""
        return self._conditional(
            "update_item",
            f"mark run {run_id} stopping",
            Key=_key(_run_key(run_id)),
            UpdateExpression="SET stop_reason = :reason, stopped_at = :now",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(stop_reason)",
            ExpressionAttributeValues=_serialize({":reason": reason, ":now": self._clock()}),
        )

    # ------------------------------------------------------------------------------ tuning jobs
    def link_tuning_job(self, tuning_job_name: str, run_id: str) -> bool:
        """Remember which run owns a tuning job. False if another run already claimed the name."""
        return self._conditional(
            "put_item",
            f"link tuning job {tuning_job_name}",
            Item=_serialize(self._with_key(f"job#{tuning_job_name}", {"run_id": run_id,
                                                                     "tuning_job_name": tuning_job_name})),
            ConditionExpression="attribute_not_exists(pk) OR run_id = :run",
            ExpressionAttributeValues=_serialize({":run": run_id}),
        )

    def run_for_tuning_job(self, name: str) -> str | None:
        item = self._get(f"job#{name}", f"read owner of tuning job {name}")
        return str(item["run_id"]) if item else None

    def runs_with_live_tuning_job(self) -> list[RunRecord]:
        """Runs whose tuning job was started and not yet seen to end, whatever the run's own status
        (a FAILED run's job may still spend). Scans every page."""
        return self._scan_runs(
            "attribute_exists(#started) AND attribute_not_exists(#ended)",
            names={"#started": "tuning_started_at", "#ended": "tuning_ended"},
            values={},
            action="list runs with a live tuning job",
        )

    def runs_with_running_jobs(self) -> list[RunRecord]:
        """Runs whose ledger holds at least one training job as running (the reconciler settles the
        ones whose terminal event was lost). Scans every page."""
        return self._scan_runs(
            "size(#running) > :zero",
            names={"#running": "running"},
            values={":zero": 0},
            action="list runs with running training jobs",
        )

    # ------------------------------------------------------------------------------ task tokens
    def put_token(self, kind: WaitKind, name: str, run_id: str, token: str) -> None:
        """Store (or replace) the task token of the execution waiting on a tuning job or endpoint."""
        item = {"kind": kind, "name": name, "run_id": run_id, "token": token, "stored_at": self._clock()}
        self._call("put_item", f"store {kind} wait for {name}",
                   Item=_serialize(self._with_key(_wait_key(kind, name), item)))

    def take_token(self, kind: WaitKind, name: str) -> Waiter | None:
        """Remove and return the waiter. An atomic delete: of all the callers, exactly one gets it."""
        response = self._call("delete_item", f"take {kind} wait for {name}",
                              Key=_key(_wait_key(kind, name)), ReturnValues="ALL_OLD")
        old = response.get("Attributes")
        return Waiter.model_validate(_deserialize(old)) if old else None

    def peek_token(self, kind: WaitKind, name: str) -> Waiter | None:
        """The waiter, if any, without taking it (to learn which run waits)."""
        item = self._get(_wait_key(kind, name), f"read {kind} wait for {name}")
        return Waiter.model_validate(item) if item else None

    def waiting(self, kind: WaitKind) -> list[Waiter]:
        """Every stored waiter of this kind (the reconciler's to-do list). Scans every page."""
        return [
            Waiter.model_validate(item)
            for item in self._scan(
                "begins_with(pk, :prefix) AND #kind = :kind",
                names={"#kind": "kind"},
                values={":prefix": "wait#", ":kind": kind},
                action=f"list {kind} waits",
            )
        ]

    # ------------------------------------------------------------------------------ admission
    def acquire_slot(self, run_id: str, limit: int) -> bool:
        """Take one of ``limit`` tuning-job slots for the run. True if the run holds a slot now (taken
        now or before: a retry); False when every slot is taken."""
        self._ensure_slots()
        taken = self._conditional(
            "update_item",
            f"admit run {run_id}",
            Key=_key(_SLOTS),
            UpdateExpression="SET #holders.#run = :now ADD #used :one",
            ConditionExpression="#used < :limit AND attribute_not_exists(#holders.#run)",
            ExpressionAttributeNames={"#holders": "holders", "#used": "used", "#run": run_id},
            ExpressionAttributeValues=_serialize({":now": self._clock(), ":one": 1, ":limit": limit}),
        )
        return taken or run_id in self.slot_holders()

    def release_slot(self, run_id: str) -> bool:
        """Give the run's slot back. True for the one caller that released it; False if it held none."""
        return self._conditional(
            "update_item",
            f"release the slot of run {run_id}",
            Key=_key(_SLOTS),
            UpdateExpression="REMOVE #holders.#run ADD #used :minus",
            ConditionExpression="attribute_exists(#holders.#run)",
            ExpressionAttributeNames={"#holders": "holders", "#used": "used", "#run": run_id},
            ExpressionAttributeValues=_serialize({":minus": -1}),
        )

    def slot_holders(self) -> dict[str, float]:
        item = self._get(_SLOTS, "read the admission slots") or {}
        return {run: float(at) for run, at in (item.get("holders") or {}).items()}

    def enqueue(self, run_id: str, order: str, token: str) -> None:
        """Put the run in the admission queue (or replace its token: a retried WaitForSlot)."""
        item = {"run_id": run_id, "order": order, "token": token, "queued_at": self._clock()}
        self._call("put_item", f"queue run {run_id}", Item=_serialize(self._with_key(_queue_key(run_id), item)))

    def queued(self) -> list[QueuedRun]:
        """The admission queue, in upload order. Scans every page."""
        items = [
            QueuedRun.model_validate(item)
            for item in self._scan("begins_with(pk, :prefix)", names={}, values={":prefix": "queue#"},
                                   action="list the admission queue")
        ]
        return sorted(items, key=lambda item: item.order)

    def take_queued(self, run_id: str) -> QueuedRun | None:
        """Remove the run from the queue and return its item (with the token). Atomic: one caller gets it."""
        response = self._call("delete_item", f"dequeue run {run_id}",
                              Key=_key(_queue_key(run_id)), ReturnValues="ALL_OLD")
        old = response.get("Attributes")
        return QueuedRun.model_validate(_deserialize(old)) if old else None

    def _ensure_slots(self) -> None:
        # No expires_at: the slots item must outlive any TTL, or a busy stack would forget its holders.
        self._conditional("put_item", "create the admission slots",
                          Item=_serialize({"pk": _SLOTS, "holders": {}, "used": 0}),
                          ConditionExpression="attribute_not_exists(pk)")

    # ------------------------------------------------------------------------------ spend ledger
    def record_training_status(
        self,
        run_id: str,
        training_job: str,
        status: str,
        billable_seconds: float,
        cost_usd: float,
        started_at: float,
    ) -> bool:
        """Fold one training-job state change into the run's ledger. Returns whether anything changed.

        Terminal: the ledger item and the run's totals are written in one transaction, so a crash
        cannot count a job's cost twice or lose it; a second terminal event for the job (duplicate,
        or a different status out of order) finds the ledger item and changes nothing.
        InProgress: the job joins ``running`` unless it is already there or already settled (a late
        InProgress after the job's end must not resurrect it). Other statuses change nothing.
        """
        names = {"#running": "running", "#job": training_job}
        run_key = _key(_run_key(run_id))
        ledger_pk = _ledger_key(run_id, training_job)
        if status in TERMINAL:
            entry = {"run_id": run_id, "training_job": training_job, "status": status,
                     "billable_seconds": billable_seconds, "cost_usd": cost_usd, "started_at": started_at,
                     "settled_at": self._clock()}
            items: list[dict[str, Any]] = [
                {"Put": {"TableName": self.table_name, "Item": _serialize(self._with_key(ledger_pk, entry)),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self.table_name, "Key": run_key,
                            "UpdateExpression": "ADD spend_usd :cost, jobs_settled :one REMOVE #running.#job",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": _serialize({":cost": cost_usd, ":one": 1})}},
            ]
        elif status == "InProgress":
            items = [
                {"ConditionCheck": {"TableName": self.table_name, "Key": _key(ledger_pk),
                                    "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": self.table_name, "Key": run_key,
                            "UpdateExpression": "SET #running.#job = :started",
                            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#running.#job)",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": _serialize({":started": started_at})}},
            ]
        else:
            return False
        return self._transact(items, f"record {status} of {training_job} for run {run_id}")

    def is_settled(self, run_id: str, training_job: str) -> bool:
        return self._get(_ledger_key(run_id, training_job), f"read ledger of {training_job}") is not None

    def runs_to_sweep(self) -> list[RunRecord]:
        """Runs whose tuning job ended and whose ledger was not swept once since. Scans every page."""
        return self._scan_runs(
            "attribute_exists(#ended) AND attribute_not_exists(#swept)",
            names={"#ended": "tuning_ended", "#swept": "ledger_swept"},
            values={},
            action="list runs whose ledger needs a last sweep",
        )

    def spend(self, run_id: str) -> Spend:
        run = self.get_run(run_id)
        return run.spend() if run else Spend(0.0, {}, 0)

    # ------------------------------------------------------------------------------ alerts, metrics
    def claim_alert(self, run_id: str, key: str) -> bool:
        """True for the one caller that may send this alert; False if it was already claimed."""
        return self._conditional(
            "put_item",
            f"claim alert {key} of run {run_id}",
            Item=_serialize(self._with_key(f"alert#{run_id}#{key}", {"run_id": run_id, "claimed_at": self._clock()})),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def put_metric_state(self, training_job: str, state: Mapping[str, Any]) -> None:
        item = {"training_job": training_job, "state": json.dumps(state, sort_keys=True), "updated_at": self._clock()}
        self._call("put_item", f"store metric state of {training_job}",
                   Item=_serialize(self._with_key(f"metrics#{training_job}", item)))

    def get_metric_state(self, training_job: str) -> dict[str, Any] | None:
        item = self._get(f"metrics#{training_job}", f"read metric state of {training_job}")
        return dict(json.loads(item["state"])) if item and item.get("state") else None

    # ------------------------------------------------------------------------------ plumbing
    def _with_key(self, pk: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in attributes.items() if _storable(v) is not None}
        return {**item, "pk": pk, "expires_at": int(self._clock()) + self._ttl_s}

    @staticmethod
    def _public(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in {"pk", "expires_at"}}

    def _call(self, operation: str, action: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(getattr(self.client, operation)(TableName=self.table_name, **kwargs))
        except (ClientError, BotoCoreError) as e:
            raise translate(e, action) from e

    def _conditional(self, operation: str, action: str, **kwargs: Any) -> bool:
        """A conditional write: False when the condition fails (an expected outcome, not an error)."""
        try:
            getattr(self.client, operation)(TableName=self.table_name, **kwargs)
        except ClientError as e:
            if error_code(e) == "ConditionalCheckFailedException":
                return False
            raise translate(e, action) from e
        except BotoCoreError as e:
            raise translate(e, action) from e
        return True

    def _put_if_absent(self, pk: str, item: Mapping[str, Any], action: str) -> dict[str, Any] | None:
        """Put unless the key exists; None on success, else the item already there."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=_serialize(self._with_key(pk, item)),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as e:
            if error_code(e) != "ConditionalCheckFailedException":
                raise translate(e, action) from e
            old: dict[str, Any] | None = e.response.get("Item")  # type: ignore[assignment]
            return self._public(_deserialize(old)) if old else (self._get(pk, action) or {})
        except BotoCoreError as e:
            raise translate(e, action) from e
        return None

    def _get(self, pk: str, action: str) -> dict[str, Any] | None:
        item = self._call("get_item", action, Key=_key(pk), ConsistentRead=True).get("Item")
        return self._public(_deserialize(item)) if item else None

    def _scan_runs(self, condition: str, names: dict[str, str], values: dict[str, Any], action: str) -> list[RunRecord]:
        """Every run record (pk ``run#...``) that also meets ``condition``; scans every page."""
        return [
            RunRecord.model_validate(item)
            for item in self._scan(f"begins_with(pk, :prefix) AND {condition}", names=names,
                                   values={":prefix": _RUN_PREFIX, **values}, action=action)
        ]

    def _scan(self, condition: str, names: dict[str, str], values: dict[str, Any], action: str) -> Iterator[dict]:
        kwargs: dict[str, Any] = {"FilterExpression": condition, "ExpressionAttributeValues": _serialize(values),
                                  "ConsistentRead": True}
        if names:  # DynamoDB refuses an empty map
            kwargs["ExpressionAttributeNames"] = names
        while True:
            page = self._call("scan", action, **kwargs)
            for item in page.get("Items", []):
                yield _deserialize(item)
            if not page.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _transact(self, items: list[dict[str, Any]], action: str) -> bool:
        """Run a transaction: False if a condition failed; retries a conflict with a concurrent writer."""
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self.client.transact_write_items(TransactItems=items)
                return True
            except ClientError as e:
                if error_code(e) != "TransactionCanceledException":
                    raise translate(e, action) from e
                reasons = {str(r.get("Code")) for r in e.response.get("CancellationReasons", [])}
                if "ConditionalCheckFailed" in reasons:
                    return False
                if not reasons & {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}:
                    raise translate(e, action) from e
                if attempt == _CONFLICT_RETRIES - 1:
                    raise Throttled(f"{action}: still conflicting after {_CONFLICT_RETRIES} attempts") from e
                time.sleep(0.05 * 2**attempt)
            except BotoCoreError as e:
                raise translate(e, action) from e
        return False  # unreachable: the loop returns or raises


# ---------------------------------------------------------------------------------- item codec
def _run_key(run_id: str) -> str:
    return f"{_RUN_PREFIX}{run_id}"


def _wait_key(kind: str, name: str) -> str:
    return f"wait#{kind}#{name}"


_SLOTS = "admission#slots"


def _queue_key(run_id: str) -> str:
    return f"queue#{run_id}"


def _ledger_key(run_id: str, training_job: str) -> str:
    return f"ledger#{run_id}#{training_job}"


def _run_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Run fields in their stored form, each checked against its ``RunRecord`` type."""
    unknown = sorted(set(fields) - _RUN_FIELDS)
    if unknown:
        raise ValueError(f"{unknown} are not fields of a run record")
    given = {name: value for name, value in fields.items() if value is not None}
    try:
        record = RunRecord.model_validate({"run_id": "-", **given})
    except ValidationError as e:
        first = e.errors()[0]
        raise ValueError(f"run field {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from e
    stored = record.model_dump(mode="json", by_alias=True, include=set(given))
    return {name: stored.get(name) for name in fields}


_RUN_PREFIX = "run#"


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def run_item_key(run_id: str) -> dict[str, Any]:
    """The DynamoDB key of a run's item, for readers outside the store (the client-side run watcher)."""
    return _key(_run_key(run_id))


def run_object_key(run_id: str, name: str) -> str:
    """Where a run's documents live in the bucket: ``runs/<run_id>/<name>`` (validation.json, result.json, ...)."""
    return f"runs/{run_id}/{name}"


def _storable(value: Any) -> Any:
    """Python -> what DynamoDB stores: floats as Decimal, tuples as lists; NaN and infinity as None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _serialize(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_storable(v)) for k, v in values.items()}


def _plain(value: Any) -> Any:
    """DynamoDB -> JSON-ready Python: Decimal as int or float, sets as sorted lists."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # "5" -> int 5, "5.0" or "0.25" -> float
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return value


def _deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}
