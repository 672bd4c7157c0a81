"""``tunepilot validate | compile | schema | estimate``: work on a spec file, offline."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from tunepilot.spec.load import ValidationResult, validate_bytes
from tunepilot.spec.parse import MAX_SPEC_BYTES

from tunepilot_cli.aws import CliAwsError

# Read a little past the spec limit so an oversized file is reported as such, not truncated.
_READ_LIMIT = MAX_SPEC_BYTES + 1


class _Unreadable(Exception):
    pass


def register(subparsers: Any) -> None:
    validate = subparsers.add_parser("validate", help="check a tuning spec and list every problem")
    validate.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON)")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.add_argument(
        "--allowed-role", action="append", default=[], metavar="ARN", help="a role the spec may use (repeatable)"
    )
    validate.set_defaults(func=cmd_validate)

    compile_ = subparsers.add_parser("compile", help="print the CreateHyperParameterTuningJob request for a spec")
    compile_.add_argument("spec", metavar="SPEC")
    compile_.add_argument("--run-id", help="run id to tag and name the job with (default: derived from the file)")
    compile_.add_argument("--region", default="us-east-1", help="region for built-in image URIs")
    compile_.set_defaults(func=cmd_compile)

    schema = subparsers.add_parser("schema", help="print the spec's JSON Schema (for editors)")
    schema.set_defaults(func=cmd_schema)

    estimate = subparsers.add_parser("estimate", help="worst-case and expected cost and wall time of a spec")
    estimate.add_argument("spec", metavar="SPEC")
    estimate.add_argument("--json", action="store_true", help="print the estimate as JSON")
    estimate.add_argument("--like", metavar="TUNING_JOB",
                          help="learn job durations from this tuning job (default: the spec's warm-start parents)")
    estimate.add_argument("--region", help="region of --like or the warm-start parents (default: AWS configuration)")
    estimate.set_defaults(func=cmd_estimate)


def _read(path: str) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise _Unreadable(f"{path}: is a directory, not a spec file")
    try:
        with p.open("rb") as f:
            return f.read(_READ_LIMIT)
    except FileNotFoundError:
        raise _Unreadable(f"{path}: no such file") from None
    except OSError as e:
        raise _Unreadable(f"{path}: cannot read ({e.strerror or e})") from None


def _load(path: str, allowed_roles: list[str] | None = None) -> tuple[bytes, ValidationResult]:
    data = _read(path)
    return data, validate_bytes(data, filename=path, allowed_roles=allowed_roles or ())


def _print_problems(result: ValidationResult, spec_path: str, stream: Any) -> None:
    for problem in result.errors:
        print(problem.describe(spec_path), file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        _, result = _load(args.spec, args.allowed_role)
    except _Unreadable as e:
        print(e, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0 if result.valid else 1
    for problem in result.warnings:
        print(f"warning: {problem.describe(args.spec)}")
    if not result.valid:
        _print_problems(result, args.spec, sys.stdout)
        print(f"{args.spec}: invalid ({len(result.errors)} problem{'s' if len(result.errors) != 1 else ''})")
        return 1
    print(f"{args.spec}: valid")
    return 0


def _valid_spec(path: str) -> tuple[bytes, Any] | int:
    """The file's bytes and its valid spec, or the exit code after saying what is wrong."""
    try:
        data, result = _load(path)
    except _Unreadable as e:
        print(e, file=sys.stderr)
        return 2
    if not result.valid or result.spec is None:
        _print_problems(result, path, sys.stderr)
        return 1
    return data, result.spec


def cmd_compile(args: argparse.Namespace) -> int:
    from tunepilot.compile.request import compile_request
    from tunepilot.runid import run_id_for, tuning_job_name

    loaded = _valid_spec(args.spec)
    if isinstance(loaded, int):
        return loaded
    data, spec = loaded
    run_id = args.run_id or run_id_for("local", args.spec, hashlib.sha256(data).hexdigest())
    try:
        name = tuning_job_name(run_id, spec.name)
    except ValueError:
        print(f"--run-id {run_id!r} must look like <name>-<hex digest>", file=sys.stderr)
        return 2
    request = compile_request(spec, tuning_job_name=name, run_id=run_id, region=args.region)
    print(json.dumps(request, indent=2))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from tunepilot.spec.models import TuningSpec

    print(json.dumps(TuningSpec.model_json_schema(), indent=2))
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from tunepilot.compile.estimate import estimate

    from tunepilot_cli.aws import CliAwsError

    loaded = _valid_spec(args.spec)
    if isinstance(loaded, int):
        return loaded
    try:
        history = _history(loaded[1], args.like, args.region)
    except CliAwsError as e:
        print(f"tunepilot estimate: {e}", file=sys.stderr)
        return 2
    est = estimate(loaded[1], history)
    if args.json:
        print(json.dumps(est.to_json(), indent=2))
        return 0
    print(_estimate_table(est))
    return 0


# Warm-start parents are read on the way, not asked for: a few quick attempts, then the guess.
_PARENT_ATTEMPTS = 2


def _history(spec: Any, like: str | None, region: str | None) -> Any:
    """Job durations of ``--like`` (its errors are the command's) or of the warm-start parents (theirs are
    said in the estimate's assumptions); None when there is neither."""
    from tunepilot.compile.estimate import history_from_summaries

    from tunepilot_cli.aws import check_job_name, training_job_summaries, use_region

    if like is not None:
        check_job_name(like)
        use_region(region)
        return history_from_summaries(f"--like {like}", training_job_summaries(like))
    parents = list(spec.warm_start.parents) if spec.warm_start else []
    if not parents:
        return None
    source = f"warm-start parent{'s' if len(parents) > 1 else ''} {', '.join(parents)}"
    summaries: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        use_region(region, attempts=_PARENT_ATTEMPTS)
        for parent in parents:
            try:
                summaries.extend(training_job_summaries(parent, retries=1))
            except CliAwsError as e:
                problems.append(str(e))
                if "not found" not in str(e):  # AWS unreachable or refusing: the next parent would fare no better
                    break
    except CliAwsError as e:
        problems.append(str(e))
    return history_from_summaries(source, summaries, problems)


def _estimate_table(est: Any) -> str:
    from tunepilot.spec.durations import format_duration

    def usd(value: float | None) -> str:
        return "unknown" if value is None else f"${value:,.2f}"

    price = "unknown (add it under budget.prices)" if est.usd_per_hour is None else f"${est.usd_per_hour:g}/h"
    rows = [
        ("", "worst case", "expected"),
        ("cost", usd(est.worst_cost_usd), usd(est.expected_cost_usd)),
        ("wall time", format_duration(est.worst_wall_seconds), format_duration(est.expected_wall_seconds)),
        ("training jobs", str(est.max_jobs), str(est.expected_jobs)),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append(f"{est.instance_count} x {est.instance_type} at {price}, {est.max_parallel_jobs} job(s) at a time")
    if est.budget_usd is not None:
        lines.append(f"budget: {usd(est.budget_usd)}")
    lines.append("expected assumes: " + "; ".join(est.assumptions))
    return "\n".join(lines)
