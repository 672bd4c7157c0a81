"""The state machine, the template and the exception names agree with each other."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest
from pydantic import BaseModel
from samtranslator.yaml_helper import yaml_parse
from tunepilot import exceptions
from tunepilot.events import NotifyInput
from tunepilot.execution import INPUT_FIELDS, ExecutionState

from tests.conftest import ROOT, load_event

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


# ------------------------------------------------------------------ the state between the states
def _result_paths() -> dict[str, str]:
    """ResultPath -> the state that writes it (a task's output, or a Catch's error)."""
    paths: dict[str, str] = {}
    for name, state in ASL["States"].items():
        if "ResultPath" in state:
            paths[state["ResultPath"]] = name
        for catcher in state.get("Catch", []):
            paths[catcher["ResultPath"]] = f"{name} (Catch)"
    return paths


def _state_paths():
    """Every JSONPath into the state that the ASL reads: Parameters ``x.$`` values and Choice variables."""

    def walk(value, where):
        if isinstance(value, dict):
            for key, inner in value.items():
                if (key.endswith(".$") and isinstance(inner, str) and inner.startswith("$.")) or key == "Variable":
                    yield where, inner
                else:
                    yield from walk(inner, where)
        elif isinstance(value, list):
            for inner in value:
                yield from walk(inner, where)

    for name, state in ASL["States"].items():
        yield from walk({k: v for k, v in state.items() if k in {"Parameters", "Choices"}}, name)


def test_every_result_path_is_a_field_of_the_execution_state():
    paths = _result_paths()
    assert all(path.startswith("$.") and path.count(".") == 1 for path in paths), paths
    written = {path.removeprefix("$.") for path in paths}
    assert written == set(ExecutionState.model_fields) - INPUT_FIELDS


@pytest.mark.parametrize(("state", "path"), list(_state_paths()), ids=[f"{s}:{p}" for s, p in _state_paths()])
def test_every_path_the_asl_reads_is_a_field_of_the_execution_state(state, path):
    model: type[BaseModel] = ExecutionState
    for part in path.removeprefix("$.").split("."):
        assert part in model.model_fields, f"{state} reads {path}: {model.__name__} has no field {part!r}"
        annotation = model.model_fields[part].annotation
        model = next((a for a in get_args(annotation) or (annotation,) if isinstance(a, type)
                      and issubclass(a, BaseModel)), None)  # type: ignore[assignment]
        if model is None:
            break


@pytest.mark.parametrize("sample", ["notify", "notify-failure"])
def test_sample_states_read_as_typed_execution_states(sample):
    request = NotifyInput.model_validate(load_event(sample))
    assert request.state.detail is not None and request.state.detail.object.key.startswith("specs/")
    if request.outcome == "success":
        assert request.state.best is not None and request.state.best.training_jobs.total > 0
        assert request.state.decision is not None and request.state.endpoint is not None
    else:
        assert request.state.error is not None and request.state.error.error == "SpecInvalid"


def test_a_malformed_input_still_reads_so_the_failure_is_reported():
    state = ExecutionState.model_validate({"detail": {"bucket": "not-a-mapping"}, "error": {"Error": "BadEvent"}})
    assert state.detail is None and state.error is not None and state.error.error == "BadEvent"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"Error": "DeployFailed", "Cause": None}, ("DeployFailed", "")),
        ({"Error": None, "Cause": "it broke"}, ("Unknown", "it broke")),
        ({"Error": "States.Timeout"}, ("States.Timeout", "")),
        ({"Error": "X", "Cause": {"errorMessage": "m"}}, ("X", '{"errorMessage": "m"}')),
        ("not-a-mapping", None),
    ],
    ids=["null-cause", "null-error", "no-cause", "cause-not-text", "not-a-mapping"],
)
def test_an_error_step_functions_left_half_empty_still_reads(error, expected):
    state = ExecutionState.model_validate({"error": error})
    assert (None if state.error is None else (state.error.error, state.error.cause)) == expected


@pytest.mark.parametrize(
    ("time", "expected"),
    [("2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"), (1796204133.69, 1796204133.69), ({"not": "a time"}, None)],
    ids=["eventbridge-iso", "emulator-epoch", "unreadable"],
)
def test_the_input_events_time_reads_in_either_form_and_never_breaks_notify(time, expected):
    state = ExecutionState.model_validate({"time": time, "error": {"Error": "States.Timeout"}})
    assert state.time == expected and state.error is not None
