"""How one regex fares on one log line, the way SageMaker would read it, and why it misses.

A regex is matched against the line AS STORED (``#011`` for a tab, see ``normalize``).
Mentions of the metric are looked for in the READABLE text, in any spelling:
``validation:auc`` is also ``validation-auc``, ``val_auc``, ``Validation AUC``...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from tunepilot.metrics.normalize import as_stored, normalize_line
from tunepilot.metrics.regexes import (
    FULL_NUMBER,
    MAX_LINE_CHARS,
    NUMBER_CAPTURE,
    Pattern,
    capture_group_span,
    compiled,
    search,
)

# Other spellings a token commonly takes in training logs (Keras' val_, HuggingFace's eval_).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "validation": ("validation", "valid", "val", "eval"),
    "train": ("train", "training"),
    "test": ("test", "testing"),
    "accuracy": ("accuracy", "acc"),
    "loss": ("loss",),
}
# Between a mention and its number: separators, quotes, and at most one "<score>"-style tag.
_GAP = r"""(?P<gap>[\s:=,'"()\[\]|]{0,6}?(?:<\w+>[\s:=]{0,3})?)"""


class Verdict(StrEnum):
    MATCH = "match"  # the regex read the full number
    TRUNCATED = "truncated"  # the regex read part of a number (3.27 from 3.27e-06): SageMaker keeps the wrong value
    UNREADABLE = "unreadable"  # the regex matched but its capture is no number ('0.93,'): SageMaker drops it
    MISSED = "missed"  # the regex did not match, but the line prints the metric
    UNRELATED = "unrelated"  # nothing to see
    SLOW = "slow"  # the regex ran out of time on this line: it reads nothing, and should be simplified


@dataclass(frozen=True)
class Spot:
    """A mention of the metric followed by a number, in readable text."""

    mention: str
    gap: str
    number: str


@dataclass(frozen=True)
class LineCheck:
    verdict: Verdict
    value: float | None = None  # what SageMaker would record (MATCH and TRUNCATED)
    captured: str | None = None  # the capture's text, as stored
    full_number: str | None = None  # the number the capture should have read
    capture_only: bool = False  # a regex with only its capture widened reads the full number

    @property
    def is_near_miss(self) -> bool:
        return self.verdict in {Verdict.TRUNCATED, Verdict.UNREADABLE, Verdict.MISSED}


def _tokens(metric: str) -> list[str]:
    # "validation:binary_classification_accuracy" -> validation, binary, classification, accuracy
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", metric)
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t]


@lru_cache(maxsize=256)
def mention_pattern(metric: str) -> re.Pattern[str]:
    """A case-insensitive pattern for the metric's name in any common spelling."""
    parts = ["(?:" + "|".join(map(re.escape, _SYNONYMS.get(t, (t,)))) + ")" for t in _tokens(metric)] or [
        re.escape(metric)
    ]
    body = r"[\s:_\-./]?".join(parts)
    return re.compile(rf"(?<![A-Za-z0-9_])(?P<mention>{body})(?![A-Za-z0-9_])", re.IGNORECASE)


@lru_cache(maxsize=256)
def _spot_pattern(metric: str) -> re.Pattern[str]:
    return re.compile(mention_pattern(metric).pattern + _GAP + rf"(?P<number>{FULL_NUMBER.pattern})", re.IGNORECASE)


def mentions(metric: str, line: str) -> bool:
    return mention_pattern(metric).search(normalize_line(line[:MAX_LINE_CHARS])) is not None


def spots(metric: str, line: str) -> list[Spot]:
    """Every place the readable line prints the metric with a number right after it."""
    readable = normalize_line(line[:MAX_LINE_CHARS])
    return [Spot(m["mention"], m["gap"], m["number"]) for m in _spot_pattern(metric).finditer(readable)]


def widen_capture(regex: str) -> str | None:
    """The regex with its capture replaced by one that reads any full number."""
    span = capture_group_span(regex)
    return None if span is None else regex[: span[0]] + NUMBER_CAPTURE + regex[span[1] :]


def read(pattern: Pattern[str], stored: str) -> tuple[str | None, float | None]:
    """(captured text, float) the way SageMaker reads one line; (None, None) when no match.

    Raises ``TimeoutError`` when the regex runs out of time on the line.
    """
    m = search(pattern, stored)
    if m is None:
        return None, None
    captured = m.group(1)
    if captured is None:
        return "", None
    try:
        return captured, float(captured)
    except ValueError:
        return captured, None


def check_line(metric: str, regex: str, line: str) -> LineCheck:
    """Judge one line. ``regex`` must compile with one capture (the lint makes sure).

    Only the first ``MAX_LINE_CHARS`` of a line are read, each regex with a time limit.
    """
    line = line[:MAX_LINE_CHARS]
    stored = as_stored(line)
    try:
        captured, value = read(compiled(regex), stored)
        widened = widen_capture(regex)
        wide_text, wide_value = read(compiled(widened), stored) if widened else (None, None)
    except TimeoutError:
        return LineCheck(Verdict.SLOW)
    if captured is not None and value is not None:
        if wide_text and wide_value is not None and captured in wide_text and wide_text != captured:
            return LineCheck(Verdict.TRUNCATED, value, captured, wide_text, capture_only=True)
        return LineCheck(Verdict.MATCH, value, captured)
    if captured is not None:
        number = FULL_NUMBER.match(normalize_line(captured))
        return LineCheck(Verdict.UNREADABLE, None, captured, number.group(0) if number else None)
    if wide_text is not None and wide_value is not None:
        return LineCheck(Verdict.MISSED, full_number=wide_text, capture_only=True)
    found = spots(metric, line)
    if found:
        return LineCheck(Verdict.MISSED, full_number=found[0].number)
    return LineCheck(Verdict.UNRELATED)
