"""Notebook copies of training logs: the SDK's per-instance colour wrapper is removed before matching,
and only that wrapper (the log fixtures are described in tests/data/logs/README.md)."""

from __future__ import annotations

import pytest
from tunepilot.metrics.diagnose import diagnose
from tunepilot.metrics.match import extract_metrics
from tunepilot.metrics.normalize import as_stored, strip_sdk_colour

from .conftest import log_lines

ESC = "\x1b"
LINE = "[0]#011train-auc:0.96#011validation-auc:0.95"
# Linear Learner's own #quality_metric lines, read the way its metric definitions read them.
LINEAR_LEARNER = [
    {"Name": "train:objective_loss",
     "Regex": r"#quality_metric: host=\S+, epoch=\S+, train binary_classification_cross_entropy_objective "
              r"<loss>=(\S+)"},
    {"Name": "validation:binary_classification_accuracy",
     "Regex": r"#quality_metric: host=\S+, epoch=\S+, validation binary_classification_accuracy <score>=(\S+)"},
]


@pytest.mark.parametrize(
    ("copied", "expected"),
    [
        *[pytest.param(f"{ESC}[{colour}m{LINE}{ESC}[0m", LINE, id=f"instance-colour-{colour}")
          for colour in (34, 35, 32, 36, 33)],
        pytest.param(f"{ESC}[34m{LINE}{ESC}[0m  ", LINE, id="trailing-blanks"),
        pytest.param(f"{ESC}[34mval_acc: {ESC}[32m0.93{ESC}[0m{ESC}[0m", f"val_acc: {ESC}[32m0.93{ESC}[0m",
                     id="code-printed-colour-stays"),
        pytest.param(LINE, LINE, id="no-wrapper"),
        pytest.param(f"{ESC}[31m{LINE}{ESC}[0m", f"{ESC}[31m{LINE}{ESC}[0m", id="red-is-not-the-sdks"),
        pytest.param(f"{ESC}[34m{LINE}", f"{ESC}[34m{LINE}", id="opening-only"),
        pytest.param(f"#033[34m{LINE}#033[0m", f"#033[34m{LINE}#033[0m", id="stored-escapes-are-the-codes-own"),
    ],
)
def test_only_the_sdk_wrapper_is_removed(copied, expected):
    assert strip_sdk_colour(copied) == expected


def test_as_stored_keeps_colours_the_training_code_printed():
    copied = f"{ESC}[34mval_acc: {ESC}[32m0.93{ESC}[0m{ESC}[0m"
    assert as_stored(copied) == "val_acc: #033[32m0.93#033[0m"


def test_linear_learner_regexes_read_a_notebook_copy_as_they_read_cloudwatch():
    notebook = extract_metrics(log_lines("linear-learner.notebook.log"), LINEAR_LEARNER)
    assert notebook["train:objective_loss"] == [0.595682421003, 0.601127300261]
    assert notebook["validation:binary_classification_accuracy"] == [0.912280701754, 0.921052631579, 0.93]
    cloudwatch = extract_metrics(log_lines("linear-learner.cloudwatch.log"), LINEAR_LEARNER)
    assert cloudwatch["train:objective_loss"][0] == notebook["train:objective_loss"][0]


@pytest.mark.parametrize("definition", LINEAR_LEARNER, ids=lambda d: d["Name"])
def test_diagnose_does_not_blame_builtin_regexes_for_the_sdks_colours(definition):
    report = diagnose(definition["Name"], definition["Regex"], log_lines("linear-learner.notebook.log"))
    assert report.matched and report.diagnosis is None and report.near_misses == []
