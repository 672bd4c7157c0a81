"""A warm Lambda "container": imports one handler, then answers JSON lines on a private pipe.

Run as ``python -m tunepilot_local.lambda_worker`` (or by path) with the function's environment.
The protocol fd is a copy of the original stdout; fd 1 is pointed at stderr so handler prints and
Powertools logs never corrupt the protocol. Request: {"event": ..., "request_id": ..., "deadline_ms": ...}.
Response: {"ok": true, "result": ...} or {"ok": false, "error": {"errorMessage", "errorType", "stackTrace"}}.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes of the real Lambda context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("TUNEPILOT_LOCAL_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_exception(exc),
    }


# Fault injection (tests only): set per invocation from the request's "faults"; see install_fault_hooks.
_FAULTS: dict[str, Any] = {}


def install_fault_hooks() -> None:
    """botocore hooks on the default session, before the handler creates any client.

    ``throttle: {"services": ["sagemaker", "sfn", "dynamodb"], "rate": 0.5}`` (botocore's event names)
    answers that share of the calls with a 400 ThrottlingException at the HTTP layer, so botocore's own
    retries apply, as with real throttling.
    ``die_after: "sagemaker.CreateHyperParameterTuningJob"`` kills this worker (exit 137, as a SIGKILL)
    right after that call succeeded: the side effect happened, the invocation never returns.
    """
    import random

    import boto3
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    events = boto3.DEFAULT_SESSION.events if boto3.DEFAULT_SESSION else boto3._get_default_session().events

    def throttle(request: Any, **kwargs: Any) -> Any:
        rule = _FAULTS.get("throttle")
        service = kwargs.get("event_name", "").split(".")[1:2]
        if not rule or not service or service[0] not in rule["services"] or random.random() >= rule["rate"]:
            return None
        print(f"tunepilot-local: injected ThrottlingException on {kwargs.get('event_name')}", file=sys.stderr)
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded (injected)"}).encode()
        headers = HTTPHeaders()
        headers["x-amzn-RequestId"] = "injected"
        return AWSResponse(request.url, 400, headers, _Raw(body))

    def die(**kwargs: Any) -> None:
        if kwargs.get("event_name", "").removeprefix("after-call.") == _FAULTS.get("die_after"):
            print(f"tunepilot-local: worker killed after {_FAULTS['die_after']}", file=sys.stderr)
            sys.stderr.flush()
            os._exit(137)

    events.register("before-send", throttle)
    events.register("after-call", die)


class _Raw:
    """Enough of urllib3's response for botocore to read a body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body


def main() -> None:
    # Run by path, Python puts this folder first on sys.path; a Lambda sees only its code and layers.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    with contextlib.suppress(ImportError):  # a function without boto3 simply gets no faults
        install_fault_hooks()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error = None
    except BaseException as exc:  # an import error is reported on every invoke, like Lambda's Runtime.ImportModuleError
        handler, init_error = None, _error(exc)
        init_error["errorType"] = "Runtime.ImportModuleError"
    for line in requests:
        request = json.loads(line)
        _FAULTS.clear()
        _FAULTS.update(request.get("faults") or {})
        if init_error is not None:
            reply: dict[str, Any] = {"ok": False, "error": init_error}
        else:
            try:
                context = LambdaContext(request["request_id"], request["deadline_ms"])
                reply = {"ok": True, "result": handler(request["event"], context)}
            except Exception as exc:
                reply = {"ok": False, "error": _error(exc)}
        try:
            text = json.dumps(reply, default=str)
        except (TypeError, ValueError) as exc:
            text = json.dumps({"ok": False, "error": {**_error(exc), "errorType": "Runtime.MarshalError"}})
        protocol.write(text + "\n")


if __name__ == "__main__":
    main()
