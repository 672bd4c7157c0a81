"""S3 adapter: bounded reads of specs, JSON writes under runs/. Specs are never modified."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tunepilot.aws.clients import clients
from tunepilot.aws.errors import aws_call, error_code, translate
from tunepilot.exceptions import SpecInvalid


def read_bounded(bucket: str, key: str, version_id: str | None, max_bytes: int) -> tuple[bytes, int]:
    """Read at most ``max_bytes + 1`` bytes, so an oversized object is detected without loading it.
    Returns the bytes read and the object's real size (from ``Content-Range``, not the truncated read)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "Range": f"bytes=0-{max_bytes}"}
    if version_id:
        kwargs["VersionId"] = version_id
    try:
        response = clients.s3.get_object(**kwargs)
        data = bytes(response["Body"].read(max_bytes + 1))
        return data, _total_size(response.get("ContentRange"), len(data))
    except ClientError as e:
        if error_code(e) in {"NoSuchKey", "NoSuchVersion", "InvalidRange"}:
            if error_code(e) == "InvalidRange":  # an empty object
                return b"", 0
            raise SpecInvalid(f"s3://{bucket}/{key} no longer exists ({error_code(e)})") from e
        raise translate(e, f"read s3://{bucket}/{key}") from e


def put_json(bucket: str, key: str, document: Any) -> str:
    body = json.dumps(document, indent=2, sort_keys=True, default=str).encode()
    with aws_call(f"write s3://{bucket}/{key}"):
        clients.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def put_text(bucket: str, key: str, body: str, content_type: str) -> str:
    with aws_call(f"write s3://{bucket}/{key}"):
        clients.s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type)
    return f"s3://{bucket}/{key}"


def get_json(bucket: str, key: str) -> Any:
    with aws_call(f"read s3://{bucket}/{key}"):
        response = clients.s3.get_object(Bucket=bucket, Key=key)
    return json.loads(response["Body"].read())


def _total_size(content_range: str | None, read: int) -> int:
    """``bytes 0-262144/1048576`` -> 1048576; without a range (a whole object) the bytes read."""
    total = (content_range or "").rpartition("/")[2]
    return int(total) if total.isdigit() else read
