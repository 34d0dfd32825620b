"""The Stash emulator's compact SDL against real Stash, and both stashapi versions against it.

The SDL may declare less than Stash but nothing different: every type, field, argument, input
field and enum value must exist in ../shared/reference/stash-schema/ with the same type, so a
query the emulator accepts is one Stash accepts. stashapi builds its default fragments from
introspection, so those must work too (and fail where they fail on real Stash).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)
from stashapi.stashapp import StashInterface

from sandbox.model import StashGroup, StashPerformer, StashStudio, StashTag
from sandbox.stash_emu import StashEmulator
from sandbox.stash_emu.gql import SDL_PATH
from sandbox.stash_emu.render import TABLES

REPO_ROOT = Path(__file__).resolve().parents[2]
ALT_STASHAPI = REPO_ROOT / ".venv" / "alt" / "stashapi-0.1"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)

# Object types served from plain dicts by graphql-core rather than projected by render.py.
DICT_TYPES = {
    "Query",
    "Mutation",
    "Version",
    "ConfigResult",
    "ConfigGeneralResult",
    "Job",
    "FindScenesResultType",
    "FindPerformersResultType",
    "FindStudiosResultType",
    "FindTagsResultType",
    "FindGroupsResultType",
    "HistoryMutationResult",  # sceneAddPlay answers a plain dict (play_mutations.py)
}
# Inputs Stash marshals member by member into hookContext.input.
HOOK_INPUTS = [
    "SceneUpdateInput",
    "BulkSceneUpdateInput",
    "SceneDestroyInput",
    "ScenesDestroyInput",
    "PerformerUpdateInput",
    "PerformerDestroyInput",
    "StudioUpdateInput",
    "StudioDestroyInput",
    "TagUpdateInput",
    "TagDestroyInput",
    "TagsMergeInput",
    "GroupUpdateInput",
    "GroupDestroyInput",
    "SceneGroupInput",
    "SceneMovieInput",
    "StashIDInput",
    "BulkUpdateIds",
    "BulkUpdateStrings",
    "CustomFieldsInput",
    "GroupDescriptionInput",
]


@pytest.fixture(scope="module")
def real_schema(shared_dir: Path) -> GraphQLSchema:
    folder = shared_dir / "reference" / "stash-schema"
    files = [folder / "schema.graphql", *sorted((folder / "types").glob("*.graphql"))]
    return build_schema("\n".join(f.read_text(encoding="utf-8") for f in files))


@pytest.fixture(scope="module")
def compact_schema() -> GraphQLSchema:
    return build_schema(SDL_PATH.read_text(encoding="utf-8"))


def _schema_differences(mine: GraphQLSchema, real: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for name, ours in mine.type_map.items():
        if name.startswith("__"):
            continue
        theirs = real.type_map.get(name)
        if theirs is None or type(theirs) is not type(ours):
            problems.append(f"type {name}: missing or of another kind in Stash")
            continue
        if isinstance(ours, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in ours.fields.items():
                real_field = theirs.fields.get(field_name)  # type: ignore[union-attr]
                where = f"{name}.{field_name}"
                if real_field is None:
                    problems.append(f"{where}: not in Stash")
                    continue
                if str(field.type) != str(real_field.type):
                    problems.append(f"{where}: {field.type} here, {real_field.type} in Stash")
                if field.deprecation_reason != real_field.deprecation_reason:
                    problems.append(f"{where}: deprecation differs")
                if isinstance(ours, GraphQLObjectType):
                    for arg_name, arg in field.args.items():
                        real_arg = real_field.args.get(arg_name)
                        if real_arg is None or str(real_arg.type) != str(arg.type):
                            problems.append(f"{where}({arg_name}): missing or other type")
                    for arg_name, real_arg in real_field.args.items():
                        if isinstance(real_arg.type, GraphQLNonNull) and arg_name not in field.args:
                            problems.append(f"{where}({arg_name}): required in Stash, absent here")
            if isinstance(ours, GraphQLInputObjectType):
                for field_name, real_field in theirs.fields.items():  # type: ignore[union-attr]
                    required = isinstance(real_field.type, GraphQLNonNull)
                    if required and field_name not in ours.fields:
                        problems.append(f"{name}.{field_name}: required in Stash, absent here")
        if isinstance(ours, GraphQLEnumType):
            problems.extend(
                f"enum {name}.{value}: not in Stash"
                for value in ours.values
                if value not in theirs.values  # type: ignore[union-attr]
            )
    return problems


def test_compact_sdl_declares_only_what_real_stash_has(
    compact_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    assert _schema_differences(compact_schema, real_schema) == []
    # The check itself must catch a difference: a field typed differently is reported.
    altered = build_schema(
        SDL_PATH.read_text(encoding="utf-8").replace("rating100: Int\n", "rating100: Float\n", 1)
    )
    assert any("rating100" in p for p in _schema_differences(altered, real_schema))


def test_hook_inputs_are_complete_and_in_stash_order(
    compact_schema: GraphQLSchema, real_schema: GraphQLSchema
) -> None:
    for name in HOOK_INPUTS:
        ours = compact_schema.type_map[name]
        theirs = real_schema.type_map[name]
        assert list(ours.fields) == list(theirs.fields), name  # type: ignore[attr-defined]


def test_every_object_field_has_a_renderer(compact_schema: GraphQLSchema) -> None:
    for name, gql_type in compact_schema.type_map.items():
        if name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        if name in DICT_TYPES:
            continue
        assert set(TABLES[name]) == set(gql_type.fields), name


# --- the real clients ----------------------------------------------------------------------------


@pytest.fixture
def stash_schema_emu() -> Iterator[StashEmulator]:
    emu = StashEmulator(clock=lambda: T0)
    lib = emu.library
    lib.studios[1] = StashStudio(1, "Parent Co")
    lib.studios[2] = StashStudio(2, "Child Studio", parent_id=1)
    lib.performers[1] = StashPerformer(1, "Ann")
    lib.tags[1] = StashTag(1, "Red")
    lib.groups[1] = StashGroup(1, "Series")
    emu.new_scene(
        "/media/videos/alpha.mp4",
        title="Alpha",
        studio_id=2,
        performer_ids=[1],
        tag_ids=[1],
        groups=[(1, 2)],
        date="2021-07",
    )
    emu.new_scene(["/media/videos/beta.mp4", "/archive/beta.mkv"], title="Beta")
    with emu:
        yield emu


@pytest.mark.stash_surface
def test_stashapp_tools_default_fragments_work(stash_schema_emu: StashEmulator) -> None:
    stash = StashInterface(stash_schema_emu.connection())
    scene = stash.find_scene(1)  # default ...Scene fragment, built from introspection
    assert scene["title"] == "Alpha"
    assert scene["date"] == "2021-07"
    assert scene["studio"] == {"id": "2"}
    assert scene["files"][0]["parent_folder"] == {"id": "1"}
    assert scene["tags"][0]["name"] == "Red"
    count, scenes = stash.find_scenes(f={}, filter={"per_page": -1, "sort": "id"}, get_count=True)
    assert count == 2
    assert [s["id"] for s in scenes] == ["1", "2"]
    assert stash.get_configuration()["general"] == {"apiKey": ""}
    assert stash.find_performers(f={}, filter={"per_page": -1})[0]["name"] == "Ann"
    assert stash.find_studios(f={}, filter={"per_page": -1, "sort": "id"})[1]["parent_studio"] == {
        "id": "1"
    }
    assert stash.job_queue() is None  # Stash returns a nil slice: JSON null, not []
    assert stash_schema_emu.log.count("graphql:__schema") == 1


def _nulls_where_forbidden(gql_type: Any, value: Any, where: str) -> list[str]:
    """Paths in a response value that are null although the schema says non-null."""
    if isinstance(gql_type, GraphQLNonNull):
        if value is None:
            return [where]
        gql_type = gql_type.of_type
    if value is None:
        return []
    if isinstance(gql_type, GraphQLList):
        return [
            p
            for i, item in enumerate(value)
            for p in _nulls_where_forbidden(gql_type.of_type, item, f"{where}[{i}]")
        ]
    if isinstance(gql_type, GraphQLObjectType):
        return [
            p
            for key, item in value.items()
            for p in _nulls_where_forbidden(gql_type.fields[key].type, item, f"{where}.{key}")
        ]
    return []


@pytest.mark.stash_surface
def test_default_fragments_never_return_null_for_non_null_fields(
    stash_schema_emu: StashEmulator, compact_schema: GraphQLSchema
) -> None:
    """Edits that null every optional member must not leak nulls into non-null fields."""
    stash = StashInterface(stash_schema_emu.connection())
    for kind in ("performer", "studio", "tag", "group"):
        input_type = compact_schema.type_map[f"{kind.capitalize()}UpdateInput"]
        nulls = {
            name: None
            for name, field in input_type.fields.items()  # type: ignore[union-attr]
            if name != "id" and not isinstance(field.type, GraphQLNonNull)
        }
        stash.call_GQL(
            f"mutation($in: {input_type.name}!) {{ {kind}Update(input: $in) {{ id }} }}",
            {"in": {"id": "1", **nulls}},
        )
    results = {
        "Scene": [stash.find_scene(1)],
        "Performer": stash.find_performers(f={}, filter={"per_page": -1}),
        "Studio": stash.find_studios(f={}, filter={"per_page": -1}),
        "Tag": stash.find_tags(f={}, filter={"per_page": -1}),
        "Group": stash.find_groups(f={}, filter={"per_page": -1}),
    }
    problems = [
        p
        for type_name, objects in results.items()
        for obj in objects
        for p in _nulls_where_forbidden(compact_schema.type_map[type_name], obj, type_name)
    ]
    assert problems == []
    assert results["Performer"][0]["alias_list"] == []


@pytest.mark.stash_surface
def test_stashapi_015_explicit_fragments_work_and_defaults_fail_like_real_stash(
    stash_schema_emu: StashEmulator,
) -> None:
    script = """
