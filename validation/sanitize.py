"""Sanitising of text pushed to Plex: control characters out, everything else kept exactly.

Removes C0/C1 control characters, NUL, DEL, lone surrogates and the XML-illegal U+FFFE/U+FFFF
(Plex answers in XML; plexapi would strip or choke on them). Emoji, right-to-left text, quotes,
commas and format characters (ZWJ, RLM, ...) are kept. Truncation never cuts inside a grapheme
cluster as far as a cheap check can tell (combining marks, ZWJ sequences, variation selectors,
skin tones, flag pairs) and always yields valid UTF-8.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from validation.limits import MAX_NAME_CHARS, MAX_SUMMARY_CHARS

__all__ = [
    "clean_name",
    "clean_names",
    "clean_summary",
    "clean_text",
    "truncate",
]

# \t (09) and \n (0A) are handled by the callers; \r is folded into \n before this runs.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SINGLE_LINE_WS_RE = re.compile("[\t\n]")

_ZWJ = "\u200d"
# A cluster in progress is unlikely to be longer than this; past it a plain code-point cut is
# still valid UTF-8 and cheaper than scanning pathological ("zalgo") input.
_MAX_CLUSTER_BACKOFF = 64


def clean_text(value: object, *, multiline: bool) -> str:
    """Control characters removed, line endings folded to \\n, surrounding whitespace stripped.

    Multi-line text keeps \\n and \\t; single-line text turns them into spaces (removing them
    would glue words together). `None` becomes "".
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub("", text)
    if not multiline:
        text = _SINGLE_LINE_WS_RE.sub(" ", text)
    return text.strip()


def _is_extender(ch: str) -> bool:
    """True for code points that attach to the previous character (same grapheme cluster)."""
    cp = ord(ch)
    if ch == _ZWJ or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return True  # ZWJ, variation selectors
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
        return True  # emoji skin tones, tag characters (subdivision flags)
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` code points, backing off to a grapheme cluster start."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = limit
    floor = max(0, limit - _MAX_CLUSTER_BACKOFF)
    while cut > floor and (_is_extender(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if cut == floor and floor > 0:
        cut = limit
    if 0 < cut < len(text) and _is_regional_indicator(text[cut]):
        run = 0
        while cut - run - 1 >= 0 and _is_regional_indicator(text[cut - run - 1]):
            run += 1
        if run % 2 == 1:  # the cut would separate the two halves of a flag
            cut -= 1
    return text[:cut].rstrip()


def clean_summary(value: object, limit: int = MAX_SUMMARY_CHARS) -> str:
    """Free text for `summary`: line breaks kept, at most `limit` characters."""
    return truncate(clean_text(value, multiline=True), limit)


def clean_name(value: object, limit: int = MAX_NAME_CHARS) -> str:
    """A single-line name (title, studio, tag, performer): cleaned and cut to `limit`."""
    return truncate(clean_text(value, multiline=False), limit)


def clean_names(
    values: Iterable[object],
    *,
    max_count: int,
    exclude: frozenset[str] = frozenset(),
    limit: int = MAX_NAME_CHARS,
) -> tuple[str, ...]:
    """Names cleaned, empties dropped, `exclude` (casefolded) removed, de-duplicated.

    De-duplication is case-insensitive and keeps the first spelling: Plex matches tag names
    case-insensitively, so two spellings would never converge. Order is kept; at most
    `max_count` names are returned.
    """
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        name = clean_name(value, limit)
        key = name.casefold()
        if not name or key in seen or key in exclude:
            continue
        seen.add(key)
        out.append(name)
        if len(out) >= max_count:
            break
    return tuple(out)
