"""Small regex helpers shared by the lint, the matcher and the diagnosis."""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=512)
def compiled(regex: str) -> re.Pattern[str]:
    """Compile once: the same few regexes run against every log line."""
    return re.compile(regex)


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
