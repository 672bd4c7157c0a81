"""Start moto's threaded server on a free local port, configured the way the local cloud needs it.

moto reads ``MOTO_PORT`` when one service calls another over HTTP (Step Functions → Lambda), and
its Step Functions backend only executes state machines when the user config says so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

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
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    os.environ["MOTO_PORT"] = str(port)  # moto's own service-to-service calls go here
    endpoint_url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    return RunningServer(server=server, endpoint_url=endpoint_url, port=port, saved_environment=saved)
