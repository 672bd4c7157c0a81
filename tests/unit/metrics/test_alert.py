from __future__ import annotations

import pytest
import yaml
from tunepilot.messages.report import SUBJECT_MAX
from tunepilot.metrics.alert import ALERT_EVIDENCE_LINES, format_alert
from tunepilot.metrics.diagnose import MetricReport, diagnose
from tunepilot.metrics.match import extract

from .conftest import log_lines


def _tab_report() -> MetricReport:
    return diagnose("validation:auc", r"\tvalidation-auc:([0-9.]+)", log_lines("xgboost-builtin.cloudwatch.log"))


def test_alert_names_job_metric_regex_cause_and_fix():
    subject, message = format_alert("tp-xgb-breast-cancer-20261122-001-a1b2c3", _tab_report())
    assert subject == "TunePilot: metric validation:auc never matched in tp-xgb-breast-cancer-20261122-001-a1b2c3"
    for expected in (
        "Training job: tp-xgb-breast-cancer-20261122-001-a1b2c3",
        "Metric: validation:auc",
        r"Regex: \tvalidation-auc:([0-9.]+)",
        "Diagnosis: The regex expects a tab, but CloudWatch stores a tab as #011",
        "  [0]#011train-auc:0.96521#011validation-auc:0.95164",
        "single quotes",
    ):
        assert expected in message


def test_alert_shows_at_most_three_evidence_lines():
    report = _tab_report()
    assert len(report.near_misses) > ALERT_EVIDENCE_LINES
    _, message = format_alert("job", report)
    assert sum(line.startswith("  [") for line in message.splitlines()) == ALERT_EVIDENCE_LINES


def test_suggested_regex_in_the_alert_pastes_into_yaml_unchanged():
    report = diagnose("loss", r"'loss': ([0-9]+(.|e\-)[0-9]+),?", log_lines("huggingface-trainer.cloudwatch.log"))
    _, message = format_alert("job", report)
    pasted = message.split("Suggested regex", 1)[1].splitlines()[-1].strip()
    regex = yaml.safe_load(pasted)["Regex"]
    assert regex == report.suggested_regex
    assert extract(regex, "{'loss': 3.27e-06, 'learning_rate': 4.5e-05, 'epoch': 0.5}") == 3.27e-06


@pytest.mark.parametrize("job_name", ["j" * 63, "a-very-long-training-job-name-" * 4], ids=["max-job-name", "overlong"])
def test_subject_fits_sns(job_name):
    report = MetricReport("validation:binary_classification_accuracy", "x=(.)", False, 0, None, diagnosis="d.")
    subject, _ = format_alert(job_name, report)
    assert len(subject) <= SUBJECT_MAX


def test_misread_metric_says_misread_and_no_suggestion_is_explained():
    report = MetricReport("loss", "loss: ([0-9]+)", True, 3, 2.0, ["loss: 2.5"], None, "The capture loses decimals.")
    subject, message = format_alert("job", report)
    assert "misread" in subject and "(last value 2.0)" in message
    assert "No regex could be proven" in message
