"""Durations as people write them: ``600``, ``90s``, ``90m``, ``2h``, ``1h30m``, ``1d``."""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Units in descending order, each at most once: "1d2h30m15s", "90m", "2h".
_HUMAN = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_HINT = "give seconds (600) or a duration like 90s, 90m, 2h, 1h30m, 1d"


def parse_duration(value: object) -> int:
    """Seconds in ``value``; raises ValueError with a message fit for a spec author."""
    if isinstance(value, bool):  # bool is an int subclass; `true` is never a duration
        raise ValueError(f"not a duration: {value!r}; {_HINT}")
    if isinstance(value, int):
        return _positive(value)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"not a whole number of seconds: {value!r}; {_HINT}")
        return _positive(int(value))
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            return _positive(int(text))
        m = _HUMAN.match(text)
        if text and m and any(m.groups()):
            total = sum(int(n) * _UNIT_SECONDS[u] for n, u in zip(m.groups(), "dhms", strict=True) if n)
            return _positive(total)
    raise ValueError(f"not a duration: {value!r}; {_HINT}")


def _positive(seconds: int) -> int:
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {seconds} seconds")
    return seconds


def format_duration(seconds: float) -> str:
    """``5400`` -> ``1h30m``; seconds under a minute keep their unit."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    parts = []
    for unit in "dhm":
        count, total = divmod(total, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    if total:
        parts.append(f"{total}s")
    return "".join(parts)
