"""`tunepilot import`: sources (a job name through a Stubber, a request file), output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from tunepilot.aws.clients import clients
from tunepilot.spec.load import validate_bytes

import tunepilot_cli.importing as importing
from tunepilot_cli import main

REPO = Path(__file__).resolve().parents[3]
RECORDED = REPO / "tests/data/aws/describe-tuning-job-xgboost.json"
JOB = "xgboost-tuningjob-08-07-19-54"


def _recorded() -> dict:
    return json.loads(RECORDED.read_text())


def _write(tmp_path: Path, data, name: str = "request.json") -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


def _multi(d: dict) -> dict:
    d["TrainingJobDefinitions"] = [d.pop("TrainingJobDefinition")] * 2
    return d


def _image_without_metrics(d: dict) -> dict:
    d["TrainingJobDefinition"]["AlgorithmSpecification"] = {"TrainingImage": "123456789012.dkr.ecr.us-east-1."
                                                            "amazonaws.com/mine:1", "TrainingInputMode": "File"}
    return d


FILES = [
    pytest.param(lambda p: _write(p, _recorded()), 0, "", id="describe-response-file"),
    pytest.param(lambda p: _write(p, _multi(_recorded())), 1, "2 training job definitions", id="several-definitions"),
    pytest.param(lambda p: _write(p, _image_without_metrics(_recorded())), 1, "does not validate",
                 id="own-image-without-metric-definitions"),
    pytest.param(lambda p: _write(p, {**_recorded(), "HyperParameterTuningJobConfig": "x"}), 1,
                 "not a valid CreateHyperParameterTuningJob request", id="config-not-an-object"),
    pytest.param(lambda p: _write(p, {}), 1, "Missing required parameter", id="empty-object"),
    pytest.param(lambda p: str(p / "missing.json"), 2, "no such file", id="missing-file"),
    pytest.param(lambda p: _write(p, b"{not json"), 2, "not JSON", id="not-json"),
    pytest.param(lambda p: _write(p, [1, 2]), 2, "a JSON object", id="json-list"),
    pytest.param(lambda p: _write(p, b" " * (importing.MAX_REQUEST_BYTES + 1)), 2, "larger than", id="too-large"),
    pytest.param(lambda p: "not a name!", 2, "is not a tuning job name", id="neither-file-nor-name"),
]


@pytest.mark.parametrize(("source", "code", "needle"), FILES)
def test_request_files_and_exit_codes(tmp_path, capsys, source, code, needle):
    out_file = tmp_path / "spec.yaml"
    assert main(["import", source(tmp_path), "-o", str(out_file)]) == code
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    if code == 0:
        assert validate_bytes(out_file.read_bytes(), filename="spec.yaml").valid


def test_spec_goes_to_stdout_with_a_header_and_warnings_to_stderr(tmp_path, capsys):
    describe = _recorded()
    describe["TrainingJobDefinition"]["VpcConfig"] = {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}
    assert main(["import", _write(tmp_path, describe)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Imported by `tunepilot import` from ")
    assert "#   TrainingJobDefinition.VpcConfig.SecurityGroupIds: not expressible" in out
    assert "warning: TrainingJobDefinition.VpcConfig.Subnets: not expressible" in err
    spec = yaml.safe_load(out)
    assert spec["limits"]["max_runtime"] == "12h" and spec["resources"]["instance_count"] == 2


@pytest.fixture
def sage(monkeypatch):
    client = boto3.client("sagemaker", region_name="us-west-2")
    stub = Stubber(client)
    monkeypatch.setattr(importing, "use_region", lambda region: clients.override(sagemaker=client))
    stub.activate()
    yield stub
    stub.deactivate()
    clients.reset()


def test_import_by_name_describes_the_job_read_only(sage, tmp_path, capsys):
    from datetime import datetime

    describe = _recorded()
    describe.pop("ResponseMetadata")
    for key in ("CreationTime", "HyperParameterTuningEndTime", "LastModifiedTime"):
        describe[key] = datetime.fromisoformat(describe[key])
    for key in ("CreationTime", "TrainingStartTime", "TrainingEndTime"):
        describe["BestTrainingJob"][key] = datetime.fromisoformat(describe["BestTrainingJob"][key])
    sage.add_response("describe_hyper_parameter_tuning_job", describe, {"HyperParameterTuningJobName": JOB})
    out_file = tmp_path / "spec.yaml"
    assert main(["import", JOB, "--region", "us-west-2", "-o", str(out_file)]) == 0
    assert f"wrote {out_file} from tuning job {JOB}" in capsys.readouterr().err
    spec = validate_bytes(out_file.read_bytes(), filename="spec.yaml").spec
    assert spec.name == JOB and spec.algorithm.builtin.name == "xgboost"
    sage.assert_no_pending_responses()


def test_import_of_a_missing_job_exits_2(sage, capsys):
    sage.add_client_error("describe_hyper_parameter_tuning_job", "ResourceNotFound",
                          "Amazon SageMaker can't find a tuning job with name nope")
    assert main(["import", "nope"]) == 2
    assert capsys.readouterr().err.strip() == ("tunepilot import: tuning job nope: not found (Amazon SageMaker "
                                              "can't find a tuning job with name nope)")
