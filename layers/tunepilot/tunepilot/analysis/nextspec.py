"""``next-spec.yaml``: the next run, written from this one's analysis. Pure.

Starting from the run's own spec, it warm-starts from this tuning job (IdenticalDataAndAlgorithm),
widens every range whose best value hit a boundary, narrows the important ranges around the best
jobs, moves hyperparameters that did not matter into static at the best job's value, and replaces
an objective regex that never matched with the metric guard's suggestion. Each change carries a
YAML comment that says why. The result is checked with the same validator as ``tunepilot validate``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tunepilot.analysis import scaling
from tunepilot.analysis.analyze import MetricSuggestion
from tunepilot.analysis.model import Analysis
from tunepilot.analysis.recommend import UNIMPORTANT, fmt, unimportant
from tunepilot.analysis.trials import ParamRange, TuningJob, hyperparameter_value
from tunepilot.spec.load import ValidationResult, validate_bytes
from tunepilot.spec.models import TuningSpec

MAX_PARENTS = 5  # AMT warm-starts from at most 5 parents
TOP_SHARE = 0.1  # "the best jobs": the top 10%, at least 3
_DURATIONS = ("limits.max_runtime", "limits.max_tuning_runtime", "resources.spot.max_wait", "budget.max_wall_clock")


@dataclass
class NextSpec:
    text: str
    changes: dict[str, str] = field(default_factory=dict)  # dotted path -> why
    problems: list[str] = field(default_factory=list)  # what `tunepilot validate` says (empty when valid)

    @property
    def valid(self) -> bool:
        return not self.problems


def next_spec(spec: TuningSpec, analysis: Analysis, job: TuningJob,
              suggestion: MetricSuggestion | None = None) -> NextSpec:
    data = spec.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    for path in _DURATIONS:
        _set_if_present(data, path, _human)
    changes: dict[str, str] = {}
    _warm_start(data, spec, job, changes)
    ranges = data.setdefault("hyperparameters", {}).setdefault("ranges", {})
    static = data["hyperparameters"].setdefault("static", {})
    edged = {b.name for b in analysis.boundaries if not b.at_domain_limit and not b.likely_chance}
    for b in analysis.boundaries:
        if b.name in edged and b.name in ranges:
            ranges[b.name]["min"], ranges[b.name]["max"] = _number(b.suggested_range[0]), _number(b.suggested_range[1])
            changes[f"hyperparameters.ranges.{b.name}"] = (
                f"widened from [{fmt(b.range[0])}, {fmt(b.range[1])}]: the best value {fmt(b.best_value)} sat within "
                f"5% of the {b.side} ({b.scaling} scale)")
    _narrow(ranges, analysis, job, edged, changes)
    _to_static(ranges, static, analysis, edged, changes)
    _fix_regex(data, spec, suggestion, changes)
    text = _render(data, changes, analysis)
    result: ValidationResult = validate_bytes(text.encode(), filename="next-spec.yaml")
    return NextSpec(text=text, changes=changes, problems=[f"{p.path}: {p.message}" for p in result.errors])


def _warm_start(data: dict[str, Any], spec: TuningSpec, job: TuningJob, changes: dict[str, str]) -> None:
    earlier = [p for p in (spec.warm_start.parents if spec.warm_start else []) if p != job.name]
    parents = [job.name, *earlier][:MAX_PARENTS]
    data["warm_start"] = {"type": "IdenticalDataAndAlgorithm", "parents": parents}
    changes["warm_start"] = (f"learn from {job.name}'s {len(job.trials)} training job(s): same data and algorithm, "
                             "so AMT reuses them as prior evaluations")


def _best_jobs(analysis: Analysis, job: TuningJob) -> list[dict[str, str]]:
    scored = sorted((t for t in job.trials if t.scored), key=lambda t: -analysis.objective.sign * (t.objective or 0.0))
    count = max(3, math.ceil(TOP_SHARE * len(scored)))
    return [t.hyperparameters for t in scored[:count]]


def _narrow(ranges: dict[str, Any], analysis: Analysis, job: TuningJob, edged: set[str],
            changes: dict[str, str]) -> None:
    if not analysis.importance.meaningful:
        return
    share = 1.0 / max(len(analysis.importance.values), 1)
    best_jobs = _best_jobs(analysis, job)
    for item in analysis.importance.values:
        r = job.range(item.name)
        if item.importance < share or r is None or not r.numeric or item.name in edged or item.name not in ranges:
            continue
        values = [float(p[item.name]) for p in best_jobs if _is_number(p.get(item.name))]
        narrowed = scaling.narrowed(r, values) if values else None
        if narrowed is None:
            continue
        ranges[item.name]["min"], ranges[item.name]["max"] = _number(narrowed[0]), _number(narrowed[1])
        changes[f"hyperparameters.ranges.{item.name}"] = (
            f"narrowed from [{fmt(r.min)}, {fmt(r.max)}] around the best {len(best_jobs)} jobs: it mattered most "
            f"({item.importance:.0%} of the importance)" if item is analysis.importance.values[0] else
            f"narrowed from [{fmt(r.min)}, {fmt(r.max)}] around the best {len(best_jobs)} jobs: "
            f"{item.importance:.0%} of the importance")


def _to_static(ranges: dict[str, Any], static: dict[str, Any], analysis: Analysis, edged: set[str],
               changes: dict[str, str]) -> None:
    if analysis.best is None:
        return
    importance = {v.name: v.importance for v in analysis.importance.values}
    for name in unimportant(analysis):
        if len(ranges) <= 1 or name in edged or name not in ranges or name not in analysis.best.hyperparameters:
            continue
        del ranges[name]
        static[name] = hyperparameter_value(analysis.best.hyperparameters[name])
        changes[f"hyperparameters.static.{name}"] = (
            f"moved from ranges to static at the best job's value: {importance[name]:.1%} of the importance "
            f"(under {UNIMPORTANT:.0%})")


def _fix_regex(data: dict[str, Any], spec: TuningSpec, suggestion: MetricSuggestion | None,
               changes: dict[str, str]) -> None:
    if suggestion is None or not suggestion.suggested_regex:
        return
    kind = spec.algorithm.kind
    definitions = data.get("algorithm", {}).get(kind, {}).get("metric_definitions")
    if not definitions:
        return
    for i, definition in enumerate(definitions):
        if definition.get("name") == suggestion.metric and definition.get("regex") != suggestion.suggested_regex:
            old = definition.get("regex")
            definition["regex"] = suggestion.suggested_regex
            definition["examples"] = [suggestion.example] if suggestion.example else []
            if not definition["examples"]:
                del definition["examples"]
            changes[f"algorithm.{kind}.metric_definitions[{i}]"] = (
                f"regex for {suggestion.metric} replaced by the metric guard's suggestion: `{old}` never matched "
                "the training log")


# ---------------------------------------------------------------------------------- YAML with comments
def _render(data: dict[str, Any], changes: dict[str, str], analysis: Analysis) -> str:
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    lines = [
        f"# The next run after tuning job {analysis.tuning_job_name}, written by TunePilot's analysis.",
        f"# Convergence: {analysis.convergence.verdict}.",
    ]
    if analysis.best is not None:
        lines.append(f"# Best so far: {analysis.best.training_job} with {analysis.objective.metric} = "
                     f"{fmt(analysis.best.value)}.")
    lines.append("# Each change from the original spec has a comment above it that says why.")
    return "\n".join(lines) + "\n" + _annotate(body, changes)


_KEY = re.compile(r"^(?P<indent>\s*)(?P<dash>- )?(?P<key>[^\s#:'\"][^:]*|'[^']*'|\"[^\"]*\"):(?:\s|$)")


def _annotate(body: str, changes: dict[str, str]) -> str:
    """A comment line above every key whose dotted path was changed (list items count as ``key[i]``)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    list_index: dict[str, int] = {}
    for line in body.splitlines():
        match = _KEY.match(line)
        if match:
            indent = len(match.group("indent"))
            key = match.group("key").strip("'\"")
            if match.group("dash"):  # PyYAML puts a list's dashes at its key's indent
                while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and stack[-1][1].startswith("["))):
                    stack.pop()
                parent = ".".join(k for _, k in stack)
                list_index[parent] = list_index.get(parent, -1) + 1
                item_path = f"{parent}[{list_index[parent]}]"
                if item_path in changes:
                    out.append(f"{' ' * indent}# {changes[item_path]}")
                stack.append((indent, f"[{list_index[parent]}]"))
                indent += 2
            while stack and stack[-1][0] >= indent:
                stack.pop()
            path = ".".join(k for _, k in stack)
            path = f"{path}.{key}".lstrip(".").replace(".[", "[")
            stack.append((indent, key))
            if path in changes:
                out.append(f"{' ' * indent}# {changes[path]}")
        out.append(line)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------- helpers
def _set_if_present(data: dict[str, Any], path: str, change: Any) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and last in node:
        node[last] = change(node[last])


def _human(seconds: Any) -> Any:
    """600 -> "10m", 7200 -> "2h", 5400 -> "1h30m": the spec's own duration format."""
    if not isinstance(seconds, int) or seconds <= 0:
        return seconds
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _is_number(text: Any) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


__all__ = ["NextSpec", "ParamRange", "next_spec"]
