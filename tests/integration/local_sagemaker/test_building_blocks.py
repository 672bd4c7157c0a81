"""The platform's pure pieces: log escaping, metric parsing, search spaces, hyperparameter typing."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunepilot.spec.builtins import XGBOOST

from tunepilot_local.sagemaker.logs import escape_line
from tunepilot_local.sagemaker.metrics import MetricParser
from tunepilot_local.sagemaker.platform import Platform
from tunepilot_local.sagemaker.search_space import SearchSpace
from tunepilot_local.sagemaker.training import BUILTIN_RUNNER


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("[3]\ttrain-auc:0.98\tvalidation-auc:0.97", "[3]#011train-auc:0.98#011validation-auc:0.97"),
        ("\x1b[32mok\x1b[0m", "#033[32mok#033[0m"),
        ("progress\r", "progress#015"),
        ("plain text, no control characters", "plain text, no control characters"),
    ],
    ids=["tab", "ansi-colour", "carriage-return", "unchanged"],
)
def test_control_characters_are_escaped_like_cloudwatch(raw, stored):
    assert escape_line(raw) == stored


def test_builtin_metric_definitions_read_escaped_xgboost_lines():
    parser = MetricParser(XGBOOST.metric_definitions)
    found = parser.parse(escape_line("[12]\ttrain-auc:0.99417\tvalidation-auc:0.98173"))
    assert found == {"train:auc": 0.99417, "validation:auc": 0.98173}


@pytest.mark.parametrize(
    ("definitions", "line", "expected"),
    [
        ([{"Name": "loss", "Regex": r"loss=([0-9.]+)"}], "epoch 1 loss=0.25", {"loss": 0.25}),
        ([{"Name": "loss", "Regex": r"loss=(\S+)"}], "loss=nan", {}),
        ([{"Name": "loss", "Regex": r"loss=(\S+)"}], "loss=n/a", {}),
        ([{"Name": "bad", "Regex": r"loss=([0-9.]+"}], "loss=1", {}),
    ],
    ids=["first-group-float", "nan-ignored", "not-a-number", "broken-regex-never-matches"],
)
def test_metric_parser(definitions, line, expected):
    assert MetricParser(definitions).parse(line) == expected


RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
        {"Name": "subsample", "MinValue": "0.5", "MaxValue": "0.99", "ScalingType": "ReverseLogarithmic"},
        {"Name": "gamma", "MinValue": "0", "MaxValue": "5", "ScalingType": "Auto"},
    ],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "8", "ScalingType": "Linear"}],
    "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
}


def test_ranges_become_optuna_distributions():
    space = SearchSpace.from_ranges(RANGES).distributions
    assert space["eta"] == FloatDistribution(0.01, 0.5, log=True)
    assert space["gamma"] == FloatDistribution(0.0, 5.0)
    assert space["max_depth"] == IntDistribution(2, 8)
    assert space["booster"] == CategoricalDistribution(["gbtree", "dart"])
    reverse = space["subsample#reverse"]  # searched as 1 - x on a log scale
    assert isinstance(reverse, FloatDistribution) and reverse.log
    assert math.isclose(reverse.low, 0.01) and math.isclose(reverse.high, 0.5)


def test_hyperparameters_round_trip_as_strings():
    space = SearchSpace.from_ranges(RANGES)
    params = {"eta": 0.1, "subsample#reverse": 0.2, "gamma": 1.5, "max_depth": 4, "booster": "dart"}
    hyperparameters = space.to_hyperparameters(params)
    assert hyperparameters == {"eta": "0.1", "subsample": "0.8", "gamma": "1.5", "max_depth": "4", "booster": "dart"}
    back = space.from_hyperparameters(hyperparameters)
    assert back is not None and math.isclose(back["subsample#reverse"], 0.2)
    assert space.from_hyperparameters({**hyperparameters, "eta": "0.9"}) is None  # outside the range


def test_grid_needs_categorical_ranges_only():
    with pytest.raises(ValueError, match="only categorical"):
        SearchSpace.from_ranges(RANGES).categorical_grid()


def test_builtin_runner_types_hyperparameters_like_the_container():
    spec = importlib.util.spec_from_file_location("xgboost_builtin", BUILTIN_RUNNER)
    assert spec and spec.loader
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    params = runner.booster_params({"eta": "0.2", "max_depth": "5", "num_round": "10", "objective": "binary:logistic",
                                    "eval_metric": "auc,logloss", "sagemaker_program": '"x.py"'})
    assert params["eta"] == 0.2 and params["max_depth"] == 5 and params["eval_metric"] == ["auc", "logloss"]
    assert "num_round" not in params and "sagemaker_program" not in params


def test_a_relative_workdir_is_made_absolute(tmp_path, monkeypatch):
    """Training processes run with their own cwd, so SM_ROOT and friends must not be relative."""
    monkeypatch.chdir(tmp_path)
    local = Platform(endpoint_url="http://127.0.0.1:9", region="us-east-1", account="123456789012",
                     workdir=Path(".tunepilot/local/sagemaker"), max_parallel=1, time_scale=1.0)
    try:
        assert local.jobs_dir.is_absolute() and local.jobs_dir.is_dir()
        assert local.jobs_dir == tmp_path / ".tunepilot/local/sagemaker/jobs"
    finally:
        local.shutdown()
