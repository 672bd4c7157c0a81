"""`tunepilot validate | compile | schema | estimate`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunepilot_cli import main

REPO = Path(__file__).resolve().parents[3]
DEMO = str(REPO / "examples/xgboost-breast-cancer.yaml")
BROKEN = str(REPO / "tests/data/specs/invalid/several-problems.yaml")
ROLE = "arn:aws:iam::123456789012:role/TunePilotSageMakerRole"


def test_validate_valid_spec(capsys):
    assert main(["validate", DEMO, "--allowed-role", ROLE]) == 0
    assert capsys.readouterr().out.strip().endswith(f"{DEMO}: valid")


def test_validate_prints_warnings_before_valid(capsys):
    grid = str(REPO / "tests/data/specs/valid/grid-categorical.yaml")
    assert main(["validate", grid]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "warning: strategy.type: Grid will run 6 training jobs, one per combination (line 11)"
    assert lines[-1] == f"{grid}: valid"


def test_validate_invalid_spec_lists_every_problem(capsys):
    assert main(["validate", BROKEN]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "hyperparameters.ranges.eta.min: min (0.5) must be less than max (0.1) (line 9)" in out
    assert "limits.max_parallel_jobs: max_parallel_jobs (4) cannot exceed max_jobs (2) (line 13)" in out
    assert out[-1] == f"{BROKEN}: invalid (4 problems)"


def test_validate_problem_without_line_omits_it(tmp_path, capsys):
    spec = tmp_path / "partial.yaml"
    spec.write_text("name: partial\n")
    assert main(["validate", str(spec)]) == 1
    assert "role_arn: required field is missing" in capsys.readouterr().out.splitlines()


def test_validate_json(capsys):
    assert main(["validate", BROKEN, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert {"path": "resources.channels.train.s3_uri", "message": "'http://not-s3/train/' is not an s3:// URI",
            "line": 18} in data["errors"]
    assert data["warnings"] == []


def test_validate_enforces_allowed_roles(capsys):
    assert main(["validate", DEMO, "--allowed-role", "arn:aws:iam::123456789012:role/Other"]) == 1
    assert "role_arn: role" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["validate", "compile", "estimate"])
@pytest.mark.parametrize("target", ["missing", "directory"])
def test_io_errors_exit_2(command, target, tmp_path, capsys):
    path = tmp_path / "nope.yaml" if target == "missing" else tmp_path
    assert main([command, str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    assert main(["validate"]) == 2


def test_compile_prints_the_request(capsys):
    assert main(["compile", DEMO, "--run-id", "demo-0123456789ab"]) == 0
    request = json.loads(capsys.readouterr().out)
    assert request["HyperParameterTuningJobName"] == "tp-xgb-breast-cance-0123456789ab"  # the spec's name, cut
    assert {"Key": "tunepilot:run-id", "Value": "demo-0123456789ab"} in request["Tags"]


def test_compile_default_run_id_is_stable(capsys):
    assert main(["compile", DEMO]) == 0
    first = json.loads(capsys.readouterr().out)["HyperParameterTuningJobName"]
    assert main(["compile", DEMO]) == 0
    assert json.loads(capsys.readouterr().out)["HyperParameterTuningJobName"] == first
    assert first.startswith("tp-xgb-breast-cance-") and len(first) == 32


def test_compile_invalid_spec_exits_1_with_problems_on_stderr(capsys):
    assert main(["compile", BROKEN]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "limits.max_parallel_jobs" in captured.err


def test_schema_has_descriptions(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert "description" in schema["properties"]["name"]
    assert "description" in schema["$defs"]["Limits"]["properties"]["max_runtime"]


def test_estimate_table(capsys):
    assert main(["estimate", DEMO]) == 0
    out = capsys.readouterr().out
    assert "cost           $0.23       $0.08" in out
    assert "wall time      1h          20m" in out
    assert "budget: $2.00" in out


def test_estimate_json(capsys):
    assert main(["estimate", DEMO, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["worst_cost_usd"] == pytest.approx(0.23)
    assert data["worst_wall_seconds"] == 3600


def test_estimate_invalid_spec_exits_1(capsys):
    assert main(["estimate", BROKEN]) == 1
