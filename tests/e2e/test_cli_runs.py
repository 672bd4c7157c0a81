"""`tunepilot submit --watch` and `tunepilot report` against the local cloud, as against a deployed stack."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT
from tunepilot_cli import main
from tunepilot_local.seed import seed

SMALL = (ROOT / "examples" / "xgboost-breast-cancer.yaml").read_text()
SMALL = SMALL.replace("max_jobs: 12", "max_jobs: 2").replace("num_round: 40", "num_round: 5")
SMALL = SMALL.replace("  enabled: true\n", "  enabled: false\n")


@pytest.mark.e2e
def test_submit_watch_and_report_follow_one_run(local_cloud, tmp_path, capsys):
    spec = tmp_path / "cli-submitted.yaml"
    spec.write_text(SMALL)
    seed(SMALL, local_cloud.client("s3"))  # the stack does not seed data; a user's data is already in S3

    code = main(["submit", str(spec), "--stack", local_cloud.stack_name, "--watch", "--interval", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    run_id = re.search(r"^run (\S+)$", out, re.M).group(1)
    assert "SUCCEEDED" in out and f"s3://{local_cloud.bucket}/specs/cli-submitted.yaml" in out

    assert main(["report", run_id, "--stack", local_cloud.stack_name]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["run_id"] == run_id and result["status"] == "SUCCEEDED"
    assert result["deployed"] is False and result["training_jobs"]["total"] == 2


@pytest.mark.e2e
def test_report_of_an_unknown_run_and_stack(local_cloud, capsys):
    assert main(["report", "no-such-run-000000000000", "--stack", local_cloud.stack_name]) == 1
    assert main(["report", "x", "--stack", "no-such-stack"]) == 2
    assert "cannot read stack" in capsys.readouterr().err
