"""Control overhead of TunePilot (event-driven) against a Wait-30s-plus-Describe polling state machine.

    .venv/bin/python benchmarks/control_overhead.py [--jobs 4 12 24] [--time-scale 30] [--json out.json]

One local cloud for everything. For each job count N, the same demo-like spec (max_jobs N) runs twice,
one run after the other, each against its own real tuning job with real XGBoost training:

1. TunePilot: the spec is uploaded to specs/, S3 -> EventBridge -> the real state machine.
2. The polling baseline (benchmarks/polling.asl.json): StartTuning Lambda -> Wait -> Describe Lambda
   -> Choice, looping until the tuning job is terminal.

Counted per run: state transitions (StateEntered events in the execution history) and Lambda
invocations (the local Lambda runner's counters, before/after the run).

Time is compressed by one factor k (``--time-scale``, default 30) everywhere a clock matters: the
local SageMaker bills and limits a job that ran t s as k*t s, the 30 s Wait is deployed as 30/k s,
and TunePilot's reconcile schedule (rate(5 minutes) by default) fires every 300/k s. A poll loop
that waits 30/k s against a job of t s polls as often as one that waits 30 s against a job of k*t s.
The "at AWS scale" columns are a projection from the measured per-poll cost, not a measurement.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from a fresh clone: tunepilot_local is at the repo root

from tunepilot.compile.request import RUN_TAG_KEY, compile_request  # noqa: E402
from tunepilot.spec.load import validate_bytes  # noqa: E402

from tunepilot_local.cloud import SAGEMAKER_ROLE_ARN, LocalCloud  # noqa: E402
from tunepilot_local.deploy import substitute  # noqa: E402
from tunepilot_local.summary import training_seconds  # noqa: E402

BENCH = Path(__file__).resolve().parent
DEMO_SPEC = REPO / "examples" / "xgboost-breast-cancer.yaml"
POLL_SECONDS = 30  # the baseline's Wait, as written in polling.asl.json
RECONCILE_SECONDS = 300  # template.yaml's default ReconcileSchedule: rate(5 minutes)
# The projection: what a run of N jobs looks like on AWS.
AWS_JOB_SECONDS = 600
AWS_PARALLEL = 2
POLL_STATES = ("WaitBeforePoll", "DescribeTuningJob", "IsTuningDone")


@dataclass
class Measured:
    jobs: int
    status: str
    transitions: int
    lambda_invocations: int
    lambda_by_function: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0  # upload / start -> execution terminal
    training_seconds: float = 0.0  # time with at least one training job running
    polls: int = 0  # polling baseline only
    poll_period_seconds: float = 0.0  # mean time between two Describe calls: the Wait plus one loop's latency


# ------------------------------------------------------------------------------------------------ specs
def bench_spec(jobs: int) -> bytes:
    """The demo spec with max_jobs = N, no early completion (every run trains all N) and no deploy.

    No deploy because the baseline only waits for the tuning job: both sides then do the same work
    on SageMaker, and TunePilot's count still includes validation, picking and notifying.
    """
    spec = yaml.safe_load(DEMO_SPEC.read_text())
    spec["name"] = f"xgb-bench-{jobs}"
    spec["limits"]["max_jobs"] = jobs
    spec.pop("completion_criteria", None)
    spec["deploy"] = {"enabled": False}
    spec["budget"]["max_cost_usd"] = 50.0  # a budget stop would cut the run short: not what is measured
    # JSON, not yaml.safe_dump: once the cloud has loaded samcli, safe_load returns OrderedDicts.
    return json.dumps(spec, indent=1).encode()


def tuning_request(spec_bytes: bytes, name: str) -> dict[str, Any]:
    """The same CreateHyperParameterTuningJob request TunePilot would send, minus TunePilot's run tag
    (so TunePilot's handlers, deployed in the same cloud, treat the baseline's job as a stranger's)."""
    checked = validate_bytes(spec_bytes, filename="bench.json", allowed_roles=(SAGEMAKER_ROLE_ARN,))
    if not checked.valid or checked.spec is None:
        raise SystemExit(f"benchmark spec is invalid: {[p.message for p in checked.errors]}")
    request = compile_request(checked.spec, tuning_job_name=name, run_id=name)
    request["Tags"] = [tag for tag in request["Tags"] if tag["Key"] != RUN_TAG_KEY]
    return request


# ------------------------------------------------------------------------------------------------ polling
@dataclass
class PollingMachine:
    arn: str
    functions: tuple[str, ...]


def deploy_polling(cloud: LocalCloud, time_scale: float) -> PollingMachine:
    """Two Lambda functions through the lambda API (the cloud's runner executes them) and the state
    machine through the Step Functions API (which lands in moto's executing backend)."""
    wait = POLL_SECONDS / time_scale
    if wait < 1 or wait != int(wait):
        raise SystemExit(f"--time-scale must divide {POLL_SECONDS} (ASL Wait takes whole seconds), got {time_scale}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(BENCH / "polling_lambda" / "app.py", "app.py")
    lam = cloud.client("lambda")
    arns = {}
    for logical, handler in (("StartTuningFunctionArn", "app.start_tuning"),
                             ("DescribeTuningJobFunctionArn", "app.describe_tuning_job")):
        name = f"polling-{handler.split('.')[1].replace('_', '-')}"
        arns[logical] = lam.create_function(
            FunctionName=name, Runtime="python3.11", Role=SAGEMAKER_ROLE_ARN, Handler=handler,
            Code={"ZipFile": buffer.getvalue()}, Timeout=30, MemorySize=128)["FunctionArn"]
    definition = json.loads(substitute((BENCH / "polling.asl.json").read_text(), arns))
    definition["States"]["WaitBeforePoll"]["Seconds"] = int(wait)  # the one change: the scaled clock
    arn = cloud.client("stepfunctions").create_state_machine(
        name="polling-baseline", definition=json.dumps(definition), roleArn=SAGEMAKER_ROLE_ARN)["stateMachineArn"]
    return PollingMachine(arn, tuple(a.rsplit(":", 1)[-1] for a in arns.values()))


def run_polling(cloud: LocalCloud, machine: PollingMachine, jobs: int, timeout: float) -> Measured:
    sfn = cloud.client("stepfunctions")
    name = f"poll-{jobs}-{int(time.time()) % 100000}"
    before = cloud.lambda_invocations
    started = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=machine.arn, name=name,
                                    input=json.dumps({"request": tuning_request(bench_spec(jobs), name)}))
    status = wait_for_execution(sfn, execution["executionArn"], timeout, what=f"polling baseline, {jobs} jobs")
    wall = time.monotonic() - started
    history = execution_history(sfn, execution["executionArn"])
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    by_function = delta(before, cloud.lambda_invocations, only=machine.functions)
    describes = [e["timestamp"].timestamp() for e in history
                 if e.get("stateEnteredEventDetails", {}).get("name") == "DescribeTuningJob"]
    period = (describes[-1] - describes[0]) / (len(describes) - 1) if len(describes) > 1 else 0.0
    return Measured(jobs, status, len(entered), sum(by_function.values()), by_function, round(wall, 2),
                    round(training_seconds(cloud.client("sagemaker"), name), 2),
                    polls=len(describes), poll_period_seconds=round(period, 2))


def wait_for_execution(sfn: Any, arn: str, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status != "RUNNING":
            return status
        time.sleep(0.25)
    raise TimeoutError(f"{what}: execution {arn} still RUNNING after {timeout:.0f}s")


def execution_history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def delta(before: dict[str, int], after: dict[str, int], only: tuple[str, ...] | None = None) -> dict[str, int]:
    return {name: count - before.get(name, 0) for name, count in after.items()
            if count - before.get(name, 0) and (only is None or name in only)}


# ------------------------------------------------------------------------------------------------ TunePilot
def run_tunepilot(cloud: LocalCloud, jobs: int, timeout: float) -> Measured:
    summary = cloud.run_spec(bench_spec(jobs), key=f"specs/bench-{jobs}-{int(time.time()) % 100000}.json",
                             timeout=timeout, progress=lambda line: None)
    if not summary.succeeded:
        raise SystemExit(f"TunePilot run with {jobs} jobs failed: {summary.error}")
    return Measured(jobs, summary.status, summary.state_transitions, sum(summary.lambda_invocations.values()),
                    short_names(summary.lambda_invocations), summary.wall_seconds,
                    round(summary.training_seconds, 2))


def short_names(by_function: dict[str, int]) -> dict[str, int]:
    """tunepilot-ValidateSpecFunction-AbC123 -> ValidateSpec (the stack's physical names are noise)."""
    out: dict[str, int] = {}
    for name, count in by_function.items():
        parts = name.split("-")
        short = parts[1].removesuffix("Function") if len(parts) >= 3 else name
        out[short] = out.get(short, 0) + count
    return out


def settle(cloud: LocalCloud) -> None:
    """Let trailing work (late log batches, events) finish so it is not counted against the next run."""
    if cloud.platform is not None and not cloud.platform.wait_idle(timeout=120):
        raise TimeoutError("the local SageMaker platform did not go idle within 120s between runs")
    time.sleep(1.0)


# ------------------------------------------------------------------------------------------------ projection
@dataclass
class Projection:
    aws_run_seconds: int
    polls: int
    polling_transitions: int
    polling_lambda: int
    tunepilot_transitions: int
    tunepilot_lambda: int


def project(tunepilot: Measured, polling: Measured) -> Projection:
    """N jobs of AWS_JOB_SECONDS at AWS_PARALLEL, from the measured costs.

    Polling: the measured fixed part (start, end) + one measured per-poll cost (3 transitions, 1 Lambda)
    for every 30 s of run. TunePilot: transitions as measured (they depend on neither N nor time);
    Lambda invocations as measured (per training-job event and log batch: they grow with N, not time)
    with the reconcile schedule replaced by one tick per 5 minutes of run, all charged to this run.
    """
    seconds = math.ceil(polling.jobs / AWS_PARALLEL) * AWS_JOB_SECONDS
    polls = math.ceil(seconds / POLL_SECONDS)
    per_poll_transitions = len(POLL_STATES)
    fixed_transitions = polling.transitions - per_poll_transitions * polling.polls
    fixed_lambda = polling.lambda_invocations - polling.polls
    reconcile = tunepilot.lambda_by_function.get("Reconcile", 0)
    return Projection(
        seconds, polls, fixed_transitions + per_poll_transitions * polls, fixed_lambda + polls,
        tunepilot.transitions, tunepilot.lambda_invocations - reconcile + math.ceil(seconds / RECONCILE_SECONDS))


# ------------------------------------------------------------------------------------------------ output
def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def table(rows: list[tuple[Measured, Measured, Projection]], time_scale: float) -> str:
    header = ["jobs", "training wall s (TP / poll)", f"simulated run (x{time_scale:g})",
              "transitions TP / poll", "ratio", "Lambda TP / poll", "ratio",
              "**projection**: AWS run", "transitions TP / poll", "ratio", "Lambda TP / poll", "ratio"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for tp, poll, proj in rows:
        cells = [
            str(tp.jobs), f"{tp.training_seconds:.1f} / {poll.training_seconds:.1f}",
            f"{poll.wall_seconds * time_scale / 60:.1f} min, {poll.polls} polls",
            f"{tp.transitions} / {poll.transitions}", ratio(poll.transitions, tp.transitions),
            f"{tp.lambda_invocations} / {poll.lambda_invocations}",
            ratio(poll.lambda_invocations, tp.lambda_invocations),
            f"{proj.aws_run_seconds // 60} min, {proj.polls} polls",
            f"{proj.tunepilot_transitions} / {proj.polling_transitions}",
            ratio(proj.polling_transitions, proj.tunepilot_transitions),
            f"{proj.tunepilot_lambda} / {proj.polling_lambda}", ratio(proj.polling_lambda, proj.tunepilot_lambda),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[4, 12, 24])
    parser.add_argument("--time-scale", type=float, default=30.0,
                        help="local seconds -> simulated seconds; must divide 30 (default 30: Wait 1 s)")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--timeout", type=float, default=300.0, help="per run")
    args = parser.parse_args(argv)
    say = lambda line: print(line, flush=True)  # noqa: E731
    rows: list[tuple[Measured, Measured, Projection]] = []
    with LocalCloud(workdir=REPO / ".tunepilot" / "bench", time_scale=args.time_scale,
                    schedule_seconds=RECONCILE_SECONDS / args.time_scale, progress=say) as cloud:
        machine = deploy_polling(cloud, args.time_scale)
        # Unmeasured: the first run pays for seeding data, cold page cache and Lambda workers, which
        # would make its training (and so its poll count) longer than the runs that follow.
        say("-- warm-up runs (not measured)")
        run_tunepilot(cloud, 2, args.timeout)
        run_polling(cloud, machine, 2, args.timeout)
        settle(cloud)
        for jobs in args.jobs:
            say(f"-- {jobs} jobs: TunePilot")
            tunepilot = run_tunepilot(cloud, jobs, args.timeout)
            settle(cloud)
            say(f"   {tunepilot.transitions} transitions, {tunepilot.lambda_by_function}, "
                f"training {tunepilot.training_seconds}s of {tunepilot.wall_seconds}s")
            say(f"-- {jobs} jobs: polling baseline")
            polling = run_polling(cloud, machine, jobs, args.timeout)
            settle(cloud)
            say(f"   {polling.status}: {polling.transitions} transitions, {polling.polls} polls "
                f"(one every {polling.poll_period_seconds}s), "
                f"{polling.lambda_by_function}, training {polling.training_seconds}s of {polling.wall_seconds}s")
            rows.append((tunepilot, polling, project(tunepilot, polling)))
    print()
    print(table(rows, args.time_scale))
    print(f"\nprojection: {AWS_JOB_SECONDS // 60}-minute training jobs, {AWS_PARALLEL} in parallel, "
          f"Wait {POLL_SECONDS} s, reconcile every {RECONCILE_SECONDS // 60} min (all charged to the run)")
    if args.json:
        args.json.write_text(json.dumps([{"tunepilot": asdict(t), "polling": asdict(p), "projection": asdict(j)}
                                         for t, p, j in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
