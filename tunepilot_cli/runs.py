"""``submit``, ``watch`` and ``report``: the same run, on a stack deployed to AWS (or the local cloud).

The stack is found by name through CloudFormation outputs; ``AWS_ENDPOINT_URL`` points every
command at the local cloud (`tunepilot local up`) instead of AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunepilot.runid import run_id_for

if TYPE_CHECKING:
    from tunepilot_ui.source import StackSource


def register(sub: argparse._SubParsersAction) -> None:
    submit = sub.add_parser("submit", help="validate a spec, upload it to the stack's bucket and (optionally) watch")
    submit.add_argument("spec", type=Path)
    submit.add_argument("--stack", required=True, help="the CloudFormation stack name of TunePilot")
    submit.add_argument("--watch", action="store_true", help="follow the run until it ends")
    submit.add_argument("--interval", type=float, default=5.0, help="seconds between looks while watching")
    submit.set_defaults(func=_submit)

    watch = sub.add_parser("watch", help="follow the run of an uploaded spec until it ends")
    watch.add_argument("key", help="the spec's key in the bucket, e.g. specs/demo.yaml")
    watch.add_argument("--stack", required=True)
    watch.add_argument("--version-id", default=None)
    watch.add_argument("--timeout", type=float, default=24 * 3600)
    watch.add_argument("--interval", type=float, default=5.0, help="seconds between looks")
    watch.set_defaults(func=_watch)

    report = sub.add_parser("report", help="print runs/<run-id>/result.json (or validation.json) of a run")
    report.add_argument("run_id")
    report.add_argument("--stack", required=True)
    report.add_argument("--html", metavar="FILE", type=Path, help="also save the run's report.html here")
    report.set_defaults(func=_report)


def _stack(name: str) -> StackSource | None:
    """The stack found by name through its CloudFormation outputs (one reader, shared with the run page)."""
    from tunepilot_ui.source import SourceError, StackSource

    try:
        return StackSource(name)
    except SourceError as e:
        print(f"tunepilot: {e}", file=sys.stderr)
        return None


def _submit(args: argparse.Namespace) -> int:
    from tunepilot.spec.load import validate_bytes

    try:
        body = args.spec.read_bytes()
    except OSError as e:
        print(f"tunepilot: {e}", file=sys.stderr)
        return 2
    result = validate_bytes(body, filename=args.spec.name)
    if not result.valid:
        for p in result.errors:
            print(p.describe(str(args.spec)), file=sys.stderr)
        return 1
    stack = _stack(args.stack)
    if stack is None:
        return 2
    key = f"specs/{args.spec.name}"
    put = stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=body)
    run_id = run_id_for(stack.bucket, key, put.get("VersionId") or put["ETag"].strip('"'))
    print(f"uploaded s3://{stack.bucket}/{key}\nrun {run_id}")
    return _follow(stack, key, put.get("VersionId"), 24 * 3600, args.interval) if args.watch else 0


def _watch(args: argparse.Namespace) -> int:
    stack = _stack(args.stack)
    return 2 if stack is None else _follow(stack, args.key, args.version_id, args.timeout, args.interval)


def _follow(stack: StackSource, key: str, version_id: str | None, timeout: float, interval: float) -> int:
    from tunepilot_cli.watch import RunWatcher
    from tunepilot_ui.commands import live_display  # on a TTY, a live panel; otherwise the same plain lines

    with live_display(stack, key=key, version_id=version_id, interval=interval) as say:
        watcher = RunWatcher(stack, key, version_id, say)
        status = watcher.follow(time.monotonic(), timeout, interval)
    print(f"execution {watcher.execution_arn}: {status}")
    if status != "SUCCEEDED" and watcher.failure_cause():
        print(watcher.failure_cause())
    return 0 if status == "SUCCEEDED" else 1


def _report(args: argparse.Namespace) -> int:
    from tunepilot.aws.runs_store import run_object_key

    stack = _stack(args.stack)
    if stack is None:
        return 2
    s3 = stack.client("s3")
    code = 1
    for name in ("result.json", "validation.json"):
        try:
            body = s3.get_object(Bucket=stack.bucket, Key=run_object_key(args.run_id, name))["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        print(json.dumps(json.loads(body), indent=2))
        code = 0
        break
    else:
        print(f"tunepilot: run {args.run_id} has no result.json or validation.json yet", file=sys.stderr)
    if args.html is not None:
        return max(code, _save_report(s3, stack.bucket, args.run_id, args.html))
    return code


def _save_report(s3: Any, bucket: str, run_id: str, path: Path) -> int:
    """Save runs/<run-id>/report.html to ``path``: 0 saved, 1 not there (yet), 2 cannot write."""
    from tunepilot.aws.runs_store import run_object_key

    key = run_object_key(run_id, "report.html")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        print(f"tunepilot: run {run_id} has no report.html (yet): the analysis writes it when the tuning job "
              "ends", file=sys.stderr)
        return 1
    try:
        path.write_bytes(body)
    except OSError as e:
        print(f"tunepilot: {path}: cannot write ({e.strerror or e})", file=sys.stderr)
        return 2
    print(f"saved s3://{bucket}/{key} to {path}", file=sys.stderr)
    return 0
