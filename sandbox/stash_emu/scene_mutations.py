"""Scene mutations: sceneUpdate, scenesUpdate, bulkSceneUpdate, sceneDestroy, scenesDestroy.

Each applies its input under the library lock, sets `updated_at` to the clock (always, even
when nothing changed), releases the lock and only then fires Scene.*.Post hooks, so a hook
process can call back into the emulator. The returned scene is read after the hooks ran.
"""

from __future__ import annotations

import base64
import copy
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandbox.model import StashScene
from sandbox.stash_emu.hooks import fire, full_input, sent_fields
from sandbox.stash_emu.play_mutations import set_play_count
from sandbox.stash_emu.resolving import context, parse_id, parse_ids, projected
from sandbox.stash_emu.state import State
from sandbox.stash_emu.values import oshash

_DATE_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def decode_image(data: str) -> bytes:
    """`cover_image`/`image`: a base64 data URL, or a URL Stash downloads."""
    if data.startswith("data:"):
        _, _, payload = data.partition(",")
        try:
            return base64.b64decode(payload, validate=False)
        except ValueError as exc:
            raise ValueError(f"error decoding image: {exc}") from None
    with urllib.request.urlopen(data, timeout=10) as response:
        return response.read()


def check_date(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _DATE_RE.fullmatch(value):
        raise ValueError(f'invalid date "{value}": expected YYYY, YYYY-MM or YYYY-MM-DD')
    return value


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _scene(state: State, scene_id: int) -> StashScene:
    scene = state.library.scenes.get(scene_id)
    if scene is None:
        raise ValueError(f"scene with id {scene_id} not found")
    return scene


@contextmanager
def transaction(objects: list[Any]) -> Iterator[None]:
    """All-or-nothing like Stash's database transaction: restore every object on error."""
    saved = [copy.deepcopy(vars(o)) for o in objects]
    try:
        yield
    except BaseException:
        for obj, values in zip(objects, saved, strict=True):
            vars(obj).clear()
            vars(obj).update(values)
        raise


def apply_update(state: State, scene: StashScene, inp: dict[str, Any]) -> None:
    """SceneUpdateInput semantics; caller holds the library lock."""
    for key in ("title", "details"):
        if key in inp:
            setattr(scene, key, inp[key])
    for key in ("code", "director", "resume_time", "play_duration"):
        if key in inp:
            state.extras.set("scene", scene.id, **{key: inp[key]})
    if "date" in inp:
        scene.date = check_date(inp["date"])
    if "rating100" in inp:
        scene.rating100 = inp["rating100"]
    if "play_count" in inp:
        set_play_count(state, scene.id, inp["play_count"])
    if inp.get("organized") is not None:
        scene.organized = bool(inp["organized"])
    if "urls" in inp:
        scene.urls = list(inp["urls"] or [])
    elif "url" in inp:
        scene.urls = [inp["url"]] if inp["url"] else []
    if "studio_id" in inp:
        scene.studio_id = parse_id(inp["studio_id"]) if inp["studio_id"] is not None else None
    if "performer_ids" in inp:
        scene.performer_ids = _unique(parse_ids(inp["performer_ids"]))
    if "tag_ids" in inp:
        scene.tag_ids = _unique(parse_ids(inp["tag_ids"]))
    if "groups" in inp:
        groups = inp["groups"] or []
        scene.groups = [(parse_id(g["group_id"]), g.get("scene_index")) for g in groups]
    elif "movies" in inp:
        movies = inp["movies"] or []
        scene.groups = [(parse_id(m["movie_id"]), m.get("scene_index")) for m in movies]
    if inp.get("cover_image"):
        scene.cover = decode_image(inp["cover_image"])
    if inp.get("primary_file_id") is not None:
        file_id = parse_id(inp["primary_file_id"])
        index = next((i for i, f in enumerate(scene.files) if f.id == file_id), None)
        if index is None:
            raise ValueError(f"file with id {file_id} not associated with scene")
        scene.files.insert(0, scene.files.pop(index))
    scene.updated_at = state.stamp()


def _bulk_ids(current: list[int], change: dict[str, Any] | None) -> list[int]:
    if change is None:
        return current
    ids = parse_ids(change.get("ids"))
    mode = change.get("mode")
    if mode == "SET":
        return _unique(ids)
    if mode == "ADD":
        return _unique(current + ids)
    return [i for i in current if i not in set(ids)]


def apply_bulk(state: State, scene: StashScene, inp: dict[str, Any]) -> None:
    """BulkSceneUpdateInput semantics for one scene; caller holds the library lock."""
    single = {
        k: inp[k]
        for k in (
            "title",
            "details",
            "code",
            "director",
            "date",
            "rating100",
            "organized",
            "studio_id",
            "url",
        )
        if k in inp
    }
    apply_update(state, scene, single)
    if inp.get("urls") is not None:
        change = inp["urls"]
        values = list(change.get("values") or [])
        mode = change["mode"]
        if mode == "SET":
            scene.urls = values
        elif mode == "ADD":
            scene.urls = scene.urls + [v for v in values if v not in scene.urls]
        else:
            scene.urls = [u for u in scene.urls if u not in values]
    scene.performer_ids = _bulk_ids(scene.performer_ids, inp.get("performer_ids"))
    scene.tag_ids = _bulk_ids(scene.tag_ids, inp.get("tag_ids"))
    groups = inp.get("group_ids") if inp.get("group_ids") is not None else inp.get("movie_ids")
    if groups is not None:
        index = dict(scene.groups)
        kept = _bulk_ids([g for g, _ in scene.groups], groups)
        scene.groups = [(g, index.get(g)) for g in kept]


def scene_update(_: Any, info: Any, input: dict[str, Any]) -> Any:
    state = context(info).state
    scene_id = parse_id(input["id"])
    with state.library.lock:
        scene = _scene(state, scene_id)
        with transaction([scene]):
            apply_update(state, scene, input)
    hook_input = full_input(info.schema, "SceneUpdateInput", input)
    fire(state, "Scene.Update.Post", scene_id, hook_input, sent_fields(state, input))
    return projected(info, "Scene", state.library.scenes.get(scene_id))


def scenes_update(_: Any, info: Any, input: list[dict[str, Any]]) -> Any:
    state = context(info).state
    ids = [parse_id(item["id"]) for item in input]
    with state.library.lock:
        scenes = [_scene(state, i) for i in ids]
        with transaction(scenes):
            for scene, item in zip(scenes, input, strict=True):
                apply_update(state, scene, item)
    whole = [full_input(info.schema, "SceneUpdateInput", item) for item in input]
    for scene_id, item in zip(ids, input, strict=True):
        fire(state, "Scene.Update.Post", scene_id, whole, sent_fields(state, item))
    current = state.library.scenes
    return projected(info, "Scene", [current[i] for i in ids if i in current])


def bulk_scene_update(_: Any, info: Any, input: dict[str, Any]) -> Any:
    state = context(info).state
    ids = parse_ids(input.get("ids"))
    with state.library.lock:
        scenes = [_scene(state, i) for i in ids]
        with transaction(scenes):
            for scene in scenes:
                apply_bulk(state, scene, input)
    hook_input = full_input(info.schema, "BulkSceneUpdateInput", input)
    fields = sent_fields(state, input)
    for scene_id in ids:
        fire(state, "Scene.Update.Post", scene_id, hook_input, fields)
    current = state.library.scenes
    return projected(info, "Scene", [current[i] for i in ids if i in current])


def _destroy_input(scene: StashScene, base: dict[str, Any]) -> dict[str, Any]:
    primary = scene.files[0] if scene.files else None
    return {
        **base,
        "checksum": "",
        "oshash": oshash(primary.path, primary.size) if primary else "",
        "path": primary.path if primary else "",
    }


def _destroy(state: State, scene_ids: list[int]) -> list[StashScene]:
    with state.library.lock:
        scenes = [_scene(state, i) for i in scene_ids]
        for scene in scenes:
            del state.library.scenes[scene.id]
            state.extras.drop("scene", scene.id)
    return scenes


def scene_destroy(_: Any, info: Any, input: dict[str, Any]) -> bool:
    state = context(info).state
    (scene,) = _destroy(state, [parse_id(input["id"])])
    base = full_input(info.schema, "SceneDestroyInput", input)
    fire(state, "Scene.Destroy.Post", scene.id, _destroy_input(scene, base), None)
    return True


def scenes_destroy(_: Any, info: Any, input: dict[str, Any]) -> bool:
    state = context(info).state
    scenes = _destroy(state, parse_ids(input["ids"]))
    base = full_input(info.schema, "ScenesDestroyInput", input)
    for scene in scenes:
        fire(state, "Scene.Destroy.Post", scene.id, _destroy_input(scene, base), None)
    return True


RESOLVERS = {
    "sceneUpdate": scene_update,
    "scenesUpdate": scenes_update,
    "bulkSceneUpdate": bulk_scene_update,
    "sceneDestroy": scene_destroy,
    "scenesDestroy": scenes_destroy,
}
