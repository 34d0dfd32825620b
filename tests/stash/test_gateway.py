"""StashGateway (stashapp-tools 0.2.x) against the Stash emulator: scenes, settings, jobs."""

from __future__ import annotations

import time

import pytest

from base.errors import StashAuthError, StashUnavailable
from sandbox.httpd import Fault
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway
from stash.connection import StashEndpoint
from stash.errors import StashQueryError
from stash.fields import SCENE_FIELDS, SCENE_FIELDS_LEGACY
from tests.stash.conftest import (
    API_KEY,
    PLUGIN_ID,
    TASK_NAME,
    assert_no_secrets,
    make_library,
)

CONSTRUCTION = {"graphql:version": 1, "graphql:configuration": 1, "graphql:__schema": 1}


class ListLog:
    """A logger seam collecting every line, to check nothing secret is logged."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def debug(self, message: object) -> None:
        self.lines.append(str(message))

    info = warning = error = debug


def test_construction_costs_three_requests_and_reads_the_version(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    assert dict(stash_emu.log.counts()) == CONSTRUCTION
    assert gateway.version() == "v0.30.1"
    assert gateway.version_info == (0, 30, 1)
    assert gateway.scene_fields == SCENE_FIELDS
    assert len(stash_emu.log) == 3  # version() asked nobody


def test_paging_1200_scenes_takes_exactly_three_requests_in_stable_order() -> None:
    with StashEmulator(make_library(1200)) as emu:
        gateway = StashGateway.from_server_connection(emu.connection())
        emu.log.clear()
        first = [int(s["id"]) for s in gateway.iter_scenes(per_page=500)]
        assert emu.log.count("graphql:findScenes") == 3
        assert len(emu.log) == 3
        assert first == list(range(1, 1201))
        again = [int(s["id"]) for s in gateway.iter_scenes(per_page=500)]
        assert again == first


def test_find_scenes_page_uses_explicit_fields_and_fresh_filters(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    scene_filter = {"title": {"value": '"Scene 1"', "modifier": "INCLUDES"}}
    count, scenes = gateway.find_scenes_page(1, 2, scene_filter=scene_filter)
    assert scene_filter == {"title": {"value": '"Scene 1"', "modifier": "INCLUDES"}}
    assert count == 4  # Scene 1, 10, 11, 12
    assert [s["id"] for s in scenes] == ["1", "10"]
    assert set(scenes[0]) == {
        "id", "title", "details", "date", "rating100", "organized", "updated_at",
        "created_at", "urls", "files", "paths", "studio", "performers", "tags", "groups",
    }  # fmt: skip
    assert scenes[0]["studio"] == {
        "id": "2",
        "name": "Studio B",
        "parent_studio": {"id": "1", "name": "Parent Studio"},
    }
    _, desc = gateway.find_scenes_page(1, 3, sort="updated_at", direction="DESC")
    assert [s["id"] for s in desc] == ["12", "11", "10"]
    with pytest.raises(ValueError):
        gateway.find_scenes_page(1, -1)


def test_invalid_sort_is_a_query_error(endpoint: StashEndpoint) -> None:
    gateway = StashGateway(endpoint)
    with pytest.raises(StashQueryError) as info:
        gateway.find_scenes_page(1, 10, sort="no_such_sort")
    assert "sort" in str(info.value)


def test_scenes_by_ids_is_one_request(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    gateway = StashGateway(endpoint)
    stash_emu.log.clear()
    scenes = gateway.scenes_by_ids(["7", 3, 3, 12])
    assert stash_emu.log.count() == 1
    assert stash_emu.log.count("graphql:findScenes") == 1
    assert sorted(scenes) == [3, 7, 12]
    assert scenes[3]["groups"] == [{"group": {"id": "1", "name": "Group One"}, "scene_index": 4}]
    assert gateway.scenes_by_ids([]) == {}


def test_missing_ids_are_absent_not_fatal(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    stash_emu.log.clear()
    scenes = gateway.scenes_by_ids([5, 999, 6, "abc", 1000])
    assert sorted(scenes) == [5, 6]
    assert scenes[5]["title"] == "Scene 5"
    # the one failing findScenes(ids:) and one aliased findScene request
    assert stash_emu.log.count("graphql:findScenes") == 1
    assert stash_emu.log.count("graphql:findScene") == 1
    assert gateway.scenes_by_ids([404]) == {}


def test_plugin_settings_empty_then_saved(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    assert gateway.plugin_settings() == {}
    stash_emu.set_plugin_settings("OtherPlugin", {"x": 1})
    assert gateway.plugin_settings() == {}
    gateway.call(
        "mutation Save($id: ID!, $input: Map!) { configurePlugin(plugin_id: $id, input: $input) }",
        {"id": PLUGIN_ID, "input": {"plex_url": "http://plex:32400", "worker_time_slice": 300}},
    )
    assert gateway.plugin_settings(PLUGIN_ID) == {
        "plex_url": "http://plex:32400",
        "worker_time_slice": 300,
    }


def test_jobs_through_the_gateway(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    gateway = StashGateway(endpoint)
    job_id = gateway.run_plugin_task(PLUGIN_ID, TASK_NAME)
    (job,) = gateway.job_queue()
    assert (job.id, job.status) == (job_id, "READY")
    assert job.description.endswith(TASK_NAME)


def test_find_scenes_contract_matches_stashapi(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    page = {"page": 2, "per_page": 5, "sort": "id", "direction": "ASC"}
    count, scenes = gateway.find_scenes(filter=page, get_count=True)
    assert page == {"page": 2, "per_page": 5, "sort": "id", "direction": "ASC"}  # not mutated
    assert count == 12
    assert [s["id"] for s in scenes] == ["6", "7", "8", "9", "10"]
    assert "groups" in scenes[0] and "files" in scenes[0]
    everything = gateway.find_scenes(f={"title": {"value": "Scene 12", "modifier": "EQUALS"}})
    assert [s["id"] for s in everything] == ["12"]
    only_ids = gateway.find_scenes(q='"Scene 11"', fragment="id")
    assert only_ids == [{"id": "11"}]


def test_find_scenes_contract_translates_library_errors(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    with pytest.raises(StashQueryError):
        gateway.find_scenes(filter={"sort": "bogus_sort", "per_page": 2})
    stash_emu.knobs.add_fault(Fault("status", status=502, path_regex="^/graphql$"))
    with pytest.raises(StashUnavailable) as info:
        gateway.find_scenes(filter={"per_page": 1})
    assert "502" in str(info.value)


def test_legacy_stash_gets_movies_normalised_to_groups() -> None:
    library = make_library(4)
    with StashEmulator(library, release="v0.26.2") as emu:
        gateway = StashGateway.from_server_connection(emu.connection())
        assert gateway.scene_fields == SCENE_FIELDS_LEGACY
        scene = gateway.scenes_by_ids([3])[3]
        assert "movies" not in scene
        assert scene["groups"] == [{"group": {"id": "1", "name": "Group One"}, "scene_index": 4}]


def test_construction_failures_are_classified(stash_emu: StashEmulator) -> None:
    port = stash_emu.port
    stash_emu.enable_auth()
    stash_emu.api_key = API_KEY
    log = ListLog()
    with pytest.raises(StashAuthError) as missing:
        StashGateway.from_server_connection({"Port": port}, logger=log)
    assert "401" in str(missing.value)

    cookie = stash_emu.new_session_cookie()
    conn = {"Host": "0.0.0.0", "Port": port, "SessionCookie": {"Value": cookie}}
    with pytest.raises(StashAuthError) as wrong:
        StashGateway.from_server_connection(conn, api_key="wrong-key-1234", logger=log)
    assert_no_secrets(wrong.value, cookie, "wrong-key-1234")

    assert StashGateway.from_server_connection(conn, logger=log).plugin_settings() == {}
    assert StashGateway.from_server_connection({"Port": port}, api_key=API_KEY).version()

    stash_emu.server.go_down()
    with pytest.raises(StashUnavailable) as down:
        StashGateway.from_server_connection(conn, api_key=API_KEY, logger=log)
    assert_no_secrets(down.value, cookie, API_KEY)
    assert log.lines  # stashapi's chatter arrived, demoted to our debug
    for line in log.lines:
        assert cookie not in line and API_KEY not in line and "wrong-key-1234" not in line


def test_session_cookie_follows_stash_refreshes(stash_emu: StashEmulator) -> None:
    stash_emu.enable_auth()
    first = stash_emu.new_session_cookie()
    gateway = StashGateway.from_server_connection(
        {"Port": stash_emu.port, "SessionCookie": {"Name": "session", "Value": first}}
    )
    jar = gateway.interface.s.cookies
    values = [c.value for c in jar if c.name == "session"]
    assert len(values) == 1 and values[0] != first  # replaced by Stash's Set-Cookie
    assert gateway.plugin_settings() == {}


def test_hung_stash_times_out_within_the_gateway_timeout(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint, timeout=1.0)
    stash_emu.knobs.add_fault(Fault("hang", hang_s=5.0, path_regex="^/graphql$"))
    started = time.monotonic()
    with pytest.raises(StashUnavailable) as info:
        gateway.plugin_settings()
    assert time.monotonic() - started < 4.0
    assert "timed out" in str(info.value)


@pytest.mark.parametrize("release", ["v0.24.3", "v0.25.1", "v0.30.1"])
def test_scenes_by_ids_sends_the_form_its_release_has(release: str) -> None:
    # v0.24 has no `findScenes(ids:)`: a wrong form would be refused and silently rescued by
    # the one-by-one fallback, so the request counts tell the forms apart.
    with StashEmulator(make_library(4), release=release) as emu:
        gateway = StashGateway.from_server_connection(emu.connection())
        found = gateway.scenes_by_ids([3, 1])
        assert sorted(found) == [1, 3]
        assert emu.log.count("graphql:findScenes") == 1
        assert emu.log.count("graphql:findScene") == 0
        settings = gateway.plugin_settings("NeverSaved")
    assert settings == {}
