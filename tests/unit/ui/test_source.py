"""The deployed-stack source: found through CloudFormation outputs, read-only, alerts not readable, invoke gated."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tunepilot_ui import source as source_module
from tunepilot_ui.source import InvokeNotAllowed, LocalCloudSource, SourceError, StackSource

OUTPUTS = [{"OutputKey": "BucketName", "OutputValue": "tp-bucket"},
           {"OutputKey": "StateMachineArn", "OutputValue": "arn:aws:states:us-east-1:123456789012:stateMachine:tp"},
           {"OutputKey": "RunsTableName", "OutputValue": "tp-runs"},
           {"OutputKey": "AlertsTopicArn", "OutputValue": "arn:aws:sns:us-east-1:123456789012:tp-alerts"}]
STACK = {"StackName": "tp", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}


class StubbedSession:
    """A boto3 session whose clients are botocore-stubbed (AWS's own shapes, no network)."""

    region_name = "us-east-1"

    def __init__(self) -> None:
        self._session = boto3.session.Session(region_name="us-east-1")
        self.stubs: dict[str, Stubber] = {}
        self.clients: dict[str, object] = {}

    def client(self, name: str):
        if name not in self.clients:
            self.clients[name] = self._session.client(name)
            self.stubs[name] = Stubber(self.clients[name])
            self.stubs[name].activate()
        return self.clients[name]

    def stub(self, name: str) -> Stubber:
        self.client(name)
        return self.stubs[name]


def stack_source(outputs=OUTPUTS, allow_invoke=False):
    session = StubbedSession()
    session.stub("cloudformation").add_response("describe_stacks", {"Stacks": [{**STACK, "Outputs": outputs}]},
                                                {"StackName": "tp"})
    return StackSource("tp", allow_invoke=allow_invoke, session=session), session


def test_stack_is_found_by_its_outputs_and_alerts_are_said_to_be_unreadable():
    source, _ = stack_source()
    assert (source.bucket, source.table) == ("tp-bucket", "tp-runs")
    assert source.alerts() is None
    assert "arn:aws:sns:us-east-1:123456789012:tp-alerts" in source.alerts_note
    assert not source.invoke_allowed


def test_definition_is_the_deployed_one():
    source, session = stack_source()
    session.stub("stepfunctions").add_response(
        "describe_state_machine",
        {"stateMachineArn": source.state_machine_arn, "name": "tp", "definition": '{"StartAt": "A"}',
         "roleArn": "arn:aws:iam::123456789012:role/r", "type": "STANDARD", "creationDate": "2026-01-01T00:00:00Z"},
        {"stateMachineArn": source.state_machine_arn})
    assert source.definition() == '{"StartAt": "A"}'
    assert source.definition() == '{"StartAt": "A"}'  # read once
    session.stub("stepfunctions").assert_no_pending_responses()


@pytest.mark.parametrize(("code", "outputs"), [("ValidationError", OUTPUTS), (None, OUTPUTS[:1])],
                         ids=["no-such-stack", "not-a-tunepilot-stack"])
def test_a_missing_or_foreign_stack_is_a_clear_error(code, outputs):
    session = StubbedSession()
    if code:
        session.stub("cloudformation").add_client_error("describe_stacks", code, "Stack with id tp does not exist")
    else:
        session.stub("cloudformation").add_response("describe_stacks", {"Stacks": [{**STACK, "Outputs": outputs}]})
    with pytest.raises(SourceError, match="stack tp"):
        StackSource("tp", session=session)


def test_invoke_only_with_allow_invoke():
    source, session = stack_source()
    with pytest.raises(InvokeNotAllowed, match="--allow-invoke"):
        source.invoke("ep", "1,2")
    allowed, session = stack_source(allow_invoke=True)
    body = StreamingBody(io.BytesIO(b"0.5\n"), 4)
    session.stub("sagemaker-runtime").add_response(
        "invoke_endpoint", {"Body": body, "ContentType": "text/csv"},
        {"EndpointName": "ep", "ContentType": "text/csv", "Body": b"1,2"})
    assert allowed.invoke("ep", "1,2") == "0.5\n"


def test_throttling_is_a_source_error_with_the_code():
    source, session = stack_source()
    session.stub("stepfunctions").add_client_error("get_execution_history", "ThrottlingException", "Rate exceeded")
    with pytest.raises(SourceError, match="ThrottlingException"):
        source.history("arn:aws:states:us-east-1:123456789012:execution:tp:x")


def test_local_cloud_source_reads_the_alerts_the_local_cloud_collected():
    class Cloud:
        bucket, state_machine_arn, table, endpoint_url = "b", "arn:sm", "t", "http://127.0.0.1:1"

        def client(self, name):
            raise AssertionError("not called")

        def alerts(self):
            return [{"subject": "s", "message": "m"}]

    source = LocalCloudSource(Cloud())
    assert source.alerts() == [{"subject": "s", "message": "m"}] and source.invoke_allowed


READ_ONLY = ("describe_", "list_", "get_", "head_")
SERVICES = ("stepfunctions", "s3", "dynamodb", "sagemaker", "sagemaker-runtime", "logs", "cloudformation", "sns", "sqs")


def test_every_aws_call_of_the_sources_is_a_read_except_the_gated_invoke():
    """(The runs table is read through RunsStore.get_run: one GetItem.)"""
    session = boto3.session.Session(region_name="us-east-1")
    every_operation = {name for service in SERVICES for name in session.client(service).meta.method_to_api_mapping}
    called = set()
    for node in ast.walk(ast.parse(Path(source_module.__file__).read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "_call" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                called.add(node.args[1].value)  # self._call("service", "operation", ...)
            elif node.func.attr in every_operation:
                called.add(node.func.attr)
        elif isinstance(node, ast.Constant) and node.value in every_operation:
            called.add(node.value)  # paginators: get_paginator("list_executions")
    assert {"describe_state_machine", "get_execution_history", "list_executions", "get_object"} <= called
    assert {op for op in called if not op.startswith(READ_ONLY)} == {"invoke_endpoint"}
