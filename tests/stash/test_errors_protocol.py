"""Error classification and GraphQL response parsing (pure: no server involved)."""

from __future__ import annotations

import json

import pytest
import requests

from base.errors import Stash2PlexError, StashAuthError, StashUnavailable
from sandbox.images import STASH_DEFAULT_SVG, STASH_LOGIN_HTML, jpeg_bytes, png_bytes
from stash.errors import ImageUnavailable, StashQueryError, from_status, translate
from stash.fields import (
    SCENE_FIELDS,
    SCENE_FIELDS_LEGACY,
    normalise_scene,
    parse_version,
    scene_fields_for,
)
from stash.images import check_image, is_placeholder_url, sniff_image
from stash.protocol import parse_job_queue, parse_response, parse_run_plugin_task


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, StashAuthError),
        (403, StashAuthError),
        (500, StashUnavailable),
        (502, StashUnavailable),
        (503, StashUnavailable),
        (429, StashUnavailable),
        (422, StashQueryError),
        (404, StashUnavailable),
    ],
)
def test_from_status_classifies_by_http_status(status: int, cls: type) -> None:
    exc = from_status(status)
    assert type(exc) is cls
    assert str(status) in str(exc)


def test_query_error_is_unavailable_and_carries_clipped_messages() -> None:
    exc = from_status(200, ["scene with id 9 not found", "x" * 1000, "b", "c"])
    assert isinstance(exc, StashQueryError)
    assert isinstance(exc, StashUnavailable)
    assert exc.messages[0] == "scene with id 9 not found"
    assert len(exc.messages) == 3
    assert len(exc.messages[1]) < 400


def test_translate_transport_errors_to_unavailable() -> None:
    for exc in (
        requests.ConnectionError("HTTPConnectionPool(host='h', port=1): url: /x?apikey=SECRET"),
        requests.Timeout("read timed out"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError("timed out"),
    ):
        translated = translate(exc)
        assert type(translated) is StashUnavailable
        assert "SECRET" not in str(translated)


def test_translate_uses_status_not_message_for_library_exceptions() -> None:
    # stashapi 0.1.x: bare Exception("Authentication error"); 0.2.x: "401 ... query failed"
    assert type(translate(Exception("anything"), status=401)) is StashAuthError
    # stashapi 0.1.x crashes with AttributeError on `data: null`
    err = translate(AttributeError("'NoneType' has no attribute 'keys'"), status=422)
    assert type(err) is StashQueryError
    err = translate(Exception("x"), status=200, messages=["boom"])
    assert isinstance(err, StashQueryError) and err.messages == ["boom"]
    assert type(translate(KeyError("findScenes"), status=502)) is StashUnavailable
    same = StashAuthError("already ours")
    assert translate(same) is same


def test_parse_response_variants() -> None:
    assert parse_response(200, b'{"data": {"a": 1}}') == {"a": 1}
    with pytest.raises(StashAuthError):
        parse_response(401, b"")
    with pytest.raises(StashUnavailable) as info:
        parse_response(200, b"<html>proxy error</html>")
    assert "non-JSON" in str(info.value)
    with pytest.raises(StashUnavailable):
        parse_response(503, b'{"data": null}')
    body = {"errors": [{"message": "invalid sort", "path": ["findScenes"]}], "data": None}
    with pytest.raises(StashQueryError) as qinfo:
        parse_response(200, json.dumps(body).encode())
    assert qinfo.value.messages == ["invalid sort"] and qinfo.value.status == 200
    validation = {"errors": [{"message": "Cannot query field"}], "data": None}
    with pytest.raises(StashQueryError) as vinfo:
        parse_response(422, json.dumps(validation).encode())
    assert vinfo.value.status == 422
    with pytest.raises(StashQueryError):
        parse_response(200, b'{"data": null}')


def test_job_parsing() -> None:
    data = {
        "jobQueue": [
            {
                "id": "3",
                "status": "READY",
                "description": "Running plugin task: Stash2Plex: Process Queue",
                "addTime": "2025-01-01T00:00:00Z",
                "startTime": None,
            }
        ]
    }
    (job,) = parse_job_queue(data)
    assert (job.id, job.status, job.add_time, job.start_time) == (
        "3",
        "READY",
        "2025-01-01T00:00:00Z",
        None,
    )
    assert parse_job_queue({"jobQueue": None}) == []
    assert parse_run_plugin_task({"runPluginTask": 17}) == "17"
    with pytest.raises(StashQueryError):
        parse_run_plugin_task({"runPluginTask": None})


def test_versions_and_fields() -> None:
    assert parse_version("v0.30.1-23-gabcdef123") == (0, 30, 1)
    assert parse_version("garbage") == (0, 0, 0)
    assert scene_fields_for((0, 27, 0)) == SCENE_FIELDS
    assert scene_fields_for((0, 26, 9)) == SCENE_FIELDS_LEGACY
    assert "groups { group { id name } scene_index }" in SCENE_FIELDS
    assert "movies { movie { id name } scene_index }" in SCENE_FIELDS_LEGACY
    assert "movies" not in SCENE_FIELDS and "groups" not in SCENE_FIELDS_LEGACY
    legacy = {"id": "1", "movies": [{"movie": {"id": "4", "name": "M"}, "scene_index": 2}]}
    assert normalise_scene(legacy) == {
        "id": "1",
        "groups": [{"group": {"id": "4", "name": "M"}, "scene_index": 2}],
    }


def test_image_checks() -> None:
    assert sniff_image(jpeg_bytes(1)) == "jpeg"
    assert sniff_image(png_bytes(1)) == "png"
    assert sniff_image(STASH_DEFAULT_SVG) is None
    check_image("image/jpeg", jpeg_bytes(1))
    check_image("application/octet-stream", png_bytes(2))  # sniffed raster is fine
    for ctype, body in (
        ("image/svg+xml", STASH_DEFAULT_SVG),
        ("image/jpeg", STASH_DEFAULT_SVG),  # mislabelled placeholder
        ("image/png", b"\n  " + STASH_LOGIN_HTML),  # mislabelled login page
        ("text/html; charset=utf-8", STASH_LOGIN_HTML),
        ("application/octet-stream", b"\x00\x01garbage"),
        ("image/jpeg", b""),
    ):
        with pytest.raises(ImageUnavailable):
            check_image(ctype, body)
    assert is_placeholder_url("http://h/performer/1/image?t=5&default=true")
    assert not is_placeholder_url("http://h/scene/1/screenshot?t=5")
    assert issubclass(ImageUnavailable, Stash2PlexError)
