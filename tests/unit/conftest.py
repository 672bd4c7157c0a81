"""Unit tests run with the network blocked: any socket but a Unix one raises SocketBlockedError.

An autouse fixture here (not a command-line flag) scopes the block to tests/unit, so the same pytest
process can still run tests/integration, whose in-process moto and SageMaker platform use loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _network_blocked() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
