"""Specs TunePilot used to call valid that SageMaker refuses later: each is a problem at its path and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tunepilot.spec import service_limits
from tunepilot.spec.load import validate_bytes

from tests.unit.spec.helpers import DEMO

REPO = Path(__file__).resolve().parents[3]
DEMO_TEXT = DEMO.read_text()


def _replace(old: str, new: str) -> str:
    assert DEMO_TEXT.count(old) == 1, old
    return DEMO_TEXT.replace(old, new)


ENV_49 = "  environment: {" + ", ".join(f"VAR_{i}: x" for i in range(49)) + "}\n  tags:"
STATIC_104 = "    num_round: 40\n" + "".join(f"    extra_{i}: 1\n" for i in range(101))

# The six cases of issue 11 section 3: (id, spec text, path, line, words in the message).
LATER_REFUSALS = [
    ("endpoint-name-ends-in-newline", _replace("  endpoint_name: xgb-breast-cancer\n",
                                               "  endpoint_name: |\n    xgb-breast-cancer\n"),
     "deploy.endpoint_name", 49, "line break"),
    ("deploy-instance-type-typo", _replace("  instance_type: ml.m5.large\n  instance_count: 1\n  min_improvement",
                                           "  instance_type: ml.m5.largee\n  instance_count: 1\n  min_improvement"),
     "deploy.instance_type", 50, "did you mean ml.m5.large"),
    ("tag-value-with-bang-and-parens", _replace("project: tunepilot-demo", "project: 'demo! (v2)'"),
     "resources.tags.project", 40, "tag value"),
    ("49-environment-variables", _replace("  tags:", ENV_49), "resources.environment", 39, "at most 48"),
    ("104-static-hyperparameters", _replace("    num_round: 40\n", STATIC_104),
     "hyperparameters.static", 17, "at most 100"),
    ("max-tuning-runtime-60d", _replace("limits:\n", "limits:\n  max_tuning_runtime: 60d\n"),
     "limits.max_tuning_runtime", 25, "WaitForTuning"),
]


@pytest.mark.parametrize(("text", "path", "line", "needle"), [c[1:] for c in LATER_REFUSALS],
                         ids=[c[0] for c in LATER_REFUSALS])
def test_what_sagemaker_refuses_is_refused_at_validation(text, path, line, needle):
    result = validate_bytes(text.encode())
    assert not result.valid
    assert [(p.path, p.line) for p in result.errors] == [(path, line)], [str(p) for p in result.errors]
    assert needle in result.errors[0].message
    assert "\n" not in str(result.errors[0])  # a value with a line break is shown escaped, on one line


MORE_CASES = [
    ("training-instance-type-typo", ("  instance_type: ml.m5.large\n  instance_count: 1\n  volume",
                                     "  instance_type: ml.m5.lage\n  instance_count: 1\n  volume"),
     "resources.instance_type", "training instance type"),
    ("hyphenated-instance-family-is-real", ("  instance_type: ml.m5.large\n  instance_count: 1\n  volume",
                                            "  instance_type: ml.m7i-flex.large\n  instance_count: 1\n  volume"),
     None, None),
    ("tag-value-letters-of-any-script", ("project: tunepilot-demo", "project: 'équipe données 2'"), None, None),
    ("tag-value-emoji", ("project: tunepilot-demo", 'project: "\\ud83d\\ude00"'), "resources.tags.project",
     "tag value"),
    ("tag-key-too-long", ("project: tunepilot-demo", f"{'k' * 129}: x"), f"resources.tags.{'k' * 129}",
     "at most 128"),
    ("categorical-value-with-newline", ("  static:\n", '    booster: {type: categorical, values: [gbtree, "dart\\n"]}\n'
                                                      "  static:\n"),
     "hyperparameters.ranges.booster.values[1]", "line break"),
    ("static-value-with-newline", ("eval_metric: auc", 'eval_metric: "auc\\n"'), "hyperparameters.static.eval_metric",
     "line break"),
    ("metric-name-with-newline", ("metric: validation:auc", 'metric: "validation:auc\\n"'), "objective.metric",
     "validation:auc\\n is not defined"),
    ("role-arn-ends-in-newline", ("role_arn: arn:aws:iam::123456789012:role/TunePilotSageMakerRole",
                                  'role_arn: "arn:aws:iam::123456789012:role/TunePilotSageMakerRole\\n"'),
     "role_arn", "IAM role ARN"),
    ("name-ends-in-newline", ("\nname: xgb-breast-cancer", '\nname: "xgb-breast-cancer\\n"'), "name", "letters"),
    ("tuning-runtime-under-amt-minimum", ("limits:\n", "limits:\n  max_tuning_runtime: 60\n"),
     "limits.max_tuning_runtime", "at least 2m"),
    ("tuning-runtime-at-the-cap", ("limits:\n", "limits:\n  max_tuning_runtime: 30d23h\n"), None, None),
]


@pytest.mark.parametrize(("edit", "path", "needle"), [c[1:] for c in MORE_CASES], ids=[c[0] for c in MORE_CASES])
def test_fields_follow_the_service_model(edit, path, needle):
    old, new = edit
    result = validate_bytes(_replace(old, new).encode())
    if path is None:
        assert result.valid, [str(p) for p in result.errors]
        return
    problems = [p for p in result.errors if p.path == path]
    assert problems and problems[0].line, [str(p) for p in result.errors]
    assert needle in problems[0].message


def test_limits_come_from_the_service_model():
    environment = service_limits.limit(f"{service_limits.TUNING}:TrainingJobDefinition.Environment")
    assert (environment.type_name, environment.max) == ("map", 48)
    tag_value = service_limits.limit(f"{service_limits.TUNING}:Tags[].Value")
    assert tag_value.pattern is not None and r"\p{L}" in tag_value.pattern
    variant = service_limits.limit(f"{service_limits.ENDPOINT_CONFIG}:ProductionVariants[].InstanceType")
    assert "ml.m5.large" in variant.enum and "ml.m5.largee" not in variant.enum


def test_runtime_cap_is_what_the_state_machine_waits_for():
    """Contract: the validator caps max_tuning_runtime by WaitForTuning's timeout in the ASL."""
    asl = json.loads((REPO / "statemachine" / "tuning.asl.json").read_text())
    assert asl["States"]["WaitForTuning"]["TimeoutSeconds"] == service_limits.WAIT_FOR_TUNING_TIMEOUT_S
    assert 0 < service_limits.MAX_TUNING_RUNTIME_S < service_limits.WAIT_FOR_TUNING_TIMEOUT_S
    over = _replace("limits:\n", f"limits:\n  max_tuning_runtime: {service_limits.MAX_TUNING_RUNTIME_S + 1}\n")
    at = _replace("limits:\n", f"limits:\n  max_tuning_runtime: {service_limits.MAX_TUNING_RUNTIME_S}\n")
    assert [p.path for p in validate_bytes(over.encode()).errors] == ["limits.max_tuning_runtime"]
    assert validate_bytes(at.encode()).valid


@pytest.mark.parametrize(
    ("limits", "warned"),
    [("  max_jobs: 100\n  max_parallel_jobs: 1\n  max_runtime: 1d\n", True),
     ("  max_jobs: 100\n  max_parallel_jobs: 10\n  max_runtime: 1d\n", False),
     ("  max_jobs: 100\n  max_parallel_jobs: 1\n  max_runtime: 1d\n  max_tuning_runtime: 30d\n", False)],
    ids=["100-days-of-jobs-unbounded", "10-days-of-jobs", "bounded-by-max-tuning-runtime"],
)
def test_a_search_longer_than_the_wait_is_warned(limits, warned):
    old = "  max_jobs: 12\n  max_parallel_jobs: 2\n  max_runtime: 10m              # per training job\n"
    text = _replace(old, limits).replace("  max_cost_usd: 2.00", "  max_cost_usd: 20000")
    result = validate_bytes(text.encode())
    assert result.valid, [str(p) for p in result.errors]
    found = [p for p in result.warnings if p.path == "limits.max_tuning_runtime"]
    assert bool(found) == warned, [str(p) for p in result.warnings]
    if warned:
        assert found[0].line == 24 and "longer than TunePilot waits" in found[0].message
