"""The terminal's live display: what the panel says, and plain lines when stdout is not a TTY."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tunepilot_ui import live
from tunepilot_ui.api import RunPageApi, RunProgress


def text_of(panel) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(panel)
    return console.file.getvalue()


@pytest.mark.parametrize(("progress", "expected"), [
    (RunProgress(run_id="demo-1", status="RUNNING", state="WaitForTuning", jobs_done=3, jobs_total=12,
                 jobs_running=2, metric="validation:auc", best=0.98876, spend_usd=0.0004, budget_usd=2.0),
     ["demo-1", "WaitForTuning", "running", "3/12 done, 2 running", "validation:auc = 0.98876",
      "$0.000400 of $2.00"]),
    (RunProgress(run_id="demo-2", status="FAILED", state="Failed", stop_reason="BudgetExceeded", spend_usd=3.0,
                 budget_usd=2.0), ["failed", "0/? done", "objective = -", "BudgetExceeded", "$3.000000 of $2.00"]),
    (RunProgress(run_id="demo-3", status="SUCCEEDED", state="Succeeded"), ["(no dollar budget)"]),
    (None, ["waiting for the execution of specs/demo.yaml"]),
], ids=["running", "stopped-over-budget", "no-budget", "not-found-yet"])
def test_panel_shows_state_jobs_best_and_spend(progress, expected):
    shown = text_of(live.render(progress, "specs/demo.yaml"))
    for part in expected:
        assert part in shown


@pytest.mark.parametrize(("isatty", "expected"), [(True, True), (False, False)], ids=["tty", "pipe"])
def test_only_a_terminal_gets_the_live_display(isatty, expected):
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return isatty

    assert live.wanted(Stream()) is expected


def test_display_follows_a_run_and_echoes_only_non_status_lines(source):
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system=None)
    with live.LiveRunDisplay(RunPageApi(source), key="specs/rec-ok.yaml", interval=0.05, console=console) as display:
        display.log("uploaded s3://bucket/specs/rec-ok.yaml")
        display.log("[   6.5s] state=WaitForTuning  running")
    assert display.run_id == "rec-ok-86ad09853a0c" and display.finished
    shown = out.getvalue()
    assert "uploaded s3://bucket/specs/rec-ok.yaml" in shown and "state=WaitForTuning" not in shown
    assert "4/4 done" in shown and "Succeeded" in shown
