"""The run watcher reads what RunsStore wrote, where RunsStore keeps it, and follows the right execution."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from tunepilot.aws.runs_store import RunsStore
from tunepilot.runid import run_id_for

from tests.integration.conftest import BUCKET, TABLE
from tunepilot_cli.watch import TERMINAL, RunWatcher

DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


class _Stack:
    """What a deployed stack offers the watcher: outputs and clients (here moto's)."""

    def __init__(self, state_machine_arn: str) -> None:
        self.bucket, self.table, self.state_machine_arn = BUCKET, TABLE, state_machine_arn

    def client(self, name: str) -> Any:
        return boto3.client(name)


@pytest.fixture
def machine(stack) -> str:
    """A state machine under moto; its executions stay RUNNING until stopped."""
    return str(boto3.client("stepfunctions").create_state_machine(
        name="tuning", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"])


def _start(sfn: Any, arn: str, key: str, version_id: str) -> str:
    event = {"detail": {"bucket": {"name": BUCKET}, "object": {"key": key, "version-id": version_id}}}
    return str(sfn.start_execution(stateMachineArn=arn, input=json.dumps(event))["executionArn"])


def test_the_watcher_finds_its_execution_and_reads_the_run_item_through_the_store(machine: str) -> None:
    sfn = boto3.client("stepfunctions")
    key, version = "specs/demo.yaml", "v1"
    other = _start(sfn, machine, "specs/other.yaml", "v9")
    ours = _start(sfn, machine, key, version)
    run_id = run_id_for(BUCKET, key, version)
    RunsStore(TABLE).claim_run(run_id, ours, key, {"max_cost_usd": 5.0})
    lines: list[str] = []

    watcher = RunWatcher(_Stack(machine), key, version, lines.append)

    assert watcher.run_id == run_id
    assert watcher.find_execution() == ours != other
    status = watcher.poll(time.monotonic())
    assert status == "RUNNING"
    assert watcher.item["run_id"] == run_id and watcher.item["execution_arn"] == ours
    assert lines and "spend $0.0000/$5.00" in lines[-1]


def test_follow_returns_the_terminal_status_and_gives_up_at_the_timeout(machine: str) -> None:
    sfn = boto3.client("stepfunctions")
    announced: list[str] = []
    missing = RunWatcher(_Stack(machine), "specs/never-uploaded.yaml", None, lambda line: None)
    assert missing.follow(time.monotonic(), 0.3, 0.05, on_execution=announced.append) == "RUNNING"
    assert missing.execution_arn is None and announced == []

    arn = _start(sfn, machine, "specs/stopped.yaml", "v1")
    sfn.stop_execution(executionArn=arn)
    watcher = RunWatcher(_Stack(machine), "specs/stopped.yaml", "v1", lambda line: None)
    status = watcher.follow(time.monotonic(), 10, 0.05, on_execution=announced.append)
    assert status == "ABORTED" and status in TERMINAL
    assert announced == [arn]
