"""Which version-specific GraphQL forms the plugin sends to a Stash version.

The one place for Stash version thresholds (standard library, pure). Every document whose
shape depends on the release is picked with `uses(version, FORM)`; `forms_for(version)` is
the whole choice, which the test suite's validation guard compares across releases.
"""

from __future__ import annotations

__all__ = [
    "FORMS",
    "GROUPS",
    "GROUPS_SINCE",
    "IDS_ARGUMENT",
    "IDS_ARGUMENT_SINCE",
    "MOVIES",
    "OLDEST_SUPPORTED",
    "PLAY_HISTORY",
    "PLAY_HISTORY_SINCE",
    "SCENE_IDS_ARGUMENT",
    "forms_for",
    "uses",
]

Version = tuple[int, int, int]

# Plugin settings (`configuration.plugins`, the manifest's `settings`) and the package
# manager arrived in v0.24.0 (reference/stash.md §8): an older Stash cannot hand a task its
# settings at all, so it is the one thing Health Check refuses.
OLDEST_SUPPORTED: Version = (0, 24, 0)
# `findScenes(ids: [ID!])` arrived in v0.25.0; v0.24 has only `scene_ids: [Int!]`
# (stash-schemas/v0.24.3/schema.graphql).
IDS_ARGUMENT_SINCE: Version = (0, 25, 0)
# Plays with times arrived in v0.25.0: `Scene.play_history`, `sceneAddPlay(id, times)`;
# v0.24 has only a counter (stash-schemas/v0.25.1/types/scene.graphql, schema.graphql).
PLAY_HISTORY_SINCE: Version = (0, 25, 0)
# Movies became groups in v0.27.0: `Group`, `Scene.groups`, `SceneFilterType.groups`;
# `movies` still works later but is deprecated (stash-schemas/v0.27.2).
GROUPS_SINCE: Version = (0, 27, 0)

# Form names: what a document selects or passes, as GraphQL spells it.
IDS_ARGUMENT = "findScenes(ids)"
SCENE_IDS_ARGUMENT = "findScenes(scene_ids)"
GROUPS = "Scene.groups"
MOVIES = "Scene.movies"
PLAY_HISTORY = "Scene.play_history"  # with sceneAddPlay; without it, sceneUpdate(play_count)
FORMS = (IDS_ARGUMENT, SCENE_IDS_ARGUMENT, GROUPS, MOVIES, PLAY_HISTORY)


def forms_for(version: Version) -> frozenset[str]:
    """The forms the plugin uses with Stash `version` (an unknown `(0, 0, 0)` gets the
    oldest forms, which every supported release still answers)."""
    forms = {
        IDS_ARGUMENT if version >= IDS_ARGUMENT_SINCE else SCENE_IDS_ARGUMENT,
        GROUPS if version >= GROUPS_SINCE else MOVIES,
    }
    if version >= PLAY_HISTORY_SINCE:
        forms.add(PLAY_HISTORY)
    return frozenset(forms)


def uses(version: Version, form: str) -> bool:
    """Whether the plugin sends `form` to Stash `version`."""
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}")
    return form in forms_for(version)