import json, sys
sys.path.insert(0, sys.argv[1])
import stashapi
from stashapi.stashapp import StashInterface
stash = StashInterface({"scheme": "http", "host": "127.0.0.1", "port": int(sys.argv[2])})
count, scenes = stash.find_scenes(
    f={"path": {"value": "/media/videos", "modifier": "INCLUDES"}},
    filter={"per_page": 1, "page": 2, "sort": "id", "direction": "ASC"},
    fragment="id title files { path parent_folder { path } }",
    get_count=True,
)
try:
    stash.find_scene(1)
    default = "ok"
except Exception as exc:
    default = type(exc).__name__
print(json.dumps({"module": stashapi.__file__, "count": count, "scenes": scenes,
                  "default": default}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(ALT_STASHAPI), str(stash_schema_emu.port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["module"].startswith(str(ALT_STASHAPI))
    assert out["count"] == 2
    assert out["scenes"] == [
        {
            "id": "2",
            "title": "Beta",
            "files": [
                {"path": "/media/videos/beta.mp4", "parent_folder": {"path": "/media/videos"}},
                {"path": "/archive/beta.mkv", "parent_folder": {"path": "/archive"}},
            ],
        }
    ]
    # 0.1.5's default Folder fragment asks Folder.basename, which Stash <= 0.30 lacks.
    assert out["default"] == "AttributeError"
    rejected = [r for r in stash_schema_emu.log.records if r.status == 422]
    assert [r.route for r in rejected] == ["graphql:findScene"]


def test_validation_error_shape_is_gqlgens(stash_schema_emu: StashEmulator) -> None:
    response = requests.post(
        stash_schema_emu.url + "/graphql",
        json={"query": "{ findScenes { scenes { files { parent_folder { basename } } } } }"},
        timeout=5,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "basename" in body["errors"][0]["message"]
    assert "path" not in body["errors"][0]
