"""SageMaker timestamps in every form they arrive in, read by one function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from tunepilot.timestamps import UnreadableTime, epoch_seconds

MARCH_10 = 1583831389.05  # 2020-03-10T09:09:49.050Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(1583831389050, MARCH_10, id="epoch-ms-number"),
        pytest.param("1583831389050", MARCH_10, id="epoch-ms-string-as-in-aws-samples"),
        pytest.param("2020-03-10T09:09:49.050Z", MARCH_10, id="iso-zulu"),
        pytest.param("2020-03-10T10:09:49.050+01:00", MARCH_10, id="iso-offset"),
        pytest.param("2020-03-10T09:09:49.050", MARCH_10, id="iso-naive-is-utc"),
        pytest.param(1583831389.05, MARCH_10, id="epoch-seconds-number"),
        pytest.param(" 1583831389050 ", MARCH_10, id="epoch-ms-string-padded"),
        pytest.param(datetime(2020, 3, 10, 9, 9, 49, 50000, tzinfo=UTC), MARCH_10, id="boto3-datetime"),
        pytest.param(datetime(2020, 3, 10, 10, 9, 49, 50000, tzinfo=timezone(timedelta(hours=1))), MARCH_10,
                     id="boto3-datetime-local-zone"),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
    ],
)
def test_every_form_reads_to_the_same_instant(value, expected):
    result = epoch_seconds(value)
    assert result == (None if expected is None else pytest.approx(expected, abs=1e-3))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("yesterday", id="words"),
        pytest.param("2020-13-45T99:00:00Z", id="impossible-date"),
        pytest.param("NaN", id="nan-string"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param(-5, id="negative"),
        pytest.param(True, id="boolean"),
        pytest.param({"epoch": 1}, id="object"),
    ],
)
def test_an_unreadable_time_is_an_error_not_a_guess(value):
    with pytest.raises(UnreadableTime, match="not a time"):
        epoch_seconds(value)
