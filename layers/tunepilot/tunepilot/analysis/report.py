"""``report.html``: one self-contained page (inline PNG plots, inline script, no network), escaped by Jinja2."""

from __future__ import annotations

from functools import cache

import jinja2

from tunepilot.analysis import plots
from tunepilot.analysis.model import Analysis
from tunepilot.analysis.nextspec import NextSpec
from tunepilot.analysis.recommend import fmt, usd
from tunepilot.analysis.trials import TuningJob


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tunepilot.analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(num=lambda value, signed=False: fmt(value, signed), usd=usd)
    return env


def render_report(job: TuningJob, analysis: Analysis, next_spec: NextSpec | None = None,
                  next_spec_reason: str = "the run's spec was not available") -> str:
    """The page; with no scored job it says so instead of drawing empty plots."""
    figures: dict[str, str | None] = {"params": None, "importance": None, "curve": None, "cost": None}
    if analysis.best is not None:
        figures = {
            "params": plots.objective_vs_hyperparameters(job, analysis),
            "importance": plots.importance_bars(analysis),
            "curve": plots.best_so_far(job, analysis),
            "cost": plots.objective_vs_cost(job, analysis),
        }
    return _environment().get_template("report.html.j2").render(
        a=analysis,
        plots=figures,
        ranges=list(job.ranges),
        trials=sorted(job.trials, key=lambda t: t.index),
        next_spec=next_spec.text if next_spec else None,
        next_spec_problems=next_spec.problems if next_spec else [],
        next_spec_reason=next_spec_reason,
    )
