"""Timestamps as SageMaker's events and APIs carry them, read in one place.

Three forms arrive in an event's detail: epoch milliseconds as a number (what SageMaker sends),
epoch milliseconds as a string (as in AWS's own documented samples, e.g. ``"1583831389050"``), and
ISO 8601 strings (``2020-03-10T09:09:49.050Z``). boto3 answers carry ``datetime`` objects.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

# Epoch values above this are milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
_MILLIS_ABOVE = 1e11
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


class UnreadableTime(ValueError):
    """A timestamp was given, but in no form SageMaker uses."""


def epoch_seconds(value: Any) -> float | None:
    """Seconds since the epoch, or None when no time was given (None or ""). Raises UnreadableTime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, bool):
        raise UnreadableTime(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return _from_number(float(value), value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return _from_number(float(text), value)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UnreadableTime(f"not a time: {value!r}") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    raise UnreadableTime(f"not a time: {type(value).__name__} {value!r}")


def _from_number(number: float, original: Any) -> float:
    if not math.isfinite(number) or number < 0:
        raise UnreadableTime(f"not a time: {original!r}")
    return number / 1000.0 if number > _MILLIS_ABOVE else number
