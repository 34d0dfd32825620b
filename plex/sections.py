"""Choosing the configured Plex sections from the server's list (setting `plex_library`). Pure.

Empty = every movie-type section ("Other Videos" libraries are movie-type too); otherwise the
named ones, matched case-insensitively and trimmed, like plexapi's `library.section(title)`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from base.errors import ConfigError
from plex.items import SectionInfo

__all__ = ["select_sections", "title_list"]

_log = logging.getLogger(__name__)


def title_list(titles: Sequence[str] | str | None) -> list[str]:
    """Requested titles, trimmed, without blanks or repeats (a comma-separated string works)."""
    if titles is None:
        return []
    raw = titles.split(",") if isinstance(titles, str) else list(titles)
    return list(dict.fromkeys(t.strip() for t in raw if t and t.strip()))


def _names(sections: Iterable[SectionInfo]) -> str:
    names = [repr(s.title) for s in sections]
    return ", ".join(names) if names else "(none)"


def _shown(title: str, limit: int = 80) -> str:
    """A setting's value as quoted in a message: cut, so a pasted novel stays one line."""
    text = repr(title)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def select_sections(
    available: Sequence[SectionInfo], titles: Sequence[str] | str | None
) -> list[SectionInfo]:
    """The sections to work on, in request order; ConfigError names the movie libraries.

    Several sections with one title are all used (with a warning): plexapi would silently
    pick the last, which hides half of the user's files.
    """
    wanted = title_list(titles)
    movies = [s for s in available if s.is_movie]
    if not wanted:
        return movies
    chosen: list[SectionInfo] = []
    for title in wanted:
        hits = [s for s in available if s.title.strip().casefold() == title.casefold()]
        if not hits:
            raise ConfigError(
                f"Plex library {_shown(title)} not found (setting plex_library); available movie "
                f"libraries: {_names(movies)}"
            )
        usable = [s for s in hits if s.is_movie]
        if not usable:
            raise ConfigError(
                f"Plex library {_shown(title)} is a {hits[0].type} library; only movie-type "
                f"libraries hold scenes (setting plex_library); available: {_names(movies)}"
            )
        if len(usable) > 1:
            _log.warning("several Plex libraries are called %r: using all of them", title)
        chosen.extend(s for s in usable if s not in chosen)
    return chosen
