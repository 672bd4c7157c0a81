from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cloud():
    from tunepilot_local.cloud import LocalCloud

    # sam build output is cached here between runs (content-hashed), so only the first run pays for it.
    workdir = REPO / ".tunepilot" / "test-local-cloud"
    with LocalCloud(FIXTURES / "template.yaml", workdir=workdir, stack_name="fixture", schedule_seconds=3600,
                    with_platform=False) as started:
        yield started
