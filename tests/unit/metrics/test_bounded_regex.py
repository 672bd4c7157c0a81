"""Every evaluation of a user's metric regex is bounded in time and line length: a clear problem, never a hang."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from tunepilot.metrics.diagnose import diagnose
from tunepilot.metrics.lint import lint_metric_definition
from tunepilot.metrics.match import MetricTracker, extract
from tunepilot.metrics.regexes import MAX_LINE_CHARS, VALIDATION_BUDGET_S, compiled, search, time_budget
from tunepilot.spec.builtins import XGBOOST
from tunepilot.spec.load import validate_bytes

from tests.unit.spec.helpers import DEMO

SLOW = r"(a|a)+b"  # exponential even in the regex module: 2^30 paths on 30 a's
NESTED = r"(a+)+b"  # exponential in Python's re (73 s on 30 characters); the regex module cuts it short
XGB_LINE_32K = ("[12]#011train-auc:0.99417#011validation-auc:0.98173 " + "x" * 32_768)[:32_768]


def _timed(fn, *args, **kwargs):
    started = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - started


LINT_CASES = [
    ("exponential-regex-times-out", SLOW, ["a" * 30], "takes too long on example 1 (30 characters)"),
    ("nested-quantifier-answers-quickly", NESTED, ["a" * 30], "does not match the example line"),
    ("example-over-the-line-cap", r"auc=([0-9.]+)", ["auc=0.9 " + "x" * MAX_LINE_CHARS],
     f"metric regexes are checked on at most {MAX_LINE_CHARS:,}"),
    ("second-example-times-out", SLOW, ["b", "a" * 30], "takes too long on example 2"),
]


@pytest.mark.parametrize(("regex", "examples", "needle"), [c[1:] for c in LINT_CASES], ids=[c[0] for c in LINT_CASES])
def test_lint_bounds_every_example(regex, examples, needle):
    result, seconds = _timed(lint_metric_definition, "loss", regex, examples)
    assert any(needle in e for e in result.errors), result.errors
    assert seconds < 1.0


def _spec_with_definitions(definitions: list[dict]) -> bytes:
    spec = yaml.safe_load(DEMO.read_text())
    spec["algorithm"] = {"image": {"uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
                                   "metric_definitions": definitions}}
    spec["objective"]["metric"] = definitions[0]["name"]
    return yaml.safe_dump(spec, sort_keys=False).encode()


def test_slow_regex_in_a_spec_is_a_problem_at_its_path_and_line():
    data = _spec_with_definitions([{"name": "validation:auc", "regex": SLOW, "examples": ["a" * 30]}])
    result, seconds = _timed(validate_bytes, data)
    [problem] = [p for p in result.errors if p.path == "algorithm.image.metric_definitions[0].regex"]
    assert "takes too long on example 1" in problem.message and problem.line
    assert seconds < 2.0


def test_many_slow_regexes_share_one_validation_budget():
    definitions = [{"name": f"m{i}", "regex": SLOW.replace("b", f"b{i}"), "examples": ["a" * 30] * 20}
                   for i in range(40)]
    result, seconds = _timed(validate_bytes, _spec_with_definitions(definitions))
    slow = [p for p in result.errors if "takes too long" in p.message]
    assert len(slow) == 40  # each named, none checked for longer than the budget allows
    assert seconds < VALIDATION_BUDGET_S + 3.0


def test_builtin_regexes_read_a_32k_line_quickly():
    tracker = MetricTracker({d["Name"]: d["Regex"] for d in XGBOOST.metric_definitions})
    _, seconds = _timed(tracker.feed, [XGB_LINE_32K])
    assert seconds < 2.0
    assert tracker.metrics["validation:auc"].last_value == 0.98173  # the start of a long line is still read


def test_a_slow_regex_is_dropped_by_the_runtime_guard_after_one_timeout():
    tracker = MetricTracker({"loss": SLOW, "auc": r"auc=([0-9.]+)"})
    _, seconds = _timed(tracker.feed, ["a" * 30] * 500 + ["auc=0.9"])
    assert seconds < 1.0
    state = MetricTracker.from_state(tracker.to_state()).metrics
    assert (state["loss"].slow, state["loss"].valid) == (True, False)
    assert state["auc"].last_value == 0.9


def test_diagnose_says_the_regex_is_too_slow():
    report, seconds = _timed(diagnose, "loss", SLOW, ["epoch 1"] + ["a" * 30] * 500)
    assert seconds < 2.0
    assert not report.matched
    assert report.diagnosis is not None and "takes too long on line 2 of the log" in report.diagnosis


def test_extract_accepts_a_stdlib_pattern_and_bounds_it():
    assert extract(re.compile(r"auc=([0-9.]+)"), "auc=0.9") == 0.9
    value, seconds = _timed(extract, re.compile(SLOW), "a" * 30)
    assert value is None and seconds < 1.0


def test_a_spent_budget_stops_every_evaluation():
    with time_budget(0.0), pytest.raises(TimeoutError):
        search(compiled("a"), "a")
