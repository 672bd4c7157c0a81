"""Start moto's threaded server on a free local port, configured the way the local cloud needs it.

moto reads ``MOTO_PORT`` when one service calls another over HTTP (Step Functions → Lambda), and
its Step Functions backend only executes state machines when the user config says so.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"

# Credentials moto accepts; set so no boto3 client in this process ever looks for real ones.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}


@dataclass
class RunningServer:
    server: object
    endpoint_url: str
    port: int
    # The environment variables start_server changed, with their old values (None: was unset).
    saved_environment: dict[str, str | None] = field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]
        # Point this process back where it was: a later in-process mock (or real AWS) must not
        # send requests to a server that is gone.
        for key, value in self.saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """Environment that points any AWS SDK at the local server with fake credentials."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


_DYNAMODB_CALLS = (
    "get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_get_item",
    "batch_write_item", "transact_get_items", "transact_write_items",
)
_dynamodb_lock = threading.RLock()


def serialize_dynamodb() -> None:
    """Make each moto DynamoDB request atomic, as DynamoDB's are.

    moto's in-memory tables are plain dicts: a TransactWriteItems copies the table while another
    request writes to it and fails with "dictionary changed size during iteration" (HTTP 500).
    One lock around every table operation matches DynamoDB's per-request atomicity; no DynamoDB
    call re-enters another, so the lock cannot deadlock.
    """
    from moto.dynamodb.models import DynamoDBBackend

    for name in _DYNAMODB_CALLS:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_tunepilot_serialized", False):
            continue

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _dynamodb_lock:
                return __original(self, *args, **kwargs)

        locked._tunepilot_serialized = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, functools.wraps(original)(locked))


def start_server(host: str = "127.0.0.1") -> RunningServer:
    """Start the server on a free port and point this process's environment at it."""
    changed = (*FAKE_CREDENTIALS, "AWS_DEFAULT_REGION", "MOTO_ACCOUNT_ID", "MOTO_PORT", "AWS_ENDPOINT_URL")
    saved = {key: os.environ.get(key) for key in changed}
    os.environ.update({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "MOTO_ACCOUNT_ID": ACCOUNT})
    from moto.core.config import default_user_config
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    # Executions run in moto's ASL interpreter instead of staying RUNNING forever.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns the run's output
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    from moto.moto_api._internal import moto_api_backend

    # moto's state is per process: a second local cloud in the same process starts from a clean slate.
    moto_api_backend.reset()
    serialize_dynamodb()
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    os.environ["MOTO_PORT"] = str(port)  # moto's own service-to-service calls go here
    endpoint_url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    return RunningServer(server=server, endpoint_url=endpoint_url, port=port, saved_environment=saved)
