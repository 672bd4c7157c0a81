"""Semantic rules: one broken field per case, found at its path with a message that explains it."""

from __future__ import annotations

import pytest

from tests.unit.spec.helpers import DELETE, ROLE, demo, edited, validate_dict

SCRIPT = {
    "framework_image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310",
    "entry_point": "train.py",
    "source_dir": "s3://tunepilot-demo-data/sources/train.tar.gz",
    "metric_definitions": [{"name": "validation:auc", "regex": "auc=([0-9.]+)"}],
}
ERROR_CASES = [
    ("min-not-below-max", {"hyperparameters.ranges.max_depth": {"type": "integer", "min": 6, "max": 2}},
     "hyperparameters.ranges.max_depth.min", "must be less than max"),
    ("log-needs-positive-min", {"hyperparameters.ranges.eta": {"type": "continuous", "min": 0, "max": 1,
                                                                "scaling": "Logarithmic"}},
     "hyperparameters.ranges.eta.min", "Logarithmic scaling needs min > 0"),
    ("reverse-log-below-one", {"hyperparameters.ranges.subsample": {"type": "continuous", "min": 0.5, "max": 1.0,
                                                                      "scaling": "ReverseLogarithmic"}},
     "hyperparameters.ranges.subsample.scaling", "max < 1"),
    ("integer-bounds-whole", {"hyperparameters.ranges.max_depth": {"type": "integer", "min": 2.5, "max": 6}},
     "hyperparameters.ranges.max_depth.min", "whole-number bounds"),
    ("numeric-range-needs-max", {"hyperparameters.ranges.max_depth": {"type": "integer", "min": 2}},
     "hyperparameters.ranges.max_depth.max", "needs max"),
    ("categorical-empty", {"hyperparameters.ranges.booster": {"type": "categorical", "values": []}},
     "hyperparameters.ranges.booster.values", "at least one value"),
    ("categorical-duplicates", {"hyperparameters.ranges.booster": {"type": "categorical",
                                                                     "values": ["gbtree", "gbtree"]}},
     "hyperparameters.ranges.booster.values", "more than once"),
    ("categorical-31-values", {"hyperparameters.ranges.booster": {"type": "categorical", "values": list(range(31))}},
     "hyperparameters.ranges.booster.values", "at most 30"),
    ("31-ranges", {"hyperparameters.ranges": {f"p{i}": {"type": "continuous", "min": 0, "max": 1}
                                              for i in range(31)}},
     "hyperparameters.ranges", "at most 30"),
    ("no-ranges", {"hyperparameters.ranges": {}}, "hyperparameters.ranges", "at least one"),
    ("tuned-and-static", {"hyperparameters.static.eta": 0.3}, "hyperparameters.static.eta", "both tuned"),
    ("grid-numeric-range", {"strategy.type": "Grid"}, "hyperparameters.ranges.eta.type", "only categorical"),
    ("grid-max-jobs-too-small", {"strategy.type": "Grid", "limits.max_parallel_jobs": 1, "hyperparameters.ranges": {
        "max_depth": {"type": "categorical", "values": [2, 4, 6]},
        "eta": {"type": "categorical", "values": [0.1, 0.3]}}, "limits.max_jobs": 4},
     "limits.max_jobs", "every one of the 6 combinations"),
    ("hyperband-needs-block", {"strategy.type": "Hyperband"}, "strategy.hyperband", "needs hyperband"),
    ("hyperband-needs-early-stopping-off", {"strategy": {"type": "Hyperband", "hyperband": {
        "min_resource": 1, "max_resource": 40}}, "early_stopping": "Auto"}, "early_stopping", "Off"),
    ("hyperband-min-below-max", {"strategy": {"type": "Hyperband", "hyperband": {
        "min_resource": 40, "max_resource": 40}}}, "strategy.hyperband.min_resource", "less than max_resource"),
    ("hyperband-block-without-hyperband", {"strategy.hyperband": {"min_resource": 1, "max_resource": 9}},
     "strategy.hyperband", "only to strategy Hyperband"),
    ("parallel-over-max-jobs", {"limits.max_parallel_jobs": 20}, "limits.max_parallel_jobs", "cannot exceed"),
    ("max-jobs-required", {"limits.max_jobs": DELETE}, "limits.max_jobs", "required for strategy Bayesian"),
    ("runtime-over-28-days", {"limits.max_runtime": "29d"}, "limits.max_runtime", "28 days"),
    ("objective-undefined", {"objective.metric": "validation:acu"}, "objective.metric", "did you mean validation:auc"),
    ("regex-two-groups", {"algorithm": {"script": {**SCRIPT, "metric_definitions": [
        {"name": "validation:auc", "regex": "(auc)=([0-9.]+)"}]}}},
     "algorithm.script.metric_definitions[0].regex", "2 capture groups"),
    ("regex-does-not-compile", {"algorithm": {"script": {**SCRIPT, "metric_definitions": [
        {"name": "validation:auc", "regex": "auc=([0-9.]+"}]}}},
     "algorithm.script.metric_definitions[0].regex", "does not compile"),
    ("regex-misses-example", {"algorithm": {"script": {**SCRIPT, "metric_definitions": [
        {"name": "validation:auc", "regex": "auc=([0-9.]+)", "examples": ["AUC: 0.91"]}]}}},
     "algorithm.script.metric_definitions[0].regex", "does not match the example"),
    ("source-dir-local-folder", {"algorithm": {"script": {**SCRIPT, "source_dir": "./src"}}},
     "algorithm.script.source_dir", "`tunepilot submit` uploads local folders"),
    ("source-dir-not-tarball", {"algorithm": {"script": {**SCRIPT, "source_dir": "s3://bucket-a/src/"}}},
     "algorithm.script.source_dir", "tar.gz"),
    ("script-reserved-static", {"algorithm": {"script": SCRIPT}, "hyperparameters.static.sagemaker_program": "x.py"},
     "hyperparameters.static.sagemaker_program", "set from algorithm.script"),
    ("two-algorithms", {"algorithm.image": {"uri": "1.dkr.ecr.us-east-1.amazonaws.com/x:1",
                                            "metric_definitions": [{"name": "m", "regex": "m=(\\d+)"}]}},
     "algorithm", "exactly one of builtin, image, script"),
    ("unknown-builtin-version", {"algorithm.builtin.version": "9.9-9"}, "algorithm.builtin.version", "1.7-1"),
    ("bad-bucket-name", {"resources.channels.train.s3_uri": "s3://Bad_Bucket/train/"},
     "resources.channels.train.s3_uri", "not a valid S3 bucket name"),
    ("not-s3", {"resources.output_path": "/tmp/out"}, "resources.output_path", "not an s3:// URI"),
    ("bad-role-arn", {"role_arn": "arn:aws:iam::123:role/x"}, "role_arn", "not an IAM role ARN"),
    ("bad-instance-type", {"resources.instance_type": "m5.large"}, "resources.instance_type",
     "not a SageMaker instance type"),
    ("spot-wait-below-runtime", {"resources.spot": {"enabled": True, "max_wait": "5m"}},
     "resources.spot.max_wait", "at least limits.max_runtime"),
    ("six-warm-start-parents", {"warm_start": {"type": "TransferLearning", "parents": [f"job-{i}" for i in range(6)]}},
     "warm_start.parents", "at most 5"),
    ("bad-warm-start-parent", {"warm_start": {"type": "TransferLearning", "parents": ["bad_name!"]}},
     "warm_start.parents[0]", "letters, digits and hyphens"),
    ("long-parent-name", {"warm_start": {"type": "TransferLearning", "parents": ["a" * 33]}},
     "warm_start.parents[0]", "at most 32"),
    ("budget-below-one-job", {"budget.max_cost_usd": 0.01}, "budget.max_cost_usd", "one job can cost up to $0.02"),
    ("endpoint-baseline-needs-endpoint", {"baseline": {"endpoint": True}, "deploy": DELETE},
     "baseline.endpoint", "needs deploy.endpoint_name"),
    ("two-baselines", {"baseline": {"value": 0.9, "training_job": "job-1"}}, "baseline", "exactly one"),
    ("negative-relative-improvement", {"deploy.min_improvement": {"relative": -0.1}},
     "deploy.min_improvement.relative", "greater than or equal to 0"),
    ("deploy-needs-endpoint-name", {"deploy.endpoint_name": DELETE}, "deploy.endpoint_name", "required when deploy"),
    ("name-too-long", {"name": "x" * 33}, "name", "at most 32"),
    ("name-bad-characters", {"name": "my_spec"}, "name", "letters, digits and hyphens"),
    ("unknown-field", {"limits.max_job": 3}, "limits.max_job", "did you mean max_jobs"),
    ("bad-duration", {"limits.max_runtime": "10 minutes"}, "limits.max_runtime", "not a duration"),
    ("early-stopping-typo", {"early_stopping": "Sometimes"}, "early_stopping", "'Off' or 'Auto'"),
    ("reserved-tag", {"resources.tags": {"tunepilot:run-id": "x"}}, "resources.tags.tunepilot:run-id", "reserved"),
]


