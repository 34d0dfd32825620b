"""What one Plex activity pull brought: the report, its summary line and View Status's line.

Stored as JSON in `sync_state.db` (`sync_queue.plex_activity`) after each pull; the run's
summary carries it as `pull`; wording goes through `runtime.voice`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime import voice
from sync_queue.sync_state import SyncStateStore

__all__ = ["NAMED", "PULL_TASK", "PullReport", "last_pull", "status_line"]

PULL_TASK = "Pull Plex Activity"
NAMED = 5  # scenes named in a pull's summary line


@dataclass
class PullReport:
    """What one pull did (the run summary, View Status and `last_pull`)."""

    at: float = 0.0
    new_views: int = 0
    plays_added: int = 0
    play_scenes: list[str] = field(default_factory=list)
    resume_set: int = 0
    resume_cleared: int = 0
    resume_scenes: list[str] = field(default_factory=list)
    ratings_pulled: int = 0
    rating_scenes: list[str] = field(default_factory=list)
    stash_wins: list[str] = field(default_factory=list)
    plex_requests: int = 0
    stash_writes: int = 0
    unknown_accounts: list[str] = field(default_factory=list)

    @property
    def brought(self) -> bool:
        """Anything written to Stash, or a rating Stash wins."""
        return bool(self.stash_writes or self.stash_wins)

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.at,
            "new_views": self.new_views,
            "plays_added": self.plays_added,
            "resume_set": self.resume_set,
            "resume_cleared": self.resume_cleared,
            "ratings_pulled": self.ratings_pulled,
            "stash_wins": len(self.stash_wins),
            "plex_requests": self.plex_requests,
            "stash_writes": self.stash_writes,
            "scenes": sorted(set(self.play_scenes + self.resume_scenes + self.rating_scenes))[
                :NAMED
            ],
        }

    def line(self) -> str:
        """One summary line; scenes named when there are few."""
        parts = [
            f"{voice.plural(self.plays_added, 'play')} added",
            f"{voice.plural(self.resume_set, 'resume point')} set"
            + (f", {self.resume_cleared} cleared" if self.resume_cleared else ""),
            f"{voice.plural(self.ratings_pulled, 'rating')} taken from Plex",
        ]
        scenes = list(dict.fromkeys(self.play_scenes + self.resume_scenes + self.rating_scenes))
        named = ""
        if scenes and len(scenes) <= NAMED:
            named = f" (scenes {voice.scene_refs(scenes, 150)})"
        elif scenes:
            named = f" ({voice.plural(len(scenes), 'scene')})"
        return voice.line(f"{PULL_TASK}: {', '.join(parts)}{named}")


def last_pull(data_dir: Any) -> dict[str, object] | None:
    """The stored report of the last pull (View Status); None before the first one."""
    with SyncStateStore(data_dir) as store:
        return store.plex_activity().report()


def status_line(report: Mapping[str, object] | None) -> str:
    """View Status's line: when the last pull ran and what it brought."""
    if not report:
        return (
            "Plex activity: never pulled (settings 'pull_plays' and 'pull_ratings'; task "
            f"{PULL_TASK})"
        )
    import time

    at = report.get("at")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
        if isinstance(at, (int, float))
        else "at an unknown time"
    )
    scenes = report.get("scenes")
    named = (
        f" (scenes {', '.join(map(str, scenes))})" if isinstance(scenes, list) and scenes else ""
    )
    return voice.line(
        f"Plex activity: last pulled {when}: "
        f"{voice.plural(_count(report, 'plays_added'), 'play')}, "
        f"{voice.plural(_count(report, 'resume_set'), 'resume point')} set, "
        f"{_count(report, 'resume_cleared')} cleared, "
        f"{voice.plural(_count(report, 'ratings_pulled'), 'rating')} taken{named}"
    )


def _count(report: Mapping[str, object], key: str) -> int:
    value = report.get(key)
    return int(value) if isinstance(value, (int, float)) else 0
