"""Static checks of one metric definition (name + regex), run while validating a spec.

Errors make the spec invalid: SageMaker would never read the metric. Warnings point at
regexes that match but may read the wrong number. The caller attaches the field path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tunepilot.metrics.normalize import as_stored
from tunepilot.metrics.regexes import (
    MAX_LINE_CHARS,
    REGEX_TIMEOUT_S,
    Pattern,
    RegexError,
    capture_group_span,
    capture_inner,
    compiled,
    error_text,
    fullmatch,
    search,
)

_MAX_QUOTE = 80

# Probes for the capture group: (number text, what a capture that loses it cannot read).
_NUMBER_PROBES = (
    ("-0.5", "a sign"),
    ("0.93", "a decimal point"),
    ("3.27e-06", "an exponent"),
    ("nan", "nan"),  # a diverged loss prints nan; reading nothing hides that
)
# What a greedy capture drags along: trailing punctuation and CloudWatch-stored ANSI codes.
_JUNK_PROBES = ("0.93,", "0.93#033[0m")


@dataclass
class LintResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def shorten(text: str, limit: int = _MAX_QUOTE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lint_metric_definition(
    name: str, regex: str, examples: Sequence[str] = (), builtin_sample: str | None = None
) -> LintResult:
    """Check that ``regex`` can read metric ``name`` from log lines as CloudWatch stores them."""
    result = LintResult()
    try:
        pattern = compiled(regex)
    except RegexError as e:
        result.errors.append(f"regex for {name} does not compile: {error_text(e)}")
        return result
    if pattern.groups != 1:
        result.errors.append(
            f"regex for {name} has {pattern.groups} capture groups; SageMaker reads the value from exactly one "
            "(use (?:...) for grouping that should not capture)"
        )
        return result
    result.errors.extend(_check_examples(name, pattern, examples))
    result.warnings.extend(_capture_warnings(name, regex))
    if builtin_sample is not None:
        result.warnings.extend(_builtin_format_warnings(name, regex, builtin_sample))
    return result


def _check_examples(name: str, pattern: Pattern[str], examples: Sequence[str]) -> list[str]:
    errors = []
    for number, example in enumerate(examples, 1):
        line = as_stored(example)
        if len(line) > MAX_LINE_CHARS:
            errors.append(f"example {number} is {len(line):,} characters as stored; metric regexes are checked on "
                          f"at most {MAX_LINE_CHARS:,}")
            continue
        try:
            m = search(pattern, line)
        except TimeoutError:
            errors.append(too_slow(name, f"example {number} ({len(line)} characters)"))
            break  # one is enough: every other line would take as long
        if m is None:
            hint = " (CloudWatch stores its tab as #011)" if "\t" in example else ""
            errors.append(f"regex for {name} does not match the example line '{shorten(line)}'{hint}")
            continue
        try:
            float(m.group(1))
        except (TypeError, ValueError):
            errors.append(
                f"regex for {name} captures '{shorten(str(m.group(1)), 30)}' from the example line "
                f"'{shorten(line)}', which is not a number"
            )
    return errors


def too_slow(name: str, where: str) -> str:
    """The problem with a regex that ran out of time, in words."""
    return (
        f"regex for {name} takes too long on {where}: over {REGEX_TIMEOUT_S:g} s, where a usable regex needs "
        "microseconds (a repeat inside a repeat, like (a+)+ or (a|a)+, backtracks without end); simplify it"
    )


def _capture_warnings(name: str, regex: str) -> list[str]:
    inner = capture_inner(regex)
    if inner is None:
        return []
    try:
        capture = compiled(f"(?:{inner})")
    except RegexError:  # the group refers to something outside itself (a backreference)
        return []
    try:
        return _probe_capture(name, regex, inner, capture)
    except TimeoutError:  # even a probe of a few characters is too slow: that is the problem to report
        return [too_slow(name, "a number of a few characters")]


def _probe_capture(name: str, regex: str, inner: str, capture: Pattern[str]) -> list[str]:
    warnings = []
    for number, what in _NUMBER_PROBES:
        if fullmatch(capture, number):
            continue
        partial = search(capture, number)
        detail = f": it captures {partial.group(0)} from {number}" if partial else f" (e.g. {number})"
        warnings.append(f"the capture ({inner}) for {name} cannot read {what}{detail}")
    if fullmatch(capture, "") and _is_open_ended(regex):
        warnings.append(
            f"the capture ({inner}) for {name} can match an empty string and nothing after it forces it on: "
            "SageMaker may read nothing"
        )
    elif _is_open_ended(regex):
        swallowed = [probe for probe in _JUNK_PROBES if fullmatch(capture, probe)]
        if swallowed:
            quoted = " or ".join(f"'{p}'" for p in swallowed)
            warnings.append(
                f"the capture ({inner}) for {name} also takes what follows the number, e.g. {quoted}, "
                "which SageMaker cannot read as a number; capture only the number"
            )
    return warnings


def _is_open_ended(regex: str) -> bool:
    """True when nothing after the capture group stops it from running to the end of the line."""
    span = capture_group_span(regex)
    rest = regex[span[1] :] if span else ""
    return rest in {"", "$", ".*", ".*$"}


def _builtin_format_warnings(name: str, regex: str, sample: str) -> list[str]:
    warnings = []
    if r"\t" in regex or "\t" in regex:
        warnings.append(
            f"regex for {name} expects a tab, but CloudWatch stores tabs as #011 "
            f"(the container prints lines like '{sample}'); write #011 instead"
        )
    for m in re.finditer(r"([A-Za-z]+)-([A-Za-z]+):", sample):
        colon_form = f"{m.group(1)}:{m.group(2)}"
        if colon_form in regex:
            warnings.append(
                f"regex for {name} expects '{colon_form}', but the container writes '{m.group(0)[:-1]}' "
                f"(e.g. '{sample}')"
            )
    return warnings
