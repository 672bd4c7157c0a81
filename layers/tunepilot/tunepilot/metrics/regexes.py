"""Small regex helpers shared by the lint, the matcher and the diagnosis.

A metric regex comes from the user and runs on every log line, so every evaluation of one is
bounded: it runs in the ``regex`` module (which also survives classics like ``(a+)+b``) with a
time limit, on at most ``MAX_LINE_CHARS`` characters. A regex that runs out of time raises
``TimeoutError``; each caller turns that into a clear problem, never a hang.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import regex as rx
from regex import Match, Pattern

# The capture a suggested regex uses: every number float() reads (sign, decimals,
# exponent, nan/inf). Plain character classes only, so it reads the same in any engine.
NUMBER_CAPTURE = r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[nN]a[nN]|[iI]nf))"

# A full number as it stands in readable log text; the guards keep "nan" out of "nanny"
# and "12" out of "v12".
FULL_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?!\w|\.[0-9])"
    r"|(?<![\w.])[-+]?(?:nan|inf)(?!\w|\.[0-9])",
    re.IGNORECASE,
)

_SPECIAL = set(r".^$*+?{}[]\|()")

# The longest log line (or example line) a metric regex is run on; the rest of a longer line is not read.
MAX_LINE_CHARS = 4096
# The longest one evaluation of a user's regex on one line may take. An honest regex needs microseconds.
REGEX_TIMEOUT_S = 0.1
# Every evaluation while one spec is validated, together (40 definitions with 20 examples each).
VALIDATION_BUDGET_S = 2.0
_deadline: ContextVar[float | None] = ContextVar("regex_deadline", default=None)

# What a regex that does not compile raises: the stdlib's error (its messages, and only what it
# accepts, are the reference), or the regex module's for the rare pattern only the stdlib takes.
RegexError = (re.error, rx.error)


@lru_cache(maxsize=512)
def compiled(regex: str) -> Pattern[str]:
    """Compile once: the same few regexes run against every log line. Raises one of ``RegexError``."""
    re.compile(regex)
    return rx.compile(regex)


def as_pattern(regex: str | Pattern[str] | re.Pattern[str]) -> Pattern[str]:
    """A bounded pattern from text or from a pattern compiled elsewhere (``re`` cannot be time-limited)."""
    if isinstance(regex, str):
        return compiled(regex)
    return regex if isinstance(regex, Pattern) else compiled(regex.pattern)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Bound every evaluation inside the block together: past ``seconds``, each raises ``TimeoutError``."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _timeout(timeout: float) -> float:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the time budget for regex evaluation is spent")
    return min(timeout, left)


def search(pattern: Pattern[str], text: str, timeout: float = REGEX_TIMEOUT_S) -> Match[str] | None:
    """``pattern.search`` on the first ``MAX_LINE_CHARS`` of ``text``; ``TimeoutError`` past ``timeout``."""
    return pattern.search(text[:MAX_LINE_CHARS], timeout=_timeout(timeout))


def fullmatch(pattern: Pattern[str], text: str, timeout: float = REGEX_TIMEOUT_S) -> Match[str] | None:
    return pattern.fullmatch(text[:MAX_LINE_CHARS], timeout=_timeout(timeout))


def error_text(e: Any) -> str:
    """A compile error as "missing ) at position 2"."""
    where = f" at position {e.pos}" if getattr(e, "pos", None) is not None else ""
    return f"{getattr(e, 'msg', None) or e}{where}"


def escape_literal(text: str) -> str:
    """Escape only what a regex needs escaped, so ``#011`` and spaces stay readable."""
    return "".join(f"\\{ch}" if ch in _SPECIAL else ch for ch in text)


def capture_group_span(regex: str) -> tuple[int, int] | None:
    """Where the first capturing group sits in ``regex``: (start of "(", end after ")").

    Skips escapes, character classes and non-capturing groups ``(?:``, ``(?=``...;
    a named group ``(?P<name>`` counts as capturing. None when there is no capture.
    """
    # Nested groups close inner-first, so remember which group opened first and wait for it.
    depth_stack: list[tuple[int, bool]] = []
    first_open: int | None = None
    i, in_class = 0, False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if regex[i + 1 : i + 2] == "]" or regex[i + 1 : i + 3] == "^]":  # "[]..." starts with a literal ]
                i += 2 if regex[i + 1] == "]" else 3
                continue
        elif ch == "(":
            named = regex.startswith(("(?P<", "(?<"), i) and not regex.startswith(("(?<=", "(?<!"), i)
            capturing = named or not regex.startswith("(?", i)
            if capturing and first_open is None:
                first_open = i
            depth_stack.append((i, capturing))
        elif ch == ")" and depth_stack:
            start, _ = depth_stack.pop()
            if start == first_open:
                return start, i + 1
        i += 1
    return None


def capture_inner(regex: str) -> str | None:
    """The sub-pattern inside the first capturing group, without its name."""
    span = capture_group_span(regex)
    if span is None:
        return None
    group = regex[span[0] + 1 : span[1] - 1]
    if group.startswith(("?P<", "?<")):
        group = group[group.index(">") + 1 :]
    return group


def same_number(a: float, b: float) -> bool:
    """Equality that treats nan as equal to nan (a metric can legitimately be nan)."""
    return a == b or (a != a and b != b)
