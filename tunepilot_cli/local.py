"""tunepilot local run|up: the whole stack on this machine (moto server, real template, real training).

  tunepilot local run SPEC [--summary FILE] [--timeout 10m] [--keep]   one run, live progress, then a summary
  tunepilot local up                                                   the cloud in the foreground until Ctrl-C

Both serve the run page on 127.0.0.1 and print its URL (--port N, else a free port); `run --keep` keeps the
cloud and the page up after the run until Ctrl-C.

Needs the ``local`` extra (moto, aws-sam-cli, xgboost, scikit-learn). Exit codes: 0 the execution
SUCCEEDED, 1 it failed or timed out, 2 usage errors or a cloud that could not start.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tunepilot.spec.durations import parse_duration


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("local", help="run TunePilot in a local cloud (moto + real training)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="local_command", metavar="{run,up}")
    sub.required = True

    run = sub.add_parser("run", help="deploy locally, run one spec end to end, print a summary")
    run.add_argument("spec", metavar="SPEC", help="a tuning spec (YAML or JSON)")
    run.add_argument("--summary", metavar="FILE", help="also write the summary as JSON")
    run.add_argument("--timeout", default="10m", help="give up after this long (seconds or 90s/10m/1h; default 10m)")
    run.add_argument("--keep", action="store_true", help="keep the cloud and the run page up after the run (Ctrl-C)")
    _common(run)
    run.set_defaults(func=cmd_run)

    up = sub.add_parser("up", help="run the local cloud in the foreground until Ctrl-C")
    _common(up)
    up.set_defaults(func=cmd_up)


def _common(parser: argparse.ArgumentParser) -> None:
    from tunepilot_ui.commands import add_port_argument

    add_port_argument(parser)
    parser.add_argument("--template", default="template.yaml", help="the SAM template (default template.yaml)")
    parser.add_argument("--workdir", default=".tunepilot/local", help="where builds, models and logs are kept")
    parser.add_argument("--schedule-seconds", type=float, default=5.0,
                        help="fire scheduled rules (the reconciler) this often (default 5)")
    parser.add_argument("--max-parallel", type=int, default=None, help="cap on concurrent training processes")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply measured training time for billing and runtime limits (default 1)")


def _cloud(args: argparse.Namespace) -> Any:
    from tunepilot_local.cloud import LocalCloud

    template = Path(args.template)
    if not template.is_file():
        raise FileNotFoundError(f"no template at {template}")
    return LocalCloud(template, workdir=Path(args.workdir), schedule_seconds=args.schedule_seconds,
                      max_parallel=args.max_parallel, time_scale=args.time_scale, progress=_say)


def _say(line: str) -> None:
    print(line, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    spec = Path(args.spec)
    if not spec.is_file():
        print(f"error: no spec at {spec}", file=sys.stderr)
        return 2
    try:
        timeout = float(parse_duration(args.timeout))
    except (TypeError, ValueError) as error:
        print(f"error: --timeout: {error}", file=sys.stderr)
        return 2
    from tunepilot_ui.commands import live_display, wait_until_interrupted

    with _cloud_and_page(args) as started:
        if started is None:
            return 2
        cloud, page = started
        with live_display(page.source, key=f"specs/{spec.name}") as say:
            summary = cloud.run_spec(spec, timeout=timeout, progress=say)
        report = summary.to_json()
        report["cold_start_seconds"] = round(cloud.cold_start_seconds, 3)
        print_summary(report)
        if args.summary:
            path = Path(args.summary)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, indent=2, default=str) + "\n")
            print(f"summary written to {path}")
        print(f"run page   {page.url}runs/{summary.run_id}", flush=True)
        if args.keep:
            wait_until_interrupted("the local cloud and the run page stay up (Ctrl-C to stop)")
    return 0 if summary.succeeded else 1


@contextmanager
def _cloud_and_page(args: argparse.Namespace) -> Iterator[tuple[Any, Any] | None]:
    """The local cloud and its run page, closed together on the way out; None (after saying why) when
    either did not start. `local run` and `local up` share this lifecycle."""
    cloud = _start(args)
    page = _serve_page(cloud, args.port) if cloud is not None else None
    if cloud is None or page is None:
        yield None
        return
    try:
        yield cloud, page
    finally:
        page.close()
        cloud.close()


def _serve_page(cloud: Any, port: int) -> Any:
    """The run page on 127.0.0.1 (its URL printed), or None (and the cloud closed) when the port is taken."""
    from tunepilot_ui.commands import serve_local

    try:
        return serve_local(cloud, port)
    except OSError as error:
        print(f"error: cannot serve the run page on 127.0.0.1:{port}: {error}", file=sys.stderr)
        cloud.close()
        return None


def print_summary(report: dict[str, Any]) -> None:
    line = "-" * 72
    print(line)
    print(f"run {report.get('run_id')}: {report['status']}" + (f"  ({report['error']})" if report.get("error") else ""))
    best = report.get("best_training_job") or {}
    if best:
        print(f"best job   {best.get('name')}  objective {best.get('objective_value')}")
        for name, value in sorted((best.get("hyperparameters") or {}).items()):
            print(f"           {name} = {value}")
    print(f"jobs       {report.get('training_jobs')} training jobs in {report.get('tuning_job_name')}")
    print(f"baseline   {report.get('baseline_value')}  decision {json.dumps(report.get('decision'))}")
    print(f"deployed   {report.get('deployed')}  endpoint {report.get('endpoint_name')}")
    if report.get("sample_prediction"):
        print(f"prediction {json.dumps(report['sample_prediction'])}")
    print(f"spend      ${report.get('spend_usd')} of ${report.get('max_cost_usd')}  "
          f"stop reason {report.get('stop_reason')}")
    print(f"time       {report['wall_seconds']}s wall, {report['training_seconds']}s with training running, "
          f"{report['controller_seconds']}s controller; {report['state_transitions']} state transitions, "
          f"{sum(report['lambda_invocations'].values())} Lambda invocations")
    for alert in report.get("alerts") or []:
        print(f"alert      {alert['subject']}")
        for text in alert["message"].splitlines()[:6]:
            print(f"             {text}")
    for name, where in (report.get("artifacts") or {}).items():
        print(f"{name:<10} {where}")
    for finding in (report.get("analysis") or {}).get("findings") or []:
        print(f"finding    {finding}")
    if (report.get("artifacts") or {}).get("report_html"):
        print(f"report     {report['artifacts']['report_html']}")
    print(line)


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end `up` cleanly (a shell may have started us with SIGINT ignored)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _start(args: argparse.Namespace) -> Any:
    """The started local cloud, or None after saying why it did not start."""
    try:
        return _cloud(args).__enter__()
    except Exception as error:
        print(f"error: the local cloud did not start: {error}", file=sys.stderr)
        return None


def cmd_up(args: argparse.Namespace) -> int:
    _stop_on_signals()
    from tunepilot_ui.commands import wait_until_interrupted

    with _cloud_and_page(args) as started:
        if started is None:
            return 2
        cloud, page = started
        url = cloud.endpoint_url
        wait_until_interrupted(f"""
TunePilot local cloud is up (Ctrl-C to stop).
  endpoint       {url}
  bucket         {cloud.bucket}
  state machine  {cloud.state_machine_arn}
  alerts topic   {cloud.topic_arn}
  runs table     {cloud.table}
  run page       {page.url}

Try it (fake credentials are fine):
  export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  aws s3 cp examples/xgboost-breast-cancer.yaml s3://{cloud.bucket}/specs/
  aws stepfunctions list-executions --state-machine-arn {cloud.state_machine_arn}
  aws s3 ls s3://{cloud.bucket}/runs/ --recursive
(training data: `tunepilot local run` seeds it; with `up`, upload it yourself or run a spec once)
""")
    return 0
