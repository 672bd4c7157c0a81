"""EventBridge as the template needs it: rule delivery to Lambda / Step Functions / SNS, and schedules.

moto 5.2.5 delivers rule matches only to SQS, Logs and other buses (``NotImplementedError`` for the
rest) and never fires ``ScheduleExpression`` rules. :class:`EventDelivery` wraps
``Rule.send_to_targets``: our target kinds are delivered asynchronously (EventBridge never blocks the
publisher) through the local server's own APIs, honouring ``Input``/``InputPath``/``InputTransformer``;
the others still go to moto. :class:`ScheduleTicker` fires every enabled scheduled rule every N seconds.

Fault injection for tests, explicit and scoped: ``with delivery.drop(pred):`` loses every matching
event (as if EventBridge never delivered it), ``duplicate(pred)`` delivers it twice (EventBridge
delivers at least once), ``record(pred)`` keeps a copy of each matching event for re-delivery.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config

from tunepilot_local.patching import ActivePatch

EventPredicate = Callable[[dict[str, Any]], bool]

_OURS = ("lambda", "states", "sns")
_patch: ActivePatch[EventDelivery] = ActivePatch()


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What EventBridge passes to a target: Input, InputPath, InputTransformer, or the whole event."""
    if target.get("Input"):
        return json.loads(target["Input"])
    if target.get("InputPath"):
        return _json_path(event, target["InputPath"])
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
    return event


def _json_path(document: Any, path: str) -> Any:
    """The simple dotted JSONPath EventBridge allows in InputPath ("$", "$.detail.object")."""
    value = document
    for part in path.removeprefix("$").strip(".").split("."):
        if part:
            value = value.get(part) if isinstance(value, dict) else None
    return value


class EventDelivery:
    """Delivers events to Lambda, Step Functions and SNS targets through the local endpoint."""

    def __init__(self, endpoint_url: str, region: str, max_workers: int = 8) -> None:
        config = Config(retries={"max_attempts": 1}, read_timeout=900, connect_timeout=5)
        session = boto3.session.Session()
        self._lambda = session.client("lambda", endpoint_url=endpoint_url, region_name=region, config=config)
        self._sfn = session.client("stepfunctions", endpoint_url=endpoint_url, region_name=region, config=config)
        self._sns = session.client("sns", endpoint_url=endpoint_url, region_name=region, config=config)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="eventbridge")
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)
        self.delivered: list[tuple[str, str]] = []  # (rule name, target arn)
        self.failures: list[str] = []
        self.dropped: list[dict[str, Any]] = []  # events a drop() fault swallowed
        self._faults: list[tuple[str, EventPredicate, list[dict[str, Any]]]] = []
        self._closed = False

    @contextlib.contextmanager
    def _fault(self, kind: str, predicate: EventPredicate) -> Iterator[list[dict[str, Any]]]:
        seen: list[dict[str, Any]] = []
        fault = (kind, predicate, seen)
        with self._lock:
            self._faults.append(fault)
        try:
            yield seen
        finally:
            with self._lock:
                self._faults.remove(fault)

    def drop(self, predicate: EventPredicate) -> contextlib.AbstractContextManager[list[dict[str, Any]]]:
        """While active, matching events reach no target; yields the list of events dropped."""
        return self._fault("drop", predicate)

    def duplicate(self, predicate: EventPredicate) -> contextlib.AbstractContextManager[list[dict[str, Any]]]:
        """While active, matching events reach every target twice; yields the list of events doubled."""
        return self._fault("duplicate", predicate)

    def record(self, predicate: EventPredicate) -> contextlib.AbstractContextManager[list[dict[str, Any]]]:
        """While active, yields a growing list of the matching events (delivered as usual)."""
        return self._fault("record", predicate)

    def copies(self, rule_name: str, event: dict[str, Any]) -> int:
        """How many times a rule's match is delivered under the active faults: 0, 1 or 2."""
        with self._lock:
            faults = list(self._faults)
        count = 1
        for kind, predicate, seen in faults:
            if not predicate(event):
                continue
            if not any(e.get("id") == event.get("id") for e in seen):  # one event can match several rules
                seen.append(copy.deepcopy(event))
            if kind == "drop":
                self.dropped.append(event)
                count = 0
            elif kind == "duplicate" and count:
                count = 2
        return count

    def submit(self, rule_name: str, target: dict[str, Any], payload: Any) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending += 1
        self._pool.submit(self._deliver, rule_name, target, payload)

    def _deliver(self, rule_name: str, target: dict[str, Any], payload: Any) -> None:
        arn = target["Arn"]
        body = json.dumps(payload, default=str)
        try:
            service = arn.split(":")[2]
            if service == "lambda":
                reply = self._lambda.invoke(FunctionName=arn, Payload=body.encode())
                if reply.get("FunctionError"):
                    self.failures.append(f"{rule_name} -> {arn}: {reply['Payload'].read().decode()[:500]}")
            elif service == "states":
                self._sfn.start_execution(stateMachineArn=arn, name=str(uuid.uuid4()), input=body)
            elif service == "sns":
                self._sns.publish(TopicArn=arn, Message=body)
            self.delivered.append((rule_name, arn))
        except Exception as error:  # the run must see it, but one bad target must not stop the others
            self.failures.append(f"{rule_name} -> {arn}: {error!r}")
        finally:
            with self._lock:
                self._pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


def _send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    delivery = _patch.active
    if delivery is None:
        _patch.originals["send_to_targets"](self, original_event, transform_input)
        return
    if not self.event_pattern.get_pattern():
        return  # a schedule-only rule: moto's empty pattern matches every event; EventBridge's matches none
    if not self.event_pattern.matches_event(original_event):
        return
    copies = delivery.copies(self.name, original_event)
    ours = [t for t in self.targets if t["Arn"].split(":")[2] in _OURS]
    for _ in range(copies):
        for target in ours:
            payload = target_input(target, original_event) if transform_input else original_event
            delivery.submit(self.name, target, payload)
    native = [t for t in self.targets if t not in ours]
    if native and copies:
        clone = copy.copy(self)  # moto's own delivery for the targets it supports, without ours
        clone.targets = native
        _patch.originals["send_to_targets"](clone, original_event, transform_input)


def install(delivery: EventDelivery) -> None:
    from moto.events.models import Rule

    _patch.serve(delivery, Rule, "send_to_targets", _send_to_targets)


def uninstall(delivery: EventDelivery) -> None:
    _patch.deactivate(delivery)


def scheduled_event(rule: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }


class ScheduleTicker:
    """Fires every enabled ``ScheduleExpression`` rule every ``period`` seconds (whatever its rate)."""

    def __init__(self, delivery: EventDelivery, account: str, region: str, period: float) -> None:
        self.delivery = delivery
        self.account = account
        self.region = region
        self.period = period
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule-ticker", daemon=True)

    def scheduled_rules(self) -> list[Any]:
        from moto.events.models import events_backends

        backend = events_backends[self.account][self.region]
        return [
            rule for bus in list(backend.event_buses.values()) for rule in list(bus.rules.values())
            if rule.scheduled_expression and rule.state == "ENABLED"
        ]

    def fire(self) -> int:
        """Fire all scheduled rules once now; returns how many targets were submitted."""
        submitted = 0
        for rule in self.scheduled_rules():
            event = scheduled_event(rule)
            for target in list(rule.targets):
                if target["Arn"].split(":")[2] in _OURS:
                    self.delivery.submit(rule.name, target, target_input(target, event))
                    submitted += 1
        self.ticks += 1
        return submitted

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.fire()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident:
            self._thread.join(timeout=5)
