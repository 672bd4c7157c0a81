"""The terminal's live display for ``tunepilot local run``, ``watch`` and ``submit --watch`` (rich).

On a TTY the commands show one panel that redraws in place: the current state, a bar of training jobs done out
of the total, the best objective so far and spend against the budget. It reads the run through the same
``RunPageApi`` as the run page, on a thread of its own. When stdout is not a TTY (CI logs, a pipe) the commands
print their plain lines exactly as before and this module is not used.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tunepilot_ui.api import TERMINAL, RunPageApi, RunProgress
from tunepilot_ui.source import SourceError

# RunWatcher's status lines ("[  6.5s] state=... jobs 2/12 ..."): the panel shows the same, so they are not echoed.
_STATUS_LINE = re.compile(r"\[\s*\d+(?:\.\d+)?s\] ")
_STYLES = {"RUNNING": "bold blue", "SUCCEEDED": "bold green", "FAILED": "bold red", "TIMED_OUT": "bold red",
           "ABORTED": "bold red"}


def wanted(stream: TextIO | None = None) -> bool:
    """Whether to show the live display: stdout is a terminal."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def render(progress: RunProgress | None, waiting_for: str = "", error: str = "") -> Panel:
    """The panel for one look at the run (pure; tests render it to a string)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if progress is None:
        grid.add_row("run", Text(f"waiting for the execution of {waiting_for}" if waiting_for else "starting"))
    else:
        grid.add_row("run", Text(progress.run_id))
        grid.add_row("state", Text.assemble((progress.state, "bold"), "  ",
                                            (progress.status.lower(), _STYLES.get(progress.status, ""))))
        total = progress.jobs_total or 0
        jobs = Text(f"{progress.jobs_done}/{total or '?'} done, {progress.jobs_running} running")
        grid.add_row("jobs", _bar(ProgressBar(total=float(total or 1), completed=float(progress.jobs_done), width=30),
                                  jobs))
        best = "-" if progress.best is None else f"{progress.best:.6g}"
        grid.add_row("best", Text(f"{progress.metric or 'objective'} = {best}"))
        spend = progress.spend_usd or 0.0
        if progress.budget_usd:
            over = spend > progress.budget_usd
            grid.add_row("spend", _bar(
                ProgressBar(total=progress.budget_usd, completed=min(spend, progress.budget_usd), width=30,
                            complete_style="red" if over else "bar.complete"),
                Text(f"${spend:.6f} of ${progress.budget_usd:.2f}")))
        else:
            grid.add_row("spend", Text(f"${spend:.6f} (no dollar budget)"))
        if progress.stop_reason:
            grid.add_row("stopped", Text(str(progress.stop_reason), style="yellow"))
    if error:
        grid.add_row("note", Text(error, style="dim"))
    return Panel(grid, title="TunePilot", expand=False)


def _bar(bar: ProgressBar, label: Text) -> Table:
    row = Table.grid(padding=(0, 1))
    row.add_row(bar, label)
    return row


class LiveRunDisplay:
    """A rich Live panel following the run of the spec at ``key``; ``log`` prints other lines above it.

        with LiveRunDisplay(api, key="specs/demo.yaml") as display:
            cloud.run_spec(spec, progress=display.log)
    """

    def __init__(self, api: RunPageApi, *, key: str | None = None, run_id: str | None = None,
                 version_id: str | None = None, interval: float = 1.0, console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.api = api
        self.key = key
        self.run_id = run_id
        self.version_id = version_id
        self.interval = interval
        self.console = console or Console()
        self.progress: RunProgress | None = None
        self.error = ""
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live = Live(render(None, key or ""), console=self.console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveRunDisplay:
        self._live.__enter__()
        self._thread = threading.Thread(target=self._follow, name="tunepilot-live", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.refresh()  # one last look, so the panel left on screen is the final one
        self._live.__exit__(*exc)

    def log(self, line: str) -> None:
        if not _STATUS_LINE.match(line):
            self._live.console.print(Text(line))

    def refresh(self) -> None:
        try:
            if self.run_id is None and self.key:
                self.run_id = self.api.find_by_key(self.key, self.version_id)
            if self.run_id is not None:
                self.progress = self.api.progress(self.run_id)
            self.error = ""
        except (SourceError, LookupError) as error:
            self.error = str(error)
        self._live.update(render(self.progress, self.key or "", self.error))

    @property
    def finished(self) -> bool:
        return self.progress is not None and self.progress.status in TERMINAL

    def _follow(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self.interval)
