"""The unit suite cannot reach the network, not even loopback; a Unix socket pair still works."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import HTTPClientError
from pytest_socket import SocketBlockedError

# pytest-socket also warns each time it blocks; here the block is the point.
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_an_internet_socket_cannot_be_opened(family: socket.AddressFamily) -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(family, socket.SOCK_STREAM)


def test_a_boto3_call_to_aws_is_refused_before_it_leaves_the_process() -> None:
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                      config=Config(retries={"max_attempts": 1}))
    with pytest.raises(HTTPClientError, match="A test tried to use socket"):
        s3.list_buckets()


def test_unix_sockets_stay_allowed() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"ping")
        assert right.recv(4) == b"ping"
