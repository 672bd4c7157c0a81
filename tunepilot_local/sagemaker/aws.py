"""boto3 clients pointed at the local emulator, and the S3 moves a training job needs."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# Fake credentials: the emulator accepts anything, and we must never pick up real ones.
_FAKE_CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}


@dataclass(frozen=True)
class Clients:
    s3: Any
    logs: Any
    events: Any
    cloudwatch: Any


def clients(endpoint_url: str, region: str) -> Clients:
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120)
    session = boto3.session.Session(region_name=region, **_FAKE_CREDS)  # type: ignore[arg-type]
    return Clients(
        s3=session.client("s3", endpoint_url=endpoint_url, config=config),
        logs=session.client("logs", endpoint_url=endpoint_url, config=config),
        events=session.client("events", endpoint_url=endpoint_url, config=config),
        cloudwatch=session.client("cloudwatch", endpoint_url=endpoint_url, config=config),
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def download_prefix(s3: Any, uri: str, target: Path) -> int:
    """Download every object under an S3 prefix (or the single object) into ``target``; returns the count."""
    bucket, prefix = split_s3_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            destination = (target / relative).resolve()
            if target.resolve() not in destination.parents:  # a key like "../x" must not escape the channel
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(destination))
            count += 1
    return count


def download_bytes(s3: Any, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def tar_directory(directory: Path, skip: Collection[str] = ()) -> bytes:
    """A tar.gz of everything under ``directory`` (sorted, relative names), leaving out folders named in ``skip``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(directory)
            if not set(relative.parts) & set(skip):
                tar.add(path, arcname=relative.as_posix(), recursive=False)
    return buffer.getvalue()


def safe_extract(archive: bytes, target: Path) -> None:
    """Extract a tar.gz refusing links and paths that leave ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        tar.extractall(target, filter="data")
