"""Parse Stash's RFC3339 timestamps (`Z` or `±HH:MM` offsets) to epoch seconds.

Pure and standard-library only, for Python 3.10 (whose `datetime.fromisoformat` rejects
`Z`). Stash sends `2025-03-01T12:34:56+01:00`, or `…Z` on UTC hosts; fractions are accepted.
Semantics match `reconciliation/_time.parse_timestamp` for strings, so one can replace the other.
"""

from __future__ import annotations

import re

__all__ = ["parse_rfc3339"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_rfc3339(text: object) -> float | None:
    """Epoch seconds of an RFC3339 timestamp string; None for anything unparsable.

    Accepted: `Z`/`z`, `+HH:MM`, `+HHMM`, `T`/`t`/space separator, any number of fraction
    digits. A string without an offset is read as UTC (Stash always sends one). Out-of-range
    fields (month 13, 30 February, hour 24, second 60, offset hour 24) give None. The result is
    the correctly rounded float of the exact instant, so the same instant written with
    different offsets compares equal. Never raises.
    """
    if not isinstance(text, str):
        return None
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    if year < 1 or not (1 <= month <= 12 and 1 <= day <= _month_length(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = 0
    if match.group(9) is not None:
        off_hours, off_minutes = int(match.group(10)), int(match.group(11))
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = off_hours * 3600 + off_minutes * 60
        if match.group(9) == "-":
            offset = -offset
    whole = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    whole -= offset
    digits = match.group(7)
    if not digits:
        return float(whole)
    scale = 10 ** len(digits)
    # int / int is correctly rounded in CPython: no double rounding of the fraction.
    return (whole * scale + int(digits)) / scale


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468
