"""Expected job durations from history (warm-start parents or --like), and the guess without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tunepilot.compile.estimate import EXPECTED_RUNTIME_FRACTION, JobHistory, estimate, history_from_summaries

from tests.unit.spec.helpers import demo, edited, validate_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _summary(i: int, seconds: float, status: str = "Completed") -> dict:
    """A ``TrainingJobSummaries`` item with just what the estimate reads."""
    start = T0 + timedelta(minutes=i)
    return {"TrainingJobName": f"job-{i:03d}", "TrainingJobStatus": status, "TrainingStartTime": start,
            "TrainingEndTime": start + timedelta(seconds=seconds)}


HISTORIES = [
    pytest.param([(120, "Completed"), (180, "Completed"), (150, "Stopped")], 150, 3, id="median-of-finished"),
    pytest.param([(120, "Completed"), (9999, "Failed"), (130, "InProgress")], 120, 1, id="failed-and-running-ignored"),
    pytest.param([(5000, "Completed")], 600, 1, id="capped-at-max-runtime"),
]


@pytest.mark.parametrize(("jobs", "per_job", "count"), HISTORIES)
def test_expected_uses_the_median_duration_of_finished_jobs(jobs, per_job, count):
    spec = validate_dict(demo()).spec  # 12 jobs, 2 at a time, max_runtime 10m, ml.m5.large at $0.115/h
    history = history_from_summaries("--like x", [_summary(i, s, st) for i, (s, st) in enumerate(jobs)])
    est = estimate(spec, history)
    assert est.expected_source == "history" and est.history_jobs == count
    assert est.expected_wall_seconds == 6 * per_job
    assert est.expected_cost_usd == pytest.approx(12 * per_job / 3600 * 0.115, abs=1e-4)
    assert est.assumptions[0].endswith(f"the median of {count} finished training job(s) of --like x")


GUESSES = [
    pytest.param(None, "no history (no warm-start parents", id="no-history-at-all"),
    pytest.param(JobHistory("--like x"), "no history: --like x has no finished training job", id="empty-history"),
    pytest.param(JobHistory("warm-start parent p", problems=("p: not found",)),
                 "no history from warm-start parent p (p: not found)", id="unreadable-parents"),
]


@pytest.mark.parametrize(("history", "said"), GUESSES)
def test_without_history_expected_is_the_guess_and_says_so(history, said):
    spec = validate_dict(demo()).spec
    est = estimate(spec, history)
    assert est.expected_source == "guess"
    assert est.expected_wall_seconds == round(6 * 600 * EXPECTED_RUNTIME_FRACTION)
    assert est.assumptions[0].startswith(f"jobs run about 33% of max_runtime, a guess: {said}")


def test_history_replaces_the_early_stopping_guess():
    spec = validate_dict(edited(demo(), {"early_stopping": "Auto"})).spec
    guessed = estimate(spec)
    learned = estimate(spec, history_from_summaries("--like x", [_summary(1, 60)]))
    assert any("early stopping" in a for a in guessed.assumptions)
    assert not any("early stopping" in a for a in learned.assumptions)  # the durations already include it
