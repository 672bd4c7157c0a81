"""``tunepilot import (TUNING_JOB_NAME | REQUEST.json) [-o spec.yaml]``: a TunePilot spec from an AMT job.

A name is described with DescribeHyperParameterTuningJob (read-only); a ``.json`` file holds a
CreateHyperParameterTuningJob request (what ``aws sagemaker create-hyper-parameter-tuning-job
--cli-input-json`` takes) or a saved describe response. Fields the spec cannot express are named
on stderr and in a comment at the top of the spec.

Exit codes: 0 written (warnings allowed); 1 the request cannot become a valid spec; 2 usage, I/O or
AWS errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from tunepilot_cli.aws import CliAwsError, check_job_name, describe_tuning_job, use_region

MAX_REQUEST_BYTES = 1024 * 1024
_DURATIONS = (("limits", "max_runtime"), ("limits", "max_tuning_runtime"), ("resources", "spot", "max_wait"))


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="write a TunePilot spec from a tuning job or a CreateHyperParameterTuningJob "
                                      "request")
    p.add_argument("source", metavar="TUNING_JOB_NAME|REQUEST.json")
    p.add_argument("-o", "--output", metavar="SPEC.yaml", help="write the spec here (default: stdout)")
    p.add_argument("--region", help="the job's region, when SOURCE is a job name")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    try:
        return _import(args)
    except Exception as e:  # the last guard: a one-line message, never a traceback
        print(f"tunepilot import: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


def _import(args: argparse.Namespace) -> int:
    from tunepilot.compile.importer import ImportFailed, spec_from_request
    from tunepilot.spec.load import validate_bytes

    try:
        request, source = _read_source(args.source, args.region)
    except CliAwsError as e:
        print(f"tunepilot import: {e}", file=sys.stderr)
        return 2
    try:
        imported = spec_from_request(request)
    except (ImportFailed, KeyError, TypeError, ValueError) as e:
        print(f"tunepilot import: {source}: cannot become a TunePilot spec: {e}", file=sys.stderr)
        return 1
    text = render(imported.spec, source, imported.warnings, imported.notes)
    result = validate_bytes(text.encode(), filename=args.output or "spec.yaml")
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            print(f"tunepilot import: {args.output}: cannot write ({e.strerror or e})", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    if not result.valid:
        for p in result.errors:
            print(f"{p.path}: {p.message}" + (f" (line {p.line})" if p.line else ""), file=sys.stderr)
        print(f"tunepilot import: the spec from {source} does not validate; fix the fields above", file=sys.stderr)
        return 1
    if args.output:
        print(f"wrote {args.output} from {source}" + (f" ({len(imported.warnings)} warning(s))"
                                                      if imported.warnings else ""), file=sys.stderr)
    return 0


def _read_source(source: str, region: str | None) -> tuple[dict[str, Any], str]:
    path = Path(source)
    if source.endswith(".json") or path.exists():
        try:
            with path.open("rb") as f:
                data = f.read(MAX_REQUEST_BYTES + 1)
        except FileNotFoundError:
            raise CliAwsError(f"{source}: no such file") from None
        except OSError as e:
            raise CliAwsError(f"{source}: cannot read ({e.strerror or e})") from None
        if len(data) > MAX_REQUEST_BYTES:
            raise CliAwsError(f"{source}: larger than {MAX_REQUEST_BYTES} bytes; not a tuning job request")
        try:
            request = json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise CliAwsError(f"{source}: not JSON ({e})") from None
        if not isinstance(request, dict):
            raise CliAwsError(f"{source}: a JSON object (a CreateHyperParameterTuningJob request) is needed")
        return request, source
    check_job_name(source)
    use_region(region)
    return describe_tuning_job(source), f"tuning job {source}"


def render(spec: dict[str, Any], source: str, warnings: list[str], notes: list[str]) -> str:
    """The spec as YAML (``yaml.safe_dump``), durations written as people write them, with a header."""
    from tunepilot.spec.durations import format_duration

    data = json.loads(json.dumps(spec))
    for path in _DURATIONS:
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(path[-1]), int):
            node[path[-1]] = format_duration(node[path[-1]])
    header = [f"# Imported by `tunepilot import` from {source}."]
    if warnings:
        header.append("# Not carried over (the spec cannot express them):")
        header.extend(f"#   {w}" for w in warnings)
    header.extend(f"# Note: {n}" for n in notes)
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body
