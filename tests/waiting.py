"""The one bounded wait of the test suites: poll until something is there, else a TimeoutError that says what."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(what: str | Callable[[], str], probe: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Call ``probe`` until it returns something truthy; TimeoutError naming ``what`` otherwise.

    ``what`` may be a function, called only on timeout, so the message can carry the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what() if callable(what) else what}")
        time.sleep(interval)
