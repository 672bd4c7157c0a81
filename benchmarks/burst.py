"""A burst of spec uploads against a small AMT quota: admission control under load, in the local cloud.

    .venv/bin/python benchmarks/burst.py [--runs 100] [--quota 3] [--timeout 3600] [--json out.json]

One local cloud, deployed with MaxConcurrentTuningJobs = quota, its local SageMaker enforcing the same
quota of concurrent tuning jobs (ResourceLimitExceeded past it, as AWS does). ``--runs`` tiny specs (one
XGBoost job of 5 rounds each, no deploy) are uploaded to specs/ by 8 threads at once; then every run is
followed to its runs/<run-id>/result.json.

Counted: runs that succeeded; runs that failed with a named reason (result.json names the error); lost
runs (no result.json, or a failure without a name, by the deadline); duplicated tuning jobs (more than
one tuning job carrying a run's tunepilot:run-id tag, or one job created twice); the most tuning jobs
running at once (measured by the local SageMaker at each creation, the only moment the count grows);
the wall time from the first upload to the last result. The last line is the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script from a fresh clone: tunepilot_local is at the repo root

# Like a Lambda concurrency limit, queued instead of throttled: 100 uploads must not start 100 workers.
os.environ.setdefault("TUNEPILOT_LOCAL_LAMBDA_CONCURRENCY", "3")

from tunepilot_local import seed  # noqa: E402
from tunepilot_local.cloud import LocalCloud  # noqa: E402

DEMO_SPEC = REPO / "examples" / "xgboost-breast-cancer.yaml"


def tiny_spec(i: int) -> bytes:
    """The demo spec made tiny: one job of 5 rounds, nothing to deploy, a budget it cannot reach."""
    spec = yaml.safe_load(DEMO_SPEC.read_text())
    spec["name"] = f"burst-{i:03d}"
    spec["limits"].update(max_jobs=1, max_parallel_jobs=1)
    spec["hyperparameters"]["static"]["num_round"] = 5
    spec.pop("completion_criteria", None)
    spec["deploy"] = {"enabled": False}
    spec["budget"]["max_cost_usd"] = 50.0
    return json.dumps(spec).encode()  # JSON: once samcli is loaded, yaml.safe_load yields OrderedDicts


def upload(cloud: LocalCloud, runs: int) -> dict[str, str]:
    """Every spec at once from 8 threads; returns run id -> key."""
    from tunepilot.runid import run_id_for

    s3 = cloud.client("s3")

    def put(i: int) -> tuple[str, str]:
        key = f"specs/burst-{i:03d}.json"
        reply = s3.put_object(Bucket=cloud.bucket, Key=key, Body=tiny_spec(i))
        return run_id_for(cloud.bucket, key, reply.get("VersionId") or reply["ETag"].strip('"')), key

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(put, range(runs)))


def results(cloud: LocalCloud) -> dict[str, dict[str, Any]]:
    """Every runs/<run-id>/result.json in the bucket."""
    s3 = cloud.client("s3")
    found: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=cloud.bucket, Prefix="runs/"):
        for obj in page.get("Contents", []):
            run_id, _, name = obj["Key"][len("runs/"):].partition("/")
            if name == "result.json":
                found[run_id] = json.loads(s3.get_object(Bucket=cloud.bucket, Key=obj["Key"])["Body"].read())
    return found


def tuning_jobs_per_run(cloud: LocalCloud) -> Counter[str]:
    sm = cloud.client("sagemaker")
    per_run: Counter[str] = Counter()
    for page in sm.get_paginator("list_hyper_parameter_tuning_jobs").paginate():
        for job in page["HyperParameterTuningJobSummaries"]:
            arn = job["HyperParameterTuningJobArn"]
            tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn).get("Tags", [])}
            per_run[tags.get("tunepilot:run-id", arn)] += 1
    return per_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--quota", type=int, default=3, help="concurrent tuning jobs: the stack's and SageMaker's")
    parser.add_argument("--timeout", type=float, default=3600.0, help="for the whole burst")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    say = lambda line: print(line, flush=True)  # noqa: E731
    with LocalCloud(workdir=REPO / ".tunepilot" / "burst", schedule_seconds=5.0, max_parallel=1,
                    parameters={"MaxConcurrentTuningJobs": str(args.quota)}, progress=say) as cloud:
        cloud.platform.quotas.concurrent_tuning_jobs = args.quota
        seed.seed(seed.spec_document(tiny_spec(0)), cloud.client("s3"), REPO / "examples" / "scripts")
        started = time.monotonic()
        runs = upload(cloud, args.runs)
        uploaded_in = time.monotonic() - started
        say(f"uploaded {len(runs)} specs in {uploaded_in:.1f}s")
        done: dict[str, dict[str, Any]] = {}
        last = started
        while time.monotonic() - started < args.timeout:
            done = {run_id: r for run_id, r in results(cloud).items() if run_id in runs}
            if len(done) == len(runs):
                break
            if time.monotonic() - last >= 15:
                last = time.monotonic()
                statuses = Counter(r.get("status") for r in done.values())
                say(f"[{last - started:6.0f}s] {len(done)}/{len(runs)} ended {dict(statuses)}; "
                    f"tuning jobs at once so far {cloud.platform.quotas.peak_tuning_jobs}")
            time.sleep(2)
        wall = time.monotonic() - started
        per_run = tuning_jobs_per_run(cloud)
        peak = cloud.platform.quotas.peak_tuning_jobs
        refused = cloud.platform.quotas.refused
    succeeded = sum(r.get("status") == "SUCCEEDED" for r in done.values())
    named = {run_id: r["error"] for run_id, r in done.items()
             if r.get("status") == "FAILED" and r.get("error") not in (None, "", "Unknown")}
    lost = len(runs) - succeeded - len(named)
    duplicated = sum(n - 1 for run_id, n in per_run.items() if run_id in runs and n > 1)
    for run_id, error in sorted(named.items()):
        say(f"failed: {run_id}: {error}: {str(done[run_id].get('cause'))[:200]}")
    say(f"uploads took {uploaded_in:.1f}s; SageMaker refused {refused} CreateHyperParameterTuningJob call(s) "
        "at the quota")
    if args.json:
        args.json.write_text(json.dumps({
            "runs": len(runs), "succeeded": succeeded, "failed_named": len(named), "lost": lost,
            "duplicated": duplicated, "max_concurrent": peak, "quota": args.quota, "wall_seconds": round(wall, 1),
            "upload_seconds": round(uploaded_in, 1), "refused_at_quota": refused, "failures": named,
        }, indent=2))
    print(f"burst: {len(runs)} runs, {succeeded} succeeded, {len(named)} failed with a named reason, {lost} lost, "
          f"{duplicated} duplicated, max concurrent tuning jobs {peak} (quota {args.quota}), {wall:.0f} s")
    return 0 if lost == 0 and duplicated == 0 and peak <= args.quota else 1


if __name__ == "__main__":
    raise SystemExit(main())
