"""The improvement gate, both directions, absolute and relative minimums, ties and non-numbers."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import ValidationError
from tunepilot.exceptions import SpecInvalid
from tunepilot.policies.improvement import decide
from tunepilot.spec.models import MinImprovement

ABS = MinImprovement(absolute=0.005)
REL = MinImprovement(relative=0.1)


@pytest.mark.parametrize(
    ("objective", "candidate", "baseline", "minimum", "deploy", "improvement", "required"),
    [
        ("Maximize", 0.97, 0.95, None, True, 0.02, 0.0),
        ("Maximize", 0.94, 0.95, None, False, -0.01, 0.0),
        ("Maximize", 0.95, 0.95, None, False, 0.0, 0.0),
        ("Minimize", 0.10, 0.12, None, True, 0.02, 0.0),
        ("Minimize", 0.13, 0.12, None, False, -0.01, 0.0),
        ("Minimize", 0.12, 0.12, None, False, 0.0, 0.0),
        ("Maximize", 0.955, 0.95, ABS, True, 0.005, 0.005),
        ("Maximize", 0.30, 0.25, MinImprovement(absolute=0.05), True, 0.05, 0.05),
        ("Maximize", 0.954, 0.95, ABS, False, 0.004, 0.005),
        ("Minimize", 0.115, 0.12, ABS, True, 0.005, 0.005),
        ("Minimize", 0.116, 0.12, ABS, False, 0.004, 0.005),
        ("Maximize", 0.55, 0.50, REL, True, 0.05, 0.05),
        ("Maximize", 0.54, 0.50, REL, False, 0.04, 0.05),
        ("Minimize", 1.8, 2.0, REL, True, 0.2, 0.2),
        ("Minimize", 1.9, 2.0, REL, False, 0.1, 0.2),
        ("Maximize", -0.9, -1.0, REL, True, 0.1, 0.1),
        ("Maximize", 0.001, 0.0, REL, True, 0.001, 0.0),
        ("Maximize", 0.0, 0.0, REL, False, 0.0, 0.0),
        ("Maximize", 0.95, 0.95, MinImprovement(absolute=0), False, 0.0, 0.0),
    ],
    ids=[
        "max-better-no-minimum",
        "max-worse-no-minimum",
        "max-tie-no-minimum",
        "min-better-no-minimum",
        "min-worse-no-minimum",
        "min-tie-no-minimum",
        "max-absolute-exactly-at-minimum",
        "max-absolute-at-minimum-despite-float-rounding",
        "max-absolute-short-of-minimum",
        "min-absolute-exactly-at-minimum",
        "min-absolute-short-of-minimum",
        "max-relative-exactly-at-minimum",
        "max-relative-short-of-minimum",
        "min-relative-exactly-at-minimum",
        "min-relative-short-of-minimum",
        "max-relative-negative-baseline-uses-abs",
        "max-relative-zero-baseline-any-gain",
        "max-relative-zero-baseline-tie",
        "max-zero-absolute-minimum-tie",
    ],
)
def test_decide_with_baseline(objective, candidate, baseline, minimum, deploy, improvement, required):
    decision = decide(objective, candidate, baseline, minimum)
    assert decision.deploy is deploy
    assert decision.improvement == pytest.approx(improvement)
    assert decision.required == pytest.approx(required)
    assert decision.reason.endswith("; deploying." if deploy else "; not deploying.")


@pytest.mark.parametrize(
    ("deploy_without_baseline", "enabled", "deploy", "phrase"),
    [
        (True, True, True, "allows deploying"),
        (False, True, False, "deploy_without_baseline is false"),
        (True, False, False, "disabled"),
    ],
    ids=["no-baseline-allowed", "no-baseline-refused", "no-baseline-disabled"],
)
def test_decide_without_baseline(deploy_without_baseline, enabled, deploy, phrase):
    decision = decide("Maximize", 0.9, None, ABS, deploy_without_baseline=deploy_without_baseline, enabled=enabled)
    assert decision.deploy is deploy
    assert phrase in decision.reason
    assert decision.improvement is None and decision.required is None


def test_disabled_deploy_still_reports_the_numbers():
    decision = decide("Maximize", 0.99, 0.95, ABS, enabled=False)
    assert decision.deploy is False
    assert "disabled" in decision.reason
    assert decision.improvement == pytest.approx(0.04)
    assert decision.required == pytest.approx(0.005)


@pytest.mark.parametrize(
    ("candidate", "phrase"),
    [(0.99, "it would have passed the gate"), (0.951, "it would not have passed the gate either")],
    ids=["would-pass", "would-fail"],
)
def test_disabled_deploy_never_says_deploying(candidate, phrase):
    reason = decide("Maximize", candidate, 0.95, ABS, enabled=False).reason
    assert reason.startswith("Deploy is disabled in the spec, so nothing is deployed.")
    assert phrase in reason
    assert "; deploying" not in reason and "not deploying" not in reason


@pytest.mark.parametrize(
    ("candidate", "baseline"),
    [(math.nan, 0.9), (math.inf, 0.9), (-math.inf, 0.9), (math.nan, None), (0.97, math.nan)],
    ids=["nan-candidate", "inf-candidate", "minus-inf-candidate", "nan-candidate-no-baseline", "nan-baseline"],
)
def test_non_numbers_never_deploy(candidate, baseline):
    decision = decide("Maximize", candidate, baseline, None)
    assert decision.deploy is False
    assert "not a number" in decision.reason


def test_to_json_is_strict_json_even_for_nan():
    payload = decide("Minimize", math.nan, 0.5, REL).to_json()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == {"deploy": False, "reason": payload["reason"], "candidate": None, "baseline": 0.5,
                                "improvement": None, "required": None}


def test_to_json_round_trips_the_numbers():
    payload = decide("Maximize", 0.97, 0.95, ABS).to_json()
    assert payload["deploy"] is True
    assert payload["candidate"] == 0.97 and payload["baseline"] == 0.95
    assert payload["improvement"] == pytest.approx(0.02) and payload["required"] == 0.005


@pytest.mark.parametrize(
    ("objective", "minimum"),
    [
        ("Maximise", None),
        ("Maximize", {"absolute": 0.1, "relative": 0.1}),
        ("Maximize", {"percent": 5}),
        ("Maximize", {"absolute": -0.1}),
        ("Maximize", {"relative": "5%"}),
        ("Maximize", {"relative": math.nan}),
    ],
    ids=["misspelled-objective", "both-kinds", "unknown-kind", "negative", "string", "nan-minimum"],
)
def test_bad_gate_config_is_a_named_error(objective, minimum):
    # A bad minimum never reaches the gate: the spec model refuses it (with its path and line).
    with pytest.raises((SpecInvalid, ValidationError)):
        decide(objective, 0.9, 0.8, MinImprovement.model_validate(minimum) if minimum else None)
