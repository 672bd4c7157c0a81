"""The S3 adapter against AWS's own error codes."""

from __future__ import annotations

import io

import pytest
from botocore.response import StreamingBody
from tunepilot.aws import s3
from tunepilot.exceptions import AwsCallFailed, AwsUnavailable, SpecInvalid, Throttled

from tests.unit.aws.conftest import error


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_read_bounded_asks_for_one_byte_more_than_the_cap(stubbed):
    stubbed("s3").add_response("get_object", {"Body": body(b"name: x\n")},
                               {"Bucket": "b", "Key": "specs/x.yaml", "Range": "bytes=0-1024", "VersionId": "v1"})
    assert s3.read_bounded("b", "specs/x.yaml", "v1", 1024) == (b"name: x\n", 8)


def test_read_bounded_reports_the_objects_real_size_from_content_range(stubbed):
    stubbed("s3").add_response("get_object", {"Body": body(b"x" * 1025), "ContentRange": "bytes 0-1024/5000000"},
                               {"Bucket": "b", "Key": "specs/x.yaml", "Range": "bytes=0-1024"})
    assert s3.read_bounded("b", "specs/x.yaml", None, 1024) == (b"x" * 1025, 5_000_000)


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("NoSuchKey", 404, SpecInvalid),
        ("NoSuchVersion", 404, SpecInvalid),
        ("InvalidRange", 416, (b"", 0)),
        ("AccessDenied", 403, AwsCallFailed),
        ("SlowDown", 503, Throttled),
        ("InternalError", 500, AwsUnavailable),
    ],
    ids=["deleted", "version-gone", "empty-object", "access-denied", "slow-down", "internal-error"],
)
def test_read_bounded_errors(stubbed, code, status, outcome):
    stubbed("s3").add_client_error("get_object", **error(code, status))
    if isinstance(outcome, tuple):
        assert s3.read_bounded("b", "specs/x.yaml", None, 1024) == outcome
    else:
        with pytest.raises(outcome) as raised:
            s3.read_bounded("b", "specs/x.yaml", None, 1024)
        assert code in str(raised.value)


def test_put_json_writes_sorted_json_and_returns_its_uri(stubbed):
    stubbed("s3").add_response("put_object", {}, {"Bucket": "b", "Key": "runs/r/result.json",
                                                  "Body": b'{\n  "a": 1,\n  "b": 2\n}',
                                                  "ContentType": "application/json"})
    assert s3.put_json("b", "runs/r/result.json", {"b": 2, "a": 1}) == "s3://b/runs/r/result.json"


@pytest.mark.parametrize(
    ("operation", "code", "status", "outcome"),
    [
        ("put_object", "AccessDenied", 403, AwsCallFailed),
        ("put_object", "InternalError", 500, AwsUnavailable),
        ("get_object", "NoSuchKey", 404, AwsCallFailed),
        ("get_object", "SlowDown", 503, Throttled),
    ],
    ids=["put-denied", "put-internal-error", "get-missing-run-file", "get-slow-down"],
)
def test_run_file_errors(stubbed, operation, code, status, outcome):
    stubbed("s3").add_client_error(operation, **error(code, status))
    with pytest.raises(outcome):
        if operation == "put_object":
            s3.put_json("b", "runs/r/result.json", {})
        else:
            s3.get_json("b", "runs/r/spec.json")
