"""Stash emulator, read side: findScenes paging/sorting/filters, data shapes, images, auth.

Driven through loopback HTTP with the real stashapi (stashapp-tools 0.2.59) and `requests`;
expectations come from stash.md §5 and §7 (string comparison of timestamps, LIKE paths,
whitelisted sorts, the ids rule, 401/302 by path).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from stashapi.stashapp import StashInterface

from sandbox.httpd import Fault
from sandbox.images import STASH_DEFAULT_SVG, STASH_LOGIN_HTML, jpeg_bytes
from sandbox.model import StashFile, StashScene, StashTag
from sandbox.stash_emu import StashEmulator
from tests.sandbox import stash_fixtures
from tests.sandbox.stash_fixtures import SCENE_FIELDS, T0, StashClock

stash_clock = stash_fixtures.stash_clock
stash_emu = stash_fixtures.stash_emu
stash_client = stash_fixtures.stash_client


def gql(emu: StashEmulator, query: str, variables: dict | None = None, **kw: Any) -> Any:
    body = {"query": query, "variables": variables or {}}
    return requests.post(emu.url + "/graphql", json=body, timeout=5, **kw)


def ids_for(client: StashInterface, scene_filter: dict, **find: Any) -> list[int]:
    found = client.find_scenes(
        f=scene_filter, filter={"per_page": -1, "sort": "id", **find}, fragment="id"
    )
    return [int(s["id"]) for s in found]


# --- paging and sorting --------------------------------------------------------------------------


def test_paging_with_count_walks_every_scene_once(
    stash_client: StashInterface, stash_emu: StashEmulator
) -> None:
    seen: list[int] = []
    for page in range(1, 5):
        count, scenes = stash_client.find_scenes(
            f={},
            filter={"page": page, "per_page": 8, "sort": "id", "direction": "ASC"},
            fragment="id",
            get_count=True,
        )
        assert count == 30
        seen.extend(int(s["id"]) for s in scenes)
    assert seen == list(range(1, 31))
    assert stash_emu.log.count("graphql:findScenes") == 4


def test_per_page_default_negative_and_low_page(stash_emu: StashEmulator) -> None:
    query = "query($f: FindFilterType) { findScenes(filter: $f) { count scenes { id } } }"

    def page_ids(f: dict) -> list[int]:
        data = gql(stash_emu, query, {"f": f}).json()["data"]["findScenes"]
        return [int(s["id"]) for s in data["scenes"]]

    assert len(page_ids({"sort": "id"})) == 25  # default per_page
    assert len(page_ids({"sort": "id", "per_page": -1})) == 30
    assert page_ids({"sort": "id", "per_page": 3, "page": 0}) == [1, 2, 3]
    assert page_ids({"sort": "id", "per_page": 3, "page": 2, "direction": "DESC"}) == [27, 26, 25]


def test_sorts_with_tie_breaker_and_nulls_first(stash_client: StashInterface) -> None:
    by_title = ids_for(stash_client, {"id": {"value": 5, "modifier": "LESS_THAN"}}, sort="title")
    assert by_title == [4, 1, 2, 3]  # no title -> its basename is empty; natural, case-free
    by_date = ids_for(stash_client, {"id": {"value": 4, "modifier": "LESS_THAN"}}, sort="date")
    assert by_date == [3, 1, 2]  # 2019 (stored 2019-01-01) < 2020-05-06 < 2021-07
    filler = {"id": {"value": 5, "modifier": "GREATER_THAN"}}
    assert ids_for(stash_client, filler, sort="rating")[:2] == [6, 7]  # all NULL: title, id
    desc = ids_for(stash_client, filler, sort="updated_at", direction="DESC")
    assert desc == list(range(30, 5, -1))


def test_unknown_sort_is_a_resolver_error(stash_emu: StashEmulator) -> None:
    response = gql(stash_emu, '{ findScenes(filter: {sort: "nope"}) { count } }')
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # findScenes is non-null
    assert body["errors"][0]["message"] == "invalid sort: nope"
    assert body["errors"][0]["path"] == ["findScenes"]


def test_ids_keep_order_and_one_missing_id_fails_everything(
    stash_client: StashInterface, stash_emu: StashEmulator
) -> None:
    query = (
        "query($ids: [ID!]) { findScenes(ids: $ids, filter: {per_page: 1}) "
        "{ count scenes { id } } }"
    )
    data = gql(stash_emu, query, {"ids": ["3", "1", "2"]}).json()["data"]["findScenes"]
    assert data == {"count": 3, "scenes": [{"id": "3"}, {"id": "1"}, {"id": "2"}]}
    failed = gql(stash_emu, query, {"ids": ["1", "999"]}).json()
    assert failed["data"] is None
    assert failed["errors"][0]["message"] == "scene with id 999 not found"
    with pytest.raises(Exception, match="query failed"):  # how stashapp-tools reports it
        stash_client.call_GQL(query, {"ids": ["1", "999"]})


def test_find_scene_null_for_unknown_and_error_for_non_numeric(
    stash_client: StashInterface, stash_emu: StashEmulator
) -> None:
    assert stash_client.find_scene(999, fragment="id") is None
    body = gql(stash_emu, '{ findScene(id: "abc") { id } }').json()
    assert body["data"] == {"findScene": None}
    assert body["errors"][0]["message"] == 'strconv.Atoi: parsing "abc": invalid syntax'


# --- filters -------------------------------------------------------------------------------------


def test_updated_at_compares_as_text_with_the_servers_offset() -> None:
    clock = StashClock()
    emu = StashEmulator(stash_fixtures.stash_library(), tz_offset="+01:00", clock=clock)
    emu.library.scenes[1].updated_at = datetime(2025, 1, 1, 9, 30, tzinfo=timezone.utc)
    with emu:
        client = StashInterface(emu.connection())
        scene = client.find_scene(1, fragment="updated_at created_at")
        assert scene["updated_at"] == "2025-01-01T10:30:00+01:00"
        assert scene["created_at"] == "2025-01-01T14:00:00+01:00"  # T0 + 1 h, in +01:00
        # 09:30Z is before 10:00Z, but "…T10:30:00+01:00" > "…T10:00:00Z" as text.
        later = {"updated_at": {"value": "2025-01-01T10:00:00Z", "modifier": "GREATER_THAN"}}
        assert 1 in ids_for(client, later)
        before = {"updated_at": {"value": "2025-01-01T10:31:00+01:00", "modifier": "LESS_THAN"}}
        assert ids_for(client, before) == [1]
        between = {
            "updated_at": {
                "value": "2025-01-01T10:30:00+01:00",
                "value2": "2025-01-01T14:00:00+01:00",
                "modifier": "BETWEEN",
            }
        }
        assert ids_for(client, between) == [1]
        # value2 defaults to now + 1 day: everything up to then.
        open_end = {"created_at": {"value": "2025-01-02", "modifier": "BETWEEN"}}
        assert ids_for(client, open_end) == list(range(11, 31))  # 23:00Z = 00:00+01:00 next day


def test_path_like_words_quotes_and_any_file(stash_client: StashInterface) -> None:
    def path(value: str, modifier: str = "INCLUDES") -> list[int]:
        return ids_for(stash_client, {"path": {"value": value, "modifier": modifier}})

    assert path("alpha archive") == [1, 2]  # words OR-ed; 2 matches by its second file
    assert path('"alpha archive"') == []  # quoted: one phrase
    assert path('"alpha one"') == [1]
    assert path("BETA_TWO.mkv") == [2]  # ASCII case-insensitive; `_` is a wildcard
    assert path("%ÉPISODE%", "EQUALS") == [5]
    assert path("%épisode%", "EQUALS") == []  # non-ASCII letters keep their case
    assert path("/media/videos/alpha_one.mp4", "EQUALS") == [1]
    assert path("d:\\clips\\gamma 100%", "EQUALS") == [3]  # Windows path, % wildcard
    assert path(r"f\d+\.mp4$", "MATCHES_REGEX") == list(range(6, 31))
    assert path("filler alpha", "EXCLUDES") == [2, 3, 5]  # no files: never matches
    assert path("", "IS_NULL") == [4]


def test_relation_filters_and_combinations(stash_client: StashInterface) -> None:
    def ids(f: dict) -> list[int]:
        return ids_for(stash_client, f)

    assert ids({"performers": {"value": ["1", "3"], "modifier": "INCLUDES"}}) == [1, 3]
    assert ids({"performers": {"value": ["1", "2"], "modifier": "INCLUDES_ALL"}}) == [1]
    assert ids({"tags": {"value": ["2"], "modifier": "EXCLUDES"}}) == [3, 4, *range(5, 31)]
    assert ids({"studios": {"value": ["1"], "modifier": "INCLUDES"}}) == [2]
    assert ids({"studios": {"value": ["1"], "modifier": "INCLUDES", "depth": -1}}) == [1, 2]
    assert ids({"groups": {"value": ["1"], "modifier": "INCLUDES"}}) == [1]
    assert ids({"organized": True}) == [3]
    assert ids({"title": {"value": "alpha", "modifier": "EQUALS"}}) == [1]
    or_filter = {
        "title": {"value": "Alpha", "modifier": "EQUALS"},
        "OR": {"date": {"value": "2019-01-01", "modifier": "EQUALS"}},
    }
    assert ids(or_filter) == [1, 3]
    not_filter = {
        "tags": {"value": ["2"], "modifier": "INCLUDES"},
        "NOT": {"studios": {"value": ["2"], "modifier": "INCLUDES"}},
    }
    assert ids(not_filter) == [2]
    with pytest.raises(Exception, match="query failed"):
        ids({"AND": {"organized": True}, "OR": {"organized": False}})


# --- shapes ---------------------------------------------------------------------------------------


@pytest.mark.stash_surface
def test_scene_shape_as_the_plugin_reads_it(stash_client: StashInterface) -> None:
    alpha, beta, gamma, empty = (
        stash_client.find_scene(i, fragment=SCENE_FIELDS) for i in (1, 2, 3, 4)
    )
    base = stash_client.url.removesuffix("/graphql")
    stamp = int((T0 + timedelta(hours=1)).timestamp())
    assert alpha["paths"]["screenshot"] == f"{base}/scene/1/screenshot?t={stamp}"
    assert alpha["updated_at"] == "2025-01-01T13:00:00Z"
    assert alpha["studio"]["parent_studio"] == {"name": "Parent Co"}
    assert alpha["studio"]["image_path"].endswith("/studio/2/image?t=1735732800")
    assert [p["image_path"].endswith("&default=true") for p in alpha["performers"]] == [False, True]
    assert alpha["groups"][0]["scene_index"] == 2
    assert alpha["groups"][0]["group"]["front_image_path"].endswith("&default=true")
    assert alpha["files"][0]["size"] == 1000
    assert [f["path"] for f in beta["files"]] == [
        "/media/videos/Beta_two.MKV",
        "/archive/beta copy.mp4",
    ]
    assert beta["date"] == "2021-07" and gamma["date"] == "2019"
    assert gamma["files"][0]["basename"] == "gamma 100%.mp4"
    assert gamma["files"][0]["parent_folder"]["path"] == "D:\\Clips"
    assert gamma["organized"] is True
    assert empty["files"] == [] and empty["studio"] is None and empty["title"] is None


def test_urls_follow_the_requests_host_header(stash_emu: StashEmulator) -> None:
    query = '{ findScene(id: "1") { paths { screenshot } performers { image_path } } }'
    host = f"stash.local:{stash_emu.port}"
    data = gql(stash_emu, query, headers={"Host": host}).json()["data"]["findScene"]
    assert data["paths"]["screenshot"].startswith(f"http://{host}/scene/1/screenshot?t=")
    assert data["performers"][0]["image_path"].startswith(f"http://{host}/performer/1/image")


# --- images ---------------------------------------------------------------------------------------


def test_image_routes_serve_bytes_or_the_default_svg(stash_emu: StashEmulator) -> None:
    def get(path: str) -> requests.Response:
        return requests.get(stash_emu.url + path, timeout=5)

    cover = get("/scene/1/screenshot?t=1")
    assert cover.headers["Content-Type"] == "image/jpeg"
    assert cover.content == jpeg_bytes(1)
    placeholder = get("/scene/2/screenshot")
    assert placeholder.headers["Content-Type"] == "image/svg+xml"
    assert placeholder.content == STASH_DEFAULT_SVG
    assert get("/studio/2/image").headers["Content-Type"] == "image/png"
    assert get("/studio/2/image?default=true").content == STASH_DEFAULT_SVG
    assert get("/performer/2/image").content == STASH_DEFAULT_SVG
    assert get("/tag/1/image").content == STASH_DEFAULT_SVG
    assert get("/group/1/frontimage").content == STASH_DEFAULT_SVG
    assert get("/scene/999/screenshot").status_code == 404
    assert stash_emu.log.count("image:scene-screenshot") == 3


# --- authentication ----------------------------------------------------------------------------


def test_credentials_require_cookie_or_api_key(stash_emu: StashEmulator) -> None:
    stash_emu.enable_auth()
    stash_emu.api_key = "k" * 32
    with pytest.raises(Exception, match="query failed"):
        StashInterface(stash_emu.connection())
    bare = gql(stash_emu, "{ version { version } }")
    assert (bare.status_code, bare.content) == (401, b"")
    assert bare.headers["WWW-Authenticate"] == "FormBased"
    cookie = stash_emu.new_session_cookie()
    by_cookie = StashInterface(stash_emu.connection(SessionCookie={"Value": cookie}))
    assert by_cookie.find_scene(1, fragment="id") == {"id": "1"}
    by_key = StashInterface(stash_emu.connection(ApiKey="k" * 32))
    assert by_key.find_scene(1, fragment="title") == {"title": "Alpha"}
    refreshed = gql(stash_emu, "{ version { version } }", cookies={"session": cookie})
    assert refreshed.headers["Set-Cookie"].startswith("session=")


def test_images_redirect_to_login_without_auth(stash_emu: StashEmulator) -> None:
    stash_emu.enable_auth()
    stash_emu.api_key = "secret-key"
    url = stash_emu.url + "/scene/1/screenshot?t=5"
    first = requests.get(url, allow_redirects=False, timeout=5)
    assert first.status_code == 302
    assert first.headers["Location"] == "/login?returnURL=%2Fscene%2F1%2Fscreenshot%3Ft%3D5"
    followed = requests.get(url, timeout=5)  # what a naive plugin would upload
    assert followed.status_code == 200
    assert followed.headers["Content-Type"].startswith("text/html")
    assert followed.content == STASH_LOGIN_HTML
    assert requests.get(url + "&apikey=secret-key", timeout=5).content == jpeg_bytes(1)
    cookie = {"session": stash_emu.new_session_cookie()}
    assert requests.get(url, cookies=cookie, timeout=5).content == jpeg_bytes(1)
    assert requests.get(stash_emu.url + "/scene/1_thumbs.vtt", timeout=5).status_code == 401


def test_wrong_api_key_is_refused_even_on_an_open_server(stash_emu: StashEmulator) -> None:
    with pytest.raises(Exception, match="query failed"):
        StashInterface(stash_emu.connection(ApiKey="stale"))
    image = requests.get(stash_emu.url + "/scene/1/screenshot?apikey=stale", timeout=5)
    assert image.status_code == 401
    assert gql(stash_emu, "{ version { version } }").status_code == 200


def test_session_cookie_expires_after_max_age(
    stash_emu: StashEmulator, stash_clock: StashClock
) -> None:
    stash_emu.enable_auth()
    stash_emu.session_max_age = 3600
    cookie = {"session": stash_emu.new_session_cookie()}
    assert gql(stash_emu, "{ version { version } }", cookies=cookie).status_code == 200
    stash_clock.now += timedelta(seconds=3601)
    assert gql(stash_emu, "{ version { version } }", cookies=cookie).status_code == 401


def test_added_scene_and_fault_knobs(stash_emu: StashEmulator) -> None:
    stash_emu.add_scene(StashScene(99, [StashFile(990, "/x/y.mp4", 5)], T0, T0, title="New"))
    stash_emu.knobs.add_fault(Fault("status", status=502, path_regex="^/graphql$"))
    assert gql(stash_emu, '{ findScene(id: "99") { title } }').status_code == 502
    ok = gql(stash_emu, '{ findScene(id: "99") { title } }').json()
    assert ok == {"data": {"findScene": {"title": "New"}}}


def test_tag_depth_follows_parent_tags(
    stash_client: StashInterface, stash_emu: StashEmulator
) -> None:
    stash_emu.add_tag(StashTag(4, "Colours"))
    stash_emu.add_tag(StashTag(5, "Warm"), parent_ids=[4])
    stash_emu.extras.set("tag", 1, parent_ids=[5])  # Red < Warm < Colours
    shallow = {"tags": {"value": ["4"], "modifier": "INCLUDES", "depth": 1}}
    assert ids_for(stash_client, shallow) == []
    deep = {"tags": {"value": ["4"], "modifier": "INCLUDES", "depth": -1}}
    assert ids_for(stash_client, deep) == [1]
    red = stash_client.find_tags(
        f={}, filter={"per_page": -1, "sort": "id"}, fragment="id parents { name }"
    )
    assert red[0]["parents"] == [{"name": "Warm"}]
