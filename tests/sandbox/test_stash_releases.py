"""The Stash emulator's release modes against the real schemas (../shared/reference/stash-schemas).

Each mode's schema (the compact SDL minus `releases.CHANGES`) must declare nothing its release
lacks and keep everything of the compact SDL its release has; its settings keys and job
descriptions follow that release's Go source (sandbox/stash_emu/releases.py cites it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_ast_schema,
    build_schema,
)

from sandbox.stash_emu import StashEmulator
from sandbox.stash_emu.gql import SDL_PATH
from sandbox.stash_emu.releases import LATEST, RELEASES, release, release_document
from tests.sandbox.test_stash_schema import _schema_differences


class _Runner:
    """The plugin runner's face to the job queue: one plugin, one task, nothing run."""

    plugin_id = "Stash2Plex"

    def task_names(self) -> list[str]:
        return ["Stash2Plex: Process Queue"]


def _real(shared_dir: Path, tag: str) -> GraphQLSchema:
    folder = shared_dir / "reference" / "stash-schemas" / tag
    files = [folder / "schema.graphql", *sorted((folder / "types").glob("*.graphql"))]
    return build_schema("\n".join(f.read_text(encoding="utf-8") for f in files))


def _members(schema: GraphQLSchema) -> set[str]:
    """Every type, field and argument name of `schema`, as `Type`, `Type.f`, `Type.f(arg)`."""
    names: set[str] = set()
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        names.add(name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInputObjectType)):
            for field_name, field in kind.fields.items():
                names.add(f"{name}.{field_name}")
                names.update(f"{name}.{field_name}({a})" for a in getattr(field, "args", {}))
    return names


@pytest.mark.parametrize("tag", RELEASES)
def test_each_mode_serves_exactly_its_release_schema(shared_dir: Path, tag: str) -> None:
    sdl = SDL_PATH.read_text(encoding="utf-8")
    mode = build_ast_schema(release_document(sdl, tag))
    real = _real(shared_dir, tag)
    # Deprecation notes change no document's validity; they are not modelled.
    problems = [p for p in _schema_differences(mode, real) if "deprecation" not in p]
    assert problems == []
    compact = _members(build_schema(sdl))
    kept_by_release = compact & _members(real)
    assert kept_by_release - _members(mode) == set()  # nothing dropped that the release has


def test_release_table_is_checked_for_real() -> None:
    # Without the table, v0.24.3 would serve v0.30.1's schema: the check above must see it.
    latest = build_ast_schema(release_document(SDL_PATH.read_text(encoding="utf-8"), LATEST))
    assert "findScenes" in latest.query_type.fields  # type: ignore[union-attr]
    assert "ids" in latest.query_type.fields["findScenes"].args  # type: ignore[union-attr]
    v024 = build_ast_schema(release_document(SDL_PATH.read_text(encoding="utf-8"), "v0.24.3"))
    assert "ids" not in v024.query_type.fields["findScenes"].args  # type: ignore[union-attr]
    assert str(v024.type_map["ConfigResult"].fields["plugins"].args["include"].type) == (  # type: ignore[union-attr]
        "[String!]"
    )
    with pytest.raises(ValueError):
        release("v0.23.1")
    # Job.error / FAILED arrived with v0.26 (the schema check above holds the same line).
    assert [release(tag).job_errors for tag in RELEASES] == [False, False] + [True] * 5
    assert [release(tag).camel_settings for tag in RELEASES] == [True, True] + [False] * 5


def _post(url: str, query: str) -> requests.Response:
    return requests.post(f"{url}/graphql", json={"query": query}, timeout=10)