@pytest.mark.parametrize(("edits", "path", "needle"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_rule_reports_the_broken_field(edits, path, needle):
    result = validate_dict(edited(demo(), edits))
    assert not result.valid
    assert result.spec is None
    matching = [p for p in result.errors if p.path == path]
    assert matching, f"no error at {path}; got {[str(p) for p in result.errors]}"
    assert any(needle in p.message for p in matching), [p.message for p in matching]


WARNING_CASES = [
    ("grid-size", {"strategy.type": "Grid", "limits.max_jobs": DELETE, "hyperparameters.ranges": {
        "max_depth": {"type": "categorical", "values": [2, 4, 6]},
        "eta": {"type": "categorical", "values": [0.1, 0.3]}}}, "strategy.type", "Grid will run 6 training jobs"),
    ("all-jobs-over-budget", {"budget.max_cost_usd": 0.1}, "budget.max_cost_usd", "$0.23, over the $0.10 budget"),
    ("unpriced-instance", {"resources.instance_type": "ml.m8i-flex.large"}, "resources.instance_type", "budget.prices"),
    ("never-deploys", {"baseline": DELETE, "deploy.deploy_without_baseline": False}, "deploy", "nothing will ever"),
]


@pytest.mark.parametrize(("edits", "path", "needle"), [c[1:] for c in WARNING_CASES],
                         ids=[c[0] for c in WARNING_CASES])
def test_warning_keeps_the_spec_valid(edits, path, needle):
    result = validate_dict(edited(demo(), edits))
    assert result.valid, [str(p) for p in result.errors]
    assert any(p.path == path and needle in p.message for p in result.warnings), [str(p) for p in result.warnings]


def test_allowed_roles_are_enforced():
    assert validate_dict(demo(), allowed_roles=[ROLE]).valid
    result = validate_dict(demo(), allowed_roles=["arn:aws:iam::123456789012:role/Other"])
    assert [p.path for p in result.errors] == ["role_arn"]
    assert "not allowed" in result.errors[0].message


def test_every_problem_is_reported_at_once():
    # Shape errors in one section do not hide rule errors in others.
    spec = edited(demo(), {
        "on_metric_mismatch": "explode",
        "hyperparameters.ranges.max_depth": {"type": "integer", "min": 6, "max": 2},
        "limits.max_parallel_jobs": 20,
        "resources.channels.train.s3_uri": "http://x/",
        "warm_start": {"type": "Sideways", "parents": ["a"]},
    })
    paths = {p.path for p in validate_dict(spec).errors}
    assert {"on_metric_mismatch", "hyperparameters.ranges.max_depth.min", "limits.max_parallel_jobs",
            "resources.channels.train.s3_uri", "warm_start.type"} <= paths
