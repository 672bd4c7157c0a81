"""Reading metric values out of log lines, the way SageMaker does.

SageMaker applies every metric definition to every log line (as CloudWatch stores it,
see ``normalize``), takes the first capture group and records it if it is a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from tunepilot.metrics.nearmiss import Verdict, check_line, mentions
from tunepilot.metrics.normalize import as_stored
from tunepilot.metrics.regexes import Pattern, RegexError, as_pattern, compiled, search

DEFAULT_MAX_EVIDENCE = 10
# Distinct near-miss lines remembered (as short hashes) so a redelivered or repeated line
# is not counted twice; bounded so the state stays small enough for one DynamoDB item.
_MAX_SEEN = 200


def extract(regex: str | Pattern[str] | re.Pattern[str], line: str) -> float | None:
    """The value ``regex`` reads from ``line`` (first group of the first match), or None.

    ``line`` may be stored (``#011``) or printed (real tabs): it is matched as stored. A regex that
    runs out of time on the line reads nothing from it.
    """
    pattern = as_pattern(regex)
    try:
        m = search(pattern, as_stored(line))
    except TimeoutError:
        return None
    if m is None or pattern.groups < 1 or m.group(1) is None:
        return None
    try:
        return float(m.group(1))
    except ValueError:
        return None


def extract_metrics(lines: Iterable[str], metric_definitions: Sequence[Mapping[str, str]]) -> dict[str, list[float]]:
    """Every value of every metric, in log order: ``{"validation:auc": [0.95, 0.96, ...]}``.

    Every definition gets a key, even when it never matched. A definition whose regex does
    not compile is skipped the way SageMaker would reject it: it reads nothing.
    """
    patterns: list[tuple[str, Pattern[str]]] = []
    values: dict[str, list[float]] = {}
    for definition in metric_definitions:
        values[definition["Name"]] = []
        try:
            patterns.append((definition["Name"], compiled(definition["Regex"])))
        except RegexError:
            continue
    for line in lines:
        stored = as_stored(line)  # once per line, not once per definition
        for name, pattern in patterns:
            value = extract(pattern, stored)
            if value is not None:
                values[name].append(value)
    return values


@dataclass
class MetricStats:
    regex: str
    valid: bool = True  # False when the regex does not compile, captures nothing, or ran out of time
    slow: bool = False  # the regex ran out of time on a line: it is no longer run
    match_count: int = 0
    last_value: float | None = None
    mentioned: bool = False
    near_miss_count: int = 0
    near_misses: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # hashes of near-miss lines already counted

    def to_state(self) -> dict[str, Any]:
        last = self.last_value
        return {
            "regex": self.regex,
            "valid": self.valid,
            "slow": self.slow,
            "match_count": self.match_count,
            # JSON (and DynamoDB) have no nan/inf: keep them as text.
            "last_value": last if last is None or math.isfinite(last) else str(last),
            "mentioned": self.mentioned,
            "near_miss_count": self.near_miss_count,
            "near_misses": list(self.near_misses),
            "seen": list(self.seen),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> MetricStats:
        last = state.get("last_value")
        return cls(
            regex=state["regex"],
            valid=bool(state.get("valid", True)),
            slow=bool(state.get("slow", False)),
            match_count=int(state.get("match_count", 0)),
            last_value=None if last is None else float(last),
            mentioned=bool(state.get("mentioned", False)),
            near_miss_count=int(state.get("near_miss_count", 0)),
            near_misses=list(state.get("near_misses", [])),
            seen=list(state.get("seen", [])),
        )


class MetricTracker:
    """Incremental matching for the runtime guard; its state survives between Lambda calls.

    Counting rules:
    - ``match_count`` counts every line SageMaker would take a value from, repeated lines
      included: a script may print the same value twice (a plateau), and SageMaker records
      both. A redelivered batch can inflate it, which is harmless: the guard only asks
      "did it ever match".
    - near misses are evidence, so they are deduplicated: an identical line is counted
      and kept once. A line that only mentions the metric (the regex is not the obvious
      culprit) is evidence only until the first clean match; a line the regex misreads
      (truncated, unreadable, or missed only because of its capture) always is.
    """

    def __init__(self, definitions: Mapping[str, str], max_evidence: int = DEFAULT_MAX_EVIDENCE) -> None:
        self.max_evidence = max_evidence
        self.metrics: dict[str, MetricStats] = {}
        for name, regex in definitions.items():
            try:
                valid = compiled(regex).groups >= 1  # SageMaker reads the first group
            except RegexError:
                valid = False
            # A regex the lint rejects still gets stats (it never matches), so the alert can name it.
            self.metrics[name] = MetricStats(regex=regex, valid=valid)

    def feed(self, lines: Iterable[str]) -> None:
        for line in lines:
            for name, stats in self.metrics.items():
                if stats.valid:
                    self._feed_one(name, stats, line)

    def _feed_one(self, name: str, stats: MetricStats, line: str) -> None:
        check = check_line(name, stats.regex, line)
        if check.verdict is Verdict.SLOW:
            # One timeout costs REGEX_TIMEOUT_S; the next line would too. Stop running it: the alert says why.
            stats.slow, stats.valid = True, False
            return
        if check.value is not None:  # MATCH or TRUNCATED: SageMaker records a value
            stats.match_count += 1
            stats.last_value = check.value
        if check.verdict is not Verdict.UNRELATED or (not stats.mentioned and mentions(name, line)):
            stats.mentioned = True
        if not check.is_near_miss:
            return
        weak = check.verdict is Verdict.MISSED and not check.capture_only
        if weak and stats.match_count > 0:
            return
        key = blake2b(as_stored(line).encode(), digest_size=8).hexdigest()
        if key in stats.seen:
            return
        stats.seen = [*stats.seen, key][-_MAX_SEEN:]
        stats.near_miss_count += 1
        if len(stats.near_misses) < self.max_evidence:
            stats.near_misses.append(line)

    def to_state(self) -> dict[str, Any]:
        return {"max_evidence": self.max_evidence, "metrics": {n: s.to_state() for n, s in self.metrics.items()}}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> MetricTracker:
        tracker = cls({}, max_evidence=int(state.get("max_evidence", DEFAULT_MAX_EVIDENCE)))
        tracker.metrics = {n: MetricStats.from_state(s) for n, s in state.get("metrics", {}).items()}
        return tracker

    def matched(self, name: str) -> bool:
        return self.metrics[name].match_count > 0
