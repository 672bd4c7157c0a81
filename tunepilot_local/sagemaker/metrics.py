"""Metric definitions applied to log lines the way SageMaker does: regex search, first group, float."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping


class MetricParser:
    def __init__(self, definitions: Iterable[Mapping[str, str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for definition in definitions:
            try:
                self._patterns.append((definition["Name"], re.compile(definition["Regex"])))
            except (KeyError, re.error):
                continue  # SageMaker validates regexes at create time; a broken one simply never matches here

    def parse(self, escaped_line: str) -> dict[str, float]:
        """Metric values found on one (CloudWatch-escaped) line."""
        found: dict[str, float] = {}
        for name, pattern in self._patterns:
            match = pattern.search(escaped_line)
            if not match:
                continue
            try:
                value = float(match.group(1) if match.groups() else match.group(0))
            except (ValueError, IndexError):
                continue
            if not math.isnan(value):
                found[name] = value
        return found
