"""Stash's text timestamps: the server's UTC offset read from its answers, and the lower
bound of an `updated_at GREATER_THAN` criterion (pure, standard library only).

Stash compares timestamp criteria as text against RFC3339 text stored in the server's local
offset (reference/stash.md §7.3). A bound written in that offset needs a margin of a few
seconds (second precision); without the offset it is written in UTC and must be a whole day
earlier, wider than any offset (−12:00 … +14:00). One function builds the bound for every
caller: the worker's catch-up, Sync Recent and the scoped reconciliation windows.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = [
    "KNOWN_OFFSET_MARGIN_S",
    "UNKNOWN_OFFSET_MARGIN_S",
    "text_lower_bound",
    "utc_offset_s",
]

# Stash stores whole seconds; two of them cover a row written in the watermark's second and
# a clock that ticked between the write and its commit.
KNOWN_OFFSET_MARGIN_S = 5.0
UNKNOWN_OFFSET_MARGIN_S = 86400.0  # wider than any UTC offset

_OFFSET = re.compile(r"(?:[Zz]|([+-])(\d{2}):?(\d{2}))\s*$", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}", re.ASCII)


def utc_offset_s(text: object) -> int | None:
    """The UTC offset in seconds an RFC3339 timestamp carries (`Z` → 0, `+01:00` → 3600);
    None when it carries none or is not a timestamp. Offsets beyond ±14 h are refused."""
    if not isinstance(text, str) or _DATE_TIME.match(text.strip()) is None:
        return None
    match = _OFFSET.search(text.strip()[19:])
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    if sign is None:
        return 0
    if int(minutes) >= 60:
        return None
    seconds = int(hours) * 3600 + int(minutes) * 60
    if seconds > 14 * 3600:
        return None
    return -seconds if sign == "-" else seconds


def text_lower_bound(instant: float, offset_s: int | None, margin_s: float | None = None) -> str:
    """The `GREATER_THAN` value that makes Stash return every row stored at `instant` or
    later: `instant − margin` as `YYYY-MM-DDTHH:MM:SS` in the server's offset when known
    (margin KNOWN_OFFSET_MARGIN_S), else in UTC a day earlier (UNKNOWN_OFFSET_MARGIN_S).

    Without a suffix the text is a prefix of any stored row of the same second, so those
    rows compare greater too. `margin_s` overrides the default margin."""
    if margin_s is None:
        margin_s = UNKNOWN_OFFSET_MARGIN_S if offset_s is None else KNOWN_OFFSET_MARGIN_S
    zone = timezone.utc if offset_s is None else timezone(timedelta(seconds=offset_s))
    epoch = max(float(instant) - margin_s, 0.0)
    moment = datetime.fromtimestamp(epoch, tz=zone)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
