"""The `hide_paths` setting's filter: file paths and file names out of every line users read.

Standard library only, imported by `stash.log` only once the setting is on (hooks never pay
for it). Catches absolute paths (POSIX, `C:\\`, `\\\\server`) quoted or standing alone, and
video file names; text the user must see (the path-map suggestion's prefixes) is registered
with `allow` and kept. Plex and Stash API routes (`/library/…`, `/graphql`) are not files.
"""

from __future__ import annotations

import re

__all__ = ["HIDDEN", "PathHider"]

HIDDEN = "[path hidden]"

_START = r"(?:[A-Za-z]:[\\/]|\\\\|/)"
_API = r"(?!library/|:/|scene/|graphql|photo/|identity|system/|playlists|status/)"
_EXT = r"\.(?:mp4|m4v|mkv|avi|mov|wmv|webm|flv|mpe?g|m2ts|ts|vob|iso|3gp)"
# A path or file name inside quotes may hold spaces (and the other quote: Python's repr
# puts a name with an apostrophe in double quotes): everything up to the closing quote goes.
_QUOTED = re.compile(
    rf"'{_START}[^'\n]*'|\"{_START}[^\"\n]*\"|'[^'\n]*{_EXT}'|\"[^\"\n]*{_EXT}\"",
    re.IGNORECASE,
)
# A path standing alone ends at white space or punctuation that closes a phrase.
_BARE = re.compile(rf"(?<![\w/:.\]\\=>-]){_START}{_API}[^\s'\",;()<>\[\]]*[^\s'\",;()<>\[\].:]")
_NAME = re.compile(rf"[^\s/\\'\"(),;:]*{_EXT}\b", re.IGNORECASE)
_WHOLE = re.compile(rf"^{_START}.*$", re.DOTALL)


class PathHider:
    """Replaces file paths and video file names with `[path hidden]`."""

    def __init__(self) -> None:
        self._allowed: list[str] = []

    def allow(self, text: str) -> None:
        """Keep `text` verbatim wherever it appears (the path-map value users must type)."""
        if text and text not in self._allowed:
            self._allowed.append(text)
            self._allowed.sort(key=len, reverse=True)

    def hide(self, text: str) -> str:
        for index, allowed in enumerate(self._allowed):
            if allowed in text:
                text = text.replace(allowed, f"\x00{index}\x00")
        text = _QUOTED.sub(lambda m: m.group()[0] + HIDDEN + m.group()[0], text)
        text = _BARE.sub(HIDDEN, text)
        text = _NAME.sub(HIDDEN, text)
        for index, allowed in enumerate(self._allowed):
            text = text.replace(f"\x00{index}\x00", allowed)
        return text

    def hide_value(self, text: str) -> str:
        """A JSON string value: a value that is a path as a whole is hidden whole."""
        if text in self._allowed:
            return text
        if _WHOLE.match(text) and "\n" not in text:
            return HIDDEN
        return self.hide(text)
