"""Metric definitions applied to log lines the way SageMaker does (TunePilot's own reader).

The per-line rule (regex search on the line as CloudWatch stores it, first group, float) is
``tunepilot.metrics.match.extract``: the platform and the metric guard read logs identically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from tunepilot.metrics.match import extract


class MetricParser:
    def __init__(self, definitions: Iterable[Mapping[str, str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for definition in definitions:
            try:
                self._patterns.append((definition["Name"], re.compile(definition["Regex"])))
            except (KeyError, re.error):
                continue  # SageMaker rejects it at create time; here it simply never matches

    def parse(self, line: str) -> dict[str, float]:
        """Metric values found on one log line (NaN is dropped: it would poison the search)."""
        found: dict[str, float] = {}
        for name, pattern in self._patterns:
            value = extract(pattern, line)
            if value is not None and not math.isnan(value):
                found[name] = value
        return found
