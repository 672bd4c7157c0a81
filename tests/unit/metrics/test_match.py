from __future__ import annotations

import json
import math

import pytest
from tunepilot.metrics.match import MetricTracker, extract, extract_metrics
from tunepilot.spec.builtins import XGBOOST

from .conftest import log_lines

HF_DOCS_LOSS = r"'loss': ([0-9]+(.|e\-)[0-9]+),?"  # the HuggingFace docs' regex, see tests/data/logs/README.md
FULL_LOSS = r"'loss': ([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|nan)"


@pytest.mark.parametrize(
    ("regex", "line", "value"),
    [
        (XGBOOST.regex_for("validation:auc"), "[4]#011train-auc:0.99417#011validation-auc:0.98173", 0.98173),
        (XGBOOST.regex_for("validation:auc"), "[4]\ttrain-auc:0.99417\tvalidation-auc:0.98173", 0.98173),
        (r"\tvalidation-auc:([0-9.]+)", "[4]\ttrain-auc:0.99417\tvalidation-auc:0.98173", None),
        (HF_DOCS_LOSS, "{'loss': 3.27e-06, 'learning_rate': 4.5e-05, 'epoch': 0.5}", 3.27),
        (FULL_LOSS, "{'loss': 3.27e-06, 'learning_rate': 4.5e-05, 'epoch': 0.5}", 3.27e-06),
        (r"val_acc: (\S+)", "val_acc: \x1b[32m0.93\x1b[0m", None),
        (r"F1=(.*?)", "F1=0.88", None),
        (r"Validation-accuracy=([0-9\.]+)", "[01/11/2022 01:35:21 INFO 1] Epoch[2] Validation-accuracy=0.6667", 0.6667),
        (r"loss: [0-9.]+", "loss: 0.5", None),
    ],
    ids=["builtin-stored", "builtin-printed-is-matched-as-stored", "real-tab-regex-never-matches",
         "hf-docs-regex-truncates", "full-capture", "ansi-junk-unparsable", "lazy-empty-capture",
         "image-classification", "no-group"],
)
def test_extract_reads_like_sagemaker(regex, line, value):
    assert extract(regex, line) == value


def test_extract_metrics_reads_every_line_in_order():
    lines = log_lines("xgboost-builtin.cloudwatch.log")
    names = ("train:auc", "validation:auc", "validation:rmse")
    values = extract_metrics(lines, [{"Name": n, "Regex": XGBOOST.regex_for(n) or ""} for n in names])
    # The repeated [2] line is read twice, as SageMaker would: it is two log events.
    assert values["validation:auc"] == [0.95164, 0.9601, 0.96577, 0.96577, 0.97236, 0.98173]
    assert values["train:auc"][-1] == 0.99417
    assert values["validation:rmse"] == []


def test_extract_metrics_keeps_a_key_for_a_broken_regex():
    assert extract_metrics(["loss: 1"], [{"Name": "loss", "Regex": "loss: ("}]) == {"loss": []}


@pytest.mark.parametrize(
    ("log", "definitions", "expected_last"),
    [
        ("linear-learner.cloudwatch.log",
         {"validation:binary_classification_accuracy": r"validation binary_classification_accuracy <score>=([0-9.]+)"},
         0.93),
        ("pytorch-mnist.cloudwatch.log", {"test:loss": r"Test set: Average loss: ([0-9\.]+)"}, 0.0342),
        ("huggingface-trainer.cloudwatch.log", {"eval_accuracy": r"'eval_accuracy': ([0-9.]+)"}, 0.915),
        ("cloudwatch-export.json", {"validation:auc": XGBOOST.regex_for("validation:auc")}, 0.9601),
    ],
    ids=["linear-learner-quality-metric", "pytorch-test-loss", "hf-eval-accuracy", "multi-line-record"],
)
def test_tracker_reads_real_formats(log, definitions, expected_last):
    tracker = MetricTracker(definitions)
    lines = log_lines(log)
    if log.endswith(".json"):
        lines = [line for e in json.loads("\n".join(lines))["events"] for line in e["message"].split("\n")]
    tracker.feed(lines)
    (stats,) = tracker.metrics.values()
    assert stats.match_count > 0 and stats.last_value == expected_last
    assert stats.near_misses == []


