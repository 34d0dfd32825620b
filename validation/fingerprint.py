"""Stable fingerprints of pushed field values (what we last wrote, for clearing and drift).

One canonical form per value type so the desired side and Plex's current side hash alike:
text as is, "no value" (None, "", empty list) as one form, ints as ints, ratings to one decimal,
tag lists as a sorted set of casefolded names (Plex matches tags case-insensitively and keeps
its own order). SHA-1 of compact JSON: stable across runs, processes and Python versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

__all__ = ["FieldValue", "canonical", "fingerprint_fields", "fingerprint_value"]

# A scalar field value after normalisation, or a tag list.
FieldValue = str | int | float | tuple[str, ...] | None


def canonical(value: object) -> object:
    """The JSON-able canonical form of a normalised field value; None for "no value"."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return f"{round(value, 1):.1f}"
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        names = sorted({str(name).casefold() for name in value if str(name)})
        return names or None
    return str(value)


def _digest(obj: object) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def fingerprint_value(value: object) -> str:
    """SHA-1 hex of one value's canonical form."""
    return _digest(canonical(value))


def fingerprint_fields(values: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """One SHA-1 over several named values (order-independent)."""
    items = values.items() if isinstance(values, Mapping) else values
    return _digest({name: canonical(value) for name, value in items})
