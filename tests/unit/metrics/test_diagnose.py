from __future__ import annotations

import re

import pytest
from tunepilot.metrics.diagnose import MAX_NEAR_MISSES, diagnose, suggest_regex, verify
from tunepilot.metrics.match import extract
from tunepilot.metrics.nearmiss import mention_pattern
from tunepilot.metrics.normalize import normalize_line
from tunepilot.spec.builtins import XGBOOST

from tunepilot_cli.diagnose import read_log

from .conftest import LOGS, log_lines

HF = "huggingface-trainer.cloudwatch.log"

# (metric, regex, log fixture, words the one-sentence diagnosis must contain)
CAUSES = [
    ("validation:auc", r"\tvalidation-auc:([0-9.]+)", "xgboost-builtin.cloudwatch.log",
     ["expects a tab", "#011"]),
    ("validation:auc", r"\tvalidation-auc:([0-9.]+)", "xgboost-builtin.notebook.log", ["expects a tab", "#011"]),
    ("loss", r"#011Loss: ([0-9.]+)", "pytorch-mnist.cloudwatch.log", None),
    ("loss", r"\tLoss: ([0-9.]+)", "pytorch-mnist.cloudwatch.log", ["expects a tab"]),
    ("loss", r"'loss': ([0-9]+(.|e\-)[0-9]+),?", HF, ["loses the exponent", "3.27e-06 is read as 3.27"]),
    ("delta", r"delta: ([0-9.]+)", None, ["cannot read negative numbers"]),
    ("val_acc", r"val_acc: (\S+)", "keras-ansi.notebook.log", ["ANSI colour codes", "'#033[32m0.93#033[0m'"]),
    ("acc", r"acc: (\S+)", None, ["trailing punctuation", "'0.93,'"]),
    ("validation:binary_classification_accuracy",
     r"validation binary_classification_accuracy <score>:([0-9.]+)", "linear-learner.cloudwatch.log",
     ["writes ':' where the log has '='"]),
    ("validation:accuracy", r"Validation:accuracy=([0-9\.]+)", "image-classification.cloudwatch.log",
     ["writes ':' where the log has '-'"]),
    ("validation:f1", r"F1=([0-9.]+)", "xgboost-builtin.cloudwatch.log", ["never mentions validation:f1"]),
    ("eval_f1", r"F1=(.*?)", None, ["empty string"]),
    ("validation:loss", r"val_loss: ([0-9.]+)", None, ["mentions validation:loss but never prints a number"]),
    ("x", r"x: (", None, ["does not compile", "position 3"]),
    ("x", r"x: [0-9]+", None, ["no capture group"]),
]
INLINE_LOGS = {
    "delta": ["delta: 0.5", "delta: -0.25"],
    "acc": ["acc: 0.93, loss: 0.2", "acc: 0.95, loss: 0.1"],
    "eval_f1": ["eval F1=0.88;", "eval F1=0.91;"],
    "validation:loss": ["validation loss will be reported after epoch 3", "epoch 1 done"],
    "x": ["x: 1"],
}


@pytest.mark.parametrize(
    ("metric", "regex", "log", "words"),
    CAUSES,
    ids=["tab-cloudwatch", "tab-notebook-log", "pytorch-clean", "pytorch-tab", "exponent", "sign", "ansi",
         "punctuation", "colon-for-equals", "colon-for-dash", "never-printed", "lazy-empty", "mentioned-no-number",
         "bad-regex", "no-group"],
)
def test_each_cause_gets_one_plain_sentence(metric, regex, log, words):
    lines = log_lines(log) if log else INLINE_LOGS[metric]
    report = diagnose(metric, regex, lines)
    if words is None:
        assert report.diagnosis is None and report.matched and report.near_misses == []
        return
    assert report.diagnosis is not None
    assert report.diagnosis.endswith(".") and report.diagnosis.replace("e.g. ", "").count(". ") == 0
    for word in words:
        assert word in report.diagnosis, report.diagnosis