def test_state_survives_json_between_batches_and_counts_like_one_feed():
    definitions = {"loss": HF_DOCS_LOSS}
    lines = log_lines("huggingface-trainer.cloudwatch.log")
    whole = MetricTracker(definitions)
    whole.feed(lines)
    piecewise = MetricTracker(definitions)
    for line in lines:  # one Lambda call per line, state through JSON (as DynamoDB would keep it)
        piecewise = MetricTracker.from_state(json.loads(json.dumps(piecewise.to_state(), allow_nan=False)))
        piecewise.feed([line])
    assert piecewise.to_state() == whole.to_state()
    stats = whole.metrics["loss"]
    assert (stats.match_count, stats.last_value) == (2, 3.27)
    assert stats.near_misses == [
        "{'loss': 3.27e-06, 'learning_rate': 4.5e-05, 'epoch': 0.5}",  # read as 3.27
        "{'loss': nan, 'learning_rate': 1.5e-05, 'epoch': 1.5}",  # not read at all
    ]


def test_duplicate_lines_count_matches_twice_but_near_misses_once():
    tracker = MetricTracker({"loss": r"loss: ([0-9.]+)"})
    tracker.feed(["loss: 0.5", "loss: 0.5", "loss: -0.25", "loss: -0.25"])
    tracker.feed(["loss: -0.25"])  # redelivered in a later batch
    stats = tracker.metrics["loss"]
    assert stats.match_count == 2
    assert stats.near_miss_count == 1 and stats.near_misses == ["loss: -0.25"]


def test_near_miss_evidence_is_bounded():
    tracker = MetricTracker({"loss": r"loss: ([0-9.]+)"}, max_evidence=3)
    tracker.feed([f"loss: -{i}.5" for i in range(1, 8)])
    stats = tracker.metrics["loss"]
    assert stats.near_miss_count == 7 and len(stats.near_misses) == 3


def test_mention_only_lines_stop_being_evidence_after_a_clean_match():
    # "Average loss" prints a loss the regex is not about; once the regex reads its own lines, it is noise.
    tracker = MetricTracker({"loss": r"#011Loss: ([0-9.]+)"})
    tracker.feed(log_lines("pytorch-mnist.cloudwatch.log"))
    stats = tracker.metrics["loss"]
    assert stats.match_count == 4 and stats.near_misses == []


def test_before_any_match_lines_printing_the_metric_are_evidence():
    tracker = MetricTracker({"validation:auc": r"\tvalidation-auc:([0-9.]+)"})
    tracker.feed(log_lines("xgboost-builtin.cloudwatch.log"))
    stats = tracker.metrics["validation:auc"]
    assert stats.match_count == 0 and stats.mentioned
    assert stats.near_miss_count == 5  # six lines, one of them a duplicate


def test_noise_lines_are_neither_matches_nor_evidence():
    tracker = MetricTracker({"validation:auc": XGBOOST.regex_for("validation:auc"), "loss": r"loss: ([0-9.]+)"})
    tracker.feed(log_lines("noise.cloudwatch.log"))
    for stats in tracker.metrics.values():
        assert (stats.match_count, stats.near_miss_count, stats.mentioned) == (0, 0, False)


def test_nan_last_value_is_kept_as_text_in_state():
    tracker = MetricTracker({"loss": FULL_LOSS})
    tracker.feed(["{'loss': nan, 'epoch': 1.0}"])
    state = tracker.to_state()
    assert state["metrics"]["loss"]["last_value"] == "nan"
    json.dumps(state, allow_nan=False)
    assert math.isnan(MetricTracker.from_state(state).metrics["loss"].last_value)


def test_broken_regex_is_tracked_as_never_matching():
    tracker = MetricTracker({"loss": "loss: (", "acc": "acc: [0-9.]+"})
    tracker.feed(["loss: 0.5", "acc: 0.9"])
    assert [s.valid for s in tracker.metrics.values()] == [False, False]
    assert not tracker.matched("loss") and not tracker.matched("acc")
