"""Lambda workers: concurrent invokes get their own worker, and close() leaves nothing running."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tunepilot_local.cloud import LocalCloud

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purposes
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_busy_pool_spawns_workers_and_close_kills_them_all():
    cloud = LocalCloud(FIXTURES / "template.yaml", workdir=REPO / ".tunepilot" / "test-local-cloud",
                       stack_name="lifecycle", schedule_seconds=3600, with_platform=False)
    with cloud:
        name = cloud.deployment.physical_ids["EchoFunction"]
        lam = cloud.client("lambda")

        def invoke(_):
            reply = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 0.5}).encode())
            return json.loads(reply["Payload"].read())["pid"]

        started = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            pids = set(pool.map(invoke, range(3)))
        assert len(pids) == 3  # no global lock: three workers ran side by side
        assert time.monotonic() - started < 1.5 + 3  # ~0.5 s each in parallel, plus worker start-up
    assert not [pid for pid in pids if _alive(pid)]
