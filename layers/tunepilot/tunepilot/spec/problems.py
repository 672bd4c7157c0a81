"""Problems found in a spec: a dotted field path, a message, and the line when known."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # "hyperparameters.ranges.eta.min", "algorithm.image.metric_definitions[0].regex"; "" = whole file
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # A path or message may quote the spec's own text: a line break in it would break the one-line
        # report, and a lone surrogate ("\\ud800") could not be printed, written to validation.json or
        # sent over SNS. Both are kept as their escapes.
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def describe(self, whole_file: str = "(file)") -> str:
        """The one way a problem is printed: ``path: message (line N)``; ``whole_file`` stands for an empty path."""
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path or whole_file}: {self.message}{where}"

    def __str__(self) -> str:
        return self.describe()


def escaped(text: str) -> str:
    """``text`` with any lone surrogate written as its escape (``\\ud800``): safe to print, log and send."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable(text: str) -> str:
    """``text`` on one line: a line break, a tab or a lone surrogate as its escape (\\n, \\t, \\ud800)."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def join_path(parts: Iterable[str | int]) -> str:
    """("a", "b", 0, "c") -> "a.b[0].c"."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def line_for(path: str, lines: dict[str, int]) -> int | None:
    """The line of ``path`` or, for a missing field, of the nearest enclosing field."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return lines.get("")
