"""State colouring from recorded execution histories, as the console's graph view colours them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.unit.ui.fakes import definition, history
from tunepilot_ui import graph

NOT = "not_reached"


def _retried(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """succeeded.json with PickBest's first Lambda attempt failing (a Retry), then succeeding."""
    events = copy.deepcopy(events)
    at = next(i for i, e in enumerate(events) if e.get("stateEnteredEventDetails", {}).get("name") == "PickBest")
    failure = {"id": 0, "type": "LambdaFunctionFailed",
               "lambdaFunctionFailedEventDetails": {"error": "Throttled", "cause": "rate exceeded"}}
    return [*events[: at + 3], failure, *copy.deepcopy(events[at + 1: at + 3]), *events[at + 3:]]


def _uncaught(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """invalid.json cut where ValidateSpec's Lambda failed, as if no Catch had matched: the execution fails."""
    cut = next(i for i, e in enumerate(events) if e["type"] == "LambdaFunctionFailed")
    failed = {"id": 99, "type": "ExecutionFailed",
              "executionFailedEventDetails": {"error": "SpecInvalid", "cause": "bad spec"}}
    return [*events[: cut + 1], failed]


def _aborted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*events, {"id": 99, "type": "ExecutionAborted", "executionAbortedEventDetails": {}}]


# Every state of the deployed definition, in its order, with the status it must have at the end of the history.
# (The local cloud stores the definition with its keys sorted; the order here is the flow's, not the file's.)
STATES = ["ValidateSpec", "IsDuplicateDelivery", "AlreadyHandled", "StartTuning", "WaitForTuning", "PickBest",
          "CheckImprovement", "ShouldDeploy", "Deploy", "WaitForEndpoint", "NotifySuccess", "Succeeded",
          "NotifyFailure", "Failed"]
OK = "succeeded"
CASES = {
    "succeeded-deploy-disabled": (history("succeeded"), "SUCCEEDED", {
        "ValidateSpec": OK, "IsDuplicateDelivery": OK, "AlreadyHandled": NOT, "StartTuning": OK,
        "WaitForTuning": OK, "PickBest": OK, "CheckImprovement": OK, "ShouldDeploy": OK, "Deploy": NOT,
        "WaitForEndpoint": NOT, "NotifySuccess": OK, "Succeeded": OK, "NotifyFailure": NOT, "Failed": NOT}),
    "invalid-spec-caught-then-fail-state": (history("invalid"), "FAILED", {
        **dict.fromkeys(STATES, NOT), "ValidateSpec": "caught", "NotifyFailure": OK, "Failed": "failed"}),
    "waiting-for-tuning": (history("running"), "RUNNING", {
        **dict.fromkeys(STATES, NOT), "ValidateSpec": OK, "IsDuplicateDelivery": OK, "StartTuning": OK,
        "WaitForTuning": "in_progress"}),
    "retried-attempt-then-success": (_retried(history("succeeded")), "SUCCEEDED", {
        "ValidateSpec": OK, "IsDuplicateDelivery": OK, "AlreadyHandled": NOT, "StartTuning": OK,
        "WaitForTuning": OK, "PickBest": OK, "CheckImprovement": OK, "ShouldDeploy": OK, "Deploy": NOT,
        "WaitForEndpoint": NOT, "NotifySuccess": OK, "Succeeded": OK, "NotifyFailure": NOT, "Failed": NOT}),
    "uncaught-failure": (_uncaught(history("invalid")), "FAILED", {
        **dict.fromkeys(STATES, NOT), "ValidateSpec": "failed"}),
    "aborted-while-waiting": (_aborted(history("running")), "ABORTED", {
        **dict.fromkeys(STATES, NOT), "ValidateSpec": OK, "IsDuplicateDelivery": OK, "StartTuning": OK,
        "WaitForTuning": "failed"}),
    "not-started-yet": (history("running")[:1], "RUNNING", dict.fromkeys(STATES, NOT)),
}


@pytest.mark.parametrize(("events", "reported", "expected"), CASES.values(), ids=CASES.keys())
def test_every_state_is_coloured_from_the_history(events, reported, expected):
    shape = graph.parse_definition(definition())
    statuses = graph.state_statuses(shape, events, reported)
    assert list(statuses) == STATES
    assert statuses == expected
    assert set(statuses.values()) <= set(graph.STATUSES)


@pytest.mark.parametrize(("name", "path", "taken"), [
    ("succeeded", ["ValidateSpec", "IsDuplicateDelivery", "StartTuning", "WaitForTuning", "PickBest",
                   "CheckImprovement", "ShouldDeploy", "NotifySuccess", "Succeeded"],
     {("ShouldDeploy", "NotifySuccess", "default"), ("IsDuplicateDelivery", "StartTuning", "default"),
      ("ValidateSpec", "IsDuplicateDelivery", "next"), ("NotifySuccess", "Succeeded", "next")}),
    ("invalid", ["ValidateSpec", "NotifyFailure", "Failed"],
     {("ValidateSpec", "NotifyFailure", "catch"), ("NotifyFailure", "Failed", "next")}),
], ids=["succeeded", "invalid"])
def test_path_taken_and_its_transitions(name, path, taken):
    shape = graph.parse_definition(definition())
    events = history(name)
    assert graph.path_taken(events) == path
    followed = graph.taken_edges(shape, path, events)
    assert taken <= followed
    assert len(followed) == len(path) - 1


def test_graph_has_every_transition_of_the_definition_and_puts_the_error_path_aside():
    document = json.loads(definition())
    shape = graph.parse_definition(document)
    edges = {(e.source, e.target, e.kind) for e in shape.edges}
    for name, state in document["States"].items():
        if state.get("Next"):
            assert (name, state["Next"], "next") in edges
        for catcher in state.get("Catch", []):
            assert (name, catcher["Next"], "catch") in edges
    assert ("ShouldDeploy", "Deploy", "choice") in edges and ("ShouldDeploy", "NotifySuccess", "default") in edges
    nodes = {n.name: n for n in shape.nodes}
    assert nodes["NotifyFailure"].on_error_path and nodes["Failed"].on_error_path
    assert nodes["Failed"].rank == nodes["NotifyFailure"].rank + 1
    assert not nodes["Succeeded"].on_error_path
    for edge in shape.edges:  # normal transitions always go down the page
        if edge.kind != "catch" and not nodes[edge.source].on_error_path:
            assert nodes[edge.target].rank > nodes[edge.source].rank, edge


@pytest.mark.parametrize("definition_text", [
    "not json", "[]", '{"States": {}}', '{"StartAt": "A", "States": {"A": 3}}',
], ids=["not-json", "a-list", "no-start", "state-not-an-object"])
def test_an_unreadable_definition_is_a_named_error(definition_text):
    with pytest.raises(graph.DefinitionError):
        graph.parse_definition(definition_text)


def test_a_loop_in_the_definition_terminates_and_nested_branches_are_states():
    loop = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "A"}],
              "Default": "P"},
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}}],
              "End": True}}}
    shape = graph.parse_definition(loop)
    assert shape.names == ["A", "B", "P", "X"]
    assert ("B", "A", "choice") in {(e.source, e.target, e.kind) for e in shape.edges}
