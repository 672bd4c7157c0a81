"""Small validators shared by the spec rules: names, URIs and ARNs as AWS accepts them."""

from __future__ import annotations

import ipaddress
import re

# SageMaker's job-name rule, once: checked here with `re` (\Z: no trailing newline slips through) and by
# the spec model's pydantic pattern (Rust regex, where $ already means the very end).
JOB_NAME_RULE = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
JOB_NAME = re.compile(rf"^{JOB_NAME_RULE}\Z")
JOB_NAME_PATTERN = rf"^{JOB_NAME_RULE}$"
ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\Z")
ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@\-/]{1,512}\Z")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+\Z")
CHANNEL_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,64}\Z")
ENV_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,1023}\Z")
IMAGE_URI = re.compile(r"^[\w.\-]+(:\d+)?/[\w.\-/]+(:[\w.\-]+|@sha256:[0-9a-f]{64})?\Z")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]\Z")


def job_name_problem(name: str, what: str = "name") -> str | None:
    if len(name) > 32:
        return f"{what} '{name}' is {len(name)} characters; SageMaker allows at most 32"
    if not JOB_NAME.match(name):
        return f"{what} '{name}' must be letters, digits and hyphens, starting and ending with a letter or digit"
    return None


def s3_uri_problem(uri: str, *, need_key: bool = False) -> str | None:
    """Why ``uri`` is not an ``s3://bucket/key`` URI SageMaker accepts, or None."""
    if not uri.startswith("s3://"):
        return f"'{uri}' is not an s3:// URI"
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        return f"'{bucket}' is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"
    try:
        ipaddress.ip_address(bucket)
        return f"'{bucket}' is not a valid S3 bucket name (it looks like an IP address)"
    except ValueError:
        pass
    if need_key and not key:
        return f"'{uri}' names a bucket but no object key"
    if len(uri) > 1024:
        return "S3 URI is longer than 1024 characters"
    return None


def role_arn_problem(arn: str, allowed: tuple[str, ...]) -> str | None:
    if not ROLE_ARN.match(arn):
        return f"'{arn}' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)"
    if allowed and arn not in allowed:
        return f"role {arn} is not allowed here; allowed roles: {', '.join(allowed)}"
    return None
