"""Stash's own jobs and changes without hooks: the scan job (hooks fired inside it), Auto Tag
(no hook), scene merge (no hook), on the emulator's one job queue.

Evidence (Stash v0.30.1 source; v0.24.0 checked for AddPerformer's `NewScenePartial`, Auto
Tag's `organized := false` filter and SceneMerge's lack of hooks, all the same):
- Jobs: `internal/manager/manager_tasks.go` queues "Scanning..." and "Auto-tagging..." on
  the one job queue (`pkg/job/manager.go`, first in first out, one at a time), like plugin
  tasks.
- Scan: `pkg/scene/scan.go` creates each new scene and registers `Scene.Create.Post` (input
  null) to run after its commit, inside the job; a hook that starts our task queues it
  behind whatever already waits.
- Auto Tag, file based (all performers/studios/tags, `"*"`): `internal/manager/
  task_autotag.go` walks the scenes that are NOT organized (`makeSceneFilter`), optionally
  under `paths`; `internal/autotag/scene.go` adds each performer and tag whose name matches
  the primary file's path and sets the studio only when the scene has none (the right-most
  match, `pkg/match/path.go` PathToStudio); every addition is one `UpdatePartial` with
  `models.NewScenePartial()`, which sets `updated_at = now` (`pkg/scene/update.go`
  AddPerformer/AddTag). No hook runs. The name match is `nameToRegexp` (`pkg/match/
  path.go`): lower-cased, spaces match `[.\\-_ ]*`, bounded by start/end, `_` or a
  non-word character. Aliases also match in Stash; the emulator's entities have none.
- Scene merge: `internal/api/resolver_mutation_scene.go` SceneMerge calls
  `pkg/scene/merge.go` Merge: the sources' files move to the destination (its primary file
  stays, or becomes the first source file when it had none), the input `values` and a
  fresh `updated_at` are written to the destination, the sources are destroyed with
  `Service.Destroy`. The resolver runs no hook at all (neither `Scene.Update.Post` for the
  destination nor `Scene.Destroy.Post` for the sources: only SceneUpdate, ScenesUpdate,
  BulkSceneUpdate, SceneDestroy and ScenesDestroy call `ExecutePostHooks`).
- Cover regeneration (`sceneGenerateScreenshot`, `internal/manager/
  task_generate_screenshot.go`) also writes `NewScenePartial()` (bumps `updated_at`, no
  hook); not emulated (docs/reconciliation.md says how it is caught).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.model import StashScene
from sandbox.stash_emu.hooks import fire
from sandbox.stash_emu.jobs import Job
from sandbox.stash_emu.resolving import context, parse_id, parse_ids, projected
from sandbox.stash_emu.scene_mutations import apply_update
from sandbox.stash_emu.state import State

__all__ = [
    "AUTO_TAG_DESCRIPTION",
    "RESOLVERS",
    "SCAN_DESCRIPTION",
    "auto_tag_scene",
    "name_matches_path",
    "queue_auto_tag",
    "queue_scan",
]

SCAN_DESCRIPTION = "Scanning..."
AUTO_TAG_DESCRIPTION = "Auto-tagging..."
_SEPARATOR = r"[.\-_ ]"


def _name_pattern(name: str, unicode: bool) -> re.Pattern[str]:
    not_word = r"[^\w\d]"  # Go's RE2 \w is ASCII; the unicode form adds letters (\p{L})
    body = re.escape(name.lower()).replace(r"\ ", _SEPARATOR + "*")
    flags = 0 if unicode else re.ASCII
    return re.compile(rf"(?:^|_|{not_word}){body}(?:$|_|{not_word})", flags)


def name_matches_path(name: str, path: str) -> int:
    """Stash's `nameMatchesPath`: index of the right-most match of `name` in `path`, or -1."""
    lowered = path.lower()
    pattern = _name_pattern(name, not lowered.isascii())
    found = [m.start() for m in pattern.finditer(lowered)]
    return found[-1] if found else -1


