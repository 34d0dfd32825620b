"""Test helpers for the pure core: a Stash scene dict builder and a tiny Plex edit simulator.

`apply_plan` lives here, not in the product: it models what Plex does with an `EditPlan`
(fields set or cleared, tags appended or replaced, removals case-insensitive, locks added) so
property tests can check that diffing after applying yields nothing more to do.
"""

from __future__ import annotations

import copy
from typing import Any

from plex.diff import EditPlan, PlexItemState
from plex.edit_encoding import wire_value

SCREENSHOT = "http://stash.local:9999/scene/42/screenshot?t=1700000000"


def make_scene(**overrides: Any) -> dict[str, Any]:
    """A Stash GraphQL scene dict with every field the builder reads filled in."""
    scene: dict[str, Any] = {
        "id": "42",
        "title": "A Title",
        "details": "Some details",
        "date": "2021-03-04",
        "rating100": 80,
        "organized": True,
        "updated_at": "2025-01-02T03:04:05Z",
        "files": [{"path": "/data/a.mp4", "basename": "a.mp4", "size": 100, "duration": 10.0}],
        "paths": {"screenshot": SCREENSHOT},
        "studio": {"id": "1", "name": "Studio X", "parent_studio": {"id": "2", "name": "Parent Y"}},
        "performers": [{"id": "1", "name": "Jane Doe"}, {"id": "2", "name": "John Roe"}],
        "tags": [{"id": "1", "name": "Outdoor"}, {"id": "2", "name": "Private"}],
        "groups": [{"group": {"id": "5", "name": "Group Z"}, "scene_index": 1}],
    }
    scene.update(copy.deepcopy(overrides))
    return scene


def apply_plan(state: PlexItemState, plan: EditPlan, *, tag_mode: str = "append") -> PlexItemState:
    """The item after Plex applied `plan` (values as Plex would return them: strings)."""
    fields = dict(state.fields)
    for change in plan.fields:
        value = wire_value(change.field, change.value)
        if value:
            fields[change.field] = value
        else:
            fields.pop(change.field, None)
    tags = {kind: list(names) for kind, names in state.tags.items()}
    for change in plan.tags:
        current = tags.get(change.kind, [])
        if tag_mode == "replace" and change.add:
            current = []
        for name in change.add:
            if name.casefold() not in {t.casefold() for t in current}:
                current.append(name)
        gone = {name.casefold() for name in change.remove}
        tags[change.kind] = [t for t in current if t.casefold() not in gone]
    return PlexItemState(
        rating_key=state.rating_key,
        section_id=state.section_id,
        fields=fields,
        tags={kind: tuple(names) for kind, names in tags.items()},
        locked=frozenset(state.locked | set(plan.locks)),
        selected_poster=state.selected_poster,
        selected_art=state.selected_art,
    )
