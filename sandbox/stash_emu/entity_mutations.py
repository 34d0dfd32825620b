"""Mutations on performers, studios, tags and groups, plugin settings and plugin jobs.

Entity edits bump only the entity's own `updated_at` (never its scenes') and fire only the
entity's hooks (Performer.*, Studio.*, Tag.*, and both Group.* and Movie.* for groups).
runPluginTask queues a job "Running plugin task: <task>" on the one-at-a-time queue, for any
plugin id and task name (an unknown one fails the job when it runs, as in Stash).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.stash_emu.hooks import fire, full_input, sent_fields
from sandbox.stash_emu.releases import job_description, returned_settings, stored_settings
from sandbox.stash_emu.resolving import context, parse_id, parse_ids, plain_number, projected
from sandbox.stash_emu.scene_mutations import decode_image, transaction
from sandbox.stash_emu.state import State

# (GraphQL type, library attribute, extras kind, hook prefixes)
_KINDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "performer": ("Performer", "performers", "performer", ("Performer",)),
    "studio": ("Studio", "studios", "studio", ("Studio",)),
    "tag": ("Tag", "tags", "tag", ("Tag",)),
    "group": ("Group", "groups", "group", ("Group", "Movie")),
}
# Input members the model holds as attributes; everything else goes to Extras.
_MODEL_KEYS = {"name", "image", "parent_id"}


def _objects(state: State, kind: str) -> dict[int, Any]:
    return getattr(state.library, _KINDS[kind][1])


def _get(state: State, kind: str, obj_id: int) -> Any:
    obj = _objects(state, kind).get(obj_id)
    if obj is None:
        raise ValueError(f"{kind} with id {obj_id} not found")
    return obj


def _apply(state: State, kind: str, obj: Any, inp: dict[str, Any]) -> None:
    if inp.get("name") is not None:
        obj.name = inp["name"]
    if kind == "studio" and "parent_id" in inp:
        parent = inp["parent_id"]
        obj.parent_id = parse_id(parent) if parent is not None else None
    if "image" in inp and kind in ("performer", "studio"):
        obj.image = decode_image(inp["image"]) if inp["image"] else None
    extras: dict[str, Any] = {}
    for key, value in inp.items():
        if key == "id" or key in _MODEL_KEYS:
            continue
        if key in ("front_image", "back_image"):
            extras[key] = decode_image(value) if value else None
        elif key.endswith("_ids") or key == "studio_id":
            extras[key] = parse_ids(value) if isinstance(value, list) else value
        else:
            extras[key] = value
    if kind == "tag" and "image" in inp:
        extras["image"] = decode_image(inp["image"]) if inp["image"] else None
    if kind == "tag" and extras.get("child_ids") is not None:
        _set_children(state, obj.id, extras.pop("child_ids"))
    state.extras.set(kind, obj.id, **extras)
    obj.updated_at = state.stamp()


def _set_children(state: State, tag_id: int, child_ids: list[int]) -> None:
    for other in state.library.tags.values():
        parents = [int(p) for p in state.extras.get("tag", other.id, "parent_ids") or []]  # type: ignore[union-attr]
        has = tag_id in parents
        if other.id in child_ids and not has:
            state.extras.set("tag", other.id, parent_ids=[*parents, tag_id])
        elif other.id not in child_ids and has:
            state.extras.set("tag", other.id, parent_ids=[p for p in parents if p != tag_id])


def _update(kind: str) -> Callable[..., Any]:
    type_name, _, _, prefixes = _KINDS[kind]

    def resolve(_: Any, info: Any, input: dict[str, Any]) -> Any:
        state = context(info).state
        obj_id = parse_id(input["id"])
        with state.library.lock:
            obj = _get(state, kind, obj_id)
            with transaction([obj]):
                _apply(state, kind, obj, input)
        hook_input = full_input(info.schema, f"{type_name}UpdateInput", input)
        fields = sent_fields(state, input)
        for prefix in prefixes:
            fire(state, f"{prefix}.Update.Post", obj_id, hook_input, fields)
        return projected(info, type_name, _objects(state, kind).get(obj_id))

    return resolve


def _forget(state: State, kind: str, obj_id: int) -> None:
    """Remove join rows pointing at a deleted entity (scenes keep their updated_at)."""
    for scene in state.library.scenes.values():
        if kind == "performer" and obj_id in scene.performer_ids:
            scene.performer_ids = [p for p in scene.performer_ids if p != obj_id]
        elif kind == "tag" and obj_id in scene.tag_ids:
            scene.tag_ids = [t for t in scene.tag_ids if t != obj_id]
        elif kind == "studio" and scene.studio_id == obj_id:
            scene.studio_id = None
        elif kind == "group" and any(g == obj_id for g, _ in scene.groups):
            scene.groups = [(g, i) for g, i in scene.groups if g != obj_id]
    if kind == "studio":
        for studio in state.library.studios.values():
            if studio.parent_id == obj_id:
                studio.parent_id = None


def _destroy(kind: str) -> Callable[..., bool]:
    type_name, _, _, prefixes = _KINDS[kind]

    def resolve(_: Any, info: Any, input: dict[str, Any]) -> bool:
        state = context(info).state
        obj_id = parse_id(input["id"])
        with state.library.lock:
            _get(state, kind, obj_id)
            del _objects(state, kind)[obj_id]
            state.extras.drop(kind, obj_id)
            _forget(state, kind, obj_id)
        hook_input = full_input(info.schema, f"{type_name}DestroyInput", input)
        for prefix in prefixes:
            fire(state, f"{prefix}.Destroy.Post", obj_id, hook_input, None)
        return True

    return resolve


def tags_merge(_: Any, info: Any, input: dict[str, Any]) -> Any:
    state = context(info).state
    sources = parse_ids(input["source"])
    destination = parse_id(input["destination"])
    with state.library.lock:
        target = _get(state, "tag", destination)
        merged = [_get(state, "tag", s) for s in sources if s != destination]
        for scene in state.library.scenes.values():
            if any(t.id in scene.tag_ids for t in merged):
                ids = [destination if t in sources else t for t in scene.tag_ids]
                scene.tag_ids = list(dict.fromkeys(ids))
        aliases = list(state.extras.get("tag", destination, "aliases") or [])  # type: ignore[call-overload]
        for tag in merged:
            del state.library.tags[tag.id]
            state.extras.drop("tag", tag.id)
            aliases.append(tag.name)
        state.extras.set("tag", destination, aliases=aliases)
        target.updated_at = state.stamp()
    fire(
        state, "Tag.Merge.Post", destination, full_input(info.schema, "TagsMergeInput", input), None
    )
    return projected(info, "Tag", state.library.tags.get(destination))


def configure_plugin(_: Any, info: Any, plugin_id: str, input: dict[str, Any]) -> dict[str, Any]:
    """Replaces the plugin's whole settings map, like the UI's save."""
    state = context(info).state
    with state.library.lock:
        stored = stored_settings(state.mode, plain_number(dict(input)))
        state.library.plugin_settings[plugin_id] = stored
        return returned_settings(state.mode, stored)


def _arg_value(value: dict[str, Any] | None) -> Any:
    """Deprecated PluginValueInput -> plain value (the first member set)."""
    if value is None:
        return None
    for key in ("str", "i", "b", "f"):
        if value.get(key) is not None:
            return value[key]
    if value.get("o") is not None:
        return {a["key"]: _arg_value(a.get("value")) for a in value["o"]}
    if value.get("a") is not None:
        return [_arg_value(v) for v in value["a"]]
    return None


def run_plugin_task(
    _: Any,
    info: Any,
    plugin_id: str,
    task_name: str | None = None,
    description: str | None = None,
    args: list[dict[str, Any]] | None = None,
    args_map: dict[str, Any] | None = None,
) -> str:
    # Like Stash, any plugin id and task name are accepted: the job fails when it runs
    # (internal/manager/task_plugin.go; see jobs.JobManager._execute).
    state = context(info).state
    if args_map is None:
        args_map = {a["key"]: _arg_value(a.get("value")) for a in args or []}
    description = job_description(plugin_id, task_name, description)
    job = state.jobs.add(plugin_id, task_name or "", description, args_map)
    return str(job.id)


def stop_job(_: Any, info: Any, job_id: str) -> bool:
    context(info).state.jobs.stop(parse_id(job_id))
    return True


def stop_all_jobs(_: Any, info: Any) -> bool:
    context(info).state.jobs.stop_all()
    return True


RESOLVERS: dict[str, Callable[..., Any]] = {
    "performerUpdate": _update("performer"),
    "performerDestroy": _destroy("performer"),
    "studioUpdate": _update("studio"),
    "studioDestroy": _destroy("studio"),
    "groupUpdate": _update("group"),
    "groupDestroy": _destroy("group"),
    "tagUpdate": _update("tag"),
    "tagDestroy": _destroy("tag"),
    "tagsMerge": tags_merge,
    "configurePlugin": configure_plugin,
    "runPluginTask": run_plugin_task,
    "stopJob": stop_job,
    "stopAllJobs": stop_all_jobs,
}
