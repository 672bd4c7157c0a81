"""The spec model: durations, YAML 1.1 quirks, metric definitions, normalization, line numbers."""

from __future__ import annotations

import pytest
from tunepilot.spec.builtins import XGBOOST
from tunepilot.spec.durations import format_duration, parse_duration
from tunepilot.spec.load import validate_bytes
from tunepilot.spec.models import TuningSpec

from tests.unit.spec.helpers import REPO, demo, edited, validate_dict


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(600, 600), ("600", 600), ("90s", 90), ("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("1d", 86400),
     ("1d2h3m4s", 93784), (" 2H ", 7200), (120.0, 120)],
    ids=["int", "digits", "seconds", "minutes", "hours", "hours-minutes", "day", "all-units", "spaces-case",
         "whole-float"],
)
def test_duration_parses(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", [0, -5, True, 1.5, "", "10 minutes", "1m1h", "h", "1.5h", None, float("nan")],
    ids=["zero", "negative", "bool", "fraction", "empty", "words", "wrong-order", "no-number", "decimal", "none",
         "nan"],
)
def test_duration_rejects(value):
    with pytest.raises(ValueError, match=r"duration|seconds"):
        parse_duration(value)


def test_format_duration_round_trips():
    assert [format_duration(s) for s in (45, 600, 5400, 93784)] == ["45s", "10m", "1h30m", "1d2h3m4s"]


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [("Off", "Off"), ("off", "Off"), ('"Off"', "Off"), ("false", "Off"), ("Auto", "Auto"), ("true", "Auto")],
    ids=["bare-Off-is-False", "bare-off", "quoted-Off", "false", "Auto", "true"],
)
def test_early_stopping_accepts_yaml_booleans(yaml_value, expected):
    text = (REPO / "examples/xgboost-breast-cancer.yaml").read_text()
    result = validate_bytes(text.replace('early_stopping: "Off"', f"early_stopping: {yaml_value}").encode())
    assert result.valid, [str(p) for p in result.errors]
    assert result.spec is not None and result.spec.early_stopping == expected


def test_builtin_metric_definitions_include_user_extras():
    extra = {"name": "validation:custom", "regex": r"custom=([0-9.]+)"}
    result = validate_dict(edited(demo(), {"algorithm.builtin.metric_definitions": [extra]}))
    assert result.spec is not None
    definitions = result.spec.metric_definitions()
    assert definitions[: len(XGBOOST.metric_definitions)] == list(XGBOOST.metric_definitions)
    assert definitions[-1] == {"Name": "validation:custom", "Regex": r"custom=([0-9.]+)"}


def test_normalized_round_trips_and_uses_seconds():
    spec = validate_dict(demo()).spec
    assert spec is not None
    data = spec.normalized()
    assert data["limits"]["max_runtime"] == 600
    assert TuningSpec.model_validate(data) == spec


def test_grid_max_jobs_defaults_to_grid_size():
    spec = validate_bytes((REPO / "tests/data/specs/valid/grid-categorical.yaml").read_bytes()).spec
    assert spec is not None and spec.limits.max_jobs == 6


def test_problems_carry_yaml_lines():
    result = validate_bytes((REPO / "tests/data/specs/invalid/several-problems.yaml").read_bytes())
    assert [(p.path, p.line) for p in result.errors] == [
        ("on_metric_mismatch", 21),
        ("hyperparameters.ranges.eta.min", 9),
        ("limits.max_parallel_jobs", 13),
        ("resources.channels.train.s3_uri", 18),
    ]


def test_problems_carry_json_lines():
    text = (REPO / "tests/data/specs/valid/custom-image.json").read_text()
    broken = text.replace('"max_parallel_jobs": 5', '"max_parallel_jobs": 50').replace('"regex": "valid rmse: (',
                                                                                          '"regex": "valid rmse: ((')
    result = validate_bytes(broken.encode(), filename="custom-image.json")
    lines = {p.path: p.line for p in result.errors}
    assert lines["limits.max_parallel_jobs"] == 23
    assert lines["algorithm.image.metric_definitions[0].regex"] == 8


def test_missing_field_points_at_its_parent():
    result = validate_dict(edited(demo(), {"objective": {"metric": "validation:auc"}}))
    [problem] = result.errors
    assert (problem.path, problem.message) == ("objective.type", "required field is missing")
    assert problem.line is not None


def test_to_json_shape():
    result = validate_dict(edited(demo(), {"limits.max_parallel_jobs": 99, "budget.max_cost_usd": 0.2}))
    data = result.to_json()
    assert data["valid"] is False
    assert set(data["errors"][0]) == {"path", "message", "line"}
    assert data["warnings"][0]["path"] == "budget.max_cost_usd"
