"""Admission control through the local cloud: with one free slot, three uploads run one tuning job at a
time, and a waiting run shows its queue position
(validation.json, the watcher's lines)."""

from __future__ import annotations

import itertools
import json
import threading
import time

import pytest

from tests.e2e.controller_helpers import spec_bytes, why
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def one_slot(local_cloud):
    """One free slot of the stack's MaxConcurrentTuningJobs (10 here): nine other runs, still tuning, hold the
    rest. They are written to the runs table as the Admit function would have (a run item and a holder)."""
    ddb, table = local_cloud.client("dynamodb"), local_cloud.table
    blockers = [f"e2e-admission-blocker-{i}" for i in range(9)]
    slots = {"pk": {"S": "admission#slots"}}
    if "Item" not in ddb.get_item(TableName=table, Key=slots):
        ddb.put_item(TableName=table, Item={**slots, "holders": {"M": {}}, "used": {"N": "0"}})
    for run_id in blockers:
        ddb.put_item(TableName=table, Item={"pk": {"S": f"run#{run_id}"}, "run_id": {"S": run_id},
                                            "status": {"S": "TUNING"}})
        ddb.update_item(TableName=table, Key=slots,
                        UpdateExpression="SET holders.#r = :t ADD used :one",
                        ExpressionAttributeNames={"#r": run_id},
                        ExpressionAttributeValues={":t": {"N": "0"}, ":one": {"N": "1"}})
    yield
    for run_id in blockers:
        ddb.update_item(TableName=table, Key=slots,
                        UpdateExpression="REMOVE holders.#r ADD used :minus",
                        ConditionExpression="attribute_exists(holders.#r)",
                        ExpressionAttributeNames={"#r": run_id}, ExpressionAttributeValues={":minus": {"N": "-1"}})
        ddb.delete_item(TableName=table, Key={"pk": {"S": f"run#{run_id}"}})


def test_runs_beyond_the_limit_wait_one_tuning_job_at_a_time_and_show_their_position(local_cloud, one_slot):
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
    jobs = sorted(((sagemaker.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=summaries[k].tuning_job_name), k) for k in keys),
        key=lambda pair: pair[0]["CreationTime"])
    for (earlier, _), (later, _) in itertools.pairwise(jobs):  # one tuning job at a time
        assert later["CreationTime"] >= earlier["HyperParameterTuningEndTime"], (earlier, later)
    # The first to reach WaitForSlot took the free slot; the others waited. (Which of them waited for whom
    # depends on when each reached the queue here: upload order among queued runs is tested under moto.)
    waited = [key for _, key in jobs[1:]]

    last = waited[-1]
    shown = [line for key in waited for line in lines[key] if "queued: position" in line]
    assert shown, "\n".join(line for key in waited for line in lines[key])
    report = wait_for("the last run's queue record", lambda: local_cloud.client("s3").get_object(
        Bucket=local_cloud.bucket, Key=f"runs/{summaries[last].run_id}/validation.json")["Body"].read(), 30)
    queue = json.loads(report)["queue"]
    assert queue["state"] == "admitted" and queue["waited_seconds"] > 0 and queue["max_concurrent_tuning_jobs"] == 10
