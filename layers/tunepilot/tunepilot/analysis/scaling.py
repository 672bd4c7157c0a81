"""Positions and widths inside an AMT range, measured in the range's own scaling. Pure.

Logarithmic ranges are measured in log space, ReverseLogarithmic ones in log(1 - x), Linear and Auto
linearly. Widening respects the hyperparameter's domain as far as the range reveals it: a range that
starts at 1 or more (max_depth, num_round) never goes below 1, one inside [0, 1] (a rate, a fraction)
never leaves [0, 1], a log range stays above 0, and a reverse-log range stays below 1.
"""

from __future__ import annotations

import math

from tunepilot.analysis.trials import ParamRange

EDGE = 0.05  # "within 5% of min or max"
WIDEN = 0.5  # a widened side moves out by half the range's width (in its scaling)


def _forward(r: ParamRange, x: float) -> float:
    if r.scaling == "Logarithmic":
        return math.log(x)
    if r.scaling == "ReverseLogarithmic":
        return -math.log(1.0 - x)
    return x


def _inverse(r: ParamRange, t: float) -> float:
    if r.scaling == "Logarithmic":
        return math.exp(t)
    if r.scaling == "ReverseLogarithmic":
        return 1.0 - math.exp(-t)
    return t


def position(r: ParamRange, x: float) -> float | None:
    """0 at min, 1 at max, in the range's scaling; None when it cannot be measured."""
    assert r.min is not None and r.max is not None
    try:
        lo, hi, t = _forward(r, r.min), _forward(r, r.max), _forward(r, x)
    except (ValueError, OverflowError):
        return None
    if hi == lo:
        return None
    return (t - lo) / (hi - lo)


def in_scaling(r: ParamRange, x: float) -> float:
    return _forward(r, x)


def from_scaling(r: ParamRange, t: float) -> float:
    return _inverse(r, t)


def domain(r: ParamRange) -> tuple[float, float]:
    """The widest values the range's hyperparameter can plausibly take, judged from the range itself."""
    assert r.min is not None and r.max is not None
    lo, hi = -math.inf, math.inf
    if r.kind == "integer" and r.min >= 1:
        lo = 1.0
    elif r.min >= 0:
        lo = 0.0
    if r.kind == "continuous" and r.min >= 0 and r.max <= 1:
        hi = 1.0
    if r.scaling == "Logarithmic":
        lo = max(lo, 1 if r.kind == "integer" else 0.0)
    if r.scaling == "ReverseLogarithmic":
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return lo, hi


def widened(r: ParamRange, side: str) -> tuple[float, float]:
    """The range with ``side`` ("min" or "max") moved out by ``WIDEN`` of its width, clamped to its domain."""
    assert r.min is not None and r.max is not None
    lo_t, hi_t = _forward(r, r.min), _forward(r, r.max)
    step = (hi_t - lo_t) * WIDEN
    d_lo, d_hi = domain(r)
    new_lo, new_hi = r.min, r.max
    if side == "min":
        new_lo = max(_inverse(r, lo_t - step), d_lo)
    else:
        try:
            new_hi = _inverse(r, hi_t + step)
        except OverflowError:
            new_hi = math.inf
        if r.scaling == "ReverseLogarithmic":  # stays below 1: AMT needs max < 1 for reverse-log
            new_hi = min(new_hi, 1.0 - (1.0 - r.max) / 10.0)
        new_hi = min(new_hi, d_hi)
        if r.scaling == "Logarithmic" and d_hi == 1.0 and new_hi >= 1.0:
            new_hi = 1.0
    if r.kind == "integer":
        new_lo, new_hi = math.floor(new_lo), math.ceil(new_hi)
        if side == "min" and new_lo == r.min and new_lo - 1 >= d_lo:
            new_lo -= 1
        if side == "max" and new_hi == r.max:
            new_hi += 1
    return tidy(r, new_lo), tidy(r, new_hi)


def narrowed(r: ParamRange, values: list[float], pad: float = 0.1) -> tuple[float, float] | None:
    """The span of ``values`` padded by ``pad`` of the range's width, inside the range; None if no narrower."""
    assert r.min is not None and r.max is not None
    lo_t, hi_t = _forward(r, r.min), _forward(r, r.max)
    ts = [_forward(r, v) for v in values]
    width = hi_t - lo_t
    new_lo = _inverse(r, max(lo_t, min(ts) - pad * width))
    new_hi = _inverse(r, min(hi_t, max(ts) + pad * width))
    if r.kind == "integer":
        new_lo, new_hi = math.floor(new_lo + 1e-9), math.ceil(new_hi - 1e-9)
        if new_hi <= new_lo:
            new_hi = new_lo + 1
            if new_hi > r.max:
                new_lo, new_hi = r.max - 1, r.max
    elif new_hi <= new_lo:
        return None
    new_lo, new_hi = max(tidy(r, new_lo), r.min), min(tidy(r, new_hi), r.max)
    if (new_hi - new_lo) >= 0.9 * (r.max - r.min):  # not worth a change
        return None
    return new_lo, new_hi


def tidy(r: ParamRange, x: float) -> float:
    """Integers as whole numbers; continuous values to 4 significant digits (a spec is read by people)."""
    if r.kind == "integer":
        return float(round(x))
    if x == 0 or not math.isfinite(x) or r.scaling == "ReverseLogarithmic":
        return x
    return float(f"{x:.4g}")
