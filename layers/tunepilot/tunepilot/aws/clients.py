"""boto3 clients, created once per process (at first use) and injectable in tests."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


class AwsClients:
    """Lazily created clients: importing a handler never touches the network."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]
        return self._clients[service]

    def override(self, **clients: Any) -> None:
        """Inject clients (tests: moto or a botocore Stubber)."""
        self._clients.update(clients)

    def reset(self) -> None:
        self._clients.clear()

    @property
    def s3(self) -> Any:
        return self.get("s3")

    @property
    def sagemaker(self) -> Any:
        return self.get("sagemaker")

    @property
    def sns(self) -> Any:
        return self.get("sns")

    @property
    def sfn(self) -> Any:
        return self.get("stepfunctions")

    @property
    def logs(self) -> Any:
        return self.get("logs")

    @property
    def dynamodb(self) -> Any:
        return self.get("dynamodb")


clients = AwsClients()
