"""Budget arithmetic and the stop policies, edge by edge."""

from __future__ import annotations

import pytest
from tunepilot.policies.budget import RunBudget, Spend, decide_stop, projected
from tunepilot.pricing import job_cost

T0 = 1_700_000_000.0
RATE = 3.6  # $/h: exactly $0.001 per second on one instance, so the numbers stay readable


def budget(**overrides) -> RunBudget:
    values = dict(max_cost_usd=10.0, policy="hard", usd_per_hour=RATE, instance_count=1, max_wall_clock_s=None,
                  max_training_jobs=None, started_at=T0)
    values.update(overrides)
    return RunBudget(**values)


@pytest.mark.parametrize(
    ("seconds", "price", "count", "expected"),
    [
        (3600, 0.23, 1, 0.23),
        (1800, 0.23, 2, 0.23),
        (0, 5.0, 4, 0.0),
        (90, 3.6, 1, 0.09),
        (-5, 3.6, 1, 0.0),
    ],
    ids=["one-hour-one-instance", "half-hour-two-instances", "zero-seconds", "ninety-seconds", "negative-clamped"],
)
def test_job_cost(seconds, price, count, expected):
    assert job_cost(seconds, price, count) == pytest.approx(expected)


def test_projected_adds_elapsed_cost_of_running_jobs():
    spend = Spend(settled_usd=1.0, running={"a": T0 + 100, "b": T0 + 400}, jobs_settled=2)
    # a ran 900 s, b ran 600 s at $0.001/s on 2 instances: (900 + 600) * 0.001 * 2 = 3.0
    assert projected(spend, budget(instance_count=2), now=T0 + 1000) == pytest.approx(4.0)


def test_projected_ignores_a_start_in_the_future():
    spend = Spend(settled_usd=1.0, running={"clock-skew": T0 + 50}, jobs_settled=0)
    assert projected(spend, budget(), now=T0) == pytest.approx(1.0)


NOW = T0 + 1000


@pytest.mark.parametrize(
    ("run_budget", "spend", "expected"),
    [
        (budget(), Spend(9.0, {}, 3), None),
        (budget(), Spend(10.0, {}, 3), "BudgetExceeded"),
        (budget(), Spend(9.5, {"j": NOW - 500}, 3), "BudgetExceeded"),
        (budget(), Spend(9.0, {"j": NOW - 500}, 3), None),
        (budget(policy="soft"), Spend(9.5, {"j": NOW - 900}, 3), None),
        (budget(policy="soft"), Spend(10.0, {}, 3), "BudgetExceeded"),
        (budget(policy="soft"), Spend(12.5, {}, 3), "BudgetExceeded"),
        (budget(max_cost_usd=None), Spend(1e6, {"j": T0}, 3), None),
        (budget(max_cost_usd=0.0), Spend(0.0, {}, 0), "BudgetExceeded"),
        (budget(max_wall_clock_s=1000), Spend(0.0, {}, 0), "WallClockExceeded"),
        (budget(max_wall_clock_s=1001), Spend(0.0, {}, 0), None),
        (budget(max_training_jobs=5), Spend(0.0, {}, 5), "JobCountExceeded"),
        (budget(max_training_jobs=5), Spend(0.0, {"j": NOW}, 4), None),
        (budget(max_training_jobs=None, max_wall_clock_s=None, max_cost_usd=None), Spend(99.0, {}, 99), None),
        (budget(max_wall_clock_s=10, max_training_jobs=1), Spend(10.0, {}, 1), "BudgetExceeded"),
        (budget(max_wall_clock_s=10, max_training_jobs=1), Spend(0.0, {}, 1), "WallClockExceeded"),
    ],
    ids=[
        "hard-under-cap",
        "hard-settled-exactly-at-cap",
        "hard-running-job-pushes-projection-to-cap",
        "hard-projection-just-under-cap",
        "soft-ignores-running-jobs",
        "soft-settled-exactly-at-cap",
        "soft-settled-over-cap",
        "no-cost-cap",
        "zero-cap-stops-at-once",
        "wall-clock-exactly-at-limit",
        "wall-clock-one-second-before-limit",
        "job-count-exactly-at-limit",
        "job-count-running-jobs-do-not-count",
        "no-limits-at-all",
        "budget-wins-over-other-limits",
        "wall-clock-wins-over-job-count",
    ],
)
def test_decide_stop(run_budget, spend, expected):
    decision = decide_stop(run_budget, spend, NOW)
    assert (decision.reason if decision else None) == expected


@pytest.mark.parametrize(
    ("run_budget", "spend", "fragments"),
    [
        (budget(), Spend(9.5, {"j": NOW - 500}, 3), ["$10.00", "$9.50", "1 running job", "hard policy"]),
        (budget(policy="soft"), Spend(10.25, {}, 4), ["$10.25", "$10.00", "soft policy", "4 finished"]),
        (budget(max_wall_clock_s=3600, started_at=NOW - 3725), Spend(0, {}, 0), ["1h 2m 5s", "1h 0m 0s"]),
        (budget(max_training_jobs=7), Spend(0, {}, 7), ["7 training job(s)", "limit of 7"]),
    ],
    ids=["hard-budget", "soft-budget", "wall-clock", "job-count"],
)
def test_stop_detail_is_a_sentence_with_the_numbers(run_budget, spend, fragments):
    decision = decide_stop(run_budget, spend, NOW)
    assert decision is not None
    for fragment in fragments:
        assert fragment in decision.detail
    assert decision.detail.endswith(".")
