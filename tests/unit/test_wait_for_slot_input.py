"""WaitForSlot's edge: the upload time that orders the admission queue, in one form whatever the sender."""

from __future__ import annotations

import pytest
from tunepilot.edge import parse
from tunepilot.events import WaitForSlotInput
from tunepilot.exceptions import BadEvent
from tunepilot.usecases.admission import order_key

CASES = {
    "eventbridge-iso": ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"),
    "epoch-seconds": (1795341600, "2026-11-22T10:00:00Z"),
    "epoch-with-fraction": (1795341600.75, "2026-11-22T10:00:00Z"),
    "missing": (None, ""),
}


@pytest.mark.parametrize("sent,expected", CASES.values(), ids=CASES.keys())
def test_upload_time_is_iso_whole_seconds(sent, expected):
    event = {"run_id": "r-0123456789ab", "token": "t", **({"uploaded_at": sent} if sent is not None else {})}
    assert parse(WaitForSlotInput, event).uploaded_at == expected


def test_a_wait_without_a_token_is_a_bad_event():
    with pytest.raises(BadEvent):
        parse(WaitForSlotInput, {"run_id": "r-0123456789ab", "uploaded_at": "2026-11-22T10:00:00Z"})


def test_queue_order_is_upload_time_then_claim_time():
    keys = [order_key("2026-11-22T10:00:01Z", 5.0, "a"), order_key("2026-11-22T10:00:00Z", 9.0, "b"),
            order_key("2026-11-22T10:00:00Z", 10.5, "c"), order_key("2026-11-22T10:00:00Z", 100.0, "d")]
    assert [k.rsplit("|", 1)[1] for k in sorted(keys)] == ["b", "c", "d", "a"]
