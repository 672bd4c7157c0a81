"""Prices and the cost/time estimate: exact worst case, stated assumptions for expected."""

from __future__ import annotations

import pytest
from tunepilot.compile.estimate import EXPECTED_RUNTIME_FRACTION, SPOT_SAVINGS, estimate
from tunepilot.pricing import hourly_price, price_source, price_table, priced_job_cost

from tests.unit.spec.helpers import demo, edited, validate_dict


@pytest.mark.parametrize(
    ("instance", "price"),
    [("ml.m5.large", 0.115), ("ml.p3.2xlarge", 3.825), ("ml.p4d.24xlarge", 37.688), ("ml.t3.medium", 0.05)],
    ids=["m5-large", "p3-2xlarge", "p4d", "t3-medium"],
)
def test_packaged_prices(instance, price):
    assert hourly_price(instance) == price


def test_price_table_has_a_source_and_no_notes():
    assert "us-east-1" in price_source()
    assert all(k.startswith("ml.") for k in price_table())


def test_overrides_win_and_unknown_types_are_none():
    assert hourly_price("ml.m5.large", {"ml.m5.large": 0.2}) == 0.2
    assert hourly_price("ml.zz9.large") is None
    assert priced_job_cost(1800, "ml.m5.xlarge", 2) == pytest.approx(0.23)
    with pytest.raises(KeyError, match=r"budget\.prices"):
        priced_job_cost(60, "ml.zz9.large", 1)


def test_demo_estimate():
    spec = validate_dict(demo()).spec
    est = estimate(spec)
    assert est.worst_cost_usd == pytest.approx(12 * 600 / 3600 * 0.115, abs=1e-4)
    assert est.worst_wall_seconds == 6 * 600  # ceil(12 / 2) waves of 10 minutes
    assert est.expected_cost_usd == pytest.approx(est.worst_cost_usd * EXPECTED_RUNTIME_FRACTION, abs=1e-4)
    assert est.expected_wall_seconds == 1200
    assert est.to_json()["budget_usd"] == 2.0


def test_spot_discounts_only_the_expected_cost():
    on_demand = estimate(validate_dict(demo()).spec)
    spot = estimate(validate_dict(edited(demo(), {"resources.spot": {"enabled": True}})).spec)
    assert spot.worst_cost_usd == on_demand.worst_cost_usd
    assert spot.expected_cost_usd == pytest.approx(on_demand.expected_cost_usd * (1 - SPOT_SAVINGS), abs=1e-4)
    assert any("spot" in a for a in spot.assumptions)


def test_caps_and_unknown_price():
    spec = validate_dict(edited(demo(), {
        "limits.max_tuning_runtime": "30m", "resources.instance_type": "ml.m8i-flex.large",
        "completion_criteria.best_objective_not_improving": 3})).spec
    est = estimate(spec)
    assert est.worst_wall_seconds == 1800
    assert est.worst_cost_usd is None and est.expected_cost_usd is None
    assert est.expected_jobs == 6
