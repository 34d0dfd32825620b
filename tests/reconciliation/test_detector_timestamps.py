"""The timestamp forms the stale-sync detector relies on, held against `base.timestamps`.

Each expected epoch is computed independently with datetime arithmetic, never by the parser.
Reasons show the synced epoch as RFC3339 UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from base.timestamps import parse_rfc3339 as parse_timestamp
from reconciliation.detector import GapDetector


def _epoch(*args: int, offset_minutes: int = 0) -> float:
    tz = timezone(timedelta(minutes=offset_minutes))
    return datetime(*args, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:00:00Z", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T10:00:00z", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20t10:00:00Z", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20 10:00:00Z", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T11:00:00+01:00", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T11:00:00+0100", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T04:30:00-05:30", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T10:00:00+00:00", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T10:00:00-00:00", _epoch(2026, 11, 20, 10, 0, 0)),
        ("2026-11-20T10:00:00", _epoch(2026, 11, 20, 10, 0, 0)),  # no offset: UTC
        ("  2026-11-20T10:00:00Z\n", _epoch(2026, 11, 20, 10, 0, 0)),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2024-02-29T00:00:00Z", _epoch(2024, 2, 29)),
        ("2026-01-01T00:30:00+14:00", _epoch(2025, 12, 31, 10, 30)),
    ],
)
def test_parses_rfc3339_forms(text: str, expected: float) -> None:
    assert parse_timestamp(text) == expected


def test_offset_and_z_forms_of_one_instant_are_equal() -> None:
    assert parse_timestamp("2026-11-20T11:00:00+01:00") == parse_timestamp("2026-11-20T10:00:00Z")
    assert parse_timestamp("2026-11-20T11:00:00.5+01:00") == parse_timestamp(
        "2026-11-20T10:00:00.500Z"
    )


def test_fractions_are_exact_to_the_float() -> None:
    base = _epoch(2026, 11, 20, 10, 0, 0)
    assert parse_timestamp("2026-11-20T10:00:00.25Z") == base + 0.25
    assert parse_timestamp("2026-11-20T10:00:00.123456Z") == (base * 10**6 + 123456) / 10**6
    # Go's RFC3339Nano: nine digits; still correctly rounded.
    assert parse_timestamp("2026-11-20T10:00:00.123456789Z") == (
        (int(base) * 10**9 + 123456789) / 10**9
    )
    assert parse_timestamp("2026-11-20T10:00:00.000001Z") > parse_timestamp("2026-11-20T10:00:00Z")
    assert parse_timestamp("2026-11-20T10:00:00,5Z") == base + 0.5


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "garbage",
        "2026-11-20",
        "2026-11-20T10:00Z",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T10:60:00Z",
        "2026-11-20T10:00:60Z",
        "2026-11-20T10:00:00+24:00",
        "2026-11-20T10:00:00+01:60",
        "2026-11-20T10:00:00.Z",
        "2026-11-20T10:00:00Zjunk",
        "0000-01-01T00:00:00Z",
        "２０２６-11-20T10:00:00Z",  # full-width digits
        "2026-11-20T10:00:00 Z",
        True,
        1700000000,
        1700000000.5,
        float("nan"),
        float("inf"),
        ["2026-11-20T10:00:00Z"],
        {"value": 1},
    ],
)
def test_unparsable_values_give_none(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("synced", "shown"),
    [
        (_epoch(2026, 11, 19, 9, 0, 0), "2026-11-19T09:00:00Z"),
        (_epoch(2026, 11, 19, 9, 0, 0) + 0.25, "2026-11-19T09:00:00.25Z"),
        (0, "1970-01-01T00:00:00Z"),
        (-1e300, "-1e+300"),
    ],
)
def test_reason_shows_the_synced_instant_in_utc(synced: float, shown: str) -> None:
    scene = {"id": "1", "files": [{"path": "/a.mp4"}], "updated_at": "2026-11-20T11:00:00+01:00"}
    [gap] = GapDetector().detect_stale_syncs([scene], {1: synced})
    assert gap.reason == f"updated in Stash 2026-11-20T11:00:00+01:00 after last sync {shown}"
