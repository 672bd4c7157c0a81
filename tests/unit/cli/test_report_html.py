"""`tunepilot report RUN_ID --stack NAME --html FILE` (S3 under moto): the JSON as before, plus report.html."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

import tunepilot_cli.runs as runs
from tunepilot_cli import main

BUCKET = "tunepilot-test-bucket"
RUN = "demo-0123456789ab"
PAGE = "<!doctype html><html><body>report of the run</body></html>"


class Stack:
    bucket = BUCKET

    def __init__(self) -> None:
        self._s3 = boto3.client("s3", region_name="us-east-1")

    def client(self, name: str):
        assert name == "s3"
        return self._s3


@pytest.fixture
def stack(monkeypatch):
    with mock_aws():
        s = Stack()
        s._s3.create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(runs, "_stack", lambda name: s)
        yield s


def _put(stack, name, body):
    stack.client("s3").put_object(Bucket=BUCKET, Key=f"runs/{RUN}/{name}", Body=body)


CASES = [
    pytest.param({"result.json": '{"status": "SUCCEEDED"}', "report.html": PAGE}, 0, True, id="result-and-report"),
    pytest.param({"result.json": '{"status": "SUCCEEDED"}'}, 1, False, id="report-not-written-yet"),
    pytest.param({"report.html": PAGE}, 1, True, id="report-without-result"),
    pytest.param({}, 1, False, id="nothing-yet"),
]


@pytest.mark.parametrize(("objects", "code", "saved"), CASES)
def test_report_html(stack, tmp_path, capsys, objects, code, saved):
    for name, body in objects.items():
        _put(stack, name, body)
    target = tmp_path / "report.html"
    assert main(["report", RUN, "--stack", "s", "--html", str(target)]) == code
    out, err = capsys.readouterr()
    assert target.exists() is saved
    if saved:
        assert target.read_text() == PAGE
        assert f"saved s3://{BUCKET}/runs/{RUN}/report.html to {target}" in err
    if "result.json" in objects:
        assert json.loads(out) == {"status": "SUCCEEDED"}


def test_report_without_html_keeps_its_behaviour(stack, tmp_path, capsys):
    _put(stack, "result.json", '{"status": "FAILED"}')
    assert main(["report", RUN, "--stack", "s"]) == 0
    assert json.loads(capsys.readouterr().out) == {"status": "FAILED"}


def test_unwritable_html_path_exits_2(stack, tmp_path, capsys):
    _put(stack, "result.json", "{}")
    _put(stack, "report.html", PAGE)
    assert main(["report", RUN, "--stack", "s", "--html", str(tmp_path / "missing-dir" / "r.html")]) == 2
    assert "cannot write" in capsys.readouterr().err