def test_v024_refuses_what_it_lacks_and_answers_its_own_forms() -> None:
    with StashEmulator(release="v0.24.3") as emu:
        emu.new_scene("/media/a.mp4", title="A")
        assert _post(emu.url, "{ version { version } }").json()["data"]["version"] == {
            "version": "v0.24.3"
        }
        ids = _post(emu.url, '{ findScenes(ids: ["1"]) { count } }')
        assert ids.status_code == 422
        typed = _post(emu.url, "query($i: [ID!]) { configuration { plugins(include: $i) } }")
        assert typed.status_code == 422
        old = _post(emu.url, "{ findScenes(scene_ids: [1]) { scenes { title } } }")
        assert old.json()["data"]["findScenes"]["scenes"] == [{"title": "A"}]
        assert _post(emu.url, "{ findGroups { count } }").status_code == 422
        assert _post(emu.url, "{ jobQueue { error } }").status_code == 422


@pytest.mark.parametrize(
    ("tag", "returned"),
    [("v0.24.3", "plexUrl"), ("v0.25.1", "plexUrl"), ("v0.26.2", "plex_url")],
)
def test_settings_keys_come_back_camel_cased_on_v024_and_v025(tag: str, returned: str) -> None:
    with StashEmulator(release=tag) as emu:
        saved = _post(
            emu.url,
            'mutation { configurePlugin(plugin_id: "Stash2Plex", '
            'input: {plex_url: "http://plex.invalid", retryCount: 2}) }',
        ).json()["data"]["configurePlugin"]
        asked = _post(emu.url, '{ configuration { plugins(include: ["Stash2Plex"]) } }')
        listed = _post(emu.url, "{ configuration { plugins } }")
    values = asked.json()["data"]["configuration"]["plugins"]["Stash2Plex"]
    assert values[returned] == "http://plex.invalid"
    assert saved == values
    every = listed.json()["data"]["configuration"]["plugins"]
    if tag == "v0.26.2":
        assert values == {"plex_url": "http://plex.invalid", "retryCount": 2}
        assert list(every) == ["Stash2Plex"]
    else:
        # Stored snake_cased (retryCount → retry_count), read back camelCased; the id too
        # when listed without `include` (Stash2Plex → stash2_plex → stash2Plex).
        assert values == {"plexUrl": "http://plex.invalid", "retryCount": 2}
        assert list(every) == ["stash2Plex"]


@pytest.mark.parametrize("tag", ["v0.24.3", LATEST])
def test_plugin_task_job_description_names_the_task(tag: str) -> None:
    with StashEmulator(release=tag) as emu:
        emu.run_jobs_inline = False
        emu.plugin_runner = _Runner()  # type: ignore[assignment]
        answer = _post(
            emu.url,
            'mutation { runPluginTask(plugin_id: "Stash2Plex", '
            'task_name: "Stash2Plex: Process Queue") }',
        )
        assert answer.status_code == 200, answer.text
        queue = _post(emu.url, "{ jobQueue { description } }").json()["data"]["jobQueue"]
    assert queue == [{"description": "Running plugin task: Stash2Plex: Process Queue"}]


@pytest.mark.parametrize(
    ("tag", "status"),
    [("v0.24.3", "FINISHED"), ("v0.25.1", "FINISHED"), ("v0.26.2", "FAILED"), (LATEST, "FAILED")],
)
def test_a_task_of_an_unknown_plugin_fails_only_from_v026(tag: str, status: str) -> None:
    """v0.24/v0.25 logged the CreateTask error and ended the job FINISHED; v0.26+ fail it."""

    with StashEmulator(release=tag) as emu:
        emu.run_jobs_inline = False
        emu.plugin_runner = _Runner()  # type: ignore[assignment]
        answer = _post(
            emu.url, 'mutation { runPluginTask(plugin_id: "s2p", task_name: "Process Queue") }'
        )
        job_id = answer.json()["data"]["runPluginTask"]
        assert emu.run_next_job() is not None
        query = "{ findJob(input: {id: " + json.dumps(str(job_id)) + "}) { status } }"
        found = _post(emu.url, query).json()
    assert found["data"]["findJob"] == {"status": status}
