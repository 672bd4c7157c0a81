"""The report's plots, drawn with matplotlib (Agg) and returned as inline PNG data URIs. Pure.

PNG rather than SVG: a hyperparameter name or categorical value is user text, and a raster image
cannot carry markup into the page.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Sequence

os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")  # Lambda's home is read-only  # noqa: S108

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from tunepilot.analysis.model import Analysis
from tunepilot.analysis.trials import ParamRange, Trial, TuningJob

DPI = 80
COLOR = "#4C72B0"
BEST = "#D62728"
NOT_SCORED = "#BBBBBB"


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def objective_vs_hyperparameters(job: TuningJob, analysis: Analysis) -> str | None:
    """One panel per tuned hyperparameter; log x axis for Logarithmic ranges; the best job as a red star."""
    ranges = [r for r in job.ranges if any(t.scored and r.name in t.hyperparameters for t in job.trials)]
    if not ranges or analysis.best is None:
        return None
    columns = min(3, len(ranges))
    rows = math.ceil(len(ranges) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    scored = [t for t in job.trials if t.scored]
    best = analysis.best.training_job
    for ax, r in zip(axes.flat, ranges, strict=False):
        _panel(ax, r, scored, best, analysis.objective.metric)
    for ax in list(axes.flat)[len(ranges):]:
        ax.set_visible(False)
    fig.tight_layout()
    return _png(fig)


def _panel(ax: plt.Axes, r: ParamRange, scored: Sequence[Trial], best: str, metric: str) -> None:
    xs, ys, best_xy = [], [], None
    positions = {v: i for i, v in enumerate(r.values)}
    for t in scored:
        text = t.hyperparameters.get(r.name)
        if text is None:
            continue
        if r.kind == "categorical":
            if text not in positions:
                positions[text] = len(positions)
            x = positions[text] + ((t.index * 0.618) % 1 - 0.5) * 0.3  # jitter, deterministic
        else:
            try:
                x = float(text)
            except ValueError:
                continue
        xs.append(x)
        ys.append(float(t.objective or 0.0))
        if t.name == best:
            best_xy = (positions[text] if r.kind == "categorical" else x, float(t.objective or 0.0))
    ax.scatter(xs, ys, s=14, alpha=0.6, color=COLOR, label="job")
    if best_xy:
        ax.scatter([best_xy[0]], [best_xy[1]], s=160, marker="*", color=BEST, zorder=3, label="best")
    if r.kind == "categorical":
        ax.set_xticks(range(len(positions)), [str(v)[:14] for v in positions], rotation=20)
    else:
        if r.scaling == "Logarithmic" and r.min and r.min > 0:
            ax.set_xscale("log")
        if r.min is not None and r.max is not None:
            ax.axvline(r.min, color="#999999", lw=0.8, ls="--")
            ax.axvline(r.max, color="#999999", lw=0.8, ls="--")
    scale = f" ({r.scaling.lower()})" if r.numeric and r.scaling not in ("Auto", "Linear") else ""
    ax.set_xlabel(f"{r.name}{scale}")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)


def importance_bars(analysis: Analysis) -> str | None:
    values = analysis.importance.values
    if not values:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(values) + 1.0))
    names = [v.name for v in values][::-1]
    shares = [v.importance for v in values][::-1]
    ax.barh(names, shares, color=COLOR if analysis.importance.meaningful else NOT_SCORED)
    ax.set_xlim(0, 1)
    title = analysis.importance.method + ("" if analysis.importance.meaningful else " (not meaningful)")
    ax.set_title(title)
    ax.set_xlabel("share of importance")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def best_so_far(job: TuningJob, analysis: Analysis) -> str | None:
    curve = analysis.convergence.best_so_far
    if not curve:
        return None
    fig, (by_index, by_time) = plt.subplots(1, 2, figsize=(10, 3.4))
    scored = [t for t in job.trials if t.scored]
    by_index.scatter([t.index for t in scored], [t.objective for t in scored], s=12, alpha=0.5, color=COLOR,
                     label="job")
    xs, ys = np.array(curve).T
    by_index.step(xs, ys, where="post", color=BEST, label="best so far")
    by_index.set_xlabel("job (launch order)")
    by_index.set_ylabel(analysis.objective.metric)
    by_index.legend(loc="best")
    by_index.grid(alpha=0.3)
    timed = analysis.convergence.best_so_far_by_time
    if timed:
        ts, vs = np.array(timed).T
        by_time.step(ts / 60.0, vs, where="post", color=BEST)
        by_time.set_xlabel("minutes since the first job started")
        by_time.grid(alpha=0.3)
    else:
        by_time.set_visible(False)
    fig.suptitle(analysis.convergence.verdict)
    fig.tight_layout()
    return _png(fig)


def objective_vs_cost(job: TuningJob, analysis: Analysis) -> str | None:
    points = [t for t in job.trials if t.scored and t.cost_usd is not None]
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.scatter([t.cost_usd for t in points], [t.objective for t in points], s=14, alpha=0.6, color=COLOR)
    best = next((t for t in points if analysis.best and t.name == analysis.best.training_job), None)
    if best:
        ax.scatter([best.cost_usd], [best.objective], s=160, marker="*", color=BEST, zorder=3)
    ax.set_xlabel("job cost (USD)")
    ax.set_ylabel(analysis.objective.metric)
    ax.grid(alpha=0.3)
    return _png(fig)
