"""The Stash emulator's release modes: each release's schema, derived from the one compact SDL.

`schema.graphql` is develop's (= v0.30.1's) surface. A release mode removes or retypes what
that release lacks, by the table `CHANGES` below: each entry is a difference between the
compact SDL and the real schema of the releases before `since`, read from
`../shared/reference/stash-schemas/<tag>/` (tests/sandbox/test_stash_releases.py holds each
derived schema against its real one). Deprecation notes are not modelled: they never change
what a document may ask. Besides the schema a release differs in its settings keys
(`camel_settings`) and nowhere else the plugin can see: the plugin task job description is
`Running plugin task: <task name>` on every release (internal/manager/task_plugin.go at
v0.24.3: `fmt.Sprintf("Running plugin task: %s", taskName)`; from v0.25.0 the description
argument replaces the task name when given, which the plugin never sends).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    TypeNode,
    parse,
    parse_type,
)

__all__ = [
    "CHANGES",
    "LATEST",
    "RELEASES",
    "Release",
    "job_description",
    "release",
    "release_document",
    "returned_plugin_id",
    "returned_settings",
    "stored_settings",
]

Version = tuple[int, int, int]

# The last patch of each minor release the plugin supports (../shared/reference/stash-schemas).
RELEASES = ("v0.24.3", "v0.25.1", "v0.26.2", "v0.27.2", "v0.28.1", "v0.29.3", "v0.30.1")
LATEST = RELEASES[-1]


@dataclass(frozen=True)
class Change:
    """What releases before `since` lack: a type, a field (`Type.field`), an argument
    (`Type.field(arg)`) or an enum value (`Enum.VALUE`); or, with `retype`, what type they
    give that field or argument instead."""

    since: Version
    what: str
    retype: str = ""


_V025, _V026, _V027, _V028, _V029, _V030 = (
    (0, 25, 0),
    (0, 26, 0),
    (0, 27, 0),
    (0, 28, 0),
    (0, 29, 0),
    (0, 30, 0),
)

CHANGES: tuple[Change, ...] = (
    # v0.24 (stash-schemas/v0.24.3/types/config.graphql, schema.graphql)
    Change(_V025, "PluginConfigMap"),
    Change(_V025, "ConfigResult.plugins", retype="Map!"),
    Change(_V025, "ConfigResult.plugins(include)", retype="[String!]"),
    Change(_V025, "Query.findScenes(ids)"),
    Change(_V025, "Query.findPerformers(ids)"),
    Change(_V025, "Query.findStudios(ids)"),
    Change(_V025, "Query.findTags(ids)"),
    Change(_V025, "Mutation.runPluginTask(task_name)", retype="String!"),
    Change(_V025, "Mutation.runPluginTask(description)"),
    Change(_V025, "Mutation.runPluginTask(args_map)"),
    Change(_V025, "Scene.play_history"),
    Change(_V025, "Scene.o_history"),
    Change(_V025, "HistoryMutationResult"),
    Change(_V025, "Mutation.sceneAddPlay"),
    # v0.25 (stash-schemas/v0.25.1/types/job.graphql, studio.graphql, tag.graphql)
    Change(_V026, "JobStatus.FAILED"),
    Change(_V026, "Job.error"),
    Change(_V026, "Studio.favorite"),
    Change(_V026, "Tag.favorite"),
    Change(_V026, "StudioUpdateInput.favorite"),
    Change(_V026, "TagUpdateInput.favorite"),
    # v0.26: no groups yet (stash-schemas/v0.26.2/types/); the cascade drops every field and
    # argument of these types (Query.findGroup(s), Mutation.group*, Scene.groups)
    Change(_V027, "Group"),
    Change(_V027, "SceneGroup"),
    Change(_V027, "FindGroupsResultType"),
    Change(_V027, "GroupFilterType"),
    Change(_V027, "SceneGroupInput"),
    Change(_V027, "GroupDescriptionInput"),
    Change(_V027, "GroupUpdateInput"),
    Change(_V027, "GroupDestroyInput"),
    Change(_V027, "SceneFilterType.groups"),
    Change(_V027, "BulkSceneUpdateInput.group_ids"),
    Change(_V027, "Performer.urls"),
    Change(_V027, "PerformerUpdateInput.urls"),
    Change(_V027, "Studio.tags"),
    Change(_V027, "StudioUpdateInput.tag_ids"),
    Change(_V027, "Movie.urls"),
    Change(_V027, "Movie.tags"),
    # v0.27 (stash-schemas/v0.27.2)
    Change(_V028, "CustomFieldsInput"),
    Change(_V028, "StashID.updated_at"),
    Change(_V028, "StashIDInput.updated_at"),
    Change(_V028, "Tag.sort_name"),
    Change(_V028, "TagUpdateInput.sort_name"),
    # v0.28 (stash-schemas/v0.28.1)
    Change(_V029, "Folder.parent_folder"),
    Change(_V029, "VideoFile.parent_folder"),
    # v0.29 (stash-schemas/v0.29.3)
    Change(_V030, "CustomFieldsInput.remove"),
    Change(_V030, "Studio.urls"),
    Change(_V030, "StudioUpdateInput.urls"),
    Change(_V030, "Tag.stash_ids"),
    Change(_V030, "TagUpdateInput.stash_ids"),
)

# Stash v0.24 and v0.25 store plugin setting keys snake_cased and return them camelCased
# (internal/manager/config/config.go GetPluginConfiguration → map.go fromSnakeCaseMap at
# v0.24.3 and v0.25.1); v0.26.0 moved to koanf and returns them as stored.
CAMEL_SETTINGS_BEFORE: Version = _V026
# A plugin task that cannot start (unknown plugin or task) fails its job (FAILED, `Job.error`)
# from v0.26.0 (internal/manager/task_plugin.go returns the error to the job manager); v0.24
# and v0.25 only log it and end the job FINISHED, and have neither `FAILED` nor `Job.error`.
JOB_ERRORS_SINCE: Version = _V026


@dataclass(frozen=True)
class Release:
    """One release mode: its tag, version and what the emulator does differently."""

    tag: str
    version: Version
    camel_settings: bool
    changes: tuple[Change, ...]
    job_errors: bool  # a task that cannot start ends FAILED with `Job.error` (else FINISHED)


def _parse(tag: str) -> Version:
    major, minor, patch = (int(part) for part in tag.lstrip("v").split("."))
    return (major, minor, patch)


def release(tag: str = LATEST) -> Release:
    """The mode of release `tag` (one of `RELEASES`); ValueError for any other."""
    if tag not in RELEASES:
        raise ValueError(f"unknown Stash release mode {tag!r} (one of {', '.join(RELEASES)})")
    version = _parse(tag)
    lacking = tuple(c for c in CHANGES if version < c.since)
    return Release(
        tag, version, version < CAMEL_SETTINGS_BEFORE, lacking, version >= JOB_ERRORS_SINCE
    )


def _named(node: TypeNode) -> str:
    while isinstance(node, (ListTypeNode, NonNullTypeNode)):
        node = node.type
    return node.name.value  # type: ignore[attr-defined,no-any-return]


def _needs_dropped(field: object, drop: set[str]) -> bool:
    """A field with a required argument of a dropped type cannot exist either."""
    return any(
        isinstance(a.type, NonNullTypeNode) and _named(a.type) in drop
        for a in getattr(field, "arguments", None) or ()
    )


def _edited(node: object, **changes: object) -> object:
    clone = copy.copy(node)
    for key, value in changes.items():
        object.__setattr__(clone, key, value)  # graphql-core 3.3 nodes are frozen
    return clone


@cache
def release_document(sdl: str, tag: str) -> DocumentNode:
    """The compact SDL `sdl` as release `tag` serves it (parsed once per release)."""
    document = parse(sdl)
    lacking = release(tag).changes
    drop = {c.what for c in lacking if not c.retype}
    retype = {c.what: parse_type(c.retype) for c in lacking if c.retype}
    definitions = []
    for definition in document.definitions:
        name = getattr(getattr(definition, "name", None), "value", None)
        if name in drop:
            continue
        if isinstance(definition, (ObjectTypeDefinitionNode, InputObjectTypeDefinitionNode)):
            fields = []
            for field in definition.fields or ():
                where = f"{name}.{field.name.value}"
                if where in retype:
                    field = _edited(field, type=retype[where])  # type: ignore[assignment]
                if where in drop or _named(field.type) in drop or _needs_dropped(field, drop):
                    continue
                arguments = [
                    _edited(a, type=retype[f"{where}({a.name.value})"])
                    if f"{where}({a.name.value})" in retype
                    else a
                    for a in getattr(field, "arguments", None) or ()
                    if f"{where}({a.name.value})" not in drop and _named(a.type) not in drop
                ]
                if isinstance(definition, ObjectTypeDefinitionNode):
                    field = _edited(field, arguments=tuple(arguments))  # type: ignore[assignment]
                fields.append(field)
            definition = _edited(definition, fields=tuple(fields))  # type: ignore[assignment]
        elif isinstance(definition, EnumTypeDefinitionNode):
            values = tuple(
                v for v in definition.values or () if f"{name}.{v.name.value}" not in drop
            )
            definition = _edited(definition, values=values)  # type: ignore[assignment]
        definitions.append(definition)
    return _edited(document, definitions=tuple(definitions))  # type: ignore[return-value]


# --- plugin settings and job descriptions -----------------------------------------------------


def _to_snake_case(key: str) -> str:
    """Go `toSnakeCase` (v0.24.3/v0.25.1 internal/manager/config/map.go): `plexUrl` →
    `plex_url`; an upper-case letter right after an inserted underscore gets none."""
    out: list[str] = []
    underscored = False
    for i, char in enumerate(key):
        if not underscored and char.isupper() and i > 0:
            out.append("_")
            underscored = True
        else:
            underscored = False
        out.append(char.lower())
    return "".join(out)


def _from_snake_case(key: str) -> str:
    """Go `fromSnakeCase` (same file): `plex_url` → `plexUrl`, leading underscores kept.

    The product's reader (validation/setting_keys.py) has its own copy on purpose: the
    emulator plays Stash, and sharing one function would let a wrong conversion pass."""
    out: list[str] = []
    leading, capitalise = True, False
    for i, char in enumerate(key):
        if char == "_" and not leading and i > 0:
            capitalise = True
        elif char == "_" and leading:
            out.append(char)
        elif capitalise:
            out.append(char.upper())
            capitalise = False
        else:
            leading = False
            out.append(char)
    return "".join(out)


def _rekey(value: object, rename: object) -> object:
    # Both Go helpers recurse through nested maps and lists.
    if isinstance(value, dict):
        return {rename(k): _rekey(v, rename) for k, v in value.items()}  # type: ignore[operator]
    if isinstance(value, list):
        return [_rekey(v, rename) for v in value]
    return value


def stored_settings(mode: Release, values: dict[str, object]) -> dict[str, object]:
    """What `configurePlugin` stores: snake_cased keys on v0.24/v0.25 (`toSnakeCaseMap`)."""
    return _rekey(values, _to_snake_case) if mode.camel_settings else dict(values)  # type: ignore[return-value]


def returned_settings(mode: Release, values: dict[str, object]) -> dict[str, object]:
    """What `configuration.plugins` returns for stored `values`: camelCased keys on
    v0.24/v0.25 (`GetPluginConfiguration` → `fromSnakeCaseMap`), as stored later."""
    return _rekey(values, _from_snake_case) if mode.camel_settings else dict(values)  # type: ignore[return-value]


def returned_plugin_id(mode: Release, plugin_id: str) -> str:
    """The key of a plugin in `plugins` without `include`: v0.24/v0.25 store the id
    snake_cased and list it camelCased (`GetAllPluginConfiguration`); with `include` the
    id is returned as asked."""
    return _from_snake_case(_to_snake_case(plugin_id)) if mode.camel_settings else plugin_id


def job_description(plugin_id: str, task_name: str | None, description: str | None) -> str:
    """A plugin task job's description on every release: `Running plugin task: ` and the
    description, else the task name, else the plugin id (internal/manager/task_plugin.go,
    v0.25.1 to develop; v0.24.3 has neither optional argument and uses the task name)."""
    if description is not None:
        return f"Running plugin task: {description}"
    return f"Running plugin task: {task_name if task_name is not None else plugin_id}"
