"""Stash RFC3339 timestamps to epoch seconds: the same forms and results on every Python
from 3.10 on, whatever that version's `fromisoformat` accepts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from base.timestamps import parse_rfc3339


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2025-03-01T12:34:56Z", 1740832496.0),
        ("2025-03-01T12:34:56z", 1740832496.0),
        ("2025-03-01T12:34:56+01:00", 1740828896.0),
        ("2025-03-01T12:34:56-05:30", 1740852296.0),
        ("2025-03-01T12:34:56+0100", 1740828896.0),
        ("2025-03-01 12:34:56Z", 1740832496.0),
        ("2025-03-01T12:34:56.5Z", 1740832496.5),
        ("2025-03-01T12:34:56.123456789+00:00", 1740832496.123456789),
        ("2025-03-01T12:34:56,25Z", 1740832496.25),
        ("2025-03-01T12:34:56.1234+00:00", 1740832496.1234),  # 3.10's fromisoformat: 3 or 6
        ("2025-03-01T12:34:56.1234567-01:00", 1740836096.1234567),
        ("2000-02-29T12:00:00+14:00", 951775200.0),
        ("9999-12-31T23:59:59-23:59", 253402387139.0),
        ("0001-01-01T00:00:00+00:00", -62135596800.0),
        ("2025-03-01T12:34:56", 1740832496.0),  # no offset: UTC
        ("  2024-02-29T00:00:00Z ", 1709164800.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
    ],
)
def test_parses_stash_timestamps(text: str, epoch: float) -> None:
    assert parse_rfc3339(text) == epoch


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "2025-03-01",
        "2025-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2025-03-01T24:00:00Z",
        "2025-03-01T12:60:00Z",
        "2025-03-01T12:00:60Z",
        "2025-03-01T12:00:00+24:00",
        "2025-03-01T12:00:00Zjunk",
        "0000-01-01T00:00:00Z",
        "２０２５-03-01T12:00:00Z",
        "2025-03-01T12:00:00.Z",
        "1900-02-29T00:00:00Z",  # not a leap year: divisible by 100
        "2025-04-31T00:00:00Z",
        "2025-03-01T12:00:00+00:60",  # 3.11's fromisoformat reads this as +01:00
        "2025-03-01T12:00:00-24:00",
        "20250301T120000Z",  # ISO 8601 basic format: 3.11's fromisoformat takes it
        "2025-W09-6T12:00:00Z",  # ISO week date, likewise
        "2025-03-01T12:00Z",
        "2025-03-01T12:00:00+01",
        "2025-03-01T12:00:00 +01:00",
        "2025-03-01T12:00:00.5.5Z",
    ],
)
def test_garbage_gives_none(text: str) -> None:
    assert parse_rfc3339(text) is None


@pytest.mark.parametrize("value", [None, 1740832496, 17.5, b"2025-03-01T12:34:56Z", ["x"]])
def test_non_strings_give_none(value: object) -> None:
    assert parse_rfc3339(value) is None


def test_agrees_with_datetime_on_random_instants() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        offset = timedelta(minutes=rng.randrange(-14 * 60, 14 * 60 + 1))
        moment = datetime(1, 1, 1, tzinfo=timezone.utc) + timedelta(
            seconds=rng.randrange(0, 9999 * 365 * 86400)
        )
        local = moment.astimezone(timezone(offset))
        sign = "+" if offset >= timedelta(0) else "-"
        minutes = abs(int(offset.total_seconds())) // 60
        text = (
            f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:"
            f"{local.minute:02d}:{local.second:02d}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        )
        if local.year < 1 or local.year > 9999:
            continue
        assert parse_rfc3339(text) == moment.timestamp(), text


def test_fractions_are_exact_at_any_length() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        digits = str(rng.randrange(10**12)).zfill(rng.randrange(1, 13))
        expected = (1740832496 * 10 ** len(digits) + int(digits)) / 10 ** len(digits)
        assert parse_rfc3339(f"2025-03-01T12:34:56.{digits}Z") == expected, digits
