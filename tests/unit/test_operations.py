"""Operations in template.yaml: no event vanishes without a trace, every log is kept (for a while),
and only spec files start a run."""

from __future__ import annotations

import copy
import json

import pytest
from moto.events.models import EventPattern

from tests.conftest import load_event
from tests.unit.test_contract import TEMPLATE

RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = sorted(k for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function")
# Invoked asynchronously (EventBridge, a Logs subscription): a failure after Lambda's retries needs a home.
ASYNC = sorted(
    k for k in FUNCTIONS
    if any(e["Type"] in {"EventBridgeRule", "CloudWatchLogs"}
           for e in (RESOURCES[k]["Properties"].get("Events") or {}).values())
)
RULE_EVENTS = [
    (logical, name, event)
    for logical, resource in RESOURCES.items()
    for name, event in (resource.get("Properties", {}).get("Events") or {}).items()
    if event["Type"] in {"EventBridgeRule", "Schedule"}
]


def _get_att_arn(value) -> str:
    """``!GetAtt Queue.Arn`` -> ``Queue``."""
    target = value["Fn::GetAtt"]
    logical, attribute = target.split(".", 1) if isinstance(target, str) else target
    assert attribute == "Arn"
    return logical


def _alarmed_queues() -> set[str]:
    queues = set()
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            assert props["AlarmActions"], "an alarm that tells nobody"
            for dimension in props["Dimensions"]:
                if dimension["Name"] == "QueueName":
                    queues.add(dimension["Value"]["Fn::GetAtt"][0])
    return queues


def test_the_async_functions_are_the_expected_ones():
    assert ASYNC == ["MetricWatchFunction", "OnTrainingJobEventFunction", "ResumeWaitFunction"]


@pytest.mark.parametrize("function", ASYNC)
def test_an_async_function_sends_failed_events_to_an_alarmed_queue(function):
    config = RESOURCES[function]["Properties"]["EventInvokeConfig"]
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue = _get_att_arn(on_failure["Destination"])
    assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue" and queue in _alarmed_queues()


@pytest.mark.parametrize("owner,event_name,event", RULE_EVENTS, ids=[f"{o}.{n}" for o, n, _ in RULE_EVENTS])
def test_every_rule_target_has_an_alarmed_dead_letter_queue(owner, event_name, event):
    queue = _get_att_arn(event["Properties"]["DeadLetterConfig"]["Arn"])
    assert queue in _alarmed_queues()
    policies = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    allowing = [p for p in policies if {"Ref": queue} in p["Queues"]]
    statement = allowing[0]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert "aws:SourceArn" in statement["Condition"]["ArnLike"]  # only this stack's rules


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_a_log_group_with_retention(function):
    name = {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    groups = [
        r["Properties"] for r in RESOURCES.values()
        if r["Type"] == "AWS::Logs::LogGroup" and r["Properties"].get("LogGroupName") == name
    ]
    assert len(groups) == 1 and groups[0]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_state_machine_logs_every_execution_to_a_kept_group():
    logging = RESOURCES["TuningStateMachine"]["Properties"]["Logging"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is True
    group = _get_att_arn(logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"])
    assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_metric_watch_has_reserved_concurrency():
    assert RESOURCES["MetricWatchFunction"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Ref": "MetricWatchConcurrency"
    }


def _spec_rule() -> EventPattern:
    rule = RESOURCES["TuningStateMachine"]["Properties"]["Events"]["SpecUploaded"]
    pattern = copy.deepcopy(rule["Properties"]["Pattern"])
    pattern["detail"]["bucket"]["name"] = ["my-bucket"]
    return EventPattern.load(json.dumps(pattern))


OBJECTS = {
    "yaml": ("specs/demo.yaml", 812, True),
    "yml": ("specs/demo.yml", 812, True),
    "json": ("specs/demo.json", 812, True),
    "nested-folder": ("specs/team-a/demo.yaml", 812, True),
    "folder-marker": ("specs/", 0, False),
    "empty-spec": ("specs/demo.yaml", 0, False),
    "readme": ("specs/README.md", 812, False),
    "editor-backup": ("specs/demo.yaml~", 812, False),
    "outside-specs": ("runs/x/validation.json", 812, False),
    "yaml-outside-specs": ("other/specs/demo.yaml", 812, False),
}


@pytest.mark.parametrize("key,size,starts", OBJECTS.values(), ids=OBJECTS.keys())
def test_only_non_empty_spec_files_under_specs_start_a_run(key, size, starts):
    event = load_event("s3-object-created")
    event["detail"]["bucket"]["name"] = "my-bucket"
    event["detail"]["object"].update(key=key, size=size)
    assert _spec_rule().matches_event(event) is starts
