"""Rules that relate spec fields to each other and to AMT's limits.

Each rule declares the top-level sections it reads and runs whenever those sections are
well-formed, even if another part of the spec is broken: the author sees every problem in one go.
A rule yields ``Finding``s: errors make the spec invalid, warnings do not.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

from tunepilot.metrics.lint import lint_metric_definition
from tunepilot.pricing import hourly_price, job_cost
from tunepilot.spec import checks, service_limits
from tunepilot.spec.allowlist import AllowList, endpoint_name_problem, image_problem
from tunepilot.spec.builtins import BUILTIN_ALGORITHMS
from tunepilot.spec.durations import format_duration
from tunepilot.spec.models import Algorithm, MetricDefinition, ParameterRange, grid_size, hyperparameter_text

# AMT's documented limits. Field patterns, enums, lengths and counts come from botocore's service
# model instead (tunepilot.spec.service_limits).
MAX_RANGES = 30
MAX_TRAINING_RUNTIME_S = 28 * 86400
SCRIPT_MODE_RESERVED = ("sagemaker_program", "sagemaker_submit_directory")


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning"]
    path: str
    message: str


Rule = Callable[[Any, "Context"], Iterator[Finding]]
_RULES: list[tuple[tuple[str, ...], Rule]] = []


@dataclass(frozen=True)
class Context:
    allowed_roles: tuple[str, ...]
    allow: AllowList = AllowList()  # noqa: RUF009 - frozen, so one shared default is safe


def rule(*sections: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES.append((sections, fn))
        return fn

    return register


def run_rules(sections: dict[str, Any], context: Context) -> list[Finding]:
    """Run every rule whose sections are present and well-formed (absent optional sections are None)."""
    view = SimpleNamespace(**sections)
    findings: list[Finding] = []
    for needs, fn in _RULES:
        if all(name in sections for name in needs):
            findings.extend(fn(view, context))
    return findings


def error(path: str, message: str) -> Finding:
    return Finding("error", path, message)


def warning(path: str, message: str) -> Finding:
    return Finding("warning", path, message)


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- search space -------------------------------------------------------------------------


@rule("hyperparameters")
def ranges_are_well_formed(s: Any, _: Context) -> Iterator[Finding]:
    ranges: dict[str, ParameterRange] = s.hyperparameters.ranges
    if len(ranges) > MAX_RANGES:
        yield error("hyperparameters.ranges", f"{len(ranges)} ranges; AMT tunes at most {MAX_RANGES} hyperparameters")
    for name, r in ranges.items():
        yield from _range_findings(f"hyperparameters.ranges.{name}", r)


def _range_findings(path: str, r: ParameterRange) -> Iterator[Finding]:
    if not r.is_numeric():
        if r.min is not None or r.max is not None:
            yield error(path, "a categorical range takes values, not min/max")
        values = r.values or []
        if not values:
            yield error(f"{path}.values", "a categorical range needs at least one value")
        seen: set[str] = set()
        for value in values:
            text = hyperparameter_text(value)
            if text in seen:
                yield error(f"{path}.values", f"value {text!r} appears more than once")
            seen.add(text)
        return
    if r.values is not None:
        yield error(f"{path}.values", f"an {r.type} range takes min and max, not values")
    if r.min is None:
        yield error(f"{path}.min", f"an {r.type} range needs min")
    if r.max is None:
        yield error(f"{path}.max", f"an {r.type} range needs max")
    if r.min is None or r.max is None:
        return
    if r.type == "integer":
        for bound in ("min", "max"):
            value = getattr(r, bound)
            if not float(value).is_integer():
                yield error(f"{path}.{bound}", f"an integer range needs whole-number bounds, got {_fmt(value)}")
    if r.min >= r.max:
        yield error(f"{path}.min", f"min ({_fmt(r.min)}) must be less than max ({_fmt(r.max)})")
    if r.scaling == "Logarithmic" and r.min <= 0:
        yield error(f"{path}.min", f"Logarithmic scaling needs min > 0, got {_fmt(r.min)}")
    if r.scaling == "ReverseLogarithmic":
        if r.type != "continuous":
            yield error(f"{path}.scaling", "ReverseLogarithmic scaling works only for continuous ranges")
        elif not (r.min >= 0 and r.max < 1):
            yield error(f"{path}.scaling", "ReverseLogarithmic scaling needs 0 <= min and max < 1")


@rule("hyperparameters", "algorithm")
def static_values_fit(s: Any, _: Context) -> Iterator[Finding]:
    hp = s.hyperparameters
    for name in sorted(set(hp.ranges) & set(hp.static)):
        yield error(f"hyperparameters.static.{name}", f"'{name}' is both tuned (in ranges) and static; keep one")
    if s.algorithm.kind == "script":
        for name in SCRIPT_MODE_RESERVED:
            if name in hp.static or name in hp.ranges:
                yield error(f"hyperparameters.static.{name}", f"{name} is set from algorithm.script; remove it here")


@rule("strategy", "hyperparameters", "early_stopping", "limits")
def strategy_fits_the_search(s: Any, _: Context) -> Iterator[Finding]:
    kind, ranges = s.strategy.type, s.hyperparameters.ranges
    if not ranges:
        yield error("hyperparameters.ranges", "give at least one hyperparameter range to tune")
    if kind != "Hyperband" and s.strategy.hyperband is not None:
        yield error("strategy.hyperband", f"the hyperband block applies only to strategy Hyperband, not {kind}")
    if kind == "Hyperband":
        yield from _hyperband_findings(s)
    if kind == "Grid":
        yield from _grid_findings(ranges, s.limits.max_jobs)
    elif s.limits.max_jobs is None:
        yield error("limits.max_jobs", f"required for strategy {kind}")


def _hyperband_findings(s: Any) -> Iterator[Finding]:
    if s.early_stopping != "Off":
        yield error("early_stopping", "Hyperband stops jobs itself: set early_stopping to Off")
    hb = s.strategy.hyperband
    if hb is None:
        yield error("strategy.hyperband", "Hyperband needs hyperband: {min_resource, max_resource}")
    elif hb.min_resource >= hb.max_resource:
        yield error(
            "strategy.hyperband.min_resource",
            f"min_resource ({hb.min_resource}) must be less than max_resource ({hb.max_resource})",
        )


def _grid_findings(ranges: dict[str, ParameterRange], max_jobs: int | None) -> Iterator[Finding]:
    numeric = [name for name, r in ranges.items() if r.is_numeric()]
    for name in numeric:
        yield error(f"hyperparameters.ranges.{name}.type", "Grid search takes only categorical ranges")
    if numeric or not ranges:
        return
    size = grid_size(r.values or [] for r in ranges.values())
    if size == 0:
        return
    if max_jobs is not None and max_jobs < size:
        yield error(
            "limits.max_jobs",
            f"Grid runs every one of the {size} combinations; set max_jobs to {size} or leave it out "
            "(cap spending with budget instead)",
        )
    else:
        extra = f"; max_jobs ({max_jobs}) is more than it needs" if max_jobs and max_jobs > size else ""
        yield warning("strategy.type", f"Grid will run {size} training jobs, one per combination{extra}")


@rule("limits")
def limits_fit_amt(s: Any, _: Context) -> Iterator[Finding]:
    limits = s.limits
    if limits.max_jobs is not None and limits.max_parallel_jobs > limits.max_jobs:
        yield error(
            "limits.max_parallel_jobs",
            f"max_parallel_jobs ({limits.max_parallel_jobs}) cannot exceed max_jobs ({limits.max_jobs})",
        )
    if limits.max_runtime > MAX_TRAINING_RUNTIME_S:
        yield error("limits.max_runtime", f"{format_duration(limits.max_runtime)} is over SageMaker's 28 days")


@rule("warm_start")
def warm_start_parents(s: Any, _: Context) -> Iterator[Finding]:
    if s.warm_start is None:
        return
    parents = s.warm_start.parents
    if len(set(parents)) != len(parents):
        yield error("warm_start.parents", "a parent is listed twice")
    for i, parent in enumerate(parents):
        problem = checks.job_name_problem(parent, "parent")
        if problem:
            yield error(f"warm_start.parents[{i}]", problem)


# --- algorithm and metrics ------------------------------------------------------------------


@rule("algorithm")
def algorithm_is_usable(s: Any, _: Context) -> Iterator[Finding]:
    algorithm: Algorithm = s.algorithm
    if algorithm.builtin is not None:
        known = BUILTIN_ALGORITHMS.get(algorithm.builtin.name)
        if known is None:
            yield error("algorithm.builtin.name", f"unknown built-in algorithm; known: {', '.join(BUILTIN_ALGORITHMS)}")
        elif algorithm.builtin.version not in known.versions:
            versions = ", ".join(known.versions)
            yield error("algorithm.builtin.version", f"unknown {known.name} version; known: {versions}")
    if algorithm.image is not None and not checks.IMAGE_URI.match(algorithm.image.uri):
        yield error("algorithm.image.uri", f"'{algorithm.image.uri}' is not an image URI (registry/repository:tag)")
    if algorithm.script is not None:
        yield from _script_findings(algorithm)
    yield from _metric_definition_findings(algorithm)


def _script_findings(algorithm: Algorithm) -> Iterator[Finding]:
    script = algorithm.script
    assert script is not None
    if not checks.IMAGE_URI.match(script.framework_image):
        yield error("algorithm.script.framework_image", f"'{script.framework_image}' is not an image URI")
    if not script.source_dir.startswith("s3://"):
        yield error(
            "algorithm.script.source_dir",
            "must be an s3:// URI of a tar.gz; `tunepilot submit` uploads local folders",
        )
    else:
        problem = checks.s3_uri_problem(script.source_dir, need_key=True)
        if problem:
            yield error("algorithm.script.source_dir", problem)
        elif not script.source_dir.endswith(".tar.gz"):
            yield error("algorithm.script.source_dir", "must be an s3:// URI of a tar.gz (…/sources/train.tar.gz)")
    entry = script.entry_point
    if entry.startswith("/") or ".." in entry.split("/"):
        yield error("algorithm.script.entry_point", "give a path relative to source_dir, without '..'")


def _metric_definition_findings(algorithm: Algorithm) -> Iterator[Finding]:
    kind = algorithm.kind
    definitions: list[MetricDefinition] = algorithm.user_metric_definitions()
    known = BUILTIN_ALGORITHMS.get(algorithm.builtin.name) if algorithm.builtin else None
    base = f"algorithm.{kind}.metric_definitions"
    longest = service_limits.limit(service_limits.METRIC_REGEX).max  # longer ones are refused there
    seen: set[str] = set()
    for i, d in enumerate(definitions):
        path = f"{base}[{i}]"
        if d.name in seen:
            yield error(f"{path}.name", f"metric {d.name} is defined twice")
        seen.add(d.name)
        if known is not None and d.name in known.metric_names():
            yield warning(f"{path}.name", f"{d.name} is built in; your regex replaces the known one")
        if longest is not None and len(d.regex) > longest:
            continue
        lint = lint_metric_definition(d.name, d.regex, d.examples, known.sample_log_line if known else None)
        for message in lint.errors:
            yield error(f"{path}.regex", message)
        for message in lint.warnings:
            yield warning(f"{path}.regex", message)


@rule("objective", "algorithm")
def objective_is_reported(s: Any, _: Context) -> Iterator[Finding]:
    algorithm: Algorithm = s.algorithm
    names = [d.name for d in algorithm.user_metric_definitions()]
    known = BUILTIN_ALGORITHMS.get(algorithm.builtin.name) if algorithm.builtin else None
    if known is not None:
        names += known.metric_names()
    metric = s.objective.metric
    if metric in names:
        return
    close = difflib.get_close_matches(metric, names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    where = f"{known.name}'s metrics or " if known else ""
    yield error(
        "objective.metric",
        f"{metric} is not defined: add it to algorithm.{algorithm.kind}.metric_definitions"
        f" (it is in none of {where}the metric definitions){hint}",
    )


# --- resources, role, money ---------------------------------------------------------------


@rule("resources")
def resources_are_addressable(s: Any, _: Context) -> Iterator[Finding]:
    r = s.resources
    if not checks.INSTANCE_TYPE.match(r.instance_type):
        yield error(
            "resources.instance_type", f"'{r.instance_type}' is not a SageMaker instance type (ml.<family>.<size>)"
        )
    for name, channel in r.channels.items():
        if not checks.CHANNEL_NAME.match(name):
            yield error(f"resources.channels.{name}", "channel names are 1-64 letters, digits, '.', '-', '_'")
        problem = checks.s3_uri_problem(channel.s3_uri)
        if problem:
            yield error(f"resources.channels.{name}.s3_uri", problem)
    problem = checks.s3_uri_problem(r.output_path)
    if problem:
        yield error("resources.output_path", problem)
    if r.spot.checkpoint_s3_uri:
        problem = checks.s3_uri_problem(r.spot.checkpoint_s3_uri)
        if problem:
            yield error("resources.spot.checkpoint_s3_uri", problem)
    if not r.spot.enabled and (r.spot.max_wait or r.spot.checkpoint_s3_uri):
        yield warning("resources.spot", "spot settings are ignored while spot.enabled is false")
    for key in r.environment:
        if not checks.ENV_NAME.match(key):
            yield error(f"resources.environment.{key}", "not a valid environment variable name")
    yield from _tag_findings(r.tags)


def _tag_findings(tags: dict[str, str]) -> Iterator[Finding]:
    for key in tags:
        if key.lower().startswith(("aws:", "tunepilot:")):
            yield error(f"resources.tags.{key}", "tag keys starting with aws: or tunepilot: are reserved")


@rule("resources", "limits")
def spot_wait_covers_runtime(s: Any, _: Context) -> Iterator[Finding]:
    spot, runtime = s.resources.spot, s.limits.max_runtime
    if spot.enabled and spot.max_wait is not None and spot.max_wait < runtime:
        yield error(
            "resources.spot.max_wait",
            f"max_wait ({format_duration(spot.max_wait)}) must be at least limits.max_runtime "
            f"({format_duration(runtime)})",
        )


@rule("role_arn")
def role_is_allowed(s: Any, context: Context) -> Iterator[Finding]:
    problem = checks.role_arn_problem(s.role_arn, context.allowed_roles)
    if problem:
        yield error("role_arn", problem)


@rule("resources", "budget")
def instance_is_priced(s: Any, _: Context) -> Iterator[Finding]:
    instance = s.resources.instance_type
    overrides = s.budget.prices if s.budget else None
    if checks.INSTANCE_TYPE.match(instance) and hourly_price(instance, overrides) is None:
        yield warning(
            "resources.instance_type",
            f"no price known for {instance}: add it under budget.prices so costs can be estimated",
        )


@rule("budget", "resources", "limits", "strategy", "hyperparameters")
def budget_pays_for_jobs(s: Any, _: Context) -> Iterator[Finding]:
    if s.budget is None:
        return
    r, limits, budget = s.resources, s.limits, s.budget
    price = hourly_price(r.instance_type, budget.prices)
    if price is None:
        return
    one_job = job_cost(limits.max_runtime, price, r.instance_count)  # spot ignored: the worst case
    if one_job > budget.max_cost_usd:
        yield error(
            "budget.max_cost_usd",
            f"${budget.max_cost_usd:.2f} cannot pay for even one job: one job can cost up to ${one_job:.2f} "
            f"({format_duration(limits.max_runtime)} x {r.instance_count} x {r.instance_type} at ${price:g}/h)",
        )
        return
    jobs = limits.max_jobs
    if s.strategy.type == "Grid" and jobs is None:
        jobs = s.hyperparameters.grid_size()
    if jobs and one_job * jobs > budget.max_cost_usd:
        action = "stops the run" if budget.policy == "hard" else "alerts"
        yield warning(
            "budget.max_cost_usd",
            f"worst case for all {jobs} jobs is ${one_job * jobs:.2f}, over the ${budget.max_cost_usd:.2f} budget; "
            f"the budget guard {action} when spending gets there",
        )


# --- baseline and deploy -----------------------------------------------------------------


@rule("baseline", "deploy")
def baseline_and_deploy_agree(s: Any, _: Context) -> Iterator[Finding]:
    baseline, deploy = s.baseline, s.deploy
    if baseline is not None and baseline.endpoint and not (deploy and deploy.endpoint_name):
        yield error("baseline.endpoint", "an endpoint baseline needs deploy.endpoint_name")
    if baseline is not None and baseline.training_job is not None:
        problem = checks.job_name_problem(baseline.training_job, "training job")
        if problem:
            yield error("baseline.training_job", problem)
    if deploy is None:
        return
    if deploy.instance_type is not None and not checks.INSTANCE_TYPE.match(deploy.instance_type):
        yield error("deploy.instance_type", f"'{deploy.instance_type}' is not a SageMaker instance type")
    if deploy.enabled:
        for field in ("endpoint_name", "instance_type"):
            if getattr(deploy, field) is None:
                yield error(f"deploy.{field}", "required when deploy is enabled")
        if baseline is None and not deploy.deploy_without_baseline:
            yield warning("deploy", "no baseline and deploy_without_baseline is false: nothing will ever deploy")


# --- what the stack allows -----------------------------------------------------------------


@rule("algorithm")
def image_is_allowed(s: Any, context: Context) -> Iterator[Finding]:
    algorithm: Algorithm = s.algorithm
    images = {
        "algorithm.image.uri": algorithm.image.uri if algorithm.image else None,
        "algorithm.script.framework_image": algorithm.script.framework_image if algorithm.script else None,
    }
    for path, uri in images.items():
        problem = image_problem(uri, context.allow) if uri and checks.IMAGE_URI.match(uri) else None
        if problem:
            yield error(path, problem)


@rule("deploy")
def endpoint_is_allowed(s: Any, context: Context) -> Iterator[Finding]:
    name = s.deploy.endpoint_name if s.deploy and s.deploy.enabled else None
    problem = endpoint_name_problem(name, context.allow) if name and checks.ENDPOINT_NAME.match(name) else None
    if problem:
        yield error("deploy.endpoint_name", problem)
