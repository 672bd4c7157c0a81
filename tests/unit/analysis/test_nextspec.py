"""next-spec.yaml: valid, warm-started, and changed only where the analysis says, each change with its reason."""

from __future__ import annotations

import math

import pytest
import yaml
from tunepilot.analysis.analyze import MetricSuggestion, analyze
from tunepilot.analysis.nextspec import next_spec
from tunepilot.analysis.trials import ParamRange
from tunepilot.spec.load import validate_bytes

from tests.unit.analysis.synthetic import depth_edge, flat, make_job
from tests.unit.spec.helpers import demo, edited, validate_dict

DEMO_RANGES = (
    ParamRange(name="eta", kind="continuous", min=0.05, max=0.5, scaling="Logarithmic"),
    ParamRange(name="max_depth", kind="integer", min=2, max=6),
    ParamRange(name="min_child_weight", kind="continuous", min=1, max=8),
    ParamRange(name="subsample", kind="continuous", min=0.5, max=1.0),
)


def demo_spec():
    result = validate_dict(demo())
    assert result.spec is not None
    return result.spec


def deeper_is_better(p, rng):
    return 0.90 + 0.01 * float(p["max_depth"]) - 0.02 * abs(math.log(float(p["eta"]) / 0.1)) + rng.normal(0, 3e-4)


def written(score, ranges=DEMO_RANGES, spec=None, n=30, suggestion=None):
    job = make_job(n, score, ranges)
    analysis = analyze(job, metric_suggestion=suggestion)
    result = next_spec(spec or demo_spec(), analysis, job, suggestion)
    return job, analysis, result, yaml.safe_load(result.text)


def test_the_next_spec_validates_and_warm_starts_from_this_tuning_job():
    job, _, result, data = written(deeper_is_better)
    assert result.valid, result.problems
    assert validate_bytes(result.text.encode()).valid
    assert data["warm_start"] == {"type": "IdenticalDataAndAlgorithm", "parents": [job.name]}


def test_an_edge_optimum_widens_exactly_that_range():
    _, analysis, result, data = written(deeper_is_better)
    assert [b.name for b in analysis.boundaries if not b.likely_chance] == ["max_depth"]
    assert all(b.likely_chance for b in analysis.boundaries if b.name != "max_depth")
    original = demo()["hyperparameters"]["ranges"]
    ranges = data["hyperparameters"]["ranges"]
    assert ranges["max_depth"]["min"] == 2 and ranges["max_depth"]["max"] > 6
    widened = {n for n, r in ranges.items() if r.get("max", 0) > original[n]["max"] or r.get("min", 0) <
               original[n]["min"]}
    assert widened == {"max_depth"}
    assert "# widened from [2, 6]: the best value 6 sat within 5% of the max" in result.text


def test_unimportant_hyperparameters_move_to_static_at_the_best_value_and_important_ones_narrow():
    _, analysis, result, data = written(deeper_is_better)
    assert analysis.best is not None
    moved = [n for n in data["hyperparameters"]["static"] if n in {r.name for r in DEMO_RANGES}]
    assert moved, "a noise hyperparameter should have been fixed"
    for name in moved:
        assert name not in data["hyperparameters"]["ranges"]
        assert float(data["hyperparameters"]["static"][name]) == float(analysis.best.hyperparameters[name])
        assert "moved from ranges to static at the best job's value" in result.text
    assert data["hyperparameters"]["ranges"], "at least one range stays tuned"


def test_every_change_carries_a_comment_right_above_it():
    _, _, result, _ = written(deeper_is_better)
    lines = result.text.splitlines()
    for path in result.changes:
        key = path.rsplit(".", 1)[-1].split("[")[0]
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        assert lines[at - 1].strip().startswith("# "), path


def test_a_flat_run_changes_nothing_but_the_warm_start():
    _, _, result, data = written(flat)
    assert set(result.changes) == {"warm_start"}
    assert data["hyperparameters"]["ranges"] == demo()["hyperparameters"]["ranges"]


def test_an_edge_range_from_the_synthetic_known_truth_widens_only_max_depth():
    ranges = (ParamRange(name="max_depth", kind="integer", min=2, max=10),
              ParamRange(name="subsample", kind="continuous", min=0.5, max=1.0))
    spec_dict = edited(demo(), {"hyperparameters.ranges": {
        "max_depth": {"type": "integer", "min": 2, "max": 10},
        "subsample": {"type": "continuous", "min": 0.5, "max": 1.0}}})
    _, analysis, result, data = written(depth_edge, ranges, spec=validate_dict(spec_dict).spec, n=40)
    assert [(b.name, b.side) for b in analysis.boundaries] == [("max_depth", "max")]
    assert result.valid, result.problems
    assert data["hyperparameters"]["ranges"]["max_depth"]["max"] > 10
    assert [p for p in result.changes if "max_depth" in p] == ["hyperparameters.ranges.max_depth"]


def test_durations_stay_human():
    _, _, _, data = written(flat)
    assert data["limits"]["max_runtime"] == "10m"


def test_a_regex_that_never_matched_is_replaced_by_the_guards_suggestion():
    image = {"uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-train:1",
             "metric_definitions": [{"name": "val:loss", "regex": "val_loss=([0-9]+)",
                                     "examples": ["val_loss=3"]}]}
    spec = validate_dict(edited(demo(), {"algorithm": {"image": image}, "objective.metric": "val:loss",
                                         "objective.type": "Minimize"})).spec
    assert spec is not None
    suggestion = MetricSuggestion(metric="val:loss", regex="val_loss=([0-9]+)",
                                  suggested_regex=r"val_loss: ([-+0-9.eE]+)", example="epoch 3 val_loss: 0.2931")
    _, _, result, data = written(lambda p, rng: None, spec=spec, suggestion=suggestion, n=3)
    assert result.valid, result.problems
    definition = data["algorithm"]["image"]["metric_definitions"][0]
    assert definition == {"name": "val:loss", "regex": r"val_loss: ([-+0-9.eE]+)",
                          "examples": ["epoch 3 val_loss: 0.2931"]}
    assert "metric guard's suggestion" in result.text


@pytest.mark.parametrize("parents,expected", [
    ([], ["tp-synthetic-0123abcd"]),
    (["p1", "p2", "p3", "p4", "p5"], ["tp-synthetic-0123abcd", "p1", "p2", "p3", "p4"]),
], ids=["first-warm-start", "keeps-at-most-five-parents"])
def test_warm_start_parents(parents, expected):
    spec_dict = demo() if not parents else edited(demo(), {"warm_start": {"type": "IdenticalDataAndAlgorithm",
                                                                         "parents": parents}})
    _, _, result, data = written(flat, spec=validate_dict(spec_dict).spec)
    assert data["warm_start"]["parents"] == expected and result.valid
