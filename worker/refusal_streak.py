"""The run's refusal streak: scenes in a row whose every write Plex refused while it answered
reads (a token that can read but not write) stop the run with one line (issue 15).

A sibling of `worker.outcomes.OutageStreak`, owned by the run's Plex step like it.
"""

from __future__ import annotations

from plex.errors import PlexWritesRefused
from plex.writer import WriteResult

__all__ = ["READ_ONLY_STREAK", "RefusalStreak"]

# Scenes in a row whose every write Plex refused with 401/403 while it answered reads (the
# probe in plex.refusals) before the token counts as one that can read but not write: one
# clip refusing a role edit never reaches it, a shared user's token does at once. The same
# number as the outage streak (worker.outcomes.TRANSIENT_STREAK), for the same reason.
READ_ONLY_STREAK = 5
_AUTH = frozenset({401, 403})


class RefusalStreak:
    """Scenes in a row (across the run's batches) whose every write Plex refused with 401 or
    403. A scene with any request accepted resets it; a scene that sent nothing (unchanged,
    remembered refusals only) or failed otherwise leaves it. `see` raises `PlexWritesRefused`
    once `limit` scenes refused in a row; `scene_ids` are those scenes (not theirs to fail).
    """

    def __init__(self, limit: int = READ_ONLY_STREAK) -> None:
        self.limit = limit
        self.scene_ids: list[int] = []

    def see(self, scene_id: int, result: WriteResult) -> None:
        statuses = {r.status for r in result.refused_now}
        if result.edits or result.uploads:
            self.scene_ids.clear()
        elif statuses and statuses <= _AUTH:
            self.scene_ids.append(scene_id)
        if len(self.scene_ids) >= self.limit:
            shown = "/".join(str(s) for s in sorted(statuses))
            raise PlexWritesRefused(
                f"Plex answers this token's reads but refused every edit of {self.limit} "
                f"scenes in a row ({shown}): the token can read but not write; use the Plex "
                "server owner's token in the Plex token setting (plex_token)"
            )
