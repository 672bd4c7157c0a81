"""A warm Lambda "container": imports one handler, then answers JSON lines on a private pipe.

Run as ``python -m tunepilot_local.lambda_worker`` (or by path) with the function's environment.
The protocol fd is a copy of the original stdout; fd 1 is pointed at stderr so handler prints and
Powertools logs never corrupt the protocol. Request: {"event": ..., "request_id": ..., "deadline_ms": ...}.
Response: {"ok": true, "result": ...} or {"ok": false, "error": {"errorMessage", "errorType", "stackTrace"}}.
"""

from __future__ import annotations

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


def main() -> None:
    # Run by path, Python puts this folder first on sys.path; a Lambda sees only its code and layers.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        init_error = None
    except BaseException as exc:  # an import error is reported on every invoke, like Lambda's Runtime.ImportModuleError
        handler, init_error = None, _error(exc)
        init_error["errorType"] = "Runtime.ImportModuleError"
    for line in requests:
        request = json.loads(line)
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