@pytest.mark.parametrize(
    ("metric", "regex", "log"),
    [c[:3] for c in CAUSES if c[2] and c[3] and "never mentions" not in c[3][0]],
    ids=lambda v: v if isinstance(v, str) and "." in v else None,
)
def test_every_suggestion_reads_the_full_number_from_every_near_miss(metric, regex, log):
    report = diagnose(metric, regex, log_lines(log))
    assert report.near_misses and report.suggested_regex
    assert verify(report.suggested_regex, metric, report.near_misses)
    for line in report.near_misses:
        value = extract(report.suggested_regex, line)
        assert value is not None
        after_name = mention_pattern(metric).pattern + r"\W{0,4}(?:<\w+>=)?(?P<number>[-+]?[0-9.eE+-]+|nan)"
        printed = [m.group("number") for m in re.finditer(after_name, normalize_line(line), re.I)]
        assert any(value == float(p) or (p == "nan" and value != value) for p in printed), (line, value)


def test_suggestion_for_the_builtin_tab_mistake_is_the_stored_form():
    report = diagnose("validation:auc", r"\tvalidation-auc:([0-9.]+)", log_lines("xgboost-builtin.cloudwatch.log"))
    assert report.suggested_regex is not None and report.suggested_regex.startswith("#011validation-auc:")
    assert extract(report.suggested_regex, XGBOOST.sample_log_line) == 0.98173


def test_suggestion_for_the_hf_docs_regex_reads_exponent_and_nan():
    report = diagnose("loss", r"'loss': ([0-9]+(.|e\-)[0-9]+),?", log_lines(HF))
    assert report.near_misses == [
        "{'loss': 3.27e-06, 'learning_rate': 4.5e-05, 'epoch': 0.5}",
        "{'loss': nan, 'learning_rate': 1.5e-05, 'epoch': 1.5}",
    ]
    assert extract(report.suggested_regex, report.near_misses[0]) == 3.27e-06
    assert extract(report.suggested_regex, "{'eval_loss': 0.2727, 'epoch': 1.0}") is None  # not eval_loss


def test_no_suggestion_when_nothing_can_be_proven():
    # The two lines print the score in two shapes; a literal from one line does not read the
    # other, and no fix of the user's regex reads either.
    lines = ["score: -1.5", "score=2.5"]
    report = diagnose("score", r"SCORE=([0-9]+)", lines)
    assert report.near_misses and report.suggested_regex is None
    assert suggest_regex("score", []) is None


def test_suggest_regex_without_user_regex_builds_from_the_line():
    suggestion = suggest_regex("validation:auc", ["[7]#011train-auc:0.9#011validation-auc:-0.5"])
    assert suggestion is not None and extract(suggestion, "[7]#011train-auc:0.9#011validation-auc:-0.5") == -0.5


def test_duplicate_and_noise_lines_do_not_inflate_near_misses():
    lines = [*log_lines("noise.cloudwatch.log"), *log_lines("xgboost-builtin.cloudwatch.log")]
    report = diagnose("validation:auc", r"\tvalidation-auc:([0-9.]+)", lines)
    assert len(report.near_misses) == 5 and len(set(report.near_misses)) == 5
    assert all("#011validation-auc:" in line for line in report.near_misses)


def test_near_misses_are_capped():
    report = diagnose("loss", r"loss: ([0-9.]+)", [f"loss: -{i}.5" for i in range(30)])
    assert len(report.near_misses) == MAX_NEAR_MISSES


def test_clean_multi_line_export_reports_values_and_no_diagnosis():
    lines = read_log(LOGS / "cloudwatch-export.json")  # one event holds two lines
    report = diagnose("validation:auc", XGBOOST.regex_for("validation:auc") or "", lines)
    assert (report.matched, report.match_count, report.last_value) == (True, 2, 0.9601)
    assert report.diagnosis is None and report.suggested_regex is None and report.near_misses == []


def test_truncated_reads_still_count_as_matches_like_sagemaker():
    report = diagnose("loss", r"'loss': ([0-9]+(.|e\-)[0-9]+),?", log_lines(HF))
    assert report.matched and report.match_count == 2 and report.last_value == 3.27
