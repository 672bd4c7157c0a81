"""A moto server on 127.0.0.1 with the local SageMaker platform installed, plus the breast-cancer data."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto.server import ThreadedMotoServer

from tests.integration.local_sagemaker.helpers import ACCOUNT, BUCKET, REGION, TIME_SCALE, model_tarball
from tunepilot_local.alerts import drain_queue
from tunepilot_local.sagemaker.platform import Platform, install


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def endpoint_url() -> Iterator[str]:
    port = _free_port()
    os.environ["MOTO_PORT"] = str(port)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request drowns failures
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def platform(endpoint_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A fresh platform per module on the shared server (moto's backends are process-global)."""
    local = install(endpoint_url=endpoint_url, region=REGION, account=ACCOUNT,
                    workdir=tmp_path_factory.mktemp("sagemaker"), max_parallel=2, time_scale=TIME_SCALE)
    yield local
    local.shutdown()


@pytest.fixture(scope="session")
def aws(endpoint_url: str) -> Callable[[str], Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    return lambda service: session.client(service, endpoint_url=endpoint_url)


def _csv(rows: np.ndarray) -> bytes:
    out = io.StringIO()
    np.savetxt(out, rows, delimiter=",", fmt="%.6g")
    return out.getvalue().encode()


@pytest.fixture(scope="session")
def dataset(aws: Callable[[str], Any]) -> dict[str, Any]:
    """Breast-cancer CSVs in local S3: label first, no header; a 75/25 train/validation split."""
    from sklearn.datasets import load_breast_cancer

    features, labels = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(7).permutation(len(labels))
    table = np.column_stack([labels, features])[order]
    cut = int(len(table) * 0.75)
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="data/train/train.csv", Body=_csv(table[:cut]))
    s3.put_object(Bucket=BUCKET, Key="data/validation/validation.csv", Body=_csv(table[cut:]))
    return {"validation_features": table[cut:, 1:], "validation_labels": table[cut:, 0]}




@pytest.fixture(scope="session")
def sagemaker_events(aws: Callable[[str], Any]) -> Callable[[], list[dict[str, Any]]]:
    """Every aws.sagemaker event, via an EventBridge rule → SQS queue (moto delivers that natively)."""
    sqs, events = aws("sqs"), aws("events")
    queue_url = sqs.create_queue(QueueName="sagemaker-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-sagemaker", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
    events.put_targets(Rule="all-sagemaker", Targets=[{"Id": "queue", "Arn": queue_arn}])
    received: list[dict[str, Any]] = []

    def drain() -> list[dict[str, Any]]:
        received.extend(drain_queue(sqs, queue_url))
        return received

    return drain


@pytest.fixture(scope="session")
def script_source(aws: Callable[[str], Any]) -> str:
    """A script-mode source tarball in S3 (the SDK's sourcedir.tar.gz); returns its URI."""
    script = (Path(__file__).parent / "scripts" / "train_epochs.py").read_bytes()
    aws("s3").put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=model_tarball({"train_epochs.py": script}))
    return f"s3://{BUCKET}/code/sourcedir.tar.gz"
