"""Training logs to CloudWatch Logs, the way SageMaker containers' lines land there.

SageMaker's log agent escapes control characters syslog-style: ``#`` and three octal digits, so a tab
becomes ``#011``, ESC ``#033`` and CR ``#015``. Built-in metric regexes are written against that form.
Lines are buffered and sent in batches (every ``FLUSH_SECONDS`` by the platform's flusher, or every
``FLUSH_LINES`` lines) so a Logs subscription filter sees them while the job is still running.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
FLUSH_SECONDS = 0.5
FLUSH_LINES = 200


def escape_line(line: str) -> str:
    """Escape control characters as CloudWatch stores SageMaker container output."""
    return "".join(f"#{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c for c in line)


def ensure_group(logs: Any, group: str = LOG_GROUP) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)


class LogStreamWriter:
    """One job's log stream; thread-safe, batched."""

    def __init__(self, logs: Any, job_name: str, group: str = LOG_GROUP) -> None:
        self.logs = logs
        self.group = group
        self.stream = f"{job_name}/algo-1-{int(time.time())}"
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()  # keeps batches in order when two threads flush
        logs.create_log_stream(logGroupName=group, logStreamName=self.stream)

    def write(self, escaped_line: str) -> None:
        with self._lock:
            self._pending.append({"timestamp": int(time.time() * 1000), "message": escaped_line})
            full = len(self._pending) >= FLUSH_LINES
        if full:
            self.flush()

    def flush(self) -> None:
        with self._send_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                self.logs.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=batch)
