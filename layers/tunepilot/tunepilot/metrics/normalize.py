"""Log text in the two forms that matter: as CloudWatch stores it, and as a person reads it.

CloudWatch (through the container's syslog-style driver) stores control characters as
``#`` plus three octal digits: a tab is ``#011``, ESC is ``#033``, CR is ``#015``.
SageMaker runs metric regexes against that STORED text, and the built-in regexes rely
on it (``#011validation-auc:``). So:

- ``as_stored(line)`` is the text a metric regex is matched against. A line copied from
  a notebook (real tabs, raw ANSI escapes) is turned into the stored form; a line that is
  already stored is left unchanged.
- ``strip_sdk_colour(line)`` removes the one thing a notebook copy adds that neither the
  container printed nor CloudWatch stored: the SageMaker Python SDK's per-instance colour
  wrapper (``ESC[34m`` ... ``ESC[0m`` around each line, colours 34/35/32/36/33 by instance).
  ``as_stored`` applies it first; ANSI codes the training code printed itself stay.
- ``normalize_line(line)`` is the cleaned, human view: escapes decoded, ANSI colour codes
  removed, tabs and other whitespace kept as plain spaces/tabs. Near-miss detection and
  regex suggestions look at this text; matching never does.
"""

from __future__ import annotations

import re

# rsyslog-style escapes for control characters (000-037 and DEL). "#100" and friends are
# ordinary text and stay as they are.
_STORED_ESCAPE = re.compile(r"#(0[0-3][0-7]|177)")
# ANSI CSI sequences (colours, cursor moves) and OSC sequences (terminal titles, links).
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def decode_stored(line: str) -> str:
    """Turn CloudWatch's ``#011``-style escapes back into the characters they stand for."""
    return _STORED_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), line)


_CONTROL_OR_TAB = re.compile(r"[\x00-\x08\t\x0b-\x1f\x7f]")
# sagemaker.logs.ColorWrap: "\x1b[{colour}m{line}\x1b[0m", one colour per instance stream.
_SDK_COLOUR = re.compile(r"\x1b\[3[2-6]m(.*)\x1b\[0m[ \t]*\Z", re.DOTALL)


def strip_sdk_colour(line: str) -> str:
    """The line without the SDK's per-instance colour wrapper, if it has one; otherwise unchanged."""
    m = _SDK_COLOUR.match(line)
    return m.group(1) if m else line


def as_stored(line: str) -> str:
    """The line as CloudWatch stores it: every control character (tab included) as ``#0NN``.

    A notebook copy's SDK colour wrapper is removed first: CloudWatch never held it."""
    return _CONTROL_OR_TAB.sub(lambda m: f"#{ord(m.group(0)):03o}", strip_sdk_colour(line))


def normalize_line(raw: str) -> str:
    """The readable text of a log line, stored or not: escapes decoded, ANSI codes stripped.

    Tabs are kept (as real tabs); other control characters that survive are dropped.
    """
    text = _ANSI.sub("", decode_stored(raw))
    # A carriage return inside one line is a progress bar redrawing itself: keep what a
    # terminal would end up showing, the last non-empty segment.
    if "\r" in text:
        text = next((seg for seg in reversed(text.split("\r")) if seg.strip()), "")
    return _CONTROL.sub("", text).rstrip("\n")


def split_lines(message: str) -> list[str]:
    """Split a log record into lines, the unit SageMaker applies a metric regex to.

    A CloudWatch event can hold several lines (a multi-line print, a traceback), and a
    notebook's output holds ``\\r`` progress-bar redraws; each becomes its own line.
    Empty lines are dropped: no regex can read a number from them.
    """
    return [line for line in _LINE_BREAK.split(message) if line.strip()]
