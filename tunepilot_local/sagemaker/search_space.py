"""AMT ParameterRanges as optuna distributions, and back to SageMaker's string hyperparameters.

ScalingType: ``Logarithmic`` → ``log=True``; ``Linear`` and ``Auto`` → linear (AMT's Auto picks per
range; linear is the safe reading). ``ReverseLogarithmic`` (continuous ranges inside [0, 1) only, as AMT
requires) is searched as ``r = 1 - x`` on a log scale, which crowds samples near 1 the way AMT's
reverse-log does; the optuna parameter is then named ``<name>#reverse`` and holds ``r``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

REVERSE = "#reverse"


@dataclass(frozen=True)
class SearchSpace:
    distributions: dict[str, BaseDistribution]

    @classmethod
    def from_ranges(cls, ranges: dict[str, Any] | None) -> SearchSpace:
        ranges = ranges or {}
        found: dict[str, BaseDistribution] = {}
        for item in ranges.get("ContinuousParameterRanges", []):
            low, high, scaling = float(item["MinValue"]), float(item["MaxValue"]), item.get("ScalingType", "Auto")
            if scaling == "ReverseLogarithmic" and 0 <= low < high < 1:
                found[item["Name"] + REVERSE] = FloatDistribution(1 - high, 1 - low, log=True)
            else:
                found[item["Name"]] = FloatDistribution(low, high, log=scaling == "Logarithmic" and low > 0)
        for item in ranges.get("IntegerParameterRanges", []):
            low, high, scaling = int(item["MinValue"]), int(item["MaxValue"]), item.get("ScalingType", "Auto")
            found[item["Name"]] = IntDistribution(low, high, log=scaling == "Logarithmic" and low > 0)
        for item in ranges.get("CategoricalParameterRanges", []):
            found[item["Name"]] = CategoricalDistribution(list(item["Values"]))
        return cls(found)

    def categorical_grid(self) -> dict[str, list[Any]]:
        """Grid search needs categorical ranges only, as AMT's Grid strategy does."""
        grid: dict[str, list[Any]] = {}
        for name, distribution in self.distributions.items():
            if not isinstance(distribution, CategoricalDistribution):
                raise ValueError(f"Grid strategy supports only categorical ranges; {name!r} is not one")
            grid[name] = list(distribution.choices)
        return grid

    def to_hyperparameters(self, params: dict[str, Any]) -> dict[str, str]:
        """optuna params → the string hyperparameters SageMaker passes to a container."""
        result: dict[str, str] = {}
        for name, value in params.items():
            if name.endswith(REVERSE):
                result[name[: -len(REVERSE)]] = _format(1 - float(value))
            else:
                result[name] = _format(value)
        return result

    def from_hyperparameters(self, hyperparameters: dict[str, str]) -> dict[str, Any] | None:
        """A finished job's hyperparameters → optuna params (for warm start); None if outside this space."""
        params: dict[str, Any] = {}
        for name, distribution in self.distributions.items():
            raw = hyperparameters.get(name.removesuffix(REVERSE))
            if raw is None:
                return None
            raw = raw.strip('"')
            try:
                if isinstance(distribution, CategoricalDistribution):
                    value: Any = next(c for c in distribution.choices if str(c) == raw)
                elif isinstance(distribution, IntDistribution):
                    value = int(float(raw))
                else:
                    value = 1 - float(raw) if name.endswith(REVERSE) else float(raw)
            except (StopIteration, ValueError):
                return None
            if not isinstance(distribution, CategoricalDistribution) and not (
                distribution.low <= value <= distribution.high  # type: ignore[attr-defined]
            ):
                return None
            params[name] = value
        return params


def _format(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)
