"""`has_meaningful_metadata`: does a scene (or a Plex item's summary of fields) carry metadata?

Shared by the desired-state builder and the reconciliation detector (SPEC §3). Accepts Stash
GraphQL shapes (`studio` a dict, `performers`/`tags` lists of dicts) and flattened ones
(strings, lists of strings). Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

from validation.sanitize import clean_text

__all__ = ["MEANINGFUL_FIELDS", "has_meaningful_metadata"]

# A rating alone is deliberately absent: it says nothing about what the scene is.
MEANINGFUL_FIELDS: tuple[str, ...] = ("studio", "performers", "tags", "details", "date")

# Keys that carry a displayable value in the dict forms seen on either side.
_NAME_KEYS = ("name", "tag", "title", "id")


def _is_present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return clean_text(value, multiline=True) != ""
    if isinstance(value, Mapping):
        return any(_is_present(value.get(key)) for key in _NAME_KEYS)
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_is_present(item) for item in value)
    if isinstance(value, bool):
        return value
    return True  # numbers, dates and other scalars count as a value


def has_meaningful_metadata(data: Mapping[str, object] | None) -> bool:
    """True when at least one of studio, performers, tags, details or date is non-empty.

    Empty means None, a blank (or control-characters-only) string, an empty list, a list whose
    entries are all empty, or a dict without a non-empty name/tag/title/id.
    """
    if not data:
        return False
    return any(_is_present(data.get(name)) for name in MEANINGFUL_FIELDS)
