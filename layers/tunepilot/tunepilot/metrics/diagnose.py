"""Why a metric regex reads nothing (or the wrong number), in one sentence, with a proven fix.

``diagnose`` judges every line with ``nearmiss.check_line``, keeps the near misses as
evidence, names the cause, and suggests a regex only after checking it against every
evidence line: each must match, as stored, and read the full number the line prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tunepilot.metrics.lint import shorten, too_slow
from tunepilot.metrics.nearmiss import LineCheck, Verdict, check_line, mentions, spots, widen_capture
from tunepilot.metrics.normalize import as_stored, normalize_line
from tunepilot.metrics.regexes import (
    FULL_NUMBER,
    NUMBER_CAPTURE,
    RegexError,
    compiled,
    error_text,
    escape_literal,
    same_number,
    search,
)

MAX_NEAR_MISSES = 10
_ANSI_STORED = r"(?:#033\[[0-9;]*m)*"  # colour codes as CloudWatch stores them


@dataclass
class MetricReport:
    name: str
    regex: str
    matched: bool
    match_count: int
    last_value: float | None
    near_misses: list[str] = field(default_factory=list)  # at most MAX_NEAR_MISSES, deduplicated
    suggested_regex: str | None = None
    diagnosis: str | None = None  # one sentence; None when every mention was read cleanly

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- suggestions ------------------------------------------------------------------------


def _expected_numbers(metric: str, line: str) -> list[str]:
    """The numbers a correct regex may read from the line: those printed next to the metric,
    or, when the line never spells the metric out, any whole number in it."""
    found = [s.number for s in spots(metric, line)]
    return found or FULL_NUMBER.findall(normalize_line(line))


def verify(regex: str, metric: str, lines: Sequence[str]) -> bool:
    """True when ``regex`` reads, from every line as stored, a full number the line prints."""
    try:
        pattern = compiled(regex)
    except RegexError:
        return False
    if pattern.groups != 1 or not lines:
        return False
    for line in lines:
        try:
            m = search(pattern, as_stored(line))
        except TimeoutError:
            return False  # a suggestion must be fast as well as right
        if m is None or m.group(1) is None:
            return False
        try:
            value = float(m.group(1))
        except ValueError:
            return False
        if not any(same_number(value, float(n)) for n in _expected_numbers(metric, line)):
            return False
    return True


def _literal_candidates(metric: str, line: str) -> list[str]:
    """Regexes built from how the line itself prints the metric, most specific first."""
    clean = normalize_line(line)
    candidates = []
    for spot in spots(metric, line):
        start = clean.find(spot.mention + spot.gap)
        before = clean[start - 1] if start > 0 else ""
        literal = spot.mention + spot.gap
        # The character before the name ("'" in "'loss':", a tab) keeps "loss" out of "eval_loss".
        if before in "'\"\t{ [":
            candidates.append(escape_literal(as_stored(before + literal)) + NUMBER_CAPTURE)
        candidates.append(escape_literal(as_stored(literal)) + NUMBER_CAPTURE)
        candidates.append(escape_literal(as_stored(literal)) + _ANSI_STORED + NUMBER_CAPTURE)
    return candidates


def _fixed_user_regexes(regex: str) -> list[tuple[str, str]]:
    """(fixed regex, what was fixed) for the usual mistakes, each with the full-number capture."""
    widened = widen_capture(regex) or regex
    fixes = [
        (re.sub(r"\\t|\t", "#011", widened), "tab"),
        (widened, "capture"),
        (re.sub(r"(?<=[A-Za-z]):(?=[A-Za-z])", "-", widened), "colon-dash"),
        (re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", ":", widened), "dash-colon"),
        # Leave the ":" of "(?:" and the "=" of "(?=", "(?<=", "(?P=" alone.
        (re.sub(r"(?<!\?):", "=", widened), "colon-equals"),
        (re.sub(r"(?<![?<P!])=", ":", widened), "equals-colon"),
    ]
    return [(fixed, what) for fixed, what in fixes if what == "capture" or fixed != widened]


def suggest_regex(metric: str, evidence_lines: Sequence[str], regex: str | None = None) -> str | None:
    """A regex that reads the full number from every evidence line, or None if none is proven.

    With the user's ``regex``, fixes of it are tried first (they keep the user's context);
    then regexes built from how the first evidence lines print the metric.
    """
    lines = list(evidence_lines)
    if not lines:
        return None
    candidates = [fixed for fixed, _ in _fixed_user_regexes(regex)] if regex and _usable(regex) else []
    for line in lines[:3]:
        candidates.extend(_literal_candidates(metric, line))
    seen: set[str] = set()
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        if verify(candidate, metric, lines):
            return candidate
    return None


def _usable(regex: str) -> bool:
    try:
        return compiled(regex).groups >= 1
    except RegexError:
        return False


def unusable_regex(metric: str, regex: str) -> str | None:
    """Why SageMaker can read nothing at all with ``regex``, as a sentence; None if it can.

    Several groups are readable (SageMaker takes the first), so only a compile error or a
    regex without any group stops the diagnosis; the spec lint is stricter.
    """
    try:
        pattern = compiled(regex)
    except RegexError as e:
        return f"The regex for {metric} does not compile: {error_text(e)}."
    if pattern.groups == 0:
        return f"The regex for {metric} has no capture group, so SageMaker has no value to read."
    return None


# --- the diagnosis ----------------------------------------------------------------------


def _number_loss(captured: str, full: str) -> str:
    """What part of ``full`` a capture of ``captured`` lost."""
    if full.lstrip("+-") != full and captured.lstrip("+-") == captured:
        return "the sign"
    if re.search(r"[eE]", full) and not re.search(r"[eE]", captured):
        return "the exponent"
    if "." in full and "." not in captured:
        return "the decimals"
    return "part of the number"


def _junk_kind(captured: str, number: str | None) -> str:
    """What a greedy capture took besides the number, in words."""
    junk = captured.replace(number, "", 1) if number else captured
    if "#033" in junk:
        return "ANSI colour codes"
    if "#011" in junk:
        return "the rest of the line (a tab is stored as #011, which \\S+ does not stop at)"
    if junk and not any(ch.isalnum() for ch in junk.replace("#011", "")):
        return "trailing punctuation"
    return "trailing text"


def _kind_of_number(number: str) -> str:
    if number.lower().lstrip("+-") in {"nan", "inf"}:
        return number.lower().lstrip("+-")
    if number.startswith("-"):
        return "negative numbers"
    if re.search(r"[eE]", number):
        return "numbers with an exponent"
    return f"numbers like {number}"


def _cause(metric: str, regex: str, evidence: list[tuple[str, LineCheck]], matched_cleanly: bool) -> str:
    """One sentence naming why the regex misses (or misreads) the evidence lines."""
    lines = [line for line, _ in evidence]
    for fixed, fix in _fixed_user_regexes(regex):
        if fix == "capture" or not verify(fixed, metric, lines):
            continue
        if fix == "tab":
            return "The regex expects a tab, but CloudWatch stores a tab as #011: write #011 where the log has a tab."
        pairs = {
            "colon-dash": ("':'", "'-'"),
            "dash-colon": ("'-'", "':'"),
            "colon-equals": ("':'", "'='"),
            "equals-colon": ("'='", "':'"),
        }
        wrote, has = pairs[fix]
        return f"The regex writes {wrote} where the log has {has} (e.g. '{shorten(as_stored(lines[0]), 70)}')."
    for _line, check in evidence:
        if check.verdict is Verdict.TRUNCATED and check.captured and check.full_number:
            lost = _number_loss(check.captured, check.full_number)
            return f"The capture loses {lost}: {check.full_number} is read as {check.captured}."
    for _line, check in evidence:
        if check.verdict is Verdict.UNREADABLE and check.captured is not None:
            if check.captured == "":
                return (
                    "The capture reads an empty string (a lazy group like (.*?) with nothing after it stops "
                    "before the number), so SageMaker drops it."
                )
            junk = _junk_kind(check.captured, check.full_number)
            return (
                f"The capture is too greedy and drags {junk} along: '{shorten(check.captured, 40)}' "
                "is not a number, so SageMaker drops it."
            )
    for line, check in evidence:
        if check.verdict is Verdict.MISSED and check.capture_only and check.full_number:
            what = _kind_of_number(check.full_number)
            return f"The capture cannot read {what}, so lines like '{shorten(normalize_line(line), 60)}' are skipped."
    count = len(evidence)
    scope = "some of the" if matched_cleanly else "any of the"
    return (
        f"The regex does not match {scope} {count} {'lines that print' if count != 1 else 'line that prints'} {metric} "
        f"(e.g. '{shorten(normalize_line(lines[0]), 70)}')."
    )


def _words(text: str) -> str:
    return " " + " ".join(re.split(r"[^A-Za-z0-9]+", text)).strip() + " "


def _regex_words(regex: str) -> str:
    """The literal words of a regex: escapes like \\t and classes like [0-9] are not words."""
    text = re.sub(r"\[[^\]]*\]|\\[A-Za-z]|\(\?[:=!]|\(\?P?<\w+>", " ", regex)
    return _words(text.replace("\\", ""))


def _names_like_regex(metric: str, regex: str, line: str) -> bool:
    """True when the line spells the metric exactly as the regex does (case and words)."""
    words = _regex_words(regex)
    return any(_words(spot.mention) in words for spot in spots(metric, line))


def _lines_with_regex_words(regex: str, lines: Sequence[str]) -> list[str]:
    """Distinct lines holding every literal word of the regex (case as written), when it has some."""
    words = [w for w in _regex_words(regex).split() if len(w) >= 3]
    if not words:
        return []
    found: dict[str, str] = {}
    for line in lines:
        readable = normalize_line(line)
        if all(re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", readable) for w in words):
            found.setdefault(as_stored(line), line)
    return list(found.values())


def _strong_evidence(
    metric: str, regex: str, evidence: list[tuple[str, LineCheck]], matched_cleanly: bool
) -> list[tuple[str, LineCheck]]:
    """Drop near misses that are probably about something else.

    A line the regex misreads, or misses only because of its capture, always stays. A line
    that merely prints the metric stays only while the regex never read a value, and, when
    some lines spell the metric exactly as the regex does ("Loss" in "#011Loss:"), only
    those: "Average loss" in the same log is then another number.
    """
    def is_strong(check: LineCheck) -> bool:
        return check.verdict is not Verdict.MISSED or check.capture_only

    if matched_cleanly:
        return [e for e in evidence if is_strong(e[1])]
    alike = [e for e in evidence if not is_strong(e[1]) and _names_like_regex(metric, regex, e[0])]
    if not alike:
        return evidence
    return [e for e in evidence if is_strong(e[1]) or e in alike]


def diagnose(metric: str, regex: str, lines: Iterable[str]) -> MetricReport:
    """Read the whole log as SageMaker would, and explain what went wrong for ``metric``."""
    unusable = unusable_regex(metric, regex)
    if unusable:
        return MetricReport(metric, regex, False, 0, None, diagnosis=unusable)
    match_count, last_value, clean_matches, mentioned = 0, None, 0, False
    evidence: list[tuple[str, LineCheck]] = []
    seen: set[str] = set()
    lines_seen: list[str] = []
    slow_line = 0
    for number, raw in enumerate(lines, 1):
        lines_seen.append(raw)
        check = check_line(metric, regex, raw)
        if check.verdict is Verdict.SLOW:  # every later line could take as long: stop here, and say so
            slow_line = number
            break
        if check.value is not None:
            match_count, last_value = match_count + 1, check.value
        clean_matches += check.verdict is Verdict.MATCH
        mentioned = mentioned or check.verdict is not Verdict.UNRELATED or mentions(metric, raw)
        stored = as_stored(raw)
        if check.is_near_miss and stored not in seen:
            seen.add(stored)
            evidence.append((raw, check))
    evidence = _strong_evidence(metric, regex, evidence, clean_matches > 0)
    report = MetricReport(metric, regex, match_count > 0, match_count, last_value)
    report.near_misses = [as_stored(line) for line, _ in evidence[:MAX_NEAR_MISSES]]
    if slow_line:
        report.diagnosis = too_slow(metric, f"line {slow_line} of the log").replace("regex for", "The regex for", 1)
        report.diagnosis += "; the lines after it were not read."
        report.suggested_regex = suggest_regex(metric, [line for line, _ in evidence], regex) if evidence else None
    elif evidence:
        report.diagnosis = _cause(metric, regex, evidence, clean_matches > 0)
        report.suggested_regex = suggest_regex(metric, [line for line, _ in evidence], regex)
    elif match_count == 0 and (lookalikes := _lines_with_regex_words(regex, lines_seen)):
        words = " ".join(_regex_words(regex).split())
        report.near_misses = [as_stored(line) for line in lookalikes[:MAX_NEAR_MISSES]]
        report.diagnosis = (
            f"The log never prints {metric} under that name, and the regex matches none of the "
            f"{len(lookalikes)} line{'s' if len(lookalikes) != 1 else ''} with its words '{words}' "
            f"(e.g. '{shorten(normalize_line(lookalikes[0]), 70)}')."
        )
    elif match_count == 0:
        report.diagnosis = (
            f"The log mentions {metric} but never prints a number next to it."
            if mentioned
            else f"The log never mentions {metric}: the script does not print it, or prints it only at the end "
            "and this log stops before that."
        )
    return report
