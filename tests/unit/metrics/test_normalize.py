from __future__ import annotations

import pytest
from tunepilot.metrics.normalize import as_stored, decode_stored, normalize_line, split_lines

ESC = "\x1b"


@pytest.mark.parametrize(
    ("raw", "readable"),
    [
        ("[0]#011train-auc:0.96#011validation-auc:0.95", "[0]\ttrain-auc:0.96\tvalidation-auc:0.95"),
        ("val_acc: #033[32m0.93#033[0m", "val_acc: 0.93"),
        (f"val_acc: {ESC}[1;32m0.93{ESC}[0m", "val_acc: 0.93"),
        ("#033[K#010#010 47%", " 47%"),
        ("loss: 0.69\rloss: 0.60\rloss: 0.55", "loss: 0.55"),
        ("loss: 0.55#015", "loss: 0.55"),
        ("issue #100 is fine", "issue #100 is fine"),
        (f"{ESC}]0;title{ESC}\\epoch 1", "epoch 1"),
    ],
    ids=["xgboost-tabs", "stored-ansi", "raw-ansi", "cursor-codes-and-backspaces", "progress-bar-redraws",
         "trailing-stored-cr", "hash-number-is-text", "osc-title"],
)
def test_normalize_line_gives_the_readable_text(raw, readable):
    assert normalize_line(raw) == readable


@pytest.mark.parametrize(
    ("printed", "stored"),
    [
        ("[0]\ttrain-auc:0.96", "[0]#011train-auc:0.96"),
        (f"val_acc: {ESC}[32m0.93", "val_acc: #033[32m0.93"),
        ("[0]#011train-auc:0.96", "[0]#011train-auc:0.96"),
        ("plain text", "plain text"),
    ],
    ids=["tab", "esc", "already-stored", "plain"],
)
def test_as_stored_is_what_cloudwatch_keeps(printed, stored):
    assert as_stored(printed) == stored
    assert as_stored(stored) == stored  # idempotent: stored text has no control characters left


def test_decode_stored_round_trips_control_characters():
    line = "a\tb\x1b[0mc"
    assert decode_stored(as_stored(line)) == line


@pytest.mark.parametrize(
    ("message", "lines"),
    [
        ("[0]#011a:1\n[1]#011a:2", ["[0]#011a:1", "[1]#011a:2"]),
        ("a:1\r\na:2\r\n", ["a:1", "a:2"]),
        ("1/3 loss: 0.6\r2/3 loss: 0.5", ["1/3 loss: 0.6", "2/3 loss: 0.5"]),
        ("\n\n  \nonly\n", ["only"]),
        ("", []),
    ],
    ids=["multi-line-record", "crlf", "progress-bar", "blank-lines-dropped", "empty"],
)
def test_split_lines(message, lines):
    assert split_lines(message) == lines
