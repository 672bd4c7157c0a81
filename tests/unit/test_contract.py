"""The state machine, the template and the exception names agree with each other."""

from __future__ import annotations

import json
import re

import pytest
from samtranslator.yaml_helper import yaml_parse
from tunepilot import exceptions

from tests.conftest import ROOT

ASL = json.loads((ROOT / "statemachine" / "tuning.asl.json").read_text())
LAMBDA_TRANSIENT = {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException",
                    # a worker that crashed or overran: safe to retry because every task is idempotent
                    "Runtime.ExitError", "Sandbox.Timedout"}
TRANSIENT = {cls.__name__ for cls in exceptions.TRANSIENT}


# samtranslator's own parser: safe loading that understands !Ref, !Sub and friends.
TEMPLATE = yaml_parse((ROOT / "template.yaml").read_text())


def task_states():
    return [(name, state) for name, state in ASL["States"].items() if state["Type"] == "Task"]


@pytest.mark.parametrize("name,state", task_states(), ids=[n for n, _ in task_states()])
def test_every_task_retries_only_transient_names(name, state):
    for retrier in state.get("Retry", []):
        assert "States.ALL" not in retrier["ErrorEquals"], f"{name} retries everything"
        assert set(retrier["ErrorEquals"]) <= TRANSIENT | LAMBDA_TRANSIENT


@pytest.mark.parametrize("name,state", task_states(), ids=[n for n, _ in task_states()])
def test_every_task_but_notify_failure_catches_into_notify_failure(name, state):
    if name == "NotifyFailure":
        assert state["Next"] == "Failed"
        return
    if name == "AnalyzeResults":  # never costs the run: see the next test
        return
    catchers = state.get("Catch", [])
    assert catchers and catchers[-1]["ErrorEquals"] == ["States.ALL"] and catchers[-1]["Next"] == "NotifyFailure"


def test_analysis_failures_are_kept_and_the_run_goes_on_to_pick_best():
    waits, analyze = ASL["States"]["WaitForTuning"], ASL["States"]["AnalyzeResults"]
    assert waits["Next"] == "AnalyzeResults" and analyze["Next"] == "PickBest"
    catchers = analyze["Catch"]
    assert [c["ErrorEquals"] for c in catchers] == [["AnalysisFailed"], ["States.ALL"]]
    assert {(c["Next"], c["ResultPath"]) for c in catchers} == {("PickBest", "$.analysis")}
    assert "AnalysisFailed" in {cls.__name__ for cls in exceptions.ALL_ERRORS}


def test_error_names_are_unique_and_named_after_their_classes():
    names = [cls.__name__ for cls in exceptions.ALL_ERRORS]
    assert len(names) == len(set(names))
    assert all(issubclass(cls, exceptions.TunePilotError) for cls in exceptions.ALL_ERRORS)


def test_every_substitution_in_the_asl_is_defined_in_the_template():
    used = set(re.findall(r"\$\{(\w+)\}", (ROOT / "statemachine" / "tuning.asl.json").read_text()))
    defined = set(TEMPLATE["Resources"]["TuningStateMachine"]["Properties"]["DefinitionSubstitutions"])
    assert used == defined


def test_every_function_has_a_handler_folder_and_a_sample_event():
    functions = {
        props["Properties"]["CodeUri"].split("/", 1)[1]
        for props in TEMPLATE["Resources"].values()
        if props["Type"] == "AWS::Serverless::Function"
    }
    assert functions == {p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()}
    for function in functions:
        assert (ROOT / "events" / f"{function}.json").exists(), function


def _statements():
    for logical_id, resource in TEMPLATE["Resources"].items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            if isinstance(policy, dict) and "Statement" in policy:
                for statement in policy["Statement"]:
                    yield logical_id, statement


def test_no_statement_allows_every_action():
    for logical_id, statement in _statements():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions), logical_id


def test_pass_role_is_limited_to_sagemaker():
    passes = [(lid, s) for lid, s in _statements() if "iam:PassRole" in str(s["Action"])]
    assert passes
    for logical_id, statement in passes:
        expected = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        assert statement["Condition"] == expected, logical_id


def test_bucket_is_encrypted_private_versioned_and_tls_only():
    bucket = TEMPLATE["Resources"]["SpecBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    deny = TEMPLATE["Resources"]["SpecBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