def auto_tag_scene(state: State, scene: StashScene, kinds: Mapping[str, bool]) -> int:
    """Auto Tag one scene (caller holds the library lock); returns how many links it added.
    Each addition bumps `updated_at`, as each is its own UpdatePartial in Stash."""
    if scene.organized or not scene.files:
        return 0
    path = scene.files[0].path
    library = state.library
    added = 0
    if kinds.get("performers"):
        for performer in sorted(library.performers.values(), key=lambda p: p.id):
            if (
                performer.id not in scene.performer_ids
                and name_matches_path(performer.name, path) >= 0
            ):
                scene.performer_ids.append(performer.id)
                scene.updated_at = state.stamp()
                added += 1
    if kinds.get("studios") and scene.studio_id is None:
        best: tuple[int, int] | None = None
        for studio in sorted(library.studios.values(), key=lambda s: s.id):
            index = name_matches_path(studio.name, path)
            if index >= 0 and (best is None or index > best[0]):
                best = (index, studio.id)
        if best is not None:
            scene.studio_id = best[1]
            scene.updated_at = state.stamp()
            added += 1
    if kinds.get("tags"):
        for tag in sorted(library.tags.values(), key=lambda t: t.id):
            if tag.id not in scene.tag_ids and name_matches_path(tag.name, path) >= 0:
                scene.tag_ids.append(tag.id)
                scene.updated_at = state.stamp()
                added += 1
    return added


def queue_auto_tag(state: State, inp: Mapping[str, Any]) -> Job:
    """The file-based Auto Tag job (`performers`/`studios`/`tags`: `["*"]` or absent, and
    optional `paths` prefixes). Specific entity ids are not emulated."""
    for kind in ("performers", "studios", "tags"):
        values = inp.get(kind) or []
        if values and values[0] != "*":
            raise ValueError("the emulator runs only file-based Auto Tag ('*' or nothing)")
    kinds = {kind: bool(inp.get(kind)) for kind in ("performers", "studios", "tags")}
    paths = [str(p) for p in inp.get("paths") or []]

    def work(progress: Callable[[float], None]) -> None:
        with state.library.lock:
            ids = sorted(state.library.scenes)
        for done, scene_id in enumerate(ids, 1):
            with state.library.lock:
                scene = state.library.scenes.get(scene_id)
                wanted = scene is not None and (
                    not paths or any(f.path.startswith(p) for f in scene.files for p in paths)
                )
                if scene is not None and wanted:
                    auto_tag_scene(state, scene, kinds)
            progress(done / len(ids))

    return state.jobs.add_internal(AUTO_TAG_DESCRIPTION, work)


def queue_scan(
    state: State,
    new_scenes: list[Callable[[], StashScene]],
    after_each: Callable[[int], None] | None = None,
) -> Job:
    """A scan job finding new files: each factory builds and adds its scene when the job
    reaches it, then `Scene.Create.Post` runs (inside the job, as in Stash). `after_each`
    (tests) is called with the new scene's id after its hooks: what a user does while the
    scan runs."""

    def work(progress: Callable[[float], None]) -> None:
        for done, build in enumerate(new_scenes, 1):
            scene = build()
            fire(state, "Scene.Create.Post", scene.id, None, None)
            if after_each is not None:
                after_each(scene.id)
            progress(done / len(new_scenes))

    return state.jobs.add_internal(SCAN_DESCRIPTION, work)


def metadata_auto_tag(_: Any, info: Any, input: dict[str, Any]) -> str:
    return str(queue_auto_tag(context(info).state, input).id)


def scene_merge(_: Any, info: Any, input: dict[str, Any]) -> Any:
    """`sceneMerge`: no hook at all (see the module's evidence)."""
    state = context(info).state
    source_ids = list(dict.fromkeys(parse_ids(input["source"])))
    dest_id = parse_id(input["destination"])
    if dest_id in source_ids:
        raise ValueError("destination scene cannot be in source list")
    values = input.get("values") or {}
    with state.library.lock:
        scenes = state.library.scenes
        dest = scenes.get(dest_id)
        if dest is None:
            raise ValueError(f"finding destination scene ID {dest_id}: not found")
        sources = [scenes[i] for i in source_ids if i in scenes]
        for source in sources:
            dest.files.extend(source.files)
            source.files = []
        update = {k: v for k, v in values.items() if k not in ("id", "primary_file_id")}
        apply_update(state, dest, update)  # sets updated_at, like NewScenePartial
        for source in sources:
            del scenes[source.id]
            state.extras.drop("scene", source.id)
    return projected(info, "Scene", state.library.scenes.get(dest_id))


RESOLVERS: dict[str, Callable[..., Any]] = {
    "metadataAutoTag": metadata_auto_tag,
    "sceneMerge": scene_merge,
}
