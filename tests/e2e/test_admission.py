"""Admission control through the local cloud: with one slot, three uploads run one tuning job at a time,
in upload order, and a waiting run shows its queue position (validation.json, the watcher's lines)."""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest

from tests.e2e.controller_helpers import spec_bytes, wait_for, why

pytestmark = pytest.mark.e2e


@pytest.fixture
def one_slot(local_cloud):
    """MaxConcurrentTuningJobs = 1 for this test: the functions' environment, as a stack update would set it."""
    lam = local_cloud.client("lambda")
    functions = [f for f in lam.list_functions()["Functions"]
                 if "MAX_CONCURRENT_TUNING_JOBS" in (f.get("Environment") or {}).get("Variables", {})]
    for f in functions:
        lam.update_function_configuration(FunctionName=f["FunctionName"], Environment={
            "Variables": {**f["Environment"]["Variables"], "MAX_CONCURRENT_TUNING_JOBS": "1"}})
    yield
    for f in functions:
        lam.update_function_configuration(FunctionName=f["FunctionName"], Environment=f["Environment"])


def test_runs_beyond_the_limit_queue_in_upload_order_and_show_their_position(local_cloud, one_slot):
    keys = [f"specs/e2e-admission-{i}.yaml" for i in range(3)]
    lines: dict[str, list[str]] = {key: [] for key in keys}
    summaries = {}

    def run(key):
        summaries[key] = local_cloud.run_spec(spec_bytes("xgb-small"), key=key, timeout=420,
                                              progress=lines[key].append)

    threads = []
    for key in keys:  # upload order: 0, 1, 2 (a second apart: the S3 event time orders the queue)
        threads.append(threading.Thread(target=run, args=(key,)))
        threads[-1].start()
        time.sleep(1.1)
    for thread in threads:
        thread.join()
    for key in keys:
        assert summaries[key].succeeded, why(summaries[key])

    sagemaker = local_cloud.client("sagemaker")
    jobs = [sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=summaries[k].tuning_job_name)
            for k in keys]
    for earlier, later in itertools.pairwise(jobs):  # one at a time, in upload order
        assert later["CreationTime"] >= earlier["HyperParameterTuningEndTime"], (earlier, later)

    last = keys[-1]
    assert any("queued: position" in line for line in lines[last]), lines[last]
    report = wait_for("the last run's queue record", lambda: local_cloud.client("s3").get_object(
        Bucket=local_cloud.bucket, Key=f"runs/{summaries[last].run_id}/validation.json")["Body"].read(), 30)
    queue = json.loads(report)["queue"]
    assert queue["state"] == "admitted" and queue["waited_seconds"] > 0 and queue["max_concurrent_tuning_jobs"] == 1
