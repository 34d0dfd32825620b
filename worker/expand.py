"""Entity work → scene work: the scenes a renamed, deleted or merged entity is shown on.

Entity hooks (plugin/entity_hooks.py) record the entity, never its scenes; the worker turns
each drained chunk of entity rows into scene ids here, before the rows leave the inbox:

- `<kind>` (an update): the scenes carrying the entity **now**, from paged `findScenes`
  filtered by it (`performers`/`tags`/`groups` INCLUDES; `studios` with depth 1, because a
  parent studio's name is one of its child studios' scenes' collections). All updated
  entities of one kind share a query (up to `IDS_PER_QUERY` ids), minimal fragment `id`,
  `PER_PAGE` scenes per page: one request per page, never one per scene.
- `<kind>_destroy` (a deletion, or a tag merged away): the scenes our last push showed it
  on, from the sync state (`SyncStateStore.scenes_with_entity`): Stash no longer knows it.

Level-triggered and idempotent: the result names scenes, whose current state the worker
fetches when it processes them; expanding the same row twice queues nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from stash.forms import GROUPS, GROUPS_SINCE, uses
from sync_queue.inbox import InboxRow
from sync_queue.sync_state import SyncStateStore

__all__ = [
    "DESTROY_SUFFIX",
    "ENTITY_KINDS",
    "IDS_PER_QUERY",
    "PER_PAGE",
    "EntityExpander",
    "Expansion",
    "entity_criterion",
    "is_entity_kind",
]

ENTITY_KINDS = ("performer", "studio", "tag", "group")
DESTROY_SUFFIX = "_destroy"
PER_PAGE = 1000  # scenes per findScenes page (fragment `id`: a page is a few kB)
IDS_PER_QUERY = 100  # entities per findScenes criterion


def is_entity_kind(kind: str) -> bool:
    base = kind[: -len(DESTROY_SUFFIX)] if kind.endswith(DESTROY_SUFFIX) else kind
    return base in ENTITY_KINDS


def entity_criterion(
    kind: str, ids: list[int], version: tuple[int, int, int] = GROUPS_SINCE
) -> dict[str, Any]:
    """The `SceneFilterType` of the scenes showing any of `ids` (reference/stash.md §7.3)."""
    value = [str(i) for i in ids]
    if kind == "performer":
        return {"performers": {"value": value, "modifier": "INCLUDES"}}
    if kind == "studio":
        return {"studios": {"value": value, "modifier": "INCLUDES", "depth": 1}}
    if kind == "tag":
        return {"tags": {"value": value, "modifier": "INCLUDES"}}
    if kind == "group":
        if not uses(version, GROUPS):  # `groups` does not exist before v0.27
            return {"movies": {"value": value, "modifier": "INCLUDES"}}
        return {"groups": {"value": value, "modifier": "INCLUDES"}}
    raise ValueError(f"not an entity kind: {kind!r}")


@dataclass
class Expansion:
    """Scene ids of one chunk of entity rows, in first-seen order, and what it cost."""

    scene_ids: list[int] = field(default_factory=list)
    entities: int = 0  # entity rows expanded
    requests: int = 0  # findScenes pages fetched
    by_kind: dict[str, int] = field(default_factory=dict)  # row kind → scenes found

    def describe(self) -> str:
        return (
            f"{self.entities} performer/studio/tag/group change(s) touch "
            f"{len(self.scene_ids)} scene(s) ({self.requests} Stash request(s))"
        )


class EntityExpander:
    """Expands entity rows with the sync state and Stash: `connect()` returns a
    `StashGateway` (`find_scenes_page`, `version_info`) and is called only when an update
    needs it. Stash errors propagate (the caller leaves the rows in the inbox)."""

    def __init__(
        self,
        connect: Callable[[], Any],
        sync_state: SyncStateStore,
        *,
        per_page: int = PER_PAGE,
        ids_per_query: int = IDS_PER_QUERY,
    ) -> None:
        self.connect = connect
        self.sync_state = sync_state
        self.per_page = per_page
        self.ids_per_query = ids_per_query

    def expand(self, rows: Iterable[InboxRow]) -> Expansion:
        result = Expansion()
        found: dict[int, None] = {}
        updates: dict[str, list[int]] = {}
        for row in rows:
            if not is_entity_kind(row.kind):
                continue
            result.entities += 1
            if row.kind.endswith(DESTROY_SUFFIX):
                base = row.kind[: -len(DESTROY_SUFFIX)]
                ids = self.sync_state.scenes_with_entity(base, row.ref_id)
                self._add(result, found, row.kind, ids)
            else:
                updates.setdefault(row.kind, []).append(row.ref_id)
        for kind, entity_ids in updates.items():
            unique = list(dict.fromkeys(entity_ids))
            for start in range(0, len(unique), self.ids_per_query):
                chunk = unique[start : start + self.ids_per_query]
                self._add(result, found, kind, self._scenes_showing(kind, chunk, result))
        result.scene_ids = list(found)
        return result

    @staticmethod
    def _add(result: Expansion, found: dict[int, None], kind: str, ids: Iterable[int]) -> None:
        ids = list(ids)
        result.by_kind[kind] = result.by_kind.get(kind, 0) + len(ids)
        for scene_id in ids:
            found.setdefault(int(scene_id), None)

    def _scenes_showing(self, kind: str, entity_ids: list[int], result: Expansion) -> list[int]:
        stash = self.connect()
        version = getattr(stash, "version_info", GROUPS_SINCE)
        criterion = entity_criterion(kind, entity_ids, version)
        scene_ids: list[int] = []
        page = 1
        while True:
            count, scenes = stash.find_scenes_page(
                page, self.per_page, criterion, sort="id", direction="ASC", fragment="id"
            )
            result.requests += 1
            scene_ids.extend(int(scene["id"]) for scene in scenes)
            if len(scenes) < self.per_page or page * self.per_page >= count:
                return scene_ids
            page += 1
