"""The improvement gate: deploy the best model only if it beats the baseline by enough. Pure.

Improvement is signed in the objective's direction (positive = better), so one rule serves
both directions. With no minimum the candidate must be strictly better (a tie is no reason to
replace a serving model); with a minimum it must be better by at least that much. A relative
minimum is a fraction of |baseline|; against a baseline of 0 it cannot be scaled, so any strict
improvement passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from tunepilot.exceptions import SpecInvalid
from tunepilot.spec.models import MinImprovement

ObjectiveType = Literal["Maximize", "Minimize"]


@dataclass(frozen=True)
class Decision:
    deploy: bool
    reason: str
    candidate: float
    baseline: float | None
    improvement: float | None  # signed: positive = better in the objective's direction
    required: float | None  # absolute improvement needed to deploy

    def to_json(self) -> dict[str, Any]:
        """JSON- and DynamoDB-safe: a NaN or infinite number becomes null."""
        return {
            "deploy": self.deploy,
            "reason": self.reason,
            "candidate": _finite_or_none(self.candidate),
            "baseline": _finite_or_none(self.baseline),
            "improvement": _finite_or_none(self.improvement),
            "required": _finite_or_none(self.required),
        }


def decide(
    objective_type: ObjectiveType,
    candidate: float,
    baseline: float | None,
    min_improvement: MinImprovement | None,
    deploy_without_baseline: bool = True,
    enabled: bool = True,
) -> Decision:
    if objective_type not in ("Maximize", "Minimize"):
        raise SpecInvalid(f"objective type must be Maximize or Minimize, got {objective_type!r}")
    kind, amount = _threshold(min_improvement)

    if not _is_finite(candidate):
        return Decision(False, f"The best objective value is {candidate}, not a number to compare.",
                        candidate, baseline, None, None)
    if baseline is None:
        return _without_baseline(candidate, deploy_without_baseline, enabled)
    if not _is_finite(baseline):
        return Decision(False, f"The baseline is {baseline}, not a number to compare.", candidate, baseline, None, None)

    improvement = candidate - baseline if objective_type == "Maximize" else baseline - candidate
    required = amount * abs(baseline) if kind == "relative" else amount
    # Decimal metrics in binary floats: 0.30 - 0.25 is 0.04999...; exactly at the minimum passes.
    passed = improvement > 0 and (improvement >= required or math.isclose(improvement, required, rel_tol=1e-9))
    verdict = _verdict(objective_type, candidate, baseline, improvement, required, kind, amount, passed, enabled)
    if not enabled:
        return Decision(False, f"Deploy is disabled in the spec, so nothing is deployed. ({verdict})", candidate,
                        baseline, improvement, required)
    return Decision(passed, verdict, candidate, baseline, improvement, required)


def _without_baseline(candidate: float, deploy_without_baseline: bool, enabled: bool) -> Decision:
    if not enabled:
        return Decision(False, "Deploy is disabled in the spec.", candidate, None, None, None)
    if deploy_without_baseline:
        return Decision(True, "There is no baseline to beat, and deploy_without_baseline allows deploying.",
                        candidate, None, None, None)
    return Decision(False, "There is no baseline to beat, and deploy_without_baseline is false.",
                    candidate, None, None, None)


def _verdict(
    objective_type: ObjectiveType,
    candidate: float,
    baseline: float,
    improvement: float,
    required: float,
    kind: str | None,
    amount: float,
    passed: bool,
    enabled: bool = True,
) -> str:
    direction = "higher" if objective_type == "Maximize" else "lower"
    if kind == "relative":
        rule = f"at least {amount:.2%} of |baseline| = {required:.6g}"
        if baseline == 0:
            rule = "any strict improvement (a relative minimum cannot scale a baseline of 0)"
    elif kind == "absolute":
        rule = f"at least {required:.6g}"
    else:
        rule = "any strict improvement"
    outcome = "deploying" if passed else "not deploying"
    if not enabled:  # the gate's own verdict, never "deploying" next to "deploy is disabled"
        outcome = "it would have passed the gate" if passed else "it would not have passed the gate either"
    return (f"Candidate {candidate:.6g} vs baseline {baseline:.6g} ({direction} is better): improvement "
            f"{improvement:+.6g}, needed {rule}; {outcome}.")


def _threshold(min_improvement: MinImprovement | None) -> tuple[str | None, float]:
    """(``"absolute"`` | ``"relative"`` | None, amount); the spec model holds exactly one, >= 0."""
    if min_improvement is None:
        return None, 0.0
    if min_improvement.absolute is not None:
        return "absolute", min_improvement.absolute
    return "relative", float(min_improvement.relative or 0.0)


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and _is_finite(value) else None
