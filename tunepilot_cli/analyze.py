"""``tunepilot analyze TUNING_JOB_NAME``: what any AMT tuning job teaches, read-only.

Works on every tuning job in the account, including ones TunePilot did not start (the SDK's
``attach`` use case). It calls only DescribeHyperParameterTuningJob,
ListTrainingJobsForHyperParameterTuningJob (every page) and DescribeTrainingJob, builds the trials
and runs the same analysis the AnalyzeResults Lambda runs. The next spec starts from the job's own
configuration, imported with ``tunepilot import``'s rules.

Exit codes: 0 analysed; 1 no training job completed with its objective (or the next spec asked for
could not be written: what could be written still is); 2 usage, I/O or AWS errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunepilot_cli.aws import (
    CliAwsError,
    check_job_name,
    describe_tuning_job,
    message,
    use_region,
)

if TYPE_CHECKING:
    from tunepilot.analysis.model import Analysis
    from tunepilot.analysis.nextspec import NextSpec
    from tunepilot.analysis.trials import TuningJob

PRICE_REGION = "us-east-1"  # the packaged price table's region (tunepilot/data/prices.json)
DESCRIBE_THREADS = 4  # SageMaker's Describe* rates are per account: a few at a time
COLLECT_SECONDS = 300.0  # throttling is retried this long before the command gives up
_BAR = 24


def register(sub: Any) -> None:
    p = sub.add_parser("analyze", help="analyse any AMT tuning job (read-only): importance, convergence, cost")
    p.add_argument("tuning_job", metavar="TUNING_JOB_NAME")
    p.add_argument("--region", help="the job's region (default: the AWS configuration's)")
    p.add_argument("--html", metavar="FILE", help="write the self-contained report.html here")
    p.add_argument("--json", action="store_true", help="print analysis.json instead of the text summary")
    p.add_argument("--next-spec", metavar="FILE", help="write the next run's spec (YAML) here")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    try:
        return _analyze(args)
    except Exception as e:  # the last guard: a one-line message, never a traceback
        print(f"tunepilot analyze: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


def _analyze(args: argparse.Namespace) -> int:
    try:
        check_job_name(args.tuning_job)
        _check_writable(args.html, args.next_spec)
        modules = _analysis_modules()
        use_region(args.region)
        job, describe = collect(args.tuning_job)
    except CliAwsError as e:
        print(f"tunepilot analyze: {e}", file=sys.stderr)
        return 2
    analysis = modules.analyze(job)
    region = _region()
    if region not in (None, PRICE_REGION) and analysis.cost.total_usd > 0:
        analysis.notes.append(f"costs use TunePilot's packaged {PRICE_REGION} on-demand prices; this job ran in "
                              f"{region}")
    spec, why_no_spec = _imported_spec(describe)
    nxt = modules.next_spec(spec, analysis, job) if spec is not None and analysis.best is not None else None
    if spec is not None and analysis.best is None:
        why_no_spec = "no training job reported the objective: there is nothing to start the next run from"
    code = 0 if analysis.best is not None else 1
    try:
        if args.next_spec:
            if nxt is None:
                print(f"tunepilot analyze: next spec not written: {why_no_spec}", file=sys.stderr)
                code = 1
            else:
                _write(args.next_spec, nxt.text)
                analysis.artifacts.next_spec = args.next_spec
        if args.html:
            analysis.artifacts.report_html = args.html
            _write(args.html, modules.render_report(job, analysis, nxt, next_spec_reason=why_no_spec or ""))
    except CliAwsError as e:
        print(f"tunepilot analyze: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(analysis.to_json(), indent=2))
    else:
        print(summary(job, analysis, nxt))
    return code


# ---------------------------------------------------------------------------------- collecting
def collect(name: str) -> tuple[TuningJob, dict[str, Any]]:
    """The tuning job and its trials, with read-only calls only; the raw describe response too.

    The trials come from the AnalyzeResults state's own collector (``collect_tuning_job``), given
    ``COLLECT_SECONDS`` to retry throttling in; the describe response is read first (and fails fast on
    a missing job or missing credentials) because the next spec starts from it.
    """
    from tunepilot.exceptions import TunePilotError
    from tunepilot.usecases.analyze import Budget, collect_tuning_job

    describe = describe_tuning_job(name)
    deadline = time.monotonic() + COLLECT_SECONDS
    budget = Budget(lambda: int((deadline - time.monotonic()) * 1000), reserve_s=0.0)
    try:
        job = collect_tuning_job(name, budget=budget, threads=DESCRIBE_THREADS)
    except TunePilotError as e:
        raise CliAwsError(message(e, f"training jobs of {name}")) from None
    return job, describe


def _region() -> str | None:
    from tunepilot.aws.clients import clients

    return getattr(getattr(clients.sagemaker, "meta", None), "region_name", None)


def _imported_spec(describe: dict[str, Any]) -> tuple[Any, str | None]:
    """The job's own configuration as a valid spec (the next spec's starting point), or why there is none."""
    from tunepilot.compile.importer import ImportFailed, spec_from_request
    from tunepilot.spec.load import validate_data

    try:
        imported = spec_from_request(describe)
    except (ImportFailed, KeyError, TypeError, ValueError) as e:
        return None, f"the job's configuration cannot be imported: {e}"
    result = validate_data(imported.spec)
    if not result.valid or result.spec is None:
        return None, "the imported configuration does not validate: " + "; ".join(
            f"{p.path}: {p.message}" for p in result.errors)
    return result.spec, None


class _Modules:
    def __init__(self) -> None:
        from tunepilot.analysis.analyze import analyze
        from tunepilot.analysis.nextspec import next_spec
        from tunepilot.analysis.report import render_report

        self.analyze, self.next_spec, self.render_report = analyze, next_spec, render_report


def _analysis_modules() -> _Modules:
    try:
        return _Modules()
    except ImportError as e:
        raise CliAwsError(f"the analysis needs numpy, optuna, matplotlib and jinja2 ({e.name} is missing): "
                          "pip install -r layers/analysis/requirements.txt (the AnalyzeResults layer's pins)") from None


def _check_writable(*paths: str | None) -> None:
    for path in paths:
        if path is None:
            continue
        p = Path(path)
        if p.is_dir():
            raise CliAwsError(f"{path}: is a directory")
        if not p.parent.exists():
            raise CliAwsError(f"{path}: no such directory {p.parent}")


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise CliAwsError(f"{path}: cannot write ({e.strerror or e})") from None


# ---------------------------------------------------------------------------------- the terminal
def summary(job: TuningJob, a: Analysis, nxt: NextSpec | None = None) -> str:
    """The findings as plain text, one section per question."""
    from tunepilot.analysis.recommend import fmt, usd

    j = a.jobs
    lines = [
        f"tuning job   {job.name}  ({job.status or 'status unknown'}, {job.strategy or '?'}; "
        f"{j.total} training job(s): {j.completed} completed, {j.stopped} stopped, {j.failed} failed"
        + (f", {j.in_progress} running" if j.in_progress else "") + ")",
        f"objective    {a.objective.metric} ({a.objective.type})",
    ]
    if a.best is None:
        lines.append(f"best         none: no training job reported {a.objective.metric}")
    else:
        b = a.best
        when = f", {b.seconds_from_start:.0f}s after the first start" if b.seconds_from_start is not None else ""
        lines.append(f"best         {b.training_job}  {fmt(b.value)}  (job {b.job_index} "
                     f"of {j.total}{when}, {usd(b.spend_until_best_usd)} spent until then)")
        lines.append("             " + ", ".join(f"{k}={v}" for k, v in sorted(b.hyperparameters.items())))
        gains = []
        if a.baseline is not None:
            gains.append(f"{fmt(a.baseline.improvement_abs, True)} over the baseline ({fmt(a.baseline.value)})")
        if a.vs_first is not None:
            gains.append(f"{fmt(a.vs_first.improvement_abs, True)} over the first job")
        if a.vs_median is not None:
            gains.append(f"{fmt(a.vs_median.improvement_abs, True)} over the median job")
        lines.append("gain         " + ", ".join(gains))
    lines.append(f"importance   {a.importance.method}" + ("" if a.importance.meaningful else
                                                         f": not meaningful ({a.importance.note or 'too few jobs'})"))
    if a.importance.meaningful:
        width = max((len(v.name) for v in a.importance.values), default=0)
        for v in a.importance.values:
            lines.append(f"             {v.name.ljust(width)}  {v.importance:4.0%}  {'#' * round(v.importance * _BAR)}")
    c = a.convergence
    lines.append(f"convergence  {c.verdict}" + (f" ({c.jobs_since_last_improvement} job(s) since the last improvement)"
                                                 if a.best is not None else ""))
    if a.boundaries:
        for bd in a.boundaries:
            lines.append(f"boundary     {bd.name}: best {fmt(bd.best_value)} at the {bd.side} of "
                         f"[{fmt(bd.range[0])}, {fmt(bd.range[1])}] ({bd.scaling})"
                         + ("" if bd.at_domain_limit or bd.likely_chance else
                            f"; try [{fmt(bd.suggested_range[0])}, {fmt(bd.suggested_range[1])}]")
                         + ("; likely chance: it barely mattered" if bd.likely_chance else ""))
    else:
        lines.append("boundaries   no best value within 5% of a range's edge")
    for cat in a.categoricals:
        others = ", ".join(f"{s.value}: best {fmt(s.best)}" for s in cat.values if s.value != cat.winner)
        lines.append(f"categorical  {cat.name}: {cat.winner} won" + (f" ({others})" if others else ""))
    cost = a.cost
    cost_line = f"cost         {usd(cost.total_usd)} in total"
    if a.best is not None:
        cost_line += (f", {usd(cost.until_best_usd)} until the best, {usd(cost.to_99pct_gain_usd)} to 99% of the "
                      "gain over the first job")
        if cost.gain_per_usd is not None:
            cost_line += f", {fmt(cost.gain_per_usd)} {a.objective.metric} per $"
    lines.append(cost_line)
    if cost.cheapest_near_best is not None and a.best is not None:
        near = cost.cheapest_near_best
        lines.append(f"             cheapest within 1% of the best: {near.training_job} ({fmt(near.value)}, "
                     f"{usd(near.cost_usd)})")
    if cost.unpriced_jobs or cost.estimated_jobs:
        lines.append(f"             {cost.unpriced_jobs} job(s) without a known price, {cost.estimated_jobs} with "
                     "billable time estimated from start and end")
    if a.failures:
        for f in a.failures:
            lines.append(f"failures     {f.count} {f.status}: {f.reason}")
    else:
        lines.append("failures     none")
    if a.no_objective is not None:
        lines.append(f"no objective {len(a.no_objective.jobs)} job(s): {a.no_objective.diagnosis}")
    if a.recommendations:
        lines.append("recommendations")
        lines.extend(f"  - {r}" for r in a.recommendations)
    for note in a.notes:
        lines.append(f"note         {note}")
    if nxt is not None and nxt.changes:
        lines.append("next spec")
        lines.extend(f"  - {path}: {why}" for path, why in nxt.changes.items())
    written = [f"{label} {path}" for label, path in (("report", a.artifacts.report_html),
                                                      ("next spec", a.artifacts.next_spec)) if path]
    if written:
        lines.append("wrote        " + ", ".join(written))
    return "\n".join(lines)
