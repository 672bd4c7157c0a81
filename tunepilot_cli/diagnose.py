"""``tunepilot diagnose-log``: would these metric regexes read this training log, and if not, why?

The log may be as CloudWatch stores it (tabs as ``#011``), as a notebook prints it (real
tabs, ANSI colours, ``\\r`` progress bars), or the JSON of ``aws logs filter-log-events``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tunepilot.metrics.alert import yaml_single_quoted
from tunepilot.metrics.diagnose import MetricReport, diagnose, unusable_regex
from tunepilot.metrics.normalize import split_lines
from tunepilot.spec.load import validate_bytes
from tunepilot.spec.models import TuningSpec

EXIT_ALL_MATCHED, EXIT_UNMATCHED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with the message."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnose-log",
        help="check metric regexes against a training log and explain misses",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logfile", metavar="LOGFILE", help="a training log: CloudWatch text, notebook output or JSON")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--spec", metavar="SPEC", help="use the spec's effective metric definitions")
    source.add_argument(
        "--metric", metavar="NAME=REGEX", action="append", help="a metric definition; repeat for several"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        definitions = _definitions_from_spec(args.spec) if args.spec else _definitions_from_args(args.metric)
        lines = read_log(Path(args.logfile))
    except UsageError as e:
        print(f"tunepilot diagnose-log: {e}", file=sys.stderr)
        return EXIT_USAGE
    reports = [diagnose(name, regex, lines) for name, regex in definitions]
    all_matched = all(r.matched for r in reports)
    if args.json:
        print(json.dumps(to_json(reports), indent=2))
    else:
        print("\n\n".join(render(r) for r in reports))
    return EXIT_ALL_MATCHED if all_matched else EXIT_UNMATCHED


def read_log(path: Path) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from e
    messages = _cloudwatch_json_messages(text)
    return [line for message in (messages if messages is not None else [text]) for line in split_lines(message)]


def _cloudwatch_json_messages(text: str) -> list[str] | None:
    """The messages of an ``aws logs filter-log-events``/``get-log-events`` dump, else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        return None
    return [str(e.get("message", "")) for e in events if isinstance(e, dict)]


def _definitions_from_args(metrics: list[str]) -> list[tuple[str, str]]:
    definitions = []
    for item in metrics:
        name, sep, regex = item.partition("=")
        if not sep or not name.strip() or not regex:
            raise UsageError(f"--metric takes NAME=REGEX, got {item!r}")
        _reject_broken(name.strip(), regex)
        definitions.append((name.strip(), regex))
    return definitions


def _reject_broken(name: str, regex: str) -> None:
    problem = unusable_regex(name, regex)
    if problem:
        raise UsageError(problem)


def _definitions_from_spec(spec_path: str) -> list[tuple[str, str]]:
    try:
        data = Path(spec_path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {spec_path}: {e.strerror or e}") from e
    result = validate_bytes(data)
    if result.errors or result.spec is None:
        raise UsageError(f"{spec_path} is not a valid spec: " + "; ".join(map(str, result.errors)))
    spec = result.spec
    definitions = [(d["Name"], d["Regex"]) for d in spec.metric_definitions()]
    return _relevant(spec, definitions)


def _relevant(spec: TuningSpec, definitions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A built-in algorithm defines dozens of metrics but prints only those it computes:
    keep the objective first, and for built-ins, drop the others (they cannot be wrong)."""
    objective = spec.objective.metric
    ordered = sorted(definitions, key=lambda d: d[0] != objective)
    return [d for d in ordered if d[0] == objective] if spec.algorithm.builtin and objective else ordered


def to_json(reports: list[MetricReport]) -> dict[str, Any]:
    keys = ("name", "regex", "matched", "match_count", "last_value", "near_misses", "suggested_regex", "diagnosis")
    return {
        "all_matched": all(r.matched for r in reports),
        "metrics": [{k: _json_safe(getattr(r, k)) for k in keys} for r in reports],
    }


def _json_safe(value: Any) -> Any:
    # json.dumps would write NaN, which is not JSON; a diverged metric's last value can be nan.
    return str(value) if isinstance(value, float) and value != value else value


def render(report: MetricReport) -> str:
    status = f"matched {report.match_count} line(s)" if report.matched else "NOT MATCHED"
    last = f", last value {report.last_value}" if report.last_value is not None else ""
    out = [f"{report.name}: {status}{last}", f"  regex:      {report.regex}"]
    if report.diagnosis:
        out.append(f"  diagnosis:  {report.diagnosis}")
    if report.near_misses:
        out.append("  near misses (as CloudWatch stores them):")
        out += [f"    {line}" for line in report.near_misses]
    if report.suggested_regex:
        out.append(f"  suggested:  {yaml_single_quoted(report.suggested_regex)}   (as written in YAML, single-quoted)")
    return "\n".join(out)
