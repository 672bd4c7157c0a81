"""The SageMaker Python SDK v2, unchanged, against one local cloud (the real template, real training).

Set up as the README's "Use the SageMaker Python SDK against the local cloud" says: every AWS SDK call
goes to the local endpoint (AWS_ENDPOINT_URL) with fake credentials, and the SDK's telemetry is off
through its own config file. A guard fails any connection to an address outside loopback.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("sagemaker-config.yaml")
BUCKET = "sdk-compat"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class NonLoopbackConnection(AssertionError):
    pass


_ATTEMPTS: list[str] = []  # every connection or name lookup refused, even ones the SDK swallows


@pytest.fixture(scope="session", autouse=True)
def loopback_only() -> Iterator[None]:
    """Refuse any connection (and any DNS lookup) this process makes outside loopback: telemetry, real AWS."""
    original_connect, original_lookup = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(str(host)):
            _ATTEMPTS.append(f"connect {address!r}")
            raise NonLoopbackConnection(f"connection to {address!r} outside loopback")
        return original_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host.decode() if isinstance(host, bytes) else str(host)):
            _ATTEMPTS.append(f"lookup {host!r}")
            raise NonLoopbackConnection(f"name lookup of {host!r} outside loopback")
        return original_lookup(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    yield
    socket.socket.connect = original_connect  # type: ignore[method-assign]
    socket.getaddrinfo = original_lookup


@pytest.fixture(autouse=True)
def no_call_outside_loopback(loopback_only: None) -> Iterator[list[str]]:
    """Fail the test if anything tried to leave loopback during it, even if the SDK caught the error."""
    start = len(_ATTEMPTS)
    yield _ATTEMPTS
    attempts = _ATTEMPTS[start:]
    del _ATTEMPTS[start:]
    assert attempts == [], f"tried to leave loopback: {attempts}"


def _loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def cloud(loopback_only: None) -> Iterator[Any]:
    from tunepilot_local.cloud import LocalCloud
    from tunepilot_local.server import aws_environment

    local = LocalCloud(REPO / "template.yaml", workdir=REPO / ".tunepilot" / "compat", schedule_seconds=3,
                       time_scale=1, progress=print)
    with local:
        saved = dict(os.environ)
        os.environ.update(aws_environment(local.endpoint_url))
        os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(CONFIG)
        try:
            yield local
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _csv(rows: np.ndarray) -> bytes:
    out = io.StringIO()
    np.savetxt(out, rows, delimiter=",", fmt="%.6g")
    return out.getvalue().encode()


@pytest.fixture(scope="session")
def data(cloud: Any) -> dict[str, Any]:
    """CSVs (label first, no header) in the local S3, as the SDK's XGBoost examples use: a noisy linear
    boundary in 8 features, 400 rows (tiny, so each job takes about a second)."""
    rng = np.random.default_rng(11)
    features = rng.normal(size=(400, 8))
    labels = (features @ rng.normal(size=8) + rng.normal(scale=0.5, size=400) > 0).astype(float)
    table = np.column_stack([labels, features])
    cut = int(len(table) * 0.75)
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="data/train/train.csv", Body=_csv(table[:cut]))
    s3.put_object(Bucket=BUCKET, Key="data/validation/validation.csv", Body=_csv(table[cut:]))
    return {"train": f"s3://{BUCKET}/data/train/", "validation": f"s3://{BUCKET}/data/validation/",
            "rows": table[cut:, 1:]}


@pytest.fixture(scope="session")
def session(cloud: Any, data: dict[str, Any]) -> Any:
    import boto3
    import sagemaker

    return sagemaker.Session(boto_session=boto3.session.Session(), default_bucket=BUCKET)


@pytest.fixture(scope="session")
def role(cloud: Any) -> str:
    from tunepilot_local.cloud import SAGEMAKER_ROLE

    return str(cloud.client("iam").get_role(RoleName=SAGEMAKER_ROLE)["Role"]["Arn"])
