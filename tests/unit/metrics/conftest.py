"""Shared fixtures for the metric-guard tests: the real-format logs in tests/data/logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tunepilot.metrics.normalize import split_lines

LOGS = Path(__file__).resolve().parents[2] / "data" / "logs"


def log_lines(name: str) -> list[str]:
    """The lines of a fixture log, split the way the CLI and the Lambda split records."""
    return split_lines((LOGS / name).read_text())


@pytest.fixture
def lines_of():
    return log_lines
