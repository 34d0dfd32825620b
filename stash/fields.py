"""The explicit GraphQL field selections the plugin reads from Stash, per Stash version.

Never rely on stashapi's introspected default fragments: they are huge and stashapi 0.1.x's
request `Folder.basename`, which released Stash versions reject.
"""

from __future__ import annotations

import re

from stash.forms import GROUPS, GROUPS_SINCE, uses

__all__ = [
    "GROUPS_SINCE",
    "SCENE_FIELDS",
    "SCENE_FIELDS_LEGACY",
    "normalise_scene",
    "parse_version",
    "scene_fields_for",
]

_SCENE_COMMON = """id title details date rating100 organized updated_at created_at urls
files { path basename size duration }
paths { screenshot }
studio { id name parent_studio { id name } }
performers { id name }
tags { id name }"""

SCENE_FIELDS = _SCENE_COMMON + "\ngroups { group { id name } scene_index }"
SCENE_FIELDS_LEGACY = _SCENE_COMMON + "\nmovies { movie { id name } scene_index }"

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str | None) -> tuple[int, int, int]:
    """`"v0.30.1-23-gabc"` → `(0, 30, 1)`; unparsable → `(0, 0, 0)`."""
    match = _VERSION.search(text or "")
    if not match:
        return (0, 0, 0)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def scene_fields_for(version: tuple[int, int, int]) -> str:
    """The scene selection Stash `version` accepts (an unknown version gets the legacy
    one, which every supported Stash still answers)."""
    return SCENE_FIELDS if uses(version, GROUPS) else SCENE_FIELDS_LEGACY


def normalise_scene(scene: dict[str, object]) -> dict[str, object]:
    """Give a legacy scene (`movies`) the current `groups` shape, in place; returns it."""
    if "movies" in scene and "groups" not in scene:
        movies = scene.pop("movies") or []
        scene["groups"] = [
            {"group": entry.get("movie"), "scene_index": entry.get("scene_index")}
            for entry in movies  # type: ignore[union-attr]
            if isinstance(entry, dict)
        ]
    return scene
