"""StashGateway.fetch_image against the emulator's image routes."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from base.errors import StashAuthError, StashUnavailable
from sandbox.httpd import Fault
from sandbox.images import STASH_LOGIN_HTML, jpeg_bytes
from sandbox.model import StashPerformer
from sandbox.stash_emu import StashEmulator
from stash.client import StashGateway
from stash.connection import StashEndpoint
from stash.errors import ImageUnavailable
from tests.stash.conftest import API_KEY, assert_no_secrets


def _screenshot(gateway: StashGateway, scene_id: int) -> str:
    return gateway.scenes_by_ids([scene_id])[scene_id]["paths"]["screenshot"]


def _with_host(url: str, netloc: str, scheme: str = "http") -> str:
    parts = urlsplit(url)
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def test_jpeg_cover_is_fetched(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    gateway = StashGateway(endpoint)
    url = _screenshot(gateway, 1)
    assert gateway.fetch_image(url) == jpeg_bytes(1)
    assert stash_emu.log.count("image:scene-screenshot") == 1


def test_foreign_host_in_the_url_is_fetched_through_the_base(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    url = _with_host(_screenshot(gateway, 1), "stash.example:9999")
    assert gateway.fetch_image(url) == jpeg_bytes(1)
    stash_emu.http.external_host = "https://stash.example.com/prefix"
    external = _screenshot(gateway, 1)
    assert external.startswith("https://stash.example.com/")
    assert "/prefix/scene/1/screenshot" in external
    assert gateway.fetch_image(external) == jpeg_bytes(1)  # proxy prefix dropped
    assert stash_emu.log.count("image:scene-screenshot") == 2


def test_svg_placeholder_is_refused(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    gateway = StashGateway(endpoint)
    with pytest.raises(ImageUnavailable) as info:
        gateway.fetch_image(_screenshot(gateway, 2))  # scene 2 has no cover
    assert "svg" in str(info.value).lower()


def test_default_true_url_is_refused_without_a_request(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    stash_emu.library.performers[9] = StashPerformer(9, "No Picture")
    gateway = StashGateway(endpoint)
    data = gateway.call("{ findPerformer(id: 9) { image_path } }")
    url = data["findPerformer"]["image_path"]
    assert "default=true" in url
    stash_emu.log.clear()
    with pytest.raises(ImageUnavailable):
        gateway.fetch_image(url)
    assert len(stash_emu.log) == 0


def test_mislabelled_html_and_svg_bodies_are_refused(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    gateway = StashGateway(endpoint)
    url = _screenshot(gateway, 1)
    stash_emu.knobs.add_fault(
        Fault("body", body=STASH_LOGIN_HTML, content_type="image/jpeg", path_regex="screenshot")
    )
    with pytest.raises(ImageUnavailable):
        gateway.fetch_image(url)
    stash_emu.knobs.add_fault(
        Fault("body", body=b"<svg xmlns='x'/>", content_type="image/png", path_regex="screenshot")
    )
    with pytest.raises(ImageUnavailable):
        gateway.fetch_image(url)


def test_login_redirect_with_auth_on_is_an_auth_error(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    stash_emu.enable_auth()
    cookie = stash_emu.new_session_cookie()
    authed = StashGateway.from_server_connection(
        {"Port": stash_emu.port, "SessionCookie": {"Value": cookie}}
    )
    url = _screenshot(authed, 1)
    assert authed.fetch_image(url) == jpeg_bytes(1)  # the cookie opens image routes too

    stash_emu.disable_auth()
    anonymous = StashGateway.from_server_connection({"Port": stash_emu.port})
    stash_emu.enable_auth()
    stash_emu.log.clear()
    with pytest.raises(StashAuthError) as info:
        anonymous.fetch_image(url)
    assert "login" in str(info.value)
    assert stash_emu.log.count("login") == 0  # the redirect was not followed


def test_size_cap(stash_emu: StashEmulator, endpoint: StashEndpoint) -> None:
    big = jpeg_bytes(7) + b"\0" * 200_000
    stash_emu.library.scenes[3].cover = big
    gateway = StashGateway(endpoint)
    url = _screenshot(gateway, 3)
    with pytest.raises(ImageUnavailable) as info:
        gateway.fetch_image(url, max_bytes=50_000)
    assert "50000" in str(info.value)
    assert gateway.fetch_image(url, max_bytes=len(big)) == big


def test_errors_name_the_path_never_the_secrets(
    stash_emu: StashEmulator, endpoint: StashEndpoint
) -> None:
    stash_emu.api_key = API_KEY
    gateway = StashGateway(endpoint.with_api_key(API_KEY))
    stream = f"http://stash.example/scene/1/stream?apikey={API_KEY}"
    with pytest.raises(ImageUnavailable) as missing:
        gateway.fetch_image(stream)
    assert "/scene/1/stream" in str(missing.value)
    assert_no_secrets(missing.value, API_KEY, endpoint.cookie_value)

    stash_emu.knobs.add_fault(Fault("status", status=503, path_regex="screenshot"))
    with pytest.raises(StashUnavailable) as down:
        gateway.fetch_image(f"http://h/scene/1/screenshot?apikey={API_KEY}")
    assert_no_secrets(down.value, API_KEY, endpoint.cookie_value)

    stash_emu.server.go_down()
    with pytest.raises(StashUnavailable) as refused:
        gateway.fetch_image(f"http://h/scene/1/screenshot?apikey={API_KEY}")
    assert_no_secrets(refused.value, API_KEY, endpoint.cookie_value)
