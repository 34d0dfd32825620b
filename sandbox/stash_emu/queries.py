"""Query resolvers: scenes and related entities, configuration, jobs, version.

Behaviour follows Stash's resolvers (internal/api/resolver_query_*.go): findScene returns null
for an unknown id and fails on a non-numeric one; findScenes with `ids`/`scene_ids` ignores
the filters, keeps the given order and fails as a whole when one id is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from sandbox.model import StashScene
from sandbox.stash_emu.finding import find_entities, find_scenes
from sandbox.stash_emu.jobs import Job
from sandbox.stash_emu.releases import returned_plugin_id, returned_settings
from sandbox.stash_emu.resolving import (
    Precompleted,
    context,
    parse_id,
    parse_ids,
    plain_number,
    projected,
)


@dataclass
class FoundScenes:
    matches: list[StashScene]
    page: list[StashScene]


@dataclass
class FoundEntities:
    type_name: str
    count: int
    page: list[Any]


def find_scene(_: Any, info: Any, id: Any = None, checksum: str | None = None) -> Precompleted:
    if id is None:
        return Precompleted(None)  # Stash looks checksums up by MD5, which the sandbox lacks
    scene_id = parse_id(id)
    return projected(info, "Scene", context(info).state.library.scenes.get(scene_id))


def find_scenes_resolver(
    _: Any,
    info: Any,
    scene_filter: dict | None = None,
    scene_ids: list[int] | None = None,
    ids: list[str] | None = None,
    filter: dict | None = None,
) -> FoundScenes:
    state = context(info).state
    wanted = parse_ids(ids) if ids else list(scene_ids or [])
    if wanted:
        scenes = state.library.scenes
        found = []
        for scene_id in wanted:
            scene = scenes.get(scene_id)
            if scene is None:
                raise ValueError(f"scene with id {scene_id} not found")
            found.append(scene)
        return FoundScenes(found, found)
    matches, page = find_scenes(state.find_context(), scene_filter, filter)
    return FoundScenes(matches, page)


def _primary_sum(scenes: list[StashScene], attr: str) -> float:
    return float(sum(getattr(s.files[0], attr) for s in scenes if s.files))


_ENTITY_KINDS = {
    "Performer": ("performer", "performers"),
    "Studio": ("studio", "studios"),
    "Tag": ("tag", "tags"),
    "Group": ("group", "groups"),
    "Movie": ("group", "groups"),  # the same objects, named movies before v0.27
}


def _find_one(type_name: str) -> Callable[..., Precompleted]:
    _, attr = _ENTITY_KINDS[type_name]

    def resolve(_: Any, info: Any, id: Any) -> Precompleted:
        objects = getattr(context(info).state.library, attr)
        return projected(info, type_name, objects.get(parse_id(id)))

    return resolve


def _find_many(
    type_name: str, filter_arg: str, ids_arg: str | None
) -> Callable[..., FoundEntities]:
    kind, attr = _ENTITY_KINDS[type_name]

    def resolve(_: Any, info: Any, **args: Any) -> FoundEntities:
        state = context(info).state
        with state.library.lock:
            objects = dict(getattr(state.library, attr))
        wanted = parse_ids(args.get("ids"))
        if not wanted and ids_arg:
            wanted = list(args.get(ids_arg) or [])
        if wanted:
            found = []
            for obj_id in wanted:
                if obj_id not in objects:
                    raise ValueError(f"{kind} with id {obj_id} not found")
                found.append(objects[obj_id])
            return FoundEntities(type_name, len(found), found)
        matches, page = find_entities(
            kind,
            list(objects.values()),
            args.get(filter_arg),
            args.get("filter"),
            state.find_context(),
        )
        return FoundEntities(type_name, len(matches), page)

    return resolve


def _entities_page(found: FoundEntities, info: Any) -> Precompleted:
    return projected(info, found.type_name, found.page)


def configuration(_: Any, info: Any) -> dict[str, Any]:
    return {"general": {"apiKey": context(info).state.library.api_key}}


def plugins_config(_: Any, info: Any, include: list[str] | None = None) -> dict[str, Any]:
    """Stored maps, empty ones left out; keys camelCased on v0.24/v0.25 (releases.py)."""
    state = context(info).state
    settings, mode = state.library.plugin_settings, state.mode
    if not include:
        return {
            returned_plugin_id(mode, plugin_id): returned_settings(mode, plain_number(values))
            for plugin_id, values in settings.items()
            if values
        }
    return {
        plugin_id: returned_settings(mode, plain_number(settings[plugin_id]))
        for plugin_id in include
        if settings.get(plugin_id)
    }


def job_dict(job: Job, info: Any) -> dict[str, Any]:
    fmt = context(info).state.server_fmt
    return {
        "id": str(job.id),
        "status": job.status,
        "subTasks": None,
        "description": job.description,
        "progress": job.progress,
        "startTime": fmt(job.start_time),
        "endTime": fmt(job.end_time),
        "addTime": fmt(job.add_time),
        "error": job.error,
    }


def job_queue(_: Any, info: Any) -> list[dict[str, Any]] | None:
    queue = context(info).state.jobs.queue()
    # Stash appends to a nil slice: an empty queue is JSON null, not [].
    return [job_dict(j, info) for j in queue] or None


def find_job(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any] | None:
    job = context(info).state.jobs.find(parse_id(input["id"]))
    return job_dict(job, info) if job is not None else None


def version(_: Any, info: Any) -> dict[str, Any]:
    state = context(info).state
    return {"version": state.version, "hash": state.build_hash, "build_time": state.build_time}


def bind(schema: GraphQLSchema) -> None:
    query = schema.query_type
    assert query is not None
    resolvers: dict[str, Callable[..., Any]] = {
        "findScene": find_scene,
        "findScenes": find_scenes_resolver,
        "findPerformer": _find_one("Performer"),
        "findPerformers": _find_many("Performer", "performer_filter", "performer_ids"),
        "findStudio": _find_one("Studio"),
        "findStudios": _find_many("Studio", "studio_filter", None),
        "findTag": _find_one("Tag"),
        "findTags": _find_many("Tag", "tag_filter", None),
        "findGroup": _find_one("Group"),
        "findMovie": _find_one("Movie"),
        "findGroups": _find_many("Group", "group_filter", None),
        "configuration": configuration,
        "jobQueue": job_queue,
        "findJob": find_job,
        "version": version,
    }
    for name, fn in resolvers.items():
        if name in query.fields:  # older releases lack some (findGroup before v0.27)
            query.fields[name].resolve = fn
    types = schema.type_map
    scenes = types["FindScenesResultType"].fields  # type: ignore[union-attr]
    scenes["count"].resolve = lambda r, info: len(r.matches)
    scenes["duration"].resolve = lambda r, info: _primary_sum(r.matches, "duration")
    scenes["filesize"].resolve = lambda r, info: _primary_sum(r.matches, "size")
    scenes["scenes"].resolve = lambda r, info: projected(info, "Scene", r.page)
    for result_type, list_field in (
        ("FindPerformersResultType", "performers"),
        ("FindStudiosResultType", "studios"),
        ("FindTagsResultType", "tags"),
        ("FindGroupsResultType", "groups"),
    ):
        if result_type not in types:
            continue
        fields = types[result_type].fields  # type: ignore[union-attr]
        fields["count"].resolve = lambda r, info: r.count
        fields[list_field].resolve = _entities_page
    types["ConfigResult"].fields["plugins"].resolve = plugins_config  # type: ignore[union-attr]
