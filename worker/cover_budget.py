"""The cover bytes a run holds at once, bounded (issue 20: at most 64 MiB, whatever the batch).

Scenes written in parallel each download their cover from Stash and hold it until their Plex
uploads are done. `CoverBudget.source(fetch)` wraps the writer's image source: before a
download it reserves the most a cover may weigh (`stash.images.DEFAULT_MAX_IMAGE_BYTES`),
waiting while that does not fit; after it, keeps only the bytes received. `release()` frees
what the calling thread holds once its scene is written. Downloads go one at a time: they share
the Stash gateway's one `requests.Session`, which is not documented as safe across threads;
Stash is local and fast, so they still overlap other scenes' Plex requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from stash.images import DEFAULT_MAX_IMAGE_BYTES

__all__ = ["COVER_BUDGET_BYTES", "CoverBudget"]

COVER_BUDGET_BYTES = 64 * 1024 * 1024


class CoverBudget:
    """A semaphore counted in bytes; `peak` is the most ever held (tests read it)."""

    def __init__(
        self, limit: int = COVER_BUDGET_BYTES, most_per_cover: int = DEFAULT_MAX_IMAGE_BYTES
    ) -> None:
        self.limit = limit
        self.most_per_cover = min(most_per_cover, limit)
        self.held = 0
        self.peak = 0
        self._cond = threading.Condition()
        self._download = threading.Lock()
        self._mine = threading.local()

    def _reserve(self, size: int) -> None:
        with self._cond:
            # Alone, anything fits: a budget smaller than one cover must not stall the run.
            while self.held and self.held + size > self.limit:
                self._cond.wait()
            self.held += size
            self.peak = max(self.peak, self.held)
        self._mine.held = getattr(self._mine, "held", 0) + size

    def _give_back(self, size: int) -> None:
        """`size` bytes freed (negative: a cover larger than reserved, kept anyway)."""
        with self._cond:
            self.held -= size
            self.peak = max(self.peak, self.held)
            self._cond.notify_all()
        self._mine.held = getattr(self._mine, "held", 0) - size

    def source(self, fetch: Callable[[str], bytes]) -> Callable[[str], bytes]:
        """`fetch` (Stash URL → bytes) counted against the budget."""

        def fetch_counted(url: str) -> bytes:
            self._reserve(self.most_per_cover)
            data = b""
            try:
                with self._download:
                    data = fetch(url)
            finally:
                self._give_back(self.most_per_cover - len(data))
            return data

        return fetch_counted

    def release(self) -> None:
        """Free every byte the calling thread holds (its scene is written)."""
        held = getattr(self._mine, "held", 0)
        if held:
            self._give_back(held)
