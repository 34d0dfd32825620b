"""Unlock Plex Fields for collections (issue 19): the locks Stash2Plex set on the collections it
owns (summary, title, poster) are removed, one request per section and set of lock names.

Collections the user made are never touched; a collection gone from Plex is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from base.errors import PlexNotFound, PlexTransient
from plex.collections import PlexCollections
from plex.errors import PlexBadRequest
from sync_queue.collection_state import CollectionRow

__all__ = ["unlock_collections"]

_IDS_PER_REQUEST = 500


def unlock_collections(
    api: PlexCollections, rows: Iterable[CollectionRow]
) -> tuple[int, int, list[str]]:
    """(collections unlocked, requests sent, failures) for the owned rows with locks."""
    groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for row in rows:
        names = tuple(sorted(set(row.state.get("locks") or ())))
        if row.owned and names:
            groups.setdefault((row.section_id, names), []).append(row.rating_key)
    unlocked = requests = 0
    failures: list[str] = []
    for (section_id, names), keys in sorted(groups.items()):
        for start in range(0, len(keys), _IDS_PER_REQUEST):
            chunk = keys[start : start + _IDS_PER_REQUEST]
            requests += 1
            try:
                api.unlock(section_id, chunk, names)
                unlocked += len(chunk)
            except PlexNotFound:
                # One of them is gone from Plex: the others one by one (rare).
                for key in chunk if len(chunk) > 1 else ():
                    requests += 1
                    try:
                        api.unlock(section_id, [key], names)
                        unlocked += 1
                    except PlexNotFound:
                        continue
            except (PlexTransient, PlexBadRequest) as exc:
                failures.append(f"section {section_id}, {len(chunk)} collection(s): {exc}")
    return unlocked, requests, failures
