"""Parse Stash's RFC3339 timestamps (`Z` or `±HH:MM` offsets) to epoch seconds.

Pure and standard-library only: one regular expression fixes the accepted forms, `datetime`
does the calendar. Stash sends `2025-03-01T12:34:56+01:00`, or `…Z` on UTC hosts.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["parse_rfc3339"]

# The grammar is ours, not `fromisoformat`'s: what that accepts differs by version (3.10
# rejects `Z`, `+HHMM` and fractions other than 3 or 6 digits; 3.11 takes any ISO 8601,
# even week dates and `+00:60`), and the result must not depend on the Python running.
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?"
    r"(?:[Zz]|([+-]\d{2}):?([0-5]\d))?",
    re.ASCII,
)


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
    date, clock, digits, offset_hours, offset_minutes = match.groups()
    offset = "+00:00" if offset_hours is None else f"{offset_hours}:{offset_minutes}"
    try:
        # Normalised to the one form every fromisoformat since 3.7 reads; the fraction is
        # left out because datetime keeps only microseconds.
        whole = int(datetime.fromisoformat(f"{date}T{clock}{offset}").timestamp())
    except ValueError:  # the calendar said no: 30 February, hour 24, offset of 24 hours
        return None
    if not digits:
        return float(whole)
    scale = 10 ** len(digits)
    # int / int is correctly rounded in CPython: no double rounding of the fraction.
    return (whole * scale + int(digits)) / scale
