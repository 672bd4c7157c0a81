"""One local cloud per e2e session: moto server, the real template.yaml deployed, the SageMaker platform.

Tests call ``local_cloud.run_spec(path_or_bytes, timeout=...)`` and read the returned ``RunSummary``;
``local_cloud.alerts()``, ``.client(name)``, ``.bucket`` etc. are there for deeper checks.
"""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def local_cloud():
    from tunepilot_local.cloud import LocalCloud

    cloud = LocalCloud(
        REPO / "template.yaml",
        workdir=REPO / ".tunepilot" / "e2e",
        schedule_seconds=float(os.environ.get("TUNEPILOT_E2E_SCHEDULE_SECONDS", "3")),
        max_parallel=int(os.environ.get("TUNEPILOT_E2E_MAX_PARALLEL", "0")) or None,
        time_scale=float(os.environ.get("TUNEPILOT_E2E_TIME_SCALE", "1")),
        progress=print,
    )
    with cloud:
        yield cloud
