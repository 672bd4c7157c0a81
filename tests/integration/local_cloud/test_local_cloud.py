"""The local cloud deploys a small SAM stack and runs real handler code through every delivery path."""

import json
import time

import pytest


def _wait_for_key(s3, bucket, prefix, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        if found:
            return [o["Key"] for o in found]
        time.sleep(0.1)
    return []


def _function_name(cloud):
    return cloud.deployment.physical_ids["EchoFunction"]


def _invoke(cloud, payload):
    reply = cloud.client("lambda").invoke(FunctionName=_function_name(cloud), Payload=json.dumps(payload).encode())
    return reply.get("FunctionError"), json.loads(reply["Payload"].read())


def test_state_machine_runs_real_handler_with_env_layer_and_substitutions(cloud):
    sfn = cloud.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=cloud.state_machine_arn, name="first", input='{"source": "sfn"}')[
        "executionArn"]
    deadline = time.monotonic() + 20
    while (status := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status["status"] == "SUCCEEDED", status
    output = json.loads(status["output"])
    assert output["greeting"] == "hello"  # the template's parameter default, through Environment
    assert output["layer"] == "from-the-layer"  # importable only from the layer
    assert output["event"]["execution"] == arn  # "$$.Execution.Id" survived substitution as "$$"
    assert output["event"]["partition"] == "aws"
    assert output["event"]["input"] == {"source": "sfn"}


def test_definition_substitutions_resolve_to_the_deployed_function(cloud):
    definition = json.loads(
        cloud.client("stepfunctions").describe_state_machine(stateMachineArn=cloud.state_machine_arn)["definition"])
    resource = definition["States"]["Echo"]["Resource"]
    assert resource == f"arn:aws:lambda:us-east-1:123456789012:function:{_function_name(cloud)}"


def test_function_has_its_layer(cloud):
    config = cloud.client("lambda").get_function_configuration(FunctionName=_function_name(cloud))
    layer_names = [layer["Arn"].split(":")[6] for layer in config["Layers"]]
    assert len(layer_names) == 1
    assert layer_names[0].startswith("fixture-HelperLayer")


def test_eventbridge_rule_delivers_to_lambda(cloud):
    entry = {"Source": "test.app", "DetailType": "Something Happened", "Detail": json.dumps({"n": 1})}
    assert cloud.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    keys = _wait_for_key(cloud.client("s3"), cloud.bucket, "seen/test.app/")
    assert len(keys) == 1
    event = json.loads(cloud.client("s3").get_object(Bucket=cloud.bucket, Key=keys[0])["Body"].read())
    assert event["detail"] == {"n": 1} and event["detail-type"] == "Something Happened"


def test_unmatched_event_is_not_delivered(cloud):
    entry = {"Source": "other.app", "DetailType": "x", "Detail": "{}"}
    cloud.client("events").put_events(Entries=[entry])
    assert cloud.delivery.wait_idle(10)
    assert _wait_for_key(cloud.client("s3"), cloud.bucket, "seen/other.app/", timeout=0.5) == []


def test_schedule_ticker_fires_scheduled_rule(cloud):
    assert cloud.ticker.fire() == 1  # one scheduled rule with one target
    keys = _wait_for_key(cloud.client("s3"), cloud.bucket, "seen/aws.events/")
    assert keys
    event = json.loads(cloud.client("s3").get_object(Bucket=cloud.bucket, Key=keys[0])["Body"].read())
    assert event["detail-type"] == "Scheduled Event" and event["resources"][0].startswith("arn:aws:events:")


@pytest.mark.parametrize(
    ("payload", "error_type", "message"),
    [
        ({"fail": "boom"}, "ValueError", "boom"),
        ({"sleep": 5}, "Sandbox.Timedout", "Task timed out after 2.00 seconds"),
    ],
    ids=["handler-exception", "timeout"],
)
def test_errors_come_back_in_lambda_shape(cloud, payload, error_type, message):
    function_error, body = _invoke(cloud, payload)
    assert function_error == "Handled"
    assert body["errorType"] == error_type
    assert body["errorMessage"] == message
    assert isinstance(body["stackTrace"], list)


def test_workers_stay_warm_and_are_counted(cloud):
    before = cloud.lambda_invocations.get(_function_name(cloud), 0)
    _, first = _invoke(cloud, {"source": "warm"})
    _, second = _invoke(cloud, {"source": "warm"})
    assert first["pid"] == second["pid"]  # the same warm worker answered both
    assert cloud.lambda_invocations[_function_name(cloud)] == before + 2
